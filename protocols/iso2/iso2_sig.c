/* iso2_sig.c - owns ISO 15118-2 XML signatures: which body element an Id names, the
 * fragment digests of References, SignedInfo's digest, verifying a received Signature and
 * making one through the crypto HAL. The fragment encoders themselves are generated
 * (exi_iso2_encode_fragment_*, tools/exigen/fragment.py); the rules are those of
 * ../shared/spec/iso15118-2-session.md 3.4. */
#include "iso2/iso2_sig.h"

#include <string.h>

#include "sha256/sha256.h"

const char *iso2_sig_error_str(enum iso2_sig_error e)
{
    switch (e) {
    case ISO2_SIG_OK:
        return "ok";
    case ISO2_SIG_E_NO_SIGNATURE:
        return "no Signature in the header";
    case ISO2_SIG_E_ALGORITHM:
        return "algorithm is not the one ISO 15118-2 names";
    case ISO2_SIG_E_NO_REFERENCE:
        return "no Reference covers the element that must be signed";
    case ISO2_SIG_E_URI:
        return "Reference URI is not #Id";
    case ISO2_SIG_E_TARGET:
        return "Reference names no signable element of this message";
    case ISO2_SIG_E_DIGEST_LEN:
        return "DigestValue is not 32 bytes";
    case ISO2_SIG_E_DIGEST:
        return "DigestValue differs from the digest of the element";
    case ISO2_SIG_E_VALUE_LEN:
        return "SignatureValue is not 64 bytes r||s";
    case ISO2_SIG_E_KEY:
        return "signer key is not an uncompressed P-256 point";
    case ISO2_SIG_E_SIGNATURE:
        return "signature does not verify with the signer's key";
    case ISO2_SIG_E_ENCODE:
        return "element does not encode (capacity or buffer)";
    case ISO2_SIG_E_NOTSUP:
        return "crypto port cannot sign";
    case ISO2_SIG_E_CRYPTO:
        return "crypto port failed";
    }
    return "unknown";
}

static bool id_is(const char *have, uint16_t have_len, const char *id, size_t id_len)
{
    return have_len == id_len && memcmp(have, id, id_len) == 0;
}

/* The four signed parts of CertificateInstallationRes and CertificateUpdateRes. */
struct cert_res_parts {
    const struct exi_iso2_CertificateChainType *chain;
    const struct exi_iso2_ContractSignatureEncryptedPrivateKeyType *key;
    const struct exi_iso2_DiffieHellmanPublickeyType *dh;
    const struct exi_iso2_EMAIDType *emaid;
};

static bool cert_res_parts(const struct exi_iso2_BodyType *b, struct cert_res_parts *p)
{
    if (b->CertificateInstallationRes_isUsed) {
        const struct exi_iso2_CertificateInstallationResType *r = &b->CertificateInstallationRes;
        *p = (struct cert_res_parts){&r->ContractSignatureCertChain,
                                     &r->ContractSignatureEncryptedPrivateKey, &r->DHpublickey,
                                     &r->eMAID};
        return true;
    }
    if (b->CertificateUpdateRes_isUsed) {
        const struct exi_iso2_CertificateUpdateResType *r = &b->CertificateUpdateRes;
        *p = (struct cert_res_parts){&r->ContractSignatureCertChain,
                                     &r->ContractSignatureEncryptedPrivateKey, &r->DHpublickey,
                                     &r->eMAID};
        return true;
    }
    return false;
}

/* Encode the element the Id names; HAL_ENOENT when none does (nothing written then). */
static int encode_by_id(const struct exi_iso2_BodyType *b, const char *id, size_t n,
                        struct exi_writer *w)
{
    if (b->AuthorizationReq_isUsed && b->AuthorizationReq.Id_isUsed &&
        id_is(b->AuthorizationReq.Id.characters, b->AuthorizationReq.Id.charactersLen, id, n)) {
        return exi_iso2_encode_fragment_AuthorizationReq(w, &b->AuthorizationReq);
    }
    if (b->MeteringReceiptReq_isUsed && b->MeteringReceiptReq.Id_isUsed &&
        id_is(b->MeteringReceiptReq.Id.characters, b->MeteringReceiptReq.Id.charactersLen, id, n)) {
        return exi_iso2_encode_fragment_MeteringReceiptReq(w, &b->MeteringReceiptReq);
    }
    if (b->CertificateInstallationReq_isUsed &&
        id_is(b->CertificateInstallationReq.Id.characters,
              b->CertificateInstallationReq.Id.charactersLen, id, n)) {
        return exi_iso2_encode_fragment_CertificateInstallationReq(w, &b->CertificateInstallationReq);
    }
    if (b->CertificateUpdateReq_isUsed &&
        id_is(b->CertificateUpdateReq.Id.characters, b->CertificateUpdateReq.Id.charactersLen, id,
              n)) {
        return exi_iso2_encode_fragment_CertificateUpdateReq(w, &b->CertificateUpdateReq);
    }
    struct cert_res_parts p;
    if (cert_res_parts(b, &p)) {
        if (p.chain->Id_isUsed && id_is(p.chain->Id.characters, p.chain->Id.charactersLen, id, n)) {
            return exi_iso2_encode_fragment_ContractSignatureCertChain(w, p.chain);
        }
        if (id_is(p.key->Id.characters, p.key->Id.charactersLen, id, n)) {
            return exi_iso2_encode_fragment_ContractSignatureEncryptedPrivateKey(w, p.key);
        }
        if (id_is(p.dh->Id.characters, p.dh->Id.charactersLen, id, n)) {
            return exi_iso2_encode_fragment_DHpublickey(w, p.dh);
        }
        if (id_is(p.emaid->Id.characters, p.emaid->Id.charactersLen, id, n)) {
            return exi_iso2_encode_fragment_eMAID(w, p.emaid);
        }
    }
    if (b->ChargeParameterDiscoveryRes_isUsed && b->ChargeParameterDiscoveryRes.SAScheduleList_isUsed) {
        const struct exi_iso2_SAScheduleListType *l = &b->ChargeParameterDiscoveryRes.SAScheduleList;
        for (uint16_t i = 0; i < l->SAScheduleTuple.arrayLen &&
                             i < CFG_EXI_ISO2_SASCHEDULELISTTYPE_SASCHEDULETUPLE_MAX; i++) {
            const struct exi_iso2_SAScheduleTupleType *t = &l->SAScheduleTuple.array[i];
            if (t->SalesTariff_isUsed && t->SalesTariff.Id_isUsed &&
                id_is(t->SalesTariff.Id.characters, t->SalesTariff.Id.charactersLen, id, n)) {
                return exi_iso2_encode_fragment_SalesTariff(w, &t->SalesTariff);
            }
        }
    }
    return HAL_ENOENT;
}

int iso2_sig_fragment(const struct exi_iso2_BodyType *body, const char *id, size_t id_len,
                      uint8_t *buf, size_t cap, size_t *len)
{
    if (body == NULL || id == NULL || id_len == 0 || buf == NULL || len == NULL) {
        return HAL_EINVAL;
    }
    struct exi_writer w;
    exi_writer_init(&w, buf, cap);
    int rc = encode_by_id(body, id, id_len, &w);
    *len = rc == HAL_OK ? exi_writer_len(&w) : 0;
    return rc;
}

int iso2_sig_digest(const struct exi_iso2_BodyType *body, const char *id, size_t id_len,
                    uint8_t *buf, size_t cap, uint8_t digest[ISO2_SIG_DIGEST_LEN])
{
    size_t len = 0;
    int rc = iso2_sig_fragment(body, id, id_len, buf, cap, &len);
    if (rc == HAL_OK) {
        sha256_digest(buf, len, digest);
    }
    return rc;
}

int iso2_sig_signedinfo_digest(const struct exi_iso2_SignedInfoType *si, uint8_t *buf,
                               size_t cap, uint8_t digest[ISO2_SIG_DIGEST_LEN])
{
    if (si == NULL || buf == NULL) {
        return HAL_EINVAL;
    }
    struct exi_writer w;
    exi_writer_init(&w, buf, cap);
    int rc = exi_iso2_encode_fragment_SignedInfo(&w, si);
    if (rc == HAL_OK) {
        sha256_digest(buf, exi_writer_len(&w), digest);
    }
    return rc;
}

int iso2_sig_required(const struct exi_iso2_BodyType *body, const char *ids[ISO2_SIG_REFS_MAX],
                      size_t lens[ISO2_SIG_REFS_MAX])
{
    const struct exi_iso2_BodyType *b = body;
    if (b->AuthorizationReq_isUsed) {
        /* The first AuthorizationReq of PnC carries Id and GenChallenge; a later (Ongoing)
         * one is empty and needs no signature ([V2G2-684] as the spec sheet 1.2 cites). */
        if (!b->AuthorizationReq.GenChallenge_isUsed && !b->AuthorizationReq.Id_isUsed) {
            return 0;
        }
        if (!b->AuthorizationReq.Id_isUsed) {
            return HAL_EINVAL;
        }
        ids[0] = b->AuthorizationReq.Id.characters;
        lens[0] = b->AuthorizationReq.Id.charactersLen;
        return 1;
    }
    if (b->MeteringReceiptReq_isUsed) {
        if (!b->MeteringReceiptReq.Id_isUsed) {
            return HAL_EINVAL;
        }
        ids[0] = b->MeteringReceiptReq.Id.characters;
        lens[0] = b->MeteringReceiptReq.Id.charactersLen;
        return 1;
    }
    if (b->CertificateInstallationReq_isUsed) {
        ids[0] = b->CertificateInstallationReq.Id.characters;
        lens[0] = b->CertificateInstallationReq.Id.charactersLen;
        return 1;
    }
    if (b->CertificateUpdateReq_isUsed) {
        ids[0] = b->CertificateUpdateReq.Id.characters;
        lens[0] = b->CertificateUpdateReq.Id.charactersLen;
        return 1;
    }
    struct cert_res_parts p;
    if (cert_res_parts(b, &p)) {
        if (!p.chain->Id_isUsed) {
            return HAL_EINVAL;
        }
        ids[0] = p.chain->Id.characters;
        lens[0] = p.chain->Id.charactersLen;
        ids[1] = p.key->Id.characters;
        lens[1] = p.key->Id.charactersLen;
        ids[2] = p.dh->Id.characters;
        lens[2] = p.dh->Id.charactersLen;
        ids[3] = p.emaid->Id.characters;
        lens[3] = p.emaid->Id.charactersLen;
        return 4;
    }
    return 0;
}

static bool str_is(const char *have, uint16_t have_len, const char *want)
{
    size_t n = strlen(want);
    return have_len == n && memcmp(have, want, n) == 0;
}

static void str_set(char *dst, uint16_t *dst_len, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst, src, n);
    *dst_len = (uint16_t)n;
}

static bool reference_algorithms_ok(const struct exi_iso2_ReferenceType *r)
{
    if (!str_is(r->DigestMethod.Algorithm.characters, r->DigestMethod.Algorithm.charactersLen,
                ISO2_SIG_ALG_SHA256)) {
        return false;
    }
    if (!r->Transforms_isUsed || r->Transforms.Transform.arrayLen != 1u) {
        return false;
    }
    const struct exi_iso2_TransformType *t = &r->Transforms.Transform.array[0];
    return str_is(t->Algorithm.characters, t->Algorithm.charactersLen, ISO2_SIG_ALG_C14N);
}

/* [V2G2-771]: what a V2G signature leaves out; cleared before SignedInfo is re-encoded. */
static void drop_unused(struct exi_iso2_SignedInfoType *si)
{
    si->Id_isUsed = false;
    si->SignatureMethod.HMACOutputLength_isUsed = false;
    for (uint16_t i = 0; i < si->Reference.arrayLen && i < ISO2_SIG_REFS_MAX; i++) {
        struct exi_iso2_ReferenceType *r = &si->Reference.array[i];
        r->Id_isUsed = false;
        r->Type_isUsed = false;
        for (uint16_t k = 0; k < r->Transforms.Transform.arrayLen &&
                             k < CFG_EXI_ISO2_TRANSFORMSTYPE_TRANSFORM_MAX; k++) {
            r->Transforms.Transform.array[k].XPath.arrayLen = 0;
        }
    }
}

static int fail(struct iso2_sig_check *c, enum iso2_sig_error e, int ref, int rc)
{
    c->error = e;
    c->ref = ref;
    return rc;
}

enum iso2_sig_error iso2_sig_verify_value(struct hal_crypto *crypto, const uint8_t *pub,
                                          size_t pub_len, const struct exi_iso2_SignedInfoType *si,
                                          const uint8_t *value, size_t value_len, uint8_t *buf,
                                          size_t cap)
{
    if (value == NULL || value_len != ISO2_SIG_VALUE_LEN) {
        return ISO2_SIG_E_VALUE_LEN;
    }
    if (pub == NULL || pub_len != ISO2_SIG_PUB_LEN || pub[0] != 0x04) {
        return ISO2_SIG_E_KEY;
    }
    uint8_t d[ISO2_SIG_DIGEST_LEN];
    if (iso2_sig_signedinfo_digest(si, buf, cap, d) != HAL_OK) {
        return ISO2_SIG_E_ENCODE;
    }
    /* the digest goes to ECDSA as it is: ECDSA-SHA256 hashes once, and this is that hash */
    switch (hal_crypto_ecdsa_verify(crypto, HAL_CRYPTO_SECP256R1, pub, pub_len, d, sizeof d, value,
                                    value_len)) {
    case HAL_OK:
        return ISO2_SIG_OK;
    case HAL_EPROTO:
        return ISO2_SIG_E_SIGNATURE;
    case HAL_EINVAL:
        return ISO2_SIG_E_KEY;
    default:
        return ISO2_SIG_E_CRYPTO;
    }
}

int iso2_sig_verify(struct iso2_sig_check *c, struct exi_iso2_MessageHeaderType *hdr,
                    const struct exi_iso2_BodyType *body)
{
    c->error = ISO2_SIG_OK;
    c->ref = -1;
    c->digests_equal = 0;
    if (hdr == NULL || body == NULL || !hdr->Signature_isUsed) {
        return fail(c, ISO2_SIG_E_NO_SIGNATURE, -1, HAL_EPROTO);
    }
    struct exi_iso2_SignedInfoType *si = &hdr->Signature.SignedInfo;
    if (!str_is(si->CanonicalizationMethod.Algorithm.characters,
                si->CanonicalizationMethod.Algorithm.charactersLen, ISO2_SIG_ALG_C14N) ||
        !str_is(si->SignatureMethod.Algorithm.characters,
                si->SignatureMethod.Algorithm.charactersLen, ISO2_SIG_ALG_ECDSA)) {
        return fail(c, ISO2_SIG_E_ALGORITHM, -1, HAL_EPROTO);
    }
    uint16_t nref = si->Reference.arrayLen;
    if (nref == 0 || nref > ISO2_SIG_REFS_MAX) {
        return fail(c, ISO2_SIG_E_NO_REFERENCE, -1, HAL_EPROTO);
    }
    /* Every element this message must have signed is covered (a signature over another
     * element, even a valid one, does not sign this request). */
    const char *req[ISO2_SIG_REFS_MAX];
    size_t req_len[ISO2_SIG_REFS_MAX];
    int nreq = iso2_sig_required(body, req, req_len);
    if (nreq < 0) {
        return fail(c, ISO2_SIG_E_NO_REFERENCE, -1, HAL_EPROTO);
    }
    for (int k = 0; k < nreq; k++) {
        bool covered = false;
        for (uint16_t i = 0; i < nref; i++) {
            const struct exi_iso2_ReferenceType *r = &si->Reference.array[i];
            if (r->URI_isUsed && r->URI.charactersLen == req_len[k] + 1u &&
                r->URI.characters[0] == '#' &&
                memcmp(r->URI.characters + 1, req[k], req_len[k]) == 0) {
                covered = true;
            }
        }
        if (!covered) {
            return fail(c, ISO2_SIG_E_NO_REFERENCE, -1, HAL_EPROTO);
        }
    }
    for (uint16_t i = 0; i < nref; i++) {
        const struct exi_iso2_ReferenceType *r = &si->Reference.array[i];
        if (!reference_algorithms_ok(r)) {
            return fail(c, ISO2_SIG_E_ALGORITHM, i, HAL_EPROTO);
        }
        if (!r->URI_isUsed || r->URI.charactersLen < 2u || r->URI.characters[0] != '#') {
            return fail(c, ISO2_SIG_E_URI, i, HAL_EPROTO);
        }
        if (r->DigestValue.bytesLen != ISO2_SIG_DIGEST_LEN) {
            return fail(c, ISO2_SIG_E_DIGEST_LEN, i, HAL_EPROTO);
        }
        uint8_t d[ISO2_SIG_DIGEST_LEN];
        int rc = iso2_sig_digest(body, r->URI.characters + 1, r->URI.charactersLen - 1u, c->buf,
                                 c->cap, d);
        if (rc == HAL_ENOENT) {
            return fail(c, ISO2_SIG_E_TARGET, i, HAL_EPROTO);
        }
        if (rc != HAL_OK) {
            return fail(c, ISO2_SIG_E_ENCODE, i, rc);
        }
        if (memcmp(d, r->DigestValue.bytes, ISO2_SIG_DIGEST_LEN) != 0) {
            return fail(c, ISO2_SIG_E_DIGEST, i, HAL_EPROTO);
        }
        c->digests_equal++;
    }
    drop_unused(si);
    enum iso2_sig_error e = iso2_sig_verify_value(c->crypto, c->pub, c->pub_len, si,
                                                  hdr->Signature.SignatureValue.CONTENT.bytes,
                                                  hdr->Signature.SignatureValue.CONTENT.bytesLen,
                                                  c->buf, c->cap);
    if (e == ISO2_SIG_OK) {
        return HAL_OK;
    }
    if (e == ISO2_SIG_E_CRYPTO) {
        return fail(c, e, -1, HAL_EIO);
    }
    /* SignedInfo did not fit the scratch buffer: the caller's limit, not the car's fault */
    return fail(c, e, -1, e == ISO2_SIG_E_ENCODE ? HAL_ENOMEM : HAL_EPROTO);
}

static int sign_fail(enum iso2_sig_error *err, enum iso2_sig_error e, int rc)
{
    if (err != NULL) {
        *err = e;
    }
    return rc;
}

int iso2_sig_sign(struct hal_crypto *crypto, uint32_t key, struct exi_iso2_MessageHeaderType *hdr,
                  const struct exi_iso2_BodyType *body, const char *const ids[], size_t n,
                  uint8_t *buf, size_t cap, enum iso2_sig_error *err)
{
    if (hdr == NULL || body == NULL || ids == NULL || n == 0 || n > ISO2_SIG_REFS_MAX) {
        return sign_fail(err, ISO2_SIG_E_NO_REFERENCE, HAL_EINVAL);
    }
    struct exi_iso2_SignatureType *sig = &hdr->Signature;
    memset(sig, 0, sizeof *sig);
    hdr->Signature_isUsed = false;
    struct exi_iso2_SignedInfoType *si = &sig->SignedInfo;
    str_set(si->CanonicalizationMethod.Algorithm.characters,
            &si->CanonicalizationMethod.Algorithm.charactersLen, ISO2_SIG_ALG_C14N);
    str_set(si->SignatureMethod.Algorithm.characters, &si->SignatureMethod.Algorithm.charactersLen,
            ISO2_SIG_ALG_ECDSA);
    for (size_t i = 0; i < n; i++) {
        struct exi_iso2_ReferenceType *r = &si->Reference.array[i];
        size_t len = ids[i] != NULL ? strlen(ids[i]) : 0;
        if (len == 0 || len + 1u > CFG_EXI_ISO2_REFERENCETYPE_URI_LEN) {
            return sign_fail(err, ISO2_SIG_E_URI, HAL_EINVAL);
        }
        r->URI.characters[0] = '#';
        memcpy(r->URI.characters + 1, ids[i], len);
        r->URI.charactersLen = (uint16_t)(len + 1u);
        r->URI_isUsed = true;
        r->Transforms_isUsed = true;
        r->Transforms.Transform.arrayLen = 1;
        str_set(r->Transforms.Transform.array[0].Algorithm.characters,
                &r->Transforms.Transform.array[0].Algorithm.charactersLen, ISO2_SIG_ALG_C14N);
        str_set(r->DigestMethod.Algorithm.characters, &r->DigestMethod.Algorithm.charactersLen,
                ISO2_SIG_ALG_SHA256);
        int rc = iso2_sig_digest(body, ids[i], len, buf, cap, r->DigestValue.bytes);
        if (rc == HAL_ENOENT) {
            return sign_fail(err, ISO2_SIG_E_TARGET, rc);
        }
        if (rc != HAL_OK) {
            return sign_fail(err, ISO2_SIG_E_ENCODE, rc);
        }
        r->DigestValue.bytesLen = ISO2_SIG_DIGEST_LEN;
    }
    si->Reference.arrayLen = (uint16_t)n;
    uint8_t d[ISO2_SIG_DIGEST_LEN];
    int rc = iso2_sig_signedinfo_digest(si, buf, cap, d);
    if (rc != HAL_OK) {
        return sign_fail(err, ISO2_SIG_E_ENCODE, rc);
    }
    size_t slen = 0;
    rc = hal_crypto_ecdsa_sign(crypto, key, d, sizeof d, sig->SignatureValue.CONTENT.bytes,
                               sizeof sig->SignatureValue.CONTENT.bytes, &slen);
    if (rc != HAL_OK || slen != ISO2_SIG_VALUE_LEN) {
        return sign_fail(err, rc == HAL_ENOTSUP ? ISO2_SIG_E_NOTSUP : ISO2_SIG_E_CRYPTO,
                         rc != HAL_OK ? rc : HAL_EINVAL);
    }
    sig->SignatureValue.CONTENT.bytesLen = ISO2_SIG_VALUE_LEN;
    hdr->Signature_isUsed = true;
    return sign_fail(err, ISO2_SIG_OK, HAL_OK);
}
