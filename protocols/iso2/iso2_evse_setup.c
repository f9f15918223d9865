/*
 * iso2_evse_setup.c - the ISO-2 charger machine from SessionSetup to Authorization: the
 * session ID (new or joined after a pause), the services and payment options we offer,
 * ServiceDetail and PaymentServiceSelection checked against them, Plug & Charge refused,
 * and the EIM authorization loop (iso2_evse_priv.h).
 */
#include "iso2/iso2_evse_priv.h"

#include <string.h>

/* ------------------------------------------------------------------ messages
 * As in the DIN machine, each builder fills every mandatory field whatever the outcome and
 * only applies its rules while `code` is still OK. */

uint8_t iso2_evse_on_session_setup(struct iso2_evse *m, const struct exi_iso2_document *req,
                                   const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                   struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_SessionSetupResType *r = &res->V2G_Message.Body.SessionSetupRes;
    res->V2G_Message.Body.SessionSetupRes_isUsed = true;
    iso2_evse_put_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    if (st->dc.unix_time_s != 0) {
        r->EVSETimeStamp = st->dc.unix_time_s;
        r->EVSETimeStamp_isUsed = true;
    }
    if (code == CODE(OK)) {
        const struct exi_iso2_SessionSetupReqType *q = &req->V2G_Message.Body.SessionSetupReq;
        const struct exi_iso2_MessageHeaderType *h = &req->V2G_Message.Header;
        uint16_t n = q->EVCCID.bytesLen <= sizeof m->ev.evccid ? q->EVCCID.bytesLen : (uint16_t)sizeof m->ev.evccid;
        memcpy(m->ev.evccid, q->EVCCID.bytes, n);
        m->ev.evccid_len = (uint8_t)n;
        const struct iso2_evse_resume *p = &m->resume;
        if (p->valid && h->SessionID.bytesLen == p->id_len && memcmp(h->SessionID.bytes, p->id, p->id_len) == 0) {
            /* [V2G2-755]: the paused session continues with its ID, payment and tuple. */
            memcpy(m->id, p->id, p->id_len);
            m->id_len = p->id_len;
            m->ev.payment = p->payment;
            m->ev.tuple_id = p->tuple_id;
            code = CODE(OK_OldSessionJoined);
            out->events |= ISO2_EVSE_EV_RESUMED;
        } else {
            /* [V2G2-754]/[V2G2-756]: zero or an ID we do not know: a new session with a
             * fresh ID (never the presented one; hlc draws non-zero IDs). */
            code = CODE(OK_NewSessionEstablished);
        }
        m->resume.valid = false;
        out->events |= ISO2_EVSE_EV_SESSION;
        m->phase = ISO2_EVSE_SERVICE_DISCOVERY;
    }
    r->ResponseCode = code;
    return code;
}

static void s_name(char *dst, uint16_t *len, const char *src, size_t cap)
{
    size_t n = iso2_evse_len(src, cap);
    memcpy(dst, src, n);
    *len = (uint16_t)n;
}

uint8_t iso2_evse_on_service_discovery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                       struct exi_iso2_document *res, uint8_t code)
{
    struct exi_iso2_ServiceDiscoveryResType *r = &res->V2G_Message.Body.ServiceDiscoveryRes;
    res->V2G_Message.Body.ServiceDiscoveryRes_isUsed = true;
    uint16_t np = 0;
    r->PaymentOptionList.PaymentOption.array[np++] = exi_iso2_paymentOptionType_ExternalPayment;
    if (iso2_evse_contract_offered(m)) {
        r->PaymentOptionList.PaymentOption.array[np++] = exi_iso2_paymentOptionType_Contract;
    }
    r->PaymentOptionList.PaymentOption.arrayLen = np;
    r->ChargeService.ServiceID = 1;
    r->ChargeService.ServiceCategory = exi_iso2_serviceCategoryType_EVCharging;
    r->ChargeService.FreeService = false;
    r->ChargeService.SupportedEnergyTransferMode.EnergyTransferMode.array[0] = m->cfg.energy_mode;
    r->ChargeService.SupportedEnergyTransferMode.EnergyTransferMode.arrayLen = 1;
    const struct exi_iso2_ServiceDiscoveryReqType *q = &req->V2G_Message.Body.ServiceDiscoveryReq;
    uint16_t ns = 0;
    for (uint8_t i = 0; i < m->cfg.vas_count && ns < CFG_EXI_ISO2_SERVICELISTTYPE_SERVICE_MAX; i++) {
        const struct iso2_evse_vas *v = &m->cfg.vas[i];
        if (q->ServiceCategory_isUsed && q->ServiceCategory != v->category) {
            continue; /* the EV filters by category */
        }
        struct exi_iso2_ServiceType *s = &r->ServiceList.Service.array[ns++];
        s->ServiceID = v->id;
        s->ServiceCategory = v->category;
        s->FreeService = v->free;
        if (v->name[0] != '\0') {
            s_name(s->ServiceName.characters, &s->ServiceName.charactersLen, v->name,
                   sizeof v->name < CFG_EXI_ISO2_SERVICETYPE_SERVICENAME_LEN ? sizeof v->name
                                                                             : CFG_EXI_ISO2_SERVICETYPE_SERVICENAME_LEN);
            s->ServiceName_isUsed = true;
        }
    }
    /* The Certificate service only when a provider can serve it (as the captures list it). */
    if (iso2_evse_cert_offered(m) && ns < CFG_EXI_ISO2_SERVICELISTTYPE_SERVICE_MAX &&
        (!q->ServiceCategory_isUsed || q->ServiceCategory == exi_iso2_serviceCategoryType_ContractCertificate)) {
        struct exi_iso2_ServiceType *s = &r->ServiceList.Service.array[ns++];
        s->ServiceID = ISO2_EVSE_CERT_SERVICE_ID;
        s->ServiceCategory = exi_iso2_serviceCategoryType_ContractCertificate;
        s->FreeService = true;
        s_name(s->ServiceName.characters, &s->ServiceName.charactersLen, "Certificate",
               CFG_EXI_ISO2_SERVICETYPE_SERVICENAME_LEN);
        s->ServiceName_isUsed = true;
    }
    r->ServiceList.Service.arrayLen = ns;
    r->ServiceList_isUsed = ns > 0;
    if (code == CODE(OK)) {
        m->phase = ISO2_EVSE_SERVICE_SELECTION;
    }
    r->ResponseCode = code;
    return code;
}

static const struct iso2_evse_vas *s_vas(const struct iso2_evse *m, uint16_t id)
{
    for (uint8_t i = 0; i < m->cfg.vas_count; i++) {
        if (m->cfg.vas[i].id == id) {
            return &m->cfg.vas[i];
        }
    }
    return NULL;
}

uint8_t iso2_evse_on_service_detail(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    struct exi_iso2_document *res, uint8_t code)
{
    struct exi_iso2_ServiceDetailResType *r = &res->V2G_Message.Body.ServiceDetailRes;
    res->V2G_Message.Body.ServiceDetailRes_isUsed = true;
    r->ServiceID = req->V2G_Message.Body.ServiceDetailReq.ServiceID;
    bool cert = r->ServiceID == ISO2_EVSE_CERT_SERVICE_ID && iso2_evse_cert_offered(m);
    if (code == CODE(OK) && !cert && s_vas(m, r->ServiceID) == NULL) {
        code = iso2_evse_refuse(m, CODE(FAILED_ServiceIDInvalid), "ServiceDetail for a service we do not offer");
    }
    if (code == CODE(OK) && cert) {
        /* ParameterSet 1 {Service = "Installation"}, 2 {Service = "Update"} (the captures). */
        static const char *const kinds[2] = {"Installation", "Update"};
        struct exi_iso2_ServiceParameterListType *pl = &r->ServiceParameterList;
        for (uint16_t i = 0; i < 2u; i++) {
            struct exi_iso2_ParameterSetType *ps = &pl->ParameterSet.array[i];
            ps->ParameterSetID = (int16_t)(i + 1u);
            struct exi_iso2_ParameterType *pa = &ps->Parameter.array[0];
            s_name(pa->Name.characters, &pa->Name.charactersLen, "Service", CFG_EXI_ISO2_PARAMETERTYPE_NAME_LEN);
            s_name(pa->stringValue.characters, &pa->stringValue.charactersLen, kinds[i],
                   CFG_EXI_ISO2_PARAMETERTYPE_STRINGVALUE_LEN);
            pa->stringValue_isUsed = true;
            ps->Parameter.arrayLen = 1;
        }
        pl->ParameterSet.arrayLen = 2;
        r->ServiceParameterList_isUsed = true;
    }
    /* No parameter sets for the value-added services: they have none to choose from. */
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_payment_selection(struct iso2_evse *m, const struct exi_iso2_document *req,
                                       struct exi_iso2_document *res, uint8_t code)
{
    res->V2G_Message.Body.PaymentServiceSelectionRes_isUsed = true;
    if (code == CODE(OK)) {
        const struct exi_iso2_PaymentServiceSelectionReqType *q = &req->V2G_Message.Body.PaymentServiceSelectionReq;
        bool charge = false, unknown = false;
        uint16_t n = q->SelectedServiceList.SelectedService.arrayLen;
        n = n <= CFG_EXI_ISO2_SELECTEDSERVICELISTTYPE_SELECTEDSERVICE_MAX ? n
                                                                          : CFG_EXI_ISO2_SELECTEDSERVICELISTTYPE_SELECTEDSERVICE_MAX;
        for (uint16_t i = 0; i < n; i++) {
            uint16_t id = q->SelectedServiceList.SelectedService.array[i].ServiceID;
            if (id == 1) {
                charge = true;
            } else if (s_vas(m, id) == NULL &&
                       !(id == ISO2_EVSE_CERT_SERVICE_ID && iso2_evse_cert_offered(m))) {
                unknown = true;
            }
        }
        bool pay_ok = q->SelectedPaymentOption == exi_iso2_paymentOptionType_ExternalPayment ||
                      (q->SelectedPaymentOption == exi_iso2_paymentOptionType_Contract && iso2_evse_contract_offered(m));
        if (!pay_ok) {
            code = iso2_evse_refuse(m, CODE(FAILED_PaymentSelectionInvalid), "payment option not offered");
        } else if (!charge) {
            code = iso2_evse_refuse(m, CODE(FAILED_NoChargeServiceSelected), "charge service (ServiceID 1) not selected");
        } else if (unknown) {
            code = iso2_evse_refuse(m, CODE(FAILED_ServiceSelectionInvalid), "a selected service was not offered");
        } else {
            m->ev.payment = q->SelectedPaymentOption;
            m->phase = ISO2_EVSE_AUTHORIZATION;
        }
    }
    res->V2G_Message.Body.PaymentServiceSelectionRes.ResponseCode = code;
    return code;
}

/* Certificate installation and update: the sequence allows them after Contract, the
 * certificate provider does not exist yet, so they end the session with FAILED and say so.
 * (PaymentDetails is iso2_evse_pnc.c's.) */
uint8_t iso2_evse_on_authorization(struct iso2_evse *m, const struct exi_iso2_document *req,
                                   const struct iso2_evse_status *st, struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code,
                                   uint32_t now_ms)
{
    struct exi_iso2_AuthorizationResType *r = &res->V2G_Message.Body.AuthorizationRes;
    res->V2G_Message.Body.AuthorizationRes_isUsed = true;
    /* [V2G2-854]: EIM without a result yet waits for the customer. */
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing_WaitingForCustomerInteraction;
    if (code == CODE(OK) && m->ev.payment == exi_iso2_paymentOptionType_Contract) {
        /* Contract: the car's signature over this request and the challenge first; the
         * station then authorizes the eMAID like any token. */
        code = iso2_evse_check_contract_auth(m, req, out, code);
    }
    if (code == CODE(OK)) {
        if (m->loop_msg != ISO2_MSG_AUTHORIZATION) {
            out->events |= ISO2_EVSE_EV_AUTHORIZE;
        }
        uint32_t el = iso2_evse_loop_elapsed(m, ISO2_MSG_AUTHORIZATION, now_ms);
        if (st->dc.auth_rejected) {
            code = iso2_evse_refuse(m, CODE(FAILED), "authorization refused");
        } else if (st->dc.auth_done) {
            r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
            m->phase = ISO2_EVSE_CHARGE_PARAMETER;
        } else if (el >= m->cfg.ongoing_timeout_ms) {
            code = iso2_evse_refuse(m, CODE(FAILED), "authorization not answered within the ongoing timeout");
            out->events |= ISO2_EVSE_EV_TIMEOUT;
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    r->ResponseCode = code;
    return code;
}
