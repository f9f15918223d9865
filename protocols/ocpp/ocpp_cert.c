/*
 * OCPP 1.6J security whitepaper certificate management on the charge point: owns the
 * installed roots (CentralSystemRootCertificate, ManufacturerRootCertificate) and their
 * hash data, the client certificate renewal (SignCertificate out, CertificateSigned in, the
 * returned chain checked against the key of our CSR), ExtendedTriggerMessage and the
 * prerequisites of a SecurityProfile upgrade. Keys, the CSR and files are the board's
 * (ocpp_cert_ops); everything the CSMS sends is checked here before it is kept.
 */
#include "ocpp/ocpp_cert.h"

#include <string.h>

#include "base64/base64.h"
#include "hal_err.h"
#include "hal_log.h"
#include "ocpp/ocpp_chk.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_fw.h"
#include "ocpp/ocpp_sec.h"
#include "sha256/sha256.h"
#include "x509/x509.h"

#define LOGI(cp, now, ...) hal_logf((cp)->log, HAL_LOG_INFO, (now), __VA_ARGS__)
#define LOGW(cp, now, ...) hal_logf((cp)->log, HAL_LOG_WARN, (now), __VA_ARGS__)

/* put_slot: the same certificate is installed already (not an error of the HAL kind) */
#define OCPP_CERT_KNOWN 1
/* How far a certificate's notBefore may be ahead of our clock. Our clock is the CSMS's
 * currentTime (its fraction kept) taken when the answer arrived, so it lags the CSMS's by the
 * answer's travel and drifts until the next Heartbeat; a certificate signed "now" by a CA
 * whose clock is a little ahead would be refused as not yet valid. A minute covers that;
 * expiry keeps no tolerance. */
#define OCPP_CERT_CLOCK_SKEW_S 60

static const char *const k_use[] = {"CentralSystemRootCertificate", "ManufacturerRootCertificate", NULL};

void ocpp_cert_init(struct ocpp_cert *c, const struct ocpp_cert_ops *ops, void *ctx, struct hal_crypto *crypto,
                    const char *identity)
{
    memset(c, 0, sizeof *c);
    c->ops = ops;
    c->ctx = ctx;
    c->crypto = crypto;
    if (identity != NULL) {
        strncpy(c->identity, identity, sizeof c->identity - 1u);
    }
}

/* ------------------------------------------------------------------ PEM and hash data */

static const char *find(const char *s, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= len; i++) {
        if (memcmp(s + i, needle, n) == 0) {
            return s + i;
        }
    }
    return NULL;
}

int ocpp_cert_pem_next(const char *pem, size_t len, size_t *pos, uint8_t *out, size_t cap, size_t *out_len)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    const char *b = find(pem, len, *pos, begin);
    if (b == NULL) {
        /* only whitespace may follow the last block: anything else is not a certificate */
        for (size_t i = *pos; i < len; i++) {
            if (pem[i] != '\n' && pem[i] != '\r' && pem[i] != ' ' && pem[i] != '\t') {
                return HAL_EINVAL;
            }
        }
        return 0;
    }
    size_t i = (size_t)(b - pem) + sizeof begin - 1u;
    const char *e = find(pem, len, i, end);
    if (e == NULL) {
        return HAL_EINVAL;
    }
    size_t stop = (size_t)(e - pem);
    size_t n = 0;
    int rc = base64_decode(pem + i, stop - i, BASE64_SKIP_SPACE, out, cap, &n);
    if (rc != HAL_OK || n == 0) {
        return rc == HAL_ENOMEM ? HAL_EOVERFLOW : HAL_EINVAL;
    }
    *out_len = n;
    *pos = stop + sizeof end - 1u;
    return 1;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2u * i] = d[p[i] >> 4];
        out[2u * i + 1u] = d[p[i] & 15u];
    }
    out[2u * n] = '\0';
}

static void serial_hex(const struct x509_span *s, char out[41])
{
    /* SEC3 §6.1: hex without leading zeros (4095 -> FFF); 0 stays "0" */
    char full[2u * 20u + 1u];
    size_t n = s->len > 20u ? 20u : s->len;
    hex(s->p + (s->len - n), n, full);
    const char *q = full;
    while (q[0] == '0' && q[1] != '\0') {
        q++;
    }
    strcpy(out, q);
}

static bool same(const struct x509_span *a, const struct x509_span *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static bool is_root(const struct x509_cert *x)
{
    return same(&x->issuer, &x->subject);
}

int ocpp_cert_hash_data(const uint8_t *der, size_t len, char name_hash[65], char key_hash[65], char serial[41])
{
    struct x509_cert x;
    uint8_t d[32];
    if (x509_parse(&x, der, len) != X509_OK) {
        return HAL_EINVAL;
    }
    /* we keep roots only: the issuer's name and key are the certificate's own */
    sha256_digest(x.issuer.p, x.issuer.len, d);
    hex(d, sizeof d, name_hash);
    sha256_digest(x.pub.p, x.pub.len, d);
    hex(d, sizeof d, key_hash);
    serial_hex(&x.serial, serial);
    return HAL_OK;
}

/* ------------------------------------------------------------------ the store */

unsigned ocpp_cert_count(const struct ocpp_cert *c, enum ocpp_cert_use use)
{
    unsigned n = 0;
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
        n += c->slot[i].used && c->slot[i].use == (uint8_t)use;
    }
    return n;
}

/* Why a certificate may not be installed as a root (NULL: it may). @p now 0: clock unknown. */
static const char *root_refusal(const struct x509_cert *x, int64_t now)
{
    if (x->version != 3u) {
        return "not a v3 certificate";
    }
    if (!x->has_bc || !x->ca) {
        return "not a CA certificate";
    }
    if (!is_root(x)) {
        return "not a root (issuer differs from subject)"; /* EVerest#2109: unlistable */
    }
    if (x->unknown_critical > 0u) {
        return "an unknown critical extension";
    }
    if (now != 0 && now > x->not_after) {
        return "expired";
    }
    if (now != 0 && now + OCPP_CERT_CLOCK_SKEW_S < x->not_before) {
        return "not yet valid";
    }
    return NULL;
}

static int put_slot(struct ocpp_cert *c, enum ocpp_cert_use use, const uint8_t *der, size_t len, bool save,
                    int *slot_out)
{
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
        if (c->slot[i].used && c->slot[i].len == len && memcmp(c->slot[i].der, der, len) == 0) {
            *slot_out = (int)i;
            return c->slot[i].use == (uint8_t)use ? OCPP_CERT_KNOWN : HAL_EINVAL;
        }
    }
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
        if (!c->slot[i].used) {
            if (save && c->ops != NULL && c->ops->save != NULL && c->ops->save(c->ctx, i, use, der, len) != HAL_OK) {
                return HAL_EIO;
            }
            c->slot[i].used = 1;
            c->slot[i].use = (uint8_t)use;
            c->slot[i].len = (uint16_t)len;
            memcpy(c->slot[i].der, der, len);
            c->generation++;
            *slot_out = (int)i;
            return HAL_OK;
        }
    }
    return HAL_ENOMEM;
}

int ocpp_cert_load(struct ocpp_cert *c, enum ocpp_cert_use use, const uint8_t *der, size_t len)
{
    struct x509_cert x;
    int slot;
    if ((unsigned)use > OCPP_CERT_MF_ROOT || len > CFG_OCPP_CERT_DER_MAX || x509_parse(&x, der, len) != X509_OK ||
        root_refusal(&x, 0) != NULL) {
        return HAL_EINVAL; /* validity is checked when used: the clock may not be known yet */
    }
    int rc = put_slot(c, use, der, len, false, &slot);
    return rc == OCPP_CERT_KNOWN ? HAL_OK : rc;
}

int ocpp_cert_set_anchor(struct ocpp_cert *c, const char *pem, size_t len)
{
    size_t pos = 0, n = 0;
    struct x509_cert x;
    int rc = ocpp_cert_pem_next(pem, len, &pos, c->anchor, sizeof c->anchor, &n);
    if (rc != 1) {
        c->anchor_len = 0;
        return rc == HAL_EOVERFLOW ? HAL_EOVERFLOW : HAL_EINVAL;
    }
    if (x509_parse(&x, c->anchor, n) != X509_OK) {
        c->anchor_len = 0;
        return HAL_EINVAL;
    }
    c->anchor_len = (uint16_t)n;
    return HAL_OK;
}

/* ------------------------------------------------------------------ the CALLs */

static void h_install(struct ocpp_cert *c, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                      uint32_t now_ms)
{
    static const char *const keys[] = {"certificateType", "certificate", NULL};
    ocpp_chk_keys(k, pl, keys);
    int use = ocpp_chk_enum(k, pl, "certificateType", true, k_use);
    int n = ocpp_chk_text(k, pl, "certificate", true, 5500u, c->pem, sizeof c->pem);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = NULL, *status = "Rejected";
    size_t pos = 0, len = 0;
    struct x509_cert x;
    int rc = n < 0 ? HAL_EOVERFLOW : ocpp_cert_pem_next(c->pem, (size_t)n, &pos, c->der, sizeof c->der, &len);
    if (rc == HAL_EOVERFLOW || (rc == 1 && len > CFG_OCPP_CERT_DER_MAX)) {
        why = "larger than a store slot";
        status = "Failed";
    } else if (rc != 1) {
        why = "not a PEM certificate";
    } else if (ocpp_cert_pem_next(c->pem, (size_t)n, &pos, c->der + len, sizeof c->der - len, &(size_t){0}) != 0) {
        why = "more than one certificate";
    } else if (x509_parse(&x, c->der, len) != X509_OK) {
        why = "not a DER certificate";
    } else if ((why = root_refusal(&x, ocpp_cp_unix(cp, now_ms))) == NULL) {
        int slot = -1;
        rc = put_slot(c, (enum ocpp_cert_use)use, c->der, len, true, &slot);
        if (rc == HAL_OK || rc == OCPP_CERT_KNOWN) {
            status = "Accepted";
            why = rc == HAL_OK ? "installed" : "already installed";
        } else if (rc == HAL_ENOMEM) {
            why = "the store is full (CertificateStoreMaxLength)";
        } else if (rc == HAL_EINVAL) {
            why = "installed as the other certificate type";
        } else {
            status = "Failed";
            why = "the board could not save it";
        }
    }
    LOGI(cp, now_ms, "ocpp: backend installs a %s: %s (%s)", k_use[use], status, why);
    ocpp_jw_kstr(w, "status", status);
}

static bool hex_eq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = *a >= 'a' && *a <= 'f' ? (char)(*a - 32) : *a;
        char y = *b >= 'a' && *b <= 'f' ? (char)(*b - 32) : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

/* The serial as sent, read the way we write ours: leading zeros are not significant. */
static const char *skip_zeros(const char *s)
{
    while (s[0] == '0' && s[1] != '\0') {
        s++;
    }
    return s;
}

static void h_delete(struct ocpp_cert *c, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                     uint32_t now_ms)
{
    static const char *const keys[] = {"certificateHashData", NULL};
    static const char *const hkeys[] = {"hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber", NULL};
    static const char *const algs[] = {"SHA256", "SHA384", "SHA512", NULL};
    char nh[129], kh[129], sn[41];
    ocpp_chk_keys(k, pl, keys);
    int h = ocpp_chk_member(k, pl, "certificateHashData", true, OCPP_J_OBJ);
    if (h < 0) {
        return;
    }
    ocpp_chk_keys(k, h, hkeys);
    int alg = ocpp_chk_enum(k, h, "hashAlgorithm", true, algs);
    ocpp_chk_text(k, h, "issuerNameHash", true, 128u, nh, sizeof nh);
    ocpp_chk_text(k, h, "issuerKeyHash", true, 128u, kh, sizeof kh);
    ocpp_chk_text(k, h, "serialNumber", true, 40u, sn, sizeof sn);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    int found = -1;
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS && found < 0 && alg == 0; i++) {
        char n2[65], k2[65], s2[41];
        if (c->slot[i].used && ocpp_cert_hash_data(c->slot[i].der, c->slot[i].len, n2, k2, s2) == HAL_OK &&
            hex_eq(n2, nh) && hex_eq(k2, kh) && hex_eq(s2, skip_zeros(sn))) {
            found = (int)i;
        }
    }
    const char *status = "NotFound", *why = alg == 0 ? "no installed certificate has that hash data"
                                                     : "only SHA256 hash data are kept";
    if (found >= 0) {
        struct ocpp_cert_slot *s = &c->slot[found];
        /* M04.FR.06 and the whitepaper's profile rule: in a TLS profile the last CSMS root
         * goes only when the board's configured CA is there to validate the connection */
        if (s->use == OCPP_CERT_CSMS_ROOT && cp->cfg.security_profile >= 2u && c->anchor_len == 0u &&
            ocpp_cert_count(c, OCPP_CERT_CSMS_ROOT) == 1u) {
            status = "Failed";
            why = "the last CentralSystemRootCertificate while in security profile 2 or 3";
        } else if (c->ops != NULL && c->ops->save != NULL && c->ops->save(c->ctx, (unsigned)found, s->use, NULL, 0) != HAL_OK) {
            status = "Failed";
            why = "the board could not remove it";
        } else {
            why = k_use[s->use];
            memset(s, 0, sizeof *s);
            c->generation++;
            status = "Accepted";
        }
    }
    LOGI(cp, now_ms, "ocpp: backend deletes certificate %s: %s (%s)", sn, status, why);
    ocpp_jw_kstr(w, "status", status);
}

static void h_list(struct ocpp_cert *c, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                   uint32_t now_ms)
{
    static const char *const keys[] = {"certificateType", NULL};
    ocpp_chk_keys(k, pl, keys);
    int use = ocpp_chk_enum(k, pl, "certificateType", true, k_use);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    unsigned n = ocpp_cert_count(c, (enum ocpp_cert_use)use);
    ocpp_jw_kstr(w, "status", n > 0 ? "Accepted" : "NotFound");
    if (n > 0) {
        ocpp_jw_key(w, "certificateHashData");
        ocpp_jw_arr(w);
        for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
            char nh[65], kh[65], sn[41];
            if (!c->slot[i].used || c->slot[i].use != (uint8_t)use ||
                ocpp_cert_hash_data(c->slot[i].der, c->slot[i].len, nh, kh, sn) != HAL_OK) {
                continue;
            }
            ocpp_jw_obj(w);
            ocpp_jw_kstr(w, "hashAlgorithm", "SHA256");
            ocpp_jw_kstr(w, "issuerNameHash", nh);
            ocpp_jw_kstr(w, "issuerKeyHash", kh);
            ocpp_jw_kstr(w, "serialNumber", sn);
            ocpp_jw_obj_end(w);
        }
        ocpp_jw_arr_end(w);
    }
    LOGI(cp, now_ms, "ocpp: backend lists the %ss: %u", k_use[use], n);
}

/* Check the chain in c->pem (@p n bytes) for our pending key: NULL when good, else why. */
static const char *check_chain(struct ocpp_cert *c, const struct ocpp_cp *cp, size_t n, uint32_t now_ms)
{
    struct x509_cert x[OCPP_CERT_CHAIN_MAX + 1u];
    size_t pos = 0, used = 0, cnt = 0;
    int64_t now = ocpp_cp_unix(cp, now_ms);
    for (;;) {
        size_t len = 0;
        int rc = ocpp_cert_pem_next(c->pem, n, &pos, c->der + used, sizeof c->der - used, &len);
        if (rc == 0) {
            break;
        }
        if (rc != 1) {
            return "not a PEM certificate chain";
        }
        if (cnt == OCPP_CERT_CHAIN_MAX) {
            return "more certificates than the chain may hold";
        }
        if (x509_parse(&x[cnt], c->der + used, len) != X509_OK) {
            return "a certificate is not DER";
        }
        used += len;
        cnt++;
    }
    if (cnt == 0) {
        return "no certificate";
    }
    if (c->pend_pub_len == 0 || x[0].pub.len != c->pend_pub_len ||
        memcmp(x[0].pub.p, c->pend_pub, c->pend_pub_len) != 0) {
        return "the leaf's public key is not the key of our CSR";
    }
    if (x[0].has_bc && x[0].ca) {
        return "the leaf is a CA";
    }
    if (now == 0) {
        return "the clock is not known: validity cannot be checked";
    }
    for (size_t i = 0; i < cnt; i++) {
        if (x[i].version != 3u || x[i].unknown_critical > 0u) {
            return "a certificate is not v3 or has an unknown critical extension";
        }
        if (now > x[i].not_after) {
            return "a certificate has expired";
        }
        if (now + OCPP_CERT_CLOCK_SKEW_S < x[i].not_before) {
            return "a certificate is not yet valid";
        }
        if (i > 0 && (!x[i].has_bc || !x[i].ca)) {
            return "an issuer is not a CA";
        }
        if (i + 1u < cnt) {
            if (!same(&x[i].issuer, &x[i + 1u].subject)) {
                return "the chain is broken (issuer is not the next subject)";
            }
            if (c->crypto == NULL || x509_verify_signed_by(c->crypto, &x[i], &x[i + 1u]) != X509_OK) {
                return "a signature in the chain does not verify";
            }
        }
    }
    /* the top must be, or be issued by, an installed CSMS root or the board's CA */
    const struct x509_cert *top = &x[cnt - 1u];
    for (unsigned i = 0; i <= CFG_OCPP_CERT_SLOTS; i++) {
        const uint8_t *der = i < CFG_OCPP_CERT_SLOTS ? c->slot[i].der : c->anchor;
        size_t len = i < CFG_OCPP_CERT_SLOTS ? c->slot[i].len : c->anchor_len;
        if (len == 0 || (i < CFG_OCPP_CERT_SLOTS && (!c->slot[i].used || c->slot[i].use != OCPP_CERT_CSMS_ROOT))) {
            continue;
        }
        if (top->der.len == len && memcmp(top->der.p, der, len) == 0) {
            return cnt > 1u ? NULL : "the leaf is the root itself";
        }
        struct x509_cert *r = &x[OCPP_CERT_CHAIN_MAX];
        if (x509_parse(r, der, len) == X509_OK && same(&top->issuer, &r->subject) && c->crypto != NULL &&
            x509_verify_signed_by(c->crypto, top, r) == X509_OK) {
            return NULL;
        }
    }
    return "not issued under an installed CentralSystemRootCertificate or the configured CA";
}

static void h_signed(struct ocpp_cert *c, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                     uint32_t now_ms)
{
    static const char *const keys[] = {"certificateChain", NULL};
    ocpp_chk_keys(k, pl, keys);
    int n = ocpp_chk_text(k, pl, "certificateChain", true, 10000u, c->pem, sizeof c->pem);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = n < 0 ? "longer than CertificateSignedMaxChainSize" : check_chain(c, cp, (size_t)n, now_ms);
    if (why == NULL && (c->ops == NULL || c->ops->install_client == NULL ||
                        c->ops->install_client(c->ctx, c->pem, (size_t)n) != HAL_OK)) {
        why = "the board could not keep it";
    }
    if (why == NULL) {
        LOGI(cp, now_ms, "ocpp: backend signed our certificate: Accepted (used from the next connection)");
        c->sign = OCPP_SIGN_IDLE;
        c->pend_pub_len = 0;
        ocpp_sec_event(cp, OCPP_SEC_RECONFIGURATION, "new charge point certificate", now_ms);
    } else {
        LOGW(cp, now_ms, "ocpp: backend's CertificateSigned: Rejected (%s)", why);
        ocpp_sec_event(cp, OCPP_SEC_INVALID_CP_CERT, why, now_ms);
    }
    ocpp_jw_kstr(w, "status", why == NULL ? "Accepted" : "Rejected");
}

static void h_trigger(struct ocpp_cert *c, struct ocpp_cp *cp, struct ocpp_chk *k, int pl, struct ocpp_jw *w,
                      uint32_t now_ms)
{
    static const char *const keys[] = {"requestedMessage", "connectorId", NULL};
    static const char *const msgs[] = {"BootNotification", "LogStatusNotification", "FirmwareStatusNotification",
                                       "Heartbeat", "MeterValues", "SignChargePointCertificate",
                                       "StatusNotification", NULL};
    ocpp_chk_keys(k, pl, keys);
    int r = ocpp_chk_enum(k, pl, "requestedMessage", true, msgs);
    int64_t conn = -1;
    /* exclusiveMinimum 0; above our connectors it names none */
    ocpp_chk_int(k, pl, "connectorId", false, 1, cp->info.connectors, &conn);
    if (k->err != OCPP_ERR_NONE) {
        return;
    }
    const char *s = "Accepted";
    switch (r) {
    case 0: /* as TriggerMessage: a registered charge point does not boot again (E16 3.35) */
        s = cp->reg == OCPP_REG_ACCEPTED ? "Rejected" : "Accepted";
        if (cp->reg != OCPP_REG_ACCEPTED) {
            cp->next_boot_ms = now_ms;
        }
        break;
    case 3:
        cp->heartbeat_due = true;
        break;
    case 5:
        if (c->ops == NULL || c->ops->make_csr == NULL || cp->cfg.security_profile < 1u) {
            s = "Rejected"; /* no key generation on this board, or outside the whitepaper */
        } else {
            c->sign = OCPP_SIGN_DUE;
        }
        break;
    case 6:
        cp->status_dirty |= conn > 0 ? 1u << conn : (2u << cp->info.connectors) - 1u;
        break;
    case 1: /* LogStatusNotification */
    case 2: /* FirmwareStatusNotification, sent as SignedFirmwareStatusNotification */
        if (cp->fw == NULL) {
            s = "NotImplemented"; /* no Firmware Management on this board */
        } else {
            /* queued behind this answer: the CALLRESULT goes first (the ring is sent by
             * ocpp_cp_poll, after the answer left) */
            ocpp_fw_trigger_ext(cp->fw, r == 1);
        }
        break;
    default:
        /* MeterValues on demand: not yet (as TriggerMessage) */
        s = "NotImplemented";
        break;
    }
    LOGI(cp, now_ms, "ocpp: backend triggers %s: %s", msgs[r], s);
    ocpp_jw_kstr(w, "status", s);
}

bool ocpp_cert_action(const char *a)
{
    return strcmp(a, "InstallCertificate") == 0 || strcmp(a, "DeleteCertificate") == 0 ||
           strcmp(a, "GetInstalledCertificateIds") == 0 || strcmp(a, "CertificateSigned") == 0 ||
           strcmp(a, "ExtendedTriggerMessage") == 0;
}

enum ocpp_error ocpp_cert_call(struct ocpp_cert *c, struct ocpp_cp *cp, const char *action, int payload,
                               struct ocpp_jw *w, uint32_t now_ms, const char **why)
{
    struct ocpp_chk k;
    ocpp_chk_start(&k, &cp->json);
    if (ocpp_json_type(&cp->json, payload) != OCPP_J_OBJ) {
        ocpp_chk_fail(&k, OCPP_ERR_TYPE, "payload");
    } else if (strcmp(action, "InstallCertificate") == 0) {
        h_install(c, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "DeleteCertificate") == 0) {
        h_delete(c, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "GetInstalledCertificateIds") == 0) {
        h_list(c, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "CertificateSigned") == 0) {
        h_signed(c, cp, &k, payload, w, now_ms);
    } else if (strcmp(action, "ExtendedTriggerMessage") == 0) {
        h_trigger(c, cp, &k, payload, w, now_ms);
    } else {
        ocpp_chk_fail(&k, OCPP_ERR_NOT_IMPLEMENTED, "unknown action");
    }
    *why = k.why;
    return k.err;
}

/* ------------------------------------------------------------------ SignCertificate */

bool ocpp_cert_send(struct ocpp_cert *c, struct ocpp_cp *cp, uint32_t now_ms)
{
    if (c->sign != OCPP_SIGN_DUE) {
        return false;
    }
    size_t pub_len = 0;
    c->pem[0] = '\0';
    if (c->ops->make_csr(c->ctx, c->identity, cp->cfg.cpo_name, c->pem, sizeof c->pem, c->pend_pub, sizeof c->pend_pub,
                         &pub_len) != HAL_OK ||
        pub_len == 0 || pub_len > sizeof c->pend_pub || memchr(c->pem, '\0', sizeof c->pem) == NULL) {
        LOGW(cp, now_ms, "ocpp: the board could not make a key and CSR: no SignCertificate");
        c->sign = OCPP_SIGN_IDLE; /* no automatic retries (A02.FR) */
        c->pend_pub_len = 0;
        return false;
    }
    c->pend_pub_len = (uint16_t)pub_len;
    struct ocpp_jw w;
    ocpp_jw_init(&w, cp->txbuf, sizeof cp->txbuf);
    if (ocpp_rpc_call(&cp->rpc, &w, "SignCertificate", now_ms) != HAL_OK) {
        return false;
    }
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "csr", c->pem);
    ocpp_jw_obj_end(&w);
    ocpp_rpc_end(&w);
    int n = ocpp_jw_end(&w);
    if (n < 0) {
        ocpp_rpc_reset(&cp->rpc);
        c->sign = OCPP_SIGN_IDLE;
        return false;
    }
    cp->txlen = (size_t)n;
    cp->out = OCPP_OUT_CERT;
    c->sign = OCPP_SIGN_SENT;
    LOGI(cp, now_ms, "ocpp: asking the backend to sign a new key (CN=%s%s%s)", c->identity,
         cp->cfg.cpo_name[0] != '\0' ? ", O=" : "", cp->cfg.cpo_name);
    return true;
}

void ocpp_cert_answer(struct ocpp_cert *c, struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    if (c->sign != OCPP_SIGN_SENT) {
        return;
    }
    bool ok = false;
    if (m->type == OCPP_CALLRESULT) {
        int t = ocpp_json_get(&cp->json, m->payload, "status");
        ok = t >= 0 && ocpp_json_streq(&cp->json, t, "Accepted");
    }
    LOGI(cp, now_ms, "ocpp: backend answered SignCertificate: %s", ok ? "Accepted, waiting for CertificateSigned"
                     : m->type == OCPP_CALLRESULT ? "Rejected" : m->error_text);
    c->sign = ok ? OCPP_SIGN_WAIT : OCPP_SIGN_IDLE;
    if (!ok) {
        c->pend_pub_len = 0;
    }
}

/* ------------------------------------------------------------------ profile upgrade */

const char *ocpp_cert_upgrade(struct ocpp_cert *c, const struct ocpp_cp *cp, unsigned profile)
{
    bool root = ocpp_cert_count(c, OCPP_CERT_CSMS_ROOT) > 0u || c->anchor_len > 0u;
    if ((profile == 1u || profile == 2u) && cp->cfg.authorization_key[0] == '\0') {
        return "no AuthorizationKey";
    }
    if (profile >= 2u && !root) {
        return "no CentralSystemRootCertificate";
    }
    if (profile == 3u && (c->ops == NULL || c->ops->has_client_cert == NULL || !c->ops->has_client_cert(c->ctx))) {
        return "no charge point certificate";
    }
    if (c->ops == NULL || c->ops->switch_profile == NULL || c->ops->switch_profile(c->ctx, profile) != HAL_OK) {
        return "the board cannot reconnect with it";
    }
    return NULL;
}
