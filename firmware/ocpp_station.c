/*
 * OCPP on the station: owns the translation between the station (commands, events in OCPP
 * terms, the connectors' journals) and the charge point core, the stop reasons the backend
 * is told, the pump between the WebSocket and the core, and the Smart Charging limits
 * applied to the station.
 */
#include "ocpp_station.h"

#include "meter.h"
#include "ocmf/ocmf.h"

#include <string.h>

static struct ocpp_station *self(void *ctx)
{
    return (struct ocpp_station *)ctx;
}

/* connector numbers: OCPP 1-based, 0 = the station; the station API 0-based */
static bool conn_ok(const struct ocpp_station *os, unsigned c)
{
    return c >= 1 && c <= os->n;
}

static int64_t unix_now(const struct ocpp_station *os)
{
    return ocpp_cp_unix(&os->cp, os->now_ms);
}

static int op_remote_start(void *ctx, unsigned c, const char *tag)
{
    struct ocpp_station *os = self(ctx);
    if (c == 0) { /* the first available connector (not one reserved for another tag) */
        for (uint8_t i = 0; i < os->n && c == 0; i++) {
            enum station_status s = station_status(os->st, i);
            if ((s == STATION_AVAILABLE || s == STATION_PREPARING) && ocpp_auth_may_use(&os->cp, i + 1u, tag, unix_now(os))) {
                c = i + 1u;
            }
        }
    }
    if (!conn_ok(os, c)) {
        return HAL_EINVAL;
    }
    if (!ocpp_auth_may_use(&os->cp, c, tag, unix_now(os))) {
        return HAL_EBUSY; /* reserved for another tag */
    }
    int rc = station_remote_start(os->st, (uint8_t)(c - 1u), tag);
    if (rc == HAL_OK && os->has_journal[c - 1u]) {
        ocpp_journal_set_token(&os->jr[c - 1u], tag);
    }
    return rc;
}

static void set_reason(struct ocpp_station *os, unsigned c, enum ocpp_reason r)
{
    if (conn_ok(os, c) && os->has_journal[c - 1u]) {
        ocpp_journal_set_reason(&os->jr[c - 1u], r);
    }
}

static int op_remote_stop(void *ctx, unsigned c)
{
    struct ocpp_station *os = self(ctx);
    if (!conn_ok(os, c)) {
        return HAL_EINVAL;
    }
    int rc = station_remote_stop(os->st, (uint8_t)(c - 1u));
    if (rc == HAL_OK) {
        set_reason(os, c, OCPP_R_REMOTE);
    }
    return rc;
}

static int op_reset(void *ctx, bool hard)
{
    struct ocpp_station *os = self(ctx);
    /* every session stops now (with the reset as its reason); the board reboots once the
     * connectors are idle (ocpp_station_reset_due) */
    for (uint8_t i = 0; i < os->n; i++) {
        set_reason(os, i + 1u, hard ? OCPP_R_HARD_RESET : OCPP_R_SOFT_RESET);
        (void)station_remote_stop(os->st, i);
    }
    os->reset_pending = true;
    os->reset_hard = hard;
    ocpp_sec_event(&os->cp, OCPP_SEC_RESET, hard ? "Hard reset asked by the backend" : "Soft reset asked by the backend",
                   os->now_ms);
    return HAL_OK;
}

static int op_unlock(void *ctx, unsigned c)
{
    struct ocpp_station *os = self(ctx);
    if (!conn_ok(os, c)) {
        return HAL_EINVAL;
    }
    set_reason(os, c, OCPP_R_UNLOCK_COMMAND);
    return station_unlock(os->st, (uint8_t)(c - 1u));
}

static int op_availability(void *ctx, unsigned c, bool operative)
{
    struct ocpp_station *os = self(ctx);
    uint8_t conn = c == 0 ? STATION_ALL : (uint8_t)(c - 1u);
    /* inoperative while a session runs: after it (OCPP: Scheduled) */
    int rc = station_set_availability(os->st, conn, operative ? STATION_OPERATIVE : STATION_INOPERATIVE, true);
    if (rc != HAL_OK) {
        return rc;
    }
    /* Scheduled exactly when the station deferred it: a transaction in progress, whatever
     * its status (a DIN session is Preparing through cable check and pre-charge, with its
     * StartTransaction long sent; OCPP 1.6 §5.2 wants Scheduled then, not Accepted). */
    bool scheduled = false;
    for (uint8_t i = 0; i < os->n; i++) {
        if (c == 0 || i == c - 1u) {
            scheduled = scheduled || os->st->conn[i].inoperative_after_session;
        }
    }
    return scheduled && !operative ? HAL_EBUSY : HAL_OK;
}

static void op_authorized(void *ctx, unsigned c, const char *tag, enum ocpp_auth a)
{
    struct ocpp_station *os = self(ctx);
    if (!conn_ok(os, c)) {
        return;
    }
    if (a == OCPP_AUTH_OFFLINE) { /* no answer: what is known locally, else the policy */
        a = (enum ocpp_auth)ocpp_auth_offline(&os->cp, tag, unix_now(os));
    }
    bool ok = a == OCPP_AUTH_ACCEPTED || (a == OCPP_AUTH_OFFLINE && os->cp.cfg.allow_offline_unknown);
    if (ok && !ocpp_auth_may_use(&os->cp, c, tag, unix_now(os))) {
        hal_logf(os->log, HAL_LOG_INFO, os->now_ms, "ocpp: connector %u is reserved for another tag: %s refused", c, tag);
        ok = false;
    }
    if (ok && station_authorize(os->st, (uint8_t)(c - 1u), tag, STATION_TOKEN_RFID) == HAL_OK &&
        os->has_journal[c - 1u]) {
        ocpp_journal_set_token(&os->jr[c - 1u], tag);
    }
    if (!ok) {
        /* the car waiting for this token is refused now (no transaction, no power), not
         * after the charger's authorisation timeout */
        static const char *const k_why[] = {"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx",
                                            "unknown offline (AllowOfflineTxForUnknownId false)"};
        bool backend_ok = a == OCPP_AUTH_ACCEPTED || (a == OCPP_AUTH_OFFLINE && os->cp.cfg.allow_offline_unknown);
        hal_logf(os->log, HAL_LOG_INFO, os->now_ms, "ocpp: connector %u: token %s refused: %s", c, tag,
                 backend_ok || (unsigned)a >= sizeof k_why / sizeof k_why[0] ? "reserved for another tag" : k_why[a]);
        (void)station_refuse(os->st, (uint8_t)(c - 1u), tag);
    }
}

static int op_deauthorize(void *ctx, unsigned c)
{
    struct ocpp_station *os = self(ctx);
    if (!conn_ok(os, c)) {
        return HAL_EINVAL;
    }
    int rc = station_remote_stop(os->st, (uint8_t)(c - 1u));
    if (rc == HAL_OK) {
        set_reason(os, c, OCPP_R_DEAUTHORIZED);
    }
    return rc;
}

/* The idTag of a session authorised outside OCPP: the token the charger started the
 * journal record's meter transaction with */
static const char *idtag_of(void *ctx, uint8_t connector, const char *txid)
{
    struct ocpp_station *os = self(ctx);
    if (connector < 1 || connector > os->n || os->st->conn[connector - 1u].c == NULL) {
        return NULL;
    }
    return charger_tx_idtag(os->st->conn[connector - 1u].c, txid);
}

static struct ocpp_journal *journal_of(struct ocpp_station *os, uint32_t local_tx)
{
    for (uint8_t i = 0; i < os->n; i++) {
        if (os->has_journal[i] && ocpp_journal_owns(&os->jr[i], local_tx)) {
            return &os->jr[i];
        }
    }
    return NULL;
}

static void op_delivered(void *ctx, uint32_t local_tx)
{
    struct ocpp_journal *oj = journal_of(self(ctx), local_tx);
    if (oj != NULL) {
        (void)ocpp_journal_delivered(oj, local_tx);
    }
}

static void op_started(void *ctx, uint32_t local_tx, int32_t csms_id)
{
    struct ocpp_journal *oj = journal_of(self(ctx), local_tx);
    if (oj != NULL) {
        (void)ocpp_journal_started(oj, local_tx, csms_id);
    }
}

static size_t op_signed(void *ctx, uint32_t local_tx, const char **ocmf)
{
    struct ocpp_journal *oj = journal_of(self(ctx), local_tx);
    return oj != NULL ? ocpp_journal_signed(oj, local_tx, ocmf) : 0u;
}

/* MeterPublicKey<n> and the signed values' publicKey: the key the connector's meter signs
 * with, as DER (the meter tells a point and its curve) */
static size_t op_meter_key(void *ctx, unsigned connector, uint8_t *der, size_t cap)
{
    struct ocpp_station *os = self(ctx);
    if (connector == 0 || connector > os->st->n || os->st->conn[connector - 1u].c == NULL) {
        return 0;
    }
    struct meter *m = os->st->conn[connector - 1u].c->io.meter;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t len = 0, n = 0;
    enum hal_crypto_curve curve;
    if (m == NULL || meter_pubkey(m, pub, sizeof pub, &len, &curve) != HAL_OK ||
        ocmf_spki_der(curve, pub, len, der, cap, &n) != HAL_OK) {
        return 0;
    }
    return n;
}

static void op_persist(void *ctx)
{
    struct ocpp_station *os = self(ctx);
    if (os->save != NULL && os->cp.store_gen != os->saved_gen) {
        os->saved_gen = os->cp.store_gen;
        os->save(os->save_ctx, &os->cp);
    }
}

void ocpp_station_set_store(struct ocpp_station *os, void (*save)(void *ctx, const struct ocpp_cp *cp), void *ctx)
{
    os->save = save;
    os->save_ctx = ctx;
    os->saved_gen = os->cp.store_gen;
}

static const struct ocpp_cp_ops k_ops = {
    .remote_start = op_remote_start,
    .remote_stop = op_remote_stop,
    .reset = op_reset,
    .unlock = op_unlock,
    .availability = op_availability,
    .authorized = op_authorized,
    .tx_started = op_started,
    .tx_delivered = op_delivered,
    .signed_data = op_signed,
    .persist = op_persist,
    .meter_key = op_meter_key,
    .deauthorize = op_deauthorize,
};

int ocpp_station_init(struct ocpp_station *os, struct station *st, struct journal *const *journals,
                      uint8_t n, const struct ocpp_cp_info *info, const struct ocpp_cp_config *cfg,
                      const struct ocpp_ws_config *ws_cfg, struct hal_net *net, struct hal_tls *tls,
                      struct hal_rng *rng, struct hal_log *log, uint32_t id_seed, uint32_t now_ms)
{
    if (n < 1 || n > CFG_OCPP_CONNECTORS || st == NULL || info == NULL || cfg == NULL) {
        return HAL_EINVAL;
    }
    memset(os, 0, sizeof *os);
    os->now_ms = now_ms;
    os->st = st;
    os->n = n;
    os->log = log;
    struct ocpp_cp_info in = *info;
    in.connectors = n;
    ocpp_cp_init(&os->cp, &in, cfg, &k_ops, os, log, id_seed);
    ocpp_sec_event(&os->cp, OCPP_SEC_STARTUP, NULL, now_ms);
    for (uint8_t i = 0; i < n; i++) {
        os->last[i] = station_status(st, i);
        ocpp_cp_status(&os->cp, i + 1u, (enum ocpp_status)os->last[i]);
        if (journals != NULL && journals[i] != NULL) {
            os->has_journal[i] = true;
            ocpp_journal_init(&os->jr[i], &os->cp, journals[i], (uint8_t)(i + 1u), now_ms);
            ocpp_journal_set_idtag_source(&os->jr[i], idtag_of, os);
        }
    }
    /* Smart Charging: a DC reading of the units (ocpp_smart.h); "no limit" in a composite is
     * the connector's rating. The station's own limits are kept to come back to. */
    ocpp_smart_init(&os->smart, n, 400000u);
    os->cp.smart = &os->smart;
    uint64_t sum_w = 0, sum_ma = 0;
    for (uint8_t i = 0; i < n; i++) {
        const struct charger_config *cc = charger_config_of(st->conn[i].c);
        ocpp_smart_rating(&os->smart, i + 1u, cc->max_power_w, cc->max_current_ma);
        sum_w += cc->max_power_w;
        sum_ma += cc->max_current_ma;
        os->lim_ma[i] = OCPP_SMART_NONE;
        os->lim_w[i] = OCPP_SMART_NONE;
    }
    os->base_w = st->cfg.max_power_w != 0u ? st->cfg.max_power_w : STATION_NO_LIMIT;
    os->base_ma = st->cfg.max_current_ma != 0u ? st->cfg.max_current_ma : STATION_NO_LIMIT;
    ocpp_smart_rating(&os->smart, 0u,
                      os->base_w != STATION_NO_LIMIT ? os->base_w : (uint32_t)(sum_w > UINT32_MAX ? UINT32_MAX : sum_w),
                      os->base_ma != STATION_NO_LIMIT ? os->base_ma
                                                      : (uint32_t)(sum_ma > UINT32_MAX ? UINT32_MAX : sum_ma));
    os->cp_ma = OCPP_SMART_NONE;
    os->cp_w = OCPP_SMART_NONE;
    if (ws_cfg != NULL) {
        os->transport = true;
        ocpp_ws_init(&os->ws, ws_cfg, net, tls, rng, log);
        ocpp_ws_start(&os->ws, now_ms);
    }
    return HAL_OK;
}

/* The station's statuses are already OCPP's (docs/station.md); the enums share their order. */
_Static_assert((int)STATION_AVAILABLE == (int)OCPP_ST_AVAILABLE && (int)STATION_FAULTED == (int)OCPP_ST_FAULTED &&
                   (int)STATION_SUSPENDED_EVSE == (int)OCPP_ST_SUSPENDED_EVSE &&
                   (int)STATION_RESERVED == (int)OCPP_ST_RESERVED,
               "station and OCPP status enums must match");

void ocpp_station_event(struct ocpp_station *os, const struct station_event *e, uint32_t now_ms)
{
    if (e->connector >= os->n) {
        return;
    }
    unsigned c = e->connector + 1u;
    switch (e->kind) {
    case STATION_EV_STATUS: {
        enum station_status from = e->u.status.from, to = e->u.status.to;
        bool in_tx = from == STATION_CHARGING || from == STATION_SUSPENDED_EV || from == STATION_SUSPENDED_EVSE;
        if (in_tx && to == STATION_AVAILABLE) {
            set_reason(os, c, OCPP_R_EV_DISCONNECTED);
        } else if (in_tx && to == STATION_FAULTED) {
            set_reason(os, c, OCPP_R_OTHER);
        }
        os->last[e->connector] = to;
        os->now_ms = now_ms;
        /* an Available connector under a reservation is reported Reserved */
        ocpp_cp_status(&os->cp, c, (enum ocpp_status)ocpp_auth_shown_status(&os->cp, c, (int)to, now_ms));
        break;
    }
    case STATION_EV_SESSION_STARTED:
        if (e->u.started.token[0] != '\0' && os->has_journal[e->connector]) {
            ocpp_journal_set_token(&os->jr[e->connector], e->u.started.token);
        }
        break;
    case STATION_EV_MEASUREMENT: {
        /* Sampled MeterValues of the running transaction (MeterValueSampleInterval decides
         * whether one is due): the register is the start reading plus the session's energy */
        uint32_t tx;
        int64_t start_wh;
        int64_t unix_s = ocpp_cp_unix(&os->cp, now_ms);
        /* no sample without a clock (never a 1970 timestamp) */
        if (unix_s > 0 && os->has_journal[e->connector] &&
            ocpp_journal_running(&os->jr[e->connector], &tx, &start_wh)) {
            const struct station_measurement *m = &e->u.meas;
            struct ocpp_sample s = {m->power_w, m->current_ma, m->voltage_mv, m->soc};
            (void)ocpp_cp_meter_sample(&os->cp, tx, start_wh + m->energy_wh, &s, unix_s, now_ms);
            os->meas[e->connector] = s;
            os->meas_wh[e->connector] = start_wh + m->energy_wh;
            os->meas_tx[e->connector] = tx;
        }
        /* the session's voltage converts between A and W in composite schedules */
        ocpp_smart_voltage(&os->smart, c, e->u.meas.voltage_mv > 50000 ? e->u.meas.voltage_mv : 0);
        break;
    }
    default:
        break;
    }
}

int ocpp_station_authorize(struct ocpp_station *os, uint8_t connector, const char *token)
{
    if (connector >= os->n) {
        return HAL_EINVAL;
    }
    unsigned c = connector + 1u;
    if (!ocpp_auth_may_use(&os->cp, c, token, unix_now(os))) {
        hal_logf(os->log, HAL_LOG_INFO, os->now_ms, "ocpp: connector %u is reserved for another tag: %s refused", c,
                 token);
        return HAL_ESTATE;
    }
    if (os->cp.online && os->cp.reg == OCPP_REG_ACCEPTED && ocpp_auth_pre_authorized(&os->cp, token, unix_now(os))) {
        /* LocalPreAuthorize: valid on the list or in the cache, started without waiting */
        op_authorized(os, c, token, OCPP_AUTH_ACCEPTED);
        return HAL_OK;
    }
    int rc = ocpp_cp_authorize(&os->cp, c, token);
    if (rc == HAL_ECLOSED) { /* offline: the list, the cache, then the configured policy */
        enum ocpp_auth a = (enum ocpp_auth)ocpp_auth_offline(&os->cp, token, unix_now(os));
        op_authorized(os, c, token, a);
        return a == OCPP_AUTH_ACCEPTED || (a == OCPP_AUTH_OFFLINE && os->cp.cfg.allow_offline_unknown) ? HAL_OK
                                                                                                        : HAL_ESTATE;
    }
    return rc;
}

bool ocpp_station_reset_due(const struct ocpp_station *os, bool *hard)
{
    if (!os->reset_pending) {
        return false;
    }
    /* every session over (its car may still be plugged in: Finished, or a fault) and its
     * transaction's Stop queued: a Preparing connector may have a transaction running
     * already (cable check, pre-charge), and its Stop would go with the next boot's reason */
    for (uint8_t i = 0; i < os->n; i++) {
        enum charger_state s = charger_state(os->st->conn[i].c);
        uint32_t tx;
        int64_t wh;
        if ((s != CHARGER_IDLE && s != CHARGER_FINISHED && s != CHARGER_FAULT) ||
            (os->has_journal[i] && (ocpp_journal_running(&os->jr[i], &tx, &wh) || journal_busy(os->jr[i].j)))) {
            return false;
        }
    }
    /* the Stops must be out first, or they would wait for the next boot (and the journal's
     * "delivered" marks written, above, or the next boot would send them again) */
    if (ocpp_cp_queued(&os->cp) > 0 && os->cp.online) {
        return false;
    }
    *hard = os->reset_hard;
    return true;
}

/* Hand the core's frame to the WebSocket; true when taken. */
static bool push(struct ocpp_station *os, uint32_t now_ms)
{
    size_t len;
    const char *t = ocpp_cp_take(&os->cp, &len);
    if (t == NULL) {
        return false;
    }
    if (ocpp_ws_send(&os->ws, t, len) != HAL_OK) {
        return false;
    }
    ocpp_cp_sent(&os->cp, now_ms);
    return true;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void log_limit(struct ocpp_station *os, uint32_t now_ms, unsigned c, uint32_t ma, uint32_t w)
{
    if (ma == OCPP_SMART_NONE && w == OCPP_SMART_NONE) {
        hal_logf(os->log, HAL_LOG_INFO, now_ms, "ocpp: charging profile: connector %u no longer limited", c);
    } else if (ma == OCPP_SMART_NONE) {
        hal_logf(os->log, HAL_LOG_INFO, now_ms, "ocpp: charging profile: connector %u limited to %lu W", c,
                 (unsigned long)w);
    } else if (w == OCPP_SMART_NONE) {
        hal_logf(os->log, HAL_LOG_INFO, now_ms, "ocpp: charging profile: connector %u limited to %lu mA", c,
                 (unsigned long)ma);
    } else {
        hal_logf(os->log, HAL_LOG_INFO, now_ms, "ocpp: charging profile: connector %u limited to %lu mA, %lu W",
                 c, (unsigned long)ma, (unsigned long)w);
    }
}

void ocpp_station_smart(struct ocpp_station *os, uint32_t now_ms)
{
    /* once a second is enough for schedules in whole seconds (and for a transaction's start
     * or end); a new profile at once. The loop calls this every pass: keep that pass cheap. */
    if (os->smart_once && os->smart_gen == os->smart.generation && now_ms - os->smart_ms < 1000u) {
        return;
    }
    int64_t now = ocpp_cp_unix(&os->cp, now_ms);
    ocpp_smart_poll(&os->smart, &os->cp, now, now_ms);
    os->smart_once = true;
    os->smart_gen = os->smart.generation;
    os->smart_ms = now_ms;
    if (now <= 0) {
        return; /* no clock: no schedule can be placed (Relative ones neither: their start) */
    }
    for (uint8_t i = 0; i < os->n; i++) {
        uint32_t ma, w;
        (void)ocpp_smart_limit(&os->smart, i + 1u, now, &ma, &w);
        if (ma != os->lim_ma[i] || w != os->lim_w[i]) {
            os->lim_ma[i] = ma;
            os->lim_w[i] = w;
            (void)station_set_limit(os->st, i, ma, w);
            log_limit(os, now_ms, i + 1u, ma, w);
        }
    }
    uint32_t ma, w;
    (void)ocpp_smart_cp_limit(&os->smart, now, &ma, &w);
    if (ma != os->cp_ma || w != os->cp_w) {
        os->cp_ma = ma;
        os->cp_w = w;
        (void)station_set_limit(os->st, STATION_ALL, min_u32(os->base_ma, ma), min_u32(os->base_w, w));
        log_limit(os, now_ms, 0u, ma, w);
    }
}

/* Clock-aligned MeterValues (ClockAlignedDataInterval) at boundary @p b: each connector's
 * running transaction with its last measurement (the start reading before the first one),
 * a connector between sessions with the register its newest journal record left. A
 * connector whose register is not known (no record yet) sends nothing; connector 0 neither:
 * the station has no main meter of its own. */
static void aligned_values(struct ocpp_station *os, int64_t b)
{
    for (uint8_t i = 0; i < os->n; i++) {
        uint32_t tx;
        int64_t wh;
        if (!os->has_journal[i]) {
            continue;
        }
        if (ocpp_journal_running(&os->jr[i], &tx, &wh)) {
            bool m = os->meas_tx[i] == tx;
            (void)ocpp_cp_meter_aligned(&os->cp, i + 1u, tx, m ? os->meas_wh[i] : wh, m ? &os->meas[i] : NULL, b);
        } else if (ocpp_journal_register(&os->jr[i], &wh)) {
            (void)ocpp_cp_meter_aligned(&os->cp, i + 1u, 0, wh, NULL, b);
        }
    }
}

void ocpp_station_poll(struct ocpp_station *os, uint32_t now_ms)
{
    os->now_ms = now_ms;
    for (uint8_t i = 0; i < os->n; i++) {
        if (os->has_journal[i]) {
            ocpp_journal_poll(&os->jr[i], now_ms);
        }
    }
    int64_t boundary;
    if (ocpp_cp_aligned_due(&os->cp, unix_now(os), &boundary)) {
        aligned_values(os, boundary);
    }
    ocpp_station_smart(os, now_ms);
    if (!os->transport) {
        return;
    }
    os->ws.cfg.ping_interval_ms = os->cp.cfg.ws_ping_interval_s * 1000u;
    if (ocpp_ws_is_open(&os->ws) && (os->cp.txlen > 0 || ocpp_cp_poll(&os->cp, now_ms))) {
        (void)push(os, now_ms); /* goes out in the WebSocket's poll below */
    }
    for (unsigned k = 0; k < 16; k++) {
        enum ocpp_ws_event ev = ocpp_ws_poll(&os->ws, now_ms);
        if (ev == OCPP_WS_NONE) {
            break;
        }
        if (ev == OCPP_WS_OPENED) {
            os->link_failed = false;
            ocpp_cp_connected(&os->cp, now_ms);
        } else if (ev == OCPP_WS_CLOSED) {
            ocpp_cp_disconnected(&os->cp);
            /* the whitepaper's events of a failed connect, once per run of failures */
            bool tls = os->ws.why != NULL && strncmp(os->ws.why, "TLS handshake failed", 20) == 0;
            if (!os->link_failed && (os->ws.http_status == 401 || tls)) {
                os->link_failed = true;
                ocpp_sec_event(&os->cp, tls ? OCPP_SEC_INVALID_CS_CERT : OCPP_SEC_FAILED_AUTH, os->ws.why, now_ms);
            }
        } else if (ev == OCPP_WS_MESSAGE) {
            size_t len;
            const char *m = ocpp_ws_message(&os->ws, &len);
            ocpp_cp_rx(&os->cp, m, len, now_ms);
            (void)push(os, now_ms); /* the answer goes out before anything of ours */
        }
    }
}
