/*
 * iso20_evse_setup.c - owns the -20 charger's answers from SessionSetup to
 * ServiceSelection: the new or resumed session, EIM authorization (the PnC seam),
 * the energy services offered (DC; DC_BPT only when the stage can discharge), their
 * parameter sets, and the check of the EV's selection (spec sheet §2.3-2.5).
 */
#include "iso20/iso20_evse_priv.h"

#include <string.h>

#include "hal_clock.h"

/* Our parameter sets: ID 1 dynamic, ID 2 scheduled (as the D20 lab charger numbers its
 * first set dynamic), each only when the mode is configured. */
#define SET_DYNAMIC 1u
#define SET_SCHEDULED 2u

static bool s_set_offered(const struct iso20_evse *m, uint16_t set)
{
    return (set == SET_DYNAMIC && m->cfg.dynamic) || (set == SET_SCHEDULED && m->cfg.scheduled);
}

uint8_t iso20_evse_on_session_setup(struct iso20_evse *m, const struct exi_iso20_document *req,
                                    struct exi_iso20_document *res, struct iso20_evse_request *out, uint8_t code)
{
    const struct exi_iso20_SessionSetupReqType *q = &req->SessionSetupReq;
    struct exi_iso20_SessionSetupResType *r = &res->SessionSetupRes;
    res->SessionSetupRes_isUsed = true;
    size_t n = strlen(m->cfg.evse_id);
    memcpy(r->EVSEID.characters, m->cfg.evse_id, n);
    r->EVSEID.charactersLen = (uint16_t)n;
    if (code != CODE(OK)) {
        r->ResponseCode = code;
        return code;
    }
    uint16_t el = q->EVCCID.charactersLen <= ISO20_EVCCID_MAX ? q->EVCCID.charactersLen : (uint16_t)ISO20_EVCCID_MAX;
    memset(m->ev.evccid, 0, sizeof m->ev.evccid);
    memcpy(m->ev.evccid, q->EVCCID.characters, el);
    m->ev.evccid_len = (uint8_t)el;
    out->events |= ISO20_EVSE_EV_SESSION;
    /* Resume ([V2G20-1541], [V2G20-2545]): the paused session's ID from the same EVCC.
     * The identity check is the EVCCID (the method is free; without a vehicle
     * certificate from mutual TLS it is what we have, docs/iso15118-20.md). */
    const struct iso20_evse_resume *p = &m->resume;
    if (p->valid && q->Header.SessionID.bytesLen == ISO20_SESSION_ID_LEN &&
        memcmp(q->Header.SessionID.bytes, p->id, ISO20_SESSION_ID_LEN) == 0 && p->evccid_len == m->ev.evccid_len &&
        memcmp(p->evccid, m->ev.evccid, p->evccid_len) == 0) {
        memcpy(m->id, p->id, ISO20_SESSION_ID_LEN);
        m->ev.service_id = p->service_id;
        m->ev.parameter_set_id = p->parameter_set_id;
        m->ev.control_mode = p->control_mode;
        m->ev.tuple_id = p->tuple_id;
        m->auth_done = true;
        m->offered = iso20_evse_service_bit(p->service_id);
        m->detailed = m->offered;
        m->phase = ISO20_EVSE_CHARGE_PARAMETER; /* [V2G20-1843]: CPD next */
        out->events |= ISO20_EVSE_EV_RESUMED | ISO20_EVSE_EV_AUTHORIZE;
        m->resume.valid = false;
        r->ResponseCode = CODE(OK_OldSessionJoined);
        return r->ResponseCode;
    }
    m->resume.valid = false; /* [V2G20-2626]: any other ID starts afresh */
    m->phase = ISO20_EVSE_AUTH_SETUP;
    r->ResponseCode = CODE(OK_NewSessionEstablished);
    return r->ResponseCode;
}

uint8_t iso20_evse_on_auth_setup(struct iso20_evse *m, struct exi_iso20_document *res, uint8_t code)
{
    struct exi_iso20_AuthorizationSetupResType *r = &res->AuthorizationSetupRes;
    res->AuthorizationSetupRes_isUsed = true;
    /* EIM only. The PnC seam: offering PnC needs the challenge element instead
     * (PnC_ASResAuthorizationMode, [V2G20-2567]) and mutual TLS; not implemented. */
    r->AuthorizationServices.array[0] = (uint8_t)exi_iso20_authorizationType_EIM;
    r->AuthorizationServices.arrayLen = 1;
    r->CertificateInstallationService = false;
    r->EIM_ASResAuthorizationMode_isUsed = true;
    if (code == CODE(OK)) {
        m->phase = ISO20_EVSE_AUTHORIZATION;
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso20_evse_on_authorization(struct iso20_evse *m, const struct exi_iso20_document *req,
                                    const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                    struct iso20_evse_request *out, uint8_t code, uint32_t now_ms)
{
    const struct exi_iso20_AuthorizationReqType *q = &req->AuthorizationReq;
    struct exi_iso20_AuthorizationResType *r = &res->AuthorizationRes;
    res->AuthorizationRes_isUsed = true;
    r->EVSEProcessing = (uint8_t)exi_iso20_processingType_Finished;
    if (code == CODE(OK) && (q->SelectedAuthorizationService != exi_iso20_authorizationType_EIM ||
                             !q->EIM_AReqAuthorizationMode_isUsed)) {
        /* [V2G20-2209]: a service we did not offer; the session continues. */
        m->reason = "PnC authorization asked for; only EIM is offered";
        r->ResponseCode = CODE(WARNING_AuthorizationSelectionInvalid);
        return r->ResponseCode;
    }
    if (code == CODE(OK)) {
        if (!m->auth_started) {
            m->auth_started = true;
            out->events |= ISO20_EVSE_EV_AUTHORIZE;
        }
        if (st->dc.auth_done) {
            m->auth_done = true;
            m->phase = ISO20_EVSE_SERVICE_DISCOVERY;
        } else if (st->dc.auth_rejected) {
            /* [V2G20-2219]: WARNING + Finished; the EV may retry or stop. */
            m->reason = "EIM authorization refused";
            code = CODE(WARNING_EIMAuthorizationFailure);
        } else if (iso20_evse_loop_elapsed(m, ISO20_MSG_AUTHORIZATION, now_ms) > m->cfg.ongoing_timeout_ms) {
            code = iso20_evse_refuse(m, CODE(FAILED), "authorization still pending at the ongoing limit");
        } else {
            r->EVSEProcessing = (uint8_t)exi_iso20_processingType_Ongoing;
        }
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso20_evse_on_service_discovery(struct iso20_evse *m, const struct exi_iso20_document *req,
                                        const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                        uint8_t code)
{
    const struct exi_iso20_ServiceDiscoveryReqType *q = &req->ServiceDiscoveryReq;
    struct exi_iso20_ServiceDiscoveryResType *r = &res->ServiceDiscoveryRes;
    res->ServiceDiscoveryRes_isUsed = true;
    r->ServiceRenegotiationSupported = m->cfg.service_renegotiation; /* [V2G20-1931]: constant */
    uint8_t offer = ISO20_BIT_DC;
    if (m->cfg.offer_bpt && st->can_discharge) {
        offer |= ISO20_BIT_BPT; /* truthful: a stage that cannot discharge gets no BPT */
    }
    if (q->SupportedServiceIDs_isUsed) {
        uint8_t want = 0;
        for (uint16_t i = 0; i < q->SupportedServiceIDs.ServiceID.arrayLen; i++) {
            want |= iso20_evse_service_bit(q->SupportedServiceIDs.ServiceID.array[i]);
        }
        /* The list must hold one service: with no overlap we list ours (the EV sees why). */
        if ((offer & want) != 0) {
            offer &= want;
        }
    }
    uint16_t n = 0;
    if (offer & ISO20_BIT_DC) {
        r->EnergyTransferServiceList.Service.array[n].ServiceID = ISO20_SERVICE_DC;
        r->EnergyTransferServiceList.Service.array[n++].FreeService = m->cfg.free_service;
    }
    if (offer & ISO20_BIT_BPT) {
        r->EnergyTransferServiceList.Service.array[n].ServiceID = ISO20_SERVICE_DC_BPT;
        r->EnergyTransferServiceList.Service.array[n++].FreeService = m->cfg.free_service;
    }
    r->EnergyTransferServiceList.Service.arrayLen = n;
    if (code == CODE(OK)) {
        m->offered = offer;
        m->detailed = 0;
        m->phase = ISO20_EVSE_SERVICE_DETAIL;
    }
    r->ResponseCode = code;
    return code;
}

static void s_param(struct exi_iso20_ParameterSetType *s, const char *name, int32_t v)
{
    struct exi_iso20_ParameterType *p = &s->Parameter.array[s->Parameter.arrayLen++];
    size_t n = strlen(name);
    memcpy(p->Name.characters, name, n);
    p->Name.charactersLen = (uint16_t)n;
    p->intValue = v;
    p->intValue_isUsed = true;
}

uint8_t iso20_evse_on_service_detail(struct iso20_evse *m, const struct exi_iso20_document *req,
                                     struct exi_iso20_document *res, uint8_t code)
{
    uint16_t sid = req->ServiceDetailReq.ServiceID;
    struct exi_iso20_ServiceDetailResType *r = &res->ServiceDetailRes;
    res->ServiceDetailRes_isUsed = true;
    r->ServiceID = sid;
    uint8_t bit = iso20_evse_service_bit(sid);
    if (code == CODE(OK) && (bit & m->offered) == 0) {
        code = iso20_evse_refuse(m, CODE(FAILED_ServiceIDInvalid), "ServiceDetail for a service never offered");
    }
    /* Table 207/208 parameters as intValue (D20 f118); one set per control mode. */
    struct exi_iso20_ParameterSetType *sets = r->ServiceParameterList.ParameterSet.array;
    uint16_t n = 0;
    for (uint16_t id = SET_DYNAMIC; id <= SET_SCHEDULED; id++) {
        if (!s_set_offered(m, id)) {
            continue;
        }
        struct exi_iso20_ParameterSetType *s = &sets[n++];
        s->ParameterSetID = id;
        s_param(s, "Connector", m->cfg.connector);
        s_param(s, "ControlMode", id == SET_DYNAMIC ? (int32_t)ISO20_CONTROL_DYNAMIC : (int32_t)ISO20_CONTROL_SCHEDULED);
        s_param(s, "MobilityNeedsMode", 1); /* ProvidedByEVCC */
        s_param(s, "Pricing", 0);
        if (bit == ISO20_BIT_BPT) {
            s_param(s, "BPTChannel", 1);    /* Unified */
            s_param(s, "GeneratorMode", 1); /* GridFollowing */
        }
    }
    r->ServiceParameterList.ParameterSet.arrayLen = n;
    if (code == CODE(OK)) {
        m->detailed |= bit;
        m->phase = ISO20_EVSE_SERVICE_SELECTION;
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso20_evse_on_service_selection(struct iso20_evse *m, const struct exi_iso20_document *req,
                                        struct exi_iso20_document *res, uint8_t code)
{
    const struct exi_iso20_ServiceSelectionReqType *q = &req->ServiceSelectionReq;
    res->ServiceSelectionRes_isUsed = true;
    uint16_t sid = q->SelectedEnergyTransferService.ServiceID;
    uint16_t set = q->SelectedEnergyTransferService.ParameterSetID;
    if (code == CODE(OK) && (iso20_evse_service_bit(sid) & m->offered) == 0) {
        code = iso20_evse_refuse(m, CODE(FAILED_NoEnergyTransferServiceSelected),
                                 "ServiceSelection of an energy service never offered");
    }
    if (code == CODE(OK) && !s_set_offered(m, set)) {
        code = iso20_evse_refuse(m, CODE(FAILED_ServiceSelectionInvalid), "ServiceSelection of a parameter set never offered");
    }
    if (code == CODE(OK) && q->SelectedVASList_isUsed && q->SelectedVASList.SelectedService.arrayLen > 0) {
        code = iso20_evse_refuse(m, CODE(FAILED_ServiceSelectionInvalid), "value-added service selected; none offered");
    }
    if (code == CODE(OK)) {
        m->ev.service_id = sid;
        m->ev.parameter_set_id = set;
        m->ev.control_mode = set == SET_DYNAMIC ? (uint8_t)ISO20_CONTROL_DYNAMIC : (uint8_t)ISO20_CONTROL_SCHEDULED;
        m->phase = ISO20_EVSE_CHARGE_PARAMETER;
    }
    res->ServiceSelectionRes.ResponseCode = code;
    return code;
}

/* Certificate installation, metering confirmation, vehicle check-in/out: not offered. */
uint8_t iso20_evse_on_unsupported(struct iso20_evse *m, enum iso20_msg k, struct exi_iso20_document *res,
                                  uint8_t code)
{
    if (code == CODE(OK)) {
        code = iso20_evse_refuse(m, CODE(FAILED_SequenceError), "a message of a service this charger does not offer");
    }
    switch (k) {
    case ISO20_MSG_METERING_CONFIRMATION:
        res->MeteringConfirmationRes_isUsed = true;
        res->MeteringConfirmationRes.ResponseCode = code;
        break;
    case ISO20_MSG_VEHICLE_CHECK:
        res->VehicleCheckInRes_isUsed = true;
        res->VehicleCheckInRes.ResponseCode = code;
        break;
    case ISO20_MSG_CERTIFICATE:
    default:
        /* CertificateInstallationRes carries signed installation data we cannot make
         * (PnC is not offered): the refusal goes out as SessionStopRes, the one complete
         * answer that tells every EV the session is over. */
        res->SessionStopRes_isUsed = true;
        res->SessionStopRes.ResponseCode = code;
        break;
    }
    return code;
}
