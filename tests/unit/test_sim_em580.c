/* Unit tests of the simulation layer's EM580/EM300 register model (sim/sim_em580_dev.c) on
 * the in-memory Modbus, read by the REAL EM580 driver (protocols/em580 +
 * firmware/meter_em580.c) under the real meter session and journal: a signed transaction
 * with its OCMF record verified, energy from the DC power, an unsigned EM300, and the
 * register-level faults (silent meter, lost stop answers, corrupted signature). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_nvs.h"
#include "hal_crypto.h"
#include "journal.h"
#include "meter.h"
#include "meter_em580.h"
#include "sha256/sha256.h"
#include "sim_em580_dev.h"
#include "sim_modbus.h"

static const uint8_t s_pub[65] = {0x04, 'T', 'E', 'S', 'T', '-', 'K', 'E', 'Y'};

/* The model's "signature": r = SHA-256("r" || digest), s = SHA-256("s" || digest). */
static void test_sig(const uint8_t *digest, size_t len, uint8_t sig[64])
{
    for (int i = 0; i < 2; i++) {
        struct sha256 h;
        sha256_init(&h);
        sha256_update(&h, (const uint8_t *)(i == 0 ? "r" : "s"), 1);
        sha256_update(&h, digest, len);
        sha256_final(&h, sig + 32 * i);
    }
}
static int sign(void *ctx, const char *payload, size_t len, char *sd, size_t cap)
{
    (void)ctx;
    uint8_t digest[32], sig[64];
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, (const uint8_t *)payload, len);
    sha256_final(&h, digest);
    test_sig(digest, 32, sig);
    assert_true(cap > 128u);
    for (size_t i = 0; i < 64u; i++) {
        snprintf(sd + 2u * i, 3, "%02X", sig[i]);
    }
    return 0;
}
static unsigned s_verifies;
static int verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len,
                  const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)c;
    s_verifies++;
    if (curve != HAL_CRYPTO_BRAINPOOL256R1 || pub_len != sizeof s_pub || memcmp(pub, s_pub, pub_len) != 0) {
        return HAL_ENOTSUP;
    }
    uint8_t want[64];
    test_sig(digest, digest_len, want);
    return sig_len == 64 && memcmp(sig, want, 64) == 0 ? HAL_OK : HAL_EPROTO;
}
static const struct hal_crypto_ops s_crypto_ops = {.ecdsa_verify = verify};
static struct hal_crypto s_crypto = {.ops = &s_crypto_ops};

static struct sim_modbus s_bus;
static struct sim_em580_dev s_dev;
static struct fake_nvs s_nvs;
static struct journal s_j;
static struct meter_em580 s_m;
static struct meter_session s_s;
static uint32_t s_now;

static void step(uint32_t ms, int32_t mv, int32_t ma)
{
    for (uint32_t i = 0; i < ms; i++) {
        sim_modbus_tick(&s_bus, s_now);
        sim_em580_dev_tick(&s_dev, s_now, mv, ma);
        em580_step(&s_m.em, s_now);
        meter_session_step(&s_s, s_now);
        s_now++;
    }
}

static void setup(bool em300)
{
    s_now = 100;
    s_verifies = 0;
    sim_modbus_init(&s_bus, 10);
    const struct sim_em580_config dc = {.em300 = em300, .pub = s_pub, .pub_len = sizeof s_pub,
                                        .import_wh = 1000000, .unix_epoch_s = 1767225600, .sign = sign};
    sim_em580_dev_init(&s_dev, &dc);
    assert_int_equal(sim_modbus_attach(&s_bus, &s_dev.slave), HAL_OK);
    fake_nvs_init(&s_nvs);
    struct em580_config cfg;
    em580_config_default(&cfg);
    assert_int_equal(meter_em580_init(&s_m, &s_bus.base, &cfg), HAL_OK);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    meter_session_init(&s_s, &s_m.base, &s_j, &s_crypto);
    sim_modbus_tick(&s_bus, s_now);
    step(3000, 0, 0);
}

static bool wait_event(struct meter_event *ev, uint32_t max_ms, int32_t mv, int32_t ma)
{
    for (uint32_t i = 0; i < max_ms; i++) {
        if (meter_session_event(&s_s, ev) == HAL_OK) {
            return true;
        }
        step(1, mv, ma);
    }
    return false;
}

static const struct meter_tx_req s_req = {.txid = "11111111-2222-3333-4444-555555555555",
                                          .evse_id = "DE*SIM*E1", .id_data = "", .assigned = false};

static void test_signed_transaction_verified(void **state)
{
    (void)state;
    setup(false);
    uint32_t err = 0;
    assert_int_equal(meter_status(&s_m.base, &err), HAL_OK);
    uint8_t pub[80];
    size_t len = 0;
    enum hal_crypto_curve curve;
    assert_int_equal(meter_pubkey(&s_m.base, pub, sizeof pub, &len, &curve), HAL_OK);
    assert_int_equal(len, 65u);
    assert_memory_equal(pub, s_pub, 65);
    assert_int_equal(meter_session_start(&s_s, &s_req, s_now), HAL_OK);
    struct meter_event ev;
    assert_true(wait_event(&ev, 3000, 0, 0));
    assert_int_equal(ev.kind, METER_EV_STARTED);
    assert_true(sim_em580_dev_tx_open(&s_dev));
    /* 400 V x 100 A for 9 s = 100 Wh */
    step(9000, 400000, 100000);
    assert_true(s_dev.import_wh == 1000100);
    struct meter_live lv;
    assert_int_equal(meter_live(&s_m.base, &lv), HAL_OK);
    assert_true(lv.import_wh >= 1000090);
    assert_int_equal(meter_session_stop(&s_s, s_now), HAL_OK);
    assert_true(wait_event(&ev, 5000, 0, 0));
    assert_int_equal(ev.kind, METER_EV_STOPPED);
    assert_int_equal(ev.status, HAL_OK);
    assert_int_equal(ev.verify, HAL_OK);
    assert_true(s_verifies >= 1u);
    struct journal_entry e;
    assert_int_equal(journal_get(&s_j, ev.seq, &e), HAL_OK);
    assert_int_equal(e.state, JOURNAL_CLOSED);
    assert_true(e.verified);
    assert_non_null(strstr(e.ocmf, s_req.txid));
    assert_non_null(strstr(e.ocmf, "\"RV\":1000.100"));
    step(1000, 0, 0);
    assert_int_equal(s_dev.confirms, 1u); /* the record was acknowledged after the journal */
    assert_false(sim_em580_dev_tx_open(&s_dev));
}

static void test_corrupted_signature_is_caught(void **state)
{
    (void)state;
    setup(false);
    assert_int_equal(meter_session_start(&s_s, &s_req, s_now), HAL_OK);
    struct meter_event ev;
    assert_true(wait_event(&ev, 3000, 0, 0));
    s_dev.corrupt_next = true;
    assert_int_equal(meter_session_stop(&s_s, s_now), HAL_OK);
    assert_true(wait_event(&ev, 5000, 0, 0));
    assert_int_equal(ev.kind, METER_EV_STOPPED);
    assert_int_equal(ev.verify, HAL_EPROTO);
}

static void test_lost_stop_answers_keep_the_transaction_open(void **state)
{
    (void)state;
    setup(false);
    assert_int_equal(meter_session_start(&s_s, &s_req, s_now), HAL_OK);
    struct meter_event ev;
    assert_true(wait_event(&ev, 3000, 0, 0));
    s_dev.lose_stops = 10; /* more than the driver's attempts */
    assert_int_equal(meter_session_stop(&s_s, s_now), HAL_OK);
    assert_true(wait_event(&ev, 20000, 0, 0));
    assert_int_equal(ev.kind, METER_EV_STOP_FAILED); /* the transaction stays open */
    assert_int_not_equal(ev.status, HAL_OK);
    assert_true(s_dev.lost_stops >= 1u);
    assert_int_equal(s_dev.ends, 0u);
    assert_true(sim_em580_dev_tx_open(&s_dev)); /* the meter never heard the end */
}

static void test_silent_meter_times_out(void **state)
{
    (void)state;
    setup(false);
    s_dev.slave.silent = true;
    step(20000, 0, 0);
    uint32_t err = 0;
    assert_int_equal(meter_status(&s_m.base, &err), HAL_ETIMEDOUT);
    assert_true(s_bus.stats.timeouts > 0u);
    s_dev.slave.silent = false;
    step(20000, 0, 0);
    assert_int_equal(meter_status(&s_m.base, &err), HAL_OK);
}

/* One request straight to the model, as the emulator serves one off a real wire. */
static uint8_t serve(uint8_t fn, uint16_t addr, uint16_t count, uint16_t *regs, uint32_t now)
{
    struct hal_modbus_req req = {.unit = 1, .fn = (enum hal_modbus_fn)fn, .addr = addr, .count = count,
                                 .regs = regs};
    return sim_mb_slave_serve(&s_dev.slave, &req, now);
}

static uint16_t s_io[64];

static uint16_t write_cmd(uint16_t cmd, uint32_t now)
{
    s_io[0] = cmd;
    return serve(HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_CMD, 1, s_io, now);
}

static uint16_t ocmf_state(uint32_t now)
{
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, EM580_REG_OCMF_STATE, 1, s_io, now), 0);
    return s_io[0];
}

/* The code shows only on a read of 0x000B alone; the EM300 refuses the OCMF registers and
 * the 52-word live block (the fact sheet, sections 2, 3.1 and 7). */
static void test_identification_and_em300_limits(void **state)
{
    (void)state;
    const struct sim_em580_config c580 = {.pub = s_pub, .pub_len = sizeof s_pub, .sign = sign};
    sim_em580_dev_init(&s_dev, &c580);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, EM580_REG_IDENT, 1, s_io, 1), 0);
    assert_int_equal(s_io[0], 120);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, 0, EM580_LIVE_WORDS, s_io, 1), 0);
    assert_int_not_equal(s_io[EM580_REG_IDENT], 120);
    const struct sim_em580_config c300 = {.em300 = true};
    sim_em580_dev_init(&s_dev, &c300);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, EM580_REG_IDENT, 1, s_io, 1), 0);
    assert_int_equal(s_io[0], 340);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, 0, EM580_LIVE_WORDS, s_io, 1), 3);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, 0, 50, s_io, 1), 0);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, EM580_REG_OCMF_STATE, 1, s_io, 1), 2);
    s_dev.exc_code = 4;
    s_dev.exc_addr = 0x0002;
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, 0, 4, s_io, 1), 4);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, 0x0010, 2, s_io, 1), 0);
}

/* READY comes the configured delay after 'E'; 'A' drops a running transaction; a power
 * loss planned after 'B' makes the meter deaf for 6 s and close the transaction itself. */
static void test_end_delay_abort_and_power_loss(void **state)
{
    (void)state;
    const struct sim_em580_config cfg = {.pub = s_pub, .pub_len = sizeof s_pub, .import_wh = 5000, .sign = sign};
    sim_em580_dev_init(&s_dev, &cfg);
    s_dev.ready_delay_ms = 200;
    sim_em580_dev_tick_ac(&s_dev, 1000, 0.0); /* no load before the transaction */
    assert_int_equal(write_cmd('B', 1000), 0);
    assert_int_equal(ocmf_state(1000), 1);
    sim_em580_dev_tick_ac(&s_dev, 1000 + 3600, 11000.0); /* 11 kW for 3.6 s = 11 Wh */
    assert_true(s_dev.import_wh == 5011);
    assert_int_equal(write_cmd('E', 4600), 0);
    sim_em580_dev_tick_ac(&s_dev, 4799, 11000.0);
    assert_int_equal(ocmf_state(4799), 1);
    assert_int_equal(s_dev.ends, 0u);
    sim_em580_dev_tick_ac(&s_dev, 4800, 11000.0);
    assert_int_equal(ocmf_state(4800), 2);
    assert_int_equal(s_dev.ends, 1u);
    assert_non_null(strstr(s_dev.payload, "\"RV\":5.011"));
    s_io[0] = 0;
    assert_int_equal(serve(HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_OCMF_STATE, 1, s_io, 4801), 0);
    assert_int_equal(s_dev.confirms, 1u);
    assert_int_equal(write_cmd('B', 5000), 0);
    assert_int_equal(write_cmd('A', 5001), 0);
    assert_int_equal(ocmf_state(5002), 0);
    assert_int_equal(s_dev.aborts, 1u);
    s_dev.reboot_after_ms = 1000;
    assert_int_equal(write_cmd('B', 6000), 0);
    sim_em580_dev_tick_ac(&s_dev, 7000, 0.0);
    assert_int_equal(s_dev.reboots, 1u);
    assert_int_equal(serve(HAL_MODBUS_READ_INPUT, EM580_REG_OCMF_STATE, 1, s_io, 7001), SIM_MB_NO_ANSWER);
    sim_em580_dev_tick_ac(&s_dev, 13000, 0.0);
    assert_int_equal(ocmf_state(13000), 2); /* closed by the meter itself, record waiting */
    assert_int_equal(s_dev.ends, 2u);
}

static void test_em300_is_unsigned(void **state)
{
    (void)state;
    setup(true);
    uint8_t pub[80];
    size_t len = 0;
    enum hal_crypto_curve curve;
    assert_int_not_equal(meter_pubkey(&s_m.base, pub, sizeof pub, &len, &curve), HAL_OK);
    struct meter_live lv;
    step(2000, 0, 0);
    assert_int_equal(meter_live(&s_m.base, &lv), HAL_OK);
    assert_true(lv.import_wh == 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_transaction_verified),
        cmocka_unit_test(test_corrupted_signature_is_caught),
        cmocka_unit_test(test_lost_stop_answers_keep_the_transaction_open),
        cmocka_unit_test(test_silent_meter_times_out),
        cmocka_unit_test(test_em300_is_unsigned),
        cmocka_unit_test(test_identification_and_em300_limits),
        cmocka_unit_test(test_end_delay_abort_and_power_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
