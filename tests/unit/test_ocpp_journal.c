/* Unit tests of the OCPP queue on the meter journal: undelivered records found at start-up
 * (a reboot while offline) are queued in order, each once, with their OCMF record in the
 * Stop; the CSMS's confirmation marks the record delivered (the slot is freed); records that
 * appear or close while running are queued as they do; an aborted record is not sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_nvs.h"
#include "fake_ocpp_ops.h"
#include "journal.h"
#include "ocpp_journal.h"

static struct fake_nvs s_nvs;
static struct journal s_j;
static struct ocpp_cp s_cp;
static struct ocpp_journal s_oj;
static struct ocpp_json s_js;
static uint32_t s_now;
static int s_delivered;

static const char *REC = "OCMF|{\"PG\":\"T1\"}|{\"SD\":\"00\"}";

static int done(void)
{
    uint32_t seq;
    int status = HAL_EIO;
    for (unsigned i = 0; i < 16; i++) {
        if (journal_done(&s_j, &seq, &status) == HAL_OK) {
            return status;
        }
    }
    fail_msg("journal write never finished");
    return HAL_EIO;
}

static uint32_t begin(int64_t wh, int64_t t)
{
    uint32_t seq;
    assert_int_equal(journal_begin(&s_j, "tx", wh, t, &seq), HAL_OK);
    assert_int_equal(done(), HAL_OK);
    return seq;
}

static void close_tx(uint32_t seq, int64_t wh, int64_t t, enum journal_end end, const char *ocmf)
{
    assert_int_equal(journal_close(&s_j, seq, wh, t, end, ocmf, ocmf ? strlen(ocmf) : 0, ocmf != NULL), HAL_OK);
    assert_int_equal(done(), HAL_OK);
}

static void settle(void)
{
    for (unsigned i = 0; i < 16 && journal_poll(&s_j); i++) {
    }
}

static void f_delivered(void *c, uint32_t tx)
{
    (void)c;
    s_delivered++;
    assert_int_equal(ocpp_journal_delivered(&s_oj, tx), HAL_OK);
}
static size_t f_signed(void *c, uint32_t tx, const char **o)
{
    (void)c;
    return ocpp_journal_signed(&s_oj, tx, o);
}
static int s_started;
/* The CSMS stops answering after this many transaction messages (-1: never). */
static int s_cut_after;
static void f_started(void *c, uint32_t tx, int32_t id)
{
    (void)c;
    s_started++;
    assert_int_equal(ocpp_journal_started(&s_oj, tx, id), HAL_OK);
}
static const struct ocpp_cp_ops k_ops = {
    .remote_start = fake_ocpp_accept_remote_start, .remote_stop = fake_ocpp_accept_connector,
    .reset = fake_ocpp_accept_reset,               .unlock = fake_ocpp_accept_connector,
    .availability = fake_ocpp_accept_availability, .authorized = fake_ocpp_ignore_authorized,
    .tx_delivered = f_delivered,                   .signed_data = f_signed,
    .tx_started = f_started,
};

static int setup(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    struct ocpp_cp_info info = {"V", "M", NULL, NULL, NULL, NULL, 1};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 1);
    s_now = 0;
    s_delivered = 0;
    s_started = 0;
    s_cut_after = -1;
    return 0;
}

/* Play the CSMS until the queue is empty; returns the frames of transaction messages. */
static int deliver_all(char log[][96], int max)
{
    int n = 0;
    for (int k = 0; k < 64; k++) {
        if (!ocpp_cp_poll(&s_cp, s_now)) {
            break;
        }
        if (n == s_cut_after) {
            break; /* the link is gone with this frame unsent */
        }
        size_t len;
        const char *t = ocpp_cp_take(&s_cp, &len);
        assert_int_equal(ocpp_json_parse(&s_js, t, len), HAL_OK);
        ocpp_cp_sent(&s_cp, s_now);
        char action[40], ans[256];
        ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 2), action, sizeof action);
        int p = ocpp_json_at(&s_js, 0, 3);
        if (strcmp(action, "BootNotification") == 0) {
            snprintf(ans, sizeof ans, "{\"status\":\"Accepted\",\"currentTime\":\"2026-01-01T00:00:00Z\",\"interval\":300}");
        } else if (strcmp(action, "StartTransaction") == 0) {
            int64_t wh;
            ocpp_json_int(&s_js, ocpp_json_get(&s_js, p, "meterStart"), &wh);
            snprintf(ans, sizeof ans, "{\"transactionId\":%d,\"idTagInfo\":{\"status\":\"Accepted\"}}", 100 + n);
            if (n < max) {
                snprintf(log[n++], 96, "Start %ld", (long)wh);
            }
        } else if (strcmp(action, "StopTransaction") == 0) {
            int64_t id, wh;
            ocpp_json_int(&s_js, ocpp_json_get(&s_js, p, "transactionId"), &id);
            ocpp_json_int(&s_js, ocpp_json_get(&s_js, p, "meterStop"), &wh);
            char reason[24] = "";
            ocpp_json_str(&s_js, ocpp_json_get(&s_js, p, "reason"), reason, sizeof reason);
            bool signed_data = ocpp_json_get(&s_js, p, "transactionData") >= 0;
            snprintf(ans, sizeof ans, "{}");
            if (n < max) {
                snprintf(log[n++], 96, "Stop %ld %ld %s%s", (long)id, (long)wh, reason,
                         signed_data ? " signed" : "");
            }
        } else {
            snprintf(ans, sizeof ans, "{}");
        }
        char frame[400];
        char id[40];
        ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 1), id, sizeof id);
        snprintf(frame, sizeof frame, "[3,\"%s\",%s]", id, ans);
        ocpp_cp_rx(&s_cp, frame, strlen(frame), s_now);
        settle();
    }
    return n;
}

static void test_reboot_rebuild(void **state)
{
    (void)state;
    /* what a charger left in its journal when it lost power offline */
    uint32_t a = begin(1000, 1767225600);
    close_tx(a, 1500, 1767229200, JOURNAL_END_NORMAL, REC);
    uint32_t b = begin(1500, 1767230000);
    close_tx(b, 1500, 1767230001, JOURNAL_END_ABORTED, NULL);
    uint32_t c = begin(2000, 1767231000);
    close_tx(c, 2600, 1767232000, JOURNAL_END_RECOVERED, NULL);
    uint32_t d = begin(2600, 1767233000); /* still open */
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    settle();
    assert_int_equal(ocpp_cp_queued(&s_cp), 5); /* a: 2, c: 2, d: Start; b: not a transaction */
    struct journal_entry e;
    assert_int_equal(journal_get(&s_j, b, &e), HAL_OK);
    assert_true(e.delivered);

    ocpp_cp_connected(&s_cp, s_now);
    char log[16][96];
    int n = deliver_all(log, 16);
    assert_int_equal(n, 5);
    assert_string_equal(log[0], "Start 1000");
    assert_string_equal(log[1], "Stop 100 1500 Local signed");
    assert_string_equal(log[2], "Start 2000");
    assert_string_equal(log[3], "Stop 102 2600 PowerLoss");
    assert_string_equal(log[4], "Start 2600");
    assert_int_equal(s_delivered, 2);
    assert_int_equal(journal_get(&s_j, a, &e), HAL_OK);
    assert_true(e.delivered);
    assert_int_equal(journal_get(&s_j, c, &e), HAL_OK);
    assert_true(e.delivered);
    assert_int_equal(journal_get(&s_j, d, &e), HAL_OK);
    assert_false(e.delivered);

    /* d closes while running: its Stop follows within the check period, with the station's reason */
    ocpp_journal_set_reason(&s_oj, OCPP_R_EV_DISCONNECTED);
    close_tx(d, 2700, 1767234000, JOURNAL_END_NORMAL, REC);
    ocpp_journal_poll(&s_oj, s_now + 10);
    assert_int_equal(ocpp_cp_queued(&s_cp), 0); /* not yet: read once a second */
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_int_equal(ocpp_cp_queued(&s_cp), 1);
    n = deliver_all(log, 16);
    assert_int_equal(n, 1);
    assert_string_equal(log[0], "Stop 104 2700 EVDisconnected signed");
    assert_int_equal(journal_get(&s_j, d, &e), HAL_OK);
    assert_true(e.delivered);

    /* a new transaction with its token; nothing is sent twice */
    ocpp_journal_set_token(&s_oj, "RFID42");
    uint32_t f = begin(2700, 1767235000);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_int_equal(ocpp_cp_queued(&s_cp), 1);
    assert_true(ocpp_cp_poll(&s_cp, s_now));
    size_t len;
    const char *t = ocpp_cp_take(&s_cp, &len);
    assert_non_null(strstr(t, "\"idTag\":\"RFID42\""));
    (void)f;
    s_now += 10 * OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_int_equal(ocpp_cp_queued(&s_cp), 1);
}

/* The idTag of a session authorised outside OCPP: the charger's token by the record's txid
 * (autocharge's EVCCID, Plug & Charge's eMAID), cut to the schema's 20 characters; an OCPP
 * token set before goes first; a record the charger does not know goes with "". */
static const char *s_asked_txid;
static const char *f_idtag_of(void *ctx, uint8_t connector, const char *txid)
{
    assert_ptr_equal(ctx, &s_oj);
    assert_int_equal(connector, 1);
    s_asked_txid = txid;
    if (strcmp(txid, "tx") == 0) {
        return "DEABCC1234567890123456"; /* an eMAID longer than 20 */
    }
    return NULL;
}

static const char *next_start_idtag(char *tag, size_t cap)
{
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_true(ocpp_cp_poll(&s_cp, s_now));
    size_t len;
    const char *t = ocpp_cp_take(&s_cp, &len);
    assert_int_equal(ocpp_json_parse(&s_js, t, len), HAL_OK);
    assert_true(ocpp_json_streq(&s_js, ocpp_json_at(&s_js, 0, 2), "StartTransaction"));
    ocpp_json_str(&s_js, ocpp_json_get(&s_js, ocpp_json_at(&s_js, 0, 3), "idTag"), tag, cap);
    char id[40], frame[160];
    ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 1), id, sizeof id);
    ocpp_cp_sent(&s_cp, s_now);
    snprintf(frame, sizeof frame, "[3,\"%s\",{\"transactionId\":7,\"idTagInfo\":{\"status\":\"Accepted\"}}]", id);
    ocpp_cp_rx(&s_cp, frame, strlen(frame), s_now);
    settle();
    return tag;
}

static void test_idtag_outside_ocpp(void **state)
{
    (void)state;
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    ocpp_journal_set_idtag_source(&s_oj, f_idtag_of, &s_oj);
    ocpp_cp_connected(&s_cp, s_now);
    char log[4][96];
    deliver_all(log, 4); /* the boot */
    char tag[32];
    uint32_t a = begin(100, 1767225600);
    assert_string_equal(next_start_idtag(tag, sizeof tag), "DEABCC12345678901234");
    assert_string_equal(s_asked_txid, "tx");
    close_tx(a, 200, 1767225700, JOURNAL_END_NORMAL, REC);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    deliver_all(log, 4);
    /* an OCPP token set for the session goes first */
    s_asked_txid = NULL;
    ocpp_journal_set_token(&s_oj, "RFID42");
    uint32_t b = begin(200, 1767225800);
    assert_string_equal(next_start_idtag(tag, sizeof tag), "RFID42");
    assert_null(s_asked_txid);
    close_tx(b, 300, 1767225900, JOURNAL_END_NORMAL, REC);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    deliver_all(log, 4);
    /* a record the charger does not know (another transaction id): "" as before */
    uint32_t c;
    assert_int_equal(journal_begin(&s_j, "other", 300, 1767226000, &c), HAL_OK);
    assert_int_equal(done(), HAL_OK);
    assert_string_equal(next_start_idtag(tag, sizeof tag), "");
}

static void test_delivered_frees_slots(void **state)
{
    (void)state;
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    ocpp_cp_connected(&s_cp, s_now);
    char log[4][96];
    /* more transactions than the journal has slots: each delivered one frees its slot */
    for (unsigned k = 0; k < CFG_JOURNAL_SLOTS + 4u; k++) {
        uint32_t seq;
        int rc = journal_begin(&s_j, "tx", k, 1767225600 + k, &seq);
        if (rc != HAL_OK) {
            fail_msg("transaction %u refused (%d): a slot was not freed", k, rc);
        }
        assert_int_equal(done(), HAL_OK);
        close_tx(seq, k + 1, 1767225600 + k, JOURNAL_END_NORMAL, NULL);
        s_now += OCPP_JOURNAL_CHECK_MS;
        ocpp_journal_poll(&s_oj, s_now);
        deliver_all(log, 4);
    }
    assert_int_equal(s_delivered, CFG_JOURNAL_SLOTS + 4u);
}

/* Power lost after the CSMS took some Starts: the restarted charger sends those transactions'
 * Stops with the ids the CSMS gave, never their Starts again, and only what the CSMS has not
 * seen. A record the CSMS took and the meter then aborted still gets its Stop. */
static void test_reboot_after_confirmed_start(void **state)
{
    (void)state;
    uint32_t a = begin(1000, 1767225600);
    close_tx(a, 1500, 1767229200, JOURNAL_END_NORMAL, REC);
    uint32_t b = begin(1500, 1767230000);
    uint32_t c = begin(1600, 1767230100);
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    ocpp_cp_connected(&s_cp, s_now);
    char log[16][96];
    /* Start a (100), then the link goes before Stop a is answered... */
    s_cut_after = 1;
    assert_int_equal(deliver_all(log, 16), 1);
    assert_string_equal(log[0], "Start 1000");
    assert_int_equal(s_started, 1);
    settle();
    struct journal_entry e;
    assert_int_equal(journal_get(&s_j, a, &e), HAL_OK);
    assert_true(e.remote_known);
    assert_int_equal(e.remote_id, 100);
    assert_false(e.delivered);
    /* power lost; b was never announced; c closes as aborted at start-up */
    struct journal_entry eb;
    assert_int_equal(journal_get(&s_j, b, &eb), HAL_OK);
    assert_false(eb.remote_known);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    close_tx(c, 1600, 1767230200, JOURNAL_END_ABORTED, NULL);
    assert_int_equal(journal_set_remote(&s_j, b, 555), HAL_OK); /* as if b's Start had been taken */
    settle();

    struct ocpp_cp_info info = {"V", "M", NULL, NULL, NULL, NULL, 1};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 2);
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    settle();
    /* a: Stop only; b: resumed, no message until it closes; c: aborted, never taken: nothing */
    assert_int_equal(ocpp_cp_queued(&s_cp), 1);
    ocpp_cp_connected(&s_cp, s_now);
    s_cut_after = -1;
    int n = deliver_all(log, 16);
    assert_int_equal(n, 1);
    assert_string_equal(log[0], "Stop 100 1500 Local signed");
    assert_int_equal(s_started, 1);
    close_tx(b, 1900, 1767231000, JOURNAL_END_NORMAL, REC);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    n = deliver_all(log, 16);
    assert_int_equal(n, 1);
    assert_string_equal(log[0], "Stop 555 1900 Local signed");
    assert_int_equal(journal_get(&s_j, b, &e), HAL_OK);
    assert_true(e.delivered);
    assert_int_equal(journal_get(&s_j, c, &e), HAL_OK);
    assert_true(e.delivered);
}

/* The CSMS took a Start, then the meter never ran it (power lost before it started): the
 * CSMS has an open transaction, so its Stop goes, at the start reading. */
static void test_aborted_but_taken_gets_its_stop(void **state)
{
    (void)state;
    uint32_t a = begin(700, 1767225600);
    assert_int_equal(journal_set_remote(&s_j, a, 42), HAL_OK);
    settle();
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    close_tx(a, 700, 1767225601, JOURNAL_END_ABORTED, NULL);
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    ocpp_cp_connected(&s_cp, s_now);
    char log[4][96];
    assert_int_equal(deliver_all(log, 4), 1);
    assert_string_equal(log[0], "Stop 42 700 Other");
}


/* The register a connector shows between sessions (its clock-aligned values): none before any
 * record, the start reading while one runs, the stop reading once it closed, also when the
 * records were already delivered before a reboot (the newest one counts). */
static void test_register_between_sessions(void **state)
{
    (void)state;
    int64_t wh = -1;
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    assert_false(ocpp_journal_register(&s_oj, &wh));
    uint32_t a = begin(1000, 1767225600);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_true(ocpp_journal_register(&s_oj, &wh));
    assert_int_equal(wh, 1000);
    close_tx(a, 1800, 1767225700, JOURNAL_END_NORMAL, REC);
    s_now += OCPP_JOURNAL_CHECK_MS;
    ocpp_journal_poll(&s_oj, s_now);
    assert_true(ocpp_journal_register(&s_oj, &wh));
    assert_int_equal(wh, 1800);
    ocpp_cp_connected(&s_cp, s_now);
    char log[8][96];
    deliver_all(log, 8);
    assert_int_equal(s_delivered, 1);
    /* an aborted record (the meter never ran it) leaves its start reading */
    uint32_t b = begin(1900, 1767225800);
    close_tx(b, 0, 1767225800, JOURNAL_END_ABORTED, NULL);
    settle();
    /* a reboot: a fresh instance on the same journal finds the newest record */
    struct ocpp_cp_info info = {"V", "M", NULL, NULL, NULL, NULL, 1};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &k_ops, NULL, NULL, 2);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    ocpp_journal_init(&s_oj, &s_cp, &s_j, 1, s_now);
    assert_true(ocpp_journal_register(&s_oj, &wh));
    assert_int_equal(wh, 1900); /* not the aborted record's stop reading (0) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reboot_rebuild, setup),
        cmocka_unit_test_setup(test_register_between_sessions, setup),
        cmocka_unit_test_setup(test_idtag_outside_ocpp, setup),
        cmocka_unit_test_setup(test_delivered_frees_slots, setup),
        cmocka_unit_test_setup(test_reboot_after_confirmed_start, setup),
        cmocka_unit_test_setup(test_aborted_but_taken_gets_its_stop, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
