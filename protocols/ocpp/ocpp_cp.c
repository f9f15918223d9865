/*
 * OCPP 1.6J charge point, Core profile: owns registration (BootNotification and its
 * Pending/Rejected waits), heartbeat and the CSMS clock, status notifications, Authorize,
 * the ordered transaction queue with its transaction-id table, and the answers to every
 * incoming CALL (each one gets a CALLRESULT or the right CALLERROR). The station is reached
 * only through the ops table.
 */
#include "ocpp/ocpp_cp.h"

#include <stdio.h>
#include <string.h>

#include "hal_fmt.h"
#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_chk.h"
#include "ocpp/ocpp_fw.h"
#include "ocpp/ocpp_smart.h"

#define LOGI(cp, now, ...) hal_logf((cp)->log, HAL_LOG_INFO, (now), __VA_ARGS__)
#define LOGW(cp, now, ...) hal_logf((cp)->log, HAL_LOG_WARN, (now), __VA_ARGS__)

static const char *const k_status[OCPP_ST_COUNT] = {
    "Available", "Preparing", "Charging",    "SuspendedEV", "SuspendedEVSE",
    "Finishing", "Reserved",  "Unavailable", "Faulted",
};
static const char *const k_reason[OCPP_R_COUNT] = {
    "Local", "EmergencyStop", "EVDisconnected", "HardReset", "Other", "PowerLoss",
    "Reboot", "Remote",       "SoftReset",      "UnlockCommand", "DeAuthorized",
};
static const char *const k_auth[] = {"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"};

const char *ocpp_status_name(enum ocpp_status s)
{
    return (unsigned)s < OCPP_ST_COUNT ? k_status[s] : "?";
}

const char *ocpp_reason_name(enum ocpp_reason r)
{
    return (unsigned)r < OCPP_R_COUNT ? k_reason[r] : "Other";
}

/* ------------------------------------------------------------------ time */

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_before_month(int64_t y, int m)
{
    static const int cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    return cum[m - 1] + (m > 2 && leap(y) ? 1 : 0);
}

/* Days from 1970-01-01; years 1970..9999 only (the backend's clock, not history). */
static int64_t days_from_date(int64_t y, int m, int d)
{
    int64_t days = 0;
    for (int64_t k = 1970; k < y; k++) {
        days += leap(k) ? 366 : 365;
    }
    return days + days_before_month(y, m) + d - 1;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') {
            return -1;
        }
        v = v * 10 + (s[k] - '0');
    }
    *out = v;
    return 0;
}

int ocpp_time_parse(const char *s, int64_t *unix_s)
{
    int y, mo, d, h, mi, se;
    size_t n = strlen(s);
    if (n < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &se)) {
        return HAL_EINVAL;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap(y)) ||
        h > 23 || mi > 59 || se > 60) {
        return HAL_EINVAL;
    }
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        size_t f = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == f) {
            return HAL_EINVAL;
        }
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (n - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om) ||
            oh > 23 || om > 59) {
            return HAL_EINVAL;
        }
        off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return HAL_EINVAL; /* no zone: ambiguous, and OCPP requires UTC */
    }
    if (i != n) {
        return HAL_EINVAL;
    }
    *unix_s = days_from_date(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return HAL_OK;
}

void ocpp_time_format(int64_t t, char out[21])
{
    if (t < 0) {
        t = 0;
    }
    int64_t days = t / 86400, rem = t % 86400;
    int64_t y = 1970;
    while (days >= (leap(y) ? 366 : 365)) {
        days -= leap(y) ? 366 : 365;
        y++;
    }
    int m = 1;
    while (m < 12 && days >= days_before_month(y, m + 1)) {
        m++;
    }
    int64_t d = days - days_before_month(y, m) + 1;
    int v[6] = {(int)y, m, (int)d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60)};
    static const char sep[] = "--T::Z";
    size_t o = 0;
    for (int k = 0; k < 6; k++) {
        int w = k == 0 ? 4 : 2;
        for (int q = w - 1; q >= 0; q--) {
            out[o + (size_t)q] = (char)('0' + v[k] % 10);
            v[k] /= 10;
        }
        o += (size_t)w;
        out[o++] = sep[k];
    }
    out[o] = '\0';
}

void ocpp_cp_set_clock(struct ocpp_cp *cp, int64_t unix_s, uint32_t now_ms)
{
    cp->unix_base = unix_s;
    cp->ms_base = now_ms;
}

int64_t ocpp_cp_unix(const struct ocpp_cp *cp, uint32_t now_ms)
{
    if (cp->unix_base == 0) {
        return 0;
    }
    return cp->unix_base + (int64_t)((uint32_t)(now_ms - cp->ms_base) / 1000u);
}

/* ------------------------------------------------------------------ set-up */

void ocpp_cp_default_config(struct ocpp_cp_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->heartbeat_interval_s = 300;
    cfg->meter_sample_interval_s = 60;
    cfg->connection_timeout_s = 60;
    cfg->tx_attempts = 3;
    cfg->tx_retry_interval_s = 10;
    cfg->ws_ping_interval_s = 30;
    /* the list and the cache are empty until the CSMS fills them: on by default, they change
     * nothing until then; LocalPreAuthorize off: a tag is asked of the backend when online */
    cfg->local_auth_list_enabled = true;
    cfg->cache_enabled = true;
    cfg->local_authorize_offline = true;
}

void ocpp_cp_init(struct ocpp_cp *cp, const struct ocpp_cp_info *info, const struct ocpp_cp_config *cfg,
                  const struct ocpp_cp_ops *ops, void *ctx, struct hal_log *log, uint32_t id_seed)
{
    memset(cp, 0, sizeof *cp);
    cp->ops = ops;
    cp->ctx = ctx;
    cp->log = log;
    cp->info = *info;
    if (cp->info.connectors < 1 || cp->info.connectors > CFG_OCPP_CONNECTORS) {
        cp->info.connectors = 1;
    }
    cp->cfg = *cfg;
    ocpp_rpc_init(&cp->rpc, id_seed);
    cp->status_dirty = (2u << cp->info.connectors) - 1u;
}

void ocpp_cp_connected(struct ocpp_cp *cp, uint32_t now_ms)
{
    cp->online = true;
    cp->last_tx_ms = now_ms;
    cp->retry_wait = false;
    ocpp_rpc_reset(&cp->rpc);
    cp->out = OCPP_OUT_NONE;
    if (!cp->boot_sent_since_reboot || cp->reg != OCPP_REG_ACCEPTED) {
        cp->next_boot_ms = now_ms;
    }
}

void ocpp_cp_disconnected(struct ocpp_cp *cp)
{
    cp->online = false;
    ocpp_rpc_reset(&cp->rpc);
    if (cp->out == OCPP_OUT_AUTH && cp->auth.pending) {
        cp->auth.pending = false;
        cp->ops->authorized(cp->ctx, cp->auth.connector, cp->auth.idtag, OCPP_AUTH_OFFLINE);
    }
    cp->out = OCPP_OUT_NONE;
    cp->txlen = 0;
}

unsigned ocpp_cp_queued(const struct ocpp_cp *cp)
{
    return cp->qcount;
}

/* ------------------------------------------------------------------ station side */

void ocpp_cp_status(struct ocpp_cp *cp, unsigned connector, enum ocpp_status st)
{
    if (connector > cp->info.connectors || (unsigned)st >= OCPP_ST_COUNT) {
        return;
    }
    if (cp->status[connector] != st) {
        cp->status[connector] = st;
        cp->status_dirty |= 1u << connector;
    }
}

int ocpp_cp_authorize(struct ocpp_cp *cp, unsigned connector, const char *idtag)
{
    if (strlen(idtag) == 0 || strlen(idtag) > OCPP_IDTAG_MAX) {
        return HAL_EINVAL;
    }
    if (!cp->online || cp->reg != OCPP_REG_ACCEPTED) {
        return HAL_ECLOSED; /* the caller applies its offline policy */
    }
    if (cp->auth.pending) {
        return HAL_EBUSY;
    }
    cp->auth.pending = true;
    cp->auth.connector = (uint8_t)connector;
    strcpy(cp->auth.idtag, idtag);
    return HAL_OK;
}

static struct ocpp_tx *tx_find(struct ocpp_cp *cp, uint32_t local_tx)
{
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        if (cp->tx[i].local_tx == local_tx && local_tx != 0) {
            return &cp->tx[i];
        }
    }
    return NULL;
}

/* ocpp_qentry.clock: the MeterValues' context */
enum { OCPP_MV_PERIODIC = 0, OCPP_MV_CLOCK = 1, OCPP_MV_BEGIN = 2 };
static int meter_push(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int64_t meter_wh,
                      const struct ocpp_sample *s, int64_t unix_s, uint8_t context);

static struct ocpp_qentry *q_push(struct ocpp_cp *cp)
{
    if (cp->qcount >= CFG_OCPP_QUEUE) {
        return NULL;
    }
    struct ocpp_qentry *e = &cp->q[(cp->qhead + cp->qcount) % CFG_OCPP_QUEUE];
    memset(e, 0, sizeof *e);
    cp->qcount++;
    return e;
}

static void q_pop(struct ocpp_cp *cp)
{
    if (cp->qcount > 0) {
        cp->qhead = (uint16_t)((cp->qhead + 1u) % CFG_OCPP_QUEUE);
        cp->qcount--;
        cp->q[(cp->qhead + CFG_OCPP_QUEUE - 1u) % CFG_OCPP_QUEUE].kind = 0;
    }
}

/* The @p i-th queued entry from the head. */
static struct ocpp_qentry *q_at(struct ocpp_cp *cp, unsigned i)
{
    return &cp->q[(cp->qhead + i) % CFG_OCPP_QUEUE];
}

/* Take out the @p i-th entry from the head; those behind it move up (order kept). */
static void q_remove_at(struct ocpp_cp *cp, unsigned i)
{
    for (; i + 1u < cp->qcount; i++) {
        *q_at(cp, i) = *q_at(cp, i + 1u);
    }
    q_at(cp, cp->qcount - 1u)->kind = 0;
    cp->qcount--;
}

/* A free entry at position @p i from the head (those from @p i on move back one). */
static struct ocpp_qentry *q_insert_at(struct ocpp_cp *cp, unsigned i)
{
    if (cp->qcount >= CFG_OCPP_QUEUE || i > cp->qcount) {
        return NULL;
    }
    for (unsigned k = cp->qcount; k > i; k--) {
        *q_at(cp, k) = *q_at(cp, k - 1u);
    }
    cp->qcount++;
    struct ocpp_qentry *e = q_at(cp, i);
    memset(e, 0, sizeof *e);
    return e;
}

/* Whether the queue's entry goes into the store (the journal holds the rest): a Start (its
 * reservation and idTag) and the MeterValues of a transaction. */
static bool q_stored(const struct ocpp_qentry *e)
{
    return e->kind == OCPP_Q_START || (e->kind == OCPP_Q_METER && e->local_tx != 0u);
}

/* An intermediate value (Sample.Periodic, Sample.Clock): dropped first when the queue is
 * full, so the Start, the Stop and the transaction's begin value (Transaction.Begin) stay
 * (fact sheet §2.4; the end value is in the Stop). */
static bool q_intermediate(const struct ocpp_qentry *e)
{
    return e->kind == OCPP_Q_METER && e->clock != OCPP_MV_BEGIN;
}

static void persist(struct ocpp_cp *cp)
{
    if (cp->ops->persist != NULL) {
        cp->ops->persist(cp->ctx);
    }
}

/* The installed charging profiles changed (a CALL, a transaction's start or end), or a
 * firmware job or its reports: the store holds them, so it is written again. */
static void persist_modules(struct ocpp_cp *cp)
{
    bool changed = false;
    if (cp->smart != NULL && cp->smart->generation != cp->smart_saved) {
        cp->smart_saved = cp->smart->generation;
        changed = true;
    }
    if (cp->fw != NULL && cp->fw->generation != cp->fw_saved) {
        cp->fw_saved = cp->fw->generation;
        changed = true;
    }
    if (changed) {
        cp->store_gen++;
        persist(cp);
    }
}

int ocpp_cp_tx_start(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, const char *idtag,
                     int64_t meter_wh, int64_t unix_s)
{
    if (connector < 1 || connector > cp->info.connectors || local_tx == 0 ||
        strlen(idtag) > OCPP_IDTAG_MAX || tx_find(cp, local_tx) != NULL) {
        return HAL_EINVAL;
    }
    /* room for the Stop too: a started transaction must always be able to end */
    unsigned running = 0;
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        running += cp->tx[i].local_tx != 0 && !cp->tx[i].stopped;
    }
    if (cp->qcount + running + 2u > CFG_OCPP_QUEUE) {
        return HAL_ENOMEM;
    }
    struct ocpp_tx *t = tx_find(cp, 0);
    for (unsigned i = 0; t == NULL && i < CFG_OCPP_QUEUE; i++) {
        if (cp->tx[i].local_tx == 0) {
            t = &cp->tx[i];
        }
    }
    if (t == NULL) {
        return HAL_ENOMEM;
    }
    memset(t, 0, sizeof *t);
    t->local_tx = local_tx;
    t->connector = (uint8_t)connector;
    cp->meter_sent[connector] = false;
    struct ocpp_qentry *e = q_push(cp);
    e->kind = OCPP_Q_START;
    e->connector = (uint8_t)connector;
    e->local_tx = local_tx;
    e->unix_s = unix_s;
    e->meter_wh = meter_wh;
    strcpy(e->idtag, idtag);
    e->reservation_id = ocpp_auth_reservation_use(cp, connector, idtag);
    cp->store_gen++; /* its "start" line: the reservation and idTag the journal does not keep */
    if (cp->cfg.start_txn_energy) {
        /* the start reading as its own MeterValues right behind the Start (OCA note §3.1.2),
         * a transaction message like the others; unsigned: the EM580 signs one record at
         * the end, with the start reading inside (the Stop's Transaction.End value). With
         * no room left beside the running transactions' Stops it is not sent (as a sample) */
        (void)meter_push(cp, connector, local_tx, meter_wh, NULL, unix_s, OCPP_MV_BEGIN);
    }
    persist(cp);
    return HAL_OK;
}

int ocpp_cp_tx_resume(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int32_t csms_id)
{
    if (connector < 1 || connector > cp->info.connectors || local_tx == 0 || tx_find(cp, local_tx) != NULL) {
        return HAL_EINVAL;
    }
    unsigned running = 0;
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        running += cp->tx[i].local_tx != 0 && !cp->tx[i].stopped;
    }
    struct ocpp_tx *t = tx_find(cp, 0);
    for (unsigned i = 0; t == NULL && i < CFG_OCPP_QUEUE; i++) {
        if (cp->tx[i].local_tx == 0) {
            t = &cp->tx[i];
        }
    }
    if (t == NULL || cp->qcount + running + 1u > CFG_OCPP_QUEUE) {
        return HAL_ENOMEM;
    }
    memset(t, 0, sizeof *t);
    t->local_tx = local_tx;
    t->connector = (uint8_t)connector;
    t->csms_id = csms_id;
    t->id_known = true;
    return HAL_OK;
}

int ocpp_cp_tx_stop(struct ocpp_cp *cp, uint32_t local_tx, const char *idtag, int64_t meter_wh,
                    int64_t unix_s, enum ocpp_reason reason)
{
    struct ocpp_tx *t = tx_find(cp, local_tx);
    if (t == NULL || t->stopped || strlen(idtag) > OCPP_IDTAG_MAX) {
        return HAL_EINVAL;
    }
    struct ocpp_qentry *e = q_push(cp);
    if (e == NULL) {
        return HAL_ENOMEM; /* cannot happen: tx_start kept room */
    }
    t->stopped = true;
    e->kind = OCPP_Q_STOP;
    e->connector = t->connector;
    e->local_tx = local_tx;
    e->unix_s = unix_s;
    e->meter_wh = meter_wh;
    e->reason = (uint8_t)reason;
    strcpy(e->idtag, idtag);
    persist(cp);
    return HAL_OK;
}

int ocpp_cp_meter(struct ocpp_cp *cp, uint32_t local_tx, int64_t meter_wh, int64_t unix_s, uint32_t now_ms)
{
    return ocpp_cp_meter_sample(cp, local_tx, meter_wh, NULL, unix_s, now_ms);
}

/* Room for one more MeterValues entry beside the Stop of every running transaction: when
 * the queue is full, the oldest intermediate value that is not on its way out goes (logged).
 * false: only Starts, Stops and begin/end values are queued. @p dropped: the position of the
 * value taken out (CFG_OCPP_QUEUE: none). */
static bool meter_room(struct ocpp_cp *cp, unsigned *dropped)
{
    *dropped = CFG_OCPP_QUEUE;
    unsigned running = 0;
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        running += cp->tx[i].local_tx != 0 && !cp->tx[i].stopped;
    }
    if (cp->qcount + running + 1u <= CFG_OCPP_QUEUE) {
        return true;
    }
    /* the head is not taken while its CALL is out: its answer pops it */
    unsigned first = cp->rpc.busy && cp->out == OCPP_OUT_QUEUE ? 1u : 0u;
    for (unsigned i = first; i < cp->qcount; i++) {
        struct ocpp_qentry *o = q_at(cp, i);
        if (q_intermediate(o)) {
            char when[21];
            ocpp_time_format(o->unix_s, when);
            LOGW(cp, 0, "ocpp: queue full: MeterValues of transaction %u at %s dropped", (unsigned)o->local_tx,
                 when);
            if (o->local_tx != 0u) {
                cp->store_gen++;
            }
            q_remove_at(cp, i);
            *dropped = i;
            cp->mv_dropped++;
            return true;
        }
    }
    return false;
}

/* Queues one MeterValues entry (@p context: an OCPP_MV_*), keeping room for every running
 * transaction's Stop (an intermediate value may go for it). */
static int meter_push(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int64_t meter_wh,
                      const struct ocpp_sample *s, int64_t unix_s, uint8_t context)
{
    unsigned dropped;
    if (!meter_room(cp, &dropped)) {
        return HAL_ENOMEM;
    }
    if (local_tx != 0u) {
        cp->store_gen++; /* a transaction's value is stored before it is sent */
    }
    struct ocpp_qentry *e = q_push(cp);
    e->kind = OCPP_Q_METER;
    e->connector = (uint8_t)connector;
    e->local_tx = local_tx;
    e->unix_s = unix_s;
    e->meter_wh = meter_wh;
    e->power_w = s != NULL ? s->power_w : OCPP_NO_VALUE;
    e->current_ma = s != NULL ? s->current_ma : OCPP_NO_VALUE;
    e->voltage_mv = s != NULL ? s->voltage_mv : OCPP_NO_VALUE;
    e->soc = s != NULL ? s->soc : -1;
    e->clock = context;
    return HAL_OK;
}

int ocpp_cp_meter_sample(struct ocpp_cp *cp, uint32_t local_tx, int64_t meter_wh, const struct ocpp_sample *s,
                         int64_t unix_s, uint32_t now_ms)
{
    struct ocpp_tx *t = tx_find(cp, local_tx);
    if (t == NULL || t->stopped) {
        return HAL_EINVAL;
    }
    if (cp->cfg.meter_sample_interval_s == 0 ||
        (cp->meter_sent[t->connector] && (uint32_t)(now_ms - cp->meter_ms[t->connector]) <
                                             cp->cfg.meter_sample_interval_s * 1000u)) {
        return HAL_EAGAIN; /* not due */
    }
    if (meter_push(cp, t->connector, local_tx, meter_wh, s, unix_s, OCPP_MV_PERIODIC) != HAL_OK) {
        return HAL_ENOMEM;
    }
    cp->meter_sent[t->connector] = true;
    cp->meter_ms[t->connector] = now_ms;
    persist(cp);
    return HAL_OK;
}

/* 00:00 of the day of @p unix_s (UTC, the charge point's clock). */
static int64_t day_start(int64_t unix_s)
{
    return unix_s - ((unix_s % 86400) + 86400) % 86400;
}

bool ocpp_cp_aligned_due(struct ocpp_cp *cp, int64_t unix_s, int64_t *boundary)
{
    uint32_t iv = cp->cfg.clock_aligned_interval_s;
    if (iv == 0 || unix_s <= 0) {
        cp->aligned_next = 0;
        return false;
    }
    /* the latest boundary at or before @p unix_s and the next one; the count starts again at
     * each midnight, so an interval that does not divide the day has a short last one */
    int64_t midnight = day_start(unix_s);
    int64_t last = midnight + (unix_s - midnight) / (int64_t)iv * (int64_t)iv;
    int64_t next = last + (int64_t)iv < midnight + 86400 ? last + (int64_t)iv : midnight + 86400;
    bool due = cp->aligned_next != 0 && cp->aligned_iv == iv && unix_s >= cp->aligned_next;
    if (due) {
        *boundary = last; /* boundaries missed (offline clock, a step forward) are not caught up */
    }
    /* always from the clock as it is now: a step back moves the next boundary back with it */
    cp->aligned_next = next;
    cp->aligned_iv = iv;
    return due;
}

int ocpp_cp_meter_aligned(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int64_t meter_wh,
                          const struct ocpp_sample *s, int64_t boundary)
{
    if (connector > cp->info.connectors) {
        return HAL_EINVAL;
    }
    if (local_tx != 0) {
        struct ocpp_tx *t = tx_find(cp, local_tx);
        if (t == NULL || t->stopped || t->connector != connector) {
            return HAL_EINVAL;
        }
    }
    int r = meter_push(cp, connector, local_tx, meter_wh, s, boundary, OCPP_MV_CLOCK);
    if (r == HAL_OK) {
        persist(cp);
    }
    return r;
}

/* ------------------------------------------------------------------ sending */

static bool begin_call(struct ocpp_cp *cp, struct ocpp_jw *w, const char *action, uint32_t now_ms)
{
    ocpp_jw_init(w, cp->txbuf, sizeof cp->txbuf);
    if (ocpp_rpc_call(&cp->rpc, w, action, now_ms) != HAL_OK) {
        return false;
    }
    ocpp_jw_obj(w);
    return true;
}

static bool end_call(struct ocpp_cp *cp, struct ocpp_jw *w, uint32_t now_ms)
{
    ocpp_jw_obj_end(w);
    ocpp_rpc_end(w);
    int n = ocpp_jw_end(w);
    if (n < 0) {
        LOGW(cp, now_ms, "ocpp: %s does not fit the %u-byte frame buffer: not sent", cp->rpc.out_action,
             (unsigned)sizeof cp->txbuf);
        ocpp_rpc_reset(&cp->rpc);
        cp->txlen = 0;
        return false;
    }
    cp->txlen = (size_t)n;
    return true;
}

static void ts(struct ocpp_cp *cp, struct ocpp_jw *w, const char *key, int64_t unix_s)
{
    char t[21];
    ocpp_time_format(unix_s, t);
    ocpp_jw_kstr(w, key, t);
    (void)cp;
}

static void kstr_opt(struct ocpp_jw *w, const char *key, const char *s)
{
    if (s != NULL && s[0] != '\0') {
        ocpp_jw_kstr(w, key, s);
    }
}

static bool send_boot(struct ocpp_cp *cp, uint32_t now_ms)
{
    struct ocpp_jw w;
    if (!begin_call(cp, &w, "BootNotification", now_ms)) {
        return false;
    }
    ocpp_jw_kstr(&w, "chargePointVendor", cp->info.vendor);
    ocpp_jw_kstr(&w, "chargePointModel", cp->info.model);
    kstr_opt(&w, "chargePointSerialNumber", cp->info.serial);
    kstr_opt(&w, "firmwareVersion", cp->info.firmware);
    kstr_opt(&w, "meterType", cp->info.meter_type);
    kstr_opt(&w, "meterSerialNumber", cp->info.meter_serial);
    cp->out = OCPP_OUT_BOOT;
    return end_call(cp, &w, now_ms);
}

static bool send_status(struct ocpp_cp *cp, unsigned c, uint32_t now_ms)
{
    struct ocpp_jw w;
    if (!begin_call(cp, &w, "StatusNotification", now_ms)) {
        return false;
    }
    ocpp_jw_kint(&w, "connectorId", c);
    ocpp_jw_kstr(&w, "errorCode", cp->status[c] == OCPP_ST_FAULTED ? "OtherError" : "NoError");
    ocpp_jw_kstr(&w, "status", k_status[cp->status[c]]);
    int64_t now = ocpp_cp_unix(cp, now_ms);
    if (now > 0) {
        ts(cp, &w, "timestamp", now);
    }
    cp->out = OCPP_OUT_STATUS;
    cp->out_connector = (uint8_t)c;
    cp->status_dirty &= ~(1u << c);
    return end_call(cp, &w, now_ms);
}

/* The OCMF record as the OCA application note writes it (SMV §3.2.1): a JSON text in
 * SampledValue.value with the record Base64-encoded, never re-serialised. */
/* "oca:base16:asn1:" + the DER SubjectPublicKeyInfo in hex (the note's §3.2.2; its §5.2
 * example lacks the prefix, §3.2.2 and §5.3 have it): MeterPublicKey<n> and publicKey.
 * Empty when the board's meter has no key to tell. */
#define OCPP_METER_KEY_TEXT (16u + 2u * 160u + 1u)
static size_t meter_key_text(struct ocpp_cp *cp, unsigned connector, char out[OCPP_METER_KEY_TEXT])
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t der[160];
    size_t n = cp->ops->meter_key != NULL ? cp->ops->meter_key(cp->ctx, connector, der, sizeof der) : 0u;
    out[0] = '\0';
    if (n == 0 || n > sizeof der) {
        return 0;
    }
    memcpy(out, "oca:base16:asn1:", 16);
    for (size_t i = 0; i < n; i++) {
        out[16u + 2u * i] = hex[der[i] >> 4];
        out[17u + 2u * i] = hex[der[i] & 15u];
    }
    out[16u + 2u * n] = '\0';
    return 16u + 2u * n;
}

static void signed_value(struct ocpp_jw *w, const char *ocmf, size_t n, const char *context, int64_t unix_s,
                         struct ocpp_cp *cp, unsigned connector)
{
    ocpp_jw_obj(w);
    ts(cp, w, "timestamp", unix_s);
    ocpp_jw_key(w, "sampledValue");
    ocpp_jw_arr(w);
    ocpp_jw_obj(w);
    ocpp_jw_key(w, "value");
    ocpp_jw_str_begin(w);
    ocpp_jw_str_part(w, "{\"signedMeterData\":\"", 20);
    ocpp_jw_str_b64(w, ocmf, n);
    static const char tail[] = "\",\"signingMethod\":\"\",\"encodingMethod\":\"OCMF\",\"publicKey\":\"";
    ocpp_jw_str_part(w, tail, sizeof tail - 1u);
    /* The transaction's one signed value is its Transaction.End record, so OncePerTransaction
     * and EveryMeterValue both put the key there; Never leaves it empty. */
    char key[OCPP_METER_KEY_TEXT];
    size_t kn = cp->cfg.pubkey_with_smv != 1u ? meter_key_text(cp, connector, key) : 0u;
    if (kn > 0) {
        ocpp_jw_str_b64(w, key, kn);
    }
    ocpp_jw_str_part(w, "\"}", 2);
    ocpp_jw_str_end(w);
    ocpp_jw_kstr(w, "context", context);
    ocpp_jw_kstr(w, "format", "SignedData");
    ocpp_jw_kstr(w, "measurand", "Energy.Active.Import.Register");
    ocpp_jw_kstr(w, "unit", "Wh");
    ocpp_jw_obj_end(w);
    ocpp_jw_arr_end(w);
    ocpp_jw_obj_end(w);
}

/* One sampledValue: @p v scaled by 10^-decimals (0 or 3), written as OCPP's decimal string
 * without floating point (12345 mA with 3 decimals is "12.345"). */
static void sampled(struct ocpp_jw *w, int64_t v, unsigned decimals, const char *measurand, const char *unit,
                    const char *context)
{
    char num[32];
    size_t n = 0;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char rev[24];
    size_t r = 0;
    for (unsigned d = 0; d < decimals; d++) {
        rev[r++] = (char)('0' + m % 10u);
        m /= 10u;
    }
    if (decimals > 0) {
        rev[r++] = '.';
    }
    do {
        rev[r++] = (char)('0' + m % 10u);
        m /= 10u;
    } while (m > 0);
    if (v < 0) {
        num[n++] = '-';
    }
    while (r > 0) {
        num[n++] = rev[--r];
    }
    num[n] = '\0';
    ocpp_jw_obj(w);
    ocpp_jw_kstr(w, "value", num);
    ocpp_jw_kstr(w, "context", context);
    ocpp_jw_kstr(w, "measurand", measurand);
    ocpp_jw_kstr(w, "unit", unit);
    ocpp_jw_obj_end(w);
}

static bool send_queue_head(struct ocpp_cp *cp, uint32_t now_ms)
{
    struct ocpp_qentry *e = &cp->q[cp->qhead];
    struct ocpp_tx *t = tx_find(cp, e->local_tx);
    struct ocpp_jw w;
    if (e->kind == OCPP_Q_START) {
        if (!begin_call(cp, &w, "StartTransaction", now_ms)) {
            return false;
        }
        ocpp_jw_kint(&w, "connectorId", e->connector);
        ocpp_jw_kstr(&w, "idTag", e->idtag);
        ocpp_jw_kint(&w, "meterStart", e->meter_wh);
        if (e->reservation_id >= 0) {
            ocpp_jw_kint(&w, "reservationId", e->reservation_id);
        }
        ts(cp, &w, "timestamp", e->unix_s);
    } else if (e->kind == OCPP_Q_STOP) {
        if (t == NULL || !t->id_known) {
            return false; /* cannot happen: its Start is ahead in the queue */
        }
        if (!begin_call(cp, &w, "StopTransaction", now_ms)) {
            return false;
        }
        ocpp_jw_kint(&w, "transactionId", t->csms_id);
        if (e->idtag[0] != '\0') {
            ocpp_jw_kstr(&w, "idTag", e->idtag);
        }
        ocpp_jw_kint(&w, "meterStop", e->meter_wh);
        ts(cp, &w, "timestamp", e->unix_s);
        ocpp_jw_kstr(&w, "reason", ocpp_reason_name((enum ocpp_reason)e->reason));
        const char *ocmf = NULL;
        size_t n = cp->ops->signed_data != NULL ? cp->ops->signed_data(cp->ctx, e->local_tx, &ocmf) : 0;
        if (n > 0 && ocmf != NULL) {
            ocpp_jw_key(&w, "transactionData");
            ocpp_jw_arr(&w);
            signed_value(&w, ocmf, n, "Transaction.End", e->unix_s, cp, e->connector);
            ocpp_jw_arr_end(&w);
        }
    } else {
        if (!begin_call(cp, &w, "MeterValues", now_ms)) {
            return false;
        }
        ocpp_jw_kint(&w, "connectorId", e->connector);
        if (t != NULL && t->id_known) {
            ocpp_jw_kint(&w, "transactionId", t->csms_id);
        }
        ocpp_jw_key(&w, "meterValue");
        ocpp_jw_arr(&w);
        ocpp_jw_obj(&w);
        ts(cp, &w, "timestamp", e->unix_s);
        ocpp_jw_key(&w, "sampledValue");
        ocpp_jw_arr(&w);
        const char *ctx = e->clock == OCPP_MV_CLOCK   ? "Sample.Clock"
                          : e->clock == OCPP_MV_BEGIN ? "Transaction.Begin"
                                                      : "Sample.Periodic";
        sampled(&w, e->meter_wh, 0, "Energy.Active.Import.Register", "Wh", ctx);
        if (e->power_w != OCPP_NO_VALUE) {
            sampled(&w, e->power_w, 0, "Power.Active.Import", "W", ctx);
        }
        if (e->current_ma != OCPP_NO_VALUE) {
            sampled(&w, e->current_ma, 3, "Current.Import", "A", ctx);
        }
        if (e->voltage_mv != OCPP_NO_VALUE) {
            sampled(&w, e->voltage_mv, 3, "Voltage", "V", ctx);
        }
        if (e->soc >= 0) {
            sampled(&w, e->soc, 0, "SoC", "Percent", ctx);
        }
        ocpp_jw_arr_end(&w);
        ocpp_jw_obj_end(&w);
        ocpp_jw_arr_end(&w);
    }
    cp->out = OCPP_OUT_QUEUE;
    return end_call(cp, &w, now_ms);
}

bool ocpp_cp_poll(struct ocpp_cp *cp, uint32_t now_ms)
{
    if (cp->fw != NULL) {
        /* downloads and installs go on offline and while a frame waits for the transport */
        ocpp_fw_poll(cp->fw, cp, now_ms);
    }
    /* a TxProfile ended or a RemoteStart's one came with its transaction; a firmware step */
    persist_modules(cp);
    if (cp->txlen > 0) {
        return true;
    }
    ocpp_auth_poll(cp, now_ms); /* reservations expire offline too */
    if (!cp->online) {
        return false;
    }
    if (ocpp_rpc_timed_out(&cp->rpc, now_ms)) {
        LOGW(cp, now_ms, "ocpp: no answer to %s within %u s", cp->rpc.out_action,
             (unsigned)(cp->rpc.timeout_ms / 1000u));
        if (cp->out == OCPP_OUT_AUTH) {
            cp->auth.pending = false;
            cp->ops->authorized(cp->ctx, cp->auth.connector, cp->auth.idtag, OCPP_AUTH_OFFLINE);
        } else if (cp->out == OCPP_OUT_STATUS) {
            cp->status_dirty |= 1u << cp->out_connector;
        }
        cp->out = OCPP_OUT_NONE;
    }
    if (cp->rpc.busy) {
        return false;
    }
    if (cp->reg != OCPP_REG_ACCEPTED) {
        /* only BootNotification before acceptance, queued messages included (§4.2) */
        if ((int32_t)(now_ms - cp->next_boot_ms) >= 0) {
            return send_boot(cp, now_ms);
        }
        return false;
    }
    /* statuses first (E16 3.22: after acceptance, connector 0..n, then the queue) */
    for (unsigned c = 0; c <= cp->info.connectors; c++) {
        if (cp->status_dirty & (1u << c)) {
            return send_status(cp, c, now_ms);
        }
    }
    if (cp->qcount > 0 && (!cp->retry_wait || (int32_t)(now_ms - cp->retry_at_ms) >= 0)) {
        cp->retry_wait = false;
        if (send_queue_head(cp, now_ms)) {
            return true;
        }
    }
    if (ocpp_sec_send(cp, now_ms)) {
        return true;
    }
    if (cp->cert != NULL && ocpp_cert_send(cp->cert, cp, now_ms)) {
        return true; /* SignCertificate (ocpp_cert.c) */
    }
    if (cp->fw != NULL && ocpp_fw_send(cp->fw, cp, now_ms)) {
        return true;
    }
    if (cp->auth.pending) {
        struct ocpp_jw w;
        if (begin_call(cp, &w, "Authorize", now_ms)) {
            ocpp_jw_kstr(&w, "idTag", cp->auth.idtag);
            cp->out = OCPP_OUT_AUTH;
            return end_call(cp, &w, now_ms);
        }
    }
    if (cp->heartbeat_due || (cp->cfg.heartbeat_interval_s > 0 &&
                              (uint32_t)(now_ms - cp->last_tx_ms) >= cp->cfg.heartbeat_interval_s * 1000u)) {
        struct ocpp_jw w;
        if (begin_call(cp, &w, "Heartbeat", now_ms)) {
            cp->heartbeat_due = false;
            cp->out = OCPP_OUT_HEARTBEAT;
            return end_call(cp, &w, now_ms);
        }
    }
    return false;
}

const char *ocpp_cp_take(struct ocpp_cp *cp, size_t *len)
{
    *len = cp->txlen;
    return cp->txlen > 0 ? cp->txbuf : NULL;
}

void ocpp_cp_sent(struct ocpp_cp *cp, uint32_t now_ms)
{
    if (cp->txlen > 0) {
        cp->sent++;
        cp->txlen = 0;
        cp->last_tx_ms = now_ms;
    }
}

/* ------------------------------------------------------------------ answers to our CALLs */

static int field_str(struct ocpp_cp *cp, int obj, const char *key, char *out, size_t cap)
{
    return ocpp_json_str(&cp->json, ocpp_json_get(&cp->json, obj, key), out, cap);
}

/* The milliseconds of a date-time ocpp_time_parse took ("...:05.9Z" -> 900); 0 without. */
static uint32_t time_fraction_ms(const char *s)
{
    uint32_t ms = 0, scale = 100;
    if (strlen(s) > 20 && s[19] == '.') {
        for (const char *p = s + 20; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10) {
            ms += (uint32_t)(*p - '0') * scale;
        }
    }
    return ms;
}

static void set_time_from(struct ocpp_cp *cp, int obj, uint32_t now_ms)
{
    char t[40];
    int64_t u;
    if (field_str(cp, obj, "currentTime", t, sizeof t) > 0 && ocpp_time_parse(t, &u) == HAL_OK) {
        int64_t before = ocpp_cp_unix(cp, now_ms);
        if (before != 0 && (u - before > 2 || before - u > 2)) { /* our rule: a step over 2 s */
            ocpp_sec_event(cp, OCPP_SEC_TIME, "clock set by the backend", now_ms);
        }
        /* The fraction counts as already elapsed: dropped, our clock would lag the backend's
         * by up to a second, and a certificate it signs "now" would be not yet valid here. */
        ocpp_cp_set_clock(cp, u, now_ms - time_fraction_ms(t));
        if (cp->ops->set_time != NULL) {
            cp->ops->set_time(cp->ctx, u);
        }
    }
}

static void on_boot_answer(struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    char st[16];
    int64_t interval = 0;
    int p = m->payload;
    if (m->type != OCPP_CALLRESULT || field_str(cp, p, "status", st, sizeof st) <= 0 ||
        ocpp_json_int(&cp->json, ocpp_json_get(&cp->json, p, "interval"), &interval) != HAL_OK ||
        interval < 0 || interval > 86400) {
        LOGW(cp, now_ms, "ocpp: BootNotification failed (%s): retry in 30 s",
             m->type == OCPP_CALLERROR ? m->error_text : "malformed answer");
        cp->next_boot_ms = now_ms + 30000u;
        return;
    }
    set_time_from(cp, p, now_ms);
    if (strcmp(st, "Accepted") == 0) {
        cp->reg = OCPP_REG_ACCEPTED;
        cp->boot_sent_since_reboot = true;
        if (interval > 0) {
            cp->cfg.heartbeat_interval_s = (uint32_t)interval;
        }
        cp->status_dirty = (2u << cp->info.connectors) - 1u;
        LOGI(cp, now_ms, "ocpp: backend accepted BootNotification (heartbeat %u s)",
             (unsigned)cp->cfg.heartbeat_interval_s);
        return;
    }
    bool pending = strcmp(st, "Pending") == 0;
    if (!pending && strcmp(st, "Rejected") != 0) {
        LOGW(cp, now_ms, "ocpp: BootNotification status '%s' unknown: retry in 30 s", st);
        cp->next_boot_ms = now_ms + 30000u;
        return;
    }
    cp->reg = pending ? OCPP_REG_PENDING : OCPP_REG_REJECTED;
    /* interval 0: our own wait that does not flood the CSMS (§4.2) */
    uint32_t wait_s = interval > 0 ? (uint32_t)interval : 30u;
    cp->next_boot_ms = now_ms + wait_s * 1000u;
    LOGI(cp, now_ms, "ocpp: backend answered BootNotification %s: next try in %u s", st, (unsigned)wait_s);
}

static void on_queue_answer(struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    struct ocpp_qentry *e = &cp->q[cp->qhead];
    struct ocpp_tx *t = tx_find(cp, e->local_tx);
    static const char *const kind[] = {"?", "StartTransaction", "MeterValues", "StopTransaction"};
    if (m->type == OCPP_CALLERROR) {
        e->attempts++;
        if (e->attempts < cp->cfg.tx_attempts) {
            cp->retry_wait = true;
            cp->retry_at_ms = now_ms + cp->cfg.tx_retry_interval_s * 1000u * e->attempts;
            LOGW(cp, now_ms, "ocpp: %s of transaction %u refused (%s), attempt %u of %u", kind[e->kind],
                 (unsigned)e->local_tx, m->error_text, (unsigned)e->attempts, (unsigned)cp->cfg.tx_attempts);
            return;
        }
        LOGW(cp, now_ms, "ocpp: %s of transaction %u dropped after %u attempts (%s)", kind[e->kind],
             (unsigned)e->local_tx, (unsigned)e->attempts, m->error_text);
        if (e->kind == OCPP_Q_START && t != NULL) {
            t->csms_id = -1; /* the Stop goes with -1 (fact sheet §7 offline tests) */
            t->id_known = true;
            if (cp->ops->tx_started != NULL) {
                cp->ops->tx_started(cp->ctx, e->local_tx, -1);
            }
        }
    } else if (e->kind == OCPP_Q_START && t != NULL) {
        int64_t id;
        char st[16] = "";
        int info = ocpp_json_get(&cp->json, m->payload, "idTagInfo");
        if (ocpp_json_int(&cp->json, ocpp_json_get(&cp->json, m->payload, "transactionId"), &id) != HAL_OK ||
            id < INT32_MIN || id > INT32_MAX || field_str(cp, info, "status", st, sizeof st) <= 0) {
            /* malformed: the CSMS did not take it in a form we can use; retry as a failure */
            struct ocpp_msg fake = *m;
            fake.type = OCPP_CALLERROR;
            strcpy(fake.error_text, "malformed StartTransaction.conf");
            on_queue_answer(cp, &fake, now_ms);
            return;
        }
        t->csms_id = (int32_t)id;
        t->id_known = true;
        ocpp_auth_cache_info(cp, e->idtag, info);
        if (cp->ops->tx_started != NULL) {
            cp->ops->tx_started(cp->ctx, e->local_tx, t->csms_id);
        }
        LOGI(cp, now_ms, "ocpp: backend took transaction %u as id %ld, idTag %s", (unsigned)e->local_tx,
             (long)id, st);
        if (strcmp(st, "Accepted") != 0 && !t->stopped) {
            /* StopTransactionOnInvalidId (read-only true): whoever authorised the session,
             * the backend's word on the idTag ends it */
            LOGI(cp, now_ms, "ocpp: idTag %s: stopping transaction %u", st, (unsigned)e->local_tx);
            if (cp->ops->deauthorize != NULL) {
                (void)cp->ops->deauthorize(cp->ctx, t->connector);
            } else if (cp->ops->remote_stop != NULL) {
                (void)cp->ops->remote_stop(cp->ctx, t->connector);
            }
        }
    }
    if (e->kind == OCPP_Q_STOP) {
        if (m->type == OCPP_CALLRESULT) {
            LOGI(cp, now_ms, "ocpp: backend confirmed the stop of transaction %u (id %ld)", (unsigned)e->local_tx,
                 t != NULL ? (long)t->csms_id : -1L);
        }
        if (cp->ops->tx_delivered != NULL) {
            cp->ops->tx_delivered(cp->ctx, e->local_tx);
        }
        if (t != NULL) {
            memset(t, 0, sizeof *t);
        }
    }
    if (q_stored(e)) {
        cp->store_gen++; /* its store line goes */
    }
    q_pop(cp);
    persist(cp);
}

static void on_answer(struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    int out = cp->out;
    cp->out = OCPP_OUT_NONE;
    switch (out) {
    case OCPP_OUT_BOOT:
        on_boot_answer(cp, m, now_ms);
        break;
    case OCPP_OUT_HEARTBEAT:
        if (m->type == OCPP_CALLRESULT) {
            set_time_from(cp, m->payload, now_ms);
        }
        break;
    case OCPP_OUT_STATUS:
        if (m->type == OCPP_CALLERROR) {
            LOGW(cp, now_ms, "ocpp: StatusNotification refused (%s)", m->error_text);
        }
        break;
    case OCPP_OUT_AUTH: {
        enum ocpp_auth a = OCPP_AUTH_INVALID;
        char st[16] = "";
        if (m->type == OCPP_CALLRESULT) {
            int info = ocpp_json_get(&cp->json, m->payload, "idTagInfo");
            (void)field_str(cp, info, "status", st, sizeof st);
            ocpp_auth_cache_info(cp, cp->auth.idtag, info);
            for (unsigned k = 0; k < sizeof k_auth / sizeof k_auth[0]; k++) {
                if (strcmp(st, k_auth[k]) == 0) {
                    a = (enum ocpp_auth)k;
                }
            }
        } else {
            a = OCPP_AUTH_OFFLINE;
        }
        cp->auth.pending = false;
        LOGI(cp, now_ms, "ocpp: backend answered Authorize %s: %s", cp->auth.idtag,
             m->type == OCPP_CALLRESULT ? st : m->error_text);
        cp->ops->authorized(cp->ctx, cp->auth.connector, cp->auth.idtag, a);
        break;
    }
    case OCPP_OUT_QUEUE:
        if (cp->qcount > 0) {
            on_queue_answer(cp, m, now_ms);
        }
        break;
    case OCPP_OUT_SECURITY:
        ocpp_sec_answer(cp, m, now_ms);
        break;
    case OCPP_OUT_CERT:
        if (cp->cert != NULL) {
            ocpp_cert_answer(cp->cert, cp, m, now_ms);
        }
        break;
    case OCPP_OUT_FW:
        if (cp->fw != NULL) {
            ocpp_fw_answer(cp->fw, cp, m, now_ms);
        }
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ incoming CALLs */

static void answer_status(struct ocpp_jw *w, const char *status)
{
    ocpp_jw_kstr(w, "status", status);
}

/* Configuration keys (§9.1): name, read-only, pointer to a uint32 value or NULL. */
struct cfgkey {
    const char *name;
    bool ro;
    uint8_t kind; /* 0 uint, 1 bool, 2 const string, 3 write-only string, 4 connectors,
                   * 5 SecurityProfile (uint, raise only: ocpp_sec.c), 6 constant uint (max),
                   * 7 RW text (printable, at most max bytes), 8 PublicKeyWithSignedMeterValue,
                   * 9 StartTxnSampledData (a bool: empty or the start register) */
    size_t off;
    const char *text;
    uint32_t max;
};
#define CK_U(n, f, mx) {n, false, 0, offsetof(struct ocpp_cp_config, f), NULL, mx}
static const struct cfgkey k_keys[] = {
    CK_U("HeartbeatInterval", heartbeat_interval_s, 86400u),
    CK_U("MeterValueSampleInterval", meter_sample_interval_s, 86400u),
    CK_U("ClockAlignedDataInterval", clock_aligned_interval_s, 86400u),
    CK_U("ConnectionTimeOut", connection_timeout_s, 3600u),
    CK_U("TransactionMessageAttempts", tx_attempts, 100u),
    CK_U("TransactionMessageRetryInterval", tx_retry_interval_s, 3600u),
    CK_U("WebSocketPingInterval", ws_ping_interval_s, 3600u),
    {"AllowOfflineTxForUnknownId", false, 1, offsetof(struct ocpp_cp_config, allow_offline_unknown), NULL, 0},
    {"AuthorizationKey", false, 3, offsetof(struct ocpp_cp_config, authorization_key), NULL, 40},
    {"NumberOfConnectors", true, 4, 0, NULL, 0},
    {"AuthorizeRemoteTxRequests", true, 2, 0, "false", 0},
    {"LocalAuthorizeOffline", false, 1, offsetof(struct ocpp_cp_config, local_authorize_offline), NULL, 0},
    {"LocalPreAuthorize", false, 1, offsetof(struct ocpp_cp_config, local_pre_authorize), NULL, 0},
    {"AuthorizationCacheEnabled", false, 1, offsetof(struct ocpp_cp_config, cache_enabled), NULL, 0},
    {"LocalAuthListEnabled", false, 1, offsetof(struct ocpp_cp_config, local_auth_list_enabled), NULL, 0},
    {"LocalAuthListMaxLength", true, 6, 0, NULL, CFG_OCPP_LOCAL_LIST},
    {"SendLocalListMaxLength", true, 6, 0, NULL, CFG_OCPP_SEND_LIST_MAX},
    {"ReserveConnectorZeroSupported", true, 2, 0, "false", 0},
    {"SecurityProfile", false, 5, offsetof(struct ocpp_cp_config, security_profile), NULL, 3},
    {"StopTransactionOnEVSideDisconnect", true, 2, 0, "true", 0},
    {"StopTransactionOnInvalidId", true, 2, 0, "true", 0},
    {"UnlockConnectorOnEVSideDisconnect", true, 2, 0, "true", 0},
    {"MeterValuesSampledData", true, 2, 0, "Energy.Active.Import.Register", 0},
    {"StopTxnSampledData", true, 2, 0, "", 0},
    {"MeterValuesAlignedData", true, 2, 0, "Energy.Active.Import.Register", 0},
    {"StopTxnAlignedData", true, 2, 0, "", 0},
    {"ResetRetries", true, 2, 0, "0", 0},
    {"GetConfigurationMaxKeys", true, 2, 0, "32", 0},
    {"SupportedFeatureProfiles", true, 2, 0, "Core,RemoteTrigger,SmartCharging,LocalAuthListManagement,Reservation", 0},
    /* Smart Charging (ocpp_smart.h): its bounds, both units */
    {"ChargeProfileMaxStackLevel", true, 2, 0, OCPP_SMART_STR(CFG_OCPP_SMART_MAX_STACK), 0},
    {"ChargingScheduleMaxPeriods", true, 2, 0, OCPP_SMART_STR(CFG_OCPP_SMART_PERIODS), 0},
    {"MaxChargingProfilesInstalled", true, 2, 0, OCPP_SMART_STR(CFG_OCPP_SMART_PROFILES), 0},
    {"ChargingScheduleAllowedChargingRateUnit", true, 2, 0, "Current,Power", 0},
    {"SampledDataSignReadings", true, 2, 0, "true", 0},
    /* the Begin value is the unsigned start reading (the EM580's one signed record holds B
     * and E and goes with the Stop: the OCMF best practice's "MR" form) */
    {"StartTxnSampledData", false, 9, offsetof(struct ocpp_cp_config, start_txn_energy), NULL, 0},
    {"SampledDataSignStartedReadings", true, 2, 0, "false", 0},
    {"StopTransactionSignatureFormat", true, 2, 0, "MR", 0},
    /* OCA application note §3.3; MeterPublicKey<n> are per connector (meter_key_name) */
    {"PublicKeyWithSignedMeterValue", false, 8, offsetof(struct ocpp_cp_config, pubkey_with_smv), NULL, 0},
    /* security whitepaper §7 (ocpp_cert.h): the store's bounds, CpoName for our CSR */
    {"AdditionalRootCertificateCheck", true, 2, 0, "false", 0},
    {"CertificateSignedMaxChainSize", true, 6, 0, NULL, CFG_OCPP_CERT_PEM_MAX - 1u},
    {"CertificateStoreMaxLength", true, 6, 0, NULL, CFG_OCPP_CERT_SLOTS},
    {"CpoName", false, 7, offsetof(struct ocpp_cp_config, cpo_name), NULL, 50},
};
#define NKEYS (sizeof k_keys / sizeof k_keys[0])

/* The one measurand StartTxnSampledData may name: at the start nothing flows yet, the
 * register is all a start reading has (power, current, voltage are 0; SoC comes later). */
static const char k_start_measurand[] = "Energy.Active.Import.Register";

/* PublicKeyWithSignedMeterValue's values, in the order of ocpp_cp_config.pubkey_with_smv */
static const char *const k_pubkey_when[3] = {"OncePerTransaction", "Never", "EveryMeterValue"};

/* MeterPublicKey<n> with 1 <= n <= the connectors (the note's key per connector): n, else 0 */
static unsigned meter_key_name(const struct ocpp_cp *cp, const char *name, size_t len)
{
    static const char prefix[] = "MeterPublicKey";
    size_t pl = sizeof prefix - 1u;
    if (len <= pl || len > pl + 3u || memcmp(name, prefix, pl) != 0 || name[pl] == '0') {
        return 0;
    }
    unsigned n = 0;
    for (size_t i = pl; i < len; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return 0;
        }
        n = n * 10u + (unsigned)(name[i] - '0');
    }
    return n <= cp->info.connectors ? n : 0u;
}

/* The same for a string token of the request (escapes decoded) */
static unsigned meter_key_tok(const struct ocpp_cp *cp, int t)
{
    char name[51];
    if (ocpp_json_str(&cp->json, t, name, sizeof name) < 0) {
        return 0;
    }
    return meter_key_name(cp, name, strlen(name));
}

static void put_meter_key(struct ocpp_cp *cp, struct ocpp_jw *w, unsigned connector)
{
    char name[24], val[OCPP_METER_KEY_TEXT];
    (void)snprintf(name, sizeof name, "MeterPublicKey%u", connector);
    (void)meter_key_text(cp, connector, val);
    ocpp_jw_obj(w);
    ocpp_jw_kstr(w, "key", name);
    ocpp_jw_key(w, "readonly");
    ocpp_jw_bool(w, true);
    ocpp_jw_kstr(w, "value", val);
    ocpp_jw_obj_end(w);
}

/* Longest value we report (SupportedFeatureProfiles with every profile is about 90 bytes). */
#define OCPP_KEY_VALUE_MAX 128u

static void key_value(struct ocpp_cp *cp, const struct cfgkey *k, char out[OCPP_KEY_VALUE_MAX])
{
    struct ocpp_jw w;
    ocpp_jw_init(&w, out, OCPP_KEY_VALUE_MAX);
    const char *base = (const char *)&cp->cfg;
    switch (k->kind) {
    case 0:
    case 5: {
        uint32_t u;
        memcpy(&u, base + k->off, sizeof u);
        ocpp_jw_int(&w, u);
        break;
    }
    case 1: {
        bool b;
        memcpy(&b, base + k->off, sizeof b);
        strcpy(out, b ? "true" : "false");
        break;
    }
    case 4:
        ocpp_jw_int(&w, cp->info.connectors);
        break;
    case 6:
        ocpp_jw_int(&w, k->max);
        break;
    case 7:
        strcpy(out, (const char *)base + k->off);
        break;
    case 8: {
        uint8_t e;
        memcpy(&e, base + k->off, sizeof e);
        strcpy(out, k_pubkey_when[e < 3u ? e : 0u]);
        break;
    }
    case 9: {
        bool b;
        memcpy(&b, base + k->off, sizeof b);
        strcpy(out, b ? k_start_measurand : "");
        break;
    }
    default:
        strcpy(out, k->text != NULL ? k->text : "");
        break;
    }
}

static void put_key(struct ocpp_cp *cp, struct ocpp_jw *w, const struct cfgkey *k)
{
    char val[OCPP_KEY_VALUE_MAX];
    ocpp_jw_obj(w);
    ocpp_jw_kstr(w, "key", k->name);
    ocpp_jw_key(w, "readonly");
    ocpp_jw_bool(w, k->ro);
    if (k->kind != 3) { /* AuthorizationKey is never shown (SEC3) */
        key_value(cp, k, val);
        ocpp_jw_kstr(w, "value", val);
    }
    ocpp_jw_obj_end(w);
}

static void h_get_configuration(struct ocpp_cp *cp, struct ocpp_chk *v, int p, struct ocpp_jw *w)
{
    static const char *const keys[] = {"key", NULL};
    ocpp_chk_keys(v, p, keys);
    int arr = ocpp_chk_member(v, p, "key", false, OCPP_J_ARR);
    for (int e = ocpp_json_at(&cp->json, arr, 0); e >= 0; e = ocpp_json_next(&cp->json, arr, e)) {
        if (ocpp_json_type(&cp->json, e) != OCPP_J_STR || ocpp_json_strlen(&cp->json, e) > 50) {
            ocpp_chk_fail(v, ocpp_json_type(&cp->json, e) != OCPP_J_STR ? OCPP_ERR_TYPE : OCPP_ERR_PROPERTY, "key");
        }
    }
    if (v->err != OCPP_ERR_NONE) {
        return;
    }
    ocpp_jw_key(w, "configurationKey");
    ocpp_jw_arr(w);
    unsigned asked = ocpp_json_size(&cp->json, arr);
    for (size_t k = 0; k < NKEYS; k++) {
        bool want = asked == 0;
        for (int e = ocpp_json_at(&cp->json, arr, 0); e >= 0 && !want; e = ocpp_json_next(&cp->json, arr, e)) {
            want = ocpp_json_streq(&cp->json, e, k_keys[k].name);
        }
        if (want) {
            put_key(cp, w, &k_keys[k]);
        }
    }
    for (unsigned c = 1; c <= cp->info.connectors; c++) {
        bool want = asked == 0;
        for (int e = ocpp_json_at(&cp->json, arr, 0); e >= 0 && !want; e = ocpp_json_next(&cp->json, arr, e)) {
            want = meter_key_tok(cp, e) == c;
        }
        if (want) {
            put_meter_key(cp, w, c);
        }
    }
    ocpp_jw_arr_end(w);
    bool any_unknown = false;
    for (int e = ocpp_json_at(&cp->json, arr, 0); e >= 0; e = ocpp_json_next(&cp->json, arr, e)) {
        bool known = meter_key_tok(cp, e) != 0;
        for (size_t k = 0; k < NKEYS; k++) {
            known = known || ocpp_json_streq(&cp->json, e, k_keys[k].name);
        }
        if (!known) {
            if (!any_unknown) {
                ocpp_jw_key(w, "unknownKey");
                ocpp_jw_arr(w);
                any_unknown = true;
            }
            ocpp_jw_raw(w, cp->json.text + cp->json.tok[e].start - 1, cp->json.tok[e].len + 2u);
        }
    }
    if (any_unknown) {
        ocpp_jw_arr_end(w);
    }
}

static bool parse_uint(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > max) {
            return false;
        }
    }
    *out = (uint32_t)v;
    return true;
}

/* One key set to @p val (from the backend or the store): the ChangeConfiguration status. */
static const char *set_key(struct ocpp_cp *cp, const struct cfgkey *k, const char *val, uint32_t now_ms)
{
    char *base = (char *)&cp->cfg;
    if (k == NULL) {
        return "NotSupported";
    }
    if (k->ro) {
        return "Rejected";
    }
    if (k->kind == 0) {
        uint32_t u;
        if (!parse_uint(val, k->max, &u)) {
            return "Rejected";
        }
        memcpy(base + k->off, &u, sizeof u);
    } else if (k->kind == 1) {
        bool b = strcmp(val, "true") == 0;
        if (!b && strcmp(val, "false") != 0) {
            return "Rejected";
        }
        memcpy(base + k->off, &b, sizeof b);
    } else if (k->kind == 3) {
        /* SEC3: 16..40 bytes (the 1.6 key itself is hex of up to 20 bytes) */
        size_t n = strlen(val);
        if (n < 16 || n > k->max) {
            return "Rejected";
        }
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)val[i] < 0x20u || val[i] == 0x7f) {
                return "Rejected"; /* printable: it is kept as one line of the board's store */
            }
        }
        memcpy(base + k->off, val, n + 1u);
        ocpp_sec_key_changed(cp, now_ms); /* stored, and the link reconnects with it */
    } else if (k->kind == 5) {
        return ocpp_sec_change_profile(cp, val, now_ms);
    } else if (k->kind == 8) {
        uint8_t e = 0;
        while (e < 3u && strcmp(val, k_pubkey_when[e]) != 0) {
            e++;
        }
        if (e == 3u) {
            return "Rejected";
        }
        memcpy(base + k->off, &e, sizeof e);
    } else if (k->kind == 9) {
        /* a CSL of measurands: empty, or ours, possibly named more than once */
        bool any = false;
        for (const char *c = val; *c != '\0';) {
            const char *end = strchr(c, ',');
            size_t n = end != NULL ? (size_t)(end - c) : strlen(c);
            if (n != sizeof k_start_measurand - 1u || memcmp(c, k_start_measurand, n) != 0) {
                return "Rejected"; /* unknown, or a measurand a start does not have */
            }
            any = true;
            c += n + (end != NULL ? 1u : 0u);
            if (end != NULL && *c == '\0') {
                return "Rejected"; /* a trailing comma */
            }
        }
        memcpy(base + k->off, &any, sizeof any);
    } else if (k->kind == 7) {
        /* a plain text key (CpoName): printable, so it stays one line in the store */
        size_t n = strlen(val);
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)val[i] < 0x20u || val[i] == 0x7f) {
                return "Rejected";
            }
        }
        if (n > k->max) {
            return "Rejected";
        }
        memcpy(base + k->off, val, n + 1u);
    }
    return "Accepted";
}

static const struct cfgkey *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(k_keys[i].name, name) == 0) {
            return &k_keys[i];
        }
    }
    return NULL;
}

static void h_change_configuration(struct ocpp_cp *cp, struct ocpp_chk *v, int p, struct ocpp_jw *w,
                                   uint32_t now_ms)
{
    static const char *const keys[] = {"key", "value", NULL};
    char key[51], val[501];
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_str(v, p, "key", true, key, 50);
    ocpp_chk_str(v, p, "value", true, val, 500);
    if (v->err != OCPP_ERR_NONE) {
        return;
    }
    const char *status = meter_key_name(cp, key, strlen(key)) != 0 ? "Rejected" /* MeterPublicKey<n>: R */
                                                                     : set_key(cp, find_key(key), val, now_ms);
    if (strcmp(status, "Accepted") == 0) {
        cp->store_gen++;
        persist(cp);
    }
    LOGI(cp, now_ms, "ocpp: backend set %s: %s", key, status);
    answer_status(w, status);
}

/* ------------------------------------------------------------------ the store */

void ocpp_cp_store_export(const struct ocpp_cp *cp, ocpp_put_fn put, void *ctx)
{
    /* the writable plain keys; the SecurityProfile reached over OCPP and an AuthorizationKey
     * set over OCPP are ocpp_sec.c's lines */
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfgkey *k = &k_keys[i];
        if (k->ro || (k->kind != 0 && k->kind != 1 && k->kind != 7 && k->kind != 8 && k->kind != 9)) {
            continue;
        }
        char val[OCPP_KEY_VALUE_MAX], line[OCPP_KEY_VALUE_MAX + 64];
        key_value((struct ocpp_cp *)cp, k, val);
        size_t n = (size_t)snprintf(line, sizeof line, "cfg %s %s\n", k->name, val);
        put(ctx, line, n);
    }
    ocpp_auth_store_export(cp, put, ctx);
    ocpp_sec_store_export(cp, put, ctx);
    /* the queue's Starts and a transaction's MeterValues, in queue order (the journal holds
     * the Starts and Stops themselves) */
    for (unsigned i = 0; i < cp->qcount; i++) {
        const struct ocpp_qentry *e = &cp->q[(cp->qhead + i) % CFG_OCPP_QUEUE];
        char line[OCPP_STORE_LINE_MAX], a[24], b[24], tag[2 * OCPP_IDTAG_MAX + 2u];
        int n = 0;
        if (!q_stored(e)) {
            continue;
        }
        (void)hal_fmt_i64(a, e->unix_s);
        (void)hal_fmt_i64(b, e->meter_wh);
        if (e->kind == OCPP_Q_START) {
            ocpp_store_hex(tag, e->idtag);
            n = snprintf(line, sizeof line, "start %lu %ld %s\n", (unsigned long)e->local_tx, (long)e->reservation_id,
                         tag);
        } else {
            n = snprintf(line, sizeof line, "mv %lu %u %s %s %ld %ld %ld %d %u\n", (unsigned long)e->local_tx,
                         e->connector, a, b, (long)e->power_w, (long)e->current_ma, (long)e->voltage_mv, e->soc,
                         e->clock);
        }
        if (n > 0 && (size_t)n < sizeof line) {
            put(ctx, line, (size_t)n);
        }
    }
    if (cp->smart != NULL) {
        ocpp_smart_store_export(cp->smart, put, ctx);
    }
    if (cp->fw != NULL) {
        ocpp_fw_store_export(cp->fw, cp->info.firmware, put, ctx);
    }
}

/* "start LOCALTX RESERVATIONID HEXTAG": what the journal does not keep of a queued Start. */
static int store_start(struct ocpp_cp *cp, const char **f, const size_t *l, const char **why)
{
    int64_t tx, rid;
    char tag[OCPP_IDTAG_MAX + 1];
    if (!ocpp_store_num(f[1], l[1], 1, UINT32_MAX, &tx) || !ocpp_store_num(f[2], l[2], -1, INT32_MAX, &rid) ||
        !ocpp_store_unhex(f[3], l[3], tag, OCPP_IDTAG_MAX)) {
        *why = "malformed start line";
        return HAL_EINVAL;
    }
    for (unsigned i = 0; i < cp->qcount; i++) {
        struct ocpp_qentry *e = q_at(cp, i);
        if (e->kind == OCPP_Q_START && e->local_tx == (uint32_t)tx) {
            e->reservation_id = (int32_t)rid;
            if (e->idtag[0] == '\0') {
                strcpy(e->idtag, tag);
            }
            return HAL_OK;
        }
    }
    *why = "no queued StartTransaction of that transaction (the journal has none undelivered)";
    return HAL_EINVAL;
}

/* "mv LOCALTX C UNIX WH POWER CURRENT VOLTAGE SOC CONTEXT": a transaction's queued MeterValues,
 * put back before its Stop (after its Start: the journal queued both already). */
static int store_meter(struct ocpp_cp *cp, const char **f, const size_t *l, const char **why)
{
    int64_t v[10];
    static const int64_t lo[10] = {0, 1, 1, 1, 0, INT32_MIN, INT32_MIN, INT32_MIN, -1, 0};
    static const int64_t hi[10] = {0, UINT32_MAX, CFG_OCPP_CONNECTORS, INT64_MAX / 2, INT64_MAX / 2,
                                   INT32_MAX, INT32_MAX, INT32_MAX, 100, OCPP_MV_BEGIN};
    for (unsigned i = 1; i < 10u; i++) {
        if (!ocpp_store_num(f[i], l[i], lo[i], hi[i], &v[i])) {
            *why = "malformed mv line";
            return HAL_EINVAL;
        }
    }
    struct ocpp_tx *t = tx_find(cp, (uint32_t)v[1]);
    if (t == NULL) {
        *why = "its transaction is not queued (the journal has it delivered)";
        return HAL_EINVAL;
    }
    if (t->connector != v[2]) {
        *why = "connector is not the transaction's";
        return HAL_EINVAL;
    }
    unsigned at = cp->qcount;
    for (unsigned i = 0; i < cp->qcount; i++) {
        const struct ocpp_qentry *o = q_at(cp, i);
        if (o->kind == OCPP_Q_METER && o->local_tx == t->local_tx && o->clock == OCPP_MV_BEGIN &&
            v[9] == OCPP_MV_BEGIN) {
            return HAL_OK; /* the journal's re-queued Start brought its Begin value again */
        }
        if (o->kind == OCPP_Q_METER && o->local_tx == t->local_tx && o->unix_s == v[3] && o->clock == v[9]) {
            *why = "the same value twice";
            return HAL_EINVAL;
        }
        if (o->kind == OCPP_Q_STOP && o->local_tx == t->local_tx) {
            at = i;
            break;
        }
    }
    unsigned dropped;
    if (!meter_room(cp, &dropped)) {
        *why = "queue full of transaction messages";
        return HAL_EINVAL;
    }
    if (dropped < at) {
        at--; /* meter_room took an older value out, ahead of the Stop */
    }
    struct ocpp_qentry *e = q_insert_at(cp, at);
    e->kind = OCPP_Q_METER;
    e->connector = t->connector;
    e->local_tx = t->local_tx;
    e->unix_s = v[3];
    e->meter_wh = v[4];
    e->power_w = (int32_t)v[5];
    e->current_ma = (int32_t)v[6];
    e->voltage_mv = (int32_t)v[7];
    e->soc = (int16_t)v[8];
    e->clock = (uint8_t)v[9];
    return HAL_OK;
}

int ocpp_cp_store_line(struct ocpp_cp *cp, const char *line, const char **why)
{
    *why = NULL;
    if (strncmp(line, "sec ", 4) == 0) {
        return ocpp_sec_store_line(cp, line, why);
    }
    const char *f[11];
    size_t l[11];
    unsigned nf = ocpp_store_fields(line, f, l, 10);
    if (nf == 4u && l[0] == 5u && strncmp(f[0], "start", 5) == 0) {
        return store_start(cp, f, l, why);
    }
    if (nf == 10u && l[0] == 2u && strncmp(f[0], "mv", 2) == 0) {
        return store_meter(cp, f, l, why);
    }
    if (strncmp(line, "fwnote ", 7) == 0 || strncmp(line, "fwjob ", 6) == 0 || strncmp(line, "upjob ", 6) == 0) {
        if (cp->fw == NULL) {
            *why = "no Firmware Management on this charge point";
            return HAL_EINVAL;
        }
        return ocpp_fw_store_line(cp->fw, cp, line, why);
    }
    if (strncmp(line, "prof ", 5) == 0) {
        if (cp->smart == NULL) {
            *why = "no Smart Charging on this charge point";
            return HAL_EINVAL;
        }
        return ocpp_smart_store_line(cp->smart, cp, line, why);
    }
    if (strncmp(line, "cfg ", 4) != 0) {
        return ocpp_auth_store_line(cp, line, why);
    }
    char name[51];
    const char *sp = strchr(line + 4, ' ');
    size_t n = sp != NULL ? (size_t)(sp - (line + 4)) : 0u;
    if (sp == NULL || n == 0 || n >= sizeof name) {
        *why = "malformed cfg line";
        return HAL_EINVAL;
    }
    memcpy(name, line + 4, n);
    name[n] = '\0';
    const struct cfgkey *k = find_key(name);
    if (k == NULL || k->ro || (k->kind != 0 && k->kind != 1 && k->kind != 7 && k->kind != 8 && k->kind != 9)) {
        *why = "not a stored key";
        return HAL_EINVAL;
    }
    if (strcmp(set_key(cp, k, sp + 1, 0), "Accepted") != 0) {
        *why = "value out of range";
        return HAL_EINVAL;
    }
    return HAL_OK;
}

static void h_remote_start(struct ocpp_cp *cp, struct ocpp_chk *v, int p, struct ocpp_jw *w, uint32_t now_ms)
{
    static const char *const keys[] = {"connectorId", "idTag", "chargingProfile", NULL};
    char tag[OCPP_IDTAG_MAX + 1];
    int64_t c = 0;
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_str(v, p, "idTag", true, tag, OCPP_IDTAG_MAX);
    ocpp_chk_int(v, p, "connectorId", false, INT32_MIN, INT32_MAX, &c);
    int prof = ocpp_chk_member(v, p, "chargingProfile", false, OCPP_J_OBJ);
    if (v->err != OCPP_ERR_NONE) {
        return;
    }
    /* a chargingProfile: checked as SetChargingProfile's, then only a TxProfile for the
     * connector, applied to the transaction that starts (ocpp_smart_remote_*) */
    struct ocpp_smart_profile sp;
    const char *refuse = NULL;
    if (prof >= 0 && cp->smart == NULL) {
        refuse = "a chargingProfile without Smart Charging";
    } else if (prof >= 0) {
        const char *why = NULL;
        enum ocpp_error e = ocpp_smart_remote_check(cp->smart, cp, prof, c >= 0 && c <= 255 ? (unsigned)c : 0u, &sp,
                                                    &why, &refuse);
        if (e != OCPP_ERR_NONE) {
            ocpp_chk_fail(v, e, why);
            return;
        }
    }
    const char *status = "Rejected";
    if (cp->reg == OCPP_REG_ACCEPTED && c >= 0 && c <= cp->info.connectors && refuse == NULL &&
        cp->ops->remote_start(cp->ctx, (unsigned)c, tag) == HAL_OK) {
        status = "Accepted";
        if (prof >= 0) {
            ocpp_smart_remote_set(cp->smart, (unsigned)c, &sp, ocpp_cp_unix(cp, now_ms));
        }
    }
    LOGI(cp, now_ms, "ocpp: backend asked to start with %s on connector %ld%s: %s%s%s", tag, (long)c,
         prof >= 0 ? " with a charging profile" : "", status, refuse != NULL ? " - " : "", refuse != NULL ? refuse : "");
    answer_status(w, status);
}

static void h_remote_stop(struct ocpp_cp *cp, struct ocpp_chk *v, int p, struct ocpp_jw *w, uint32_t now_ms)
{
    static const char *const keys[] = {"transactionId", NULL};
    int64_t id = 0;
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_int(v, p, "transactionId", true, INT32_MIN, INT32_MAX, &id);
    if (v->err != OCPP_ERR_NONE) {
        return;
    }
    const char *status = "Rejected";
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        struct ocpp_tx *t = &cp->tx[i];
        if (t->local_tx != 0 && t->id_known && t->csms_id == id && !t->stopped &&
            cp->ops->remote_stop(cp->ctx, t->connector) == HAL_OK) {
            status = "Accepted";
        }
    }
    LOGI(cp, now_ms, "ocpp: backend asked to stop transaction %ld: %s", (long)id, status);
    answer_status(w, status);
}

static void h_simple_connector(struct ocpp_cp *cp, struct ocpp_chk *v, int p, int64_t *c, const char *const *keys)
{
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_int(v, p, "connectorId", true, INT32_MIN, INT32_MAX, c);
    (void)cp;
}

static void handle_call(struct ocpp_cp *cp, const struct ocpp_msg *m, struct ocpp_jw *w, uint32_t now_ms)
{
    struct ocpp_chk v;
    ocpp_chk_start(&v, &cp->json);
    int aerr = OCPP_ERR_NONE;
    const char *a = m->action;
    int p = m->payload;
    static const char *const not_supported[] = {
        "SetChargingProfile", "ClearChargingProfile", "GetCompositeSchedule", "UpdateFirmware",
        "GetDiagnostics",     "SignedUpdateFirmware", "InstallCertificate",   "DeleteCertificate",
        "GetInstalledCertificateIds", "CertificateSigned", "ExtendedTriggerMessage", "GetLog",
        NULL,
    };
    ocpp_jw_init(w, cp->txbuf, sizeof cp->txbuf);
    ocpp_rpc_result(w, m->id);
    ocpp_jw_obj(w);

    if (strcmp(a, "GetConfiguration") == 0) {
        h_get_configuration(cp, &v, p, w);
    } else if (strcmp(a, "ChangeConfiguration") == 0) {
        h_change_configuration(cp, &v, p, w, now_ms);
    } else if (cp->reg == OCPP_REG_REJECTED) {
        /* Rejected: the CP answers nothing else until it is accepted (§4.2) */
        ocpp_chk_fail(&v, OCPP_ERR_SECURITY, "charge point not accepted");
    } else if (cp->smart != NULL && ocpp_smart_action(a)) {
        /* Smart Charging: its own schema checks and answers (ocpp_smart.c) */
        v.err = ocpp_smart_call(cp->smart, cp, a, p, w, now_ms, &v.why);
        persist_modules(cp); /* stored before the answer goes */
    } else if (cp->cert != NULL && ocpp_cert_action(a)) {
        /* certificate management, ExtendedTriggerMessage: ocpp_cert.c */
        v.err = ocpp_cert_call(cp->cert, cp, a, p, w, now_ms, &v.why);
    } else if (cp->fw != NULL && ocpp_fw_action(a)) {
        /* Firmware Management, signed firmware, GetLog: ocpp_fw.c */
        v.err = ocpp_fw_call(cp->fw, cp, a, p, w, now_ms, &v.why);
        persist_modules(cp); /* a job accepted is on file before the answer goes */
    } else if (ocpp_auth_call(cp, a, p, w, &aerr, &v.why, now_ms)) {
        /* Local Auth List, ClearCache, Reservation: ocpp_auth.c */
        v.err = (enum ocpp_error)aerr;
    } else if (strcmp(a, "RemoteStartTransaction") == 0) {
        h_remote_start(cp, &v, p, w, now_ms);
    } else if (strcmp(a, "RemoteStopTransaction") == 0) {
        h_remote_stop(cp, &v, p, w, now_ms);
    } else if (strcmp(a, "Reset") == 0) {
        static const char *const keys[] = {"type", NULL};
        static const char *const types[] = {"Hard", "Soft", NULL};
        ocpp_chk_keys(&v, p, keys);
        int t = ocpp_chk_enum(&v, p, "type", true, types);
        if (v.err == OCPP_ERR_NONE) {
            int rc = cp->ops->reset(cp->ctx, t == 0);
            LOGI(cp, now_ms, "ocpp: backend asked for a %s reset: %s", types[t], rc == HAL_OK ? "Accepted" : "Rejected");
            answer_status(w, rc == HAL_OK ? "Accepted" : "Rejected");
        }
    } else if (strcmp(a, "UnlockConnector") == 0) {
        static const char *const keys[] = {"connectorId", NULL};
        int64_t c = 0;
        h_simple_connector(cp, &v, p, &c, keys);
        if (v.err == OCPP_ERR_NONE && (c < 1 || c > cp->info.connectors)) {
            ocpp_chk_fail(&v, OCPP_ERR_PROPERTY, "connectorId");
        }
        if (v.err == OCPP_ERR_NONE) {
            int rc = cp->ops->unlock(cp->ctx, (unsigned)c);
            const char *s = rc == HAL_OK ? "Unlocked" : rc == HAL_ENOTSUP ? "NotSupported" : "UnlockFailed";
            LOGI(cp, now_ms, "ocpp: backend asked to unlock connector %ld: %s", (long)c, s);
            answer_status(w, s);
        }
    } else if (strcmp(a, "ChangeAvailability") == 0) {
        static const char *const keys[] = {"connectorId", "type", NULL};
        static const char *const types[] = {"Inoperative", "Operative", NULL};
        int64_t c = 0;
        h_simple_connector(cp, &v, p, &c, keys);
        int t = ocpp_chk_enum(&v, p, "type", true, types);
        if (v.err == OCPP_ERR_NONE && (c < 0 || c > cp->info.connectors)) {
            ocpp_chk_fail(&v, OCPP_ERR_PROPERTY, "connectorId");
        }
        if (v.err == OCPP_ERR_NONE) {
            int rc = cp->ops->availability(cp->ctx, (unsigned)c, t == 1);
            const char *s = rc == HAL_OK ? "Accepted" : rc == HAL_EBUSY ? "Scheduled" : "Rejected";
            LOGI(cp, now_ms, "ocpp: backend set connector %ld %s: %s", (long)c, types[t], s);
            answer_status(w, s);
        }
    } else if (strcmp(a, "TriggerMessage") == 0) {
        static const char *const keys[] = {"requestedMessage", "connectorId", NULL};
        static const char *const msgs[] = {"BootNotification", "DiagnosticsStatusNotification",
                                           "FirmwareStatusNotification", "Heartbeat", "MeterValues",
                                           "StatusNotification", NULL};
        int64_t c = -1;
        ocpp_chk_keys(&v, p, keys);
        int r = ocpp_chk_enum(&v, p, "requestedMessage", true, msgs);
        if (ocpp_chk_int(&v, p, "connectorId", false, INT32_MIN, INT32_MAX, &c) > 0 &&
            (c < 1 || c > cp->info.connectors)) {
            ocpp_chk_fail(&v, OCPP_ERR_PROPERTY, "connectorId");
        }
        if (v.err == OCPP_ERR_NONE) {
            const char *s = "Accepted";
            if (r == 0) {
                s = cp->reg == OCPP_REG_ACCEPTED ? "Rejected" : "Accepted"; /* E16 3.35 */
                if (cp->reg != OCPP_REG_ACCEPTED) {
                    cp->next_boot_ms = now_ms;
                }
            } else if (r == 3) {
                cp->heartbeat_due = true;
            } else if (r == 5) {
                cp->status_dirty |= c > 0 ? 1u << c : (2u << cp->info.connectors) - 1u;
            } else if ((r == 1 || r == 2) && cp->fw != NULL) {
                ocpp_fw_trigger(cp->fw, r == 1); /* the current status (ocpp_fw.c) */
            } else {
                s = "NotImplemented";
            }
            answer_status(w, s);
        }
    } else if (strcmp(a, "DataTransfer") == 0) {
        static const char *const keys[] = {"vendorId", "messageId", "data", NULL};
        char vendor[256], mid[51];
        ocpp_chk_keys(&v, p, keys);
        ocpp_chk_str(&v, p, "vendorId", true, vendor, 255);
        ocpp_chk_str(&v, p, "messageId", false, mid, 50);
        if (v.err == OCPP_ERR_NONE) {
            answer_status(w, "UnknownVendorId");
        }
    } else {
        bool known = false;
        for (const char *const *q = not_supported; *q != NULL; q++) {
            known = known || strcmp(*q, a) == 0;
        }
        ocpp_chk_fail(&v, known ? OCPP_ERR_NOT_SUPPORTED : OCPP_ERR_NOT_IMPLEMENTED,
                known ? "action not supported by this charge point" : "unknown action");
    }

    if (v.err != OCPP_ERR_NONE) {
        LOGW(cp, now_ms, "ocpp: %s refused: %s (%s)", a, ocpp_error_name(v.err), v.why);
        ocpp_jw_init(w, cp->txbuf, sizeof cp->txbuf);
        ocpp_rpc_error(w, m->id, v.err, v.why);
        return;
    }
    ocpp_jw_obj_end(w);
    ocpp_rpc_end(w);
}

void ocpp_cp_rx(struct ocpp_cp *cp, const char *text, size_t len, uint32_t now_ms)
{
    struct ocpp_msg *m = &cp->msg;
    cp->received++;
    int rc = ocpp_rpc_parse(&cp->json, text, len, m);
    if (rc == HAL_ENOTSUP) {
        LOGW(cp, now_ms, "ocpp: frame ignored: %s", m->why);
        return;
    }
    struct ocpp_jw w;
    if (rc != HAL_OK) {
        if (m->reply_error == OCPP_ERR_NONE) {
            LOGW(cp, now_ms, "ocpp: frame dropped: %s", m->why);
            return;
        }
        ocpp_jw_init(&w, cp->txbuf, sizeof cp->txbuf);
        ocpp_rpc_error(&w, m->id, m->reply_error, m->why);
    } else if (m->type != OCPP_CALL) {
        if (ocpp_rpc_match(&cp->rpc, m) != HAL_OK) {
            LOGW(cp, now_ms, "ocpp: answer to an unknown or old CALL '%s' dropped", m->id);
            return;
        }
        on_answer(cp, m, now_ms);
        return;
    } else {
        if (cp->txlen > 0) {
            /* the transport did not take our last frame: it is lost with the link anyway;
             * answering matters more than a CALL the peer will time out on */
            LOGW(cp, now_ms, "ocpp: unsent frame replaced by the answer to %s", m->action);
            if (cp->rpc.busy) {
                ocpp_rpc_reset(&cp->rpc);
                if (cp->out == OCPP_OUT_STATUS) {
                    cp->status_dirty |= 1u << cp->out_connector;
                }
                cp->out = OCPP_OUT_NONE;
            }
        }
        handle_call(cp, m, &w, now_ms);
    }
    int n = ocpp_jw_end(&w);
    if (n < 0) {
        ocpp_jw_init(&w, cp->txbuf, sizeof cp->txbuf);
        ocpp_rpc_error(&w, m->id, OCPP_ERR_INTERNAL, "answer too large");
        n = ocpp_jw_end(&w);
    }
    cp->txlen = n > 0 ? (size_t)n : 0u;
}
