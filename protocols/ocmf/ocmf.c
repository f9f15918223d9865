/* ocmf.c - OCMF records: the parser (three sections, the JSON subset OCMF uses, readings,
 * the signature section with its encodings). The signature check is ocmf_check.c, the
 * accessors of parsed values ocmf_values.c. */
#include "ocmf/ocmf.h"

#include "ocmf/ocmf_priv.h"

#include <string.h>

#include "base64/base64.h"
#include "sha256/sha256.h"

/* A cursor over one section of the record. */
struct ocmf_cur {
    const char *t;
    uint16_t pos;
    uint16_t end;
    enum ocmf_err err;
};

static const char *const s_reasons[OCMF_E_COUNT] = {
    [OCMF_OK] = "ok",
    [OCMF_E_LENGTH] = "record empty or too long",
    [OCMF_E_HEADER] = "record does not start with \"OCMF|\"",
    [OCMF_E_SECTIONS] = "record is not three sections separated by '|'",
    [OCMF_E_JSON] = "section is not well-formed JSON",
    [OCMF_E_DEPTH] = "JSON nested too deeply",
    [OCMF_E_TYPE] = "a known key has the wrong type",
    [OCMF_E_MISSING] = "a mandatory key is missing",
    [OCMF_E_READINGS] = "no readings or too many readings",
    [OCMF_E_ALGORITHM] = "unknown signature algorithm (SA)",
    [OCMF_E_ENCODING] = "signature data is not valid hex/base64 or SE/SM unsupported",
    [OCMF_E_SIGNATURE] = "signature is neither DER (r,s) nor raw r||s of the curve size",
    [OCMF_E_DUPLICATE] = "a key occurs twice",
};

const char *ocmf_strerror(enum ocmf_err err)
{
    return (unsigned)err < OCMF_E_COUNT ? s_reasons[err] : "unknown OCMF error";
}

static bool ocmf_fail(struct ocmf_cur *c, enum ocmf_err e)
{
    if (c->err == OCMF_OK) {
        c->err = e;
    }
    return false;
}

static void ocmf_ws(struct ocmf_cur *c)
{
    while (c->pos < c->end) {
        char ch = c->t[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            break;
        }
        c->pos++;
    }
}

static bool ocmf_peek(const struct ocmf_cur *c, char ch)
{
    return c->pos < c->end && c->t[c->pos] == ch;
}

static bool ocmf_expect(struct ocmf_cur *c, char ch)
{
    ocmf_ws(c);
    if (!ocmf_peek(c, ch)) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    c->pos++;
    return true;
}

static bool ocmf_hexdigit(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool ocmf_string(struct ocmf_cur *c, struct ocmf_str *out)
{
    ocmf_ws(c);
    if (!ocmf_peek(c, '"')) {
        return ocmf_fail(c, OCMF_E_TYPE);
    }
    c->pos++;
    uint16_t start = c->pos;
    while (c->pos < c->end) {
        unsigned char ch = (unsigned char)c->t[c->pos];
        if (ch == '"') {
            out->off = start;
            out->len = (uint16_t)(c->pos - start);
            out->present = true;
            c->pos++;
            return true;
        }
        if (ch < 0x20u) {
            return ocmf_fail(c, OCMF_E_JSON);
        }
        if (ch == '\\') {
            if (c->pos + 1u >= c->end) {
                return ocmf_fail(c, OCMF_E_JSON);
            }
            char e = c->t[c->pos + 1u];
            if (e == 'u') {
                if (c->pos + 5u >= c->end) {
                    return ocmf_fail(c, OCMF_E_JSON);
                }
                for (unsigned i = 2; i < 6; i++) {
                    if (!ocmf_hexdigit(c->t[c->pos + i])) {
                        return ocmf_fail(c, OCMF_E_JSON);
                    }
                }
                c->pos = (uint16_t)(c->pos + 6u);
                continue;
            }
            if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
                return ocmf_fail(c, OCMF_E_JSON);
            }
            c->pos = (uint16_t)(c->pos + 2u);
            continue;
        }
        c->pos++;
    }
    return ocmf_fail(c, OCMF_E_JSON);
}

/* An object key: anything but a string here is a syntax error, not a type error. */
static bool ocmf_key(struct ocmf_cur *c, struct ocmf_str *k)
{
    ocmf_ws(c);
    if (!ocmf_peek(c, '"')) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    return ocmf_string(c, k);
}

static bool ocmf_digits(struct ocmf_cur *c)
{
    uint16_t s = c->pos;
    while (c->pos < c->end && c->t[c->pos] >= '0' && c->t[c->pos] <= '9') {
        c->pos++;
    }
    return c->pos > s;
}

static bool ocmf_number(struct ocmf_cur *c, struct ocmf_str *out)
{
    ocmf_ws(c);
    uint16_t start = c->pos;
    if (ocmf_peek(c, '-')) {
        c->pos++;
    }
    if (ocmf_peek(c, '0')) {
        c->pos++;
    } else if (!ocmf_digits(c)) {
        return ocmf_fail(c, OCMF_E_TYPE);
    }
    if (ocmf_peek(c, '.')) {
        c->pos++;
        if (!ocmf_digits(c)) {
            return ocmf_fail(c, OCMF_E_JSON);
        }
    }
    if (ocmf_peek(c, 'e') || ocmf_peek(c, 'E')) {
        c->pos++;
        if (ocmf_peek(c, '+') || ocmf_peek(c, '-')) {
            c->pos++;
        }
        if (!ocmf_digits(c)) {
            return ocmf_fail(c, OCMF_E_JSON);
        }
    }
    if (out != NULL) {
        out->off = start;
        out->len = (uint16_t)(c->pos - start);
        out->present = true;
    }
    return true;
}

static bool ocmf_literal(struct ocmf_cur *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->pos) < n || memcmp(c->t + c->pos, lit, n) != 0) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    c->pos = (uint16_t)(c->pos + n);
    return true;
}

static bool ocmf_skip(struct ocmf_cur *c, int depth);

static bool ocmf_skip_object(struct ocmf_cur *c, int depth)
{
    if (depth > OCMF_MAX_DEPTH) {
        return ocmf_fail(c, OCMF_E_DEPTH);
    }
    if (!ocmf_expect(c, '{')) {
        return false;
    }
    ocmf_ws(c);
    if (ocmf_peek(c, '}')) {
        c->pos++;
        return true;
    }
    for (;;) {
        struct ocmf_str k;
        if (!ocmf_key(c, &k)) {
            return false;
        }
        if (!ocmf_expect(c, ':') || !ocmf_skip(c, depth + 1)) {
            return false;
        }
        ocmf_ws(c);
        if (ocmf_peek(c, '}')) {
            c->pos++;
            return true;
        }
        if (!ocmf_expect(c, ',')) {
            return false;
        }
    }
}

static bool ocmf_skip_array(struct ocmf_cur *c, int depth)
{
    if (depth > OCMF_MAX_DEPTH) {
        return ocmf_fail(c, OCMF_E_DEPTH);
    }
    if (!ocmf_expect(c, '[')) {
        return false;
    }
    ocmf_ws(c);
    if (ocmf_peek(c, ']')) {
        c->pos++;
        return true;
    }
    for (;;) {
        if (!ocmf_skip(c, depth + 1)) {
            return false;
        }
        ocmf_ws(c);
        if (ocmf_peek(c, ']')) {
            c->pos++;
            return true;
        }
        if (!ocmf_expect(c, ',')) {
            return false;
        }
    }
}

static bool ocmf_skip(struct ocmf_cur *c, int depth)
{
    struct ocmf_str tmp;
    ocmf_ws(c);
    if (c->pos >= c->end) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    switch (c->t[c->pos]) {
    case '"':
        return ocmf_string(c, &tmp) || ocmf_fail(c, OCMF_E_JSON);
    case '{':
        return ocmf_skip_object(c, depth);
    case '[':
        return ocmf_skip_array(c, depth);
    case 't':
        return ocmf_literal(c, "true");
    case 'f':
        return ocmf_literal(c, "false");
    case 'n':
        return ocmf_literal(c, "null");
    default:
        return ocmf_number(c, NULL) || ocmf_fail(c, OCMF_E_JSON);
    }
}

static bool ocmf_key_is(const struct ocmf_cur *c, const struct ocmf_str *k, const char *name)
{
    size_t n = strlen(name);
    return k->len == n && memcmp(c->t + k->off, name, n) == 0;
}

static bool ocmf_set_string(struct ocmf_cur *c, struct ocmf_str *field)
{
    if (field->present) {
        return ocmf_fail(c, OCMF_E_DUPLICATE);
    }
    return ocmf_string(c, field);
}

/* One reading object; fields not given carry over from @p prev. */
static bool ocmf_reading(struct ocmf_cur *c, struct ocmf_reading *r, const struct ocmf_reading *prev)
{
    struct ocmf_reading got;
    memset(&got, 0, sizeof got);
    if (!ocmf_expect(c, '{')) {
        return ocmf_fail(c, OCMF_E_TYPE);
    }
    ocmf_ws(c);
    if (!ocmf_peek(c, '}')) {
        for (;;) {
            struct ocmf_str k;
            if (!ocmf_key(c, &k)) {
                return false;
            }
            if (!ocmf_expect(c, ':')) {
                return false;
            }
            bool ok;
            if (ocmf_key_is(c, &k, "TM")) {
                ok = ocmf_set_string(c, &got.tm);
            } else if (ocmf_key_is(c, &k, "TX")) {
                ok = ocmf_set_string(c, &got.tx);
            } else if (ocmf_key_is(c, &k, "RV")) {
                ok = got.rv.present ? ocmf_fail(c, OCMF_E_DUPLICATE) : ocmf_number(c, &got.rv);
            } else if (ocmf_key_is(c, &k, "RI")) {
                ok = ocmf_set_string(c, &got.ri);
            } else if (ocmf_key_is(c, &k, "RU")) {
                ok = ocmf_set_string(c, &got.ru);
            } else if (ocmf_key_is(c, &k, "RT")) {
                ok = ocmf_set_string(c, &got.rt);
            } else if (ocmf_key_is(c, &k, "ST")) {
                ok = ocmf_set_string(c, &got.st);
            } else if (ocmf_key_is(c, &k, "EF")) {
                ok = ocmf_set_string(c, &got.ef);
            } else {
                ok = ocmf_skip(c, 3);
            }
            if (!ok) {
                return false;
            }
            ocmf_ws(c);
            if (ocmf_peek(c, '}')) {
                break;
            }
            if (!ocmf_expect(c, ',')) {
                return false;
            }
        }
    }
    c->pos++;
    if (prev != NULL) {
        const struct ocmf_str *ps = &prev->tm;
        struct ocmf_str *gs = &got.tm;
        for (size_t i = 0; i < sizeof got / sizeof got.tm; i++) {
            if (!gs[i].present) {
                gs[i] = ps[i];
            }
        }
    }
    if (!got.tm.present || !got.st.present) {
        return ocmf_fail(c, OCMF_E_MISSING);
    }
    if (got.rv.present && !got.ru.present) {
        return ocmf_fail(c, OCMF_E_MISSING);
    }
    *r = got;
    return true;
}

static bool ocmf_readings(struct ocmf_cur *c, struct ocmf_record *rec)
{
    if (rec->nreadings != 0) {
        return ocmf_fail(c, OCMF_E_DUPLICATE);
    }
    if (!ocmf_expect(c, '[')) {
        return ocmf_fail(c, OCMF_E_TYPE);
    }
    ocmf_ws(c);
    if (ocmf_peek(c, ']')) {
        return ocmf_fail(c, OCMF_E_READINGS);
    }
    for (;;) {
        if (rec->nreadings >= CFG_OCMF_MAX_READINGS) {
            return ocmf_fail(c, OCMF_E_READINGS);
        }
        const struct ocmf_reading *prev = rec->nreadings > 0 ? &rec->rd[rec->nreadings - 1u] : NULL;
        if (!ocmf_reading(c, &rec->rd[rec->nreadings], prev)) {
            return false;
        }
        rec->nreadings++;
        ocmf_ws(c);
        if (ocmf_peek(c, ']')) {
            c->pos++;
            return true;
        }
        if (!ocmf_expect(c, ',')) {
            return false;
        }
    }
}

static bool ocmf_payload(struct ocmf_cur *c, struct ocmf_record *rec)
{
    struct {
        const char *key;
        struct ocmf_str *field;
    } const strs[] = {
        {"FV", &rec->fv}, {"GI", &rec->gi}, {"GS", &rec->gs}, {"GV", &rec->gv}, {"PG", &rec->pg},
        {"MV", &rec->mv}, {"MM", &rec->mm}, {"MS", &rec->ms}, {"MF", &rec->mf}, {"IL", &rec->il},
        {"IT", &rec->it}, {"ID", &rec->id}, {"TT", &rec->tt}, {"CT", &rec->ct}, {"CI", &rec->ci},
    };
    bool seen_if = false;
    bool seen_lc = false;
    if (!ocmf_expect(c, '{')) {
        return false;
    }
    ocmf_ws(c);
    if (!ocmf_peek(c, '}')) {
        for (;;) {
            struct ocmf_str k;
            if (!ocmf_key(c, &k)) {
                return false;
            }
            if (!ocmf_expect(c, ':')) {
                return false;
            }
            bool ok = false;
            bool known = false;
            for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
                if (ocmf_key_is(c, &k, strs[i].key)) {
                    known = true;
                    ok = ocmf_set_string(c, strs[i].field);
                    break;
                }
            }
            if (known) {
                /* done */
            } else if (ocmf_key_is(c, &k, "IS")) {
                ocmf_ws(c);
                if (rec->is_present) {
                    ok = ocmf_fail(c, OCMF_E_DUPLICATE);
                } else if (ocmf_peek(c, 't')) {
                    ok = ocmf_literal(c, "true");
                    rec->is = true;
                } else if (ocmf_peek(c, 'f')) {
                    ok = ocmf_literal(c, "false");
                    rec->is = false;
                } else {
                    ok = ocmf_fail(c, OCMF_E_TYPE);
                }
                rec->is_present = ok;
            } else if (ocmf_key_is(c, &k, "IF")) {
                ocmf_ws(c);
                ok = seen_if ? ocmf_fail(c, OCMF_E_DUPLICATE)
                     : !ocmf_peek(c, '[') ? ocmf_fail(c, OCMF_E_TYPE)
                                          : ocmf_skip_array(c, 2);
                seen_if = true;
            } else if (ocmf_key_is(c, &k, "LC")) {
                ocmf_ws(c);
                ok = seen_lc ? ocmf_fail(c, OCMF_E_DUPLICATE)
                     : !ocmf_peek(c, '{') ? ocmf_fail(c, OCMF_E_TYPE)
                                          : ocmf_skip_object(c, 2);
                seen_lc = true;
            } else if (ocmf_key_is(c, &k, "RD")) {
                ok = ocmf_readings(c, rec);
            } else {
                ok = ocmf_skip(c, 2);
            }
            if (!ok) {
                return false;
            }
            ocmf_ws(c);
            if (ocmf_peek(c, '}')) {
                break;
            }
            if (!ocmf_expect(c, ',')) {
                return false;
            }
        }
    }
    c->pos++;
    ocmf_ws(c);
    if (c->pos != c->end) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    if (!rec->pg.present || !rec->ms.present) {
        return ocmf_fail(c, OCMF_E_MISSING);
    }
    if (rec->nreadings == 0) {
        return ocmf_fail(c, OCMF_E_READINGS);
    }
    /* IS and IT are mandatory when the record belongs to a transaction. */
    if (rec->pg.len > 0 && c->t[rec->pg.off] == 'T' && (!rec->is_present || !rec->it.present)) {
        return ocmf_fail(c, OCMF_E_MISSING);
    }
    return true;
}

static bool ocmf_sigsection(struct ocmf_cur *c, struct ocmf_record *rec)
{
    if (!ocmf_expect(c, '{')) {
        return false;
    }
    ocmf_ws(c);
    if (!ocmf_peek(c, '}')) {
        for (;;) {
            struct ocmf_str k;
            if (!ocmf_key(c, &k)) {
                return false;
            }
            if (!ocmf_expect(c, ':')) {
                return false;
            }
            bool ok;
            if (ocmf_key_is(c, &k, "SA")) {
                ok = ocmf_set_string(c, &rec->sa);
            } else if (ocmf_key_is(c, &k, "SE")) {
                ok = ocmf_set_string(c, &rec->se);
            } else if (ocmf_key_is(c, &k, "SM")) {
                ok = ocmf_set_string(c, &rec->sm);
            } else if (ocmf_key_is(c, &k, "SD")) {
                ok = ocmf_set_string(c, &rec->sd);
            } else {
                ok = ocmf_skip(c, 2);
            }
            if (!ok) {
                return false;
            }
            ocmf_ws(c);
            if (ocmf_peek(c, '}')) {
                break;
            }
            if (!ocmf_expect(c, ',')) {
                return false;
            }
        }
    }
    c->pos++;
    ocmf_ws(c);
    /* An EM580 file may be padded with NULs up to its register count. */
    while (c->pos < c->end && c->t[c->pos] == '\0') {
        c->pos++;
    }
    if (c->pos != c->end) {
        return ocmf_fail(c, OCMF_E_JSON);
    }
    if (!rec->sd.present) {
        return ocmf_fail(c, OCMF_E_MISSING);
    }
    return true;
}

int ocmf_algorithm(const char *sa, size_t len, enum hal_crypto_curve *curve)
{
    static const struct {
        const char *name;
        enum hal_crypto_curve curve;
    } table[] = {
        {"ECDSA-secp192k1-SHA256", HAL_CRYPTO_SECP192K1},
        {"ECDSA-secp256k1-SHA256", HAL_CRYPTO_SECP256K1},
        {"ECDSA-secp192r1-SHA256", HAL_CRYPTO_SECP192R1},
        {"ECDSA-secp256r1-SHA256", HAL_CRYPTO_SECP256R1},
        {"ECDSA-brainpool256r1-SHA256", HAL_CRYPTO_BRAINPOOL256R1},
        {"ECDSA-brainpoolP256r1-SHA256", HAL_CRYPTO_BRAINPOOL256R1},
        {"ECDSA-secp384r1-SHA256", HAL_CRYPTO_SECP384R1},
        {"ECDSA-brainpool384r1-SHA256", HAL_CRYPTO_BRAINPOOL384R1},
        {"ECDSA-brainpoolP384r1-SHA256", HAL_CRYPTO_BRAINPOOL384R1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, sa, len) == 0) {
            *curve = table[i].curve;
            return HAL_OK;
        }
    }
    return HAL_ENOTSUP;
}

static int ocmf_hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

int ocmf_unhex(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n)
{
    if (len % 2u != 0 || len / 2u > cap) {
        return HAL_EINVAL;
    }
    for (size_t i = 0; i < len / 2u; i++) {
        int hi = ocmf_hexval(s[2 * i]);
        int lo = ocmf_hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return HAL_EINVAL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *n = len / 2u;
    return HAL_OK;
}

/* INTEGER of a DER (r, s): positive, at most fb significant bytes, left-padded. */
static bool ocmf_der_int(const uint8_t *d, size_t len, size_t *pos, uint8_t *out, size_t fb)
{
    if (*pos + 2u > len || d[*pos] != 0x02) {
        return false;
    }
    size_t n = d[*pos + 1u];
    *pos += 2u;
    if (n == 0 || n > 0x7fu || *pos + n > len || (d[*pos] & 0x80u) != 0) {
        return false;
    }
    const uint8_t *v = d + *pos;
    *pos += n;
    while (n > 0 && *v == 0) {
        v++;
        n--;
    }
    if (n > fb) {
        return false;
    }
    memset(out, 0, fb - n);
    memcpy(out + (fb - n), v, n);
    return true;
}

static bool ocmf_der_sig(const uint8_t *d, size_t len, uint8_t *out, size_t fb)
{
    if (len < 8u || d[0] != 0x30 || d[1] > 0x7fu || (size_t)d[1] + 2u != len) {
        return false;
    }
    size_t pos = 2;
    return ocmf_der_int(d, len, &pos, out, fb) && ocmf_der_int(d, len, &pos, out + fb, fb) &&
           pos == len;
}

static bool ocmf_signature(struct ocmf_cur *c, struct ocmf_record *rec)
{
    rec->curve = HAL_CRYPTO_SECP256R1; /* the default when SA is absent */
    if (rec->sa.present &&
        ocmf_algorithm(c->t + rec->sa.off, rec->sa.len, &rec->curve) != HAL_OK) {
        return ocmf_fail(c, OCMF_E_ALGORITHM);
    }
    bool b64 = false;
    if (rec->se.present) {
        if (rec->se.len == 6 && memcmp(c->t + rec->se.off, "base64", 6) == 0) {
            b64 = true;
        } else if (!(rec->se.len == 3 && memcmp(c->t + rec->se.off, "hex", 3) == 0)) {
            return ocmf_fail(c, OCMF_E_ENCODING);
        }
    }
    if (rec->sm.present && !(rec->sm.len == 17 && memcmp(c->t + rec->sm.off, "application/x-der", 17) == 0)) {
        return ocmf_fail(c, OCMF_E_ENCODING);
    }
    uint8_t raw[HAL_CRYPTO_SIG_MAX + 16];
    size_t n = 0;
    int rc = b64 ? base64_decode(c->t + rec->sd.off, rec->sd.len, 0u, raw, sizeof raw, &n)
                 : ocmf_unhex(c->t + rec->sd.off, rec->sd.len, raw, sizeof raw, &n);
    if (rc != HAL_OK) {
        return ocmf_fail(c, OCMF_E_ENCODING);
    }
    size_t fb = hal_crypto_curve_bytes(rec->curve);
    if (ocmf_der_sig(raw, n, rec->sig, fb)) {
        rec->sig_len = (uint8_t)(2u * fb);
        return true;
    }
    if (n == 2u * fb) {
        memcpy(rec->sig, raw, n);
        rec->sig_len = (uint8_t)n;
        return true;
    }
    return ocmf_fail(c, OCMF_E_SIGNATURE);
}

int ocmf_parse(struct ocmf_record *rec, const char *text, size_t len)
{
    if (rec == NULL || text == NULL) {
        return HAL_EINVAL;
    }
    memset(rec, 0, sizeof *rec);
    rec->text = text;
    /* Trailing NULs of a register-padded file are not part of the record. */
    while (len > 0 && text[len - 1] == '\0') {
        len--;
    }
    struct ocmf_cur c = {.t = text, .pos = 0, .end = 0, .err = OCMF_OK};
    if (len == 0 || len > CFG_OCMF_MAX_LEN) {
        rec->err = OCMF_E_LENGTH;
        return HAL_EPROTO;
    }
    rec->len = (uint16_t)len;
    if (len < 5 || memcmp(text, "OCMF|", 5) != 0) {
        rec->err = OCMF_E_HEADER;
        return HAL_EPROTO;
    }
    const char *bar2 = memchr(text + 5, '|', len - 5);
    if (bar2 == NULL || memchr(bar2 + 1, '|', len - (size_t)(bar2 + 1 - text)) != NULL ||
        memchr(text, '\0', len) != NULL) {
        rec->err = OCMF_E_SECTIONS;
        return HAL_EPROTO;
    }
    rec->payload.off = 5;
    rec->payload.len = (uint16_t)(bar2 - text - 5);
    rec->payload.present = true;
    c.pos = 5;
    c.end = (uint16_t)(bar2 - text);
    bool ok = ocmf_payload(&c, rec);
    if (ok) {
        c.pos = (uint16_t)(bar2 - text + 1);
        c.end = (uint16_t)len;
        ok = ocmf_sigsection(&c, rec) && ocmf_signature(&c, rec);
    }
    if (!ok) {
        rec->err = c.err != OCMF_OK ? c.err : OCMF_E_JSON;
        rec->err_at = c.pos;
        return HAL_EPROTO;
    }
    return HAL_OK;
}
