/* Unit tests of the SECC's signed MeteringReceipts (protocols/iso2/iso2_evse_receipt.c)
 * with real certificates and real ECDSA. The PKI, the crypto port and the helpers that
 * bring a Contract session to its accepted AuthorizationReq are those of
 * test_iso2_evse_pnc.c, compiled in here (its main renamed) rather than copied.
 * Covered: when a receipt is asked (Contract, a meter reading, the interval), that only the
 * MeteringReceiptReq is taken then, the verified receipt, and every refusal: wrong key,
 * MeterInfo altered after signing, a replay of an earlier receipt, a signature over another
 * element, no signature, another SessionID in the body, a receipt never asked for.
 * Host only (OpenSSL): tests/host/, built by protocols/iso2/iso2_sig.mk into `make unit`. */
int pnc_main(void); /* the PnC test's own main, unused here */
#define main pnc_main
#include "test_iso2_evse_pnc.c"
#undef main

#define RECEIPT_T0 1000u

/* Like send() at a chosen time of the machine's clock. */
static uint8_t send_at(uint32_t now_ms)
{
    assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, now_ms), HAL_OK);
    return s_out.response_code;
}

/* A Contract session authorised by its signature, then (the DC steps in between are the
 * EIM machine's and tested there) in its charging loop with a meter reading. */
static void to_charging(uint64_t meter_wh)
{
    uint8_t ch[16];
    to_challenge(ch);
    build_auth(ch, s_key, "ID1");
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    s_m.phase = ISO2_EVSE_CURRENT_DEMAND;
    s_st.meter_valid = true;
    s_st.meter_wh = meter_wh;
}

static uint8_t current_demand(uint32_t now_ms)
{
    struct exi_iso2_BodyType *b = req();
    b->CurrentDemandReq_isUsed = true;
    b->CurrentDemandReq.EVTargetVoltage.Value = 400;
    b->CurrentDemandReq.EVTargetCurrent.Value = 100;
    return send_at(now_ms);
}

static bool asked(void)
{
    const struct exi_iso2_CurrentDemandResType *r = &s_r.V2G_Message.Body.CurrentDemandRes;
    return r->ReceiptRequired_isUsed && r->ReceiptRequired && r->MeterInfo_isUsed;
}

/* The car's answer: MeteringReceiptReq Id "ID1" with @p mi, signed by port key @p key over
 * @p sign_id (NULL: unsigned). */
static void build_receipt(const struct exi_iso2_MeterInfoType *mi, uint32_t key, const char *sign_id)
{
    struct exi_iso2_BodyType *b = req();
    b->MeteringReceiptReq_isUsed = true;
    struct exi_iso2_MeteringReceiptReqType *q = &b->MeteringReceiptReq;
    q->Id_isUsed = true;
    memcpy(q->Id.characters, "ID1", 3);
    q->Id.charactersLen = 3;
    memcpy(q->SessionID.bytes, s_id, sizeof s_id);
    q->SessionID.bytesLen = sizeof s_id;
    q->SAScheduleTupleID = 1;
    q->SAScheduleTupleID_isUsed = true;
    q->MeterInfo = *mi;
    if (sign_id != NULL) {
        const char *ids[] = {sign_id};
        enum iso2_sig_error why = ISO2_SIG_OK;
        assert_int_equal(iso2_sig_sign(&s_crypto.base, key, &s_q.V2G_Message.Header, b, ids, 1, s_scratch,
                                       sizeof s_scratch, &why),
                         HAL_OK);
    }
}

/* Up to the CurrentDemandRes that asks a receipt; returns its MeterInfo. */
static struct exi_iso2_MeterInfoType to_receipt(uint64_t meter_wh)
{
    to_charging(meter_wh);
    assert_int_equal(current_demand(RECEIPT_T0), exi_iso2_responseCodeType_OK);
    assert_true(asked());
    return s_r.V2G_Message.Body.CurrentDemandRes.MeterInfo;
}

static void test_receipt_asked_verified_and_again(void **state)
{
    (void)state;
    struct exi_iso2_MeterInfoType mi = to_receipt(1234567);
    assert_true(mi.MeterReading_isUsed);
    assert_true(mi.MeterReading == 1234567u);
    assert_true(mi.TMeter_isUsed);
    assert_true(mi.TMeter == s_pnc.now_s);
    assert_int_equal(mi.MeterID.charactersLen, 7); /* the EVSEID "ZZ00000" */

    build_receipt(&mi, s_key, "ID1");
    struct exi_iso2_document first = s_q;
    assert_int_equal(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_OK);
    assert_true(s_r.V2G_Message.Body.MeteringReceiptRes_isUsed);
    assert_true(s_r.V2G_Message.Body.MeteringReceiptRes.DC_EVSEStatus_isUsed);
    assert_non_null(strstr(s_out.note, "MeteringReceiptReq signature of " EMAID " valid"));
    assert_non_null(strstr(s_out.note, "1234567 Wh"));
    assert_int_equal(iso2_evse_phase(&s_m), ISO2_EVSE_CURRENT_DEMAND);

    /* Charging goes on; no new receipt before the interval. */
    s_st.meter_wh = 1234600;
    assert_int_equal(current_demand(RECEIPT_T0 + 200), exi_iso2_responseCodeType_OK);
    assert_false(asked());
    assert_int_equal(current_demand(RECEIPT_T0 + ISO2_RECEIPT_INTERVAL_MS - 1), exi_iso2_responseCodeType_OK);
    assert_false(asked());
    /* Due again: the new reading. */
    assert_int_equal(current_demand(RECEIPT_T0 + ISO2_RECEIPT_INTERVAL_MS), exi_iso2_responseCodeType_OK);
    assert_true(asked());
    assert_true(s_r.V2G_Message.Body.CurrentDemandRes.MeterInfo.MeterReading == 1234600u);

    /* The first receipt replayed (valid signature, earlier reading): refused. */
    s_q = first;
    assert_refused(send_at(RECEIPT_T0 + ISO2_RECEIPT_INTERVAL_MS + 10),
                   exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid, "MeterInfo is not the one sent");
}

static void test_receipt_replayed_after_verified(void **state)
{
    (void)state;
    /* The same receipt twice: the second comes when none is asked. */
    struct exi_iso2_MeterInfoType mi = to_receipt(5000);
    build_receipt(&mi, s_key, "ID1");
    struct exi_iso2_document first = s_q;
    assert_int_equal(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_OK);
    s_q = first;
    assert_refused(send_at(RECEIPT_T0 + 200), exi_iso2_responseCodeType_FAILED_SequenceError, "none was asked for");
}

static void test_receipt_not_asked(void **state)
{
    (void)state;
    /* No meter reading: nothing to sign, so nothing is asked. */
    to_charging(0);
    s_st.meter_valid = false;
    assert_int_equal(current_demand(RECEIPT_T0), exi_iso2_responseCodeType_OK);
    assert_false(asked());
    assert_false(s_r.V2G_Message.Body.CurrentDemandRes.ReceiptRequired_isUsed);

    /* The charger asks the car to stop: its next request is PowerDelivery, no receipt. */
    to_charging(100);
    s_st.notification = exi_iso2_EVSENotificationType_StopCharging;
    assert_int_equal(current_demand(RECEIPT_T0), exi_iso2_responseCodeType_OK);
    assert_false(asked());

    /* An EIM session (no contract proved) never asks, and takes an unsigned receipt. */
    pnc_defaults();
    start(false, false);
    s_m.phase = ISO2_EVSE_CURRENT_DEMAND;
    s_st.meter_valid = true;
    s_st.meter_wh = 100;
    assert_int_equal(current_demand(RECEIPT_T0), exi_iso2_responseCodeType_OK);
    assert_false(asked());
    struct exi_iso2_MeterInfoType mi;
    memset(&mi, 0, sizeof mi);
    build_receipt(&mi, s_key, NULL);
    assert_int_equal(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_OK);
}

static void test_receipt_sequence(void **state)
{
    (void)state;
    /* A CurrentDemandReq instead of the receipt asked for (spec sheet case 33). */
    (void)to_receipt(700);
    assert_refused(current_demand(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_SequenceError, NULL);
    assert_non_null(strstr(iso2_evse_reason(&s_m), "MeteringReceiptReq asked for"));

    /* A receipt in a Contract session that asked none, properly signed. */
    to_charging(700);
    struct exi_iso2_MeterInfoType mi;
    memset(&mi, 0, sizeof mi);
    mi.MeterReading = 700;
    mi.MeterReading_isUsed = true;
    build_receipt(&mi, s_key, "ID1");
    assert_refused(send_at(RECEIPT_T0), exi_iso2_responseCodeType_FAILED_SequenceError, "none was asked for");
}

static void test_receipt_refusals(void **state)
{
    (void)state;
    struct exi_iso2_MeterInfoType mi;

    /* Signed by another key (the alien contract's). */
    mi = to_receipt(42);
    build_receipt(&mi, s_key_alien, "ID1");
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "does not verify");

    /* MeterInfo altered after signing: the digest no longer matches. */
    mi = to_receipt(42);
    build_receipt(&mi, s_key, "ID1");
    s_q.V2G_Message.Body.MeteringReceiptReq.MeterInfo.MeterReading = 41;
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "MeteringReceiptReq of " EMAID " refused");

    /* Signed properly, but over another reading than the one sent. */
    mi = to_receipt(42);
    struct exi_iso2_MeterInfoType other = mi;
    other.MeterReading = 43;
    build_receipt(&other, s_key, "ID1");
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "MeterInfo is not the one sent");
    /* ... or another TMeter. */
    mi = to_receipt(42);
    other = mi;
    other.TMeter++;
    build_receipt(&other, s_key, "ID1");
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "MeterInfo is not the one sent");

    /* A signature over another element: the session's AuthorizationReq signature (valid,
     * by the same key) carried over into the receipt's header, as RISE-V2G repeats one. */
    mi = to_receipt(42);
    uint8_t ch[16];
    memcpy(ch, s_m.challenge, 16);
    build_auth(ch, s_key, "ID1");
    struct exi_iso2_MessageHeaderType auth_hdr = s_q.V2G_Message.Header;
    build_receipt(&mi, s_key, NULL);
    s_q.V2G_Message.Header = auth_hdr;
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "refused");

    /* A Reference that names an Id the receipt does not carry. */
    mi = to_receipt(42);
    build_receipt(&mi, s_key, "ID1");
    memcpy(s_q.V2G_Message.Body.MeteringReceiptReq.Id.characters, "ID2", 3);
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "refused");

    /* No signature at all. */
    mi = to_receipt(42);
    build_receipt(&mi, s_key, NULL);
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "no Signature");

    /* Signed, but the body's SessionID is another session's. */
    mi = to_receipt(42);
    build_receipt(&mi, s_key, NULL);
    s_q.V2G_Message.Body.MeteringReceiptReq.SessionID.bytes[0] ^= 0xFF;
    {
        const char *ids[] = {"ID1"};
        enum iso2_sig_error why = ISO2_SIG_OK;
        assert_int_equal(iso2_sig_sign(&s_crypto.base, s_key, &s_q.V2G_Message.Header, &s_q.V2G_Message.Body, ids,
                                       1, s_scratch, sizeof s_scratch, &why),
                         HAL_OK);
    }
    assert_refused(send_at(RECEIPT_T0 + 100), exi_iso2_responseCodeType_FAILED_MeteringSignatureNotValid,
                   "SessionID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipt_asked_verified_and_again),
        cmocka_unit_test(test_receipt_replayed_after_verified),
        cmocka_unit_test(test_receipt_not_asked),
        cmocka_unit_test(test_receipt_sequence),
        cmocka_unit_test(test_receipt_refusals),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
