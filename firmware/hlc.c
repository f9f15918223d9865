/*
 * hlc.c - the protocol-neutral V2G layer: the priority list of protocols (`v2g.protocols`),
 * the supportedAppProtocol handshake that picks a backend from it, the session IDs, and
 * the dispatch of every later payload to the negotiated backend (hlc.h). The protocol
 * machines themselves live behind struct hlc_backend_ops (hlc_din.c, hlc_iso2.c, hlc_iso20.c).
 */
#include "hlc.h"

#include <string.h>

#include "exi/exi_stream.h"

/* The backend of each protocol, NULL where none is compiled in. */
static const struct hlc_backend_ops *const s_backends[HLC_PROTO_COUNT] = {
#if CFG_HLC_DIN
    [HLC_PROTO_DIN] = &hlc_din_ops,
#endif
#if CFG_HLC_ISO2
    [HLC_PROTO_ISO2] = &hlc_iso2_ops,
#endif
#if CFG_HLC_ISO20
    [HLC_PROTO_ISO20] = &hlc_iso20_ops,
#endif
};

const struct hlc_backend_ops *hlc_backend(enum hlc_protocol p)
{
    return (unsigned)p < HLC_PROTO_COUNT ? s_backends[p] : NULL;
}

void hlc_default_config(struct hlc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    hlc_default_protocols(&cfg->protocols);
#if CFG_HLC_DIN
    din_evse_default_config(&cfg->din);
#endif
#if CFG_HLC_ISO2
    iso2_evse_default_config(&cfg->iso2);
#endif
#if CFG_HLC_ISO20
    iso20_evse_default_config(&cfg->iso20);
#endif
}

int hlc_init(struct hlc *h, const struct hlc_config *cfg, hlc_session_id_fn new_id, void *id_ctx)
{
    if (h == NULL || cfg == NULL || new_id == NULL || cfg->protocols.count == 0 ||
        cfg->protocols.count > HLC_PROTOCOLS_MAX) {
        return HAL_EINVAL;
    }
    for (uint8_t k = 0; k < cfg->protocols.count; k++) {
        if (hlc_backend(cfg->protocols.list[k]) == NULL) {
            return HAL_EINVAL; /* hlc_parse_protocols() refuses these already */
        }
    }
    memset(h, 0, sizeof *h);
    h->cfg = *cfg;
    h->new_id = new_id;
    h->id_ctx = id_ctx;
    return HAL_OK;
}

int hlc_set_protocols(struct hlc *h, const struct hlc_protocols *list)
{
    if (h == NULL || list == NULL || list->count == 0 || list->count > HLC_PROTOCOLS_MAX) {
        return HAL_EINVAL;
    }
    for (uint8_t k = 0; k < list->count; k++) {
        if (hlc_backend(list->list[k]) == NULL) {
            return HAL_EINVAL;
        }
    }
    h->cfg.protocols = *list;
    return HAL_OK;
}

void hlc_reset(struct hlc *h)
{
    if (h->active != NULL) {
        h->active->reset(h);
    }
    h->active = NULL;
    memset(&h->m, 0, sizeof h->m);
    memset(&h->ev, 0, sizeof h->ev);
}

void hlc_drop_pause(struct hlc *h)
{
#if CFG_HLC_ISO2
    memset(&h->iso2_paused, 0, sizeof h->iso2_paused);
#endif
#if CFG_HLC_ISO20
    memset(&h->iso20_paused, 0, sizeof h->iso20_paused);
#endif
    (void)h; /* only ISO-2 and ISO-20 pause */
}

void hlc_set_payload_type(struct hlc *h, uint16_t type)
{
    h->rx_type = type;
}

void hlc_set_transport(struct hlc *h, enum hlc_transport t)
{
    h->transport = t;
}

#if CFG_HLC_ISO2
void hlc_set_iso2_pnc(struct hlc *h, struct iso2_evse_pnc *pnc)
{
    h->iso2_pnc = pnc;
}
#endif

/* -20 only over TLS 1.3 ([V2G20-1235]; over TLS 1.2 never, [V2G20-2356]); the lab switch
 * allows plain TCP. Every other protocol runs over whatever carries it. */
static bool hlc_transport_allows(const struct hlc *h, enum hlc_protocol p)
{
#if CFG_HLC_ISO20
    if (p == HLC_PROTO_ISO20) {
        return h->transport == HLC_TRANSPORT_UNKNOWN || h->transport == HLC_TRANSPORT_TLS13 ||
               (h->transport == HLC_TRANSPORT_TCP && h->cfg.iso20_plain_tcp);
    }
#endif
    (void)h;
    (void)p;
    return true;
}

static bool hlc_id_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

static enum hlc_error hlc_begin(struct hlc *h, const struct hlc_backend_ops *b, uint32_t now_ms)
{
    uint8_t id[8];
    size_t n = b->session_id_len <= sizeof id ? b->session_id_len : sizeof id;
    do {
        if (h->new_id(h->id_ctx, id, n) != HAL_OK) {
            return HLC_ERR_SESSION_ID;
        }
    } while (hlc_id_zero(id, n));
    if (b->start(h, id, n, now_ms) != HAL_OK) {
        return HLC_ERR_START;
    }
    h->active = b;
    return HLC_ERR_NONE;
}

int hlc_start(struct hlc *h, const struct hlc_backend_ops *b, uint32_t now_ms)
{
    if (b == NULL) {
        return HAL_EINVAL;
    }
    enum hlc_error e = hlc_begin(h, b, now_ms);
    return e == HLC_ERR_NONE ? HAL_OK : e == HLC_ERR_SESSION_ID ? HAL_EIO : HAL_EINVAL;
}

/* supportedAppProtocol: the table is our list in its order; apphand_select() takes the
 * entry the EV ranks best among them (the EV's Priority decides, as EvseV2G and libiso
 * apply the standard), so the list says which protocols we speak. With one protocol
 * configured it is exactly the old one-by-one walk. */
static int hlc_handshake(struct hlc *h, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len, struct hlc_result *res, uint32_t now_ms)
{
    struct exi_reader r;
    exi_reader_init(&r, in, len);
    res->msg = HLC_MSG_HANDSHAKE;
    if (exi_apphand_decode(&r, &h->doc.app.req) != HAL_OK) {
        res->error = HLC_ERR_DECODE;
        res->detail = exi_error_str(r.error);
        return HAL_EPROTO;
    }
    if (!h->doc.app.req.supportedAppProtocolReq_isUsed) {
        res->error = HLC_ERR_NOT_REQUEST;
        return HAL_EPROTO;
    }
    struct apphand_protocol table[HLC_PROTOCOLS_MAX];
    const struct hlc_backend_ops *backend[HLC_PROTOCOLS_MAX];
    uint8_t n = 0;
    for (uint8_t k = 0; k < h->cfg.protocols.count && k < HLC_PROTOCOLS_MAX; k++) {
        if (!hlc_transport_allows(h, h->cfg.protocols.list[k])) {
            continue;
        }
        backend[n] = hlc_backend(h->cfg.protocols.list[k]);
        table[n] = backend[n]->app;
        n++;
    }
    int idx = -1;
    if (apphand_select(&h->doc.app.req, table, n, &h->doc.app.res, &idx) != HAL_OK) {
        res->error = HLC_ERR_NOT_REQUEST;
        return HAL_EPROTO;
    }
    const struct hlc_backend_ops *chosen = idx >= 0 && idx < (int)n ? backend[idx] : NULL;
    /* Without a match the select left the Failed_NoNegotiation answer in res. */
    const struct exi_apphand_supportedAppProtocolRes *a = &h->doc.app.res.supportedAppProtocolRes;
    res->schema_id = a->SchemaID_isUsed ? a->SchemaID : 0;
    res->positive = chosen != NULL;
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    if (exi_apphand_encode(&w, &h->doc.app.res) == HAL_OK) {
        *out_len = exi_writer_len(&w);
    } else {
        res->error = HLC_ERR_ENCODE;
    }
    if (chosen == NULL) {
        res->error = HLC_ERR_NO_PROTOCOL;
        res->events |= HLC_EVT_CLOSE;
        return HAL_OK;
    }
    enum hlc_error e = hlc_begin(h, chosen, now_ms);
    if (e != HLC_ERR_NONE) {
        res->error = e;
        res->positive = false;
        return HAL_OK;
    }
    res->protocol = chosen->name;
    return HAL_OK;
}

int hlc_refuse_handshake(struct hlc *h, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    if (h == NULL || in == NULL || out == NULL || out_len == NULL) {
        return HAL_EINVAL;
    }
    *out_len = 0;
    struct exi_reader r;
    exi_reader_init(&r, in, len);
    if (exi_apphand_decode(&r, &h->doc.app.req) != HAL_OK || !h->doc.app.req.supportedAppProtocolReq_isUsed) {
        return HAL_EPROTO;
    }
    /* With no protocol of ours to match, the select leaves Failed_NoNegotiation. */
    int idx = -1;
    if (apphand_select(&h->doc.app.req, NULL, 0, &h->doc.app.res, &idx) != HAL_OK) {
        return HAL_EPROTO;
    }
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    if (exi_apphand_encode(&w, &h->doc.app.res) != HAL_OK) {
        return HAL_ENOMEM;
    }
    *out_len = exi_writer_len(&w);
    return HAL_OK;
}

int hlc_handle(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
               hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
               struct hlc_result *res, uint32_t now_ms)
{
    memset(res, 0, sizeof *res);
    res->detail = "";
    res->msg_name = "";
    res->code_name = "";
    res->phase_name = "";
    res->reason = "";
    res->note = "";
    res->token = "";
    res->payload_type = HLC_PT_EXI;
    *out_len = 0;
    if (h->active == NULL) {
        return hlc_handshake(h, in, len, out, cap, out_len, res, now_ms);
    }
    return h->active->handle(h, in, len, evse, status, ctx, out, cap, out_len, res, now_ms);
}

void hlc_sent(struct hlc *h, uint32_t now_ms)
{
    if (h->active != NULL) {
        h->active->sent(h, now_ms);
    }
}

uint32_t hlc_tick(struct hlc *h, uint32_t now_ms)
{
    return h->active != NULL ? h->active->tick(h, now_ms) : 0u;
}

bool hlc_over(const struct hlc *h)
{
    return h->active == NULL || h->active->over(h);
}

bool hlc_running(const struct hlc *h)
{
    return h->active != NULL && !h->active->over(h);
}

const struct hlc_ev *hlc_ev(const struct hlc *h)
{
    return &h->ev;
}

const struct hlc_backend_ops *hlc_active(const struct hlc *h)
{
    return h->active;
}

const char *hlc_msg_name(enum hlc_msg m)
{
    static const char *const names[HLC_MSG_COUNT] = {
        [HLC_MSG_NONE] = "none",
        [HLC_MSG_HANDSHAKE] = "supported_app_protocol",
        [HLC_MSG_SESSION_SETUP] = "session_setup",
        [HLC_MSG_SERVICE_DISCOVERY] = "service_discovery",
        [HLC_MSG_PAYMENT_SELECTION] = "payment_selection",
        [HLC_MSG_AUTHORIZATION] = "authorization",
        [HLC_MSG_CHARGE_PARAMETERS] = "charge_parameters",
        [HLC_MSG_CABLE_CHECK] = "cable_check",
        [HLC_MSG_PRECHARGE] = "precharge",
        [HLC_MSG_POWER_DELIVERY_START] = "power_delivery_start",
        [HLC_MSG_POWER_DELIVERY_STOP] = "power_delivery_stop",
        [HLC_MSG_CURRENT_DEMAND] = "current_demand",
        [HLC_MSG_WELDING] = "welding_detection",
        [HLC_MSG_SESSION_STOP] = "session_stop",
        [HLC_MSG_OTHER] = "other",
        [HLC_MSG_SERVICE_DETAIL] = "service_detail",
        [HLC_MSG_RENEGOTIATE] = "power_delivery_renegotiate",
        [HLC_MSG_STANDBY] = "power_delivery_standby",
    };
    return (unsigned)m < HLC_MSG_COUNT ? names[m] : "?";
}

const char *hlc_error_name(enum hlc_error e)
{
    static const char *const names[HLC_ERR_COUNT] = {
        [HLC_ERR_NONE] = "none",
        [HLC_ERR_DECODE] = "undecodable",
        [HLC_ERR_NOT_REQUEST] = "not a request",
        [HLC_ERR_NO_PROTOCOL] = "no common protocol",
        [HLC_ERR_SESSION_ID] = "no session ID",
        [HLC_ERR_START] = "backend refused its configuration",
        [HLC_ERR_NO_ANSWER] = "no answer",
        [HLC_ERR_ENCODE] = "answer does not encode",
    };
    return (unsigned)e < HLC_ERR_COUNT ? names[e] : "?";
}

const char *hlc_ev_error_name(enum hlc_ev_error e)
{
    static const char *const names[HLC_EV_ERR_COUNT] = {
        [HLC_EV_ERR_NONE] = "none",
        [HLC_EV_ERR_RESS_TEMPERATURE] = "battery temperature inhibit",
        [HLC_EV_ERR_SHIFT_POSITION] = "shift position",
        [HLC_EV_ERR_CONNECTOR_LOCK] = "connector lock fault",
        [HLC_EV_ERR_RESS_MALFUNCTION] = "battery malfunction",
        [HLC_EV_ERR_CURRENT_DIFFERENTIAL] = "charging current differential",
        [HLC_EV_ERR_VOLTAGE_OUT_OF_RANGE] = "charging voltage out of range",
        [HLC_EV_ERR_INCOMPATIBLE] = "charging system incompatibility",
        [HLC_EV_ERR_NO_DATA] = "no data",
        [HLC_EV_ERR_OTHER] = "other",
    };
    return (unsigned)e < HLC_EV_ERR_COUNT ? names[e] : "?";
}
