/*
 * OCPP 1.6J Smart Charging: owns the table of installed charging profiles (static, bounded
 * by CFG_OCPP_SMART_*), the schema and semantic checks of SetChargingProfile /
 * ClearChargingProfile / GetCompositeSchedule, and the evaluation of the schedules at a
 * time: per purpose the highest valid stack level, TxProfile over TxDefaultProfile, the
 * ChargePointMaxProfile beside them. Nothing here touches the station: the board reads
 * ocpp_smart_limit() and applies it (firmware/ocpp_station.c).
 */
#include "ocpp/ocpp_smart.h"

#include <stdio.h>
#include <string.h>

#include "hal_fmt.h"
#include "ocpp/ocpp_chk.h"

/* A "prof" line: 160 bytes of head at most, 24 per period ("2147483647,2147483647,3 "). */
_Static_assert(160u + 24u * CFG_OCPP_SMART_PERIODS <= OCPP_STORE_LINE_MAX,
               "a stored profile must fit OCPP_STORE_LINE_MAX: raise it with CFG_OCPP_SMART_PERIODS");

#define LOGI(cp, now, ...) hal_logf((cp)->log, HAL_LOG_INFO, (now), __VA_ARGS__)

static const char *const k_purpose[] = {"ChargePointMaxProfile", "TxDefaultProfile", "TxProfile", NULL};
static const char *const k_kind[] = {"Absolute", "Recurring", "Relative", NULL};
static const char *const k_recur[] = {"Daily", "Weekly", NULL};
static const char *const k_unit[] = {"A", "W", NULL};

/* A limit no rating gives (only when the board told none): 10 MW / 10 MA in tenths. */
#define UNRATED_D 100000000

void ocpp_smart_init(struct ocpp_smart *s, uint8_t connectors, uint32_t nominal_mv)
{
    memset(s, 0, sizeof *s);
    s->connectors = connectors >= 1u && connectors <= CFG_OCPP_CONNECTORS ? connectors : 1u;
    s->nominal_mv = nominal_mv != 0u ? nominal_mv : 400000u;
}

void ocpp_smart_rating(struct ocpp_smart *s, unsigned c, uint32_t max_w, uint32_t max_ma)
{
    if (c <= s->connectors) {
        s->rating_w[c] = max_w;
        s->rating_ma[c] = max_ma;
    }
}

void ocpp_smart_voltage(struct ocpp_smart *s, unsigned c, int32_t mv)
{
    if (c >= 1u && c <= s->connectors) {
        s->session_mv[c] = mv > 0 ? mv : 0;
    }
}

bool ocpp_smart_action(const char *a)
{
    return strcmp(a, "SetChargingProfile") == 0 || strcmp(a, "ClearChargingProfile") == 0 ||
           strcmp(a, "GetCompositeSchedule") == 0;
}

/* ------------------------------------------------------------------ transactions */

/* The core's running transaction on connector @p c (its Stop not yet queued), or NULL. */
static const struct ocpp_tx *running_tx(const struct ocpp_cp *cp, unsigned c)
{
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        const struct ocpp_tx *t = &cp->tx[i];
        if (t->local_tx != 0u && t->connector == c && !t->stopped) {
            return t;
        }
    }
    return NULL;
}

static const char *install(struct ocpp_smart *s, const struct ocpp_cp *cp, struct ocpp_smart_profile *p);

/* A RemoteStart's TxProfile for connector @p c, now that its transaction runs: installed
 * when the transaction came in time, else dropped (that start never came). */
static void remote_install(struct ocpp_smart *s, const struct ocpp_cp *cp, unsigned c, int64_t unix_s,
                           uint32_t now_ms)
{
    if (!s->remote[c].used) {
        return;
    }
    struct ocpp_smart_profile one = s->remote[c]; /* install() marks its argument used */
    struct ocpp_smart_profile *p = &one;
    s->remote[c].used = false;
    const char *refuse = "its transaction started too late";
    if (unix_s - s->remote_at[c] <= (int64_t)cp->cfg.connection_timeout_s + OCPP_SMART_REMOTE_SLACK_S) {
        refuse = install(s, cp, p);
    }
    if (refuse != NULL) {
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: RemoteStart's charging profile %ld on connector %u not applied (%s)",
                 (long)p->id, c, refuse);
    } else {
        hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: RemoteStart's charging profile %ld applied to connector %u's transaction",
                 (long)p->id, c);
    }
}

void ocpp_smart_poll(struct ocpp_smart *s, const struct ocpp_cp *cp, int64_t unix_s, uint32_t now_ms)
{
    for (unsigned c = 1; c <= s->connectors; c++) {
        bool run = running_tx(cp, c) != NULL;
        if (run && !s->tx[c].running && unix_s > 0) { /* a start needs the clock */
            s->tx[c].running = true;
            s->tx[c].start = unix_s;
            remote_install(s, cp, c, unix_s, now_ms);
            s->generation++;
        } else if (!run && s->tx[c].running) {
            s->tx[c].running = false;
            for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES; i++) {
                struct ocpp_smart_profile *p = &s->p[i];
                if (p->used && p->purpose == OCPP_SP_TX && p->connector == c) {
                    p->used = false; /* TxProfiles end with their transaction */
                }
            }
            s->generation++;
        }
    }
}

/* ------------------------------------------------------------------ evaluation */

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void next_at(int64_t *nx, int64_t t, int64_t x)
{
    if (x > t && x < *nx) {
        *nx = x;
    }
}

/*
 * Profile @p p at time @p t for connector @p c (whose transaction a Relative schedule
 * follows): true with the limit when it runs then. *nx is lowered to the first time after
 * t at which its contribution may change.
 */
static bool prof_at(const struct ocpp_smart *s, const struct ocpp_smart_profile *p, unsigned c, int64_t t,
                    int32_t *limit, int64_t *nx)
{
    if (p->valid_from != 0 && t < p->valid_from) {
        next_at(nx, t, p->valid_from);
        return false;
    }
    if (p->valid_to != 0) {
        if (t >= p->valid_to) {
            return false;
        }
        next_at(nx, t, p->valid_to);
    }
    int64_t base, end = INT64_MAX;
    if (p->kind == OCPP_SK_RELATIVE) {
        if (c > s->connectors || !s->tx[c].running) {
            return false; /* runs only from a transaction's start */
        }
        base = s->tx[c].start;
    } else if (p->kind == OCPP_SK_RECURRING) {
        int64_t per = p->recur == OCPP_SR_WEEKLY ? 604800 : 86400;
        base = p->start + floordiv(t - p->start, per) * per;
        end = base + per; /* anything longer than the recurrence is cut */
        next_at(nx, t, end);
    } else {
        base = p->start;
    }
    if (t < base) {
        next_at(nx, t, base);
        return false;
    }
    if (p->has_duration && base + p->duration_s < end) {
        end = base + p->duration_s;
        next_at(nx, t, end);
    }
    if (t >= end) {
        return false;
    }
    int64_t e = t - base;
    unsigned k = 0;
    while (k + 1u < p->nper && p->per[k + 1u].start_s <= e) {
        k++;
    }
    if (k + 1u < p->nper) {
        next_at(nx, t, base + p->per[k + 1u].start_s);
    }
    *limit = p->per[k].limit_d;
    return true;
}

/* The winner of one purpose at t: the highest stack level that runs; a connector's own
 * TxDefaultProfile over the charge point's at the same level. */
static const struct ocpp_smart_profile *purpose_at(const struct ocpp_smart *s, enum ocpp_smart_purpose pur,
                                                   unsigned c, int64_t t, int32_t *limit, int64_t *nx)
{
    const struct ocpp_smart_profile *best = NULL;
    if (pur == OCPP_SP_TX && (c == 0u || c > s->connectors || !s->tx[c].running)) {
        return NULL;
    }
    for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES; i++) {
        const struct ocpp_smart_profile *p = &s->p[i];
        if (!p->used || p->purpose != pur) {
            continue;
        }
        bool mine = p->connector == c || (pur == OCPP_SP_TX_DEFAULT && p->connector == 0u);
        int32_t l;
        if (!mine || !prof_at(s, p, c, t, &l, nx)) {
            continue;
        }
        if (best == NULL || p->stack > best->stack ||
            (p->stack == best->stack && p->connector > best->connector)) {
            best = p;
            *limit = l;
        }
    }
    return best;
}

static void put_limit(const struct ocpp_smart_profile *p, int32_t limit_d, uint32_t *ma, uint32_t *w)
{
    *ma = OCPP_SMART_NONE;
    *w = OCPP_SMART_NONE;
    if (p == NULL) {
        return;
    }
    uint32_t v = limit_d > 0 ? (uint32_t)limit_d : 0u;
    if (p->unit == OCPP_SU_A) {
        *ma = v * 100u; /* tenths of A to mA */
    } else {
        *w = v / 10u;
    }
}

bool ocpp_smart_limit(const struct ocpp_smart *s, unsigned c, int64_t unix_s, uint32_t *max_ma, uint32_t *max_w)
{
    int64_t nx = INT64_MAX;
    int32_t l = 0;
    const struct ocpp_smart_profile *p = purpose_at(s, OCPP_SP_TX, c, unix_s, &l, &nx);
    if (p == NULL) {
        p = purpose_at(s, OCPP_SP_TX_DEFAULT, c, unix_s, &l, &nx);
    }
    put_limit(p, l, max_ma, max_w);
    return p != NULL;
}

bool ocpp_smart_cp_limit(const struct ocpp_smart *s, int64_t unix_s, uint32_t *max_ma, uint32_t *max_w)
{
    int64_t nx = INT64_MAX;
    int32_t l = 0;
    const struct ocpp_smart_profile *p = purpose_at(s, OCPP_SP_CP_MAX, 0u, unix_s, &l, &nx);
    put_limit(p, l, max_ma, max_w);
    return p != NULL;
}

/* Tenths of @p from converted to @p to at @p mv (A × V = W). */
static int64_t convert(int64_t d, enum ocpp_smart_unit from, enum ocpp_smart_unit to, uint32_t mv)
{
    if (from == to) {
        return d;
    }
    return from == OCPP_SU_A ? d * mv / 1000 : d * 1000 / (mv != 0u ? mv : 1u);
}

static int64_t rating_d(const struct ocpp_smart *s, unsigned c, enum ocpp_smart_unit u, uint32_t mv)
{
    if (u == OCPP_SU_W && s->rating_w[c] != 0u) {
        return (int64_t)s->rating_w[c] * 10;
    }
    if (u == OCPP_SU_A && s->rating_ma[c] != 0u) {
        return (int64_t)s->rating_ma[c] / 100;
    }
    if (s->rating_w[c] != 0u) {
        return convert((int64_t)s->rating_w[c] * 10, OCPP_SU_W, u, mv);
    }
    if (s->rating_ma[c] != 0u) {
        return convert((int64_t)s->rating_ma[c] / 100, OCPP_SU_A, u, mv);
    }
    return UNRATED_D;
}

/* The composite value of connector @p c at t in @p u; *nx the next possible change. */
static int64_t composite_at(const struct ocpp_smart *s, unsigned c, int64_t t, enum ocpp_smart_unit u, uint32_t mv,
                            int64_t *nx)
{
    int64_t v = rating_d(s, c, u, mv);
    int32_t l = 0;
    const struct ocpp_smart_profile *p = purpose_at(s, OCPP_SP_CP_MAX, 0u, t, &l, nx);
    if (p != NULL) {
        int64_t x = convert(l, (enum ocpp_smart_unit)p->unit, u, mv);
        v = x < v ? x : v;
    }
    if (c != 0u) {
        /* while a TxProfile runs, TxDefault changes do not matter: its own end is in *nx */
        p = purpose_at(s, OCPP_SP_TX, c, t, &l, nx);
        if (p == NULL) {
            p = purpose_at(s, OCPP_SP_TX_DEFAULT, c, t, &l, nx);
        }
        if (p != NULL) {
            int64_t x = convert(l, (enum ocpp_smart_unit)p->unit, u, mv);
            v = x < v ? x : v;
        }
    }
    return v < 0 ? 0 : v;
}

unsigned ocpp_smart_composite(const struct ocpp_smart *s, unsigned c, int64_t t0, int32_t duration_s,
                              enum ocpp_smart_unit unit, struct ocpp_smart_cperiod *out, int32_t *covered_s)
{
    uint32_t mv = c >= 1u && c <= s->connectors && s->session_mv[c] > 0 ? (uint32_t)s->session_mv[c]
                                                                        : s->nominal_mv;
    int64_t end = t0 + (duration_s > 0 ? duration_s : 0);
    int64_t t = t0;
    unsigned n = 0;
    *covered_s = duration_s > 0 ? duration_s : 0;
    /* every step reaches a change point of some profile; the step cap bounds the work of a
     * long duration over short recurring schedules */
    for (unsigned step = 0; step < 4096u; step++) {
        int64_t nx = INT64_MAX;
        int64_t v = composite_at(s, c, t, unit, mv, &nx);
        int32_t lim = v > INT32_MAX ? INT32_MAX : (int32_t)v;
        if (n == 0u || out[n - 1u].limit_d != lim) {
            if (n == CFG_OCPP_SMART_COMPOSITE) {
                *covered_s = (int32_t)(t - t0);
                return n;
            }
            out[n].start_s = (int32_t)(t - t0);
            out[n].limit_d = lim;
            n++;
        }
        if (nx >= end) {
            return n;
        }
        t = nx;
    }
    *covered_s = (int32_t)(t - t0);
    return n;
}

/* ------------------------------------------------------------------ SetChargingProfile */

/* Reads csChargingProfiles into @p p (schema errors into @p k); returns the semantic
 * refusal (NULL: acceptable as far as the profile alone goes). */
static const char *profile_rules(const struct ocpp_smart_profile *p);

static const char *read_profile(struct ocpp_chk *k, int t, struct ocpp_smart_profile *p)
{
    static const char *const pkeys[] = {"chargingProfileId", "transactionId", "stackLevel", "chargingProfilePurpose",
                                        "chargingProfileKind", "recurrencyKind", "validFrom", "validTo",
                                        "chargingSchedule", NULL};
    static const char *const skeys[] = {"duration", "startSchedule", "chargingRateUnit", "chargingSchedulePeriod",
                                        "minChargingRate", NULL};
    static const char *const perkeys[] = {"startPeriod", "limit", "numberPhases", NULL};
    int64_t v = 0;
    const char *refuse = NULL;
    memset(p, 0, sizeof *p);
    ocpp_chk_keys(k, t, pkeys);
    if (ocpp_chk_int(k, t, "chargingProfileId", true, INT32_MIN, INT32_MAX, &v) > 0) {
        p->id = (int32_t)v;
    }
    if (ocpp_chk_int(k, t, "transactionId", false, INT32_MIN, INT32_MAX, &v) > 0) {
        p->has_tx = true;
        p->tx_id = (int32_t)v;
    }
    if (ocpp_chk_int(k, t, "stackLevel", true, 0, INT32_MAX, &v) > 0) {
        if (v > (int64_t)CFG_OCPP_SMART_MAX_STACK) {
            refuse = "stackLevel above ChargeProfileMaxStackLevel";
        } else {
            p->stack = (uint8_t)v;
        }
    }
    int pur = ocpp_chk_enum(k, t, "chargingProfilePurpose", true, k_purpose);
    int kind = ocpp_chk_enum(k, t, "chargingProfileKind", true, k_kind);
    int rec = ocpp_chk_enum(k, t, "recurrencyKind", false, k_recur);
    ocpp_chk_time(k, t, "validFrom", false, &p->valid_from);
    ocpp_chk_time(k, t, "validTo", false, &p->valid_to);
    int sch = ocpp_chk_member(k, t, "chargingSchedule", true, OCPP_J_OBJ);
    p->purpose = (uint8_t)(pur >= 0 ? pur : 0);
    p->kind = (uint8_t)(kind >= 0 ? kind : 0);
    p->recur = (uint8_t)(rec >= 0 ? rec + 1 : OCPP_SR_NONE);
    if (sch < 0) {
        return refuse;
    }
    ocpp_chk_keys(k, sch, skeys);
    if (ocpp_chk_int(k, sch, "duration", false, INT32_MIN, INT32_MAX, &v) > 0) {
        if (v < 0) {
            refuse = refuse != NULL ? refuse : "negative duration";
        }
        p->has_duration = true;
        p->duration_s = (int32_t)(v < 0 ? 0 : v);
    }
    ocpp_chk_time(k, sch, "startSchedule", false, &p->start);
    int unit = ocpp_chk_enum(k, sch, "chargingRateUnit", true, k_unit);
    p->unit = (uint8_t)(unit >= 0 ? unit : 0);
    p->min_rate_d = -1;
    int32_t mr = 0;
    if (ocpp_chk_tenths(k, sch, "minChargingRate", false, &mr) > 0) {
        if (mr < 0) {
            refuse = refuse != NULL ? refuse : "negative minChargingRate";
        }
        p->min_rate_d = mr;
    }
    int arr = ocpp_chk_member(k, sch, "chargingSchedulePeriod", true, OCPP_J_ARR);
    if (arr < 0) {
        return refuse;
    }
    unsigned n = ocpp_json_size(k->j, arr);
    if (n == 0u) {
        refuse = refuse != NULL ? refuse : "no chargingSchedulePeriod";
    }
    for (unsigned i = 0; i < n && k->err == OCPP_ERR_NONE; i++) {
        int e = ocpp_json_at(k->j, arr, i);
        if (ocpp_json_type(k->j, e) != OCPP_J_OBJ) {
            ocpp_chk_fail(k, OCPP_ERR_TYPE, "chargingSchedulePeriod");
            break;
        }
        ocpp_chk_keys(k, e, perkeys);
        int64_t sp = 0, ph = 0;
        int32_t lim = 0;
        ocpp_chk_int(k, e, "startPeriod", true, INT32_MIN, INT32_MAX, &sp);
        ocpp_chk_tenths(k, e, "limit", true, &lim);
        int has_ph = ocpp_chk_int(k, e, "numberPhases", false, INT32_MIN, INT32_MAX, &ph);
        if (i >= CFG_OCPP_SMART_PERIODS) {
            refuse = refuse != NULL ? refuse : "more periods than ChargingScheduleMaxPeriods";
            continue;
        }
        if (i == 0u ? sp != 0 : sp <= p->per[i - 1u].start_s) {
            refuse = refuse != NULL ? refuse : "startPeriod not 0 first, then rising";
        }
        if (lim < 0) {
            refuse = refuse != NULL ? refuse : "negative limit";
        }
        if (has_ph > 0 && (ph < 1 || ph > 3)) {
            refuse = refuse != NULL ? refuse : "numberPhases outside 1..3";
        }
        p->per[i].start_s = (int32_t)sp;
        p->per[i].limit_d = lim;
        p->per[i].phases = (uint8_t)(has_ph > 0 && ph >= 1 && ph <= 3 ? ph : 0);
        p->nper = (uint8_t)(i + 1u);
    }
    if (refuse != NULL || k->err != OCPP_ERR_NONE) {
        return refuse;
    }
    return profile_rules(p);
}

/* The rules between a profile's fields (LO validate_profile; fact sheet §5 "Installing"),
 * for the backend's profiles and the stored ones alike. NULL: it may be installed. */
static const char *profile_rules(const struct ocpp_smart_profile *p)
{
    if ((p->kind == OCPP_SK_ABSOLUTE || p->kind == OCPP_SK_RECURRING) && p->start == 0) {
        return "Absolute and Recurring need startSchedule";
    }
    if (p->kind == OCPP_SK_RECURRING && p->recur == OCPP_SR_NONE) {
        return "Recurring without recurrencyKind";
    }
    if (p->kind != OCPP_SK_RECURRING && p->recur != OCPP_SR_NONE) {
        return "recurrencyKind without Recurring";
    }
    if (p->kind == OCPP_SK_RELATIVE && p->purpose == OCPP_SP_CP_MAX) {
        return "a Relative ChargePointMaxProfile";
    }
    if (p->valid_from != 0 && p->valid_to != 0 && p->valid_to <= p->valid_from) {
        return "validTo not after validFrom";
    }
    if (p->has_tx && p->purpose != OCPP_SP_TX) {
        return "transactionId on a profile other than TxProfile";
    }
    return NULL;
}

static const char *install(struct ocpp_smart *s, const struct ocpp_cp *cp, struct ocpp_smart_profile *p)
{
    if (p->purpose == OCPP_SP_CP_MAX && p->connector != 0u) {
        return "ChargePointMaxProfile only on connector 0";
    }
    if (p->purpose == OCPP_SP_TX) {
        const struct ocpp_tx *t = p->connector != 0u ? running_tx(cp, p->connector) : NULL;
        if (t == NULL) {
            return "TxProfile without a running transaction on the connector";
        }
        if (p->has_tx && (!t->id_known || t->csms_id != p->tx_id)) {
            return "transactionId is not the connector's running transaction";
        }
    }
    /* the same id, or the same stackLevel + purpose on the same connector, is replaced */
    int slot = -1;
    for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES; i++) {
        struct ocpp_smart_profile *o = &s->p[i];
        bool same = o->used && (o->id == p->id || (o->stack == p->stack && o->purpose == p->purpose &&
                                                    o->connector == p->connector));
        if (same) {
            o->used = false;
            slot = slot < 0 ? (int)i : slot;
        }
    }
    for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES && slot < 0; i++) {
        slot = s->p[i].used ? -1 : (int)i;
    }
    if (slot < 0) {
        return "MaxChargingProfilesInstalled reached";
    }
    if (p->kind == OCPP_SK_RECURRING && p->has_duration) {
        int32_t per = p->recur == OCPP_SR_WEEKLY ? 604800 : 86400;
        p->duration_s = p->duration_s > per ? per : p->duration_s;
    }
    p->used = true;
    s->p[slot] = *p;
    s->generation++;
    return NULL;
}

static void h_set(struct ocpp_smart *s, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                  uint32_t now_ms)
{
    static const char *const keys[] = {"connectorId", "csChargingProfiles", NULL};
    struct ocpp_smart_profile p;
    int64_t c = 0;
    ocpp_chk_keys(k, pl, keys);
    ocpp_chk_int(k, pl, "connectorId", true, INT32_MIN, INT32_MAX, &c);
    int t = ocpp_chk_member(k, pl, "csChargingProfiles", true, OCPP_J_OBJ);
    const char *refuse = t >= 0 ? read_profile(k, t, &p) : NULL;
    if (k->err == OCPP_ERR_NONE && (c < 0 || c > s->connectors)) {
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, "connectorId");
    }
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    p.connector = (uint8_t)c;
    if (refuse == NULL) {
        refuse = install(s, cp, &p);
    }
    if (refuse != NULL) {
        LOGI(cp, now_ms, "ocpp: backend's charging profile %ld on connector %ld: Rejected (%s)", (long)p.id,
             (long)c, refuse);
    } else {
        LOGI(cp, now_ms, "ocpp: backend set charging profile %ld (%s, stack %u, %s) on connector %ld: Accepted",
             (long)p.id, k_purpose[p.purpose], p.stack, k_kind[p.kind], (long)c);
    }
    ocpp_jw_kstr(w, "status", refuse == NULL ? "Accepted" : "Rejected");
}

/* ------------------------------------------------------------------ ClearChargingProfile */

static void h_clear(struct ocpp_smart *s, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                    uint32_t now_ms)
{
    static const char *const keys[] = {"id", "connectorId", "chargingProfilePurpose", "stackLevel", NULL};
    int64_t id = 0, c = 0, lvl = 0;
    ocpp_chk_keys(k, pl, keys);
    int has_id = ocpp_chk_int(k, pl, "id", false, INT32_MIN, INT32_MAX, &id);
    int has_c = ocpp_chk_int(k, pl, "connectorId", false, INT32_MIN, INT32_MAX, &c);
    int pur = ocpp_chk_enum(k, pl, "chargingProfilePurpose", false, k_purpose);
    int has_l = ocpp_chk_int(k, pl, "stackLevel", false, INT32_MIN, INT32_MAX, &lvl);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    unsigned cleared = 0;
    for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES; i++) {
        struct ocpp_smart_profile *p = &s->p[i];
        bool hit;
        if (!p->used) {
            continue;
        }
        if (has_id > 0) {
            hit = p->id == id; /* the id alone selects */
        } else {
            hit = (has_c <= 0 || p->connector == c) && (pur < 0 || p->purpose == pur) &&
                  (has_l <= 0 || p->stack == lvl);
        }
        if (hit) {
            p->used = false;
            cleared++;
        }
    }
    if (cleared > 0u) {
        s->generation++;
    }
    LOGI(cp, now_ms, "ocpp: backend cleared %u charging profile(s)", cleared);
    ocpp_jw_kstr(w, "status", cleared > 0u ? "Accepted" : "Unknown");
}

/* ------------------------------------------------------------------ GetCompositeSchedule */

static void h_composite(struct ocpp_smart *s, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                        uint32_t now_ms)
{
    static const char *const keys[] = {"connectorId", "duration", "chargingRateUnit", NULL};
    int64_t c = 0, d = 0;
    ocpp_chk_keys(k, pl, keys);
    ocpp_chk_int(k, pl, "connectorId", true, INT32_MIN, INT32_MAX, &c);
    ocpp_chk_int(k, pl, "duration", true, INT32_MIN, INT32_MAX, &d);
    int unit = ocpp_chk_enum(k, pl, "chargingRateUnit", false, k_unit);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    int64_t now = ocpp_cp_unix(cp, now_ms);
    if (c < 0 || c > s->connectors || d < 0 || now <= 0) {
        LOGI(cp, now_ms, "ocpp: backend asked for the composite schedule of connector %ld: Rejected%s", (long)c,
             now <= 0 ? " (clock unknown)" : "");
        ocpp_jw_kstr(w, "status", "Rejected");
        return;
    }
    /* without a unit asked: W, the unit the DC stage works in */
    enum ocpp_smart_unit u = unit >= 0 ? (enum ocpp_smart_unit)unit : OCPP_SU_W;
    struct ocpp_smart_cperiod per[CFG_OCPP_SMART_COMPOSITE];
    int32_t covered = 0;
    unsigned n = ocpp_smart_composite(s, (unsigned)c, now, (int32_t)d, u, per, &covered);
    char ts[21];
    ocpp_time_format(now, ts);
    ocpp_jw_kstr(w, "status", "Accepted");
    ocpp_jw_kint(w, "connectorId", c);
    ocpp_jw_kstr(w, "scheduleStart", ts);
    ocpp_jw_key(w, "chargingSchedule");
    ocpp_jw_obj(w);
    ocpp_jw_kint(w, "duration", covered);
    ocpp_jw_kstr(w, "chargingRateUnit", k_unit[u]);
    ocpp_jw_key(w, "chargingSchedulePeriod");
    ocpp_jw_arr(w);
    for (unsigned i = 0; i < n; i++) {
        ocpp_jw_obj(w);
        ocpp_jw_kint(w, "startPeriod", per[i].start_s);
        ocpp_jw_key(w, "limit");
        ocpp_jw_fixed(w, per[i].limit_d, 1u);
        ocpp_jw_obj_end(w);
    }
    ocpp_jw_arr_end(w);
    ocpp_jw_obj_end(w);
    LOGI(cp, now_ms, "ocpp: backend asked for the composite schedule of connector %ld: %u period(s)", (long)c, n);
}

/* ------------------------------------------------------------------ RemoteStartTransaction */

enum ocpp_error ocpp_smart_remote_check(struct ocpp_smart *s, struct ocpp_cp *cp, int prof, unsigned c,
                                        struct ocpp_smart_profile *out, const char **why, const char **refuse)
{
    struct ocpp_chk k;
    ocpp_chk_start(&k, &cp->json);
    const char *r = read_profile(&k, prof, out);
    *why = k.why;
    if (k.err != OCPP_ERR_NONE) {
        return k.err;
    }
    /* OCPP 1.6 §5.11: the profile of a remote start SHALL be a TxProfile */
    if (r == NULL && out->purpose != OCPP_SP_TX) {
        r = "not a TxProfile";
    }
    if (r == NULL && out->has_tx) {
        r = "transactionId in a RemoteStart profile (the transaction does not exist yet)";
    }
    if (r == NULL && (c == 0u || c > s->connectors)) {
        r = "no connector given (a TxProfile belongs to one)";
    }
    out->connector = (uint8_t)c;
    *refuse = r;
    return OCPP_ERR_NONE;
}

void ocpp_smart_remote_set(struct ocpp_smart *s, unsigned c, const struct ocpp_smart_profile *p, int64_t unix_s)
{
    if (c == 0u || c > s->connectors) {
        return;
    }
    s->remote[c] = *p;
    s->remote[c].used = true;
    s->remote_at[c] = unix_s;
}

enum ocpp_error ocpp_smart_call(struct ocpp_smart *s, struct ocpp_cp *cp, const char *action, int payload,
                                struct ocpp_jw *w, uint32_t now_ms, const char **why)
{
    struct ocpp_chk k;
    ocpp_chk_start(&k, &cp->json);
    if (ocpp_json_type(&cp->json, payload) != OCPP_J_OBJ) {
        ocpp_chk_fail(&k, OCPP_ERR_TYPE, "payload");
    } else if (strcmp(action, "SetChargingProfile") == 0) {
        h_set(s, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "ClearChargingProfile") == 0) {
        h_clear(s, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "GetCompositeSchedule") == 0) {
        h_composite(s, cp, &k, payload, w, now_ms);
    } else {
        ocpp_chk_fail(&k, OCPP_ERR_NOT_IMPLEMENTED, "unknown action");
    }
    *why = k.why;
    return k.err;
}

/* ------------------------------------------------------------------ the store */

void ocpp_smart_store_export(const struct ocpp_smart *s, void (*put)(void *ctx, const char *text, size_t len),
                             void *ctx)
{
    for (unsigned i = 0; i < CFG_OCPP_SMART_PROFILES; i++) {
        const struct ocpp_smart_profile *p = &s->p[i];
        /* A TxProfile ends with its transaction, and a restart of the charger ends every
         * transaction (the journal closes it): one on file could never be installed again. */
        if (!p->used || p->purpose == OCPP_SP_TX) {
            continue;
        }
        char line[OCPP_STORE_LINE_MAX], vf[24], vt[24], st[24];
        (void)hal_fmt_i64(vf, p->valid_from);
        (void)hal_fmt_i64(vt, p->valid_to);
        (void)hal_fmt_i64(st, p->start);
        int n = snprintf(line, sizeof line, "prof %ld %u %u %u %u %u %u %u %ld %u %ld %ld %s %s %s %u", (long)p->id,
                         p->connector, p->stack, p->purpose, p->kind, p->recur, p->unit, p->has_tx ? 1u : 0u,
                         (long)p->tx_id, p->has_duration ? 1u : 0u, (long)p->duration_s, (long)p->min_rate_d, vf, vt,
                         st, p->nper);
        for (unsigned k = 0; k < p->nper && n > 0 && (size_t)n < sizeof line; k++) {
            n += snprintf(line + n, sizeof line - (size_t)n, " %ld,%ld,%u", (long)p->per[k].start_s,
                          (long)p->per[k].limit_d, p->per[k].phases);
        }
        if (n > 0 && (size_t)n + 1u < sizeof line) { /* always (the assertion above) */
            line[n++] = '\n';
            put(ctx, line, (size_t)n);
        }
    }
}

/* One period "START,LIMIT,PHASES" of a stored profile. */
static bool store_period(const char *f, size_t len, struct ocpp_smart_period *per)
{
    int64_t v[3];
    size_t at = 0;
    for (unsigned k = 0; k < 3u; k++) {
        size_t end = at;
        while (end < len && f[end] != ',') {
            end++;
        }
        if ((k < 2u) != (end < len)) {
            return false; /* two commas, exactly */
        }
        static const int64_t lo[3] = {0, 0, 0}, hi[3] = {INT32_MAX, INT32_MAX, 3};
        if (!ocpp_store_num(f + at, end - at, lo[k], hi[k], &v[k])) {
            return false;
        }
        at = end + 1u;
    }
    per->start_s = (int32_t)v[0];
    per->limit_d = (int32_t)v[1];
    per->phases = (uint8_t)v[2];
    return true;
}

int ocpp_smart_store_line(struct ocpp_smart *s, const struct ocpp_cp *cp, const char *line, const char **why)
{
    enum { HEAD = 17 };
    const char *f[HEAD + CFG_OCPP_SMART_PERIODS + 1u];
    size_t l[HEAD + CFG_OCPP_SMART_PERIODS + 1u];
    unsigned n = ocpp_store_fields(line, f, l, HEAD + CFG_OCPP_SMART_PERIODS);
    int64_t v[HEAD];
    *why = "malformed prof line";
    if (n < HEAD || n > HEAD + CFG_OCPP_SMART_PERIODS || l[0] != 4u || strncmp(f[0], "prof", 4) != 0) {
        return HAL_EINVAL;
    }
    /* each field's range as the backend's message allows it (read_profile) */
    static const int64_t lo[HEAD] = {0, INT32_MIN, 0, 0, 0, 0, 0, 0, 0, INT32_MIN, 0, 0, -1, 0, 0, 0, 1};
    static const int64_t hi[HEAD] = {0, INT32_MAX, CFG_OCPP_CONNECTORS, CFG_OCPP_SMART_MAX_STACK, OCPP_SP_COUNT - 1,
                                     OCPP_SK_RELATIVE, OCPP_SR_WEEKLY, OCPP_SU_W, 1, INT32_MAX, 1, INT32_MAX,
                                     INT32_MAX, INT64_MAX / 2, INT64_MAX / 2, INT64_MAX / 2,
                                     CFG_OCPP_SMART_PERIODS};
    for (unsigned i = 1; i < HEAD; i++) {
        if (!ocpp_store_num(f[i], l[i], lo[i], hi[i], &v[i])) {
            return HAL_EINVAL;
        }
    }
    struct ocpp_smart_profile p;
    memset(&p, 0, sizeof p);
    p.id = (int32_t)v[1];
    p.connector = (uint8_t)v[2];
    p.stack = (uint8_t)v[3];
    p.purpose = (uint8_t)v[4];
    p.kind = (uint8_t)v[5];
    p.recur = (uint8_t)v[6];
    p.unit = (uint8_t)v[7];
    p.has_tx = v[8] != 0;
    p.tx_id = (int32_t)v[9];
    p.has_duration = v[10] != 0;
    p.duration_s = (int32_t)v[11];
    p.min_rate_d = (int32_t)v[12];
    p.valid_from = v[13];
    p.valid_to = v[14];
    p.start = v[15];
    p.nper = (uint8_t)v[16];
    if (p.connector > s->connectors) {
        *why = "connector out of range";
        return HAL_EINVAL;
    }
    if (n != (unsigned)HEAD + p.nper) {
        *why = "period count does not match";
        return HAL_EINVAL;
    }
    for (unsigned k = 0; k < p.nper; k++) {
        if (!store_period(f[HEAD + k], l[HEAD + k], &p.per[k])) {
            *why = "malformed period";
            return HAL_EINVAL;
        }
        if (k == 0u ? p.per[k].start_s != 0 : p.per[k].start_s <= p.per[k - 1u].start_s) {
            *why = "startPeriod not 0 first, then rising";
            return HAL_EINVAL;
        }
    }
    const char *refuse = profile_rules(&p);
    if (refuse == NULL && p.purpose == OCPP_SP_TX && !p.has_tx) {
        refuse = "a TxProfile without transactionId (its transaction cannot be told)";
    }
    if (refuse == NULL) {
        /* a TxProfile needs its transaction still running (they end together): after a
         * reboot the journal has closed it, so it is not restored */
        refuse = install(s, cp, &p);
    }
    if (refuse != NULL) {
        *why = refuse;
        return HAL_EINVAL;
    }
    return HAL_OK;
}
