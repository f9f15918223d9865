/* Unit tests of the host boards' Plug & Charge files (boardlib/board_pnc.c) with real
 * certificates made here by the OpenSSL API for each run: PEM with several certificates,
 * DER, a directory of roots in name order; and every hostile file refused with its reason
 * (garbage, bad base64, a block without END, a truncated DER, too many certificates, a leaf
 * or an RSA certificate given as a root, a missing file); the check that a car's key belongs
 * to its contract leaf (another key, another curve). Host only (OpenSSL): tests/host/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "board_pnc.h"
#include "linux_crypto.h"
#include "tp_pki.h"

struct tp {
    X509 *x;
    EVP_PKEY *key;
};

static long s_serial = 1;
static char s_dir[64];
static struct board_pnc_certs s_set;
static char s_why[320];

/* A P-256 (or @p alg) certificate of the ISO-2 profile; issuer NULL: self-signed. */
static void bp_make(struct tp *c, const struct tp *issuer, const char *cn, bool ca, const char *alg)
{
    c->key = strcmp(alg, "RSA") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen(alg);
    assert_non_null(c->key);
    c->x = X509_new();
    X509 *x = c->x;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), s_serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, c->key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"MO", -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer->x) : n);
    X509 *ix = issuer != NULL ? issuer->x : x;
    tp_ext(x, ix, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    tp_ext(x, ix, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    assert_true(X509_sign(x, issuer != NULL ? issuer->key : c->key, EVP_sha256()) > 0);
}

static struct tp s_root, s_root2, s_sub, s_leaf, s_rsa_root, s_p384_leaf;

static void tp_pem(FILE *f, const struct tp *c)
{
    assert_int_equal(PEM_write_X509(f, c->x), 1);
}

static const char *path(const char *name)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", s_dir, name);
    return p;
}

/* Writes the certificates to NAME as PEM (der: the first one alone as DER). */
static const char *write_certs(const char *name, bool der, const struct tp *a, const struct tp *b)
{
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    if (der) {
        assert_true(i2d_X509_fp(f, a->x) == 1);
    } else {
        tp_pem(f, a);
        if (b != NULL) {
            tp_pem(f, b);
        }
    }
    fclose(f);
    return path(name);
}

static const char *write_text(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path(name);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/test_board_pnc.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    bp_make(&s_root, NULL, "MO Root", true, "P-256");
    bp_make(&s_root2, NULL, "MO Root 2", true, "P-256");
    bp_make(&s_sub, &s_root, "MO Sub-CA", true, "P-256");
    bp_make(&s_leaf, &s_sub, "DEPNC123456789X", false, "P-256");
    bp_make(&s_rsa_root, NULL, "RSA Root", true, "RSA");
    bp_make(&s_p384_leaf, &s_sub, "DEPNC123456789X", false, "P-384");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    struct tp *all[] = {&s_root, &s_root2, &s_sub, &s_leaf, &s_rsa_root, &s_p384_leaf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        X509_free(all[i]->x);
        EVP_PKEY_free(all[i]->key);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_pem_chain_and_der(void **state)
{
    (void)state;
    memset(&s_set, 0, sizeof s_set);
    assert_int_equal(board_pnc_load_file(&s_set, write_certs("chain.pem", false, &s_leaf, &s_sub), s_why, sizeof s_why),
                     HAL_OK);
    assert_int_equal(s_set.n, 2);
    assert_false(s_set.cert[0].ca);
    assert_true(s_set.cert[1].ca);
    struct x509_span cn;
    assert_true(x509_name_cn(&s_set.cert[0].subject, &cn));
    assert_memory_equal(cn.p, "DEPNC123456789X", 15);
    /* a DER file appends one more */
    assert_int_equal(board_pnc_load_file(&s_set, write_certs("root.der", true, &s_root, NULL), s_why, sizeof s_why),
                     HAL_OK);
    assert_int_equal(s_set.n, 3);
    assert_true(s_set.cert[2].ca);
}

static void expect_refused(const char *file, int rc, const char *part)
{
    memset(&s_set, 0, sizeof s_set);
    assert_int_equal(board_pnc_load_file(&s_set, file, s_why, sizeof s_why), rc);
    if (strstr(s_why, part) == NULL) {
        fail_msg("reason '%s' lacks '%s'", s_why, part);
    }
    assert_non_null(strstr(s_why, s_dir)); /* the reason names the file */
}

static void test_hostile_files(void **state)
{
    (void)state;
    expect_refused(write_text("garbage", "hello world\n", 12), HAL_EINVAL, "neither PEM nor DER");
    expect_refused(write_text("empty", "", 0), HAL_EINVAL, "empty file");
    static const char bad64[] = "-----BEGIN CERTIFICATE-----\nMIIB*AAA\n-----END CERTIFICATE-----\n";
    expect_refused(write_text("bad64.pem", bad64, sizeof bad64 - 1u), HAL_EINVAL, "bad base64");
    static const char noend[] = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n";
    expect_refused(write_text("noend.pem", noend, sizeof noend - 1u), HAL_EINVAL, "no END line");
    /* a PEM block whose content is no certificate */
    static const char notcert[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    expect_refused(write_text("notcert.pem", notcert, sizeof notcert - 1u), HAL_EINVAL, "certificate 1");
    /* a DER certificate cut short */
    uint8_t *der = NULL;
    int n = i2d_X509(s_leaf.x, &der);
    assert_true(n > 100);
    expect_refused(write_text("cut.der", der, (size_t)n - 7u), HAL_EINVAL, "certificate 1");
    OPENSSL_free(der);
    /* more certificates than a set holds */
    FILE *f = fopen(path("many.pem"), "wb");
    for (unsigned i = 0; i < BOARD_PNC_CERTS_MAX + 1u; i++) {
        tp_pem(f, &s_root);
    }
    fclose(f);
    expect_refused(path("many.pem"), HAL_ENOMEM, "more than");
    expect_refused(path("missing.pem"), HAL_ENOENT, "No such file");
}

static void test_roots(void **state)
{
    (void)state;
    assert_int_equal(board_pnc_load_roots(&s_set, write_certs("roots.pem", false, &s_root, &s_root2), s_why,
                                          sizeof s_why),
                     HAL_OK);
    assert_int_equal(s_set.n, 2);
    /* a Sub-CA is a CA but not self-issued; a leaf is no CA; an RSA root is not of the profile */
    assert_int_equal(board_pnc_load_roots(&s_set, write_certs("sub.pem", false, &s_sub, NULL), s_why, sizeof s_why),
                     HAL_EINVAL);
    assert_non_null(strstr(s_why, "not a root"));
    assert_int_equal(board_pnc_load_roots(&s_set, write_certs("leaf.pem", false, &s_leaf, NULL), s_why, sizeof s_why),
                     HAL_EINVAL);
    assert_non_null(strstr(s_why, "not a mobility-operator root"));
    assert_int_equal(board_pnc_load_roots(&s_set, write_certs("rsa.pem", false, &s_rsa_root, NULL), s_why,
                                          sizeof s_why),
                     HAL_EINVAL);
    assert_non_null(strstr(s_why, "not a mobility-operator root"));
    /* a directory: its certificate files in name order, other files ignored */
    char d[96];
    snprintf(d, sizeof d, "%s/rootdir", s_dir);
    assert_int_equal(mkdir(d, 0700), 0);
    write_certs("rootdir/b.pem", false, &s_root, NULL);
    write_certs("rootdir/a.der", true, &s_root2, NULL);
    write_text("rootdir/README", "not a certificate", 17);
    assert_int_equal(board_pnc_load_roots(&s_set, d, s_why, sizeof s_why), HAL_OK);
    assert_int_equal(s_set.n, 2);
    struct x509_span cn;
    assert_true(x509_name_cn(&s_set.cert[0].subject, &cn));
    assert_memory_equal(cn.p, "MO Root 2", 9); /* a.der first */
    snprintf(d, sizeof d, "%s/emptydir", s_dir);
    assert_int_equal(mkdir(d, 0700), 0);
    assert_int_equal(board_pnc_load_roots(&s_set, d, s_why, sizeof s_why), HAL_EINVAL);
    assert_non_null(strstr(s_why, "no *.pem"));
    assert_int_equal(board_pnc_load_roots(&s_set, path("nothing-here"), s_why, sizeof s_why), HAL_ENOENT);
}

static uint32_t add_key(struct linux_crypto *c, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    uint32_t h = 0;
    assert_int_equal(linux_crypto_add_key_pem(c, p, (size_t)n, &h), HAL_OK);
    BIO_free(b);
    return h;
}

static void test_key_matches(void **state)
{
    (void)state;
    static struct linux_crypto c;
    linux_crypto_init(&c);
    memset(&s_set, 0, sizeof s_set);
    assert_int_equal(board_pnc_load_file(&s_set, write_certs("k.pem", false, &s_leaf, &s_p384_leaf), s_why,
                                         sizeof s_why),
                     HAL_OK);
    uint32_t good = add_key(&c, s_leaf.key), other = add_key(&c, s_root.key), p384 = add_key(&c, s_p384_leaf.key);
    assert_int_equal(board_pnc_key_matches(&c.base, good, &s_set.cert[0]), HAL_OK);
    assert_int_equal(board_pnc_key_matches(&c.base, other, &s_set.cert[0]), HAL_EINVAL);
    assert_int_equal(board_pnc_key_matches(&c.base, p384, &s_set.cert[0]), HAL_EINVAL);
    /* a P-384 leaf is refused whatever the key */
    assert_int_equal(board_pnc_key_matches(&c.base, p384, &s_set.cert[1]), HAL_EINVAL);
    assert_int_equal(board_pnc_key_matches(&c.base, 99, &s_set.cert[0]), HAL_ENOENT);
    linux_crypto_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_chain_and_der),
        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_key_matches),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
