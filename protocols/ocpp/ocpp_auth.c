/*
 * OCPP 1.6J authorization without the backend: owns the Local Authorization List (its
 * version, full and differential updates), the authorization cache (every idTagInfo the CSMS
 * gave, evicting invalid entries first, then the oldest), the reservations of connectors,
 * the offline and pre-authorize decisions, the answers to SendLocalList,
 * GetLocalListVersion, ClearCache, ReserveNow and CancelReservation, and their store lines.
 * Fact sheet §2.3 (authorization) and §2.8 (reservation).
 */
#include "ocpp/ocpp_auth.h"

#include <stdio.h>
#include <string.h>

#include "hal_fmt.h"
#include "ocpp/ocpp_chk.h"
#include "ocpp/ocpp_cp.h"

#define LOGI(cp, now, ...) hal_logf((cp)->log, HAL_LOG_INFO, (now), __VA_ARGS__)

static const char *const k_status[] = {"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", NULL};

bool ocpp_tag_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;
        if (x != y) {
            return false;
        }
        if (x == '\0') {
            return true;
        }
    }
}

static void changed(struct ocpp_cp *cp)
{
    cp->store_gen++;
    if (cp->ops != NULL && cp->ops->persist != NULL) {
        cp->ops->persist(cp->ctx);
    }
}

/* ------------------------------------------------------------------ lookups */

static struct ocpp_tag_entry *find(struct ocpp_tag_entry *tab, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++) {
        if (tab[i].idtag[0] != '\0' && ocpp_tag_eq(tab[i].idtag, tag)) {
            return &tab[i];
        }
    }
    return NULL;
}

bool ocpp_auth_lookup(const struct ocpp_cp *cp, const char *tag, int64_t now_unix, struct ocpp_tag_entry *out)
{
    struct ocpp_auth_state *a = (struct ocpp_auth_state *)&cp->lists;
    const struct ocpp_tag_entry *e = NULL;
    if (cp->cfg.local_auth_list_enabled) {
        e = find(a->list, CFG_OCPP_LOCAL_LIST, tag);
    }
    if (e == NULL && cp->cfg.cache_enabled) {
        e = find(a->cache, CFG_OCPP_AUTH_CACHE, tag);
    }
    if (e == NULL) {
        return false;
    }
    *out = *e;
    if (out->expiry != 0 && now_unix != 0 && now_unix > out->expiry && out->status == OCPP_AUTH_ACCEPTED) {
        out->status = OCPP_AUTH_EXPIRED; /* past expiryDate: counts as expired (§2.3) */
    }
    return true;
}

bool ocpp_auth_pre_authorized(const struct ocpp_cp *cp, const char *tag, int64_t now_unix)
{
    struct ocpp_tag_entry e;
    return cp->cfg.local_pre_authorize && ocpp_auth_lookup(cp, tag, now_unix, &e) &&
           e.status == OCPP_AUTH_ACCEPTED;
}

int ocpp_auth_offline(const struct ocpp_cp *cp, const char *tag, int64_t now_unix)
{
    struct ocpp_tag_entry e;
    if (!ocpp_auth_lookup(cp, tag, now_unix, &e)) {
        return OCPP_AUTH_OFFLINE; /* unknown: AllowOfflineTxForUnknownId decides */
    }
    if (e.status == OCPP_AUTH_ACCEPTED) {
        return cp->cfg.local_authorize_offline ? OCPP_AUTH_ACCEPTED : OCPP_AUTH_OFFLINE;
    }
    return e.status; /* known invalid, blocked or expired: refused offline (C16 §3.5.4) */
}

/* ------------------------------------------------------------------ the cache */

/* idTagInfo @p info of cp->json into @p e (status required); false if unusable. */
static bool read_info(const struct ocpp_cp *cp, int info, struct ocpp_tag_entry *e)
{
    char st[16], t[40];
    const struct ocpp_json *j = &cp->json;
    if (ocpp_json_type(j, info) != OCPP_J_OBJ ||
        ocpp_json_str(j, ocpp_json_get(j, info, "status"), st, sizeof st) <= 0) {
        return false;
    }
    int s = -1;
    for (int k = 0; k_status[k] != NULL; k++) {
        if (strcmp(st, k_status[k]) == 0) {
            s = k;
        }
    }
    if (s < 0) {
        return false;
    }
    e->status = (uint8_t)s;
    e->expiry = 0;
    e->parent[0] = '\0';
    int64_t u;
    if (ocpp_json_str(j, ocpp_json_get(j, info, "expiryDate"), t, sizeof t) > 0 && ocpp_time_parse(t, &u) == HAL_OK) {
        e->expiry = u;
    }
    if (ocpp_json_str(j, ocpp_json_get(j, info, "parentIdTag"), e->parent, sizeof e->parent) < 0) {
        e->parent[0] = '\0';
    }
    return true;
}

void ocpp_auth_cache_info(struct ocpp_cp *cp, const char *tag, int info)
{
    struct ocpp_auth_state *a = &cp->lists;
    struct ocpp_tag_entry in;
    size_t n = strlen(tag);
    if (!cp->cfg.cache_enabled || n == 0 || n > OCPP_TAG_LEN || find(a->list, CFG_OCPP_LOCAL_LIST, tag) != NULL ||
        !read_info(cp, info, &in)) {
        return; /* list entries never enter the cache (C16 §3.5.3) */
    }
    struct ocpp_tag_entry *e = find(a->cache, CFG_OCPP_AUTH_CACHE, tag);
    for (size_t i = 0; e == NULL && i < CFG_OCPP_AUTH_CACHE; i++) {
        if (a->cache[i].idtag[0] == '\0') {
            e = &a->cache[i];
        }
    }
    if (e == NULL) {
        /* full: the oldest invalid entry goes first, else the oldest valid one (§2.3) */
        for (int pass = 0; pass < 2 && e == NULL; pass++) {
            for (size_t i = 0; i < CFG_OCPP_AUTH_CACHE; i++) {
                struct ocpp_tag_entry *c = &a->cache[i];
                if ((pass == 1 || c->status != OCPP_AUTH_ACCEPTED) && (e == NULL || c->age < e->age)) {
                    e = c;
                }
            }
        }
    }
    in.age = ++a->cache_age;
    memcpy(in.idtag, tag, n + 1u);
    *e = in;
    changed(cp);
}

/* ------------------------------------------------------------------ reservations */

static struct ocpp_reservation *resv_of(struct ocpp_cp *cp, unsigned c)
{
    return c >= 1 && c <= cp->info.connectors && c <= CFG_OCPP_MAX_CONNECTORS_AUTH ? &cp->lists.resv[c] : NULL;
}

static void resv_end(struct ocpp_cp *cp, unsigned c, const char *why, uint32_t now_ms)
{
    struct ocpp_reservation *r = &cp->lists.resv[c];
    LOGI(cp, now_ms, "ocpp: reservation %ld on connector %u ended: %s", (long)r->id, c, why);
    memset(r, 0, sizeof *r);
    if (cp->status[c] == OCPP_ST_RESERVED) {
        ocpp_cp_status(cp, c, OCPP_ST_AVAILABLE); /* Reserved is shown only over Available */
    }
    changed(cp);
}

bool ocpp_auth_may_use(const struct ocpp_cp *cp, unsigned connector, const char *tag, int64_t now_unix)
{
    const struct ocpp_reservation *r = resv_of((struct ocpp_cp *)cp, connector);
    if (r == NULL || !r->active || (now_unix != 0 && now_unix > r->expiry)) {
        return true;
    }
    if (ocpp_tag_eq(tag, r->idtag)) {
        return true;
    }
    /* another tag with the same parent (the parent known from the list or cache); a
     * presented tag is never compared with a parent value itself (C16 §3.10) */
    struct ocpp_tag_entry e;
    return r->parent[0] != '\0' && ocpp_auth_lookup(cp, tag, now_unix, &e) && e.parent[0] != '\0' &&
           ocpp_tag_eq(e.parent, r->parent);
}

int32_t ocpp_auth_reservation_use(struct ocpp_cp *cp, unsigned connector, const char *tag)
{
    struct ocpp_reservation *r = resv_of(cp, connector);
    if (r == NULL || !r->active || !ocpp_auth_may_use(cp, connector, tag, 0)) {
        return -1;
    }
    int32_t id = r->id;
    memset(r, 0, sizeof *r);
    LOGI(cp, 0, "ocpp: reservation %ld on connector %u used by the transaction", (long)id, connector);
    changed(cp);
    return id;
}

int ocpp_auth_shown_status(struct ocpp_cp *cp, unsigned connector, int st, uint32_t now_ms)
{
    struct ocpp_reservation *r = resv_of(cp, connector);
    if (r == NULL || !r->active) {
        return st;
    }
    if (st == OCPP_ST_FAULTED || st == OCPP_ST_UNAVAILABLE) {
        resv_end(cp, connector, st == OCPP_ST_FAULTED ? "connector faulted" : "connector unavailable", now_ms);
        return st;
    }
    return st == OCPP_ST_AVAILABLE ? OCPP_ST_RESERVED : st;
}

void ocpp_auth_poll(struct ocpp_cp *cp, uint32_t now_ms)
{
    int64_t now = ocpp_cp_unix(cp, now_ms);
    if (now == 0) {
        return; /* no clock: expiry waits for one */
    }
    for (unsigned c = 1; c <= cp->info.connectors && c <= CFG_OCPP_MAX_CONNECTORS_AUTH; c++) {
        if (cp->lists.resv[c].active && now > cp->lists.resv[c].expiry) {
            resv_end(cp, c, "expired", now_ms);
        }
    }
}

/* ------------------------------------------------------------------ incoming CALLs */

/* One localAuthorizationList element checked against the schema; @p e filled, *has_info. */
static void list_item(struct ocpp_chk *v, const struct ocpp_cp *cp, int item, struct ocpp_tag_entry *e, bool *has_info)
{
    static const char *const keys[] = {"idTag", "idTagInfo", NULL};
    static const char *const ikeys[] = {"status", "expiryDate", "parentIdTag", NULL};
    memset(e, 0, sizeof *e);
    *has_info = false;
    if (ocpp_json_type(v->j, item) != OCPP_J_OBJ) {
        ocpp_chk_fail(v, OCPP_ERR_TYPE, "localAuthorizationList");
        return;
    }
    ocpp_chk_keys(v, item, keys);
    ocpp_chk_str(v, item, "idTag", true, e->idtag, OCPP_TAG_LEN);
    int info = ocpp_json_get(v->j, item, "idTagInfo");
    if (info < 0) {
        return;
    }
    if (ocpp_json_type(v->j, info) != OCPP_J_OBJ) {
        ocpp_chk_fail(v, OCPP_ERR_TYPE, "idTagInfo");
        return;
    }
    ocpp_chk_keys(v, info, ikeys);
    int64_t exp = 0;
    int status = ocpp_chk_enum(v, info, "status", true, k_status);
    if (status >= 0) {
        e->status = (uint8_t)status;
    }
    if (ocpp_chk_time(v, info, "expiryDate", false, &exp) > 0) {
        e->expiry = exp;
    }
    ocpp_chk_str(v, info, "parentIdTag", false, e->parent, OCPP_TAG_LEN);
    *has_info = true;
    (void)cp;
}

static void upsert(struct ocpp_auth_state *a, const struct ocpp_tag_entry *in)
{
    struct ocpp_tag_entry *e = find(a->list, CFG_OCPP_LOCAL_LIST, in->idtag);
    for (size_t i = 0; e == NULL && i < CFG_OCPP_LOCAL_LIST; i++) {
        if (a->list[i].idtag[0] == '\0') {
            e = &a->list[i];
            a->list_n++;
        }
    }
    if (e != NULL) { /* room was checked before */
        *e = *in;
    }
}

static const char *send_local_list(struct ocpp_cp *cp, struct ocpp_chk *v, int p, uint32_t now_ms)
{
    static const char *const keys[] = {"listVersion", "updateType", "localAuthorizationList", NULL};
    struct ocpp_auth_state *a = &cp->lists;
    char type[16];
    int64_t version = 0;
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_int(v, p, "listVersion", true, INT32_MIN, INT32_MAX, &version);
    if (ocpp_chk_str(v, p, "updateType", true, type, sizeof type - 1u) >= 0 && strcmp(type, "Full") != 0 &&
        strcmp(type, "Differential") != 0) {
        ocpp_chk_fail(v, OCPP_ERR_PROPERTY, "updateType");
    }
    int arr = ocpp_json_get(v->j, p, "localAuthorizationList");
    if (arr >= 0 && ocpp_json_type(v->j, arr) != OCPP_J_ARR) {
        ocpp_chk_fail(v, OCPP_ERR_TYPE, "localAuthorizationList");
    }
    /* the whole list is checked before anything changes: a bad entry changes nothing */
    unsigned items = 0, adds = 0;
    bool full = strcmp(type, "Full") == 0;
    for (int it = ocpp_json_at(v->j, arr, 0); it >= 0 && v->err == OCPP_ERR_NONE; it = ocpp_json_next(v->j, arr, it)) {
        struct ocpp_tag_entry e;
        bool info;
        list_item(v, cp, it, &e, &info);
        items++;
        if (info && (full || find(a->list, CFG_OCPP_LOCAL_LIST, e.idtag) == NULL)) {
            adds++;
        }
    }
    if (v->err != OCPP_ERR_NONE) {
        return NULL;
    }
    const char *st = "Accepted";
    if (!cp->cfg.local_auth_list_enabled) {
        st = "NotSupported";
    } else if (version < 1) {
        st = "Failed"; /* 0 and -1 mean "empty" and "not supported" (C16 §5.15) */
    } else if (items > CFG_OCPP_SEND_LIST_MAX || (full ? adds : a->list_n + adds) > CFG_OCPP_LOCAL_LIST) {
        st = "Failed"; /* over SendLocalListMaxLength / LocalAuthListMaxLength */
    } else if (!full && version <= a->list_version) {
        st = "VersionMismatch";
    } else {
        if (full) {
            memset(a->list, 0, sizeof a->list);
            a->list_n = 0;
        }
        for (int it = ocpp_json_at(v->j, arr, 0); it >= 0; it = ocpp_json_next(v->j, arr, it)) {
            struct ocpp_tag_entry e;
            bool info;
            list_item(v, cp, it, &e, &info);
            if (info) {
                upsert(a, &e);
            } else if (!full) { /* differential without idTagInfo: removed */
                struct ocpp_tag_entry *old = find(a->list, CFG_OCPP_LOCAL_LIST, e.idtag);
                if (old != NULL) {
                    memset(old, 0, sizeof *old);
                    a->list_n--;
                }
            }
        }
        a->list_version = (int32_t)version;
        changed(cp);
    }
    LOGI(cp, now_ms, "ocpp: backend sent the local list (%s, version %ld, %u entries): %s", type, (long)version,
         items, st);
    return st;
}

static const char *reserve_now(struct ocpp_cp *cp, struct ocpp_chk *v, int p, uint32_t now_ms)
{
    static const char *const keys[] = {"connectorId", "expiryDate", "idTag", "parentIdTag", "reservationId", NULL};
    int64_t c = 0, id = 0, expiry = 0;
    char tag[OCPP_TAG_LEN + 1u], parent[OCPP_TAG_LEN + 1u];
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_int(v, p, "connectorId", true, INT32_MIN, INT32_MAX, &c);
    ocpp_chk_time(v, p, "expiryDate", true, &expiry);
    ocpp_chk_str(v, p, "idTag", true, tag, OCPP_TAG_LEN);
    ocpp_chk_str(v, p, "parentIdTag", false, parent, OCPP_TAG_LEN);
    ocpp_chk_int(v, p, "reservationId", true, INT32_MIN, INT32_MAX, &id);
    if (v->err != OCPP_ERR_NONE) {
        return NULL;
    }
    int64_t now = ocpp_cp_unix(cp, now_ms);
    struct ocpp_reservation *r = resv_of(cp, c < 1 ? 0u : (unsigned)c);
    const char *st;
    if (r == NULL || (now != 0 && expiry <= now)) {
        st = "Rejected"; /* connector 0 (ReserveConnectorZeroSupported false), unknown, or past */
    } else if (r->active && r->id != id) {
        st = "Occupied"; /* reserved by another reservation */
    } else if (cp->status[c] == OCPP_ST_FAULTED) {
        st = "Faulted";
    } else if (cp->status[c] == OCPP_ST_UNAVAILABLE) {
        st = "Unavailable";
    } else if (cp->status[c] != OCPP_ST_AVAILABLE && cp->status[c] != OCPP_ST_RESERVED) {
        st = "Occupied";
    } else {
        st = "Accepted";
        /* the same reservationId elsewhere is replaced by this one (§2.8) */
        for (unsigned k = 1; k <= cp->info.connectors && k <= CFG_OCPP_MAX_CONNECTORS_AUTH; k++) {
            if (k != (unsigned)c && cp->lists.resv[k].active && cp->lists.resv[k].id == id) {
                resv_end(cp, k, "replaced", now_ms);
            }
        }
        r->active = true;
        r->id = (int32_t)id;
        r->expiry = expiry;
        strcpy(r->idtag, tag);
        strcpy(r->parent, parent);
        ocpp_cp_status(cp, (unsigned)c, OCPP_ST_RESERVED);
        changed(cp);
    }
    LOGI(cp, now_ms, "ocpp: backend reserved connector %ld for %s (reservation %ld): %s", (long)c, tag, (long)id, st);
    return st;
}

static const char *cancel_reservation(struct ocpp_cp *cp, struct ocpp_chk *v, int p, uint32_t now_ms)
{
    static const char *const keys[] = {"reservationId", NULL};
    int64_t id = 0;
    ocpp_chk_keys(v, p, keys);
    ocpp_chk_int(v, p, "reservationId", true, INT32_MIN, INT32_MAX, &id);
    if (v->err != OCPP_ERR_NONE) {
        return NULL;
    }
    const char *st = "Rejected"; /* unknown id (§2.8) */
    for (unsigned k = 1; k <= cp->info.connectors && k <= CFG_OCPP_MAX_CONNECTORS_AUTH; k++) {
        if (cp->lists.resv[k].active && cp->lists.resv[k].id == id) {
            resv_end(cp, k, "cancelled by the backend", now_ms);
            st = "Accepted";
        }
    }
    LOGI(cp, now_ms, "ocpp: backend cancelled reservation %ld: %s", (long)id, st);
    return st;
}

bool ocpp_auth_call(struct ocpp_cp *cp, const char *action, int payload, struct ocpp_jw *w, int *err,
                    const char **why, uint32_t now_ms)
{
    static const char *const none[] = {NULL};
    struct ocpp_chk v;
    ocpp_chk_start(&v, &cp->json);
    const char *st = NULL;
    if (strcmp(action, "SendLocalList") == 0) {
        st = send_local_list(cp, &v, payload, now_ms);
    } else if (strcmp(action, "GetLocalListVersion") == 0) {
        ocpp_chk_keys(&v, payload, none);
        if (v.err == OCPP_ERR_NONE) {
            /* 0 for an empty list (C16 §5.10) */
            ocpp_jw_kint(w, "listVersion", cp->lists.list_n == 0 ? 0 : cp->lists.list_version);
        }
    } else if (strcmp(action, "ClearCache") == 0) {
        ocpp_chk_keys(&v, payload, none);
        if (v.err == OCPP_ERR_NONE) {
            st = cp->cfg.cache_enabled ? "Accepted" : "Rejected"; /* no cache: Rejected (E16 3.23) */
            if (cp->cfg.cache_enabled) {
                memset(cp->lists.cache, 0, sizeof cp->lists.cache);
                changed(cp);
            }
            LOGI(cp, now_ms, "ocpp: backend cleared the authorization cache: %s", st);
        }
    } else if (strcmp(action, "ReserveNow") == 0) {
        st = reserve_now(cp, &v, payload, now_ms);
    } else if (strcmp(action, "CancelReservation") == 0) {
        st = cancel_reservation(cp, &v, payload, now_ms);
    } else {
        return false;
    }
    if (v.err != OCPP_ERR_NONE) {
        *err = v.err;
        *why = v.why;
    } else if (st != NULL) {
        ocpp_jw_kstr(w, "status", st);
    }
    return true;
}

/* ------------------------------------------------------------------ store lines */

void ocpp_store_hex(char *out, const char *s)
{
    static const char d[] = "0123456789abcdef";
    size_t o = 0;
    for (; *s; s++) {
        out[o++] = d[(unsigned char)*s >> 4];
        out[o++] = d[(unsigned char)*s & 15u];
    }
    if (o == 0) {
        out[o++] = '-'; /* empty */
    }
    out[o] = '\0';
}

bool ocpp_store_unhex(const char *s, size_t n, char *out, size_t max)
{
    if (n == 1 && s[0] == '-') {
        out[0] = '\0';
        return true;
    }
    if (n == 0 || n % 2 != 0 || n / 2 > max) {
        return false;
    }
    for (size_t i = 0; i < n; i += 2) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = s[i + k];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0) {
                return false;
            }
            v = v * 16 + x;
        }
        if (v == 0) {
            return false;
        }
        out[i / 2] = (char)v;
    }
    out[n / 2] = '\0';
    return true;
}


void ocpp_auth_store_export(const struct ocpp_cp *cp, void (*put)(void *ctx, const char *text, size_t len),
                            void *ctx)
{
    const struct ocpp_auth_state *a = &cp->lists;
    char line[192], t[2 * OCPP_TAG_LEN + 2u], p[2 * OCPP_TAG_LEN + 2u], e[24];
    size_t n = (size_t)snprintf(line, sizeof line, "list-version %ld\n", (long)a->list_version);
    put(ctx, line, n);
    for (int pass = 0; pass < 2; pass++) {
        const struct ocpp_tag_entry *tab = pass == 0 ? a->list : a->cache;
        size_t cap = pass == 0 ? CFG_OCPP_LOCAL_LIST : CFG_OCPP_AUTH_CACHE;
        for (size_t i = 0; i < cap; i++) {
            if (tab[i].idtag[0] == '\0') {
                continue;
            }
            ocpp_store_hex(t, tab[i].idtag);
            ocpp_store_hex(p, tab[i].parent);
            (void)hal_fmt_i64(e, (int64_t)tab[i].expiry);
            n = (size_t)snprintf(line, sizeof line, "%s %s %u %s %s %lu\n", pass == 0 ? "list" : "cache", t,
                                 (unsigned)tab[i].status, e, p, (unsigned long)tab[i].age);
            put(ctx, line, n);
        }
    }
    for (unsigned c = 1; c <= cp->info.connectors && c <= CFG_OCPP_MAX_CONNECTORS_AUTH; c++) {
        const struct ocpp_reservation *r = &a->resv[c];
        if (r->active) {
            ocpp_store_hex(t, r->idtag);
            ocpp_store_hex(p, r->parent);
            (void)hal_fmt_i64(e, (int64_t)r->expiry);
            n = (size_t)snprintf(line, sizeof line, "resv %u %ld %s %s %s\n", c, (long)r->id, e, t, p);
            put(ctx, line, n);
        }
    }
}

unsigned ocpp_store_fields(const char *line, const char **f, size_t *len, unsigned max)
{
    unsigned n = 0;
    while (*line != '\0') {
        while (*line == ' ') {
            line++;
        }
        if (*line == '\0') {
            break;
        }
        if (n == max) {
            return max + 1u; /* too many */
        }
        f[n] = line;
        while (*line != '\0' && *line != ' ') {
            line++;
        }
        len[n] = (size_t)(line - f[n]);
        n++;
    }
    return n;
}

bool ocpp_store_num(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    bool neg = n > 0 && s[0] == '-';
    size_t i = neg ? 1u : 0u;
    int64_t v = 0;
    if (i == n || n - i > 18u) {
        return false;
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    v = neg ? -v : v;
    if (v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

int ocpp_auth_store_line(struct ocpp_cp *cp, const char *line, const char **why)
{
    struct ocpp_auth_state *a = &cp->lists;
    const char *f[7];
    size_t l[7];
    unsigned n = ocpp_store_fields(line, f, l, 6);
    int64_t v[4];
    *why = "malformed line";
    if (n == 2 && l[0] == 12 && strncmp(f[0], "list-version", 12) == 0 &&
        ocpp_store_num(f[1], l[1], 0, INT32_MAX, &v[0])) {
        a->list_version = (int32_t)v[0];
        return HAL_OK;
    }
    bool is_list = n == 6 && l[0] == 4 && strncmp(f[0], "list", 4) == 0;
    bool is_cache = n == 6 && l[0] == 5 && strncmp(f[0], "cache", 5) == 0;
    if (is_list || is_cache) {
        struct ocpp_tag_entry e;
        memset(&e, 0, sizeof e);
        if (!ocpp_store_unhex(f[1], l[1], e.idtag, OCPP_TAG_LEN) || e.idtag[0] == '\0' ||
            !ocpp_store_num(f[2], l[2], 0, OCPP_AUTH_CONCURRENT_TX, &v[0]) ||
            !ocpp_store_num(f[3], l[3], 0, INT64_MAX / 2, &v[1]) ||
            !ocpp_store_unhex(f[4], l[4], e.parent, OCPP_TAG_LEN) ||
            !ocpp_store_num(f[5], l[5], 0, UINT32_MAX, &v[2])) {
            return HAL_EINVAL;
        }
        e.status = (uint8_t)v[0];
        e.expiry = v[1];
        e.age = (uint32_t)v[2];
        struct ocpp_tag_entry *tab = is_list ? a->list : a->cache;
        size_t cap = is_list ? CFG_OCPP_LOCAL_LIST : CFG_OCPP_AUTH_CACHE;
        struct ocpp_tag_entry *slot = find(tab, cap, e.idtag);
        for (size_t i = 0; slot == NULL && i < cap; i++) {
            if (tab[i].idtag[0] == '\0') {
                slot = &tab[i];
                a->list_n = (uint16_t)(a->list_n + (is_list ? 1u : 0u));
            }
        }
        if (slot == NULL) {
            *why = is_list ? "more list entries than LocalAuthListMaxLength" : "more cache entries than fit";
            return HAL_EINVAL;
        }
        *slot = e;
        if (is_cache && e.age > a->cache_age) {
            a->cache_age = e.age;
        }
        return HAL_OK;
    }
    if (n == 6 && l[0] == 4 && strncmp(f[0], "resv", 4) == 0) {
        struct ocpp_reservation r;
        memset(&r, 0, sizeof r);
        if (!ocpp_store_num(f[1], l[1], 1, cp->info.connectors, &v[0]) ||
            v[0] > (int64_t)CFG_OCPP_MAX_CONNECTORS_AUTH || !ocpp_store_num(f[2], l[2], INT32_MIN, INT32_MAX, &v[1]) ||
            !ocpp_store_num(f[3], l[3], 0, INT64_MAX / 2, &v[2]) ||
            !ocpp_store_unhex(f[4], l[4], r.idtag, OCPP_TAG_LEN) || r.idtag[0] == '\0' ||
            !ocpp_store_unhex(f[5], l[5], r.parent, OCPP_TAG_LEN)) {
            return HAL_EINVAL;
        }
        r.active = true;
        r.id = (int32_t)v[1];
        r.expiry = v[2];
        a->resv[v[0]] = r;
        if (cp->status[v[0]] == OCPP_ST_AVAILABLE) {
            ocpp_cp_status(cp, (unsigned)v[0], OCPP_ST_RESERVED);
        }
        return HAL_OK;
    }
    return HAL_EINVAL;
}
