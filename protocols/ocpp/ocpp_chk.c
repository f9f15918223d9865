/**
 * @file ocpp_chk.c
 * @brief The one OCPP 1.6 payload schema checker (see ocpp_chk.h): every CALL handler reads its
 *        fields through it, so every module answers the same violation with the same code.
 */
#include "ocpp/ocpp_chk.h"

#include "ocpp/ocpp_cp.h"

void ocpp_chk_start(struct ocpp_chk *k, const struct ocpp_json *j)
{
    k->j = j;
    k->err = OCPP_ERR_NONE;
    k->why = NULL;
}

void ocpp_chk_fail(struct ocpp_chk *k, enum ocpp_error e, const char *why)
{
    if (k->err == OCPP_ERR_NONE) {
        k->err = e;
        k->why = why;
    }
}

/* The member's token, or -1: a missing parent (an earlier violation) reads as an absent member. */
static int member(const struct ocpp_chk *k, int obj, const char *key)
{
    return obj >= 0 ? ocpp_json_get(k->j, obj, key) : -1;
}

/* The token of member @p key when it has JSON type @p type; ABSENT (a violation when @p req)
 * or WRONG_TYPE (a violation) otherwise. */
enum { ABSENT = -1, WRONG_TYPE = -2 };
static int typed(struct ocpp_chk *k, int obj, const char *key, bool req, enum ocpp_jtype type)
{
    int t = member(k, obj, key);
    if (t < 0) {
        if (req) {
            ocpp_chk_fail(k, OCPP_ERR_OCCURENCE, key);
        }
        return ABSENT;
    }
    if (ocpp_json_type(k->j, t) != type) {
        ocpp_chk_fail(k, OCPP_ERR_TYPE, key);
        return WRONG_TYPE;
    }
    return t;
}

void ocpp_chk_keys(struct ocpp_chk *k, int obj, const char *const *keys)
{
    if (obj < 0 || ocpp_json_type(k->j, obj) != OCPP_J_OBJ) {
        ocpp_chk_fail(k, OCPP_ERR_TYPE, "not an object");
        return;
    }
    int t = obj + 1;
    for (unsigned n = 0; n < ocpp_json_size(k->j, obj); n++) {
        bool known = false;
        for (const char *const *q = keys; *q != NULL && !known; q++) {
            known = ocpp_json_streq(k->j, t, *q);
        }
        if (!known) {
            ocpp_chk_fail(k, OCPP_ERR_PROPERTY, "unknown property");
        }
        t = k->j->tok[t + 1].next; /* past the member's value */
    }
}

int ocpp_chk_int(struct ocpp_chk *k, int obj, const char *key, bool req, int64_t lo, int64_t hi, int64_t *out)
{
    int t = typed(k, obj, key, req, OCPP_J_NUM);
    if (t < 0) {
        return t == ABSENT ? 0 : -1;
    }
    if (ocpp_json_int(k->j, t, out) != HAL_OK) {
        ocpp_chk_fail(k, OCPP_ERR_TYPE, key); /* a fraction is not an integer */
        return -1;
    }
    if (*out < lo || *out > hi) {
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key);
        return -1;
    }
    return 1;
}

int ocpp_chk_tenths(struct ocpp_chk *k, int obj, const char *key, bool req, int32_t *out)
{
    int t = typed(k, obj, key, req, OCPP_J_NUM);
    int64_t v;
    if (t < 0) {
        return t == ABSENT ? 0 : -1;
    }
    if (ocpp_json_fixed(k->j, t, 6u, &v) != HAL_OK || v % 100000 != 0 || v / 100000 > INT32_MAX ||
        v / 100000 < -INT32_MAX) {
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key); /* not a multiple of 0.1, or beyond any rating */
        return -1;
    }
    *out = (int32_t)(v / 100000);
    return 1;
}

int ocpp_chk_text(struct ocpp_chk *k, int obj, const char *key, bool req, size_t max, char *out, size_t cap)
{
    if (out != NULL && cap > 0u) {
        out[0] = '\0';
    }
    int t = typed(k, obj, key, req, OCPP_J_STR);
    if (t < 0) {
        return -1;
    }
    int n = ocpp_json_strlen(k->j, t);
    if (n < 0 || (size_t)n > max) {
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key); /* maxLength */
        return -1;
    }
    if (out == NULL) {
        return n;
    }
    if ((size_t)n >= cap) {
        return -2;
    }
    n = ocpp_json_str(k->j, t, out, cap);
    if (n < 0) {
        out[0] = '\0';
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key); /* a NUL character: no C string holds it */
        return -1;
    }
    return n;
}

int ocpp_chk_str(struct ocpp_chk *k, int obj, const char *key, bool req, char *out, size_t max)
{
    return ocpp_chk_text(k, obj, key, req, max, out, max + 1u);
}

int ocpp_chk_enum(struct ocpp_chk *k, int obj, const char *key, bool req, const char *const *names)
{
    int t = typed(k, obj, key, req, OCPP_J_STR);
    if (t < 0) {
        return -1;
    }
    for (int n = 0; names[n] != NULL; n++) {
        if (ocpp_json_streq(k->j, t, names[n])) {
            return n;
        }
    }
    ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key);
    return -1;
}

int ocpp_chk_time(struct ocpp_chk *k, int obj, const char *key, bool req, int64_t *out)
{
    char s[40]; /* the longest date-time ocpp_time_parse takes, with a fraction and an offset */
    *out = 0;
    if (ocpp_chk_str(k, obj, key, req, s, sizeof s - 1u) < 0) {
        return member(k, obj, key) < 0 ? 0 : -1;
    }
    if (ocpp_time_parse(s, out) != HAL_OK || *out <= 0) {
        ocpp_chk_fail(k, OCPP_ERR_PROPERTY, key); /* format: date-time */
        *out = 0;
        return -1;
    }
    return 1;
}

int ocpp_chk_member(struct ocpp_chk *k, int obj, const char *key, bool req, enum ocpp_jtype type)
{
    int t = typed(k, obj, key, req, type);
    return t < 0 ? -1 : t;
}
