/* Unit tests of the OCPP 1.6J charge point core against a scripted CSMS: registration
 * (Pending/Rejected waits, nothing before acceptance), statuses then queue, the offline queue
 * delivered in order exactly once with the real transaction id and the signed OCMF record,
 * CALLERROR attempts, every incoming CALL answered with the right result or CALLERROR,
 * configuration keys, Authorize, time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp_test_csms.h"

#include "fake_ocpp_ops.h"
#include "ocpp/ocpp_cp.h"

static struct ocpp_cp s_cp;
static struct ocpp_json s_j; /* to read what the charge point sent */
static uint32_t s_now;

static struct {
    int remote_start, remote_stop, reset, unlock, avail, deauthorize;
    unsigned last_conn;
    char last_tag[32];
    bool last_hard, last_operative;
    int auth_calls;
    enum ocpp_auth last_auth;
    uint32_t delivered[16];
    int ndelivered;
    int persists;
    int64_t time_set;
    uint32_t started_tx[8];
    int32_t started_id[8];
    int nstarted;
    int rc; /* what the station answers */
} s_fake;

static int f_remote_start(void *ctx, unsigned c, const char *tag)
{
    (void)ctx;
    s_fake.remote_start++;
    s_fake.last_conn = c;
    strcpy(s_fake.last_tag, tag);
    return s_fake.rc;
}
static int f_remote_stop(void *ctx, unsigned c)
{
    (void)ctx;
    s_fake.remote_stop++;
    s_fake.last_conn = c;
    return s_fake.rc;
}
static int f_deauthorize(void *ctx, unsigned c)
{
    (void)ctx;
    s_fake.deauthorize++;
    s_fake.last_conn = c;
    return s_fake.rc;
}
static int f_reset(void *ctx, bool hard)
{
    (void)ctx;
    s_fake.reset++;
    s_fake.last_hard = hard;
    return s_fake.rc;
}
static int f_unlock(void *ctx, unsigned c)
{
    (void)ctx;
    s_fake.unlock++;
    s_fake.last_conn = c;
    return s_fake.rc;
}
static int f_avail(void *ctx, unsigned c, bool op)
{
    (void)ctx;
    s_fake.avail++;
    s_fake.last_conn = c;
    s_fake.last_operative = op;
    return s_fake.rc;
}
static void f_authorized(void *ctx, unsigned c, const char *tag, enum ocpp_auth a)
{
    (void)ctx;
    s_fake.auth_calls++;
    s_fake.last_conn = c;
    strcpy(s_fake.last_tag, tag);
    s_fake.last_auth = a;
}
static void f_delivered(void *ctx, uint32_t tx)
{
    (void)ctx;
    s_fake.delivered[s_fake.ndelivered++] = tx;
}
static const char k_ocmf[] = "OCMF|{\"RD\":[]}|{\"SD\":\"00\"}";
static size_t f_signed(void *ctx, uint32_t tx, const char **ocmf)
{
    (void)ctx;
    if (tx == 7) {
        *ocmf = k_ocmf;
        return sizeof k_ocmf - 1u;
    }
    return 0;
}
static void f_time(void *ctx, int64_t t)
{
    (void)ctx;
    s_fake.time_set = t;
}
static void f_persist(void *ctx)
{
    (void)ctx;
    s_fake.persists++;
}

static void f_started(void *ctx, uint32_t tx, int32_t id)
{
    (void)ctx;
    s_fake.started_tx[s_fake.nstarted] = tx;
    s_fake.started_id[s_fake.nstarted++] = id;
}

/* connector 1's meter tells a key (a short stand-in for its DER), connector 2's none */
static const uint8_t k_der[] = {0x30, 0x03, 0x02, 0x01, 0xAB};
static size_t f_meter_key(void *ctx, unsigned c, uint8_t *der, size_t cap)
{
    (void)ctx;
    if (c != 1 || cap < sizeof k_der) {
        return 0;
    }
    memcpy(der, k_der, sizeof k_der);
    return sizeof k_der;
}

static const struct ocpp_cp_ops k_ops = {f_remote_start, f_remote_stop, f_reset,   f_unlock,
                                         f_avail,        f_authorized,  f_delivered, f_signed,
                                         f_time,         f_persist,     f_started,  f_meter_key,
                                         f_deauthorize};

static int setup(void **state)
{
    (void)state;
    memset(&s_fake, 0, sizeof s_fake);
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 0x100u);
    s_now = 1000;
    return 0;
}

/* The frame the charge point sends now (poll), parsed; NULL if none. */
static const char *sent(void)
{
    return ocpp_test_sent(&s_cp, &s_j, s_now);
}

/* Assert the frame is a CALL of @p action; returns the payload token. */
static int expect_call(const char *action)
{
    return ocpp_test_expect_call(&s_cp, &s_j, s_now, action);
}

static void reply(const char *payload)
{
    ocpp_test_reply(&s_cp, s_now, payload);
}

static void reply_error(const char *code)
{
    char buf[256];
    snprintf(buf, sizeof buf, "[4,\"%s\",\"%s\",\"no\",{}]", s_cp.rpc.out_id, code);
    ocpp_cp_rx(&s_cp, buf, strlen(buf), s_now);
}

static int64_t get_int(int obj, const char *key)
{
    int64_t v = -99999;
    assert_int_equal(ocpp_json_int(&s_j, ocpp_json_get(&s_j, obj, key), &v), HAL_OK);
    return v;
}

static void boot_accepted(void)
{
    ocpp_cp_connected(&s_cp, s_now);
    expect_call("BootNotification");
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:00:00.123Z\",\"interval\":60}");
    assert_int_equal(s_cp.reg, OCPP_REG_ACCEPTED);
    for (int c = 0; c <= 2; c++) {
        int p = expect_call("StatusNotification");
        assert_int_equal(get_int(p, "connectorId"), c);
        reply("{}");
    }
}

static void test_boot(void **state)
{
    (void)state;
    /* a transaction before the link: queued, but nothing but BootNotification goes first */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 5, "TAG", 100, 1700000000), HAL_OK);
    assert_null(sent()); /* offline */
    ocpp_cp_connected(&s_cp, s_now);
    int p = expect_call("BootNotification");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "chargePointVendor"), "Acme"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "firmwareVersion"), "1.0"));
    assert_int_equal(ocpp_json_get(&s_j, p, "meterType"), -1); /* absent optional: omitted */
    assert_null(sent()); /* one CALL at a time */
    reply("{\"status\":\"Pending\",\"currentTime\":\"2026-03-01T12:00:00Z\",\"interval\":5}");
    assert_int_equal(s_cp.reg, OCPP_REG_PENDING);
    assert_true(s_fake.time_set == 1772366400);
    s_now += 4999;
    assert_null(sent()); /* Pending: nothing until interval */
    /* Pending: a remote start is refused, configuration is answered */
    ocpp_cp_rx(&s_cp, "[2,\"r1\",\"RemoteStartTransaction\",{\"idTag\":\"X\"}]", strlen("[2,\"r1\",\"RemoteStartTransaction\",{\"idTag\":\"X\"}]"), s_now);
    assert_non_null(strstr(sent(), "\"Rejected\""));
    assert_int_equal(s_fake.remote_start, 0);
    s_now += 1;
    expect_call("BootNotification");
    reply("{\"status\":\"Rejected\",\"currentTime\":\"2026-03-01T12:00:05Z\",\"interval\":0}");
    assert_int_equal(s_cp.reg, OCPP_REG_REJECTED);
    /* Rejected: CALLs other than configuration get SecurityError */
    ocpp_cp_rx(&s_cp, "[2,\"r2\",\"Reset\",{\"type\":\"Soft\"}]", strlen("[2,\"r2\",\"Reset\",{\"type\":\"Soft\"}]"), s_now);
    assert_non_null(strstr(sent(), "SecurityError"));
    s_now += 29999;
    assert_null(sent()); /* interval 0: our own 30 s */
    s_now += 1;
    expect_call("BootNotification");
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:01:00Z\",\"interval\":60}");
    assert_int_equal(s_cp.cfg.heartbeat_interval_s, 60);
    for (int c = 0; c <= 2; c++) {
        expect_call("StatusNotification");
        reply("{}");
    }
    expect_call("StartTransaction");
    reply("{\"transactionId\":1,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_null(sent());
    s_now += 59999;
    assert_null(sent());
    s_now += 1;
    expect_call("Heartbeat");
    reply("{\"currentTime\":\"2026-03-01T13:01:00+01:00\"}");
    assert_true(s_fake.time_set == 1772366400 + 60);
    /* a reconnect after acceptance sends no BootNotification */
    ocpp_cp_disconnected(&s_cp);
    ocpp_cp_connected(&s_cp, s_now);
    assert_null(sent());
}

static void test_offline_queue(void **state)
{
    (void)state;
    /* a whole transaction while offline, plus one started before */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "A", 1000, 1700000000), HAL_OK);
    assert_int_equal(ocpp_cp_meter(&s_cp, 6, 1500, 1700000060, s_now), HAL_OK);
    assert_int_equal(ocpp_cp_meter(&s_cp, 6, 1600, 1700000061, s_now + 10), HAL_EAGAIN);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 6, "A", 2000, 1700000100, OCPP_R_EV_DISCONNECTED), HAL_OK);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 6, "A", 2000, 1700000100, OCPP_R_LOCAL), HAL_EINVAL);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 7, "B", 5000, 1700000200), HAL_OK);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 7, "", 6000, 1700000300, OCPP_R_REMOTE), HAL_OK);
    assert_int_equal(ocpp_cp_queued(&s_cp), 5);
    assert_true(s_fake.persists >= 5);
    boot_accepted();

    int p = expect_call("StartTransaction");
    assert_int_equal(get_int(p, "meterStart"), 1000);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "timestamp"), "2023-11-14T22:13:20Z"));
    /* a stale answer changes nothing */
    ocpp_cp_rx(&s_cp, "[3,\"nope\",{\"transactionId\":9}]", strlen("[3,\"nope\",{\"transactionId\":9}]"), s_now);
    assert_int_equal(ocpp_cp_queued(&s_cp), 5);
    reply("{\"transactionId\":41,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "transactionId"), 41);
    reply("{}");
    p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 41);
    assert_int_equal(get_int(p, "meterStop"), 2000);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "reason"), "EVDisconnected"));
    assert_int_equal(ocpp_json_get(&s_j, p, "transactionData"), -1); /* no OCMF for 6 */
    assert_int_equal(s_fake.ndelivered, 0);
    reply("{}");
    assert_int_equal(s_fake.ndelivered, 1);
    assert_int_equal(s_fake.delivered[0], 6);
    /* the second: Stop without idTag, with the signed record */
    expect_call("StartTransaction");
    reply("{\"transactionId\":42,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 42);
    assert_int_equal(ocpp_json_get(&s_j, p, "idTag"), -1);
    int td = ocpp_json_get(&s_j, p, "transactionData");
    int sv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, td, 0), "sampledValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, sv, "format"), "SignedData"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, sv, "context"), "Transaction.End"));
    char val[256];
    assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, sv, "value"), val, sizeof val) > 0);
    /* base64 of the record, byte for byte */
    assert_non_null(strstr(val, "{\"signedMeterData\":\"T0NNRnx7IlJEIjpbXX18eyJTRCI6IjAwIn0=\""));
    assert_non_null(strstr(val, "\"encodingMethod\":\"OCMF\""));
    reply("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_int_equal(s_fake.ndelivered, 2);
    assert_int_equal(s_fake.delivered[1], 7);
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
    /* a late duplicate of the answer delivers nothing twice */
    reply("{}");
    assert_int_equal(s_fake.ndelivered, 2);
}

static void test_link_lost_mid_call(void **state)
{
    (void)state;
    boot_accepted();
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 9, "A", 0, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    /* the link drops before the answer: the Start is sent again, with a fresh ID */
    char first_id[40];
    strcpy(first_id, s_cp.rpc.out_id);
    ocpp_cp_disconnected(&s_cp);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 9, "A", 10, 1700000010, OCPP_R_LOCAL), HAL_OK);
    ocpp_cp_connected(&s_cp, s_now);
    expect_call("StartTransaction");
    assert_string_not_equal(first_id, s_cp.rpc.out_id);
    reply("{\"transactionId\":5,\"idTagInfo\":{\"status\":\"Blocked\"}}");
    /* Blocked: the station is told to stop (its Stop is already queued: not again) */
    assert_int_equal(s_fake.remote_stop, 0);
    assert_int_equal(s_fake.deauthorize, 0);
    int p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 5);
    reply("{}");
    assert_int_equal(s_fake.ndelivered, 1);
}

/* StopTransactionOnInvalidId: a StartTransaction.conf that does not accept the idTag (a token
 * authorised outside OCPP, e.g. autocharge's EVCCID) stops the running transaction through the
 * deauthorize hook (reason DeAuthorized), not as a remote stop */
static void test_start_invalid_deauthorizes(void **state)
{
    (void)state;
    boot_accepted();
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 11, "0200000000A0", 0, 1700000000), HAL_OK);
    int p = expect_call("StartTransaction");
    char tag[24];
    assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, p, "idTag"), tag, sizeof tag) > 0);
    assert_string_equal(tag, "0200000000A0");
    reply("{\"transactionId\":8,\"idTagInfo\":{\"status\":\"Invalid\"}}");
    assert_int_equal(s_fake.deauthorize, 1);
    assert_int_equal(s_fake.last_conn, 2);
    assert_int_equal(s_fake.remote_stop, 0);
    /* Accepted: nothing is stopped */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 12, "OK", 0, 1700000001), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":9,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_int_equal(s_fake.deauthorize, 1);
}

static void test_callerror_attempts(void **state)
{
    (void)state;
    boot_accepted();
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 3, "A", 0, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    reply_error("InternalError");
    assert_null(sent()); /* waits the retry interval */
    s_now += 10000;
    expect_call("StartTransaction");
    reply_error("FormatViolation");
    s_now += 19999;
    assert_null(sent()); /* interval × attempts */
    s_now += 1;
    expect_call("StartTransaction");
    reply_error("GenericError");
    /* attempts spent: the Stop goes with -1, and the board is told so (a reboot resumes it) */
    assert_int_equal(s_fake.nstarted, 1);
    assert_int_equal(s_fake.started_id[0], -1);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 3, "A", 10, 1700000010, OCPP_R_LOCAL), HAL_OK);
    int p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), -1);
    reply("{}");
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
}

/* One incoming CALL and the answer frame. */
static const char *call(const char *frame)
{
    ocpp_cp_rx(&s_cp, frame, strlen(frame), s_now);
    const char *t = sent();
    assert_non_null(t);
    return t;
}

static void expect_answer(const char *frame, const char *want)
{
    const char *t = call(frame);
    if (strstr(t, want) == NULL) {
        fail_msg("%s -> %s, expected %s", frame, t, want);
    }
}

static void test_incoming(void **state)
{
    (void)state;
    boot_accepted();
    s_fake.rc = HAL_OK;
    expect_answer("[2,\"1\",\"RemoteStartTransaction\",{\"idTag\":\"ABC\",\"connectorId\":2}]",
                  "[3,\"1\",{\"status\":\"Accepted\"}]");
    assert_int_equal(s_fake.remote_start, 1);
    assert_int_equal(s_fake.last_conn, 2);
    assert_string_equal(s_fake.last_tag, "ABC");
    expect_answer("[2,\"2\",\"RemoteStartTransaction\",{\"connectorId\":1}]",
                  "[4,\"2\",\"OccurenceConstraintViolation\",\"idTag\",{}]");
    expect_answer("[2,\"3\",\"RemoteStartTransaction\",{\"idTag\":5}]", "TypeConstraintViolation");
    expect_answer("[2,\"4\",\"RemoteStartTransaction\",{\"idTag\":\"123456789012345678901\"}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"5\",\"RemoteStartTransaction\",{\"idTag\":\"A\",\"extra\":1}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"6\",\"RemoteStartTransaction\",{\"idTag\":\"A\",\"connectorId\":3}]", "Rejected");
    assert_int_equal(s_fake.remote_start, 1);
    expect_answer("[2,\"7\",\"Reset\",{\"type\":\"Warm\"}]", "PropertyConstraintViolation");
    expect_answer("[2,\"8\",\"Reset\",{\"type\":\"Hard\"}]", "[3,\"8\",{\"status\":\"Accepted\"}]");
    assert_true(s_fake.last_hard);
    expect_answer("[2,\"9\",\"FlyToTheMoon\",{}]", "[4,\"9\",\"NotImplemented\"");
    expect_answer("[2,\"10\",\"SetChargingProfile\",{}]", "[4,\"10\",\"NotSupported\"");
    expect_answer("[2,\"11\",\"Reset\",[]]", "[4,\"11\",\"FormationViolation\"");
    expect_answer("[2,\"12\",\"UnlockConnector\",{\"connectorId\":1}]", "Unlocked");
    s_fake.rc = HAL_ENOTSUP;
    expect_answer("[2,\"13\",\"UnlockConnector\",{\"connectorId\":1}]", "NotSupported");
    expect_answer("[2,\"14\",\"UnlockConnector\",{\"connectorId\":0}]", "PropertyConstraintViolation");
    s_fake.rc = HAL_EBUSY;
    expect_answer("[2,\"15\",\"ChangeAvailability\",{\"connectorId\":0,\"type\":\"Inoperative\"}]", "Scheduled");
    assert_false(s_fake.last_operative);
    s_fake.rc = HAL_OK;
    expect_answer("[2,\"16\",\"ChangeAvailability\",{\"connectorId\":1,\"type\":\"Operative\"}]", "Accepted");
    assert_true(s_fake.last_operative);
    expect_answer("[2,\"17\",\"DataTransfer\",{\"vendorId\":\"x\"}]", "UnknownVendorId");
    expect_answer("[2,\"18\",\"ClearCache\",{}]", "Accepted");
    expect_answer("[2,\"19\",\"TriggerMessage\",{\"requestedMessage\":\"BootNotification\"}]", "Rejected");
    expect_answer("[2,\"20\",\"TriggerMessage\",{\"requestedMessage\":\"Heartbeat\"}]", "Accepted");
    expect_call("Heartbeat"); /* the triggered message follows its answer */
    reply("{\"currentTime\":\"2026-03-01T12:00:00Z\"}");
    expect_answer("[2,\"21\",\"TriggerMessage\",{\"requestedMessage\":\"StatusNotification\",\"connectorId\":2}]",
                  "Accepted");
    int p = expect_call("StatusNotification");
    assert_int_equal(get_int(p, "connectorId"), 2);
    reply("{}");
    expect_answer("[2,\"22\",\"RemoteStopTransaction\",{\"transactionId\":99}]", "Rejected");
    /* malformed input: no answer possible, nothing sent, no crash */
    ocpp_cp_rx(&s_cp, "[2,\"x\",\"Reset\",{", strlen("[2,\"x\",\"Reset\",{"), s_now);
    assert_null(sent());
    ocpp_cp_rx(&s_cp, "\xff\xfe", strlen("\xff\xfe"), s_now);
    assert_null(sent());
    ocpp_cp_rx(&s_cp, "[7,\"x\",{}]", strlen("[7,\"x\",{}]"), s_now);
    assert_null(sent());
}

static void test_remote_stop_known(void **state)
{
    (void)state;
    boot_accepted();
    s_fake.rc = HAL_OK;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 11, "A", 0, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":77,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    expect_answer("[2,\"s\",\"RemoteStopTransaction\",{\"transactionId\":77}]", "Accepted");
    assert_int_equal(s_fake.remote_stop, 1);
    assert_int_equal(s_fake.last_conn, 2);
}

static void test_configuration(void **state)
{
    (void)state;
    boot_accepted();
    const char *t = call("[2,\"c1\",\"GetConfiguration\",{}]");
    assert_non_null(strstr(t, "{\"key\":\"HeartbeatInterval\",\"readonly\":false,\"value\":\"60\"}"));
    assert_non_null(strstr(t, "{\"key\":\"NumberOfConnectors\",\"readonly\":true,\"value\":\"2\"}"));
    /* AuthorizationKey listed without its value */
    assert_non_null(strstr(t, "{\"key\":\"AuthorizationKey\",\"readonly\":false}"));
    t = call("[2,\"c2\",\"GetConfiguration\",{\"key\":[\"MeterValueSampleInterval\",\"Bogus\"]}]");
    assert_string_equal(t, "[3,\"c2\",{\"configurationKey\":[{\"key\":\"MeterValueSampleInterval\","
                           "\"readonly\":false,\"value\":\"60\"}],\"unknownKey\":[\"Bogus\"]}]");
    int before = s_fake.persists;
    expect_answer("[2,\"c3\",\"ChangeConfiguration\",{\"key\":\"HeartbeatInterval\",\"value\":\"120\"}]",
                  "Accepted");
    assert_int_equal(s_cp.cfg.heartbeat_interval_s, 120);
    assert_int_equal(s_fake.persists, before + 1);
    expect_answer("[2,\"c4\",\"ChangeConfiguration\",{\"key\":\"HeartbeatInterval\",\"value\":\"-1\"}]",
                  "Rejected");
    expect_answer("[2,\"c5\",\"ChangeConfiguration\",{\"key\":\"NumberOfConnectors\",\"value\":\"3\"}]",
                  "Rejected");
    expect_answer("[2,\"c6\",\"ChangeConfiguration\",{\"key\":\"Nope\",\"value\":\"3\"}]", "NotSupported");
    expect_answer("[2,\"c7\",\"ChangeConfiguration\",{\"key\":\"AuthorizationKey\",\"value\":\"short\"}]",
                  "Rejected");
    expect_answer("[2,\"c8\",\"ChangeConfiguration\",{\"key\":\"AuthorizationKey\",\"value\":\"0123456789abcdef\"}]",
                  "Accepted");
    assert_string_equal(s_cp.cfg.authorization_key, "0123456789abcdef");
    expect_answer("[2,\"c9\",\"ChangeConfiguration\",{\"key\":\"AllowOfflineTxForUnknownId\",\"value\":\"true\"}]",
                  "Accepted");
    assert_true(s_cp.cfg.allow_offline_unknown);
    expect_answer("[2,\"c10\",\"ChangeConfiguration\",{\"key\":\"HeartbeatInterval\"}]",
                  "OccurenceConstraintViolation");
    expect_answer("[2,\"c11\",\"GetConfiguration\",{\"key\":\"HeartbeatInterval\"}]", "TypeConstraintViolation");
}

/* The OCA application note's keys: MeterPublicKey<n> per connector, read-only, as
 * "oca:base16:asn1:" + the DER in hex; PublicKeyWithSignedMeterValue decides whether the
 * signed stop value carries it (Base64 of that text). */
static void test_meter_public_key(void **state)
{
    (void)state;
    boot_accepted();
    const char *t = call("[2,\"k1\",\"GetConfiguration\",{\"key\":[\"MeterPublicKey1\",\"MeterPublicKey2\","
                         "\"MeterPublicKey0\",\"MeterPublicKey3\",\"MeterPublicKey01\"]}]");
    assert_string_equal(t, "[3,\"k1\",{\"configurationKey\":["
                           "{\"key\":\"MeterPublicKey1\",\"readonly\":true,\"value\":\"oca:base16:asn1:30030201AB\"},"
                           "{\"key\":\"MeterPublicKey2\",\"readonly\":true,\"value\":\"\"}],"
                           "\"unknownKey\":[\"MeterPublicKey0\",\"MeterPublicKey3\",\"MeterPublicKey01\"]}]");
    t = call("[2,\"k2\",\"GetConfiguration\",{}]");
    assert_non_null(strstr(t, "{\"key\":\"MeterPublicKey1\",\"readonly\":true,\"value\":\"oca:base16:asn1:30030201AB\"}"));
    assert_non_null(strstr(t, "{\"key\":\"PublicKeyWithSignedMeterValue\",\"readonly\":false,"
                              "\"value\":\"OncePerTransaction\"}"));
    expect_answer("[2,\"k3\",\"ChangeConfiguration\",{\"key\":\"MeterPublicKey1\",\"value\":\"x\"}]", "Rejected");
    expect_answer("[2,\"k4\",\"ChangeConfiguration\",{\"key\":\"MeterPublicKey9\",\"value\":\"x\"}]",
                  "NotSupported");
    expect_answer("[2,\"k5\",\"ChangeConfiguration\",{\"key\":\"PublicKeyWithSignedMeterValue\",\"value\":\"Sometimes\"}]",
                  "Rejected");

    /* OncePerTransaction: the stop's signed value names the key */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 7, "A", 1000, 1700000000), HAL_OK);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 7, "A", 2000, 1700000100, OCPP_R_LOCAL), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":5,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    int p = expect_call("StopTransaction");
    int sv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "transactionData"), 0),
                                              "sampledValue"), 0);
    char val[512];
    assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, sv, "value"), val, sizeof val) > 0);
    /* Base64("oca:base16:asn1:30030201AB") */
    assert_non_null(strstr(val, "\"publicKey\":\"b2NhOmJhc2UxNjphc24xOjMwMDMwMjAxQUI=\"}"));
    reply("{}");

    /* Never: empty, and the choice is kept in the store */
    expect_answer("[2,\"k6\",\"ChangeConfiguration\",{\"key\":\"PublicKeyWithSignedMeterValue\",\"value\":\"Never\"}]",
                  "Accepted");
    assert_int_equal(s_cp.cfg.pubkey_with_smv, 1);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 7, "A", 3000, 1700000200), HAL_OK);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 7, "A", 4000, 1700000300, OCPP_R_LOCAL), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":6,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    p = expect_call("StopTransaction");
    sv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "transactionData"), 0),
                                          "sampledValue"), 0);
    assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, sv, "value"), val, sizeof val) > 0);
    assert_non_null(strstr(val, "\"publicKey\":\"\"}"));
    reply("{}");
    const char *why = NULL;
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg PublicKeyWithSignedMeterValue EveryMeterValue", &why), HAL_OK);
    assert_int_equal(s_cp.cfg.pubkey_with_smv, 2);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg PublicKeyWithSignedMeterValue Always", &why), HAL_EINVAL);
}

static void test_authorize(void **state)
{
    (void)state;
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "T1"), HAL_ECLOSED); /* offline */
    boot_accepted();
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, ""), HAL_EINVAL);
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "T1"), HAL_OK);
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "T2"), HAL_EBUSY);
    int p = expect_call("Authorize");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "idTag"), "T1"));
    reply("{\"idTagInfo\":{\"status\":\"Blocked\"}}");
    assert_int_equal(s_fake.auth_calls, 1);
    assert_int_equal(s_fake.last_auth, OCPP_AUTH_BLOCKED);
    assert_int_equal(ocpp_cp_authorize(&s_cp, 2, "T3"), HAL_OK);
    expect_call("Authorize");
    s_now += CFG_OCPP_CALL_TIMEOUT_MS;
    assert_null(sent());
    assert_int_equal(s_fake.last_auth, OCPP_AUTH_OFFLINE);
    assert_int_equal(s_fake.last_conn, 2);
}

/* The backend's sub-second part counts: at ".900" our clock turns to the next second 100 ms
 * later, not 1000 ms later (a certificate signed "now" at the CSMS is valid here at once). */
static void test_clock_keeps_fraction(void **state)
{
    (void)state;
    int64_t base;
    assert_int_equal(ocpp_time_parse("2026-03-01T12:00:00Z", &base), HAL_OK);
    ocpp_cp_connected(&s_cp, s_now);
    expect_call("BootNotification");
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:00:00.9004Z\",\"interval\":60}");
    assert_true(ocpp_cp_unix(&s_cp, s_now) == base);
    assert_true(ocpp_cp_unix(&s_cp, s_now + 99u) == base);
    assert_true(ocpp_cp_unix(&s_cp, s_now + 100u) == base + 1);
    assert_true(ocpp_cp_unix(&s_cp, s_now + 1100u) == base + 2);
}

static void test_time(void **state)
{
    (void)state;
    int64_t t;
    char out[21];
    assert_int_equal(ocpp_time_parse("1970-01-01T00:00:00Z", &t), HAL_OK);
    assert_true(t == 0);
    assert_int_equal(ocpp_time_parse("2024-02-29T23:59:59.999999Z", &t), HAL_OK);
    assert_true(t == 1709251199);
    assert_int_equal(ocpp_time_parse("2024-03-01T01:00:00+02:00", &t), HAL_OK);
    assert_true(t == 1709247600);
    assert_int_equal(ocpp_time_parse("2024-02-29T18:30:00-05:30", &t), HAL_OK);
    assert_true(t == 1709251200);
    assert_int_equal(ocpp_time_parse("2023-02-29T00:00:00Z", &t), HAL_EINVAL);
    assert_int_equal(ocpp_time_parse("2024-01-01T00:00:00", &t), HAL_EINVAL); /* no zone */
    assert_int_equal(ocpp_time_parse("2024-01-01T24:00:00Z", &t), HAL_EINVAL);
    assert_int_equal(ocpp_time_parse("2024-01-01T00:00:00.Z", &t), HAL_EINVAL);
    assert_int_equal(ocpp_time_parse("2024-01-01T00:00:00Zx", &t), HAL_EINVAL);
    assert_int_equal(ocpp_time_parse("1969-12-31T23:59:59Z", &t), HAL_EINVAL);
    ocpp_time_format(1709251199, out);
    assert_string_equal(out, "2024-02-29T23:59:59Z");
    ocpp_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    for (int64_t u = 0; u < 4102444800; u += 86399 * 37) {
        ocpp_time_format(u, out);
        assert_int_equal(ocpp_time_parse(out, &t), HAL_OK);
        assert_true(t == u);
    }
}

/* The CSMS's id of a taken Start goes to the board; after a reboot the board resumes the
 * transaction with it: no Start again, the Stop carries that id, room for it is kept. */
static void test_resume_after_reboot(void **state)
{
    (void)state;
    boot_accepted();
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 9, "A", 0, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":4711,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_int_equal(s_fake.nstarted, 1);
    assert_int_equal(s_fake.started_tx[0], 9);
    assert_int_equal(s_fake.started_id[0], 4711);

    /* reboot */
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 0x200u);
    assert_int_equal(ocpp_cp_tx_resume(&s_cp, 2, 9, 4711), HAL_OK);
    assert_int_equal(ocpp_cp_tx_resume(&s_cp, 2, 9, 4711), HAL_EINVAL); /* known */
    assert_int_equal(ocpp_cp_tx_resume(&s_cp, 3, 10, 1), HAL_EINVAL);   /* no connector 3 */
    assert_int_equal(ocpp_cp_tx_resume(&s_cp, 1, 0, 1), HAL_EINVAL);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 9, "A", 0, 1700000000), HAL_EINVAL);
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
    boot_accepted();
    assert_null(sent()); /* nothing of transaction 9 goes before it stops */
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 9, "", 50, 1700000100, OCPP_R_POWER_LOSS), HAL_OK);
    int p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 4711);
    reply("{}");
    assert_int_equal(s_fake.ndelivered, 1);
    assert_int_equal(s_fake.delivered[0], 9);
    assert_int_equal(s_fake.nstarted, 1);
    /* room: resumed transactions keep room for their Stops like started ones */
    unsigned k = 0;
    int rc = HAL_OK;
    for (; k < CFG_OCPP_QUEUE + 1u && rc == HAL_OK; k++) {
        rc = ocpp_cp_tx_resume(&s_cp, 1, 100 + k, (int32_t)k);
    }
    assert_int_equal(rc, HAL_ENOMEM);
    assert_true(k - 1u <= CFG_OCPP_QUEUE);
    for (unsigned i = 0; i + 1u < k; i++) {
        assert_int_equal(ocpp_cp_tx_stop(&s_cp, 100 + i, "", 1, 1700000200, OCPP_R_LOCAL), HAL_OK);
    }
}

/* A sample with every measurand: each a sampledValue with its unit, values as decimal
 * strings without floating point; the register alone when nothing else is known. */
static void test_meter_values_measurands(void **state)
{
    (void)state;
    boot_accepted();
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 4, "T", 1000, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":77,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    struct ocpp_sample smp = {-5, 12345, 400000, 80};
    assert_int_equal(ocpp_cp_meter_sample(&s_cp, 4, 1234, &smp, 1700000010, s_now), HAL_OK);
    int p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "transactionId"), 77);
    int mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    int sv = ocpp_json_get(&s_j, mv, "sampledValue");
    const char *want[5][3] = {{"1234", "Energy.Active.Import.Register", "Wh"},
                              {"-5", "Power.Active.Import", "W"},
                              {"12.345", "Current.Import", "A"},
                              {"400.000", "Voltage", "V"},
                              {"80", "SoC", "Percent"}};
    for (unsigned i = 0; i < 5; i++) {
        int o = ocpp_json_at(&s_j, sv, i);
        assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "value"), want[i][0]));
        assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "measurand"), want[i][1]));
        assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "unit"), want[i][2]));
    }
    assert_true(ocpp_json_at(&s_j, sv, 5) < 0);
    reply("{}");
    /* the interval (default 60 s) has not passed: not due */
    s_now += 1000;
    assert_int_equal(ocpp_cp_meter_sample(&s_cp, 4, 1300, &smp, 1700000011, s_now), HAL_EAGAIN);
    s_now += 60000;
    struct ocpp_sample none = {OCPP_NO_VALUE, OCPP_NO_VALUE, OCPP_NO_VALUE, -1};
    assert_int_equal(ocpp_cp_meter_sample(&s_cp, 4, 1400, &none, 1700000071, s_now), HAL_OK);
    p = expect_call("MeterValues");
    mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    sv = ocpp_json_get(&s_j, mv, "sampledValue");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, 0), "value"), "1400"));
    assert_true(ocpp_json_at(&s_j, sv, 1) < 0);
    reply("{}");
}


/* StartTxnSampledData (OCA note §3.1.2, §3.3.4): empty by default; set to the start register,
 * each StartTransaction is followed by one MeterValues of context Transaction.Begin with the
 * transactionId the CSMS gave and the start reading, through the queue (it waits behind its
 * Start offline); other measurands are refused; the choice is stored. */
static void test_start_txn_sampled_data(void **state)
{
    (void)state;
    boot_accepted();
    const char *t = call("[2,\"s1\",\"GetConfiguration\",{\"key\":[\"StartTxnSampledData\","
                         "\"StopTransactionSignatureFormat\",\"SampledDataSignStartedReadings\"]}]");
    assert_string_equal(t, "[3,\"s1\",{\"configurationKey\":["
                           "{\"key\":\"StartTxnSampledData\",\"readonly\":false,\"value\":\"\"},"
                           "{\"key\":\"SampledDataSignStartedReadings\",\"readonly\":true,\"value\":\"false\"},"
                           "{\"key\":\"StopTransactionSignatureFormat\",\"readonly\":true,\"value\":\"MR\"}]}]");
    /* empty: no Begin value */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 3, "A", 500, 1700000000), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":70,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_null(sent());
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 3, "A", 600, 1700000050, OCPP_R_LOCAL), HAL_OK);
    expect_call("StopTransaction");
    reply("{}");

    static const char *const refused[] = {"Power.Active.Import", "Energy.Active.Import.Register,",
                                          "Energy.Active.Import.Register,SoC", ",", "energy.active.import.register"};
    for (unsigned i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char f[160];
        snprintf(f, sizeof f, "[2,\"s2\",\"ChangeConfiguration\",{\"key\":\"StartTxnSampledData\",\"value\":\"%s\"}]",
                 refused[i]);
        expect_answer(f, "Rejected");
    }
    expect_answer("[2,\"s3\",\"ChangeConfiguration\",{\"key\":\"StopTransactionSignatureFormat\",\"value\":\"SR\"}]",
                  "Rejected");
    assert_false(s_cp.cfg.start_txn_energy);
    expect_answer("[2,\"s4\",\"ChangeConfiguration\",{\"key\":\"StartTxnSampledData\","
                  "\"value\":\"Energy.Active.Import.Register\"}]",
                  "Accepted");
    assert_true(s_cp.cfg.start_txn_energy);

    /* offline: Start, Begin value, Stop queued in that order; the Begin value gets the id */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 2, 4, "B", 1000, 1700000100), HAL_OK);
    assert_int_equal(ocpp_cp_queued(&s_cp), 2);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 4, "B", 1800, 1700000200, OCPP_R_LOCAL), HAL_OK);
    int p = expect_call("StartTransaction");
    assert_int_equal(get_int(p, "meterStart"), 1000);
    reply("{\"transactionId\":71,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "connectorId"), 2);
    assert_int_equal(get_int(p, "transactionId"), 71);
    int mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, mv, "timestamp"), "2023-11-14T22:15:00Z"));
    int sv = ocpp_json_get(&s_j, mv, "sampledValue");
    int o = ocpp_json_at(&s_j, sv, 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "value"), "1000"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "context"), "Transaction.Begin"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "measurand"), "Energy.Active.Import.Register"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, o, "unit"), "Wh"));
    assert_true(ocpp_json_get(&s_j, o, "format") < 0); /* Raw: unsigned (the signed start is in the Stop) */
    assert_true(ocpp_json_at(&s_j, sv, 1) < 0);
    reply("{}");
    p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 71);
    reply("{}");
    assert_null(sent());

    /* kept in the store, back to empty from it */
    const char *why = NULL;
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg StartTxnSampledData SoC", &why), HAL_EINVAL);
    assert_true(s_cp.cfg.start_txn_energy);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg StartTxnSampledData ", &why), HAL_OK);
    assert_false(s_cp.cfg.start_txn_energy);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg StartTxnSampledData Energy.Active.Import.Register", &why), HAL_OK);
    assert_true(s_cp.cfg.start_txn_energy);
}

/* ClockAlignedDataInterval: boundaries from 00:00 UTC, a fresh start or a changed interval
 * waits for the next one, missed ones are skipped, the count restarts at midnight; values in
 * and outside a transaction, Sample.Clock, in the queue's order. */
static void test_clock_aligned(void **state)
{
    (void)state;
    const int64_t day = 1772323200; /* 2026-03-01T00:00:00Z */
    int64_t b = 0;
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 100, &b)); /* off by default */
    boot_accepted();
    expect_answer("[2,\"a1\",\"ChangeConfiguration\",{\"key\":\"ClockAlignedDataInterval\",\"value\":\"900\"}]",
                  "Accepted");
    assert_int_equal(s_cp.cfg.clock_aligned_interval_s, 900);
    expect_answer("[2,\"a2\",\"ChangeConfiguration\",{\"key\":\"ClockAlignedDataInterval\",\"value\":\"86401\"}]",
                  "Rejected");
    /* first call mid-interval: only sets the next boundary (00:15) */
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 100, &b));
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 899, &b));
    assert_true(ocpp_cp_aligned_due(&s_cp, day + 901, &b));
    assert_int_equal(b, day + 900);
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 902, &b));
    /* a gap: the latest boundary passed, once */
    assert_true(ocpp_cp_aligned_due(&s_cp, day + 4000, &b));
    assert_int_equal(b, day + 3600);
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 4001, &b));
    /* 7 h does not divide the day: 21:00 then midnight, not 04:00 of the next day */
    s_cp.cfg.clock_aligned_interval_s = 25200;
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 75000, &b)); /* changed: re-armed */
    assert_true(ocpp_cp_aligned_due(&s_cp, day + 75600, &b));
    assert_int_equal(b, day + 75600);
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 86399, &b));
    assert_true(ocpp_cp_aligned_due(&s_cp, day + 86400, &b));
    assert_int_equal(b, day + 86400);
    /* the clock stepped back: the next boundary follows it */
    assert_false(ocpp_cp_aligned_due(&s_cp, day + 100, &b));
    assert_true(ocpp_cp_aligned_due(&s_cp, day + 25200, &b));
    assert_int_equal(b, day + 25200);

    /* values: connector 2 outside a transaction, connector 1 in one */
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 3, 0, 1, NULL, day), HAL_EINVAL);
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 1, 9, 1, NULL, day), HAL_EINVAL); /* no such tx */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 9, "T", 5000, day + 10), HAL_OK);
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 2, 9, 1, NULL, day), HAL_EINVAL); /* other connector */
    struct ocpp_sample smp = {22000, 55000, 400000, 40};
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 1, 9, 5100, &smp, day + 900), HAL_OK);
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 2, 0, 777, NULL, day + 900), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":55,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    int p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "connectorId"), 1);
    assert_int_equal(get_int(p, "transactionId"), 55);
    int mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, mv, "timestamp"), "2026-03-01T00:15:00Z"));
    int sv = ocpp_json_get(&s_j, mv, "sampledValue");
    for (unsigned i = 0; i < 5; i++) {
        assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, i), "context"), "Sample.Clock"));
    }
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, 0), "value"), "5100"));
    reply("{}");
    p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "connectorId"), 2);
    assert_int_equal(ocpp_json_get(&s_j, p, "transactionId"), -1); /* outside a transaction */
    mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    sv = ocpp_json_get(&s_j, mv, "sampledValue");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, 0), "value"), "777"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, 0), "context"), "Sample.Clock"));
    assert_true(ocpp_json_at(&s_j, sv, 1) < 0);
    reply("{}");
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
    /* a sampled value still says Sample.Periodic */
    assert_int_equal(ocpp_cp_meter(&s_cp, 9, 5200, day + 920, s_now), HAL_OK);
    p = expect_call("MeterValues");
    mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    sv = ocpp_json_get(&s_j, mv, "sampledValue");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, sv, 0), "context"), "Sample.Periodic"));
    reply("{}");
}


/* A new charge point (a reboot) whose journal re-queued transaction 6 (Start and Stop, the
 * token and the reservation unknown to it), then every line of @p b read back. */
static void reboot_with(const struct fake_ocpp_store *b, bool stop_queued)
{
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 0x300u);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "", 1000, 1700000000), HAL_OK);
    if (stop_queued) {
        assert_int_equal(ocpp_cp_tx_stop(&s_cp, 6, "", 2000, 1700000300, OCPP_R_POWER_LOSS), HAL_OK);
    }
    char line[OCPP_STORE_LINE_MAX];
    const char *why = NULL;
    if (fake_ocpp_store_read(&s_cp, b->text, line, &why, NULL) != 0u) {
        fail_msg("stored line refused: %s (%s)", line, why);
    }
}

/* A transaction's MeterValues are stored before they are sent and come back after a reboot
 * between the journal's Start and Stop, with the CSMS's id, each exactly once; the Start
 * keeps its reservationId and idTag. */
static void test_store_queue_across_reboot(void **state)
{
    (void)state;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "TAG", 1000, 1700000000), HAL_OK);
    s_cp.q[s_cp.qhead].reservation_id = 77; /* as ocpp_auth_reservation_use gives it */
    uint32_t gen = s_cp.store_gen;
    int persists = s_fake.persists;
    struct ocpp_sample smp = {7000, 16500, 412000, 55};
    assert_int_equal(ocpp_cp_meter_sample(&s_cp, 6, 1100, &smp, 1700000060, s_now), HAL_OK);
    assert_true(s_cp.store_gen != gen && s_fake.persists > persists); /* stored before it is sent */
    s_now += 60000;
    assert_int_equal(ocpp_cp_meter(&s_cp, 6, 1200, 1700000120, s_now), HAL_OK);
    /* outside a transaction: not a transaction message, not stored */
    gen = s_cp.store_gen;
    assert_int_equal(ocpp_cp_meter_aligned(&s_cp, 2, 0, 500, NULL, 1700000100), HAL_OK);
    assert_int_equal(s_cp.store_gen, gen);
    static struct fake_ocpp_store b;
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_non_null(strstr(b.text, "start 6 77 544147\n"));
    assert_non_null(strstr(b.text, "mv 6 1 1700000060 1100 7000 16500 412000 55 0\n"));
    assert_non_null(strstr(b.text, "mv 6 1 1700000120 1200 -2147483648 -2147483648 -2147483648 -1 0\n"));

    /* power lost while offline: the journal closes the transaction, the store comes back */
    reboot_with(&b, true);
    assert_int_equal(ocpp_cp_queued(&s_cp), 4);
    boot_accepted();
    int p = expect_call("StartTransaction");
    assert_int_equal(get_int(p, "reservationId"), 77);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "idTag"), "TAG"));
    reply("{\"transactionId\":41,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "transactionId"), 41);
    int mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, mv, "timestamp"), "2023-11-14T22:14:20Z"));
    assert_int_equal(ocpp_json_size(&s_j, ocpp_json_get(&s_j, mv, "sampledValue")), 5);
    reply("{}");
    /* the delivered value left the store: a second reboot now sends only the second */
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_null(strstr(b.text, "1700000060"));
    assert_null(strstr(b.text, "start "));
    assert_non_null(strstr(b.text, "mv 6 1 1700000120 "));
    p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "transactionId"), 41);
    mv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, mv, "timestamp"), "2023-11-14T22:15:20Z"));
    reply("{}");
    p = expect_call("StopTransaction");
    assert_int_equal(get_int(p, "transactionId"), 41);
    reply("{}");
    assert_null(sent());
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_null(strstr(b.text, "mv "));
}

/* Every damaged or stale queue line is refused with its reason; nothing is queued twice. */
static void test_store_queue_lines_refused(void **state)
{
    (void)state;
    static struct fake_ocpp_store b;
    memset(&b, 0, sizeof b);
    reboot_with(&b, true);
    static const char *const bad[] = {
        "mv 6 1 1700000060 1100 7000 16500 412000 55",         /* a field short */
        "mv 6 1 1700000060 1100 7000 16500 412000 55 0 9",     /* one too many */
        "mv 6 1 1700000060 x 7000 16500 412000 55 0",          /* not a number */
        "mv 6 1 1700000060 1100 7000 16500 412000 101 0",      /* SoC over 100 */
        "mv 6 1 1700000060 1100 7000 16500 412000 55 3",       /* no such context */
        "mv 6 1 0 1100 7000 16500 412000 55 0",                /* no time */
        "mv 6 1 1700000060 -5 7000 16500 412000 55 0",         /* a negative register */
        "mv 6 3 1700000060 1100 7000 16500 412000 55 0",       /* no connector 3 */
        "mv 6 2 1700000060 1100 7000 16500 412000 55 0",       /* not the transaction's connector */
        "mv 9 1 1700000060 1100 7000 16500 412000 55 0",       /* a transaction the journal has delivered */
        "start 6 -2 -",                                         /* reservationId below -1 */
        "start 6 5 5",                                          /* odd hex */
        "start 9 5 -",                                          /* no queued Start */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (ocpp_cp_store_line(&s_cp, bad[i], &why) != HAL_EINVAL || why == NULL) {
            fail_msg("accepted or without a reason: %s", bad[i]);
        }
    }
    assert_int_equal(ocpp_cp_queued(&s_cp), 2);
    const char *why = NULL;
    const char *good = "mv 6 1 1700000060 1100 7000 16500 412000 55 0";
    assert_int_equal(ocpp_cp_store_line(&s_cp, good, &why), HAL_OK);
    assert_int_equal(ocpp_cp_store_line(&s_cp, good, &why), HAL_EINVAL); /* twice */
    assert_non_null(strstr(why, "twice"));
    assert_int_equal(ocpp_cp_queued(&s_cp), 3);
    /* put before the Stop */
    assert_int_equal(s_cp.q[(s_cp.qhead + 1u) % CFG_OCPP_QUEUE].kind, OCPP_Q_METER);
    assert_int_equal(s_cp.q[(s_cp.qhead + 2u) % CFG_OCPP_QUEUE].kind, OCPP_Q_STOP);
}

/* The Transaction.Begin value (StartTxnSampledData) is never dropped for room, and after a
 * reboot it is queued once: the journal's re-queued Start brings it, its stored line adds
 * nothing; for a Start the CSMS had taken, the stored line brings it back. */
static void test_begin_value_kept(void **state)
{
    (void)state;
    s_cp.cfg.start_txn_energy = true;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "TAG", 1000, 1700000000), HAL_OK);
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        s_now += 60000;
        (void)ocpp_cp_meter(&s_cp, 6, 1000 + (int64_t)i, 1700000000 + 60 * (int64_t)(i + 1u), s_now);
    }
    assert_true(s_cp.mv_dropped > 0);
    assert_int_equal(s_cp.q[(s_cp.qhead + 1u) % CFG_OCPP_QUEUE].clock, 2); /* still behind the Start */
    static struct fake_ocpp_store b;
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_non_null(strstr(b.text, "mv 6 1 1700000000 1000 -2147483648 -2147483648 -2147483648 -1 2\n"));
    /* the journal re-queues Start (and Begin with it), the stored Begin adds nothing */
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.start_txn_energy = true;
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 0x400u);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "", 1000, 1700000000), HAL_OK);
    const char *why = NULL;
    const char *begin = "mv 6 1 1700000000 1000 -2147483648 -2147483648 -2147483648 -1 2";
    assert_int_equal(ocpp_cp_store_line(&s_cp, begin, &why), HAL_OK);
    assert_int_equal(ocpp_cp_queued(&s_cp), 2);
    /* a Start the CSMS had taken: only the store has its Begin value */
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 0x401u);
    assert_int_equal(ocpp_cp_tx_resume(&s_cp, 1, 6, 41), HAL_OK);
    assert_int_equal(ocpp_cp_store_line(&s_cp, begin, &why), HAL_OK);
    assert_int_equal(ocpp_cp_queued(&s_cp), 1);
    boot_accepted();
    int p = expect_call("MeterValues");
    assert_int_equal(get_int(p, "transactionId"), 41);
    int sv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0),
                                              "sampledValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, sv, "context"), "Transaction.Begin"));
    reply("{}");
}

/* A full queue drops its oldest intermediate value for a new one (logged, counted), never a
 * Start or a Stop, and the running transaction can still stop. */
static void test_queue_full_drops_intermediate(void **state)
{
    (void)state;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 6, "TAG", 0, 1700000000), HAL_OK);
    unsigned values = CFG_OCPP_QUEUE - 2u; /* beside the Start and the room of the Stop */
    for (unsigned i = 0; i < values + 3u; i++) {
        s_now += 60000;
        assert_int_equal(ocpp_cp_meter(&s_cp, 6, (int64_t)i, 1700000000 + 60 * (int64_t)(i + 1u), s_now), HAL_OK);
    }
    assert_int_equal(s_cp.mv_dropped, 3);
    assert_int_equal(ocpp_cp_queued(&s_cp), CFG_OCPP_QUEUE - 1u);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 6, "TAG", 99, 1700009999, OCPP_R_LOCAL), HAL_OK);
    boot_accepted();
    expect_call("StartTransaction");
    reply("{\"transactionId\":5,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    /* the three oldest went: the first value left is the fourth */
    int p = expect_call("MeterValues");
    int sv = ocpp_json_at(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, ocpp_json_get(&s_j, p, "meterValue"), 0),
                                              "sampledValue"), 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, sv, "value"), "3"));
    reply("{}");
    for (unsigned i = 1; i < values; i++) {
        expect_call("MeterValues");
        reply("{}");
    }
    expect_call("StopTransaction");
    reply("{}");
    assert_int_equal(ocpp_cp_queued(&s_cp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_boot, setup),
        cmocka_unit_test_setup(test_offline_queue, setup),
        cmocka_unit_test_setup(test_link_lost_mid_call, setup),
        cmocka_unit_test_setup(test_start_invalid_deauthorizes, setup),
        cmocka_unit_test_setup(test_callerror_attempts, setup),
        cmocka_unit_test_setup(test_incoming, setup),
        cmocka_unit_test_setup(test_remote_stop_known, setup),
        cmocka_unit_test_setup(test_configuration, setup),
        cmocka_unit_test_setup(test_start_txn_sampled_data, setup),
        cmocka_unit_test_setup(test_authorize, setup),
        cmocka_unit_test_setup(test_time, setup),
        cmocka_unit_test_setup(test_clock_keeps_fraction, setup),
        cmocka_unit_test_setup(test_resume_after_reboot, setup),
        cmocka_unit_test_setup(test_meter_values_measurands, setup),
        cmocka_unit_test_setup(test_clock_aligned, setup),
        cmocka_unit_test_setup(test_meter_public_key, setup),
        cmocka_unit_test_setup(test_store_queue_across_reboot, setup),
        cmocka_unit_test_setup(test_store_queue_lines_refused, setup),
        cmocka_unit_test_setup(test_queue_full_drops_intermediate, setup),
        cmocka_unit_test_setup(test_begin_value_kept, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
