/*
 * v2g-pki: print a Plug & Charge certificate chain and check it the way the charger does
 * (protocols/x509 with the OpenSSL crypto port), so an integrator sees why a car's or a
 * backend's certificate is refused. A thin main: every decision is the core's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "board_pnc.h"
#include "linux_crypto.h"
#include "x509/x509.h"

#define PKI_MAX_CERTS 24u   /* holds a 20-certificate chain, the longest bad case */
#define PKI_MAX_ROOTS 16u
#define PKI_FILE_MAX (256u * 1024u)

struct pki_item {
    uint8_t der[CFG_X509_DER_MAX];
    size_t len;
    char src[256];
    struct x509_cert cert;
    enum x509_reason parsed;
};

static struct pki_item s_chain[PKI_MAX_CERTS];
static struct pki_item s_roots[PKI_MAX_ROOTS];
static uint8_t s_file[PKI_FILE_MAX + 1u]; /* a NUL after the data (board_pnc_read) */

static void pki_usage(FILE *f)
{
    fprintf(f,
            "usage: v2g-pki check --role contract|secc|oem|cps --roots DIR|FILE [--emaid E]\n"
            "                     [--at TIME] CHAIN.pem|DER...\n"
            "\n"
            "Prints each certificate (subject, issuer, serial, validity, key, signature\n"
            "algorithm, extensions) and the verdict the charger would give, with the reason\n"
            "and the ISO 15118-2 response code it answers PaymentDetailsReq with.\n"
            "\n"
            "  --role R     what the leaf is for: contract (MO chain, CN = eMAID, DC=MO), secc\n"
            "               (TLS server, DC=CPO), oem (provisioning, DC=OEM), cps (DC=CPS)\n"
            "  --roots P    the trust anchors: a PEM/DER file or a directory of them\n"
            "               (*.pem, *.der, *.crt, *.cer); the chain must end at one of them\n"
            "  --emaid E    the eMAID of the message; the contract leaf's CN must equal it\n"
            "               ('-' and case ignored)\n"
            "  --at TIME    the charger's clock: seconds since 1970 (fractions ignored) or\n"
            "               YYYY-MM-DDTHH:MM:SSZ; default now\n"
            "  CHAIN        the leaf first, then the Sub-CAs in issuing order (as the car\n"
            "               sends them); PEM files may hold several certificates\n"
            "\n"
            "The ISO-2 profile checked: X.509 v3, EC secp256r1, ecdsa-with-SHA256, CAs with\n"
            "critical basicConstraints cA and keyCertSign, leaves no CA and digitalSignature,\n"
            "path lengths, at most two Sub-CAs, at most 800 bytes a certificate, validity,\n"
            "every signature, no unknown critical extension. Revocation (OCSP) is not checked.\n"
            "A test PKI (good and bad chains) is made by the make-pki.sh script of the sources (docs/pnc.md).\n"
            "Exit status: 0 accepted, 1 refused, 2 usage or unreadable input.\n");
}

/* The tool keeps every certificate of a file, parsed or not, to print it with its reason;
 * finding them is the charger's own walker (boardlib/board_pnc.c). */
struct pki_sink {
    struct pki_item *items;
    size_t max, *count;
    const char *path;
    bool pem;
};

static int pki_take(void *arg, const uint8_t *der, size_t len, unsigned block, bool too_large, char *why,
                    size_t cap)
{
    struct pki_sink *k = arg;
    if (*k->count >= k->max) {
        snprintf(why, cap, "%s: more than %zu certificates", k->path, k->max);
        return -1;
    }
    struct pki_item *it = &k->items[(*k->count)++];
    it->len = len < sizeof it->der ? len : sizeof it->der;
    memcpy(it->der, der, it->len);
    if (k->pem) {
        snprintf(it->src, sizeof it->src, "%s#%u", k->path, block);
    } else {
        snprintf(it->src, sizeof it->src, "%s", k->path);
    }
    /* A certificate above the parser's limit is kept at the limit and refused as too large. */
    it->parsed = too_large || len > sizeof it->der ? X509_E_TOO_LARGE : x509_parse(&it->cert, it->der, it->len);
    return 0;
}

/* Every certificate of one file (PEM blocks, or one DER) into @p items. */
static int pki_load(const char *path, struct pki_item *items, size_t max, size_t *count)
{
    static uint8_t scratch[CFG_X509_DER_MAX];
    char why[384];
    size_t len = 0;
    if (board_pnc_read(path, s_file, sizeof s_file, &len, why, sizeof why) != 0) {
        fprintf(stderr, "v2g-pki: %s\n", why);
        return -1;
    }
    struct pki_sink k = {.items = items, .max = max, .count = count, .path = path,
                         .pem = strstr((const char *)s_file, "-----BEGIN CERTIFICATE-----") != NULL};
    if (board_pnc_each(s_file, len, path, scratch, sizeof scratch, pki_take, &k, why, sizeof why) != 0) {
        fprintf(stderr, "v2g-pki: %s\n", why);
        return -1;
    }
    return 0;
}

static int pki_load_roots(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "v2g-pki: --roots %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return pki_load(path, s_roots, PKI_MAX_ROOTS, count);
    }
    static char names[PKI_MAX_ROOTS][BOARD_PNC_PATH_MAX];
    char why[384];
    size_t n = 0;
    if (board_pnc_list_dir(path, names, PKI_MAX_ROOTS, &n, why, sizeof why) != 0) {
        fprintf(stderr, "v2g-pki: --roots %s\n", why);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (pki_load(names[i], s_roots, PKI_MAX_ROOTS, count) != 0) {
            return -1;
        }
    }
    return 0;
}

static void pki_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
        snprintf(out, cap, "@%lld", (long long)t);
    }
}

static void pki_hex(const struct x509_span *s, size_t max)
{
    for (size_t i = 0; i < s->len && i < max; i++) {
        printf("%02x", s->p[i]);
    }
    if (s->len > max) {
        printf("..");
    }
}

static void pki_print(const char *label, const struct pki_item *it)
{
    char buf[512];
    printf("%-8s %s (%zu bytes)\n", label, it->src, it->len);
    if (it->parsed != X509_OK) {
        printf("         not parsed: %s\n", x509_reason_text(it->parsed));
        return;
    }
    const struct x509_cert *c = &it->cert;
    x509_name_text(&c->subject, buf, sizeof buf);
    printf("         subject:   %s\n", buf);
    x509_name_text(&c->issuer, buf, sizeof buf);
    printf("         issuer:    %s\n", buf);
    printf("         serial:    ");
    pki_hex(&c->serial, 21);
    printf("   version %u\n", c->version);
    char a[40], b[40];
    pki_time(c->not_before, a, sizeof a);
    pki_time(c->not_after, b, sizeof b);
    printf("         validity:  %s .. %s\n", a, b);
    if (c->key_type == X509_KEY_EC) {
        printf("         key:       EC %s\n", x509_curve_name(c->curve));
    } else if (c->key_type == X509_KEY_RSA) {
        printf("         key:       RSA %u bits\n", c->rsa_bits);
    } else {
        printf("         key:       %s\n", x509_key_type_name(c->key_type));
    }
    printf("         signature: %s\n", x509_sig_alg_name(c->sig_alg));
    printf("         ext:       ");
    if (c->has_bc) {
        printf("basicConstraints%s CA:%s", c->bc_critical ? " (critical)" : "", c->ca ? "true" : "false");
        if (c->pathlen >= 0) {
            printf(" pathlen:%d", c->pathlen);
        }
        printf("; ");
    }
    if (c->has_ku) {
        static const char *const ku[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                         "dataEncipherment", "keyAgreement", "keyCertSign",
                                         "cRLSign", "encipherOnly", "decipherOnly"};
        printf("keyUsage%s", c->ku_critical ? " (critical)" : "");
        const char *sep = " ";
        for (unsigned i = 0; i < 9u; i++) {
            if ((c->key_usage & (1u << i)) != 0u) {
                printf("%s%s", sep, ku[i]);
                sep = ",";
            }
        }
        printf("; ");
    }
    if (c->ski.len != 0) {
        printf("SKI ");
        pki_hex(&c->ski, 8);
        printf("; ");
    }
    if (c->aki.len != 0) {
        printf("AKI ");
        pki_hex(&c->aki, 8);
        printf("; ");
    }
    if (c->has_aia) {
        printf("authorityInfoAccess; ");
    }
    if (c->unknown_critical != 0u) {
        printf("%u unknown critical; ", c->unknown_critical);
    }
    printf("(%u extensions)\n", c->n_ext);
}

/* --at: seconds since 1970 (a capture's "t", fractions dropped) or YYYY-MM-DDTHH:MM:SSZ. */
static int pki_parse_at(const char *arg, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno == 0 && end != arg && (*end == '\0' || *end == '.')) {
        if (*end == '.') {
            for (const char *q = end + 1; *q != '\0'; q++) {
                if (*q < '0' || *q > '9') {
                    return -1;
                }
            }
        }
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0, extra = 0;
    int got = sscanf(arg, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &extra);
    if (got < 6 || got > 7 || (got == 7 && z != 'Z') || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static int pki_check(int argc, char **argv)
{
    const char *role_s = NULL, *roots_p = NULL, *emaid = NULL;
    int64_t now = (int64_t)time(NULL);
    int first = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            pki_usage(stdout);
            return 0;
        } else if (strcmp(a, "--role") == 0 && has_val) {
            role_s = argv[++i];
        } else if (strcmp(a, "--roots") == 0 && has_val) {
            roots_p = argv[++i];
        } else if (strcmp(a, "--emaid") == 0 && has_val) {
            emaid = argv[++i];
        } else if (strcmp(a, "--at") == 0 && has_val) {
            if (pki_parse_at(argv[++i], &now) != 0) {
                fprintf(stderr, "v2g-pki: --at needs seconds since 1970 or YYYY-MM-DDTHH:MM:SSZ, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "v2g-pki: %s: unknown option or missing value (see v2g-pki --help)\n", a);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    enum x509_role role;
    if (role_s == NULL) {
        fprintf(stderr, "v2g-pki: --role contract|secc|oem|cps is required\n");
        return 2;
    } else if (strcmp(role_s, "contract") == 0) {
        role = X509_ROLE_CONTRACT;
    } else if (strcmp(role_s, "secc") == 0) {
        role = X509_ROLE_SECC;
    } else if (strcmp(role_s, "oem") == 0) {
        role = X509_ROLE_OEM;
    } else if (strcmp(role_s, "cps") == 0) {
        role = X509_ROLE_CPS;
    } else {
        fprintf(stderr, "v2g-pki: --role must be contract, secc, oem or cps, got '%s'\n", role_s);
        return 2;
    }
    if (roots_p == NULL) {
        fprintf(stderr, "v2g-pki: --roots DIR|FILE is required (the trust anchors)\n");
        return 2;
    }
    if (first < 0) {
        fprintf(stderr, "v2g-pki: no chain given (the leaf first, then the Sub-CAs)\n");
        return 2;
    }
    size_t nroots = 0, n = 0;
    if (pki_load_roots(roots_p, &nroots) != 0) {
        return 2;
    }
    for (int i = first; i < argc; i++) {
        if (pki_load(argv[i], s_chain, PKI_MAX_CERTS, &n) != 0) {
            return 2;
        }
    }
    if (n == 0) {
        fprintf(stderr, "v2g-pki: no certificate in the chain files\n");
        return 2;
    }
    /* Anchors that do not parse are a configuration fault, said and skipped. */
    static struct x509_cert roots[PKI_MAX_ROOTS];
    static size_t root_src[PKI_MAX_ROOTS];
    size_t nr = 0;
    for (size_t k = 0; k < nroots; k++) {
        if (s_roots[k].parsed != X509_OK) {
            fprintf(stderr, "v2g-pki: root %s skipped: %s\n", s_roots[k].src,
                    x509_reason_text(s_roots[k].parsed));
            continue;
        }
        root_src[nr] = k;
        roots[nr++] = s_roots[k].cert;
    }
    char when[40];
    pki_time(now, when, sizeof when);
    printf("role %s, %zu certificate(s), %zu trust anchor(s), clock %s\n", x509_role_name(role), n,
           nr, when);
    static struct x509_cert chain[PKI_MAX_CERTS];
    int bad_parse = -1;
    for (size_t i = 0; i < n; i++) {
        char label[16];
        snprintf(label, sizeof label, i == 0 ? "[0] leaf" : "[%zu] sub", i);
        pki_print(label, &s_chain[i]);
        chain[i] = s_chain[i].cert;
        if (s_chain[i].parsed != X509_OK && bad_parse < 0) {
            bad_parse = (int)i;
        }
    }
    struct x509_verdict v;
    enum x509_reason r;
    if (bad_parse >= 0) {
        r = s_chain[bad_parse].parsed;
        v.reason = r;
        v.index = bad_parse;
        v.root = -1;
        v.expires_soon = false;
    } else {
        static struct linux_crypto lc;
        linux_crypto_init(&lc);
        r = x509_chain_validate(&lc.base, role, chain, n, roots, nr, now, emaid, &v);
        linux_crypto_close(&lc);
    }
    if (v.root >= 0) {
        pki_print("anchor", &s_roots[root_src[v.root]]);
    }
    if (r == X509_OK) {
        char until[40];
        pki_time(chain[0].not_after, until, sizeof until);
        printf("verdict: accepted role=%s iso2=%s (leaf valid until %s%s)\n", x509_role_name(role),
               v.expires_soon ? "OK_CertificateExpiresSoon" : "OK", until,
               v.expires_soon ? ", expires within 21 days" : "");
        return 0;
    }
    char who[512] = "";
    if (v.index >= 0 && (size_t)v.index < n && s_chain[v.index].parsed == X509_OK) {
        x509_name_text(&chain[v.index].subject, who, sizeof who);
    } else if (v.index >= 0 && (size_t)v.index == n) {
        snprintf(who, sizeof who, "the trust anchor");
    }
    printf("verdict: refused reason=%s index=%d iso2=%s: %s%s%s%s\n", x509_reason_name(r), v.index,
           x509_reason_iso2(r), x509_reason_text(r), who[0] != '\0' ? " (certificate " : "", who,
           who[0] != '\0' ? ")" : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        pki_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0) {
        return pki_check(argc - 2, argv + 2);
    }
    fprintf(stderr, "v2g-pki: unknown command '%s' (v2g-pki check ...; see --help)\n", argv[1]);
    return 2;
}
