/*
 * iso2_evse.c - owns the ISO 15118-2 DC EIM session of one connector, charger side: which
 * request each phase accepts, every response with its mandatory fields, the FAILED_*
 * codes and the phase after each answer, the loop and sequence timers, the schedule we
 * offer and the pause/resume bookkeeping (iso2_evse.h, docs/iso15118-2.md).
 */
#include "iso2/iso2_evse.h"

#include <string.h>

#include "hal_clock.h"

#define CODE(x) ((uint8_t)exi_iso2_responseCodeType_##x)

void iso2_evse_default_config(struct iso2_evse_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->evse_id, "ZZ00000", 8);
    cfg->energy_mode = exi_iso2_EnergyTransferModeType_DC_extended;
    cfg->sequence_timeout_ms = ISO2_SEQUENCE_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO2_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO2_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO2_PRECHARGE_TIMEOUT_MS;
    cfg->perf_time_ms = ISO2_PERF_TIME_MS;
    cfg->perf_time_cd_ms = ISO2_PERF_TIME_CD_MS;
    cfg->precharge_current_max_ma = 2000;
    cfg->tariff_id = 1;
}

/* strnlen() is POSIX, not C11: the board libraries need not have it. */
static size_t s_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0') {
        n++;
    }
    return n;
}

static bool s_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

static void s_ev_reset(struct iso2_evse_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->max_power_w = -1;
    ev->energy_capacity_wh = -1;
    ev->energy_request_wh = -1;
    ev->full_soc = -1;
    ev->bulk_soc = -1;
    ev->remaining_full_s = -1;
    ev->remaining_bulk_s = -1;
    ev->departure_s = -1;
    ev->payment = exi_iso2_paymentOptionType_ExternalPayment;
}

int iso2_evse_start(struct iso2_evse *m, const struct iso2_evse_config *cfg, const uint8_t *id,
                    size_t id_len, const struct iso2_evse_resume *resume, uint32_t now_ms)
{
    size_t idl = cfg != NULL ? s_len(cfg->evse_id, sizeof cfg->evse_id) : 0;
    if (m == NULL || cfg == NULL || id == NULL || id_len == 0 || id_len > ISO2_SESSION_ID_MAX ||
        s_zero(id, id_len) || idl < 7 || idl > ISO2_EVSE_ID_LEN || cfg->vas_count > ISO2_EVSE_VAS_MAX ||
        cfg->tariff_count > ISO2_EVSE_TARIFF_MAX) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    memcpy(m->id, id, id_len);
    m->id_len = (uint8_t)id_len;
    if (resume != NULL && resume->valid && resume->id_len > 0 && resume->id_len <= ISO2_SESSION_ID_MAX) {
        m->resume = *resume;
        /* [V2G2-756]: a new ID differs from the stored one. */
        if (m->id_len == resume->id_len && memcmp(m->id, resume->id, m->id_len) == 0) {
            m->id[0] ^= 0x5A;
            if (s_zero(m->id, m->id_len)) {
                m->id[0] = 1;
            }
        }
    }
    s_ev_reset(&m->ev);
    m->reason = "";
    m->phase = ISO2_EVSE_SESSION_SETUP;
    m->last_res_ms = now_ms;
    m->req_ms = now_ms;
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

static int32_t s_nonneg(int32_t v)
{
    return v < 0 ? 0 : v;
}

const char *iso2_evse_phase_name(enum iso2_evse_phase p)
{
    static const char *const names[ISO2_EVSE_PHASE_COUNT] = {
        "idle", "session_setup", "service_discovery", "service_selection", "authorization",
        "charge_parameter", "cable_check", "precharge", "power_delivery", "current_demand",
        "welding_detection", "stopped", "paused", "failed", "timed_out",
    };
    return (unsigned)p < ISO2_EVSE_PHASE_COUNT ? names[p] : "?";
}

static bool s_emergency(uint8_t code)
{
    return code == exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
           code >= exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static uint8_t s_code(const struct iso2_evse_status *st)
{
    return st->status_code <= exi_iso2_DC_EVSEStatusCodeType_Reserved_C
               ? st->status_code
               : (uint8_t)exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static void s_dc_status(struct exi_iso2_DC_EVSEStatusType *s, const struct iso2_evse_status *st, uint8_t code)
{
    s->EVSEIsolationStatus = st->isolation <= exi_iso2_isolationLevelType_No_IMD
                                 ? st->isolation
                                 : (uint8_t)exi_iso2_isolationLevelType_Invalid;
    s->EVSEIsolationStatus_isUsed = true;
    s->EVSEStatusCode = code;
    s->NotificationMaxDelay = st->notification_max_delay_s;
    s->EVSENotification = st->notification <= exi_iso2_EVSENotificationType_ReNegotiation
                              ? st->notification
                              : (uint8_t)exi_iso2_EVSENotificationType_StopCharging;
}

static void s_ev_status(struct iso2_evse *m, const struct exi_iso2_DC_EVStatusType *s,
                        struct iso2_evse_request *out)
{
    m->ev.ready = s->EVReady;
    m->ev.error_code = s->EVErrorCode;
    m->ev.soc = s->EVRESSSOC;
    if (s->EVErrorCode != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
        out->events |= ISO2_EVSE_EV_EV_ERROR;
    }
}

/* Which requests each phase accepts. SessionStop(Terminate) is taken before power flows
 * and after it stopped (a car that gives up early, Audi Q4 in the spec sheet); Pause is
 * judged by the SessionStop handler. */
static bool s_allowed(const struct iso2_evse *m, enum iso2_msg k)
{
    bool stop = k == ISO2_MSG_SESSION_STOP;
    switch (m->phase) {
    case ISO2_EVSE_SESSION_SETUP: return k == ISO2_MSG_SESSION_SETUP;
    case ISO2_EVSE_SERVICE_DISCOVERY: return k == ISO2_MSG_SERVICE_DISCOVERY || stop;
    case ISO2_EVSE_SERVICE_SELECTION:
        return k == ISO2_MSG_SERVICE_DETAIL || k == ISO2_MSG_PAYMENT_SELECTION || stop;
    case ISO2_EVSE_AUTHORIZATION:
        return k == ISO2_MSG_AUTHORIZATION || k == ISO2_MSG_PAYMENT_DETAILS || k == ISO2_MSG_CERTIFICATE || stop;
    case ISO2_EVSE_CHARGE_PARAMETER: return k == ISO2_MSG_CHARGE_PARAMETER || stop;
    case ISO2_EVSE_CABLE_CHECK: return k == ISO2_MSG_CABLE_CHECK || stop;
    case ISO2_EVSE_PRECHARGE:
        return k == ISO2_MSG_PRECHARGE || stop || (k == ISO2_MSG_POWER_DELIVERY && m->precharge_seen);
    case ISO2_EVSE_POWER_DELIVERY: return k == ISO2_MSG_CURRENT_DEMAND || k == ISO2_MSG_POWER_DELIVERY;
    case ISO2_EVSE_CURRENT_DEMAND:
        return k == ISO2_MSG_CURRENT_DEMAND || k == ISO2_MSG_POWER_DELIVERY || k == ISO2_MSG_METERING_RECEIPT;
    case ISO2_EVSE_WELDING: return k == ISO2_MSG_WELDING_DETECTION || stop;
    default: return false;
    }
}

static uint32_t s_loop_elapsed(struct iso2_evse *m, enum iso2_msg k, uint32_t now_ms)
{
    if (m->loop_msg != k) {
        m->loop_msg = k;
        m->loop_since_ms = now_ms;
        return 0;
    }
    int32_t d = hal_time_diff(now_ms, m->loop_since_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

/* A FAILED answer: the code and why, kept for the session record. */
static uint8_t s_fail(struct iso2_evse *m, uint8_t code, const char *why)
{
    m->reason = why;
    return code;
}

static void s_evse_id(char *dst, uint16_t *len, const struct iso2_evse *m)
{
    size_t n = s_len(m->cfg.evse_id, sizeof m->cfg.evse_id);
    memcpy(dst, m->cfg.evse_id, n);
    *len = (uint16_t)n;
}

/* ------------------------------------------------------------------ messages
 * As in the DIN machine, each builder fills every mandatory field whatever the outcome and
 * only applies its rules while `code` is still OK. */

static uint8_t s_session_setup(struct iso2_evse *m, const struct exi_iso2_document *req,
                               const struct iso2_evse_status *st, struct exi_iso2_document *res,
                               struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_SessionSetupResType *r = &res->V2G_Message.Body.SessionSetupRes;
    res->V2G_Message.Body.SessionSetupRes_isUsed = true;
    s_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    if (st->unix_time_s != 0) {
        r->EVSETimeStamp = st->unix_time_s;
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
    size_t n = s_len(src, cap);
    memcpy(dst, src, n);
    *len = (uint16_t)n;
}

static uint8_t s_service_discovery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                   struct exi_iso2_document *res, uint8_t code)
{
    struct exi_iso2_ServiceDiscoveryResType *r = &res->V2G_Message.Body.ServiceDiscoveryRes;
    res->V2G_Message.Body.ServiceDiscoveryRes_isUsed = true;
    uint16_t np = 0;
    r->PaymentOptionList.PaymentOption.array[np++] = exi_iso2_paymentOptionType_ExternalPayment;
    if (m->cfg.offer_contract) {
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

static uint8_t s_service_detail(struct iso2_evse *m, const struct exi_iso2_document *req,
                                struct exi_iso2_document *res, uint8_t code)
{
    struct exi_iso2_ServiceDetailResType *r = &res->V2G_Message.Body.ServiceDetailRes;
    res->V2G_Message.Body.ServiceDetailRes_isUsed = true;
    r->ServiceID = req->V2G_Message.Body.ServiceDetailReq.ServiceID;
    if (code == CODE(OK) && s_vas(m, r->ServiceID) == NULL) {
        code = s_fail(m, CODE(FAILED_ServiceIDInvalid), "ServiceDetail for a service we do not offer");
    }
    /* No parameter sets: the services we list have none to choose from. */
    r->ResponseCode = code;
    return code;
}

static uint8_t s_payment_selection(struct iso2_evse *m, const struct exi_iso2_document *req,
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
            } else if (s_vas(m, id) == NULL) {
                unknown = true;
            }
        }
        bool pay_ok = q->SelectedPaymentOption == exi_iso2_paymentOptionType_ExternalPayment ||
                      (q->SelectedPaymentOption == exi_iso2_paymentOptionType_Contract && m->cfg.offer_contract);
        if (!pay_ok) {
            code = s_fail(m, CODE(FAILED_PaymentSelectionInvalid), "payment option not offered");
        } else if (!charge) {
            code = s_fail(m, CODE(FAILED_NoChargeServiceSelected), "charge service (ServiceID 1) not selected");
        } else if (unknown) {
            code = s_fail(m, CODE(FAILED_ServiceSelectionInvalid), "a selected service was not offered");
        } else {
            m->ev.payment = q->SelectedPaymentOption;
            m->phase = ISO2_EVSE_AUTHORIZATION;
        }
    }
    res->V2G_Message.Body.PaymentServiceSelectionRes.ResponseCode = code;
    return code;
}

/* Plug & Charge messages: the sequence allows them after Contract, the backend does not
 * exist yet, so they end the session with FAILED and say so. */
static uint8_t s_pnc(struct iso2_evse *m, enum iso2_msg k, const struct exi_iso2_document *req,
                     struct exi_iso2_document *res, uint8_t code)
{
    if (code == CODE(OK)) {
        code = s_fail(m, m->ev.payment == exi_iso2_paymentOptionType_Contract ? CODE(FAILED) : CODE(FAILED_SequenceError),
                      "Plug & Charge is not implemented");
    }
    struct exi_iso2_BodyType *b = &res->V2G_Message.Body;
    if (k == ISO2_MSG_PAYMENT_DETAILS) {
        b->PaymentDetailsRes_isUsed = true;
        b->PaymentDetailsRes.ResponseCode = code;
        b->PaymentDetailsRes.GenChallenge.bytesLen = 16;
    } else if (req->V2G_Message.Body.CertificateInstallationReq_isUsed) {
        /* Its response needs certificates we do not have: a FAILED with empty fields is
         * the closest valid answer. */
        b->CertificateInstallationRes_isUsed = true;
        b->CertificateInstallationRes.ResponseCode = code;
    } else {
        b->CertificateUpdateRes_isUsed = true;
        b->CertificateUpdateRes.ResponseCode = code;
    }
    return code;
}

static uint8_t s_authorization(struct iso2_evse *m, const struct iso2_evse_status *st,
                               struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code,
                               uint32_t now_ms)
{
    struct exi_iso2_AuthorizationResType *r = &res->V2G_Message.Body.AuthorizationRes;
    res->V2G_Message.Body.AuthorizationRes_isUsed = true;
    /* [V2G2-854]: EIM without a result yet waits for the customer. */
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing_WaitingForCustomerInteraction;
    if (code == CODE(OK)) {
        if (m->loop_msg != ISO2_MSG_AUTHORIZATION) {
            out->events |= ISO2_EVSE_EV_AUTHORIZE;
        }
        uint32_t el = s_loop_elapsed(m, ISO2_MSG_AUTHORIZATION, now_ms);
        if (st->auth_rejected) {
            code = s_fail(m, CODE(FAILED), "authorization refused");
        } else if (st->auth_done) {
            r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
            m->phase = ISO2_EVSE_CHARGE_PARAMETER;
        } else if (el >= m->cfg.ongoing_timeout_ms) {
            code = s_fail(m, CODE(FAILED), "authorization not answered within the ongoing timeout");
            out->events |= ISO2_EVSE_EV_TIMEOUT;
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    r->ResponseCode = code;
    return code;
}

/* The PMax schedule we offer: the charger's entries, or one of its power limit. */
static void s_schedule(struct iso2_evse *m, const struct iso2_evse_status *st)
{
    m->offered_tuple = st->tuple_id != 0 ? st->tuple_id : 1;
    m->offered_limit_w = st->max_power_w;
    if (st->pmax_count == 0) {
        m->offered_count = 1;
        m->offered[0].start_s = 0;
        m->offered[0].pmax_w = st->max_power_w > 0 ? (uint32_t)st->max_power_w : 0u;
        return;
    }
    m->offered_count = st->pmax_count <= ISO2_EVSE_PMAX_MAX ? st->pmax_count : (uint8_t)ISO2_EVSE_PMAX_MAX;
    memcpy(m->offered, st->pmax, m->offered_count * sizeof m->offered[0]);
    m->offered[0].start_s = 0; /* a schedule starts now */
}

/* PMax in force at @p t seconds from the schedule start. */
static uint32_t s_pmax_at(const struct iso2_evse *m, uint32_t t)
{
    uint32_t p = m->offered[0].pmax_w;
    for (uint8_t i = 1; i < m->offered_count; i++) {
        if (m->offered[i].start_s <= t) {
            p = m->offered[i].pmax_w;
        }
    }
    return p;
}

static void s_fill_tuple(struct iso2_evse *m, struct exi_iso2_SAScheduleListType *l)
{
    struct exi_iso2_SAScheduleTupleType *t = &l->SAScheduleTuple.array[0];
    l->SAScheduleTuple.arrayLen = 1;
    t->SAScheduleTupleID = m->offered_tuple;
    /* [V2G2-303]/[V2G2-304]: up to the departure time, else 24 h. */
    uint32_t total = m->ev.departure_s > 0 ? (uint32_t)m->ev.departure_s : ISO2_SCHEDULE_DEFAULT_S;
    uint16_t n = m->offered_count;
    for (uint16_t i = 0; i < n; i++) {
        struct exi_iso2_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[i];
        e->RelativeTimeInterval_isUsed = true;
        e->RelativeTimeInterval.start = m->offered[i].start_s;
        if (i + 1 == n) {
            /* The last entry runs to the end (a charger entry past the departure time
             * keeps its own length unknown: no duration, until renegotiated). */
            uint32_t s = m->offered[i].start_s;
            if (total > s) {
                uint32_t d = total - s;
                e->RelativeTimeInterval.duration = d > ISO2_SCHEDULE_DEFAULT_S ? ISO2_SCHEDULE_DEFAULT_S : d;
                e->RelativeTimeInterval.duration_isUsed = true;
            }
        }
        iso2_pv_set(&e->PMax, (int64_t)m->offered[i].pmax_w * 1000, exi_iso2_unitSymbolType_W);
    }
    t->PMaxSchedule.PMaxScheduleEntry.arrayLen = n;
    if (m->cfg.tariff_count > 0) {
        struct exi_iso2_SalesTariffType *s = &t->SalesTariff;
        t->SalesTariff_isUsed = true;
        s->SalesTariffID = m->cfg.tariff_id != 0 ? m->cfg.tariff_id : 1;
        if (m->cfg.tariff_levels > 0) {
            s->NumEPriceLevels = m->cfg.tariff_levels;
            s->NumEPriceLevels_isUsed = true;
        }
        uint16_t c = m->cfg.tariff_count;
        for (uint16_t i = 0; i < c; i++) {
            struct exi_iso2_SalesTariffEntryType *e = &s->SalesTariffEntry.array[i];
            e->RelativeTimeInterval_isUsed = true;
            e->RelativeTimeInterval.start = m->cfg.tariff[i].start_s;
            if (i + 1 == c && total > m->cfg.tariff[i].start_s) {
                uint32_t d = total - m->cfg.tariff[i].start_s;
                e->RelativeTimeInterval.duration = d > ISO2_SCHEDULE_DEFAULT_S ? ISO2_SCHEDULE_DEFAULT_S : d;
                e->RelativeTimeInterval.duration_isUsed = true;
            }
            e->EPriceLevel = m->cfg.tariff[i].price_level;
            e->EPriceLevel_isUsed = true;
        }
        s->SalesTariffEntry.arrayLen = c;
    }
}

static uint8_t s_charge_parameter(struct iso2_evse *m, const struct exi_iso2_document *req,
                                  const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                  struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_ChargeParameterDiscoveryResType *r = &res->V2G_Message.Body.ChargeParameterDiscoveryRes;
    res->V2G_Message.Body.ChargeParameterDiscoveryRes_isUsed = true;
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing;
    r->DC_EVSEChargeParameter_isUsed = true;
    struct exi_iso2_DC_EVSEChargeParameterType *p = &r->DC_EVSEChargeParameter;
    s_dc_status(&p->DC_EVSEStatus, st, s_code(st));
    iso2_pv_set(&p->EVSEMaximumCurrentLimit, st->max_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&p->EVSEMaximumPowerLimit, (int64_t)st->max_power_w * 1000, exi_iso2_unitSymbolType_W);
    iso2_pv_set(&p->EVSEMaximumVoltageLimit, st->max_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&p->EVSEMinimumCurrentLimit, st->min_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&p->EVSEMinimumVoltageLimit, st->min_voltage_mv, exi_iso2_unitSymbolType_V);
    if (st->current_regulation_tolerance_ma >= 0) {
        iso2_pv_set(&p->EVSECurrentRegulationTolerance, st->current_regulation_tolerance_ma,
                         exi_iso2_unitSymbolType_A);
        p->EVSECurrentRegulationTolerance_isUsed = true;
    }
    iso2_pv_set(&p->EVSEPeakCurrentRipple, st->peak_current_ripple_ma, exi_iso2_unitSymbolType_A);
    if (st->energy_to_deliver_wh >= 0) {
        iso2_pv_set(&p->EVSEEnergyToBeDelivered, (int64_t)st->energy_to_deliver_wh * 1000,
                         exi_iso2_unitSymbolType_Wh);
        p->EVSEEnergyToBeDelivered_isUsed = true;
    }
    if (code == CODE(OK)) {
        const struct exi_iso2_ChargeParameterDiscoveryReqType *q = &req->V2G_Message.Body.ChargeParameterDiscoveryReq;
        uint32_t el = s_loop_elapsed(m, ISO2_MSG_CHARGE_PARAMETER, now_ms);
        uint8_t mode = q->RequestedEnergyTransferMode;
        bool dc_mode = mode >= exi_iso2_EnergyTransferModeType_DC_core && mode <= exi_iso2_EnergyTransferModeType_DC_unique;
        if (!q->DC_EVChargeParameter_isUsed) {
            code = s_fail(m, CODE(FAILED_WrongChargeParameter), "no DC_EVChargeParameter (AC parameters on DC)");
        } else if (!dc_mode) {
            code = s_fail(m, CODE(FAILED_WrongEnergyTransferMode), "requested energy transfer mode not offered");
        } else {
            const struct exi_iso2_DC_EVChargeParameterType *d = &q->DC_EVChargeParameter;
            s_ev_status(m, &d->DC_EVStatus, out);
            m->ev.max_current_ma = iso2_pv_milli32(&d->EVMaximumCurrentLimit);
            m->ev.max_voltage_mv = iso2_pv_milli32(&d->EVMaximumVoltageLimit);
            m->ev.max_power_w = d->EVMaximumPowerLimit_isUsed
                                    ? (int32_t)(iso2_pv_milli(&d->EVMaximumPowerLimit) / 1000) : -1;
            m->ev.energy_capacity_wh = d->EVEnergyCapacity_isUsed
                                           ? (int32_t)(iso2_pv_milli(&d->EVEnergyCapacity) / 1000) : -1;
            m->ev.energy_request_wh = d->EVEnergyRequest_isUsed
                                          ? (int32_t)(iso2_pv_milli(&d->EVEnergyRequest) / 1000) : -1;
            m->ev.full_soc = d->FullSOC_isUsed ? (int16_t)d->FullSOC : -1;
            m->ev.bulk_soc = d->BulkSOC_isUsed ? (int16_t)d->BulkSOC : -1;
            m->ev.departure_s = d->DepartureTime_isUsed
                                    ? (int32_t)(d->DepartureTime > INT32_MAX ? INT32_MAX : d->DepartureTime) : -1;
            if (m->ev.max_current_ma < 0 || m->ev.max_voltage_mv < 0) {
                code = s_fail(m, CODE(FAILED_WrongChargeParameter), "negative EV limits");
            } else {
                out->events |= ISO2_EVSE_EV_CHARGE_PARAMS;
                if (st->power_ready) {
                    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
                    m->phase = ISO2_EVSE_CABLE_CHECK;
                } else if (el >= m->cfg.ongoing_timeout_ms) {
                    code = s_fail(m, CODE(FAILED), "charge parameters not ready within the ongoing timeout");
                    out->events |= ISO2_EVSE_EV_TIMEOUT;
                }
            }
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    /* The schedule is sent once it is final (EvseV2G: omitted only while Ongoing). */
    if (r->EVSEProcessing == exi_iso2_EVSEProcessingType_Finished && code == CODE(OK)) {
        s_schedule(m, st);
        r->SAScheduleList_isUsed = true;
        s_fill_tuple(m, &r->SAScheduleList);
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_cable_check(struct iso2_evse *m, const struct exi_iso2_document *req,
                             const struct iso2_evse_status *st, struct exi_iso2_document *res,
                             struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_CableCheckResType *r = &res->V2G_Message.Body.CableCheckRes;
    res->V2G_Message.Body.CableCheckRes_isUsed = true;
    uint8_t sc = s_code(st);
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing;
    if (code == CODE(OK)) {
        s_ev_status(m, &req->V2G_Message.Body.CableCheckReq.DC_EVStatus, out);
        if (m->loop_msg != ISO2_MSG_CABLE_CHECK) {
            out->events |= ISO2_EVSE_EV_CABLE_CHECK;
        }
        uint32_t el = s_loop_elapsed(m, ISO2_MSG_CABLE_CHECK, now_ms);
        bool iso_ok = st->isolation == exi_iso2_isolationLevelType_Valid ||
                      st->isolation == exi_iso2_isolationLevelType_Warning;
        if (m->ev.error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            code = s_fail(m, CODE(FAILED), "EV reported an error during cable check");
        } else if (st->cable_check_failed || st->isolation == exi_iso2_isolationLevelType_Fault) {
            code = s_fail(m, CODE(FAILED), "insulation test failed");
        } else if (st->cable_check_done && iso_ok && sc == exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready) {
            r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
            m->phase = ISO2_EVSE_PRECHARGE;
        } else if (el >= m->cfg.cable_check_timeout_ms) {
            code = s_fail(m, CODE(FAILED), "cable check not finished within its timeout");
            out->events |= ISO2_EVSE_EV_TIMEOUT;
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    s_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}

static uint8_t s_precharge(struct iso2_evse *m, const struct exi_iso2_document *req,
                           const struct iso2_evse_status *st, struct exi_iso2_document *res,
                           struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_PreChargeResType *r = &res->V2G_Message.Body.PreChargeRes;
    res->V2G_Message.Body.PreChargeRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    iso2_pv_set(&r->EVSEPresentVoltage, st->present_voltage_mv, exi_iso2_unitSymbolType_V);
    if (code == CODE(OK)) {
        const struct exi_iso2_PreChargeReqType *q = &req->V2G_Message.Body.PreChargeReq;
        s_ev_status(m, &q->DC_EVStatus, out);
        uint32_t el = s_loop_elapsed(m, ISO2_MSG_PRECHARGE, now_ms);
        if (m->ev.error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            code = s_fail(m, CODE(FAILED), "EV reported an error during pre-charge");
        } else {
            /* Re-applied every time (BMW i3 sends a wrong first target). */
            m->ev.target_voltage_mv = s_nonneg(iso2_pv_milli32(&q->EVTargetVoltage));
            int32_t i = s_nonneg(iso2_pv_milli32(&q->EVTargetCurrent));
            m->ev.target_current_ma = i > m->cfg.precharge_current_max_ma ? m->cfg.precharge_current_max_ma : i;
            out->events |= ISO2_EVSE_EV_PRECHARGE;
            m->precharge_seen = true;
            if (el >= m->cfg.precharge_timeout_ms && !m->precharge_long) {
                m->precharge_long = true;
                out->events |= ISO2_EVSE_EV_PRECHARGE_LONG;
            }
        }
    }
    r->ResponseCode = code;
    return code;
}

/* [V2G2-224]/[V2G2-225]: every profile entry within the PMax in force at its start. */
static bool s_profile_ok(const struct iso2_evse *m, const struct exi_iso2_ChargingProfileType *p)
{
    uint16_t n = p->ProfileEntry.arrayLen;
    n = n <= CFG_EXI_ISO2_CHARGINGPROFILETYPE_PROFILEENTRY_MAX ? n : CFG_EXI_ISO2_CHARGINGPROFILETYPE_PROFILEENTRY_MAX;
    for (uint16_t i = 0; i < n; i++) {
        const struct exi_iso2_ProfileEntryType *e = &p->ProfileEntry.array[i];
        int64_t w = iso2_pv_milli(&e->ChargingProfileEntryMaxPower) / 1000;
        if (w > (int64_t)s_pmax_at(m, e->ChargingProfileEntryStart)) {
            return false;
        }
    }
    return true;
}

static uint8_t s_power_delivery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_PowerDeliveryResType *r = &res->V2G_Message.Body.PowerDeliveryRes;
    res->V2G_Message.Body.PowerDeliveryRes_isUsed = true;
    r->DC_EVSEStatus_isUsed = true;
    uint8_t sc = s_code(st);
    if (code == CODE(OK)) {
        const struct exi_iso2_PowerDeliveryReqType *q = &req->V2G_Message.Body.PowerDeliveryReq;
        if (q->DC_EVPowerDeliveryParameter_isUsed) {
            const struct exi_iso2_DC_EVPowerDeliveryParameterType *d = &q->DC_EVPowerDeliveryParameter;
            s_ev_status(m, &d->DC_EVStatus, out);
            m->ev.charging_complete = d->ChargingComplete;
            m->ev.bulk_charging_complete = d->BulkChargingComplete_isUsed && d->BulkChargingComplete;
        }
        uint8_t cp = q->ChargeProgress;
        if (cp == exi_iso2_chargeProgressType_Start) {
            if (m->phase != ISO2_EVSE_PRECHARGE) {
                code = s_fail(m, CODE(FAILED), "PowerDelivery(Start) after the charge loop ([V2G2-812])");
            } else if (m->offered_tuple == 0 || q->SAScheduleTupleID != m->offered_tuple) {
                code = s_fail(m, CODE(FAILED_TariffSelectionInvalid), "SAScheduleTupleID never offered");
            } else if (q->ChargingProfile_isUsed && !s_profile_ok(m, &q->ChargingProfile)) {
                code = s_fail(m, CODE(FAILED_ChargingProfileInvalid), "charging profile above the offered PMax");
            } else if (sc != exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready) {
                code = s_fail(m, CODE(FAILED_PowerDeliveryNotApplied), "EVSE not ready for power delivery");
            } else {
                m->ev.tuple_id = q->SAScheduleTupleID;
                out->events |= ISO2_EVSE_EV_POWER_ON;
                m->phase = ISO2_EVSE_POWER_DELIVERY;
            }
        } else if (cp == exi_iso2_chargeProgressType_Renegotiate) {
            if (m->phase != ISO2_EVSE_CURRENT_DEMAND) {
                code = s_fail(m, CODE(FAILED), "Renegotiate outside the charge loop");
            } else {
                /* DC renegotiation redoes CPD, cable check and pre-charge: power off first. */
                out->events |= ISO2_EVSE_EV_RENEGOTIATE | ISO2_EVSE_EV_POWER_OFF;
                m->phase = ISO2_EVSE_CHARGE_PARAMETER;
                m->loop_msg = ISO2_MSG_NONE;
                m->precharge_seen = false;
                m->precharge_long = false;
            }
        } else if (cp == exi_iso2_chargeProgressType_Stop) {
            out->events |= ISO2_EVSE_EV_POWER_OFF;
            m->phase = ISO2_EVSE_WELDING;
        } else {
            code = s_fail(m, CODE(FAILED), "unknown ChargeProgress");
        }
    }
    s_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}

static uint8_t s_current_demand(struct iso2_evse *m, const struct exi_iso2_document *req,
                                const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_CurrentDemandResType *r = &res->V2G_Message.Body.CurrentDemandRes;
    res->V2G_Message.Body.CurrentDemandRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    /* Charger-initiated renegotiation: the station's limit moved away from what the offered
     * schedule was built on, so the car is asked for a new one (unless the charger already
     * asks something else). The car answers with PowerDelivery(Renegotiate). Down at once
     * (the car must not plan above the limit); up only past 10 % so that a share that
     * wobbles (connectors starting and stopping) does not cost a cable check each time. */
    if (st->notification == exi_iso2_EVSENotificationType_None && m->offered_limit_w > 0 &&
        (st->max_power_w < m->offered_limit_w ||
         (int64_t)st->max_power_w * 10 > (int64_t)m->offered_limit_w * 11)) {
        r->DC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_ReNegotiation;
    }
    iso2_pv_set(&r->EVSEPresentVoltage, st->present_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&r->EVSEPresentCurrent, st->present_current_ma, exi_iso2_unitSymbolType_A);
    r->EVSECurrentLimitAchieved = st->current_limit_achieved;
    r->EVSEVoltageLimitAchieved = st->voltage_limit_achieved;
    r->EVSEPowerLimitAchieved = st->power_limit_achieved;
    /* Sent always: a Tesla ignores ReNegotiation without them (spec sheet 5.2). */
    iso2_pv_set(&r->EVSEMaximumVoltageLimit, st->max_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&r->EVSEMaximumCurrentLimit, st->max_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&r->EVSEMaximumPowerLimit, (int64_t)st->max_power_w * 1000, exi_iso2_unitSymbolType_W);
    r->EVSEMaximumVoltageLimit_isUsed = true;
    r->EVSEMaximumCurrentLimit_isUsed = true;
    r->EVSEMaximumPowerLimit_isUsed = true;
    s_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    r->SAScheduleTupleID = m->offered_tuple != 0 ? m->offered_tuple : 1;
    if (code == CODE(OK)) {
        const struct exi_iso2_CurrentDemandReqType *q = &req->V2G_Message.Body.CurrentDemandReq;
        struct iso2_evse_ev *ev = &m->ev;
        s_ev_status(m, &q->DC_EVStatus, out);
        ev->target_current_ma = s_nonneg(iso2_pv_milli32(&q->EVTargetCurrent));
        int32_t v = iso2_pv_milli32(&q->EVTargetVoltage);
        if (v > 0) {
            ev->target_voltage_mv = v;
        }
        if (q->EVMaximumVoltageLimit_isUsed) {
            ev->max_voltage_mv = iso2_pv_milli32(&q->EVMaximumVoltageLimit);
        }
        if (q->EVMaximumCurrentLimit_isUsed) {
            ev->max_current_ma = iso2_pv_milli32(&q->EVMaximumCurrentLimit);
        }
        if (q->EVMaximumPowerLimit_isUsed) {
            ev->max_power_w = (int32_t)(iso2_pv_milli(&q->EVMaximumPowerLimit) / 1000);
        }
        ev->charging_complete = q->ChargingComplete;
        ev->bulk_charging_complete = q->BulkChargingComplete_isUsed && q->BulkChargingComplete;
        ev->remaining_full_s = q->RemainingTimeToFullSoC_isUsed
                                   ? (int32_t)(iso2_pv_milli(&q->RemainingTimeToFullSoC) / 1000) : -1;
        ev->remaining_bulk_s = q->RemainingTimeToBulkSoC_isUsed
                                   ? (int32_t)(iso2_pv_milli(&q->RemainingTimeToBulkSoC) / 1000) : -1;
        out->events |= ISO2_EVSE_EV_CURRENT_DEMAND;
        if (ev->charging_complete) {
            out->events |= ISO2_EVSE_EV_CHARGING_COMPLETE;
        }
        m->phase = ISO2_EVSE_CURRENT_DEMAND;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_metering_receipt(const struct iso2_evse_status *st, struct exi_iso2_document *res, uint8_t code)
{
    /* Unsigned receipts are accepted: EIM sessions never ask for one (ReceiptRequired is
     * not sent), a car that sends one anyway is not refused. */
    struct exi_iso2_MeteringReceiptResType *r = &res->V2G_Message.Body.MeteringReceiptRes;
    res->V2G_Message.Body.MeteringReceiptRes_isUsed = true;
    r->DC_EVSEStatus_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    r->ResponseCode = code;
    return code;
}

static uint8_t s_charging_status(struct iso2_evse *m, struct exi_iso2_document *res, uint8_t code)
{
    /* AC only: on DC it is out of sequence (spec sheet 6, row 5). The mandatory fields
     * are still filled so that the FAILED answer is valid. */
    struct exi_iso2_ChargingStatusResType *r = &res->V2G_Message.Body.ChargingStatusRes;
    res->V2G_Message.Body.ChargingStatusRes_isUsed = true;
    s_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    r->SAScheduleTupleID = m->offered_tuple != 0 ? m->offered_tuple : 1;
    r->AC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_None;
    if (code == CODE(OK)) {
        code = s_fail(m, CODE(FAILED_SequenceError), "ChargingStatus (AC) in a DC session");
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_welding(struct iso2_evse *m, const struct exi_iso2_document *req,
                         const struct iso2_evse_status *st, struct exi_iso2_document *res,
                         struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_WeldingDetectionResType *r = &res->V2G_Message.Body.WeldingDetectionRes;
    res->V2G_Message.Body.WeldingDetectionRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    iso2_pv_set(&r->EVSEPresentVoltage, st->present_voltage_mv, exi_iso2_unitSymbolType_V);
    if (code == CODE(OK)) {
        s_ev_status(m, &req->V2G_Message.Body.WeldingDetectionReq.DC_EVStatus, out);
        out->events |= ISO2_EVSE_EV_WELDING;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_session_stop(struct iso2_evse *m, const struct exi_iso2_document *req,
                              struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code)
{
    res->V2G_Message.Body.SessionStopRes_isUsed = true;
    if (code == CODE(OK)) {
        if (req->V2G_Message.Body.SessionStopReq.ChargingSession == exi_iso2_chargingSessionType_Pause) {
            /* [V2G2-739]: pause only after PowerDelivery(Stop) (EvseV2G: the previous message
             * was PowerDelivery or WeldingDetection). */
            if (m->phase != ISO2_EVSE_WELDING) {
                code = s_fail(m, CODE(FAILED), "pause requested before PowerDelivery(Stop)");
            } else {
                out->events |= ISO2_EVSE_EV_SESSION_STOP | ISO2_EVSE_EV_PAUSE | ISO2_EVSE_EV_CLOSE;
                m->phase = ISO2_EVSE_PAUSED;
            }
        } else {
            out->events |= ISO2_EVSE_EV_SESSION_STOP | ISO2_EVSE_EV_CLOSE;
            m->phase = ISO2_EVSE_STOPPED;
        }
    }
    res->V2G_Message.Body.SessionStopRes.ResponseCode = code;
    return code;
}

/* ------------------------------------------------------------------ entry points */

int iso2_evse_handle(struct iso2_evse *m, const struct exi_iso2_document *req,
                     const struct iso2_evse_status *st, struct exi_iso2_document *res,
                     struct iso2_evse_request *out, uint32_t now_ms)
{
    if (m == NULL || req == NULL || st == NULL || res == NULL || out == NULL) {
        return HAL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->reason = "";
    enum iso2_msg k = iso2_request_kind(req);
    out->msg = k;
    out->phase = m->phase;
    if (m->phase == ISO2_EVSE_IDLE || iso2_evse_over(m)) {
        return HAL_ESTATE;
    }
    if (k == ISO2_MSG_NONE) {
        return HAL_EPROTO;
    }
    m->stats.requests++;
    m->req_ms = now_ms;
    m->req_msg = k;

    uint8_t code = CODE(OK);
    const struct exi_iso2_MessageHeaderType *h = &req->V2G_Message.Header;
    if (m->phase != ISO2_EVSE_SESSION_SETUP &&
        (h->SessionID.bytesLen != m->id_len || memcmp(h->SessionID.bytes, m->id, m->id_len) != 0)) {
        code = s_fail(m, CODE(FAILED_UnknownSession), "SessionID is not the one issued ([V2G2-460])");
    }
    if (code == CODE(OK) && !s_allowed(m, k)) {
        const char *why = "request out of sequence ([V2G2-538])";
        if (k == ISO2_MSG_CURRENT_DEMAND && m->phase < ISO2_EVSE_POWER_DELIVERY) {
            why = "CurrentDemand before PowerDelivery(Start)";
        } else if (k == ISO2_MSG_CHARGING_STATUS) {
            why = "ChargingStatus (AC) in a DC session";
        }
        code = s_fail(m, CODE(FAILED_SequenceError), why);
    }
    if (code == CODE(OK) && k != ISO2_MSG_SESSION_STOP && s_emergency(s_code(st))) {
        code = s_fail(m, CODE(FAILED), "EVSE emergency shutdown or malfunction");
    }

    memset(res, 0, sizeof *res);
    res->V2G_Message_isUsed = true;
    switch (k) {
    case ISO2_MSG_SESSION_SETUP: code = s_session_setup(m, req, st, res, out, code); break;
    case ISO2_MSG_SERVICE_DISCOVERY: code = s_service_discovery(m, req, res, code); break;
    case ISO2_MSG_SERVICE_DETAIL: code = s_service_detail(m, req, res, code); break;
    case ISO2_MSG_PAYMENT_SELECTION: code = s_payment_selection(m, req, res, code); break;
    case ISO2_MSG_PAYMENT_DETAILS:
    case ISO2_MSG_CERTIFICATE: code = s_pnc(m, k, req, res, code); break;
    case ISO2_MSG_AUTHORIZATION: code = s_authorization(m, st, res, out, code, now_ms); break;
    case ISO2_MSG_CHARGE_PARAMETER: code = s_charge_parameter(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_CABLE_CHECK: code = s_cable_check(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_PRECHARGE: code = s_precharge(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_POWER_DELIVERY: code = s_power_delivery(m, req, st, res, out, code); break;
    case ISO2_MSG_CURRENT_DEMAND: code = s_current_demand(m, req, st, res, out, code); break;
    case ISO2_MSG_CHARGING_STATUS: code = s_charging_status(m, res, code); break;
    case ISO2_MSG_METERING_RECEIPT: code = s_metering_receipt(st, res, code); break;
    case ISO2_MSG_WELDING_DETECTION: code = s_welding(m, req, st, res, out, code); break;
    case ISO2_MSG_SESSION_STOP:
    default: code = s_session_stop(m, req, res, out, code); break;
    }
    memcpy(res->V2G_Message.Header.SessionID.bytes, m->id, m->id_len);
    res->V2G_Message.Header.SessionID.bytesLen = m->id_len;
    if (!iso2_response_code_ok(code)) {
        /* [V2G2-539]: after a FAILED answer the session ends. */
        m->phase = ISO2_EVSE_FAILED;
        m->stats.failed++;
        out->events |= ISO2_EVSE_EV_CLOSE;
        out->reason = m->reason;
    }
    m->last_res_ms = now_ms;
    out->response_code = code;
    out->phase = m->phase;
    return HAL_OK;
}

void iso2_evse_fail(struct iso2_evse *m, const char *reason)
{
    if (m->phase != ISO2_EVSE_IDLE && !iso2_evse_over(m)) {
        m->phase = ISO2_EVSE_FAILED;
        m->reason = reason;
        m->stats.failed++;
    }
}

void iso2_evse_sent(struct iso2_evse *m, uint32_t now_ms)
{
    int32_t d = hal_time_diff(now_ms, m->req_ms);
    uint32_t dt = d > 0 ? (uint32_t)d : 0u;
    bool cd = m->req_msg == ISO2_MSG_CURRENT_DEMAND;
    if (dt > m->stats.worst_response_ms) {
        m->stats.worst_response_ms = dt;
    }
    if (cd && dt > m->stats.worst_cd_response_ms) {
        m->stats.worst_cd_response_ms = dt;
    }
    if (dt > (cd ? m->cfg.perf_time_cd_ms : m->cfg.perf_time_ms)) {
        m->stats.perf_missed++;
    }
    m->last_res_ms = now_ms;
}

uint32_t iso2_evse_tick(struct iso2_evse *m, uint32_t now_ms)
{
    if (m->phase == ISO2_EVSE_IDLE || iso2_evse_over(m)) {
        return 0;
    }
    if (hal_time_reached(now_ms, m->last_res_ms + m->cfg.sequence_timeout_ms)) {
        m->phase = ISO2_EVSE_TIMED_OUT;
        m->reason = "no request within the sequence timeout";
        return ISO2_EVSE_EV_TIMEOUT;
    }
    return 0;
}

bool iso2_evse_over(const struct iso2_evse *m)
{
    return m->phase >= ISO2_EVSE_STOPPED;
}

enum iso2_evse_phase iso2_evse_phase(const struct iso2_evse *m)
{
    return m->phase;
}

void iso2_evse_paused(const struct iso2_evse *m, struct iso2_evse_resume *out)
{
    memset(out, 0, sizeof *out);
    if (m->phase == ISO2_EVSE_PAUSED) {
        out->valid = true;
        memcpy(out->id, m->id, m->id_len);
        out->id_len = m->id_len;
        out->payment = m->ev.payment;
        out->tuple_id = m->ev.tuple_id;
    }
}

const struct iso2_evse_ev *iso2_evse_ev(const struct iso2_evse *m)
{
    return &m->ev;
}

const struct iso2_evse_stats *iso2_evse_stats(const struct iso2_evse *m)
{
    return &m->stats;
}

const char *iso2_evse_reason(const struct iso2_evse *m)
{
    return m->reason != NULL ? m->reason : "";
}
