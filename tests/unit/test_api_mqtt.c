/* Unit tests of the MQTT API's portable part (firmware/api_mqtt.c, api_json.c): one
 * pilot-level connector (fake pilot and power path) behind a station, the API over it with
 * a recording publish and a scripted download and installer. The on-change rule (no
 * duplicate, dead-band, minimum interval), retained state again after a reconnect, every
 * kind of bad command answered with a reason and changing nothing, the good commands
 * reaching the connector, and the firmware-update walks of the Charge Control M topics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_mqtt.h"
#include "fake_log.h"
#include "fake_pilot.h"
#include "fake_power.h"
#include "station.h"

#define PUBS 512

struct pub {
    char topic[CFG_API_MQTT_TOPIC_MAX];
    char payload[CFG_API_MQTT_PAYLOAD_MAX];
    bool retain;
};

static struct fake_pilot s_pilot;
static struct fake_power s_power;
static struct fake_log s_log;
static struct charger s_charger;
static struct sched s_sched;
static struct station s_st;
static struct api_mqtt s_api;
static uint32_t s_now;
static struct pub s_pub[PUBS];
static int s_npub;
static bool s_broker_up;
/* the scripted board: what download_poll / install_poll answer next */
static int s_dl_rc, s_inst_rc, s_dl_starts, s_inst_starts;
static char s_inst_arg[CFG_API_JSON_STR_MAX];

static int rec_publish(void *ctx, const char *topic, const char *payload, size_t len, bool retain)
{
    (void)ctx;
    if (!s_broker_up) {
        return HAL_ECLOSED;
    }
    assert_true(s_npub < PUBS);
    assert_true(len < sizeof s_pub[0].payload);
    snprintf(s_pub[s_npub].topic, sizeof s_pub[0].topic, "%s", topic);
    memcpy(s_pub[s_npub].payload, payload, len);
    s_pub[s_npub].payload[len] = '\0';
    s_pub[s_npub].retain = retain;
    s_npub++;
    return HAL_OK;
}

static int fk_download_start(void *ctx, const char *url)
{
    (void)ctx;
    (void)url;
    s_dl_starts++;
    return HAL_OK;
}

static int fk_download_poll(void *ctx, uint8_t *pct, const char **msg)
{
    (void)ctx;
    *pct = 50;
    *msg = s_dl_rc == HAL_OK ? "downloaded" : "download failed: partial file";
    return s_dl_rc;
}

static int fk_install_start(void *ctx, const char *url)
{
    (void)ctx;
    s_inst_starts++;
    snprintf(s_inst_arg, sizeof s_inst_arg, "%s", url != NULL ? url : "(file)");
    return HAL_OK;
}

static int fk_install_poll(void *ctx, const char **msg)
{
    (void)ctx;
    *msg = s_inst_rc == HAL_OK ? "" : "the installer exited with status 1";
    return s_inst_rc;
}

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        s_now++;
        fake_power_tick(&s_power, s_now);
        sched_run(&s_sched, s_now, false);
        struct station_event e;
        while (station_event_pop(&s_st, &e) == HAL_OK) {
            api_mqtt_event(&s_api, &e);
        }
        api_mqtt_poll(&s_api, s_now);
    }
}

/* A meter of the test's own: a register the test moves, a health it sets. */
struct tmeter {
    struct meter base;
    int64_t import_wh;
    int status;
};

static struct tmeter s_meter;

static int tm_live(struct meter *m, struct meter_live *out)
{
    struct tmeter *t = (struct tmeter *)m;
    memset(out, 0, sizeof *out);
    out->import_wh = t->import_wh;
    out->at_ms = s_now;
    return t->status == HAL_ETIMEDOUT ? HAL_ETIMEDOUT : HAL_OK;
}

static int tm_result(struct meter *m, struct meter_done *out)
{
    (void)m;
    (void)out;
    return HAL_EAGAIN;
}

static int tm_status(struct meter *m, uint32_t *dev)
{
    *dev = 0;
    return ((struct tmeter *)m)->status;
}

static const struct meter_ops s_tm_ops = {.live = tm_live, .result = tm_result, .status = tm_status};

static int setup_ports(struct meter *meter)
{
    s_now = 0;
    s_npub = 0;
    s_broker_up = true;
    s_dl_rc = HAL_EAGAIN;
    s_inst_rc = HAL_EAGAIN;
    s_dl_starts = 0;
    s_inst_starts = 0;
    sched_init(&s_sched);
    fake_pilot_init(&s_pilot);
    fake_power_init(&s_power);
    fake_log_init(&s_log);
    struct charger_config cc;
    charger_default_config(&cc);
    struct charger_ports ports = {.pilot = &s_pilot.base, .gpio = &s_power.gpio, .psu = &s_power.psu, .log = &s_log.base,
                                  .meter = meter};
    assert_int_equal(charger_init(&s_charger, &cc, &ports, &s_sched, s_now), HAL_OK);
    struct station_config sc;
    station_default_config(&sc);
    struct charger *conns[1] = {&s_charger};
    assert_int_equal(station_init(&s_st, &sc, conns, 1, &s_sched, s_now), HAL_OK);
    struct api_mqtt_config ac;
    api_mqtt_default_config(&ac);
    snprintf(ac.station_id, sizeof ac.station_id, "cs1");
    ac.version = "test 1.0";
    struct api_mqtt_ops ops = {.publish = rec_publish, .download_start = fk_download_start,
                               .download_poll = fk_download_poll, .install_start = fk_install_start,
                               .install_poll = fk_install_poll};
    assert_int_equal(api_mqtt_init(&s_api, &ac, &ops, &s_st, STATION_NO_LIMIT, STATION_NO_LIMIT, s_now), HAL_OK);
    api_mqtt_connected(&s_api, true);
    run(100);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return setup_ports(NULL);
}

static int setup_meter(void **state)
{
    (void)state;
    memset(&s_meter, 0, sizeof s_meter);
    s_meter.base.ops = &s_tm_ops;
    s_meter.import_wh = 1000000;
    s_meter.status = HAL_OK;
    return setup_ports(&s_meter.base);
}

static void plug(void)
{
    pilot_ev_plug(&s_pilot.ev, true);
    run(100);
    assert_int_equal(pilot_ev_set_s2(&s_pilot.ev, true), HAL_OK);
    run(300);
}

static int count(const char *topic, int from)
{
    int n = 0;
    for (int i = from; i < s_npub; i++) {
        n += strcmp(s_pub[i].topic, topic) == 0;
    }
    return n;
}

/* The last payload on @p topic, or NULL. */
static const struct pub *last(const char *topic)
{
    for (int i = s_npub - 1; i >= 0; i--) {
        if (strcmp(s_pub[i].topic, topic) == 0) {
            return &s_pub[i];
        }
    }
    return NULL;
}

static void cmd(const char *json)
{
    api_mqtt_message(&s_api, "dcfc/v1/cs1/cmd", json, strlen(json), s_now);
}

/* The reply to the last command: ok, or its reason contains @p reason. */
static void assert_reply(bool ok, const char *reason)
{
    const struct pub *r = last("dcfc/v1/cs1/reply");
    assert_non_null(r);
    assert_false(r->retain);
    assert_non_null(strstr(r->payload, ok ? "\"ok\":true" : "\"ok\":false"));
    if (reason != NULL) {
        if (strstr(r->payload, reason) == NULL) {
            fail_msg("reply %s lacks '%s'", r->payload, reason);
        }
    }
}

/* ---------------------------------------------------------------- JSON */

static void test_json_parse(void **state)
{
    (void)state;
    static struct api_json_obj o;
    const char *why = NULL;
    const char *good = " {\"cmd\":\"set_limit\", \"current_a\": 12.5, \"power_w\":null, \"x\":true,"
                       " \"t\":\"a\\\"b\\u0041\"} ";
    assert_int_equal(api_json_parse(good, strlen(good), &o, &why), HAL_OK);
    assert_int_equal(o.n, 5);
    assert_string_equal(api_json_get(&o, "cmd")->str, "set_limit");
    assert_int_equal(api_json_get(&o, "current_a")->milli, 12500);
    assert_int_equal(api_json_get(&o, "power_w")->type, API_JSON_NULL);
    assert_true(api_json_get(&o, "x")->b);
    assert_string_equal(api_json_get(&o, "t")->str, "a\"bA");
    static const char *const bad[] = {
        "", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":{\"b\":1}}", "{\"a\":[1]}",
        "{\"a\":1e3}", "{\"a\":01}", "{\"a\":1.2345}", "{\"a\":\"\\u00e9\"}", "{\"a\":\"x", "{\"a\":1,\"a\":2}",
        "{\"a\":tru}", "{\"a\":99999999999999}", "{\"a\":\"\x01\"}",
        "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9}",
        "{\"a_key_that_is_far_too_long_for_us\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (api_json_parse(bad[i], strlen(bad[i]), &o, &why) != HAL_EPROTO) {
            fail_msg("accepted: %s", bad[i]);
        }
        assert_non_null(why);
        assert_true(why[0] != '\0');
    }
    /* the writer: escapes, fixed point, never past the buffer */
    char buf[64];
    struct api_json_out w;
    api_json_begin(&w, buf, sizeof buf);
    api_json_str(&w, "s", "q\"\n");
    api_json_milli(&w, "v", 363520);
    api_json_milli(&w, "n", -1500);
    assert_true(api_json_end(&w) > 0);
    assert_string_equal(buf, "{\"s\":\"q\\\"\\u000a\",\"v\":363.52,\"n\":-1.5}");
    char small[8];
    api_json_begin(&w, small, sizeof small);
    api_json_str(&w, "long", "value");
    assert_int_equal(api_json_end(&w), 0);
    assert_string_equal(small, "");
}

/* ---------------------------------------------------------------- on change */

static void test_filter_deadband_and_interval(void **state)
{
    (void)state;
    struct api_mqtt_filter f = {0};
    const int64_t floor[2] = {1000, 100};
    int64_t v[2] = {400000, 10000};
    assert_true(api_mqtt_changed(&f, v, floor, 2, 7, 0, 1, 1000)); /* never sent */
    f.sent = true;
    f.hash = 7;
    f.at_ms = 0;
    f.last[0] = 400000;
    f.last[1] = 10000;
    /* unchanged: never again, however long */
    assert_false(api_mqtt_changed(&f, v, floor, 2, 7, 100000, 1, 1000));
    /* inside the dead-band (1 % of 400 V = 4 V) */
    v[0] = 403000;
    assert_false(api_mqtt_changed(&f, v, floor, 2, 7, 5000, 1, 1000));
    /* beyond it, but before the minimum interval */
    v[0] = 405000;
    assert_false(api_mqtt_changed(&f, v, floor, 2, 7, 999, 1, 1000));
    assert_true(api_mqtt_changed(&f, v, floor, 2, 7, 1000, 1, 1000));
    /* the floor: 1 % of 10 A is 100 mA, the floor too; 150 mA passes */
    v[0] = 400000;
    v[1] = 10050;
    assert_false(api_mqtt_changed(&f, v, floor, 2, 7, 5000, 1, 1000));
    v[1] = 10150;
    assert_true(api_mqtt_changed(&f, v, floor, 2, 7, 5000, 1, 1000));
    /* a drop to zero always counts (after the interval) */
    v[1] = 0;
    assert_false(api_mqtt_changed(&f, v, floor, 2, 7, 500, 50, 1000));
    assert_true(api_mqtt_changed(&f, v, floor, 2, 7, 1000, 50, 1000));
    /* a text change goes out at once */
    v[1] = 10000;
    assert_true(api_mqtt_changed(&f, v, floor, 2, 8, 1, 1, 1000));
}

static void test_no_duplicates_and_retained_again(void **state)
{
    (void)state;
    /* the first pass announced everything once, retained */
    assert_int_equal(count("dcfc/v1/cs1/online", 0), 1);
    assert_string_equal(last("dcfc/v1/cs1/online")->payload, "true");
    assert_true(last("dcfc/v1/cs1/online")->retain);
    assert_string_equal(last(API_MQTT_CCM_VERSION)->payload, "test 1.0");
    assert_true(last(API_MQTT_CCM_VERSION)->retain);
    assert_int_equal(count("dcfc/v1/cs1/connector/1/status", 0), 1);
    assert_true(last("dcfc/v1/cs1/connector/1/status")->retain);
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/status")->payload, "\"Available\""));
    /* nothing changes for 5 s: only heartbeats appear */
    int at = s_npub;
    run(5000);
    for (int i = at; i < s_npub; i++) {
        assert_string_equal(s_pub[i].topic, "dcfc/v1/cs1/heartbeat");
    }
    /* a broker away: nothing is published, nothing breaks; back: every state again */
    s_broker_up = false;
    api_mqtt_connected(&s_api, false);
    run(1000);
    s_broker_up = true;
    at = s_npub;
    api_mqtt_connected(&s_api, true);
    run(10);
    assert_int_equal(count("dcfc/v1/cs1/online", at), 1);
    assert_int_equal(count("dcfc/v1/cs1/connector/1/status", at), 1);
    assert_int_equal(count("dcfc/v1/cs1/connector/1/measurement", at), 1);
    assert_int_equal(count("dcfc/v1/cs1/limits", at), 1);
    assert_int_equal(count(API_MQTT_FWU_ACTUAL, at), 1);
}

static void test_session_telemetry(void **state)
{
    (void)state;
    int at = s_npub;
    plug();
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/status")->payload, "\"Charging\""));
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/session")->payload, "\"active\":true"));
    /* steady charging for 10 s: the measurement is published at most once a second */
    int before = count("dcfc/v1/cs1/connector/1/measurement", 0);
    run(10000);
    int during = count("dcfc/v1/cs1/connector/1/measurement", 0) - before;
    assert_true(during <= 11);
    /* and no state topic repeats itself while nothing changes */
    assert_int_equal(count("dcfc/v1/cs1/connector/1/status", at + 1), count("dcfc/v1/cs1/connector/1/status", at) - 1);
    /* the car leaves: the record, retained */
    (void)pilot_ev_set_s2(&s_pilot.ev, false);
    run(500);
    pilot_ev_plug(&s_pilot.ev, false);
    run(300);
    const struct pub *r = last("dcfc/v1/cs1/connector/1/session/record");
    assert_non_null(r);
    assert_true(r->retain);
    assert_non_null(strstr(r->payload, "\"number\":1"));
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/session")->payload, "\"active\":false"));
}

static void test_errors_raised_and_cleared(void **state)
{
    (void)state;
    struct station_event e = {.kind = STATION_EV_ERROR_RAISED, .connector = 0, .time_ms = s_now};
    e.u.error.source = ERRORS_SRC_IMD;
    e.u.error.code = 256;
    e.u.error.severity = ERRORS_SEV_HIGH;
    e.u.error.text = "insulation \"fault\"";
    api_mqtt_event(&s_api, &e);
    const struct pub *ev = last("dcfc/v1/cs1/connector/1/error");
    assert_non_null(ev);
    assert_false(ev->retain);
    assert_string_equal(ev->payload, "{\"event\":\"raised\",\"source\":\"imd\",\"code\":256,\"severity\":\"high\","
                                     "\"text\":\"insulation \\\"fault\\\"\"}");
    run(10);
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/errors")->payload, "\"count\":1"));
    /* the same error again: nothing new in the list */
    int at = s_npub;
    api_mqtt_event(&s_api, &e);
    run(10);
    assert_int_equal(count("dcfc/v1/cs1/connector/1/errors", at), 0);
    e.kind = STATION_EV_ERROR_CLEARED;
    api_mqtt_event(&s_api, &e);
    run(10);
    assert_string_equal(last("dcfc/v1/cs1/connector/1/errors")->payload, "{\"count\":0,\"active\":[]}");
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/error")->payload, "\"cleared\""));
}

/* ---------------------------------------------------------------- commands */

static void test_bad_commands_change_nothing(void **state)
{
    (void)state;
    plug();
    uint32_t lim = station_connector_limit_w(&s_st, 0);
    uint32_t set_ma = s_power.set_ma;
    uint32_t refused = api_mqtt_refused(&s_api);
    static const struct {
        const char *json, *reason;
    } bad[] = {
        {"{\"cmd\":\"stop\"", "malformed JSON"},
        {"not json", "malformed JSON"},
        {"{\"cmd\":\"explode\"}", "unknown command"},
        {"{\"id\":\"7\"}", "cmd (a string) is required"},
        {"{\"cmd\":\"stop\",\"connectr\":1}", "unknown key \\\"connectr\\\""},
        {"{\"cmd\":\"stop\",\"connector\":2}", "connector is out of range"},
        {"{\"cmd\":\"stop\",\"connector\":1.5}", "whole number"},
        {"{\"cmd\":\"set_limit\",\"current_a\":-1}", "current_a is out of range"},
        {"{\"cmd\":\"set_limit\",\"current_a\":20000}", "current_a is out of range"},
        {"{\"cmd\":\"set_limit\",\"power_w\":\"lots\"}", "power_w must be a number"},
        {"{\"cmd\":\"set_limit\"}", "needs current_a or power_w"},
        {"{\"cmd\":\"set_limit\",\"station\":true,\"connector\":1,\"power_w\":1}", "not both"},
        {"{\"cmd\":\"authorize\",\"token\":\"012345678901234567890\"}", "longer than 19"},
        {"{\"cmd\":\"authorize\",\"token\":\"ab\",\"source\":\"moon\"}", "source must be"},
        {"{\"cmd\":\"set_availability\"}", "operative (true or false) is required"},
        /* allowed in general, not now: the session is authorised already; pilot-level has
         * no pause */
        {"{\"cmd\":\"authorize\",\"token\":\"card1\"}", "present state"},
        {"{\"cmd\":\"pause\"}", "not supported"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cmd(bad[i].json);
        assert_reply(false, bad[i].reason);
        run(20);
        assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
        assert_int_equal(station_connector_limit_w(&s_st, 0), lim);
        assert_int_equal(s_power.set_ma, set_ma);
    }
    assert_int_equal(api_mqtt_refused(&s_api) - refused, sizeof bad / sizeof bad[0]);
    /* the id is echoed */
    cmd("{\"cmd\":\"ping\",\"id\":\"abc\"}");
    assert_reply(true, "\"id\":\"abc\"");
}

static void test_commands_reach_the_connector(void **state)
{
    (void)state;
    plug();
    assert_int_equal(s_power.set_ma, 10000);
    /* lower the current: the connector's setpoint follows, the evse topic tells */
    cmd("{\"cmd\":\"set_limit\",\"connector\":1,\"current_a\":5}");
    assert_reply(true, NULL);
    run(1100);
    assert_int_equal(s_power.set_ma, 5000);
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/evse")->payload, "\"set_current_a\":5"));
    /* the station's own limit, reported on .../limits */
    cmd("{\"cmd\":\"set_limit\",\"station\":true,\"power_w\":1000}");
    assert_reply(true, NULL);
    run(1100);
    assert_int_equal(s_power.set_ma, 2500);
    assert_string_equal(last("dcfc/v1/cs1/limits")->payload, "{\"max_current_a\":null,\"max_power_w\":1000}");
    /* stop: the session ends, a second stop is refused with a reason */
    cmd("{\"cmd\":\"stop\"}");
    assert_reply(true, NULL);
    run(1500);
    assert_true(station_status(&s_st, 0) == STATION_FINISHING || station_status(&s_st, 0) == STATION_AVAILABLE);
    cmd("{\"cmd\":\"stop\"}");
    assert_reply(false, "present state");
    /* unlock, a reset with nothing held, availability */
    cmd("{\"cmd\":\"unlock\",\"connector\":1}");
    assert_reply(true, NULL);
    cmd("{\"cmd\":\"reset\"}");
    assert_reply(true, NULL);
    cmd("{\"cmd\":\"set_availability\",\"operative\":false}");
    assert_reply(true, NULL);
    (void)pilot_ev_set_s2(&s_pilot.ev, false);
    pilot_ev_plug(&s_pilot.ev, false);
    run(1500);
    assert_int_equal(station_status(&s_st, 0), STATION_UNAVAILABLE);
    assert_non_null(strstr(last("dcfc/v1/cs1/connector/1/status")->payload, "\"Unavailable\""));
}

static void test_preauthorized_token_in_session(void **state)
{
    (void)state;
    cmd("{\"cmd\":\"authorize\",\"token\":\"card-9\",\"source\":\"rfid\",\"connector\":1}");
    assert_reply(true, NULL);
    plug();
    const struct pub *p = last("dcfc/v1/cs1/connector/1/session");
    assert_non_null(p);
    assert_non_null(strstr(p->payload, "\"token\":\"card-9\",\"source\":\"rfid\""));
}

/* ---------------------------------------------------------------- firmware update */

static void fwu(const char *leaf, const char *text)
{
    char t[96];
    snprintf(t, sizeof t, "firmware/update/target/%s", leaf);
    api_mqtt_message(&s_api, t, text, strlen(text), s_now);
}

/* The states published on .../state/actual from @p from on, joined by ' '. */
static void walk(int from, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = from; i < s_npub; i++) {
        if (strcmp(s_pub[i].topic, API_MQTT_FWU_ACTUAL) == 0) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? " " : "", s_pub[i].payload);
        }
    }
}

static void test_update_success(void **state)
{
    (void)state;
    char w[256];
    int at = s_npub;
    fwu("url", "http://host/fw.bin");
    run(10);
    assert_int_equal(api_mqtt_fwu_state(&s_api), API_MQTT_FWU_DOWNLOADING);
    assert_string_equal(last(API_MQTT_FWU_PROGRESS)->payload, "50");
    /* a second URL while busy is refused, the first walk goes on */
    fwu("url", "http://host/other.bin");
    assert_int_equal(s_dl_starts, 1);
    s_dl_rc = HAL_OK;
    run(10);
    assert_int_equal(api_mqtt_fwu_state(&s_api), API_MQTT_FWU_INSTALLING);
    assert_string_equal(s_inst_arg, "(file)");
    s_inst_rc = HAL_OK;
    run(10);
    walk(at, w, sizeof w);
    assert_string_equal(w, "downloading download-succeeded installing install-succeeded");
    assert_string_equal(last(API_MQTT_FWU_RESULT)->payload, "install-succeeded");
    assert_true(last(API_MQTT_FWU_RESULT)->retain);
    assert_non_null(strstr(last(API_MQTT_FWU_MESSAGE)->payload, "reboot"));
}

static void test_update_raucb_goes_to_the_installer(void **state)
{
    (void)state;
    char w[256];
    int at = s_npub;
    fwu("url", "https://host/bundle.raucb");
    s_inst_rc = HAL_OK;
    run(10);
    walk(at, w, sizeof w);
    assert_string_equal(w, "installing install-succeeded");
    assert_int_equal(s_dl_starts, 0);
    assert_string_equal(s_inst_arg, "https://host/bundle.raucb");
}

static void test_update_retries_with_interval(void **state)
{
    (void)state;
    char w[256];
    /* trials and interval latch when the URL arrives: values after it wait for the next */
    fwu("max trials", "2");
    fwu("interval", "5");
    int at = s_npub;
    s_dl_rc = HAL_EIO;
    fwu("url", "http://host/fw.bin");
    fwu("max trials", "9");
    run(10);
    assert_int_equal(s_dl_starts, 1);
    assert_int_equal(api_mqtt_fwu_state(&s_api), API_MQTT_FWU_DOWNLOAD_FAILED);
    assert_null(last(API_MQTT_FWU_RESULT) != NULL && last(API_MQTT_FWU_RESULT)->payload[0] != '\0'
                    ? last(API_MQTT_FWU_RESULT) : NULL);
    run(4900);
    assert_int_equal(s_dl_starts, 1); /* the interval */
    run(200);
    assert_int_equal(s_dl_starts, 2);
    run(10000);
    assert_int_equal(s_dl_starts, 2); /* max trials 2, not 9 */
    walk(at, w, sizeof w);
    assert_string_equal(w, "downloading download-failed downloading download-failed");
    assert_string_equal(last(API_MQTT_FWU_RESULT)->payload, "download-failed");
    assert_non_null(strstr(last(API_MQTT_FWU_MESSAGE)->payload, "partial"));
    /* a failing installer: install-failed, then (one trial) the result */
    at = s_npub;
    fwu("max trials", "1");
    s_dl_rc = HAL_OK;
    s_inst_rc = HAL_EIO;
    fwu("url", "http://host/fw2.bin");
    run(10);
    walk(at, w, sizeof w);
    assert_string_equal(w, "downloading download-succeeded installing install-failed");
    assert_string_equal(last(API_MQTT_FWU_RESULT)->payload, "install-failed");
    assert_non_null(strstr(last(API_MQTT_FWU_MESSAGE)->payload, "status 1"));
    /* bad targets: refused, nothing starts */
    int starts = s_dl_starts;
    fwu("url", "ftp://host/x");
    fwu("url", "http://host/a b");
    fwu("max trials", "0");
    fwu("interval", "-3");
    run(10);
    assert_int_equal(s_dl_starts, starts);
}

/* ---------------------------------------------------------------- power stage and meter */

#define T_STAGE "dcfc/v1/cs1/connector/1/power_stage"
#define T_METER "dcfc/v1/cs1/connector/1/meter"

static void assert_has(const char *topic, const char *what)
{
    const struct pub *p = last(topic);
    assert_non_null(p);
    if (strstr(p->payload, what) == NULL) {
        fail_msg("%s: %s lacks '%s'", topic, p->payload, what);
    }
}

static void test_power_stage_on_change(void **state)
{
    (void)state;
    /* published once, retained; a stage without telemetry leaves mode and modules out */
    assert_int_equal(count(T_STAGE, 0), 1);
    assert_true(last(T_STAGE)->retain);
    assert_has(T_STAGE, "\"valid\":true");
    assert_has(T_STAGE, "\"set_voltage_v\":0");
    assert_null(strstr(last(T_STAGE)->payload, "modules"));
    assert_null(strstr(last(T_STAGE)->payload, "mode"));
    assert_null(strstr(last(T_STAGE)->payload, "temperature"));
    /* a voltage left on the output: from zero, so published (after the interval) */
    int at = s_npub;
    s_power.off_mv = 100000;
    run(1500);
    assert_int_equal(count(T_STAGE, at), 1);
    assert_has(T_STAGE, "\"voltage_v\":100");
    /* 0.5 V: inside the dead-band (1 % of 100 V = 1 V), never published however long */
    at = s_npub;
    s_power.off_mv = 100500;
    run(3000);
    assert_int_equal(count(T_STAGE, at), 0);
    /* 3 V: beyond it, once */
    s_power.off_mv = 103000;
    run(3000);
    assert_int_equal(count(T_STAGE, at), 1);
    assert_has(T_STAGE, "\"voltage_v\":103");
    /* charging: the setpoint in force and the output as read back */
    s_power.off_mv = 0;
    plug();
    run(3000);
    assert_has(T_STAGE, "\"set_voltage_v\":400");
    assert_has(T_STAGE, "\"voltage_v\":400");
    assert_has(T_STAGE, "\"current_a\":100");
    /* steady charging: nothing more */
    at = s_npub;
    run(3000);
    assert_int_equal(count(T_STAGE, at), 0);
}

/* A stage that also reports mode, modules and errors (as InfyPower does). */
static uint8_t s_online = 2;
static size_t s_nerrs;

static int ts_telemetry(struct psu *p, struct psu_telemetry *t, uint32_t now_ms)
{
    memset(t, 0, sizeof *t);
    int rc = psu_read_output(p, &t->output, now_ms);
    t->mode = s_power.mode == PSU_MODE_EXPORT ? PSU_MODE_EXPORT : PSU_MODE_OFF;
    t->modules_configured = 3;
    t->modules_online = s_online;
    t->modules_active = s_online;
    return rc == HAL_OK ? HAL_OK : rc;
}

static int ts_modules(struct psu *p, struct psu_module *out, size_t max, size_t *count)
{
    (void)p;
    *count = 0;
    for (uint8_t i = 0; i < 3 && i < max; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].address = i;
        out[i].online = i < s_online;
        out[i].temperature_c = (int8_t)(30 + 10 * i); /* 30, 40, (50: offline, not counted) */
        (*count)++;
    }
    return HAL_OK;
}

static int ts_errors(struct psu *p, struct psu_error *out, size_t max, size_t *count)
{
    (void)p;
    *count = 0;
    if (s_nerrs > 0 && max > 0) {
        out[0] = (struct psu_error){.type = PSU_ERR_VENDOR_WARNING, .severity = PSU_SEV_LOW, .subtype = 2};
        *count = 1;
    }
    return HAL_OK;
}

static void test_power_stage_with_modules(void **state)
{
    (void)state;
    static struct psu_ops ops;
    ops = *s_power.psu.ops;
    ops.read_telemetry = ts_telemetry;
    ops.read_modules = ts_modules;
    ops.get_errors = ts_errors;
    s_power.psu.ops = &ops;
    s_online = 2;
    s_nerrs = 0;
    int at = s_npub;
    run(1500);
    assert_int_equal(count(T_STAGE, at), 1);
    assert_has(T_STAGE, "\"mode\":\"off\"");
    assert_has(T_STAGE, "\"modules_online\":2,\"modules_configured\":3");
    assert_has(T_STAGE, "\"temperature_c\":40");
    assert_has(T_STAGE, "\"errors\":[],\"severity\":null");
    /* a warning raised: out at once (text), with its EVerest name */
    at = s_npub;
    s_nerrs = 1;
    run(10);
    assert_int_equal(count(T_STAGE, at), 1);
    assert_has(T_STAGE, "\"errors\":[\"VendorWarning\"],\"severity\":\"Low\"");
    /* a module lost: out at once; the hottest one left is the first */
    at = s_npub;
    s_online = 1;
    run(10);
    assert_int_equal(count(T_STAGE, at), 1);
    assert_has(T_STAGE, "\"modules_online\":1");
    assert_has(T_STAGE, "\"temperature_c\":30");
    at = s_npub;
    run(3000);
    assert_int_equal(count(T_STAGE, at), 0);
}

/* A stage fed by a central unit (as the Huawei one): what the unit reports, moved by the test. */
static struct psu_unit_status s_unit;

static int tu_unit(struct psu *p, struct psu_unit_status *u, uint32_t now_ms)
{
    (void)p;
    (void)now_ms;
    *u = s_unit;
    return HAL_OK;
}

#define T_UNIT "dcfc/v1/cs1/connector/1/power_unit"

static void test_power_unit_on_change(void **state)
{
    (void)state;
    /* a stage without a unit (the fake, as InfyPower) publishes no such topic */
    assert_int_equal(count(T_UNIT, 0), 0);
    static struct psu_ops ops;
    ops = *s_power.psu.ops;
    ops.read_unit = tu_unit;
    s_power.psu.ops = &ops;
    /* before the unit said anything: nulls, not zeros */
    memset(&s_unit, 0, sizeof s_unit);
    s_unit.session_state = "CarDisconnected";
    int at = s_npub;
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_true(last(T_UNIT)->retain);
    assert_has(T_UNIT, "\"psu_running_mode\":null,\"ac_input_voltage_v\":null");
    assert_has(T_UNIT, "\"input_energy_wh\":null");
    assert_has(T_UNIT, "\"psu_port_available\":null,\"state\":\"CarDisconnected\"");
    assert_has(T_UNIT, "\"psu_alarms\":[],\"psu_alarm_count\":0");
    /* the unit's report arrives: out at once (its mode is state), with its values */
    s_unit.running_mode = "running";
    s_unit.ac_known = true;
    s_unit.ac_voltage_mv[0] = 230000;
    s_unit.ac_voltage_mv[1] = 230500;
    s_unit.ac_voltage_mv[2] = 229000;
    s_unit.ac_current_ma[0] = s_unit.ac_current_ma[1] = s_unit.ac_current_ma[2] = 10250;
    s_unit.energy_known = true;
    s_unit.input_energy_wh = 1234000;
    s_unit.port_known = true;
    s_unit.port_available = true;
    at = s_npub;
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_has(T_UNIT, "\"psu_running_mode\":\"running\"");
    assert_has(T_UNIT, "\"ac_input_voltage_v\":[230,230.5,229],\"ac_input_current_a\":[10.25,10.25,10.25]");
    assert_has(T_UNIT, "\"input_energy_wh\":1234000");
    assert_has(T_UNIT, "\"psu_port_available\":true");
    /* nothing changed: nothing more, however long */
    at = s_npub;
    run(5000);
    assert_int_equal(count(T_UNIT, at), 0);
    /* AC inside the dead-band (0.5 V of 230 V, 1 %) and energy within the same kWh: silent */
    s_unit.ac_voltage_mv[0] = 230500;
    s_unit.input_energy_wh = 1234900;
    run(3000);
    assert_int_equal(count(T_UNIT, at), 0);
    /* a phase that moves 10 V: once, after the minimum interval */
    s_unit.ac_voltage_mv[1] = 240500;
    run(3000);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_has(T_UNIT, "\"ac_input_voltage_v\":[230.5,240.5,229]");
    /* an alarm register of the unit, a board alarm, the session state: each at once */
    at = s_npub;
    s_unit.alarm_count = 1;
    s_unit.alarm[0] = 0x4004;
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_has(T_UNIT, "\"psu_alarms\":[\"0x4004\"],\"psu_alarm_count\":1");
    at = s_npub;
    s_unit.board_alarms = PSU_ALARM_DOOR | PSU_ALARM_CONTACTOR;
    s_unit.session_state = "Running";
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_has(T_UNIT, "\"state\":\"Running\",\"door_status_alarm\":true,\"water_alarm\":false");
    assert_has(T_UNIT, "\"contactor_fault_alarm\":true");
    /* the next whole kWh: state, at once */
    at = s_npub;
    s_unit.input_energy_wh = 1235000;
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    /* eight alarms and more: all counted, the first eight listed, the payload still fits */
    at = s_npub;
    s_unit.alarm_count = 20;
    for (unsigned j = 0; j < PSU_UNIT_ALARMS; j++) {
        s_unit.alarm[j] = (uint16_t)(0x4000u + j);
    }
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
    assert_has(T_UNIT, "\"0x4007\"],\"psu_alarm_count\":20");
    /* the broker gone and back: published anew (retained topics are re-sent) */
    api_mqtt_connected(&s_api, false);
    api_mqtt_connected(&s_api, true);
    at = s_npub;
    run(10);
    assert_int_equal(count(T_UNIT, at), 1);
}

static void test_meter_absent(void **state)
{
    (void)state;
    assert_int_equal(count(T_METER, 0), 1);
    assert_string_equal(last(T_METER)->payload, "{\"present\":false,\"transaction\":null,\"record\":null}");
    int at = s_npub;
    run(3000);
    assert_int_equal(count(T_METER, at), 0);
}

static void test_meter_register_on_change(void **state)
{
    (void)state;
    assert_int_equal(count(T_METER, 0), 1);
    assert_true(last(T_METER)->retain);
    assert_has(T_METER, "\"present\":true,\"status\":\"ready\",\"energy_wh\":1000000,\"energy_j\":3600000000");
    assert_has(T_METER, "\"stale\":false");
    /* 5 Wh: inside the register's absolute band (10 Wh), not published however long */
    int at = s_npub;
    s_meter.import_wh += 5;
    run(3000);
    assert_int_equal(count(T_METER, at), 0);
    /* 15 Wh: published, once */
    s_meter.import_wh += 10;
    run(3000);
    assert_int_equal(count(T_METER, at), 1);
    assert_has(T_METER, "\"energy_wh\":1000015");
    /* a growing register goes out at most once per minimum interval (1 s) */
    at = s_npub;
    for (int i = 0; i < 20; i++) {
        s_meter.import_wh += 20;
        run(100);
    }
    assert_true(count(T_METER, at) >= 1 && count(T_METER, at) <= 2);
    /* the meter silent: out at once, the last register marked stale */
    at = s_npub;
    s_meter.status = HAL_ETIMEDOUT;
    run(10);
    assert_int_equal(count(T_METER, at), 1);
    assert_has(T_METER, "\"status\":\"lost\"");
    assert_has(T_METER, "\"stale\":true");
    s_meter.status = HAL_OK;
}

static void test_config_check(void **state)
{
    (void)state;
    struct api_mqtt_config c;
    const char *why = NULL;
    api_mqtt_default_config(&c);
    assert_int_equal(api_mqtt_check_config(&c, &why), HAL_OK);
    snprintf(c.station_id, sizeof c.station_id, "a/b");
    assert_int_equal(api_mqtt_check_config(&c, &why), HAL_EINVAL);
    assert_non_null(strstr(why, "client id"));
    api_mqtt_default_config(&c);
    snprintf(c.prefix, sizeof c.prefix, "#");
    assert_int_equal(api_mqtt_check_config(&c, &why), HAL_EINVAL);
    api_mqtt_default_config(&c);
    c.deadband_pct = 51;
    assert_int_equal(api_mqtt_check_config(&c, &why), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse),
        cmocka_unit_test(test_filter_deadband_and_interval),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test_setup(test_no_duplicates_and_retained_again, setup),
        cmocka_unit_test_setup(test_session_telemetry, setup),
        cmocka_unit_test_setup(test_errors_raised_and_cleared, setup),
        cmocka_unit_test_setup(test_bad_commands_change_nothing, setup),
        cmocka_unit_test_setup(test_commands_reach_the_connector, setup),
        cmocka_unit_test_setup(test_preauthorized_token_in_session, setup),
        cmocka_unit_test_setup(test_update_success, setup),
        cmocka_unit_test_setup(test_update_raucb_goes_to_the_installer, setup),
        cmocka_unit_test_setup(test_update_retries_with_interval, setup),
        cmocka_unit_test_setup(test_power_stage_on_change, setup),
        cmocka_unit_test_setup(test_power_stage_with_modules, setup),
        cmocka_unit_test_setup(test_power_unit_on_change, setup),
        cmocka_unit_test_setup(test_meter_absent, setup),
        cmocka_unit_test_setup(test_meter_register_on_change, setup_meter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
