/* v2g_rec.c - what both car-side replays (v2g_ev.c for ISO-2, v2g_ev_din.c for DIN) read
 * out of a recorded session the same way: the next car request of a connection and the
 * protocols the recorded car offered in its handshake. Host tool. */
#include <string.h>

#include "v2g_rec.h"

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"
#include "hal_err.h"

const struct rec *rec_next_request(const struct recs *R, size_t i)
{
    for (size_t j = i + 1; j < R->n; j++) {
        const struct rec *r = &R->v[j];
        if (r->ev_to_evse) {
            return r->apphand ? NULL : r;
        }
    }
    return NULL;
}

uint8_t rec_offers(const struct rec *q, struct apphand_offer *offers, char (*names)[REC_NS_LEN], uint8_t max)
{
    static struct exi_apphand_document app; /* a few kB: kept off the stack */
    uint8_t n = 0;
    if (q == NULL || q->exi == NULL) {
        return 0;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, q->exi, q->len);
    if (exi_apphand_decode(&rd, &app) != HAL_OK || !app.supportedAppProtocolReq_isUsed) {
        return 0;
    }
    const struct exi_apphand_supportedAppProtocolReq *a = &app.supportedAppProtocolReq;
    for (uint16_t k = 0; k < a->AppProtocol.arrayLen && n < max; k++) {
        const struct exi_apphand_AppProtocolType *p = &a->AppProtocol.array[k];
        size_t l = p->ProtocolNamespace.charactersLen < REC_NS_LEN - 1 ? p->ProtocolNamespace.charactersLen : REC_NS_LEN - 1;
        memcpy(names[n], p->ProtocolNamespace.characters, l);
        names[n][l] = '\0';
        offers[n] = (struct apphand_offer){names[n], p->VersionNumberMajor, p->VersionNumberMinor, p->SchemaID,
                                           p->Priority};
        n++;
    }
    return n;
}
