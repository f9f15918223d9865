/* Unit tests of the ISO 15118-2 XML signatures (protocols/iso2/iso2_sig.c): the worked
 * example of the spec sheet (3.5) byte for byte, the relaxed eMAID fragment, sign -> verify
 * through a fake port, and every refusal with its reason. The real ECDSA over the recorded
 * sessions is checked by v2g-sig in the exi-vectors group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iso2/iso2_sig.h"
#include "sha256/sha256.h"

/* ---- a fake port: "signature" = digest || (digest XOR key), key = pub[1] ---------------- */
static unsigned s_verify_calls;
static uint8_t s_last_digest[32];

static int fake_verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                       size_t pub_len, const uint8_t *digest, size_t digest_len,
                       const uint8_t *sig, size_t sig_len)
{
    (void)c;
    s_verify_calls++;
    if (curve != HAL_CRYPTO_SECP256R1 || pub_len != 65 || digest_len != 32 || sig_len != 64) {
        return HAL_EINVAL;
    }
    memcpy(s_last_digest, digest, 32);
    for (size_t i = 0; i < 32; i++) {
        if (sig[i] != digest[i] || sig[32 + i] != (uint8_t)(digest[i] ^ pub[1])) {
            return HAL_EPROTO;
        }
    }
    return HAL_OK;
}

static int fake_sign(struct hal_crypto *c, uint32_t key, const uint8_t *digest, size_t digest_len,
                     uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
    (void)c;
    if (key == 0 || key > 255) {
        return HAL_ENOENT;
    }
    if (digest_len != 32 || sig_cap < 64) {
        return HAL_EINVAL;
    }
    for (size_t i = 0; i < 32; i++) {
        sig[i] = digest[i];
        sig[32 + i] = (uint8_t)(digest[i] ^ key);
    }
    *sig_len = 64;
    return HAL_OK;
}

static const struct hal_crypto_ops s_ops = {.ecdsa_verify = fake_verify, .ecdsa_sign = fake_sign};
static const struct hal_crypto_ops s_ops_nosign = {.ecdsa_verify = fake_verify};
static struct hal_crypto s_crypto = {.ops = &s_ops};
static struct hal_crypto s_crypto_nosign = {.ops = &s_ops_nosign};

static struct exi_iso2_document s_doc;
static uint8_t s_buf[8192];
static uint8_t s_pub[65];

static void set_str(char *dst, uint16_t *len, const char *s)
{
    *len = (uint16_t)strlen(s);
    memcpy(dst, s, *len);
}

/* GenChallenge of PaymentDetailsRes f113 in the I2-PNC capture (spec sheet 3.5). */
static const uint8_t k_challenge[16] = {0x05, 0x60, 0x33, 0xa8, 0x59, 0x89, 0x41, 0x8d,
                                        0x69, 0x99, 0xf2, 0x0b, 0x49, 0x66, 0xf7, 0x3f};

static struct exi_iso2_MessageHeaderType *auth_req(const char *id)
{
    memset(&s_doc, 0, sizeof s_doc);
    s_doc.V2G_Message_isUsed = true;
    struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    b->AuthorizationReq_isUsed = true;
    b->AuthorizationReq.Id_isUsed = true;
    set_str(b->AuthorizationReq.Id.characters, &b->AuthorizationReq.Id.charactersLen, id);
    b->AuthorizationReq.GenChallenge_isUsed = true;
    memcpy(b->AuthorizationReq.GenChallenge.bytes, k_challenge, 16);
    b->AuthorizationReq.GenChallenge.bytesLen = 16;
    s_pub[0] = 0x04;
    s_pub[1] = 7; /* the fake's key 7 */
    return &s_doc.V2G_Message.Header;
}

static struct iso2_sig_check check_with(uint8_t key)
{
    s_pub[0] = 0x04;
    s_pub[1] = key;
    struct iso2_sig_check c = {.crypto = &s_crypto, .pub = s_pub, .pub_len = 65, .buf = s_buf,
                               .cap = sizeof s_buf};
    return c;
}

static void sign_ok(struct exi_iso2_MessageHeaderType *h, const char *const *ids, size_t n)
{
    enum iso2_sig_error e = ISO2_SIG_E_CRYPTO;
    assert_int_equal(iso2_sig_sign(&s_crypto, 7, h, &s_doc.V2G_Message.Body, ids, n, s_buf,
                                   sizeof s_buf, &e),
                     HAL_OK);
    assert_int_equal(e, ISO2_SIG_OK);
    assert_true(h->Signature_isUsed);
}

/* The 25-byte fragment and its digest of the spec sheet's worked example (I2-PNC f115). */
static void test_worked_example_fragment(void **state)
{
    (void)state;
    auth_req("ID1");
    static const uint8_t want[25] = {0x80, 0x04, 0x01, 0x52, 0x51, 0x0c, 0x40, 0x80, 0x2b,
                                     0x01, 0x9d, 0x42, 0xcc, 0x4a, 0x0c, 0x6b, 0x4c, 0xcf,
                                     0x90, 0x5a, 0x4b, 0x37, 0xb9, 0xf9, 0xe8};
    size_t len = 0;
    assert_int_equal(iso2_sig_fragment(&s_doc.V2G_Message.Body, "ID1", 3, s_buf, sizeof s_buf, &len),
                     HAL_OK);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(s_buf, want, sizeof want);
    static const uint8_t digest[32] = {
        0x29, 0xac, 0xbf, 0xfa, 0x0d, 0xab, 0xed, 0x28, 0xd7, 0x04, 0x17, 0x63, 0x3a, 0x68, 0x5d, 0xa1,
        0xd4, 0x7d, 0xc2, 0x6f, 0x0b, 0x94, 0x86, 0x5b, 0xc3, 0x6f, 0xb0, 0x31, 0x96, 0x0b, 0x52, 0x5f};
    uint8_t d[32];
    assert_int_equal(iso2_sig_digest(&s_doc.V2G_Message.Body, "ID1", 3, s_buf, sizeof s_buf, d), HAL_OK);
    assert_memory_equal(d, digest, 32);
    /* another Id names nothing; a buffer too small is an error, never a short fragment */
    assert_int_equal(iso2_sig_fragment(&s_doc.V2G_Message.Body, "ID2", 3, s_buf, sizeof s_buf, &len),
                     HAL_ENOENT);
    assert_int_equal(len, 0);
    assert_int_equal(iso2_sig_fragment(&s_doc.V2G_Message.Body, "ID1", 3, s_buf, 10, &len), HAL_ENOMEM);
}

/* SignedInfo of the worked example: 209 bytes starting 80 81 12 b4 3a 3a 38 (xmldsig
 * schema alone: SE(SignedInfo) = 32 of 47 in 6 bits, ED = 46). */
static void test_worked_example_signedinfo(void **state)
{
    (void)state;
    struct exi_iso2_MessageHeaderType *h = auth_req("ID1");
    const char *ids[] = {"ID1"};
    sign_ok(h, ids, 1);
    struct exi_writer w;
    exi_writer_init(&w, s_buf, sizeof s_buf);
    assert_int_equal(exi_iso2_encode_fragment_SignedInfo(&w, &h->Signature.SignedInfo), HAL_OK);
    assert_int_equal(exi_writer_len(&w), 209);
    static const uint8_t head[7] = {0x80, 0x81, 0x12, 0xb4, 0x3a, 0x3a, 0x38};
    assert_memory_equal(s_buf, head, sizeof head);
    /* the signature is over SHA-256 of exactly those bytes */
    uint8_t d[32];
    sha256_digest(s_buf, 209, d);
    assert_memory_equal(h->Signature.SignatureValue.CONTENT.bytes, d, 32);
    assert_int_equal(h->Signature.SignatureValue.CONTENT.bytesLen, 64);
    assert_string_equal(h->Signature.SignedInfo.Reference.array[0].URI.characters, "#ID1");
}

/* eMAID is declared with two types: its fragment uses the relaxed ElementFragment grammar
 * (0x80, code 236 in 8 bits, AT(MsgDataTypes Id) = 4 in 9 bits, string, CH = 256 in 9 bits,
 * string, EE = 244 in 8 bits, ED = 244 in 8 bits). */
static void test_emaid_relaxed_fragment(void **state)
{
    (void)state;
    struct exi_iso2_EMAIDType e;
    memset(&e, 0, sizeof e);
    set_str(e.Id.characters, &e.Id.charactersLen, "A");
    set_str(e.CONTENT.characters, &e.CONTENT.charactersLen, "B");
    struct exi_writer w;
    exi_writer_init(&w, s_buf, sizeof s_buf);
    assert_int_equal(exi_iso2_encode_fragment_eMAID(&w, &e), HAL_OK);
    /* bits: 10000000 11101100 000000100 00000011 01000001 100000000 00000011 01000010
     *       11110100 11110100 + 6 zero bits of padding -> 82 bits = 11 bytes */
    static const uint8_t want[11] = {0x80, 0xec, 0x02, 0x01, 0xa0, 0xc0, 0x00, 0xd0, 0xbd, 0x3d, 0x00};
    assert_int_equal(exi_writer_len(&w), sizeof want);
    assert_memory_equal(s_buf, want, sizeof want);
}

static void test_sign_then_verify(void **state)
{
    (void)state;
    struct exi_iso2_MessageHeaderType *h = auth_req("ID1");
    const char *ids[] = {"ID1"};
    sign_ok(h, ids, 1);
    struct iso2_sig_check c = check_with(7);
    s_verify_calls = 0;
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_OK);
    assert_int_equal(c.error, ISO2_SIG_OK);
    assert_int_equal(c.digests_equal, 1);
    assert_int_equal(s_verify_calls, 1);
    /* [V2G2-771] fields a sender must leave out are dropped before SignedInfo is re-encoded */
    h->Signature.SignedInfo.Id_isUsed = true;
    set_str(h->Signature.SignedInfo.Id.characters, &h->Signature.SignedInfo.Id.charactersLen, "x");
    h->Signature.SignedInfo.Reference.array[0].Type_isUsed = true;
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_OK);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *ids[] = {"ID1"};
    struct exi_iso2_MessageHeaderType *h;
    struct iso2_sig_check c;

    /* no Signature */
    h = auth_req("ID1");
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_NO_SIGNATURE);

    /* wrong key */
    sign_ok(h, ids, 1);
    c = check_with(8);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_SIGNATURE);

    /* the body changed after signing: its digest differs */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    s_doc.V2G_Message.Body.AuthorizationReq.GenChallenge.bytes[0] ^= 1;
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_DIGEST);
    assert_int_equal(c.ref, 0);

    /* a signature over another element: the request's own Id is not referenced */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    set_str(s_doc.V2G_Message.Body.AuthorizationReq.Id.characters,
            &s_doc.V2G_Message.Body.AuthorizationReq.Id.charactersLen, "ID2");
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_NO_REFERENCE);

    /* a second Reference to an Id that is not in the message */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    struct exi_iso2_SignedInfoType *si = &h->Signature.SignedInfo;
    si->Reference.array[1] = si->Reference.array[0];
    set_str(si->Reference.array[1].URI.characters, &si->Reference.array[1].URI.charactersLen, "#zz");
    si->Reference.arrayLen = 2;
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_TARGET);
    assert_int_equal(c.ref, 1);
    /* ... or a URI that is not #Id */
    set_str(si->Reference.array[1].URI.characters, &si->Reference.array[1].URI.charactersLen, "ID1");
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_URI);

    /* truncated DigestValue and SignatureValue, oversize key */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    h->Signature.SignedInfo.Reference.array[0].DigestValue.bytesLen = 31;
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_DIGEST_LEN);
    h->Signature.SignedInfo.Reference.array[0].DigestValue.bytesLen = 33; /* oversize */
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_DIGEST_LEN);
    h->Signature.SignedInfo.Reference.array[0].DigestValue.bytesLen = 32;
    h->Signature.SignatureValue.CONTENT.bytesLen = 63;
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_VALUE_LEN);
    h->Signature.SignatureValue.CONTENT.bytesLen = 64;
    c.pub_len = 66;
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_KEY);

    /* another algorithm */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    set_str(h->Signature.SignedInfo.SignatureMethod.Algorithm.characters,
            &h->Signature.SignedInfo.SignatureMethod.Algorithm.charactersLen,
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
    c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_ALGORITHM);
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    h->Signature.SignedInfo.Reference.array[0].DigestMethod.Algorithm.characters[0] = 'X';
    assert_int_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_ALGORITHM);

    /* a scratch buffer too small for the element: an encode error, not a verdict */
    h = auth_req("ID1");
    sign_ok(h, ids, 1);
    c = check_with(7);
    c.cap = 8;
    assert_int_not_equal(iso2_sig_verify(&c, h, &s_doc.V2G_Message.Body), HAL_OK);
    assert_int_equal(c.error, ISO2_SIG_E_ENCODE);
}

static void test_sign_errors(void **state)
{
    (void)state;
    struct exi_iso2_MessageHeaderType *h = auth_req("ID1");
    const struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    enum iso2_sig_error e = ISO2_SIG_OK;
    const char *ids[] = {"ID1"};
    const char *none[] = {"nope"};
    const char *toolong[] = {"ID1ID1ID1ID1ID1ID1ID1ID1ID1ID1ID1ID1"};
    assert_int_equal(iso2_sig_sign(&s_crypto_nosign, 7, h, b, ids, 1, s_buf, sizeof s_buf, &e),
                     HAL_ENOTSUP);
    assert_int_equal(e, ISO2_SIG_E_NOTSUP);
    assert_false(h->Signature_isUsed);
    assert_int_equal(iso2_sig_sign(&s_crypto, 0, h, b, ids, 1, s_buf, sizeof s_buf, &e), HAL_ENOENT);
    assert_int_equal(e, ISO2_SIG_E_CRYPTO);
    assert_int_equal(iso2_sig_sign(&s_crypto, 7, h, b, none, 1, s_buf, sizeof s_buf, &e), HAL_ENOENT);
    assert_int_equal(e, ISO2_SIG_E_TARGET);
    assert_int_equal(iso2_sig_sign(&s_crypto, 7, h, b, toolong, 1, s_buf, sizeof s_buf, &e), HAL_EINVAL);
    assert_int_equal(e, ISO2_SIG_E_URI);
    assert_int_equal(iso2_sig_sign(&s_crypto, 7, h, b, ids, 0, s_buf, sizeof s_buf, &e), HAL_EINVAL);
    assert_int_equal(iso2_sig_sign(&s_crypto, 7, h, b, ids, ISO2_SIG_REFS_MAX + 1, s_buf,
                                   sizeof s_buf, &e), HAL_EINVAL);
    /* the port without a sign op answers not supported through the HAL wrapper too */
    size_t n = 0;
    uint8_t sig[64];
    assert_int_equal(hal_crypto_ecdsa_sign(&s_crypto_nosign, 1, sig, 32, sig, sizeof sig, &n),
                     HAL_ENOTSUP);
}

/* CertificateInstallationRes: four References, all required. */
static void test_cert_installation_res(void **state)
{
    (void)state;
    memset(&s_doc, 0, sizeof s_doc);
    s_doc.V2G_Message_isUsed = true;
    struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    b->CertificateInstallationRes_isUsed = true;
    struct exi_iso2_CertificateInstallationResType *r = &b->CertificateInstallationRes;
    r->SAProvisioningCertificateChain.Certificate.bytesLen = 3;
    r->ContractSignatureCertChain.Id_isUsed = true;
    set_str(r->ContractSignatureCertChain.Id.characters, &r->ContractSignatureCertChain.Id.charactersLen, "id1");
    r->ContractSignatureCertChain.Certificate.bytesLen = 100;
    set_str(r->ContractSignatureEncryptedPrivateKey.Id.characters,
            &r->ContractSignatureEncryptedPrivateKey.Id.charactersLen, "id2");
    r->ContractSignatureEncryptedPrivateKey.CONTENT.bytesLen = 48;
    set_str(r->DHpublickey.Id.characters, &r->DHpublickey.Id.charactersLen, "id3");
    r->DHpublickey.CONTENT.bytesLen = 65;
    set_str(r->eMAID.Id.characters, &r->eMAID.Id.charactersLen, "id4");
    set_str(r->eMAID.CONTENT.characters, &r->eMAID.CONTENT.charactersLen, "DEABC123456789Y");
    const char *req[ISO2_SIG_REFS_MAX];
    size_t len[ISO2_SIG_REFS_MAX];
    assert_int_equal(iso2_sig_required(b, req, len), 4);
    assert_int_equal(len[3], 3);
    assert_memory_equal(req[3], "id4", 3);

    struct exi_iso2_MessageHeaderType *h = &s_doc.V2G_Message.Header;
    const char *ids[] = {"id1", "id2", "id3", "id4"};
    sign_ok(h, ids, 4);
    struct iso2_sig_check c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, b), HAL_OK);
    assert_int_equal(c.digests_equal, 4);
    /* the eMAID changed: its Reference (index 3) no longer matches */
    r->eMAID.CONTENT.characters[0] = 'X';
    assert_int_equal(iso2_sig_verify(&c, h, b), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_DIGEST);
    assert_int_equal(c.ref, 3);
    /* signed without the DH key: a required part is not covered */
    r->eMAID.CONTENT.characters[0] = 'D';
    const char *three[] = {"id1", "id2", "id4"};
    sign_ok(h, three, 3);
    assert_int_equal(iso2_sig_verify(&c, h, b), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_NO_REFERENCE);
}

/* A SalesTariff of the second SAScheduleTuple, signed by Id (the MO signs tariffs; no
 * recorded session carries one, so this is our own round trip only). */
static void test_sales_tariff(void **state)
{
    (void)state;
    memset(&s_doc, 0, sizeof s_doc);
    s_doc.V2G_Message_isUsed = true;
    struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    b->ChargeParameterDiscoveryRes_isUsed = true;
    struct exi_iso2_SAScheduleListType *l = &b->ChargeParameterDiscoveryRes.SAScheduleList;
    b->ChargeParameterDiscoveryRes.SAScheduleList_isUsed = true;
    l->SAScheduleTuple.arrayLen = 2;
    struct exi_iso2_SalesTariffType *st = &l->SAScheduleTuple.array[1].SalesTariff;
    l->SAScheduleTuple.array[1].SalesTariff_isUsed = true;
    st->Id_isUsed = true;
    set_str(st->Id.characters, &st->Id.charactersLen, "ST2");
    st->SalesTariffID = 5;
    st->SalesTariffEntry.arrayLen = 1;
    st->SalesTariffEntry.array[0].RelativeTimeInterval_isUsed = true;
    st->SalesTariffEntry.array[0].EPriceLevel_isUsed = true;
    st->SalesTariffEntry.array[0].EPriceLevel = 1;
    size_t len = 0;
    assert_int_equal(iso2_sig_fragment(b, "ST2", 3, s_buf, sizeof s_buf, &len), HAL_OK);
    assert_int_equal(s_buf[0], 0x80);
    assert_int_equal(s_buf[1], 174); /* SE(SalesTariff): code 174 of the 243 qnames, 8 bits */
    const char *req[ISO2_SIG_REFS_MAX];
    size_t rl[ISO2_SIG_REFS_MAX];
    assert_int_equal(iso2_sig_required(b, req, rl), 0);
    const char *ids[] = {"ST2"};
    struct exi_iso2_MessageHeaderType *h = &s_doc.V2G_Message.Header;
    sign_ok(h, ids, 1);
    struct iso2_sig_check c = check_with(7);
    assert_int_equal(iso2_sig_verify(&c, h, b), HAL_OK);
    st->SalesTariffEntry.array[0].EPriceLevel = 2;
    assert_int_equal(iso2_sig_verify(&c, h, b), HAL_EPROTO);
    assert_int_equal(c.error, ISO2_SIG_E_DIGEST);
}

/* A later (Ongoing) AuthorizationReq is empty and needs no signature; a first one without
 * Id cannot be signed. */
static void test_required(void **state)
{
    (void)state;
    const char *req[ISO2_SIG_REFS_MAX];
    size_t len[ISO2_SIG_REFS_MAX];
    auth_req("ID1");
    struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    assert_int_equal(iso2_sig_required(b, req, len), 1);
    b->AuthorizationReq.Id_isUsed = false;
    assert_int_equal(iso2_sig_required(b, req, len), HAL_EINVAL);
    b->AuthorizationReq.GenChallenge_isUsed = false;
    assert_int_equal(iso2_sig_required(b, req, len), 0);
    memset(b, 0, sizeof *b);
    b->SessionStopReq_isUsed = true;
    assert_int_equal(iso2_sig_required(b, req, len), 0);
    for (int e = ISO2_SIG_OK; e <= ISO2_SIG_E_CRYPTO; e++) {
        assert_string_not_equal(iso2_sig_error_str((enum iso2_sig_error)e), "unknown");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_fragment),
        cmocka_unit_test(test_worked_example_signedinfo),
        cmocka_unit_test(test_emaid_relaxed_fragment),
        cmocka_unit_test(test_sign_then_verify),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_cert_installation_res),
        cmocka_unit_test(test_sales_tariff),
        cmocka_unit_test(test_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
