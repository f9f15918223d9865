/* The test PKI of the host-only ISO-2 tests (test_iso2_evse_pnc, test_iso2_receipt,
 * test_iso2_evse_cert; test_board_pnc uses tp_ext): certificates of the ISO-2 profile made for
 * each run with the OpenSSL API (nothing private is committed), their keys handed to the Linux
 * crypto port.
 * Host only (OpenSSL): linked into those tests by protocols/iso2/iso2_sig.mk, iso2_cert.mk and
 * tests/integration/pki.mk. */
#ifndef TP_PKI_H
#define TP_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "linux_crypto.h"

/** One made certificate: OpenSSL's objects, its DER and its public key 04||X||Y. */
struct tp_cert {
    X509 *x;
    EVP_PKEY *key;
    uint8_t der[1200];
    size_t len;
    uint8_t pub[65];
};

/** Adds extension @p nid = @p val (OpenSSL's config syntax) to @p x, issued by @p issuer. */
void tp_ext(X509 *x, X509 *issuer, int nid, const char *val);

/**
 * A certificate of the ISO-2 profile (P-256, ecdsa-with-SHA256, v3, the CA or leaf extensions),
 * subject CN @p cn, DC @p dc, valid from now + @p nb to now + @p na seconds; @p issuer NULL:
 * self-signed. Fails the running test on any OpenSSL error.
 */
void tp_make(struct tp_cert *c, const struct tp_cert *issuer, const char *cn, const char *dc, bool ca, long nb,
             long na);

/** Frees what tp_make() made and clears @p c. */
void tp_free(struct tp_cert *c);

/** Adds private key @p k to @p port (as PEM); its handle into @p h. */
int tp_add_key(struct linux_crypto *port, EVP_PKEY *k, uint32_t *h);

#endif
