/* Unit tests of the SECC's Plug & Charge (protocols/iso2/iso2_evse_pnc.c) with real
 * certificates and real ECDSA: a mobility-operator root, a Sub-CA and a contract leaf are
 * made here with the OpenSSL API for each run (nothing private is committed), the machine
 * verifies through the Linux crypto port, and the car's AuthorizationReq is signed with
 * iso2_sig_sign() through the same port. Covered: when Contract is offered, the accepted
 * chain with its challenge and eMAID token, and every refusal the brief names (expired leaf,
 * wrong eMAID, unknown root, truncated chain, too many Sub-CAs, an unparsable certificate,
 * a wrong challenge, a replayed signature, a signature over another element, a tampered
 * request) with its response code and the session ended.
 * Host only (OpenSSL): tests/host/, built by protocols/iso2/iso2_sig.mk into `make unit`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "iso2/iso2_evse.h"
#include "iso2/iso2_sig.h"
#include "linux_crypto.h"
#include "tp_pki.h"

#define EMAID "DEPNC123456789X"

/* ------------------------------------------------------------------ the test PKI (tp_pki.c) */
/* root -> sub -> leaf (the good chain), an expired leaf, a leaf of another eMAID, a chain
 * of another root. */
static struct tp_cert s_root, s_sub, s_leaf, s_expired, s_other_emaid, s_alien_root, s_alien_leaf;
static struct x509_cert s_roots[1];

/* ------------------------------------------------------------------ the machine */
static struct linux_crypto s_crypto;
static uint32_t s_key;          /* the contract leaf's key in the port */
static uint32_t s_key_alien;    /* the alien leaf's */
static uint8_t s_rng_next;
static unsigned s_rng_calls;
static int s_rng_fail;

static int fake_fill(struct hal_rng *r, uint8_t *b, size_t n)
{
    (void)r;
    s_rng_calls++;
    if (s_rng_fail != 0) {
        return s_rng_fail;
    }
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(s_rng_next + i * 7u);
    }
    s_rng_next += 0x31;
    return HAL_OK;
}
static const struct hal_rng_ops s_rng_ops = {.fill = fake_fill};
static struct hal_rng s_rng = {.ops = &s_rng_ops};

static uint8_t s_scratch[2048];
static struct iso2_evse_pnc s_pnc;
static struct iso2_evse s_m;
static struct exi_iso2_document s_q, s_r;
static struct iso2_evse_request s_out;
static struct iso2_evse_status s_st;
static const uint8_t s_id[4] = {1, 2, 3, 4};

#define add_key(k, h) tp_add_key(&s_crypto, k, h)

static int group_setup(void **state)
{
    (void)state;
    tp_make(&s_root, NULL, "Test MO Root", "V2G", true, -86400, 10L * 365 * 86400);
    tp_make(&s_sub, &s_root, "Test MO Sub-CA", "MO", true, -86400, 4L * 365 * 86400);
    tp_make(&s_leaf, &s_sub, EMAID, "MO", false, -86400, 2L * 365 * 86400);
    tp_make(&s_expired, &s_sub, EMAID, "MO", false, -10L * 86400, -86400);
    tp_make(&s_other_emaid, &s_sub, "DEPNC987654321X", "MO", false, -86400, 365L * 86400);
    tp_make(&s_alien_root, NULL, "Alien Root", "V2G", true, -86400, 10L * 365 * 86400);
    tp_make(&s_alien_leaf, &s_alien_root, EMAID, "MO", false, -86400, 365L * 86400);
    assert_int_equal(x509_parse(&s_roots[0], s_root.der, s_root.len), X509_OK);
    linux_crypto_init(&s_crypto);
    assert_int_equal(add_key(s_leaf.key, &s_key), HAL_OK);
    assert_int_equal(add_key(s_alien_leaf.key, &s_key_alien), HAL_OK);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    linux_crypto_close(&s_crypto);
    tp_free(&s_root);
    tp_free(&s_sub);
    tp_free(&s_leaf);
    tp_free(&s_expired);
    tp_free(&s_other_emaid);
    tp_free(&s_alien_root);
    tp_free(&s_alien_leaf);
    return 0;
}

static void pnc_defaults(void)
{
    memset(&s_pnc, 0, sizeof s_pnc);
    s_pnc.crypto = &s_crypto.base;
    s_pnc.rng = &s_rng;
    s_pnc.roots = s_roots;
    s_pnc.nroots = 1;
    s_pnc.now_s = (int64_t)time(NULL);
    s_pnc.secure = true;
    s_pnc.buf = s_scratch;
    s_pnc.cap = sizeof s_scratch;
}

static void start(bool offer, bool lend)
{
    struct iso2_evse_config c;
    iso2_evse_default_config(&c);
    c.offer_contract = offer;
    assert_int_equal(iso2_evse_start(&s_m, &c, s_id, sizeof s_id, NULL, 0), HAL_OK);
    if (lend) {
        assert_int_equal(iso2_evse_set_pnc(&s_m, &s_pnc), HAL_OK);
    }
    memset(&s_st, 0, sizeof s_st);
    s_st.status_code = exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready;
    s_st.dc.auth_done = true;
}

static struct exi_iso2_BodyType *req(void)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    memcpy(s_q.V2G_Message.Header.SessionID.bytes, s_id, sizeof s_id);
    s_q.V2G_Message.Header.SessionID.bytesLen = sizeof s_id;
    return &s_q.V2G_Message.Body;
}

static uint8_t send(void)
{
    assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 10), HAL_OK);
    return s_out.response_code;
}

/* SessionSetup and ServiceDiscovery; returns how many payment options were listed. */
static unsigned to_discovery(void)
{
    struct exi_iso2_BodyType *b = req();
    s_q.V2G_Message.Header.SessionID.bytesLen = 1;
    s_q.V2G_Message.Header.SessionID.bytes[0] = 0;
    b->SessionSetupReq_isUsed = true;
    b->SessionSetupReq.EVCCID.bytesLen = 6;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    b = req();
    b->ServiceDiscoveryReq_isUsed = true;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    return s_r.V2G_Message.Body.ServiceDiscoveryRes.PaymentOptionList.PaymentOption.arrayLen;
}

static uint8_t select_payment(uint8_t option)
{
    struct exi_iso2_BodyType *b = req();
    b->PaymentServiceSelectionReq_isUsed = true;
    b->PaymentServiceSelectionReq.SelectedPaymentOption = option;
    b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
    b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
    return send();
}

static void put_cert(uint16_t *len, uint8_t *dst, const struct tp_cert *c)
{
    memcpy(dst, c->der, c->len);
    *len = (uint16_t)c->len;
}

/* PaymentDetailsReq with @p leaf and @p nsub copies of Sub-CA @p sub (NULL: none). */
static uint8_t payment_details(const char *emaid, const struct tp_cert *leaf, const struct tp_cert *sub,
                               unsigned nsub)
{
    struct exi_iso2_BodyType *b = req();
    b->PaymentDetailsReq_isUsed = true;
    struct exi_iso2_PaymentDetailsReqType *q = &b->PaymentDetailsReq;
    q->eMAID.charactersLen = (uint16_t)strlen(emaid);
    memcpy(q->eMAID.characters, emaid, q->eMAID.charactersLen);
    put_cert(&q->ContractSignatureCertChain.Certificate.bytesLen, q->ContractSignatureCertChain.Certificate.bytes,
             leaf);
    if (sub != NULL && nsub > 0) {
        q->ContractSignatureCertChain.SubCertificates_isUsed = true;
        for (unsigned i = 0; i < nsub; i++) {
            put_cert(&q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytesLen,
                     q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytes, sub);
        }
        q->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = (uint16_t)nsub;
    }
    return send();
}

/* AuthorizationReq Id "ID1" with @p challenge, signed by port key @p key over @p sign_id. */
static void build_auth(const uint8_t *challenge, uint32_t key, const char *sign_id)
{
    struct exi_iso2_BodyType *b = req();
    b->AuthorizationReq_isUsed = true;
    b->AuthorizationReq.Id_isUsed = true;
    memcpy(b->AuthorizationReq.Id.characters, "ID1", 3);
    b->AuthorizationReq.Id.charactersLen = 3;
    b->AuthorizationReq.GenChallenge_isUsed = true;
    b->AuthorizationReq.GenChallenge.bytesLen = 16;
    memcpy(b->AuthorizationReq.GenChallenge.bytes, challenge, 16);
    if (sign_id != NULL) {
        const char *ids[] = {sign_id};
        enum iso2_sig_error why = ISO2_SIG_OK;
        int rc = iso2_sig_sign(&s_crypto.base, key, &s_q.V2G_Message.Header, b, ids, 1, s_scratch,
                               sizeof s_scratch, &why);
        assert_int_equal(rc, HAL_OK);
    }
}

/* The good session up to PaymentDetailsRes; returns its GenChallenge. */
static void to_challenge(uint8_t challenge[16])
{
    pnc_defaults();
    start(true, true);
    assert_int_equal(to_discovery(), 2);
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract), exi_iso2_responseCodeType_OK);
    assert_int_equal(payment_details(EMAID, &s_leaf, &s_sub, 1), exi_iso2_responseCodeType_OK);
    assert_int_equal(s_r.V2G_Message.Body.PaymentDetailsRes.GenChallenge.bytesLen, 16);
    memcpy(challenge, s_r.V2G_Message.Body.PaymentDetailsRes.GenChallenge.bytes, 16);
}

static void assert_refused(uint8_t code, uint8_t want, const char *note_part)
{
    assert_int_equal(code, want);
    assert_int_equal(iso2_evse_phase(&s_m), ISO2_EVSE_FAILED);
    assert_true((s_out.events & ISO2_EVSE_EV_CLOSE) != 0u);
    assert_true((s_out.events & ISO2_EVSE_EV_CONTRACT) == 0u);
    assert_string_equal(iso2_evse_emaid(&s_m), s_m.contract_ok ? EMAID : "");
    if (note_part != NULL) {
        assert_non_null(strstr(s_out.note, note_part));
    }
    /* Session safe: nothing more is answered. */
    req()->SessionStopReq_isUsed = true;
    assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 20), HAL_ESTATE);
}

/* ------------------------------------------------------------------ tests */
static void test_contract_offered_only_when_ready(void **state)
{
    (void)state;
    pnc_defaults();
    start(true, false); /* no context: a port without PnC */
    assert_int_equal(to_discovery(), 1);
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract),
                     exi_iso2_responseCodeType_FAILED_PaymentSelectionInvalid);

    pnc_defaults();
    s_pnc.secure = false; /* no TLS */
    start(true, true);
    assert_int_equal(to_discovery(), 1);

    pnc_defaults();
    s_pnc.nroots = 0; /* no MO trust anchor */
    start(true, true);
    assert_int_equal(to_discovery(), 1);

    pnc_defaults();
    static const struct hal_crypto_ops no_verify = {0};
    struct hal_crypto bare = {.ops = &no_verify}; /* the Cortex-M board's port */
    s_pnc.crypto = &bare;
    start(true, true);
    assert_int_equal(to_discovery(), 1);

    pnc_defaults();
    start(false, true); /* not configured */
    assert_int_equal(to_discovery(), 1);

    pnc_defaults();
    start(true, true);
    assert_int_equal(to_discovery(), 2);
    assert_int_equal(s_r.V2G_Message.Body.ServiceDiscoveryRes.PaymentOptionList.PaymentOption.array[1],
                     exi_iso2_paymentOptionType_Contract);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Figures for docs/pnc.md: the handling of PaymentDetailsReq (parse + validate a leaf and a
 * Sub-CA: two ECDSA verifies) and of AuthorizationReq (two fragment digests + one ECDSA
 * verify), best of 20, in this sanitizer build. Printed, not asserted: wall-clock speed is
 * never a verdict. */
static void test_timing(void **state)
{
    (void)state;
    double best_pd = 1e12, best_au = 1e12;
    for (int i = 0; i < 20; i++) {
        pnc_defaults();
        start(true, true);
        to_discovery();
        select_payment(exi_iso2_paymentOptionType_Contract);
        double t0 = now_us();
        assert_int_equal(payment_details(EMAID, &s_leaf, &s_sub, 1), exi_iso2_responseCodeType_OK);
        double t1 = now_us();
        uint8_t ch[16];
        memcpy(ch, s_r.V2G_Message.Body.PaymentDetailsRes.GenChallenge.bytes, 16);
        build_auth(ch, s_key, "ID1");
        double t2 = now_us();
        assert_int_equal(send(), exi_iso2_responseCodeType_OK);
        double t3 = now_us();
        best_pd = t1 - t0 < best_pd ? t1 - t0 : best_pd;
        best_au = t3 - t2 < best_au ? t3 - t2 : best_au;
    }
    print_message("timing (sanitizer build, best of 20): PaymentDetails %.0f us, Authorization %.0f us\n", best_pd,
                  best_au);
}

static void test_good_session_challenge_and_token(void **state)
{
    (void)state;
    uint8_t ch[16];
    unsigned calls = s_rng_calls;
    to_challenge(ch);
    assert_int_equal(s_rng_calls, calls + 1);
    assert_non_null(strstr(s_out.note, "contract chain of " EMAID " valid"));
    assert_true(s_r.V2G_Message.Body.PaymentDetailsRes.EVSETimeStamp == s_pnc.now_s);
    assert_string_equal(iso2_evse_emaid(&s_m), EMAID);
    build_auth(ch, s_key, "ID1");
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    assert_true((s_out.events & ISO2_EVSE_EV_CONTRACT) != 0u);
    assert_true((s_out.events & ISO2_EVSE_EV_AUTHORIZE) != 0u);
    assert_non_null(strstr(s_out.note, "signature of " EMAID " valid"));
    assert_int_equal(s_r.V2G_Message.Body.AuthorizationRes.EVSEProcessing, exi_iso2_EVSEProcessingType_Finished);
    assert_int_equal(iso2_evse_phase(&s_m), ISO2_EVSE_CHARGE_PARAMETER);

    /* A second session gets another challenge. */
    uint8_t ch2[16];
    to_challenge(ch2);
    assert_memory_not_equal(ch, ch2, 16);
}

static void test_authorization_loop_rechecks(void **state)
{
    (void)state;
    uint8_t ch[16];
    to_challenge(ch);
    s_st.dc.auth_done = false; /* the station still asks its backend */
    build_auth(ch, s_key, "ID1");
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    assert_true((s_out.events & ISO2_EVSE_EV_CONTRACT) != 0u);
    assert_int_equal(s_r.V2G_Message.Body.AuthorizationRes.EVSEProcessing,
                     exi_iso2_EVSEProcessingType_Ongoing_WaitingForCustomerInteraction);
    /* The next request of the loop must be signed too; the token is handed over once. */
    build_auth(ch, s_key, "ID1");
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    assert_true((s_out.events & ISO2_EVSE_EV_CONTRACT) == 0u);
    build_auth(ch, s_key, NULL);
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "no Signature");
}

/* [V2G2-684]: after the signed first request the car repeats an empty AuthorizationReq
 * while Ongoing; it passes, the token is not handed over again. An empty one first (no
 * signed request before it) is refused. */
static void test_authorization_loop_empty_repeats(void **state)
{
    (void)state;
    uint8_t ch[16];
    to_challenge(ch);
    s_st.dc.auth_done = false;
    build_auth(ch, s_key, "ID1");
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    req()->AuthorizationReq_isUsed = true; /* empty: no Id, no challenge, no Signature */
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    assert_true((s_out.events & ISO2_EVSE_EV_CONTRACT) == 0u);
    s_st.dc.auth_done = true;
    req()->AuthorizationReq_isUsed = true;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    assert_int_equal(s_r.V2G_Message.Body.AuthorizationRes.EVSEProcessing, exi_iso2_EVSEProcessingType_Finished);

    to_challenge(ch);
    req()->AuthorizationReq_isUsed = true;
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "no Signature");
}

static void test_chain_refusals(void **state)
{
    (void)state;
    struct {
        const char *emaid;
        const struct tp_cert *leaf, *sub;
        unsigned nsub;
        uint8_t code;
        const char *note;
    } cases[] = {
        {EMAID, &s_expired, &s_sub, 1, exi_iso2_responseCodeType_FAILED_CertificateExpired, "refused"},
        {EMAID, &s_other_emaid, &s_sub, 1, exi_iso2_responseCodeType_FAILED_CertChainError, "refused"},
        {EMAID, &s_alien_leaf, NULL, 0, exi_iso2_responseCodeType_FAILED_NoCertificateAvailable, "refused"},
        /* truncated: the Sub-CA left out, the leaf's issuer is not a root */
        {EMAID, &s_leaf, NULL, 0, exi_iso2_responseCodeType_FAILED_NoCertificateAvailable, "refused"},
        /* four Sub-CAs (the decoder's most): more than the profile's two */
        {EMAID, &s_leaf, &s_sub, 4, exi_iso2_responseCodeType_FAILED_CertChainError, "refused"},
        /* a Sub-CA where the leaf belongs */
        {EMAID, &s_sub, NULL, 0, exi_iso2_responseCodeType_FAILED_CertChainError, "refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pnc_defaults();
        start(true, true);
        assert_int_equal(to_discovery(), 2);
        assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract), exi_iso2_responseCodeType_OK);
        unsigned calls = s_rng_calls;
        uint8_t code = payment_details(cases[i].emaid, cases[i].leaf, cases[i].sub, cases[i].nsub);
        print_message("case %zu: %s\n", i, s_out.note);
        assert_refused(code, cases[i].code, cases[i].note);
        assert_int_equal(s_rng_calls, calls); /* no challenge for a refused chain */
    }
}

static void test_bad_der_and_clock(void **state)
{
    (void)state;
    /* A certificate cut short (the last 40 bytes lost): not DER. */
    pnc_defaults();
    start(true, true);
    to_discovery();
    select_payment(exi_iso2_paymentOptionType_Contract);
    struct tp_cert cut = s_leaf;
    cut.len -= 40;
    assert_refused(payment_details(EMAID, &cut, &s_sub, 1), exi_iso2_responseCodeType_FAILED_CertChainError,
                   "not a well-formed");
    /* The charger's clock decides validity: the good chain, three years on. */
    pnc_defaults();
    s_pnc.now_s += 3L * 365 * 86400;
    start(true, true);
    to_discovery();
    select_payment(exi_iso2_paymentOptionType_Contract);
    assert_refused(payment_details(EMAID, &s_leaf, &s_sub, 1), exi_iso2_responseCodeType_FAILED_CertificateExpired,
                   "certificate 0");
    /* No random source: no challenge, FAILED. */
    pnc_defaults();
    start(true, true);
    to_discovery();
    select_payment(exi_iso2_paymentOptionType_Contract);
    s_rng_fail = HAL_EIO;
    uint8_t code = payment_details(EMAID, &s_leaf, &s_sub, 1);
    s_rng_fail = 0;
    assert_int_equal(code, exi_iso2_responseCodeType_FAILED);
    assert_string_equal(iso2_evse_emaid(&s_m), "");
}

static void test_sequence_refusals(void **state)
{
    (void)state;
    /* PaymentDetails after ExternalPayment. */
    pnc_defaults();
    start(true, true);
    to_discovery();
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_ExternalPayment), exi_iso2_responseCodeType_OK);
    assert_refused(payment_details(EMAID, &s_leaf, &s_sub, 1), exi_iso2_responseCodeType_FAILED_SequenceError,
                   NULL);
    /* Authorization under Contract without PaymentDetails. */
    pnc_defaults();
    start(true, true);
    to_discovery();
    select_payment(exi_iso2_paymentOptionType_Contract);
    uint8_t zero[16] = {0};
    build_auth(zero, s_key, "ID1");
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SequenceError, NULL);
}

static void test_signature_refusals(void **state)
{
    (void)state;
    uint8_t ch[16];
    /* A wrong challenge, signed properly. */
    to_challenge(ch);
    uint8_t wrong[16];
    memcpy(wrong, ch, 16);
    wrong[5] ^= 1;
    build_auth(wrong, s_key, "ID1");
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_ChallengeInvalid, "GenChallenge");

    /* A replayed signature: the whole request of an earlier session (valid then). */
    to_challenge(ch);
    build_auth(ch, s_key, "ID1");
    struct exi_iso2_document old = s_q;
    to_challenge(ch);
    s_q = old;
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_ChallengeInvalid, "GenChallenge");

    /* Signed by another key (the alien contract's). */
    to_challenge(ch);
    build_auth(ch, s_key_alien, "ID1");
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "does not verify");

    /* The challenge changed after signing. */
    to_challenge(ch);
    build_auth(ch, s_key, "ID1");
    s_q.V2G_Message.Body.AuthorizationReq.GenChallenge.bytes[0] ^= 0x80;
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "refused");

    /* A signature over another element: the Reference names an Id the request does not
     * carry (the signer signed something else). */
    to_challenge(ch);
    build_auth(ch, s_key, "ID1");
    memcpy(s_q.V2G_Message.Body.AuthorizationReq.Id.characters, "ID2", 3);
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "refused");

    /* No signature at all. */
    to_challenge(ch);
    build_auth(ch, s_key, NULL);
    assert_refused(send(), exi_iso2_responseCodeType_FAILED_SignatureError, "no Signature");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_offered_only_when_ready),
        cmocka_unit_test(test_good_session_challenge_and_token),
        cmocka_unit_test(test_authorization_loop_rechecks),
        cmocka_unit_test(test_authorization_loop_empty_repeats),
        cmocka_unit_test(test_chain_refusals),
        cmocka_unit_test(test_bad_der_and_clock),
        cmocka_unit_test(test_sequence_refusals),
        cmocka_unit_test(test_signature_refusals),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
