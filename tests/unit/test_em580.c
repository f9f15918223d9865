/* Unit tests of the EM580/EM300 driver: register decoding and the transaction state
 * machine against a fake Modbus device (every transition and fault). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "em580/em580.h"
#include "fake_em580.h"
#include "fake_modbus.h"
#include "ocmf/ocmf.h"

static struct fake_modbus s_mb;
static struct fake_em580 s_dev;
static struct em580 s_em;
static uint32_t s_now;

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        em580_step(&s_em, s_now);
        s_now++;
    }
}

static struct em580_result wait_result(uint32_t max_ms)
{
    struct em580_result r;
    for (uint32_t i = 0; i < max_ms; i++) {
        em580_step(&s_em, s_now);
        if (em580_result(&s_em, &r) == HAL_OK) {
            return r;
        }
        s_now++;
    }
    fail_msg("no result within %u ms", (unsigned)max_ms);
    return r;
}

static void setup_dev(bool em300)
{
    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, em300);
    struct em580_config cfg;
    em580_config_default(&cfg);
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_OK);
    s_now = 1000;
    run(50);
}

static const struct em580_tx s_tx = {
    .txid = "3f1c2a4e-1111-2222-3333-444455556666",
    .evse_id = "DE*ABC*E1234*1",
    .id_data = "04A1B2C3D4E5F6",
    .tariff_text = "0.39 EUR/kWh",
    .assigned = true,
    .level = 1,
    .flags = {1, 0, 0, 0},
    .type = 10,
};

static void start_ok(void)
{
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.job, EM580_JOB_START);
    assert_int_equal(r.status, HAL_OK);
    assert_true(em580_tx_active(&s_em));
}

static void test_decode_words(void **state)
{
    (void)state;
    uint16_t w[4] = {0x5678, 0x1234, 0, 0};
    assert_int_equal(em580_int32(w), 0x12345678);
    uint16_t neg[2] = {0xFFFE, 0xFFFF};
    assert_int_equal(em580_int32(neg), -2);
    uint16_t w64[4] = {0x0004, 0x0003, 0x0002, 0x0001};
    assert_true(em580_int64(w64) == 0x0001000200030004LL);
    uint16_t out[4];
    em580_put_int64(out, -3);
    assert_int_equal(out[0], 0xFFFD);
    assert_int_equal(out[3], 0xFFFF);
    assert_true(em580_int64(out) == -3);
    uint16_t s[4];
    assert_int_equal(em580_put_string(s, 4, "ABC", 3), 2);
    assert_int_equal(s[0], 0x4142);
    assert_int_equal(s[1], 0x4300);
    assert_int_equal(em580_put_string(s, 4, "ABCD", 4), 3);
    assert_int_equal(s[2], 0x0000); /* NUL terminated even when even-length */
    assert_int_equal(em580_put_string(s, 2, "ABCD", 4), 0);
}

static void test_decode_live_and_energy(void **state)
{
    (void)state;
    uint16_t b[52] = {0};
    b[0] = 2301; /* 230.1 V */
    b[0x0C] = 0xC180; /* -16000 mA, low word first */
    b[0x0D] = 0xFFFF;
    b[0x28] = 0x86A0; /* 100000 (0.1 W) = 10 kW */
    b[0x29] = 0x0001;
    b[0x32] = 0xFFFF; /* -1 phase sequence */
    b[0x33] = 499;
    struct em580_live lv;
    memset(&lv, 0, sizeof lv);
    em580_decode_live(b, &lv);
    assert_int_equal(lv.v_dv[0], 2301);
    assert_int_equal(lv.i_ma[0], -16000);
    assert_int_equal(lv.p_total_dw, 100000);
    assert_int_equal(lv.phase_seq, -1);
    assert_int_equal(lv.freq_dhz, 499);
    uint16_t e3[12] = {0};
    e3[0] = 12; /* 12 kWh */
    e3[2] = 345; /* .345 kWh */
    e3[8] = 1;
    e3[10] = 2;
    int64_t imp, exp;
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM300, e3, &imp, &exp), HAL_OK);
    assert_true(imp == 12345);
    assert_true(exp == 1002);
    uint16_t e5[32] = {0};
    e5[0] = 0x0001;
    e5[1] = 0x0001; /* 65537 Wh */
    e5[0x1C] = 9;
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM580, e5, &imp, &exp), HAL_OK);
    assert_true(imp == 65537);
    assert_true(exp == 9);
    assert_true(em580_is_em300_code(340));
    assert_true(em580_is_em300_code(355));
    assert_false(em580_is_em300_code(120));
}

/* The driver is set up without a time: its first step may come at any clock value,
 * including one "before" 0 in wrap-safe terms (found by fuzz_em580, which starts at
 * 0xFFFF0000). Detection must start on that first step, not 65 s later. */
static void test_first_step_at_any_time(void **state)
{
    (void)state;
    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, false);
    struct em580_config cfg;
    em580_config_default(&cfg);
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_OK);
    s_now = 0xFFFF0000u;
    run(5);
    assert_true(s_mb.nlog > 0);
    run(200);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
}

/* Energy registers are outside numbers: a total below zero or beyond any real meter
 * (here INT64_MIN, whose difference with a start reading overflows) is refused with
 * EM580_ERR_RANGE and the last good reading stays published. */
static void test_energy_out_of_range_is_refused(void **state)
{
    (void)state;
    setup_dev(false);
    fake_em580_set_energy(&s_dev, 5000);
    run(1500);
    struct em580_live lv;
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_true(lv.import_wh == 5000);
    fake_em580_set_energy(&s_dev, INT64_MIN);
    run(1500);
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_true(lv.import_wh == 5000);
    assert_int_equal(em580_error(&s_em), EM580_ERR_RANGE);
    fake_em580_set_energy(&s_dev, -1);
    run(1500);
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_true(lv.import_wh == 5000);
    fake_em580_set_energy(&s_dev, 6000);
    run(1500);
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_true(lv.import_wh == 6000);
    assert_int_equal(em580_error(&s_em), EM580_ERR_NONE);

    int64_t imp = 1, exp = 1;
    uint16_t e5[32] = {0};
    em580_put_int64(e5, INT64_MIN);
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM580, e5, &imp, &exp), HAL_EPROTO);
    assert_true(imp == 1 && exp == 1); /* untouched */
    em580_put_int64(e5, EM580_ENERGY_MAX_WH);
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM580, e5, &imp, &exp), HAL_OK);
    assert_true(imp == EM580_ENERGY_MAX_WH);
    em580_put_int64(e5 + 0x1C, EM580_ENERGY_MAX_WH + 1);
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM580, e5, &imp, &exp), HAL_EPROTO);
    uint16_t e3[12] = {0};
    e3[0] = 1;
    e3[2] = 1000; /* the Wh part of an EM300 total is 0..999 */
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM300, e3, &imp, &exp), HAL_EPROTO);
    e3[2] = 0xFFFF; /* -1 Wh */
    e3[3] = 0xFFFF;
    assert_int_equal(em580_decode_energy(EM580_MODEL_EM300, e3, &imp, &exp), HAL_EPROTO);
}

static void test_init_rejects_retry_budget(void **state)
{
    (void)state;
    struct em580_config cfg;
    em580_config_default(&cfg);
    fake_modbus_init(&s_mb);
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_OK);
    cfg.attempts = 3;
    cfg.timeout_ms = 1500;
    cfg.retry_delay_ms = 0; /* 4500: the limit itself is too much */
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_EINVAL);
    cfg.timeout_ms = 1000;
    cfg.retry_delay_ms = 800; /* 3000 + 1600 */
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_EINVAL);
    em580_config_default(&cfg);
    cfg.unit = 0;
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_EINVAL);
    em580_config_default(&cfg);
    cfg.live_interval_ms = 100;
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_EINVAL);
}

static void test_detect_em580(void **state)
{
    (void)state;
    setup_dev(false);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
    assert_int_equal(em580_model(&s_em), EM580_MODEL_EM580);
    /* the identification code is read first and alone */
    assert_int_equal(s_mb.log[0].addr, EM580_REG_IDENT);
    assert_int_equal(s_mb.log[0].count, 1);
    assert_int_equal(s_mb.log[0].fn, HAL_MODBUS_READ_INPUT);
    assert_int_equal(s_mb.log[0].retries, 0);
    uint8_t pub[100];
    size_t len;
    enum hal_crypto_curve curve;
    assert_int_equal(em580_pubkey(&s_em, pub, sizeof pub, &len, &curve), HAL_OK);
    assert_int_equal(len, 65); /* 33 words = 66 bytes, the unused last byte dropped */
    assert_int_equal(pub[0], 0x04);
    assert_int_equal(pub[1], 0xAA);
    assert_int_equal(curve, HAL_CRYPTO_BRAINPOOL256R1);
    assert_int_equal(em580_pubkey(&s_em, pub, 10, &len, &curve), HAL_EOVERFLOW);
    struct em580_live lv;
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_int_equal(lv.v_dv[2], 2300);
    assert_int_equal(lv.i_ma[1], 16000);
    assert_true(lv.import_wh == 1234567);
    assert_true(lv.export_wh == 7);
    assert_int_equal(lv.p_total_dw, 110400);
    /* one live block of 52 words */
    int i = fake_modbus_find(&s_mb, HAL_MODBUS_READ_INPUT, EM580_REG_LIVE, 0);
    assert_true(i >= 0);
    assert_int_equal(s_mb.log[i].count, 52);
    /* live reads repeat at the interval */
    uint32_t n = fake_modbus_count(&s_mb, HAL_MODBUS_READ_INPUT, EM580_REG_ENERGY);
    run(3000);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_INPUT, EM580_REG_ENERGY), n + 3);
}

static void test_detect_em300_is_live_only(void **state)
{
    (void)state;
    setup_dev(true);
    assert_int_equal(em580_model(&s_em), EM580_MODEL_EM300);
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_ENOTSUP);
    assert_int_equal(em580_stop(&s_em, "x"), HAL_ENOTSUP);
    assert_int_equal(em580_time_sync(&s_em, 1767225600, 60), HAL_ENOTSUP);
    run(12000);
    /* no signature, OCMF, time or device-state register was touched */
    for (uint32_t k = 0; k < s_mb.nlog; k++) {
        assert_true(s_mb.log[k].addr < 0x2400);
    }
    int i = fake_modbus_find(&s_mb, HAL_MODBUS_READ_INPUT, EM580_REG_LIVE, 0);
    assert_int_equal(s_mb.log[i].count, 50); /* the big block split as 50 + 2 */
    assert_int_equal(s_mb.log[i + 1].addr, 50);
    assert_int_equal(s_mb.log[i + 1].count, 2);
    struct em580_live lv;
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
    assert_true(lv.import_wh == 1234567);
    uint8_t pub[100];
    size_t len;
    enum hal_crypto_curve c;
    assert_int_equal(em580_pubkey(&s_em, pub, sizeof pub, &len, &c), HAL_ENOENT);
}

static void test_transaction_flow(void **state)
{
    (void)state;
    setup_dev(false);
    uint32_t from = s_mb.nlog;
    start_ok();
    /* the writes, in order, each its own FC16 */
    static const uint16_t order[] = {EM580_REG_OCMF_STATE, EM580_REG_IS, EM580_REG_IL,
                                     EM580_REG_IF, EM580_REG_IT, EM580_REG_ID, EM580_REG_CT,
                                     EM580_REG_CI, EM580_REG_TT, EM580_REG_MODALITY,
                                     EM580_REG_CMD, EM580_REG_OCMF_STATE};
    uint32_t k = from;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        while (k < s_mb.nlog && s_mb.log[k].addr != order[i]) {
            assert_true(s_mb.log[k].addr < 0x2400 || s_mb.log[k].addr == EM580_REG_DEVSTATE);
            k++;
        }
        assert_true(k < s_mb.nlog);
        if (i > 0 && i < 11) {
            assert_int_equal(s_mb.log[k].fn, HAL_MODBUS_WRITE_MULTIPLE);
        }
        k++;
    }
    assert_int_equal(s_mb.regs[EM580_REG_CMD], 'B');
    assert_int_equal(s_mb.regs[EM580_REG_IT], 10);
    assert_int_equal(s_mb.regs[EM580_REG_IF], 1);
    assert_int_equal(s_dev.begins, 1);
    assert_string_equal(em580_txid(&s_em), s_tx.txid);
    /* start while running is refused: stop first */
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_ESTATE);

    fake_em580_set_energy(&s_dev, 1244567);
    s_dev.ready_after_reads = 3;
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_EBUSY);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.job, EM580_JOB_STOP);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.confirm_pending);
    assert_false(r.recovered);
    size_t len = 0;
    const char *rec = em580_ocmf(&s_em, &len);
    assert_non_null(rec);
    struct ocmf_record o;
    assert_int_equal(ocmf_parse(&o, rec, len), HAL_OK);
    char txid[40];
    assert_int_equal(ocmf_txid(&o, txid, sizeof txid), HAL_OK);
    assert_string_equal(txid, s_tx.txid);
    int64_t wh;
    assert_int_equal(ocmf_reading_wh(&o, 1, &wh), HAL_OK);
    assert_true(wh == 1244567);
    /* still on the meter until confirmed */
    assert_int_equal(fake_em580_state(&s_dev), EM580_OCMF_READY);
    assert_false(em580_tx_active(&s_em));
    assert_int_equal(em580_confirm(&s_em), HAL_OK);
    r = wait_result(200);
    assert_int_equal(r.job, EM580_JOB_CONFIRM);
    assert_int_equal(r.status, HAL_OK);
    assert_int_equal(fake_em580_state(&s_dev), EM580_OCMF_NOT_READY);
    assert_int_equal(s_dev.confirms, 1);
    assert_int_equal(em580_confirm(&s_em), HAL_ESTATE);
}

/* An OCMF file is text: a NUL inside it (found by fuzz_em580) would make the record's
 * length and its C string disagree, so whoever stores or parses it sees a different
 * record. It is refused as a malformed record, like a file that is not OCMF. */
static void test_record_with_nul_is_refused(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    s_dev.ready_after_reads = 3;
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    for (int i = 0; i < 2000 && s_dev.ends == 0; i++) {
        run(1);
    }
    assert_int_equal(s_dev.ends, 1);
    s_mb.regs[0x7110 + 10] = 0x4100; /* "A\0" in the middle of the payload */
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.job, EM580_JOB_STOP);
    assert_int_equal(r.status, HAL_EPROTO);
    assert_int_equal(r.error, EM580_ERR_RECORD);
    assert_null(em580_ocmf(&s_em, NULL));
}

static void test_tariff_text_truncated_keeps_txid(void **state)
{
    (void)state;
    setup_dev(false);
    char longtt[400];
    memset(longtt, 'x', sizeof longtt - 1);
    longtt[sizeof longtt - 1] = '\0';
    struct em580_tx tx = s_tx;
    tx.tariff_text = longtt;
    assert_int_equal(em580_start(&s_em, &tx), HAL_OK);
    struct em580_result r = wait_result(200);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.tt_truncated);
    int i = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_TT, 0);
    assert_int_equal(s_mb.log[i].count, 126); /* 251 characters + NUL */
    assert_int_equal(s_mb.regs[EM580_REG_TT + 125] & 0xff, 0);
    /* the id survives at the end of TT */
    char tt[260];
    for (unsigned k = 0; k < 126; k++) {
        tt[2 * k] = (char)(s_mb.regs[EM580_REG_TT + k] >> 8);
        tt[2 * k + 1] = (char)(s_mb.regs[EM580_REG_TT + k] & 0xff);
    }
    tt[252] = '\0';
    assert_int_equal(strlen(tt), 251);
    assert_string_equal(tt + 251 - 36, s_tx.txid);
    assert_memory_equal(tt + 251 - 39, "<=>", 3);
}

static void test_start_rejects_bad_ids(void **state)
{
    (void)state;
    setup_dev(false);
    struct em580_tx tx = s_tx;
    tx.evse_id = "0123456789012345678901234567890123456789"; /* 40 > 39 */
    assert_int_equal(em580_start(&s_em, &tx), HAL_EINVAL);
    tx = s_tx;
    tx.txid = "";
    assert_int_equal(em580_start(&s_em, &tx), HAL_EINVAL);
    tx = s_tx;
    tx.level = 10;
    assert_int_equal(em580_start(&s_em, &tx), HAL_EINVAL);
    assert_int_equal(em580_start(&s_em, NULL), HAL_EINVAL);
}

static void test_start_ends_old_transaction_first(void **state)
{
    (void)state;
    setup_dev(false);
    /* the meter still runs a transaction we do not know of (state written behind our back) */
    s_mb.regs[EM580_REG_OCMF_STATE] = EM580_OCMF_RUNNING;
    s_dev.start_wh = 100;
    uint32_t from = s_mb.nlog;
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.orphan);
    int e = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_CMD, from);
    assert_true(e >= 0);
    assert_int_equal(s_mb.log[e].first, 'E');
    int b = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_CMD, (uint32_t)e + 1);
    assert_true(b > e);
    assert_int_equal(s_mb.log[b].first, 'B');
    assert_int_equal(s_dev.confirms, 1); /* the orphan was read and confirmed before 'B' */
    assert_non_null(em580_ocmf(&s_em, NULL));
}

static void test_no_clock_set_during_transaction(void **state)
{
    (void)state;
    setup_dev(false);
    assert_int_equal(em580_time_sync(&s_em, 1767225600, 2000), HAL_EINVAL);
    assert_int_equal(em580_time_sync(&s_em, 1767225600, 60), HAL_OK);
    struct em580_result r = wait_result(200);
    assert_int_equal(r.status, HAL_OK);
    assert_int_equal(s_mb.regs[EM580_REG_UTC], (uint16_t)(1767225600u & 0xffff));
    assert_int_equal(s_mb.regs[EM580_REG_UTC + 1], (uint16_t)(1767225600u >> 16));
    assert_int_equal(s_mb.regs[EM580_REG_TZ], 60);
    start_ok();
    uint32_t utc = fake_modbus_count(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_UTC);
    assert_int_equal(em580_time_sync(&s_em, 1767229200, 60), HAL_ESTATE);
    run(25000);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_UTC), utc);
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    /* stopped but not yet confirmed: still no clock */
    assert_int_equal(em580_time_sync(&s_em, 1767229200, 60), HAL_ESTATE);
    assert_int_equal(em580_confirm(&s_em), HAL_OK);
    wait_result(200);
    assert_int_equal(em580_time_sync(&s_em, 1767229200, 60), HAL_OK);
}

static void test_retries_then_success(void **state)
{
    (void)state;
    setup_dev(false);
    uint32_t n0 = s_mb.nlog;
    s_mb.timeouts_next = 2;
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    struct em580_result r = wait_result(5000);
    assert_int_equal(r.status, HAL_OK);
    /* the first request was sent three times */
    assert_int_equal(s_mb.log[n0].addr, s_mb.log[n0 + 1].addr);
    assert_int_equal(s_mb.log[n0].addr, s_mb.log[n0 + 2].addr);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
}

static void test_comm_failure_within_budget_and_redetect(void **state)
{
    (void)state;
    setup_dev(false);
    /* A fake that answers "timeout" only after the timeout: model with latency polls. */
    s_mb.offline = true;
    s_mb.latency_polls = 1000; /* each attempt takes the full 1 s timeout */
    uint32_t t0 = s_now;
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    struct em580_result r = wait_result(10000);
    uint32_t took = s_now - t0;
    assert_int_equal(r.status, HAL_ETIMEDOUT);
    assert_int_equal(r.error, EM580_ERR_COMM);
    assert_true(took < 4500u);
    assert_true(took >= 3000u);
    assert_int_equal(em580_phase(&s_em), EM580_PH_FAILED);
    struct em580_live lv;
    assert_int_equal(em580_live(&s_em, &lv), HAL_ETIMEDOUT);
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_EAGAIN);
    /* it comes back: after the pause the meter is detected again */
    s_mb.offline = false;
    s_mb.latency_polls = 0;
    run(11000);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
    assert_int_equal(em580_error(&s_em), EM580_ERR_NONE);
    assert_int_equal(em580_live(&s_em, &lv), HAL_OK);
}

static void test_exception_is_reported_without_retry(void **state)
{
    (void)state;
    setup_dev(false);
    s_mb.exc_addr = EM580_REG_CI;
    s_mb.exc_count = 1;
    s_mb.exc_code = 4;
    uint32_t n0 = s_mb.nlog;
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_EPROTO);
    assert_int_equal(r.error, EM580_ERR_EXCEPTION);
    assert_int_equal(r.exception, 4);
    int i = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_CI, n0);
    assert_true(i >= 0);
    assert_int_equal(fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_CI, (uint32_t)i + 1), -1);
    assert_int_equal(s_dev.begins, 0);
    assert_false(em580_tx_active(&s_em));
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY); /* the link is fine */
}

static void test_corrupted_after_end(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    s_dev.corrupt_on_end = true;
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_EIO);
    assert_int_equal(r.error, EM580_ERR_OCMF_CORRUPTED);
    assert_null(em580_ocmf(&s_em, NULL));
    /* a start on a CORRUPTED meter fails too */
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK);
    r = wait_result(2000);
    assert_int_equal(r.error, EM580_ERR_OCMF_CORRUPTED);
}

static void test_ready_never_comes(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    s_dev.ready_after_reads = 1000;
    uint32_t t0 = s_now;
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    struct em580_result r = wait_result(5000);
    assert_int_equal(r.status, HAL_ETIMEDOUT);
    assert_int_equal(r.error, EM580_ERR_STOP_TIMEOUT);
    assert_true(s_now - t0 >= 1000u && s_now - t0 < 1500u); /* 10 polls, 100 ms apart */
}

static void test_ready_during_transaction_is_error(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    fake_em580_reboot(&s_dev, true); /* the meter closed it itself */
    run(11000);                      /* the monitor read comes with the device-state read */
    assert_int_equal(em580_error(&s_em), EM580_ERR_OCMF_CLOSED);
    assert_false(em580_tx_active(&s_em));
    /* the record is still collected by the stop for this transaction */
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.recovered);
    assert_int_equal(em580_error(&s_em), EM580_ERR_NONE);
}

static void test_recovery_running_at_boot(void **state)
{
    (void)state;
    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, false);
    s_mb.regs[EM580_REG_OCMF_STATE] = EM580_OCMF_RUNNING;
    fake_modbus_put_string(&s_mb, EM580_REG_TT, 126, "tariff<=>old<=>abc-123");
    struct em580_config cfg;
    em580_config_default(&cfg);
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_OK);
    s_now = 5;
    run(50);
    assert_true(em580_tx_active(&s_em));
    assert_string_equal(em580_txid(&s_em), "abc-123");
    assert_int_equal(em580_stop(&s_em, "abc-123"), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    assert_int_equal(s_dev.ends, 1);
}

static void test_recovery_ready_at_boot_matches_txid(void **state)
{
    (void)state;
    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, false);
    fake_modbus_put_string(&s_mb, EM580_REG_TT, 126, "<=>tx-A");
    s_mb.regs[EM580_REG_OCMF_STATE] = EM580_OCMF_RUNNING;
    fake_em580_reboot(&s_dev, true); /* READY with tx-A's record */
    struct em580_config cfg;
    em580_config_default(&cfg);
    assert_int_equal(em580_init(&s_em, &s_mb.base, &cfg), HAL_OK);
    run(50);
    assert_false(em580_tx_active(&s_em));
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_OK); /* would lose it: but allowed */
    em580_init(&s_em, &s_mb.base, &cfg);                  /* (reboot the driver instead) */
    run(50);
    assert_int_equal(em580_stop(&s_em, "tx-B"), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_ESTATE);
    assert_int_equal(r.error, EM580_ERR_TXID_MISMATCH);
    assert_int_equal(s_dev.confirms, 0); /* not ours: left on the meter */
    assert_int_equal(fake_em580_state(&s_dev), EM580_OCMF_READY);
    assert_int_equal(em580_stop(&s_em, "tx-A"), HAL_OK);
    r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.recovered);
    assert_int_equal(em580_confirm(&s_em), HAL_OK);
    wait_result(200);
    assert_int_equal(fake_em580_state(&s_dev), EM580_OCMF_NOT_READY);
}

static void test_meter_power_loss_during_transaction(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    s_mb.offline = true; /* meter off for ~6 s */
    fake_em580_reboot(&s_dev, true);
    run(6000);
    assert_int_equal(em580_phase(&s_em), EM580_PH_FAILED);
    s_mb.offline = false;
    run(12000);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
    assert_int_equal(em580_error(&s_em), EM580_ERR_OCMF_CLOSED);
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
    assert_true(r.recovered);
}

static void test_transaction_lost_by_meter(void **state)
{
    (void)state;
    setup_dev(false);
    start_ok();
    fake_em580_reboot(&s_dev, false);
    assert_int_equal(em580_stop(&s_em, s_tx.txid), HAL_OK);
    struct em580_result r = wait_result(2000);
    assert_int_equal(r.status, HAL_ESTATE);
    assert_int_equal(r.error, EM580_ERR_NO_TRANSACTION);
    /* the answer of that stop, not a device fault: the meter stays healthy */
    assert_int_equal(em580_error(&s_em), EM580_ERR_NONE);
    /* clean-up stop with no id succeeds on an idle meter */
    assert_int_equal(em580_stop(&s_em, ""), HAL_OK);
    r = wait_result(2000);
    assert_int_equal(r.status, HAL_OK);
}

static void test_device_state_and_no_key(void **state)
{
    (void)state;
    setup_dev(false);
    s_mb.regs[EM580_REG_DEVSTATE] = 1u << 12;
    run(11000);
    assert_int_equal(em580_devstate(&s_em), 1u << 12);
    assert_int_equal(em580_error(&s_em), EM580_ERR_DEVICE_STATE);
    s_mb.regs[EM580_REG_DEVSTATE] = 0;
    run(10500);
    assert_int_equal(em580_error(&s_em), EM580_ERR_NONE);

    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, false);
    s_mb.regs[EM580_REG_SIGTYPE] = 7;
    struct em580_config cfg;
    em580_config_default(&cfg);
    em580_init(&s_em, &s_mb.base, &cfg);
    run(50);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
    assert_int_equal(em580_error(&s_em), EM580_ERR_NO_KEY);
    assert_int_equal(em580_start(&s_em, &s_tx), HAL_ENOTSUP);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_INPUT, EM580_REG_PUBKEY), 0);
}

static void test_shared_bus_busy_and_slow_replies(void **state)
{
    (void)state;
    fake_modbus_init(&s_mb);
    fake_em580_init(&s_dev, &s_mb, false);
    s_mb.latency_polls = 30; /* 9600 baud-like: each reply takes 30 passes */
    struct em580_config cfg;
    em580_config_default(&cfg);
    em580_init(&s_em, &s_mb.base, &cfg);
    s_now = 0;
    run(1000);
    assert_int_equal(em580_phase(&s_em), EM580_PH_READY);
    /* somebody else holds the bus: the driver waits, then goes on */
    s_mb.busy = true;
    s_mb.req.unit = 9;
    s_mb.req.regs = s_mb.regs;
    run(20);
    s_mb.busy = false;
    start_ok();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_words),
        cmocka_unit_test(test_decode_live_and_energy),
        cmocka_unit_test(test_init_rejects_retry_budget),
        cmocka_unit_test(test_first_step_at_any_time),
        cmocka_unit_test(test_energy_out_of_range_is_refused),
        cmocka_unit_test(test_record_with_nul_is_refused),
        cmocka_unit_test(test_detect_em580),
        cmocka_unit_test(test_detect_em300_is_live_only),
        cmocka_unit_test(test_transaction_flow),
        cmocka_unit_test(test_tariff_text_truncated_keeps_txid),
        cmocka_unit_test(test_start_rejects_bad_ids),
        cmocka_unit_test(test_start_ends_old_transaction_first),
        cmocka_unit_test(test_no_clock_set_during_transaction),
        cmocka_unit_test(test_retries_then_success),
        cmocka_unit_test(test_comm_failure_within_budget_and_redetect),
        cmocka_unit_test(test_exception_is_reported_without_retry),
        cmocka_unit_test(test_corrupted_after_end),
        cmocka_unit_test(test_ready_never_comes),
        cmocka_unit_test(test_ready_during_transaction_is_error),
        cmocka_unit_test(test_recovery_running_at_boot),
        cmocka_unit_test(test_recovery_ready_at_boot_matches_txid),
        cmocka_unit_test(test_meter_power_loss_during_transaction),
        cmocka_unit_test(test_transaction_lost_by_meter),
        cmocka_unit_test(test_device_state_and_no_key),
        cmocka_unit_test(test_shared_bus_busy_and_slow_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
