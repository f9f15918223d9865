/* Unit tests of the OCPP 1.6J charge point's authorization without the backend and its
 * security rules, driven through the core as a CSMS would: SendLocalList (full,
 * differential, version mismatch, oversize, schema violations) and GetLocalListVersion; the
 * cache (filled from Authorize and StartTransaction answers, expiry, eviction of invalid
 * entries first, ClearCache); the offline and pre-authorize decisions; ReserveNow /
 * CancelReservation (statuses, Reserved reported, foreign tags refused, the reservation id in
 * StartTransaction, expiry); the store lines (export, read back, damaged lines refused); the
 * SecurityProfile no-downgrade rule and SecurityEventNotification. */
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
static struct ocpp_json s_j;
static uint32_t s_now;
static int s_persists;

static void f_persist(void *ctx)
{
    (void)ctx;
    s_persists++;
}
static const struct ocpp_cp_ops k_ops = {
    .remote_start = fake_ocpp_accept_remote_start, .remote_stop = fake_ocpp_accept_connector,
    .reset = fake_ocpp_accept_reset,               .unlock = fake_ocpp_accept_connector,
    .availability = fake_ocpp_accept_availability, .authorized = fake_ocpp_ignore_authorized,
    .persist = f_persist,
};

static void init_cp(struct ocpp_cp *cp, uint32_t profile)
{
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.security_profile = profile;
    ocpp_cp_init(cp, &info, &cfg, &k_ops, NULL, NULL, 0x200u);
}

static int setup(void **state)
{
    (void)state;
    s_persists = 0;
    s_now = 1000;
    init_cp(&s_cp, 0);
    return 0;
}

static const char *sent(void)
{
    return ocpp_test_sent(&s_cp, &s_j, s_now);
}

static int expect_call(const char *action)
{
    return ocpp_test_expect_call(&s_cp, &s_j, s_now, action);
}

static void reply(const char *payload)
{
    ocpp_test_reply(&s_cp, s_now, payload);
}

/* 2026-03-01T12:00:00Z */
#define T0 1772366400

static void boot_accepted(void)
{
    ocpp_cp_connected(&s_cp, s_now);
    expect_call("BootNotification");
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:00:00Z\",\"interval\":300}");
    for (int c = 0; c <= 2; c++) {
        expect_call("StatusNotification");
        reply("{}");
    }
}

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

static int status_of(const char *tag)
{
    struct ocpp_tag_entry e;
    if (!ocpp_auth_lookup(&s_cp, tag, ocpp_cp_unix(&s_cp, s_now), &e)) {
        return -1;
    }
    return e.status;
}

static void test_local_list(void **state)
{
    (void)state;
    boot_accepted();
    expect_answer("[2,\"v0\",\"GetLocalListVersion\",{}]", "[3,\"v0\",{\"listVersion\":0}]");
    expect_answer("[2,\"1\",\"SendLocalList\",{\"listVersion\":3,\"updateType\":\"Full\",\"localAuthorizationList\":["
                  "{\"idTag\":\"GOOD\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"FLEET\"}},"
                  "{\"idTag\":\"BAD\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
                  "{\"idTag\":\"OLD\",\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2026-02-01T00:00:00Z\"}}]}]",
                  "[3,\"1\",{\"status\":\"Accepted\"}]");
    assert_int_equal(s_cp.lists.list_n, 3);
    expect_answer("[2,\"v1\",\"GetLocalListVersion\",{}]", "{\"listVersion\":3}");
    assert_int_equal(status_of("good"), OCPP_AUTH_ACCEPTED); /* case-insensitive */
    assert_int_equal(status_of("BAD"), OCPP_AUTH_BLOCKED);
    assert_int_equal(status_of("OLD"), OCPP_AUTH_EXPIRED); /* past its expiryDate */
    assert_int_equal(status_of("NOBODY"), -1);
    /* differential: not newer -> VersionMismatch, nothing changes */
    expect_answer("[2,\"2\",\"SendLocalList\",{\"listVersion\":3,\"updateType\":\"Differential\","
                  "\"localAuthorizationList\":[{\"idTag\":\"GOOD\"}]}]",
                  "VersionMismatch");
    assert_int_equal(status_of("GOOD"), OCPP_AUTH_ACCEPTED);
    /* differential: GOOD removed (no idTagInfo), NEW added, BAD updated */
    expect_answer("[2,\"3\",\"SendLocalList\",{\"listVersion\":4,\"updateType\":\"Differential\","
                  "\"localAuthorizationList\":[{\"idTag\":\"GOOD\"},{\"idTag\":\"NEW\",\"idTagInfo\":{\"status\":"
                  "\"Accepted\"}},{\"idTag\":\"BAD\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}]",
                  "\"Accepted\"");
    assert_int_equal(status_of("GOOD"), -1);
    assert_int_equal(status_of("NEW"), OCPP_AUTH_ACCEPTED);
    assert_int_equal(status_of("BAD"), OCPP_AUTH_ACCEPTED);
    assert_int_equal(s_cp.lists.list_n, 3);
    expect_answer("[2,\"v2\",\"GetLocalListVersion\",{}]", "{\"listVersion\":4}");
    /* schema violations change nothing */
    expect_answer("[2,\"4\",\"SendLocalList\",{\"listVersion\":5}]", "OccurenceConstraintViolation");
    expect_answer("[2,\"5\",\"SendLocalList\",{\"listVersion\":5,\"updateType\":\"Partial\"}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"6\",\"SendLocalList\",{\"listVersion\":5,\"updateType\":\"Full\",\"localAuthorizationList\":"
                  "[{\"idTag\":\"X\",\"idTagInfo\":{\"status\":\"Maybe\"}}]}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"7\",\"SendLocalList\",{\"listVersion\":5,\"updateType\":\"Full\",\"localAuthorizationList\":"
                  "[{\"idTag\":\"123456789012345678901\"}]}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"8\",\"SendLocalList\",{\"listVersion\":\"5\",\"updateType\":\"Full\"}]",
                  "TypeConstraintViolation");
    assert_int_equal(s_cp.lists.list_version, 4);
    /* version 0 is not a list version */
    expect_answer("[2,\"9\",\"SendLocalList\",{\"listVersion\":0,\"updateType\":\"Full\"}]", "\"Failed\"");
    /* a full list with no entries empties it: GetLocalListVersion says 0 */
    expect_answer("[2,\"10\",\"SendLocalList\",{\"listVersion\":6,\"updateType\":\"Full\"}]", "\"Accepted\"");
    assert_int_equal(s_cp.lists.list_n, 0);
    expect_answer("[2,\"v3\",\"GetLocalListVersion\",{}]", "{\"listVersion\":0}");
    /* more than SendLocalListMaxLength entries: Failed */
    static char big[64 * (CFG_OCPP_SEND_LIST_MAX + 2u)];
    size_t o = (size_t)snprintf(big, sizeof big,
                                "[2,\"11\",\"SendLocalList\",{\"listVersion\":7,\"updateType\":\"Full\","
                                "\"localAuthorizationList\":[");
    for (unsigned i = 0; i <= CFG_OCPP_SEND_LIST_MAX; i++) {
        o += (size_t)snprintf(big + o, sizeof big - o, "%s{\"idTag\":\"T%u\",\"idTagInfo\":{\"status\":\"Accepted\"}}",
                              i ? "," : "", i);
    }
    snprintf(big + o, sizeof big - o, "]}]");
    expect_answer(big, "\"Failed\"");
    /* disabled: NotSupported, and the list is not consulted */
    expect_answer("[2,\"12\",\"ChangeConfiguration\",{\"key\":\"LocalAuthListEnabled\",\"value\":\"false\"}]",
                  "Accepted");
    expect_answer("[2,\"13\",\"SendLocalList\",{\"listVersion\":8,\"updateType\":\"Full\"}]", "NotSupported");
}

static void test_cache_and_decisions(void **state)
{
    (void)state;
    boot_accepted();
    int64_t now = ocpp_cp_unix(&s_cp, s_now);
    /* offline decisions with nothing known: the policy (OFFLINE) */
    assert_int_equal(ocpp_auth_offline(&s_cp, "A", now), OCPP_AUTH_OFFLINE);
    /* Authorize answers go to the cache, with expiry and parent */
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "A"), HAL_OK);
    expect_call("Authorize");
    reply("{\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2026-03-01T13:00:00Z\",\"parentIdTag\":\"P\"}}");
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "B"), HAL_OK);
    expect_call("Authorize");
    reply("{\"idTagInfo\":{\"status\":\"Invalid\"}}");
    assert_int_equal(status_of("A"), OCPP_AUTH_ACCEPTED);
    assert_int_equal(status_of("B"), OCPP_AUTH_INVALID);
    assert_true(s_persists > 0);
    /* offline: A accepted (LocalAuthorizeOffline), B refused, unknown: the policy */
    assert_int_equal(ocpp_auth_offline(&s_cp, "A", now), OCPP_AUTH_ACCEPTED);
    assert_int_equal(ocpp_auth_offline(&s_cp, "B", now), OCPP_AUTH_INVALID);
    s_cp.cfg.local_authorize_offline = false;
    assert_int_equal(ocpp_auth_offline(&s_cp, "A", now), OCPP_AUTH_OFFLINE);
    s_cp.cfg.local_authorize_offline = true;
    /* past the expiry: expired, refused offline */
    assert_int_equal(ocpp_auth_offline(&s_cp, "A", now + 3601), OCPP_AUTH_EXPIRED);
    /* pre-authorize only when configured */
    assert_false(ocpp_auth_pre_authorized(&s_cp, "A", now));
    expect_answer("[2,\"p\",\"ChangeConfiguration\",{\"key\":\"LocalPreAuthorize\",\"value\":\"true\"}]", "Accepted");
    assert_true(ocpp_auth_pre_authorized(&s_cp, "A", now));
    assert_false(ocpp_auth_pre_authorized(&s_cp, "B", now));
    /* StartTransaction's idTagInfo too */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 9, "C", 0, now), HAL_OK);
    expect_call("StartTransaction");
    reply("{\"transactionId\":5,\"idTagInfo\":{\"status\":\"Blocked\"}}");
    assert_int_equal(status_of("C"), OCPP_AUTH_BLOCKED);
    /* the list wins over the cache, and its tags never enter the cache */
    expect_answer("[2,\"l\",\"SendLocalList\",{\"listVersion\":1,\"updateType\":\"Full\",\"localAuthorizationList\":"
                  "[{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}]",
                  "\"Accepted\"");
    assert_int_equal(status_of("B"), OCPP_AUTH_ACCEPTED);
    /* full cache: invalid entries go first, then the oldest valid one */
    memset(s_cp.lists.cache, 0, sizeof s_cp.lists.cache);
    char tag[8];
    for (unsigned i = 0; i < CFG_OCPP_AUTH_CACHE; i++) {
        snprintf(tag, sizeof tag, "K%u", i);
        assert_int_equal(ocpp_cp_authorize(&s_cp, 1, tag), HAL_OK);
        expect_call("Authorize");
        reply(i == 5 ? "{\"idTagInfo\":{\"status\":\"Invalid\"}}" : "{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    }
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "NEW1"), HAL_OK);
    expect_call("Authorize");
    reply("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_int_equal(status_of("K5"), -1);                 /* the invalid one went */
    assert_int_equal(status_of("K0"), OCPP_AUTH_ACCEPTED); /* the oldest valid stayed */
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "NEW2"), HAL_OK);
    expect_call("Authorize");
    reply("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_int_equal(status_of("K0"), -1); /* now the oldest valid */
    assert_int_equal(status_of("NEW1"), OCPP_AUTH_ACCEPTED);
    /* ClearCache empties it (the list stays); with the cache off: Rejected */
    expect_answer("[2,\"cc\",\"ClearCache\",{}]", "\"Accepted\"");
    assert_int_equal(status_of("NEW1"), -1);
    assert_int_equal(status_of("B"), OCPP_AUTH_ACCEPTED);
    expect_answer("[2,\"ce\",\"ChangeConfiguration\",{\"key\":\"AuthorizationCacheEnabled\",\"value\":\"false\"}]",
                  "Accepted");
    expect_answer("[2,\"cc2\",\"ClearCache\",{}]", "\"Rejected\"");
    expect_answer("[2,\"cc3\",\"ClearCache\",{\"x\":1}]", "PropertyConstraintViolation");
}

static void test_reservation(void **state)
{
    (void)state;
    boot_accepted();
    int64_t now = ocpp_cp_unix(&s_cp, s_now);
    expect_answer("[2,\"r1\",\"ReserveNow\",{\"connectorId\":1,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R1\",\"parentIdTag\":\"FLEET\",\"reservationId\":42}]",
                  "[3,\"r1\",{\"status\":\"Accepted\"}]");
    int p = expect_call("StatusNotification"); /* the connector is reported Reserved */
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "status"), "Reserved"));
    reply("{}");
    /* another reservation on it: Occupied; connector 0: Rejected; a busy one: Occupied */
    expect_answer("[2,\"r2\",\"ReserveNow\",{\"connectorId\":1,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Occupied");
    expect_answer("[2,\"r3\",\"ReserveNow\",{\"connectorId\":0,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Rejected");
    ocpp_cp_status(&s_cp, 2, OCPP_ST_CHARGING);
    expect_answer("[2,\"r4\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Occupied");
    ocpp_cp_status(&s_cp, 2, OCPP_ST_FAULTED);
    expect_answer("[2,\"r5\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Faulted");
    ocpp_cp_status(&s_cp, 2, OCPP_ST_UNAVAILABLE);
    expect_answer("[2,\"r6\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T12:10:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Unavailable");
    ocpp_cp_status(&s_cp, 2, OCPP_ST_AVAILABLE);
    expect_answer("[2,\"r7\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T11:00:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":43}]",
                  "Rejected"); /* already expired */
    expect_answer("[2,\"r8\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"soon\",\"idTag\":\"R2\","
                  "\"reservationId\":43}]",
                  "PropertyConstraintViolation");
    expect_answer("[2,\"r9\",\"ReserveNow\",{\"connectorId\":2,\"idTag\":\"R2\",\"reservationId\":43}]",
                  "OccurenceConstraintViolation");
    while (sent() != NULL) {
        reply("{}"); /* the statuses set above */
    }
    /* who may charge on connector 1: the reserved tag, a tag of the same parent, no other */
    assert_true(ocpp_auth_may_use(&s_cp, 1, "r1", now));
    assert_false(ocpp_auth_may_use(&s_cp, 1, "OTHER", now));
    assert_true(ocpp_auth_may_use(&s_cp, 2, "OTHER", now));
    expect_answer("[2,\"l\",\"SendLocalList\",{\"listVersion\":1,\"updateType\":\"Full\",\"localAuthorizationList\":"
                  "[{\"idTag\":\"KID\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"FLEET\"}}]}]",
                  "\"Accepted\"");
    assert_true(ocpp_auth_may_use(&s_cp, 1, "KID", now));
    assert_false(ocpp_auth_may_use(&s_cp, 1, "FLEET", now)); /* a tag is never compared with a parent */
    /* the transaction of the reserved tag carries the reservation and ends it */
    ocpp_cp_status(&s_cp, 1, OCPP_ST_PREPARING);
    expect_call("StatusNotification");
    reply("{}");
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 3, "R1", 0, now), HAL_OK);
    p = expect_call("StartTransaction");
    int64_t rid = -1;
    assert_int_equal(ocpp_json_int(&s_j, ocpp_json_get(&s_j, p, "reservationId"), &rid), HAL_OK);
    assert_int_equal(rid, 42);
    reply("{\"transactionId\":1,\"idTagInfo\":{\"status\":\"Accepted\"}}");
    assert_false(s_cp.lists.resv[1].active);
    /* expiry and cancel */
    expect_answer("[2,\"r10\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T12:01:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":44}]",
                  "Accepted");
    expect_call("StatusNotification");
    reply("{}");
    expect_answer("[2,\"c1\",\"CancelReservation\",{\"reservationId\":99}]", "Rejected");
    s_now += 61000;
    p = expect_call("StatusNotification"); /* expired: Available again */
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "status"), "Available"));
    reply("{}");
    assert_false(s_cp.lists.resv[2].active);
    expect_answer("[2,\"r11\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T13:00:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":45}]",
                  "Accepted");
    expect_call("StatusNotification");
    reply("{}");
    expect_answer("[2,\"c2\",\"CancelReservation\",{\"reservationId\":45}]", "Accepted");
    p = expect_call("StatusNotification");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "status"), "Available"));
    reply("{}");
    /* a reserved connector that faults loses its reservation */
    expect_answer("[2,\"r12\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T13:00:00Z\","
                  "\"idTag\":\"R2\",\"reservationId\":46}]",
                  "Accepted");
    assert_int_equal(ocpp_auth_shown_status(&s_cp, 2, OCPP_ST_AVAILABLE, s_now), OCPP_ST_RESERVED);
    assert_int_equal(ocpp_auth_shown_status(&s_cp, 2, OCPP_ST_FAULTED, s_now), OCPP_ST_FAULTED);
    assert_false(s_cp.lists.resv[2].active);
}

static void test_store(void **state)
{
    (void)state;
    boot_accepted();
    expect_answer("[2,\"1\",\"ChangeConfiguration\",{\"key\":\"MeterValueSampleInterval\",\"value\":\"17\"}]",
                  "Accepted");
    expect_answer("[2,\"2\",\"ChangeConfiguration\",{\"key\":\"AllowOfflineTxForUnknownId\",\"value\":\"true\"}]",
                  "Accepted");
    expect_answer("[2,\"3\",\"SendLocalList\",{\"listVersion\":9,\"updateType\":\"Full\",\"localAuthorizationList\":"
                  "[{\"idTag\":\"A b\",\"idTagInfo\":{\"status\":\"Blocked\",\"parentIdTag\":\"P\","
                  "\"expiryDate\":\"2027-01-01T00:00:00Z\"}}]}]",
                  "\"Accepted\"");
    assert_int_equal(ocpp_cp_authorize(&s_cp, 1, "C1"), HAL_OK);
    expect_call("Authorize");
    reply("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
    expect_answer("[2,\"4\",\"ReserveNow\",{\"connectorId\":2,\"expiryDate\":\"2026-03-01T13:00:00Z\","
                  "\"idTag\":\"R\",\"reservationId\":7}]",
                  "Accepted");
    static struct fake_ocpp_store b;
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_non_null(strstr(b.text, "cfg MeterValueSampleInterval 17\n"));
    assert_null(strstr(b.text, "AuthorizationKey")); /* the secret stays in the board's file */
    /* a fresh charge point reads it back line by line */
    static struct ocpp_cp cp2;
    init_cp(&cp2, 0);
    const char *why = NULL;
    char line[OCPP_STORE_LINE_MAX];
    if (fake_ocpp_store_read(&cp2, b.text, line, &why, NULL) != 0u) {
        fail_msg("line '%s' refused: %s", line, why);
    }
    assert_int_equal(cp2.cfg.meter_sample_interval_s, 17);
    assert_true(cp2.cfg.allow_offline_unknown);
    assert_int_equal(cp2.lists.list_version, 9);
    assert_int_equal(cp2.lists.list_n, 1);
    assert_string_equal(cp2.lists.list[0].idtag, "A b");
    assert_string_equal(cp2.lists.list[0].parent, "P");
    assert_int_equal(cp2.lists.list[0].status, OCPP_AUTH_BLOCKED);
    struct ocpp_tag_entry e;
    assert_true(ocpp_auth_lookup(&cp2, "C1", 0, &e));
    assert_int_equal(e.status, OCPP_AUTH_ACCEPTED);
    assert_true(cp2.lists.resv[2].active);
    assert_int_equal(cp2.lists.resv[2].id, 7);
    assert_int_equal(cp2.status[2], OCPP_ST_RESERVED);
    /* damaged or hostile lines are refused, the state unchanged */
    static const char *const bad[] = {
        "cfg MeterValueSampleInterval -1", "cfg MeterValueSampleInterval 99999999", "cfg NumberOfConnectors 3",
        "cfg AuthorizationKey 0123456789abcdef0123", "cfg SecurityProfile 0", "cfg", "cfg  ",
        "list 41 0 0 - 1 extra", "list 4 0 0 - 1", "list 4x 0 0 - 1", "list 00 0 0 - 1", "list - 0 0 - 1",
        "list 41 9 0 - 1", "list 41 0 -5 - 1", "cache 41 0 0 zz 1",
        "resv 3 1 0 41 -", "resv 0 1 0 41 -", "resv 1 1 0 - -", "list-version -1", "bogus", "",
        "list 4141414141414141414141414141414141414141414141 0 0 - 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ocpp_cp_store_line(&cp2, bad[i], &why) != HAL_EINVAL) {
            fail_msg("line '%s' taken", bad[i]);
        }
        assert_non_null(why);
    }
    assert_int_equal(cp2.cfg.meter_sample_interval_s, 17);
    assert_int_equal(cp2.lists.list_n, 1);
}

static void test_security(void **state)
{
    (void)state;
    /* profile 0 (a lab): no SecurityEventNotification goes out */
    boot_accepted();
    assert_int_equal(s_cp.sec.count, 0);
    ocpp_sec_event(&s_cp, OCPP_SEC_RESET, NULL, s_now);
    assert_null(sent());
    /* profile 1: queued events go after acceptance, with a time, each until confirmed */
    init_cp(&s_cp, 1);
    ocpp_sec_event(&s_cp, OCPP_SEC_STARTUP, NULL, s_now);
    boot_accepted();
    int p = expect_call("SecurityEventNotification");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "type"), "StartupOfTheDevice"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "timestamp"), "2026-03-01T12:00:00Z"));
    ocpp_cp_disconnected(&s_cp); /* lost before the answer: sent again */
    ocpp_cp_connected(&s_cp, s_now);
    expect_call("SecurityEventNotification");
    reply("{}");
    assert_null(sent());
    /* SecurityProfile: never lowered, the same is no change, higher needs the board */
    expect_answer("[2,\"s1\",\"ChangeConfiguration\",{\"key\":\"SecurityProfile\",\"value\":\"0\"}]", "Rejected");
    expect_answer("[2,\"s2\",\"ChangeConfiguration\",{\"key\":\"SecurityProfile\",\"value\":\"1\"}]", "Rejected");
    expect_answer("[2,\"s3\",\"ChangeConfiguration\",{\"key\":\"SecurityProfile\",\"value\":\"2\"}]", "Rejected");
    expect_answer("[2,\"s4\",\"ChangeConfiguration\",{\"key\":\"SecurityProfile\",\"value\":\"x\"}]", "Rejected");
    assert_int_equal(s_cp.cfg.security_profile, 1);
    expect_answer("[2,\"s5\",\"GetConfiguration\",{\"key\":[\"SecurityProfile\"]}]",
                  "{\"key\":\"SecurityProfile\",\"readonly\":false,\"value\":\"1\"}");
    /* AuthorizationKey changed: ReconfigurationOfSecurityParameters, the key never in it */
    expect_answer("[2,\"s6\",\"ChangeConfiguration\",{\"key\":\"AuthorizationKey\",\"value\":\"0123456789abcdef\"}]",
                  "Accepted");
    p = expect_call("SecurityEventNotification");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "type"), "ReconfigurationOfSecurityParameters"));
    assert_null(strstr(s_j.text, "0123456789abcdef"));
    reply("{}");
    /* a clock step over 2 s by the backend: SettingSystemTime */
    s_now += 300000;
    expect_call("Heartbeat");
    reply("{\"currentTime\":\"2026-03-01T12:05:01Z\"}");
    assert_null(sent()); /* 1 s off: no event */
    s_now += 300000;
    expect_call("Heartbeat");
    reply("{\"currentTime\":\"2026-03-01T13:00:00Z\"}");
    p = expect_call("SecurityEventNotification");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "type"), "SettingSystemTime"));
    reply("{}");
    /* a full ring: non-critical events make room, critical ones stay */
    for (unsigned i = 0; i < CFG_OCPP_SEC_EVENTS + 3u; i++) {
        ocpp_sec_event(&s_cp, i % 2 ? OCPP_SEC_FAILED_AUTH : OCPP_SEC_RESET, NULL, s_now);
    }
    assert_int_equal(s_cp.sec.count, CFG_OCPP_SEC_EVENTS);
    unsigned crit = 0;
    for (unsigned i = 0; i < s_cp.sec.count; i++) {
        crit += s_cp.sec.ev[(s_cp.sec.head + i) % CFG_OCPP_SEC_EVENTS].type == OCPP_SEC_RESET;
    }
    assert_int_equal(crit, (CFG_OCPP_SEC_EVENTS + 4u) / 2u); /* every critical one pushed */
    /* a CALLERROR (a CSMS without the whitepaper's messages) drops it: no loop */
    expect_call("SecurityEventNotification");
    char err[128];
    snprintf(err, sizeof err, "[4,\"%s\",\"NotImplemented\",\"\",{}]", s_cp.rpc.out_id);
    ocpp_cp_rx(&s_cp, err, strlen(err), s_now);
    assert_int_equal(s_cp.sec.count, CFG_OCPP_SEC_EVENTS - 1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_local_list, setup),
        cmocka_unit_test_setup(test_cache_and_decisions, setup),
        cmocka_unit_test_setup(test_reservation, setup),
        cmocka_unit_test_setup(test_store, setup),
        cmocka_unit_test_setup(test_security, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
