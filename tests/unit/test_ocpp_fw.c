/* Unit tests of OCPP Firmware Management (ocpp_fw.c) through the charge point core:
 * UpdateFirmware with its schedule, retries and the install that waits for the transaction,
 * SignedUpdateFirmware with a bad certificate, a bad signature, a scheduled install and a
 * cancelled request, GetDiagnostics and GetLog uploads with retries, TriggerMessage of the
 * current status, ExtendedTriggerMessage of the signed firmware and log statuses, hostile locations that never reach the board, and the schema checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp_test_csms.h"

#include "fake_ocpp_ops.h"
#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_fw.h"

static struct ocpp_cp s_cp;
static struct ocpp_fw s_fw;
static struct ocpp_cert s_ce; /* routes ExtendedTriggerMessage */
static struct ocpp_json s_j;
static uint32_t s_now;

/* ---- the fake board */
static struct {
    unsigned starts[3];
    unsigned cancels[3];
    enum ocpp_fw_result result[3]; /* what poll says next */
    int start_rc;
    char location[600];
    char file[80];
    enum ocpp_fw_log log;
    bool signed_ok;
    int cert_rc;
    int sig_rc;
    char pem[64];
    char sig[64];
} s_b;

static int b_start(void *ctx, enum ocpp_fw_job job, const char *location, const char *file, enum ocpp_fw_log log,
                   int64_t from, int64_t to)
{
    (void)ctx, (void)from, (void)to;
    s_b.starts[job]++;
    snprintf(s_b.location, sizeof s_b.location, "%s", location != NULL ? location : "");
    snprintf(s_b.file, sizeof s_b.file, "%s", file != NULL ? file : "");
    s_b.log = log;
    s_b.result[job] = OCPP_FW_RUNNING;
    return s_b.start_rc;
}
static enum ocpp_fw_result b_poll(void *ctx, enum ocpp_fw_job job)
{
    (void)ctx;
    return s_b.result[job];
}
static void b_cancel(void *ctx, enum ocpp_fw_job job)
{
    (void)ctx;
    s_b.cancels[job]++;
}
static bool b_signed(void *ctx)
{
    (void)ctx;
    return s_b.signed_ok;
}
static int b_cert(void *ctx, const char *pem, const char **why)
{
    (void)ctx;
    snprintf(s_b.pem, sizeof s_b.pem, "%s", pem);
    *why = "not signed by the manufacturer root";
    return s_b.cert_rc;
}
static int b_file(void *ctx, const char *sig, const char **why)
{
    (void)ctx;
    snprintf(s_b.sig, sizeof s_b.sig, "%s", sig);
    *why = "signature does not match the file";
    return s_b.sig_rc;
}
static const struct ocpp_fw_ops k_fw_ops = {b_start, b_poll, b_cancel, b_signed, b_cert, b_file};

/* 2026-03-01T12:00:00Z */
#define T0 1772366400

static const char *sent(void)
{
    return ocpp_test_sent(&s_cp, &s_j, s_now);
}

static void reply(const char *payload)
{
    ocpp_test_reply(&s_cp, s_now, payload);
}

/* Every CALL the charge point sends now, each answered with {}, as "Action status[#id]" lines
 * joined by ','. */
static const char *drain(void)
{
    static char out[1024];
    out[0] = '\0';
    const char *t;
    while ((t = sent()) != NULL) {
        char a[48] = "", st[48] = "";
        int p = ocpp_json_at(&s_j, 0, 3);
        (void)ocpp_json_str(&s_j, ocpp_json_at(&s_j, 0, 2), a, sizeof a);
        int k = ocpp_json_get(&s_j, p, "status");
        if (k < 0) {
            k = ocpp_json_get(&s_j, p, "type"); /* SecurityEventNotification */
        }
        (void)ocpp_json_str(&s_j, k, st, sizeof st);
        int64_t id = 0;
        int r = ocpp_json_get(&s_j, p, "requestId");
        char one[128];
        if (strcmp(a, "Heartbeat") == 0) {
            char now[21], hb[64]; /* not what these tests are about: the clock stays */
            ocpp_time_format(ocpp_cp_unix(&s_cp, s_now), now);
            snprintf(hb, sizeof hb, "{\"currentTime\":\"%s\"}", now);
            reply(hb);
            continue;
        }
        if (r >= 0 && ocpp_json_int(&s_j, r, &id) == HAL_OK) {
            snprintf(one, sizeof one, "%s%s %s#%ld", out[0] ? "," : "", a, st, (long)id);
        } else {
            snprintf(one, sizeof one, "%s%s %s", out[0] ? "," : "", a, st);
        }
        strncat(out, one, sizeof out - strlen(out) - 1u);
        reply("{}");
    }
    return out;
}

static void expect_drain(const char *want)
{
    const char *got = drain();
    if (strcmp(got, want) != 0) {
        fail_msg("sent\n  %s\nexpected\n  %s", got, want);
    }
}

static void step(uint32_t ms)
{
    s_now += ms;
    (void)ocpp_cp_poll(&s_cp, s_now);
}

static int setup(void **state)
{
    (void)state;
    memset(&s_b, 0, sizeof s_b);
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.security_profile = 1; /* security events are sent */
    ocpp_cp_init(&s_cp, &info, &cfg, &fake_ocpp_station_ops, NULL, NULL, 0x300u);
    ocpp_fw_init(&s_fw, &k_fw_ops, NULL);
    s_cp.fw = &s_fw;
    ocpp_cert_init(&s_ce, NULL, NULL, NULL, "CP1");
    s_cp.cert = &s_ce;
    s_now = 1000;
    ocpp_cp_connected(&s_cp, s_now);
    assert_non_null(sent());
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:00:00Z\",\"interval\":300}");
    (void)drain(); /* the statuses of connectors 0..2 */
    return 0;
}

/* A CALL from the CSMS: the answer's payload token, or -1 for a CALLERROR (its code in @p code). */
static int call(const char *action, const char *payload, char code[48], char why[128])
{
    int p = fake_ocpp_call(&s_cp, &s_j, s_now, action, payload, code, why);
    assert_int_not_equal(p, FAKE_OCPP_NO_ANSWER);
    return p;
}

static void expect_field(const char *action, const char *payload, const char *key, const char *value)
{
    int p = call(action, payload, NULL, NULL);
    if (p < 0 || !ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, key), value)) {
        fail_msg("%s %s: expected %s %s, got %.*s", action, payload, key, value, (int)s_j.len, s_j.text);
    }
}

static void expect_error(const char *action, const char *payload, const char *code, const char *why)
{
    ocpp_test_expect_error(&s_cp, &s_j, s_now, action, payload, code, why);
}

static void update(const char *loc, const char *when, const char *extra)
{
    char p[1024];
    snprintf(p, sizeof p, "{\"location\":\"%s\",\"retrieveDate\":\"%s\"%s}", loc, when, extra);
    int r = call("UpdateFirmware", p, NULL, NULL);
    if (r < 0 || ocpp_json_size(&s_j, r) != 0) {
        fail_msg("UpdateFirmware %s: %.*s", p, (int)s_j.len, s_j.text);
    }
}

static void test_update_installed(void **state)
{
    (void)state;
    update("http://127.0.0.1:8000/fw.bin", "2026-03-01T11:00:00Z", "");
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 1);
    assert_string_equal(s_b.location, "http://127.0.0.1:8000/fw.bin");
    expect_drain("FirmwareStatusNotification Downloading");
    step(100);
    expect_drain("");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    assert_true(ocpp_fw_busy(&s_fw));
    expect_drain("FirmwareStatusNotification Downloaded,FirmwareStatusNotification Installing");
    s_b.result[OCPP_FW_JOB_INSTALL] = OCPP_FW_DONE;
    step(100);
    expect_drain("FirmwareStatusNotification Installed");
    assert_false(ocpp_fw_busy(&s_fw));
    /* idle again: a trigger says Idle (fact sheet §2.8, L01.FR.28) */
    expect_field("TriggerMessage", "{\"requestedMessage\":\"FirmwareStatusNotification\"}", "status", "Accepted");
    expect_drain("FirmwareStatusNotification Idle");
}

static void test_update_scheduled(void **state)
{
    (void)state;
    update("https://cs.example/fw.bin", "2026-03-01T12:01:00Z", "");
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 0);
    expect_drain(""); /* the legacy list has no DownloadScheduled */
    step(59000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 0);
    expect_field("TriggerMessage", "{\"requestedMessage\":\"FirmwareStatusNotification\"}", "status", "Accepted");
    expect_drain("FirmwareStatusNotification Idle"); /* nothing reported yet */
    step(1500);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 1);
    expect_drain("FirmwareStatusNotification Downloading");
    expect_field("TriggerMessage", "{\"requestedMessage\":\"FirmwareStatusNotification\"}", "status", "Accepted");
    expect_drain("FirmwareStatusNotification Downloading");
}

static void test_update_retries(void **state)
{
    (void)state;
    update("ftp://u:p@10.0.0.1:21/fw.bin", "2026-03-01T12:00:00Z", ",\"retries\":2,\"retryInterval\":10");
    expect_drain("FirmwareStatusNotification Downloading");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_FAILED;
    step(100);
    expect_drain(""); /* a retry is coming: no DownloadFailed yet */
    step(9000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 1);
    step(1000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 2);
    expect_drain("FirmwareStatusNotification Downloading");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_FAILED;
    step(100);
    step(10000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 3);
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_FAILED;
    step(100);
    expect_drain("FirmwareStatusNotification Downloading,FirmwareStatusNotification DownloadFailed");
    step(60000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 3); /* 1 + 2 retries, no more */
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 0);
    assert_false(ocpp_fw_busy(&s_fw));
}

static void test_start_failure_counts(void **state)
{
    (void)state;
    s_b.start_rc = HAL_EIO; /* the board could not even start the download */
    update("http://h/fw.bin", "2026-03-01T12:00:00Z", ",\"retries\":1,\"retryInterval\":5");
    step(5000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 2);
    expect_drain("FirmwareStatusNotification Downloading,FirmwareStatusNotification Downloading,"
                 "FirmwareStatusNotification DownloadFailed");
}

static void test_install_waits_for_transaction(void **state)
{
    (void)state;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 7, "TAG1", 0, T0), HAL_OK);
    update("http://h/fw.bin", "2026-03-01T12:00:00Z", "");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    step(60000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 0); /* charging goes on */
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 7, "TAG1", 1000, T0 + 60, OCPP_R_LOCAL), HAL_OK);
    step(100);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    s_b.result[OCPP_FW_JOB_INSTALL] = OCPP_FW_FAILED;
    step(100);
    const char *d = drain();
    assert_non_null(strstr(d, "FirmwareStatusNotification Downloaded,"));
    assert_non_null(strstr(d, "FirmwareStatusNotification Installing,FirmwareStatusNotification InstallationFailed"));
}

static void test_hostile_locations(void **state)
{
    (void)state;
    static const struct {
        const char *loc, *why;
    } bad[] = {
        {"file:///etc/passwd", "not http"},
        {"http://h/fw.bin;reboot", "shell"},
        {"http://h/$(id)", "shell"},
        {"http://h/a`id`", "shell"},
        {"http://h/a|b", "shell"},
        {"http://h/a b", "space"},
        {"http://h/a\\u0001b", "control"},
        {"http:///fw.bin", "no host"},
        {"-o/tmp/x http://h/", "not http"},
        {"", "empty"},
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char p[512];
        snprintf(p, sizeof p, "{\"location\":\"%s\",\"retrieveDate\":\"2026-03-01T12:00:00Z\"}", bad[i].loc);
        expect_error("UpdateFirmware", p, "PropertyConstraintViolation", bad[i].why);
        snprintf(p, sizeof p, "{\"location\":\"%s\"}", bad[i].loc);
        expect_error("GetDiagnostics", p, "PropertyConstraintViolation", bad[i].why);
        snprintf(p, sizeof p, "{\"logType\":\"SecurityLog\",\"requestId\":1,\"log\":{\"remoteLocation\":\"%s\"}}",
                 bad[i].loc);
        expect_field("GetLog", p, "status", "Rejected");
    }
    char p[1200], loc[600];
    memset(loc, 'a', sizeof loc);
    memcpy(loc, "http://h/", 9);
    loc[520] = '\0';
    snprintf(p, sizeof p, "{\"location\":\"%s\",\"retrieveDate\":\"2026-03-01T12:00:00Z\"}", loc);
    expect_error("UpdateFirmware", p, "PropertyConstraintViolation", "512");
    assert_null(ocpp_fw_location_check("https://cs.example:8443/fw/v1.2.bin?token=ab%20c%26x=1"));
    for (unsigned j = 0; j < 3; j++) {
        assert_int_equal(s_b.starts[j], 0); /* the board never saw any of them */
    }
    expect_drain("");
}

static void test_schema(void **state)
{
    (void)state;
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\"}", "OccurenceConstraintViolation", "retrieveDate");
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\",\"retrieveDate\":\"yesterday\"}",
                 "PropertyConstraintViolation", "retrieveDate");
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\",\"retrieveDate\":\"2026-03-01T12:00:00Z\",\"x\":1}",
                 "PropertyConstraintViolation", NULL);
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\",\"retrieveDate\":\"2026-03-01T12:00:00Z\",\"retries\":\"2\"}",
                 "TypeConstraintViolation", "retries");
    expect_error("GetLog", "{\"logType\":\"AuditLog\",\"requestId\":1,\"log\":{\"remoteLocation\":\"http://h/\"}}",
                 "PropertyConstraintViolation", "logType");
    expect_error("GetLog", "{\"logType\":\"SecurityLog\",\"requestId\":1}", "OccurenceConstraintViolation", "log");
    /* signed firmware is not configured: the signed request is not supported */
    expect_error("SignedUpdateFirmware",
                 "{\"requestId\":1,\"firmware\":{\"location\":\"http://h/f\",\"retrieveDateTime\":\"2026-03-01T12:00:00Z\","
                 "\"signingCertificate\":\"x\",\"signature\":\"y\"}}",
                 "NotSupported", NULL);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 0);
}

static void signed_update(int id, const char *extra, const char *status)
{
    char p[1024];
    snprintf(p, sizeof p,
             "{\"requestId\":%d,\"retries\":1,\"retryInterval\":5,\"firmware\":{\"location\":\"https://h/fw.bin\","
             "\"retrieveDateTime\":\"2026-03-01T12:00:00Z\"%s,"
             "\"signingCertificate\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\","
             "\"signature\":\"MEUCIQ==\"}}",
             id, extra);
    expect_field("SignedUpdateFirmware", p, "status", status);
}

static void test_signed_installed(void **state)
{
    (void)state;
    s_b.signed_ok = true;
    /* legacy UpdateFirmware is refused once signed firmware is built in (L01.FR.20) */
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\",\"retrieveDate\":\"2026-03-01T12:00:00Z\"}",
                 "NotSupported", NULL);
    signed_update(42, ",\"installDateTime\":\"2026-03-01T12:10:00Z\"", "Accepted");
    assert_string_equal(s_b.pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    assert_string_equal(s_b.sig, "MEUCIQ==");
    expect_drain("SignedFirmwareStatusNotification Downloading#42,SignedFirmwareStatusNotification Downloaded#42,"
                 "SignedFirmwareStatusNotification SignatureVerified#42,"
                 "SignedFirmwareStatusNotification InstallScheduled#42");
    step(590000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 0);
    step(10000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    s_b.result[OCPP_FW_JOB_INSTALL] = OCPP_FW_VERIFY_FAILED;
    step(100);
    expect_drain("SignedFirmwareStatusNotification Installing#42,"
                 "SignedFirmwareStatusNotification InstallVerificationFailed#42");
}

static void test_signed_bad_certificate(void **state)
{
    (void)state;
    s_b.signed_ok = true;
    s_b.cert_rc = -1;
    signed_update(7, "", "InvalidCertificate");
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 0);
    expect_drain("SecurityEventNotification InvalidFirmwareSigningCertificate");
    s_b.cert_rc = 1;
    signed_update(8, "", "RevokedCertificate");
    expect_drain("SecurityEventNotification InvalidFirmwareSigningCertificate");
}

static void test_signed_bad_signature(void **state)
{
    (void)state;
    s_b.signed_ok = true;
    s_b.sig_rc = -1;
    signed_update(9, "", "Accepted");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    step(100);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 0);
    expect_drain("SecurityEventNotification InvalidFirmwareSignature,"
                 "SignedFirmwareStatusNotification Downloading#9,SignedFirmwareStatusNotification Downloaded#9,"
                 "SignedFirmwareStatusNotification InvalidSignature#9");
    assert_false(ocpp_fw_busy(&s_fw));
}

static void test_signed_scheduled_and_cancelled(void **state)
{
    (void)state;
    s_b.signed_ok = true;
    char p[1024];
    snprintf(p, sizeof p,
             "{\"requestId\":1,\"firmware\":{\"location\":\"https://h/a.bin\",\"retrieveDateTime\":\"2026-03-01T13:00:00Z\","
             "\"signingCertificate\":\"c\",\"signature\":\"s\"}}");
    expect_field("SignedUpdateFirmware", p, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification DownloadScheduled#1");
    signed_update(2, "", "AcceptedCanceled");
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 1);
    assert_string_equal(s_b.location, "https://h/fw.bin");
    signed_update(3, "", "AcceptedCanceled"); /* while downloading: the board's job is cancelled */
    assert_int_equal(s_b.cancels[OCPP_FW_JOB_DOWNLOAD], 1);
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    signed_update(4, "", "Rejected"); /* an install cannot be cancelled (L01.FR.27) */
    (void)drain();
}

static void test_diagnostics(void **state)
{
    (void)state;
    int r = call("GetDiagnostics",
                 "{\"location\":\"http://127.0.0.1:9/up\",\"retries\":1,\"retryInterval\":3,"
                 "\"startTime\":\"2026-03-01T00:00:00Z\"}",
                 NULL, NULL);
    assert_true(r >= 0);
    char name[64] = "";
    assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, r, "fileName"), name, sizeof name) > 0);
    assert_string_equal(name, "diagnostics-20260301T120000Z.txt");
    assert_string_equal(s_b.file, name);
    assert_int_equal(s_b.log, OCPP_FW_LOG_DIAGNOSTICS);
    /* a second request while this one runs gets no file */
    r = call("GetDiagnostics", "{\"location\":\"http://127.0.0.1:9/up\"}", NULL, NULL);
    assert_true(r >= 0);
    assert_int_equal(ocpp_json_size(&s_j, r), 0);
    s_b.result[OCPP_FW_JOB_UPLOAD] = OCPP_FW_FAILED;
    step(100);
    step(3000);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_UPLOAD], 2);
    s_b.result[OCPP_FW_JOB_UPLOAD] = OCPP_FW_DONE;
    step(100);
    expect_drain("DiagnosticsStatusNotification Uploading,DiagnosticsStatusNotification Uploading,"
                 "DiagnosticsStatusNotification Uploaded");
    expect_field("TriggerMessage", "{\"requestedMessage\":\"DiagnosticsStatusNotification\"}", "status", "Accepted");
    expect_drain("DiagnosticsStatusNotification Idle");
    (void)call("GetDiagnostics", "{\"location\":\"ftp://127.0.0.1/up\"}", NULL, NULL);
    s_b.result[OCPP_FW_JOB_UPLOAD] = OCPP_FW_FAILED;
    step(100);
    expect_drain("DiagnosticsStatusNotification Uploading,DiagnosticsStatusNotification UploadFailed");
}

static void test_get_log(void **state)
{
    (void)state;
    const char *req = "{\"logType\":\"SecurityLog\",\"requestId\":5,\"log\":{\"remoteLocation\":\"https://h/logs\","
                      "\"oldestTimestamp\":\"2026-02-01T00:00:00Z\"}}";
    int r = call("GetLog", req, NULL, NULL);
    assert_true(r >= 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, r, "status"), "Accepted"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, r, "filename"), "security-20260301T120000Z.txt"));
    assert_int_equal(s_b.log, OCPP_FW_LOG_SECURITY);
    /* a new GetLog cancels the running upload (N01) */
    expect_field("GetLog",
                 "{\"logType\":\"DiagnosticsLog\",\"requestId\":6,\"log\":{\"remoteLocation\":\"https://h/logs\"}}",
                 "status", "AcceptedCanceled");
    assert_int_equal(s_b.cancels[OCPP_FW_JOB_UPLOAD], 1);
    assert_int_equal(s_b.log, OCPP_FW_LOG_DIAGNOSTICS);
    s_b.result[OCPP_FW_JOB_UPLOAD] = OCPP_FW_FAILED;
    step(100);
    expect_drain("LogStatusNotification Uploading#5,LogStatusNotification Uploading#6,"
                 "LogStatusNotification UploadFailure#6");
}


/* ExtendedTriggerMessage FirmwareStatusNotification: the answer first, then a
 * SignedFirmwareStatusNotification: Idle when nothing ran and after Installed, else the last
 * status with its requestId, also once the job ended in a failure (L01.FR.28-29). */
static void test_extended_trigger_firmware(void **state)
{
    (void)state;
    const char *t = "ExtendedTriggerMessage", *fsn = "{\"requestedMessage\":\"FirmwareStatusNotification\"}";
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification Idle");
    s_b.signed_ok = true;
    s_b.sig_rc = -1;
    signed_update(9, "", "Accepted");
    expect_drain("SignedFirmwareStatusNotification Downloading#9");
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification Downloading#9");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    (void)drain();
    assert_false(ocpp_fw_busy(&s_fw));
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification InvalidSignature#9");
    /* the trigger's own note does not become the last status: asked again, the same */
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification InvalidSignature#9");
    s_b.sig_rc = 0;
    signed_update(10, "", "Accepted");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    s_b.result[OCPP_FW_JOB_INSTALL] = OCPP_FW_DONE;
    step(100);
    expect_drain("SignedFirmwareStatusNotification Downloading#10,SignedFirmwareStatusNotification Downloaded#10,"
                 "SignedFirmwareStatusNotification SignatureVerified#10,SignedFirmwareStatusNotification Installing#10,"
                 "SignedFirmwareStatusNotification Installed#10");
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification Idle");
    /* a legacy job's status has no requestId to give */
    s_b.signed_ok = false;
    update("http://h/fw.bin", "2026-03-01T12:00:00Z", "");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_FAILED;
    step(100);
    expect_drain("FirmwareStatusNotification Downloading,FirmwareStatusNotification DownloadFailed");
    expect_field(t, fsn, "status", "Accepted");
    expect_drain("SignedFirmwareStatusNotification DownloadFailed");
}

/* ExtendedTriggerMessage LogStatusNotification: the running GetLog upload's status with its
 * requestId, else Idle without one (a GetDiagnostics upload is not the log's). */
static void test_extended_trigger_log(void **state)
{
    (void)state;
    const char *t = "ExtendedTriggerMessage", *lsn = "{\"requestedMessage\":\"LogStatusNotification\"}";
    expect_field(t, lsn, "status", "Accepted");
    expect_drain("LogStatusNotification Idle");
    expect_field("GetLog", "{\"logType\":\"SecurityLog\",\"requestId\":5,\"log\":{\"remoteLocation\":\"https://h/l\"}}",
                 "status", "Accepted");
    expect_drain("LogStatusNotification Uploading#5");
    expect_field(t, lsn, "status", "Accepted");
    expect_drain("LogStatusNotification Uploading#5");
    s_b.result[OCPP_FW_JOB_UPLOAD] = OCPP_FW_DONE;
    step(100);
    expect_drain("LogStatusNotification Uploaded#5");
    expect_field(t, lsn, "status", "Accepted");
    expect_drain("LogStatusNotification Idle");
    (void)call("GetDiagnostics", "{\"location\":\"ftp://127.0.0.1/up\"}", NULL, NULL);
    expect_field(t, lsn, "status", "Accepted");
    expect_drain("DiagnosticsStatusNotification Uploading,LogStatusNotification Idle");
}

static void test_not_attached(void **state)
{
    (void)state;
    s_cp.fw = NULL;
    expect_error("UpdateFirmware", "{\"location\":\"http://h/f\",\"retrieveDate\":\"2026-03-01T12:00:00Z\"}",
                 "NotSupported", NULL);
    expect_error("GetLog", "{}", "NotSupported", NULL);
    expect_field("TriggerMessage", "{\"requestedMessage\":\"FirmwareStatusNotification\"}", "status",
                 "NotImplemented");
    expect_field("ExtendedTriggerMessage", "{\"requestedMessage\":\"LogStatusNotification\"}", "status",
                 "NotImplemented");
}

static void test_notes_survive_offline(void **state)
{
    (void)state;
    update("http://h/fw.bin", "2026-03-01T12:00:00Z", "");
    ocpp_cp_disconnected(&s_cp);
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100); /* the job goes on offline */
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    s_b.result[OCPP_FW_JOB_INSTALL] = OCPP_FW_DONE;
    step(100);
    assert_int_equal(ocpp_fw_pending(&s_fw), 4); /* the job is over, its four notes wait */
    ocpp_cp_connected(&s_cp, s_now);
    expect_drain("FirmwareStatusNotification Downloading,FirmwareStatusNotification Downloaded,"
                 "FirmwareStatusNotification Installing,FirmwareStatusNotification Installed");
    assert_int_equal(ocpp_fw_pending(&s_fw), 0);
}


/* ---- a restart: the store written, a new charge point of firmware @p version reads it */
static struct fake_ocpp_store s_store;

static void restart(const char *version)
{
    assert_true(fake_ocpp_store_export(&s_cp, &s_store));
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", version, NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.security_profile = 1;
    ocpp_cp_init(&s_cp, &info, &cfg, &fake_ocpp_station_ops, NULL, NULL, 0x301u);
    ocpp_fw_init(&s_fw, &k_fw_ops, NULL);
    s_cp.fw = &s_fw;
    memset(&s_b, 0, sizeof s_b);
    char line[OCPP_STORE_LINE_MAX];
    const char *why = NULL;
    if (fake_ocpp_store_read(&s_cp, s_store.text, line, &why, NULL) != 0u) {
        fail_msg("stored line refused: %s (%s)", line, why);
    }
    ocpp_cp_connected(&s_cp, s_now);
    assert_non_null(sent());
    reply("{\"status\":\"Accepted\",\"currentTime\":\"2026-03-01T12:00:00Z\",\"interval\":300}");
}

/* Every line but the firmware reports, which are what the test checks. */
static const char *fw_reports(void)
{
    static char out[1024];
    const char *all = drain();
    out[0] = '\0';
    for (const char *at = all; *at != '\0';) {
        const char *end = strchr(at, ',');
        size_t n = end != NULL ? (size_t)(end - at) : strlen(at);
        if (strncmp(at, "StatusNotification", 18) != 0) {
            strncat(out, out[0] ? "," : "", sizeof out - strlen(out) - 1u);
            strncat(out, at, n < sizeof out - strlen(out) - 1u ? n : sizeof out - strlen(out) - 1u);
        }
        at += n + (end != NULL ? 1u : 0u);
    }
    return out;
}

/* A job the power cut gets its final report after the restart, with its requestId; the
 * reports not yet confirmed are sent first; nothing is resumed. */
static void test_jobs_across_restart(void **state)
{
    (void)state;
    /* a download running, offline: both reports wait */
    ocpp_cp_disconnected(&s_cp);
    uint32_t gen = s_cp.store_gen;
    update("http://h/fw.bin", "2026-03-01T12:00:00Z", "");
    assert_true(s_cp.store_gen != gen); /* on file before the answer went */
    restart("1.0");
    assert_string_equal(fw_reports(), "FirmwareStatusNotification Downloading,"
                                      "FirmwareStatusNotification DownloadFailed");
    assert_int_equal(s_b.starts[OCPP_FW_JOB_DOWNLOAD], 0);
    assert_false(ocpp_fw_busy(&s_fw));

    /* a signed install running when the power went, the new image running after: Installed */
    s_b.signed_ok = true;
    signed_update(42, "", "Accepted");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    assert_int_equal(s_b.starts[OCPP_FW_JOB_INSTALL], 1);
    (void)drain();
    restart("2.0");
    assert_string_equal(fw_reports(), "SignedFirmwareStatusNotification Installed#42");
    /* the same, but the old image still runs: InstallationFailed */
    s_b.signed_ok = true;
    signed_update(43, "", "Accepted");
    s_b.result[OCPP_FW_JOB_DOWNLOAD] = OCPP_FW_DONE;
    step(100);
    (void)drain();
    restart("2.0");
    assert_string_equal(fw_reports(), "SignedFirmwareStatusNotification InstallationFailed#43");

    /* an upload cut: UploadFailure of its log, with its id */
    int r = call("GetLog", "{\"logType\":\"SecurityLog\",\"requestId\":5,\"log\":{\"remoteLocation\":\"https://h/l\"}}",
                 NULL, NULL);
    assert_true(r >= 0);
    (void)drain();
    restart("2.0");
    assert_string_equal(fw_reports(), "LogStatusNotification UploadFailure#5");
    /* nothing left: the next restart reports nothing */
    restart("2.0");
    assert_string_equal(fw_reports(), "");

    /* damaged lines: refused with a reason */
    static const char *const bad[] = {
        "fwjob 0 0 1 -",   /* idle is not a job */
        "fwjob 6 0 1 -",   /* no such step */
        "fwjob 2 2 1 -",   /* signed is 0 or 1 */
        "fwjob 2 0 1 zz",  /* not hex */
        "fwjob 2 0 1",     /* a field short */
        "fwnote 4 0 0 0",  /* no such kind */
        "fwnote 2 4 0 0",  /* no such upload status */
        "fwnote 0 12 0 0", /* no such firmware status */
        "upjob 2 1",       /* log is 0 or 1 */
        "upjob 1 x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (ocpp_cp_store_line(&s_cp, bad[i], &why) != HAL_EINVAL || why == NULL) {
            fail_msg("accepted or without a reason: %s", bad[i]);
        }
    }
    assert_int_equal(ocpp_fw_pending(&s_fw), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_installed, setup),
        cmocka_unit_test_setup(test_update_scheduled, setup),
        cmocka_unit_test_setup(test_update_retries, setup),
        cmocka_unit_test_setup(test_start_failure_counts, setup),
        cmocka_unit_test_setup(test_install_waits_for_transaction, setup),
        cmocka_unit_test_setup(test_hostile_locations, setup),
        cmocka_unit_test_setup(test_schema, setup),
        cmocka_unit_test_setup(test_signed_installed, setup),
        cmocka_unit_test_setup(test_signed_bad_certificate, setup),
        cmocka_unit_test_setup(test_signed_bad_signature, setup),
        cmocka_unit_test_setup(test_signed_scheduled_and_cancelled, setup),
        cmocka_unit_test_setup(test_diagnostics, setup),
        cmocka_unit_test_setup(test_get_log, setup),
        cmocka_unit_test_setup(test_extended_trigger_firmware, setup),
        cmocka_unit_test_setup(test_extended_trigger_log, setup),
        cmocka_unit_test_setup(test_not_attached, setup),
        cmocka_unit_test_setup(test_notes_survive_offline, setup),
        cmocka_unit_test_setup(test_jobs_across_restart, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
