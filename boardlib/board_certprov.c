/*
 * board_certprov.c - owns the local certificate provider of the host boards: a configured
 * CA that answers the SECC's CertificateInstallation/Update hook (a fresh contract key, the
 * contract leaf issued under the MO Sub-CA, the key encrypted for the car, the four parts
 * signed with the CPS leaf) and both ends of the ISO-2 contract key transport (ECDH P-256,
 * ConcatKDF SHA-256, AES-128-CBC with the IV in front). Host only: OpenSSL does the
 * certificate issuing and the key agreement; the signature goes through the Linux crypto
 * port like every other ISO-2 signature (docs/pnc.md "Installation and update").
 */
#include "board_certprov.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "board_config.h"
#include "hal_err.h"
#include "iso2/iso2_ev.h"
#include "iso2/iso2_sig.h"

/* An EC P-256 key from its public point (and the private scalar when @p priv). */
static EVP_PKEY *s_key_from(const uint8_t pub[65], const uint8_t *priv)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn = priv != NULL ? BN_bin2bn(priv, 32, NULL) : NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    OSSL_PARAM *params = NULL;
    if (bld != NULL && ctx != NULL && (priv == NULL || bn != NULL) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) == 1 &&
        (bn == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) == 1) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &k, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
            k = NULL;
        }
    }
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(bn);
    OSSL_PARAM_BLD_free(bld);
    return k;
}

static int s_pub_of(EVP_PKEY *k, uint8_t pub[65])
{
    size_t n = 0;
    return EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, 65, &n) == 1 && n == 65
               ? HAL_OK
               : HAL_EINVAL;
}

/* The 128-bit key: ConcatKDF (NIST SP 800-56A) with SHA-256 over Z, one round (counter 1),
 * OtherInfo = AlgorithmID 0x01, PartyUInfo 'U', PartyVInfo 'V' (the value the ISO-2
 * implementations use, spec 3.7). */
static int s_kdf(const uint8_t *z, size_t zlen, uint8_t key[16])
{
    uint8_t in[4 + 66 + 3];
    if (zlen > 66) {
        return HAL_EINVAL;
    }
    in[0] = 0;
    in[1] = 0;
    in[2] = 0;
    in[3] = 1;
    memcpy(in + 4, z, zlen);
    in[4 + zlen] = 0x01;
    in[5 + zlen] = 0x55;
    in[6 + zlen] = 0x56;
    uint8_t md[32];
    unsigned mdl = 0;
    if (EVP_Digest(in, 7 + zlen, md, &mdl, EVP_sha256(), NULL) != 1) {
        return HAL_EIO;
    }
    memcpy(key, md, 16);
    OPENSSL_cleanse(md, sizeof md);
    OPENSSL_cleanse(in, sizeof in);
    return HAL_OK;
}

/* ECDH of @p own with @p peer_pub, then the KDF. */
static int s_shared_key(EVP_PKEY *own, const uint8_t peer_pub[65], uint8_t key[16])
{
    EVP_PKEY *peer = s_key_from(peer_pub, NULL);
    EVP_PKEY_CTX *ctx = peer != NULL ? EVP_PKEY_CTX_new(own, NULL) : NULL;
    uint8_t z[66];
    size_t zl = sizeof z;
    int rc = HAL_EINVAL;
    if (ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
        EVP_PKEY_derive(ctx, z, &zl) == 1) {
        rc = s_kdf(z, zl, key);
    }
    OPENSSL_cleanse(z, sizeof z);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    return rc;
}

static int s_aes(bool enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    int ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_128_cbc(), NULL, key, iv, enc ? 1 : 0) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, out, &n1, in, 32) == 1 &&
             EVP_CipherFinal_ex(c, out + n1, &n2) == 1 && n1 + n2 == 32;
    EVP_CIPHER_CTX_free(c);
    return ok ? HAL_OK : HAL_EIO;
}

int board_certprov_encrypt(const uint8_t car_pub[65], const uint8_t priv[32], uint8_t dh_pub[65],
                           uint8_t out[BOARD_CERTPROV_ENC_LEN])
{
    EVP_PKEY *eph = EVP_EC_gen("P-256");
    uint8_t key[16];
    int rc = eph != NULL ? s_pub_of(eph, dh_pub) : HAL_EIO;
    if (rc == HAL_OK) {
        rc = s_shared_key(eph, car_pub, key);
    }
    if (rc == HAL_OK && RAND_bytes(out, 16) != 1) {
        rc = HAL_EIO;
    }
    if (rc == HAL_OK) {
        rc = s_aes(true, key, out, priv, out + 16);
    }
    OPENSSL_cleanse(key, sizeof key);
    EVP_PKEY_free(eph);
    return rc;
}

int board_certprov_decrypt(EVP_PKEY *car_key, const uint8_t dh_pub[65], const uint8_t in[BOARD_CERTPROV_ENC_LEN],
                           const uint8_t leaf_pub[65], uint8_t priv[32])
{
    uint8_t key[16];
    int rc = s_shared_key(car_key, dh_pub, key);
    if (rc == HAL_OK) {
        rc = s_aes(false, key, in, in + 16, priv);
    }
    OPENSSL_cleanse(key, sizeof key);
    if (rc != HAL_OK) {
        return rc;
    }
    /* [V2G2-823]: the decrypted scalar must be the new leaf's key; a wrong key (or a wrong
     * DH partner) gives 32 random bytes, which this pairwise check refuses. */
    EVP_PKEY *k = s_key_from(leaf_pub, priv);
    EVP_PKEY_CTX *ctx = k != NULL ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    rc = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1 ? HAL_OK : HAL_EINVAL;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(k);
    if (rc != HAL_OK) {
        OPENSSL_cleanse(priv, 32);
    }
    return rc;
}

static EVP_PKEY *s_read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    (void)fclose(f);
    return k;
}

static bool s_self_issued(const struct x509_cert *c)
{
    return c->issuer.len == c->subject.len && memcmp(c->issuer.p, c->subject.p, c->subject.len) == 0;
}

int board_certprov_open(struct board_certprov *p, const struct board_certprov_config *cfg, char *why, size_t cap)
{
    memset(p, 0, sizeof *p);
    linux_crypto_init(&p->crypto);
    p->serial = 1000;
    p->validity_days = cfg->validity_days != 0 ? cfg->validity_days : 730u;
    if (cfg->cps_chain == NULL || cfg->cps_key == NULL || cfg->contract_ca_chain == NULL ||
        cfg->contract_ca_key == NULL || cfg->emaid == NULL) {
        (void)snprintf(why, cap, "certificate provider: pnc.cps_chain, pnc.cps_key, pnc.contract_ca_chain, "
                                 "pnc.contract_ca_key and pnc.cert_emaid are all needed");
        return HAL_EINVAL;
    }
    char w2[160];
    if (board_pnc_load_file(&p->cps, cfg->cps_chain, w2, sizeof w2) != HAL_OK) {
        (void)snprintf(why, cap, "pnc.cps_chain: %s", w2);
        return HAL_EINVAL;
    }
    if (board_pnc_load_file(&p->ca, cfg->contract_ca_chain, w2, sizeof w2) != HAL_OK) {
        (void)snprintf(why, cap, "pnc.contract_ca_chain: %s", w2);
        return HAL_EINVAL;
    }
    if (linux_crypto_add_key_file(&p->crypto, cfg->cps_key, &p->cps_key) != HAL_OK ||
        board_pnc_key_matches(&p->crypto.base, p->cps_key, &p->cps.cert[0]) != HAL_OK) {
        (void)snprintf(why, cap, "pnc.cps_key: %s: not a P-256 key of the CPS leaf of %s", cfg->cps_key,
                       cfg->cps_chain);
        return HAL_EINVAL;
    }
    uint8_t pub[65];
    p->ca_key = s_read_key(cfg->contract_ca_key);
    if (p->ca_key == NULL || s_pub_of(p->ca_key, pub) != HAL_OK || p->ca.cert[0].pub.len != 65 ||
        memcmp(pub, p->ca.cert[0].pub.p, 65) != 0) {
        (void)snprintf(why, cap, "pnc.contract_ca_key: %s: not the P-256 key of the first certificate of %s",
                       cfg->contract_ca_key, cfg->contract_ca_chain);
        return HAL_EINVAL;
    }
    char norm[40];
    if (x509_emaid_normalise((const uint8_t *)cfg->emaid, strlen(cfg->emaid), norm, sizeof norm) == 0 ||
        strlen(cfg->emaid) > CFG_EXI_ISO2_EMAIDTYPE_CONTENT_LEN) {
        (void)snprintf(why, cap, "pnc.cert_emaid: \"%s\" is not an eMAID (ISO 15118-2 Annex H)", cfg->emaid);
        return HAL_EINVAL;
    }
    (void)snprintf(p->emaid, sizeof p->emaid, "%s", cfg->emaid);
    return HAL_OK;
}

void board_certprov_close(struct board_certprov *p)
{
    EVP_PKEY_free(p->ca_key);
    p->ca_key = NULL;
    linux_crypto_close(&p->crypto);
}

static void s_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
    if (e != NULL) {
        (void)X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
}

/* The contract leaf for @p emaid and @p key under the issuing Sub-CA (the profile of the
 * test PKI's contract leaf: v3, P-256, ecdsa-with-SHA256, DC=MO, CN=eMAID). */
static int s_issue(struct board_certprov *p, EVP_PKEY *key, const char *emaid, uint8_t *der, uint16_t *len,
                   size_t cap)
{
    const uint8_t *q = p->ca.der[0];
    X509 *ca = d2i_X509(NULL, &q, (long)p->ca.len[0]);
    X509 *x = X509_new();
    int rc = HAL_EIO;
    if (ca != NULL && x != NULL) {
        (void)X509_set_version(x, 2);
        (void)ASN1_INTEGER_set(X509_get_serialNumber(x), p->serial++);
        (void)X509_gmtime_adj(X509_getm_notBefore(x), -60);
        (void)X509_gmtime_adj(X509_getm_notAfter(x), (long)p->validity_days * 86400L);
        (void)X509_set_pubkey(x, key);
        X509_NAME *n = X509_get_subject_name(x);
        (void)X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)emaid, -1, -1, 0);
        (void)X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Lab MO", -1, -1, 0);
        (void)X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"MO", -1, -1, 0);
        (void)X509_set_issuer_name(x, X509_get_subject_name(ca));
        s_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
        s_ext(x, ca, NID_key_usage, "critical,digitalSignature,nonRepudiation,keyEncipherment,keyAgreement");
        s_ext(x, ca, NID_subject_key_identifier, "hash");
        s_ext(x, ca, NID_authority_key_identifier, "keyid");
        int l = X509_sign(x, p->ca_key, EVP_sha256()) > 0 ? i2d_X509(x, NULL) : -1;
        if (l > 0 && (size_t)l <= cap) {
            unsigned char *o = der;
            *len = (uint16_t)i2d_X509(x, &o);
            rc = HAL_OK;
        } else if (l > 0) {
            rc = HAL_EOVERFLOW;
        }
    }
    X509_free(x);
    X509_free(ca);
    return rc;
}

/* A chain element: @p set's first certificate and the Sub-CAs after it (roots left out). */
static void s_put_chain(struct exi_iso2_CertificateChainType *c, const struct board_pnc_certs *set, size_t from)
{
    uint16_t ns = 0;
    for (size_t i = from; i < set->n && ns < CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX; i++) {
        if (s_self_issued(&set->cert[i]) || set->len[i] > CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_LEN) {
            continue;
        }
        memcpy(c->SubCertificates.Certificate.array[ns].bytes, set->der[i], set->len[i]);
        c->SubCertificates.Certificate.array[ns].bytesLen = (uint16_t)set->len[i];
        ns++;
    }
    c->SubCertificates.Certificate.arrayLen = ns;
    c->SubCertificates_isUsed = ns > 0;
}

static void s_id(uint16_t *len, char *dst, const char *id)
{
    *len = (uint16_t)strlen(id);
    memcpy(dst, id, *len);
}

int board_certprov_answer(void *ctx, const struct iso2_evse_cert_req *q, struct exi_iso2_document *res, char *why,
                          size_t cap)
{
    struct board_certprov *p = ctx;
    const char *emaid = q->update ? q->emaid : p->emaid;
    /* Both response types begin with the same five parts; an update adds RetryCounter. */
    struct exi_iso2_BodyType *b = &res->V2G_Message.Body;
    struct exi_iso2_CertificateChainType *sa, *cc;
    struct exi_iso2_ContractSignatureEncryptedPrivateKeyType *ek;
    struct exi_iso2_DiffieHellmanPublickeyType *dh;
    struct exi_iso2_EMAIDType *em;
    if (q->update) {
        memset(&b->CertificateUpdateRes, 0, sizeof b->CertificateUpdateRes);
        sa = &b->CertificateUpdateRes.SAProvisioningCertificateChain;
        cc = &b->CertificateUpdateRes.ContractSignatureCertChain;
        ek = &b->CertificateUpdateRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateUpdateRes.DHpublickey;
        em = &b->CertificateUpdateRes.eMAID;
        b->CertificateUpdateRes_isUsed = true;
    } else {
        memset(&b->CertificateInstallationRes, 0, sizeof b->CertificateInstallationRes);
        sa = &b->CertificateInstallationRes.SAProvisioningCertificateChain;
        cc = &b->CertificateInstallationRes.ContractSignatureCertChain;
        ek = &b->CertificateInstallationRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateInstallationRes.DHpublickey;
        em = &b->CertificateInstallationRes.eMAID;
        b->CertificateInstallationRes_isUsed = true;
    }
    if (strlen(emaid) > sizeof em->CONTENT.characters || p->cps.len[0] > sizeof sa->Certificate.bytes) {
        (void)snprintf(why, cap, "eMAID or CPS leaf too long for the message");
        return HAL_EOVERFLOW;
    }
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIGNUM *bn = NULL;
    uint8_t priv[32];
    int rc = k != NULL && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 &&
                     BN_bn2binpad(bn, priv, 32) == 32
                 ? HAL_OK
                 : HAL_EIO;
    if (rc == HAL_OK) {
        rc = s_issue(p, k, emaid, cc->Certificate.bytes, &cc->Certificate.bytesLen, sizeof cc->Certificate.bytes);
    }
    if (rc != HAL_OK) {
        (void)snprintf(why, cap, "cannot issue the contract certificate of %s", emaid);
    } else if (board_certprov_encrypt(q->car_pub, priv, dh->CONTENT.bytes, ek->CONTENT.bytes) != HAL_OK) {
        (void)snprintf(why, cap, "the car's key is not a P-256 point: cannot encrypt for it");
        rc = HAL_EINVAL;
    }
    OPENSSL_cleanse(priv, sizeof priv);
    BN_clear_free(bn);
    EVP_PKEY_free(k);
    if (rc != HAL_OK) {
        return rc;
    }
    memcpy(sa->Certificate.bytes, p->cps.der[0], p->cps.len[0]);
    sa->Certificate.bytesLen = (uint16_t)p->cps.len[0];
    s_put_chain(sa, &p->cps, 1);
    s_put_chain(cc, &p->ca, 0);
    s_id(&cc->Id.charactersLen, cc->Id.characters, "id1");
    cc->Id_isUsed = true;
    ek->CONTENT.bytesLen = BOARD_CERTPROV_ENC_LEN;
    s_id(&ek->Id.charactersLen, ek->Id.characters, "id2");
    dh->CONTENT.bytesLen = 65;
    s_id(&dh->Id.charactersLen, dh->Id.characters, "id3");
    s_id(&em->Id.charactersLen, em->Id.characters, "id4");
    s_id(&em->CONTENT.charactersLen, em->CONTENT.characters, emaid);
    const char *ids[] = {"id1", "id2", "id3", "id4"};
    enum iso2_sig_error e = ISO2_SIG_OK;
    rc = iso2_sig_sign(&p->crypto.base, p->cps_key, &res->V2G_Message.Header, b, ids, 4, p->buf, sizeof p->buf, &e);
    if (rc != HAL_OK) {
        (void)snprintf(why, cap, "signing with the CPS key: %s", iso2_sig_error_str(e));
        return rc;
    }
    p->answered++;
    return HAL_OK;
}

int board_certprov_setup(struct board_certprov_setup *s, const struct board_config *cfg, struct iso2_evse_pnc *pnc,
                         char *why, size_t cap)
{
    memset(s, 0, sizeof *s);
    why[0] = '\0';
    if (cfg->pnc_cert_provider[0] == '\0') {
        if (cfg->pnc_oem_chain[0] != '\0') {
            (void)snprintf(why, cap, "pnc.oem_chain is set but pnc.cert_provider is not: no installation offered");
        }
        return HAL_OK;
    }
    if (strcmp(cfg->pnc_cert_provider, "ca") != 0) {
        (void)snprintf(why, cap, "pnc.cert_provider: \"%s\" is not a provider (ca)", cfg->pnc_cert_provider);
        return HAL_EINVAL;
    }
    char w2[200];
    if (cfg->pnc_oem_chain[0] != '\0') {
        if (board_pnc_load_file(&s->oem, cfg->pnc_oem_chain, w2, sizeof w2) != HAL_OK) {
            (void)snprintf(why, cap, "pnc.oem_chain: %s", w2);
            return HAL_EINVAL;
        }
        size_t ns = 0, nr = 0;
        for (size_t i = 0; i < s->oem.n; i++) {
            if (s_self_issued(&s->oem.cert[i])) {
                s->oem_roots[nr++] = s->oem.cert[i];
            } else {
                s->oem_subs[ns++] = s->oem.cert[i];
            }
        }
        if (nr == 0) {
            (void)snprintf(why, cap, "pnc.oem_chain: %s holds no OEM root (a self-issued CA)", cfg->pnc_oem_chain);
            return HAL_EINVAL;
        }
        pnc->oem_subs = s->oem_subs;
        pnc->n_oem_subs = ns;
        pnc->oem_roots = s->oem_roots;
        pnc->n_oem_roots = nr;
    }
    struct board_certprov_config pc = {.cps_chain = cfg->pnc_cps_chain[0] != '\0' ? cfg->pnc_cps_chain : NULL,
                                       .cps_key = cfg->pnc_cps_key[0] != '\0' ? cfg->pnc_cps_key : NULL,
                                       .contract_ca_chain = cfg->pnc_contract_ca_chain[0] != '\0'
                                                                ? cfg->pnc_contract_ca_chain
                                                                : NULL,
                                       .contract_ca_key = cfg->pnc_contract_ca_key[0] != '\0'
                                                              ? cfg->pnc_contract_ca_key
                                                              : NULL,
                                       .emaid = cfg->pnc_cert_emaid[0] != '\0' ? cfg->pnc_cert_emaid : NULL};
    if (board_certprov_open(&s->prov, &pc, why, cap) != HAL_OK) {
        board_certprov_close(&s->prov);
        pnc->oem_roots = NULL;
        pnc->n_oem_roots = 0;
        return HAL_EINVAL;
    }
    s->have_prov = true;
    pnc->cert_provider = board_certprov_answer;
    pnc->cert_ctx = &s->prov;
    iso2_evse_cert_init(pnc);
    (void)snprintf(why, cap,
                   "pnc: certificate installation/update offered: local CA provider, eMAID %s, OEM chain %s",
                   s->prov.emaid, pnc->n_oem_roots > 0 ? "checked against pnc.oem_chain" : "left to the provider");
    return HAL_OK;
}

int board_certprov_car_open(struct board_certprov_car *c, struct linux_crypto *crypto, const char *car_key_path,
                            const char *out_dir, char *why, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->crypto = crypto;
    c->out_dir = out_dir;
    c->car_key = s_read_key(car_key_path);
    uint8_t pub[65];
    if (c->car_key == NULL || s_pub_of(c->car_key, pub) != HAL_OK) {
        (void)snprintf(why, cap, "%s: not a PEM P-256 private key", car_key_path);
        return HAL_EINVAL;
    }
    return HAL_OK;
}

void board_certprov_car_close(struct board_certprov_car *c)
{
    EVP_PKEY_free(c->car_key);
    c->car_key = NULL;
}

/* chain.pem (leaf first) and key.pem of the new contract into c->out_dir. */
static int s_store(struct board_certprov_car *c, EVP_PKEY *k)
{
    char path[600];
    (void)snprintf(path, sizeof path, "%s/chain.pem", c->out_dir);
    FILE *f = fopen(path, "w");
    int ok = f != NULL;
    for (size_t i = 0; ok && i < c->car.chain.n; i++) {
        const uint8_t *q = c->car.chain.der[i];
        X509 *x = d2i_X509(NULL, &q, (long)c->car.chain.len[i]);
        ok = x != NULL && PEM_write_X509(f, x) == 1;
        X509_free(x);
    }
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    (void)snprintf(path, sizeof path, "%s/key.pem", c->out_dir);
    f = ok ? fopen(path, "w") : NULL;
    ok = f != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    return ok ? HAL_OK : HAL_EIO;
}

int board_certprov_car_take(void *ctx, bool update, const struct exi_iso2_CertificateChainType *chain,
                            const uint8_t *enc, size_t enc_len, const uint8_t *dh, size_t dh_len, const char *emaid,
                            const struct iso2_ev_contract **contract, const char **why)
{
    struct board_certprov_car *c = ctx;
    memset(&c->car.chain, 0, sizeof c->car.chain);
    char w2[160];
    *why = c->why;
    if (enc_len != BOARD_CERTPROV_ENC_LEN || dh_len != 65) {
        (void)snprintf(c->why, sizeof c->why, "encrypted key of %zu bytes or DH key of %zu: not the ISO-2 form",
                       enc_len, dh_len);
        return HAL_EINVAL;
    }
    if (board_pnc_parse(&c->car.chain, chain->Certificate.bytes, chain->Certificate.bytesLen, "new contract", w2,
                        sizeof w2) != HAL_OK) {
        (void)snprintf(c->why, sizeof c->why, "%s", w2);
        return HAL_EINVAL;
    }
    uint16_t ns = chain->SubCertificates_isUsed ? chain->SubCertificates.Certificate.arrayLen : 0u;
    for (uint16_t i = 0; i < ns; i++) {
        if (board_pnc_parse(&c->car.chain, chain->SubCertificates.Certificate.array[i].bytes,
                            chain->SubCertificates.Certificate.array[i].bytesLen, "new contract Sub-CA", w2,
                            sizeof w2) != HAL_OK) {
            (void)snprintf(c->why, sizeof c->why, "%s", w2);
            return HAL_EINVAL;
        }
    }
    const struct x509_cert *leaf = &c->car.chain.cert[0];
    uint8_t priv[32];
    if (leaf->pub.len != 65 || board_certprov_decrypt(c->car_key, dh, enc, leaf->pub.p, priv) != HAL_OK) {
        (void)snprintf(c->why, sizeof c->why, "the decrypted key does not fit the new contract certificate "
                                              "(encrypted for another key?)");
        return HAL_EINVAL;
    }
    EVP_PKEY *k = s_key_from(leaf->pub.p, priv);
    OPENSSL_cleanse(priv, sizeof priv);
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pl = 0;
    uint32_t h = 0;
    int rc = k != NULL && b != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 &&
                     (pl = BIO_get_mem_data(b, &pem)) > 0 &&
                     linux_crypto_add_key_pem(c->crypto, pem, (size_t)pl, &h) == HAL_OK
                 ? HAL_OK
                 : HAL_EIO;
    BIO_free(b);
    if (rc != HAL_OK) {
        EVP_PKEY_free(k);
        (void)snprintf(c->why, sizeof c->why, "the crypto port cannot take the new contract key");
        return rc;
    }
    const uint8_t *subs[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    size_t sub_len[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    uint8_t n = 0;
    for (size_t i = 1; i < c->car.chain.n && n < CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX; i++) {
        subs[n] = c->car.chain.der[i];
        sub_len[n++] = c->car.chain.len[i];
    }
    rc = iso2_ev_contract_init(&c->car.contract, &c->crypto->base, h, c->car.chain.der[0], c->car.chain.len[0],
                               subs, sub_len, n, emaid, c->car.buf, sizeof c->car.buf);
    if (rc == HAL_OK && c->out_dir != NULL && s_store(c, k) != HAL_OK) {
        (void)snprintf(c->why, sizeof c->why, "cannot write the new contract into %s", c->out_dir);
        rc = HAL_EIO;
    } else if (rc != HAL_OK) {
        (void)snprintf(c->why, sizeof c->why, "the new contract does not fit the car's messages");
    }
    EVP_PKEY_free(k);
    if (rc != HAL_OK) {
        return rc;
    }
    (void)snprintf(c->line, sizeof c->line, "car: contract %s %s: key decrypted and fits its certificate%s%s", emaid,
                   update ? "updated" : "installed", c->out_dir != NULL ? ", stored in " : "",
                   c->out_dir != NULL ? c->out_dir : "");
    *contract = &c->car.contract;
    return HAL_OK;
}
