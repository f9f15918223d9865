/* SupportedAppProtocol negotiation, both roles. */
#include "apphand/apphand.h"

#include <string.h>

static int s_ns_equal(const struct exi_apphand_AppProtocolType *p, const char *ns)
{
    size_t n = strlen(ns);
    return p->ProtocolNamespace.charactersLen == n &&
           memcmp(p->ProtocolNamespace.characters, ns, n) == 0;
}

int apphand_select(const struct exi_apphand_document *req, const struct apphand_protocol *ours,
                   size_t n, struct exi_apphand_document *res, int *chosen)
{
    if (chosen != NULL) {
        *chosen = -1;
    }
    if (req == NULL || res == NULL || chosen == NULL || (ours == NULL && n > 0) ||
        !req->supportedAppProtocolReq_isUsed) {
        return HAL_EINVAL;
    }
    const struct exi_apphand_supportedAppProtocolReq *q = &req->supportedAppProtocolReq;
    int best_ev = -1;
    int best_ours = -1;
    uint16_t count = q->AppProtocol.arrayLen;
    if (count > CFG_EXI_APPHAND_SUPPORTEDAPPPROTOCOLREQ_APPPROTOCOL_MAX) {
        count = CFG_EXI_APPHAND_SUPPORTEDAPPPROTOCOLREQ_APPPROTOCOL_MAX;
    }
    for (uint16_t i = 0; i < count; i++) {
        const struct exi_apphand_AppProtocolType *p = &q->AppProtocol.array[i];
        for (size_t k = 0; k < n; k++) {
            if (!s_ns_equal(p, ours[k].ns) || p->VersionNumberMajor != ours[k].major) {
                continue;
            }
            if (best_ev < 0 || p->Priority < q->AppProtocol.array[best_ev].Priority) {
                best_ev = (int)i;
                best_ours = (int)k;
            }
            break;
        }
    }
    memset(res, 0, sizeof *res);
    res->supportedAppProtocolRes_isUsed = true;
    struct exi_apphand_supportedAppProtocolRes *r = &res->supportedAppProtocolRes;
    if (best_ev < 0) {
        r->ResponseCode = exi_apphand_responseCodeType_Failed_NoNegotiation;
        *chosen = -1;
        return HAL_OK;
    }
    const struct exi_apphand_AppProtocolType *p = &q->AppProtocol.array[best_ev];
    r->ResponseCode = p->VersionNumberMinor == ours[best_ours].minor
                          ? exi_apphand_responseCodeType_OK_SuccessfulNegotiation
                          : exi_apphand_responseCodeType_OK_SuccessfulNegotiationWithMinorDeviation;
    r->SchemaID = p->SchemaID;
    r->SchemaID_isUsed = true;
    *chosen = best_ours;
    return HAL_OK;
}

int apphand_offer_fill(struct exi_apphand_document *req, const struct apphand_offer *offers,
                       size_t n)
{
    if (req == NULL || offers == NULL || n == 0 ||
        n > CFG_EXI_APPHAND_SUPPORTEDAPPPROTOCOLREQ_APPPROTOCOL_MAX) {
        return HAL_EINVAL;
    }
    memset(req, 0, sizeof *req);
    req->supportedAppProtocolReq_isUsed = true;
    struct exi_apphand_supportedAppProtocolReq *q = &req->supportedAppProtocolReq;
    for (size_t i = 0; i < n; i++) {
        struct exi_apphand_AppProtocolType *p = &q->AppProtocol.array[i];
        size_t len = offers[i].ns != NULL ? strlen(offers[i].ns) : 0;
        if (len == 0 || len > CFG_EXI_APPHAND_APPPROTOCOLTYPE_PROTOCOLNAMESPACE_LEN) {
            return HAL_EINVAL;
        }
        memcpy(p->ProtocolNamespace.characters, offers[i].ns, len);
        p->ProtocolNamespace.charactersLen = (uint16_t)len;
        p->VersionNumberMajor = offers[i].major;
        p->VersionNumberMinor = offers[i].minor;
        p->SchemaID = offers[i].schema_id;
        p->Priority = offers[i].priority;
    }
    q->AppProtocol.arrayLen = (uint16_t)n;
    return HAL_OK;
}

int apphand_result(const struct exi_apphand_document *res, const struct apphand_offer *offers,
                   size_t n, int *chosen)
{
    if (res == NULL || chosen == NULL || (offers == NULL && n > 0)) {
        return HAL_EINVAL;
    }
    *chosen = -1;
    if (!res->supportedAppProtocolRes_isUsed) {
        return HAL_EPROTO;
    }
    const struct exi_apphand_supportedAppProtocolRes *r = &res->supportedAppProtocolRes;
    if (r->ResponseCode == exi_apphand_responseCodeType_Failed_NoNegotiation ||
        !r->SchemaID_isUsed) {
        return HAL_EPROTO;
    }
    for (size_t i = 0; i < n; i++) {
        if (offers[i].schema_id == r->SchemaID) {
            *chosen = (int)i;
            return HAL_OK;
        }
    }
    return HAL_EPROTO;
}

bool apphand_offers_include(const struct apphand_offer *offers, size_t n, const char *ns)
{
    for (size_t i = 0; offers != NULL && ns != NULL && i < n; i++) {
        if (offers[i].ns != NULL && strcmp(offers[i].ns, ns) == 0) {
            return true;
        }
    }
    return false;
}
