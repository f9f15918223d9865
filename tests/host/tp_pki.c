/* The test PKI of the host-only ISO-2 tests: see tp_pki.h. */
#include "tp_pki.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Serials unique within the run: a chain's certificates must be told apart. */
static long s_serial = 1;

void tp_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

void tp_make(struct tp_cert *c, const struct tp_cert *issuer, const char *cn, const char *dc, bool ca, long nb,
             long na)
{
    c->key = EVP_EC_gen("P-256");
    assert_non_null(c->key);
    c->x = X509_new();
    X509 *x = c->x;
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), s_serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), nb);
    X509_gmtime_adj(X509_getm_notAfter(x), na);
    assert_int_equal(X509_set_pubkey(x, c->key), 1);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Test PKI", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)dc, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer->x) : n);
    X509 *ix = issuer != NULL ? issuer->x : x;
    tp_ext(x, ix, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    /* a leaf signs (contract, OEM provisioning) and agrees keys (the contract key's ECDH) */
    tp_ext(x, ix, NID_key_usage,
           ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation,keyAgreement");
    tp_ext(x, ix, NID_subject_key_identifier, "hash");
    assert_true(X509_sign(x, issuer != NULL ? issuer->key : c->key, EVP_sha256()) > 0);
    unsigned char *p = c->der;
    int l = i2d_X509(x, NULL);
    assert_true(l > 0 && (size_t)l <= sizeof c->der);
    c->len = (size_t)i2d_X509(x, &p);
    size_t pl = sizeof c->pub;
    assert_int_equal(EVP_PKEY_get_octet_string_param(c->key, "encoded-pub-key", c->pub, sizeof c->pub, &pl), 1);
    assert_int_equal(pl, 65);
}

void tp_free(struct tp_cert *c)
{
    X509_free(c->x);
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof *c);
}

int tp_add_key(struct linux_crypto *port, EVP_PKEY *k, uint32_t *h)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    int rc = linux_crypto_add_key_pem(port, p, (size_t)n, h);
    BIO_free(b);
    return rc;
}
