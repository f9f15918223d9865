/* Unit tests of the durable transaction journal, with power loss at every write step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_nvs.h"
#include "journal.h"

static struct fake_nvs s_nvs;
static struct journal s_j;
static struct journal_entry s_e;

static const char *REC = "OCMF|{\"PG\":\"T1\"}|{\"SD\":\"00\"}";

/* Drive the journal until the foreground write finished; its outcome (the store's status). */
static int done(void)
{
    uint32_t seq;
    int status = HAL_EIO;
    for (unsigned i = 0; i < 16; i++) {
        int rc = journal_done(&s_j, &seq, &status);
        if (rc == HAL_OK) {
            return status;
        }
        assert_int_equal(rc, HAL_EAGAIN);
    }
    fail_msg("the foreground write never finished");
    return HAL_EIO;
}

/* Queue, then wait for durability, as a caller that acknowledges must. */
static int begin(const char *txid, int64_t wh, int64_t unix_s, uint32_t *seq)
{
    int rc = journal_begin(&s_j, txid, wh, unix_s, seq);
    return rc == HAL_OK ? done() : rc;
}

static int close_tx(uint32_t seq, int64_t wh, int64_t unix_s, enum journal_end end, const char *ocmf,
                    size_t len, bool verified)
{
    int rc = journal_close(&s_j, seq, wh, unix_s, end, ocmf, len, verified);
    return rc == HAL_OK ? done() : rc;
}

/* Let the background work run (bounded: a failing store must not spin a test). */
static void settle(void)
{
    for (unsigned i = 0; i < 16 && journal_poll(&s_j); i++) {
    }
}

static int delivered(uint32_t seq)
{
    int rc = journal_delivered(&s_j, seq);
    settle();
    return rc;
}

static void test_roundtrip_and_sequence(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq;
    assert_int_equal(begin("tx-1", 1000, 1767225600, &seq), HAL_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(journal_get(&s_j, 1, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_STARTED);
    assert_string_equal(s_e.txid, "tx-1");
    assert_true(s_e.start_wh == 1000);
    assert_int_equal(close_tx(1, 2500, 1767229200, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
    assert_int_equal(close_tx(1, 2600, 0, JOURNAL_END_NORMAL, NULL, 0, false), HAL_ESTATE);
    assert_int_equal(journal_get(&s_j, 1, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_CLOSED);
    assert_int_equal(s_e.end, JOURNAL_END_NORMAL);
    assert_true(s_e.verified);
    assert_true(s_e.stop_wh == 2500);
    assert_true(s_e.stop_unix_s == 1767229200);
    assert_string_equal(s_e.ocmf, REC);
    assert_int_equal(journal_get(&s_j, 7, &s_e), HAL_ENOENT);
    assert_int_equal(close_tx(7, 0, 0, JOURNAL_END_NORMAL, NULL, 0, false), HAL_ENOENT);
    assert_int_equal(delivered(7), HAL_ENOENT);
    assert_int_equal(begin("", 0, 0, &seq), HAL_EINVAL);
    assert_int_equal(begin("0123456789012345678901234567890123456789", 0, 0, &seq),
                     HAL_EINVAL);
    /* reopen: the sequence continues, the entry is intact */
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(begin("tx-2", 2500, 0, &seq), HAL_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(delivered(2), HAL_ESTATE);
    uint32_t q;
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_STARTED, &q), HAL_OK);
    assert_int_equal(q, 2);
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_CLOSED, &q), HAL_OK);
    assert_int_equal(q, 1);
    assert_int_equal(journal_next(&s_j, 2, JOURNAL_FREE, &q), HAL_ENOENT);
    static char big[CFG_OCMF_MAX_LEN + 2];
    memset(big, 'x', sizeof big);
    assert_int_equal(close_tx(2, 0, 0, JOURNAL_END_NORMAL, big, sizeof big, false),
                     HAL_EOVERFLOW);
}

static void test_slots_reused_only_after_delivery(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq;
    char id[16];
    for (unsigned i = 1; i < CFG_JOURNAL_SLOTS; i++) {
        snprintf(id, sizeof id, "tx-%u", i);
        assert_int_equal(begin(id, 0, 0, &seq), HAL_OK);
        assert_int_equal(close_tx(seq, 1, 0, JOURNAL_END_NORMAL, REC, strlen(REC), false), HAL_OK);
    }
    /* seq CFG_JOURNAL_SLOTS maps to slot 0: free */
    assert_int_equal(begin("tx-n", 0, 0, &seq), HAL_OK);
    assert_int_equal(seq, CFG_JOURNAL_SLOTS);
    assert_int_equal(close_tx(seq, 1, 0, JOURNAL_END_NORMAL, NULL, 0, false), HAL_OK);
    /* the next maps to slot 1, which holds tx-1 undelivered */
    assert_int_equal(begin("tx-n1", 0, 0, &seq), HAL_ENOMEM);
    assert_int_equal(delivered(1), HAL_OK);
    assert_int_equal(begin("tx-n1", 0, 0, &seq), HAL_OK);
    assert_int_equal(seq, CFG_JOURNAL_SLOTS + 1u);
    assert_int_equal(journal_get(&s_j, 1, &s_e), HAL_ENOENT);
    assert_int_equal(journal_get(&s_j, CFG_JOURNAL_SLOTS + 1u, &s_e), HAL_OK);
}

static void test_corrupt_record_is_discarded_alone(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq;
    assert_int_equal(begin("a", 10, 0, &seq), HAL_OK);
    assert_int_equal(begin("b", 20, 0, &seq), HAL_OK);
    assert_int_equal(begin("c", 30, 0, &seq), HAL_OK);
    assert_true(fake_nvs_corrupt(&s_nvs, "jrnl.2", 20));
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 1);
    assert_int_equal(journal_get(&s_j, 1, &s_e), HAL_OK);
    assert_int_equal(journal_get(&s_j, 2, &s_e), HAL_ENOENT);
    assert_int_equal(journal_get(&s_j, 3, &s_e), HAL_OK);
    assert_int_equal(begin("d", 40, 0, &seq), HAL_OK);
    assert_int_equal(seq, 4); /* never reuses a number it has seen */
    settle();                 /* the dropped record is erased in the background */
    /* a truncated (torn) record is also dropped */
    s_nvs.len[0] = 10;
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 1);
}

/* The scenario: three transactions, each begin -> close -> delivered.
 * acked[i] bit 0 = begin acknowledged, bit 1 = close acknowledged. */
static int scenario(unsigned acked[3])
{
    char id[8];
    for (unsigned i = 0; i < 3; i++) {
        uint32_t seq;
        snprintf(id, sizeof id, "tx-%u", i);
        if (begin(id, (int64_t)i * 100, 0, &seq) != HAL_OK) {
            return -1;
        }
        acked[i] |= 1u;
        char rec[64];
        snprintf(rec, sizeof rec, "OCMF|{\"TT\":\"<=>%s\"}|{}", id);
        if (close_tx(seq, (int64_t)i * 100 + 50, 0, JOURNAL_END_NORMAL, rec,
                          strlen(rec), true) != HAL_OK) {
            return -1;
        }
        acked[i] |= 2u;
        if (delivered(seq) != HAL_OK || s_nvs.dead) {
            return -1;
        }
    }
    return 0;
}

static void test_power_loss_at_every_write(void **state)
{
    (void)state;
    unsigned points = 0;
    for (int mode = 0; mode < 2; mode++) {
        for (int cut = 0; cut < 9; cut++) {
            fake_nvs_init(&s_nvs);
            assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
            s_nvs.cut_after_writes = cut;
            s_nvs.cut_mode = mode == 0 ? FAKE_NVS_CUT_BEFORE : FAKE_NVS_CUT_AFTER;
            unsigned acked[3] = {0, 0, 0};
            assert_int_equal(scenario(acked), -1); /* power went somewhere inside */
            assert_true(s_nvs.dead);
            points++;
            /* reboot */
            fake_nvs_power_on(&s_nvs);
            assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
            assert_int_equal(journal_discarded(&s_j), 0);
            unsigned seen[3] = {0, 0, 0};
            uint32_t q = 0;
            while (journal_next(&s_j, q, JOURNAL_FREE, &q) == HAL_OK) {
                assert_int_equal(journal_get(&s_j, q, &s_e), HAL_OK);
                int i = s_e.txid[3] - '0';
                assert_true(i >= 0 && i < 3);
                seen[i]++;
                if (acked[i] & 2u) {
                    assert_int_equal(s_e.state, JOURNAL_CLOSED);
                    assert_non_null(strstr(s_e.ocmf, s_e.txid));
                    assert_true(s_e.stop_wh == i * 100 + 50);
                }
                if (s_e.state == JOURNAL_CLOSED) {
                    assert_true(s_e.ocmf_len > 0); /* never a closed entry without its record */
                }
            }
            for (int i = 0; i < 3; i++) {
                assert_true(seen[i] <= 1); /* never duplicated */
                if (acked[i] & 1u) {
                    assert_int_equal(seen[i], 1); /* never lost */
                }
            }
            /* after the reboot the journal keeps working, numbers go on */
            uint32_t seq;
            assert_int_equal(begin("after", 0, 0, &seq), HAL_OK);
            assert_true(seq >= 1);
            assert_int_equal(journal_get(&s_j, seq, &s_e), HAL_OK);
            assert_string_equal(s_e.txid, "after");
        }
    }
    assert_int_equal(points, 18);
}

static void test_store_failure_keeps_old_record(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq;
    assert_int_equal(begin("x", 5, 0, &seq), HAL_OK);
    s_nvs.cut_after_writes = 0;
    s_nvs.cut_mode = FAKE_NVS_CUT_BEFORE;
    assert_int_equal(close_tx(seq, 9, 0, JOURNAL_END_NORMAL, REC, strlen(REC), false), HAL_EIO);
    fake_nvs_power_on(&s_nvs);
    assert_int_equal(journal_get(&s_j, seq, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_STARTED);
    assert_int_equal(close_tx(seq, 9, 0, JOURNAL_END_NORMAL, REC, strlen(REC), false), HAL_OK);
}

/* The contract: nothing is acknowledged, nor visible as a transaction, before the store
 * completed; a second foreground write waits for the first one's outcome to be taken. */
static void test_begin_pending_until_store_completes(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    fake_nvs_hold(&s_nvs, true);
    uint32_t seq = 0, q;
    int status;
    assert_int_equal(journal_begin(&s_j, "tx-a", 10, 0, &seq), HAL_OK);
    assert_int_equal(seq, 1);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(journal_done(&s_j, &q, &status), HAL_EAGAIN);
    }
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_FREE, &q), HAL_ENOENT);
    assert_int_equal(journal_begin(&s_j, "tx-b", 10, 0, &q), HAL_EBUSY);
    assert_int_equal(s_nvs.submits, 1);
    fake_nvs_hold(&s_nvs, false);
    assert_int_equal(journal_done(&s_j, &q, &status), HAL_OK);
    assert_int_equal(q, 1);
    assert_int_equal(status, HAL_OK);
    assert_int_equal(journal_done(&s_j, &q, &status), HAL_ESTATE); /* reported once */
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_STARTED, &q), HAL_OK);
    assert_int_equal(q, 1);
    /* the close: pending, then durable */
    fake_nvs_hold(&s_nvs, true);
    assert_int_equal(journal_close(&s_j, 1, 20, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
    assert_int_equal(journal_close(&s_j, 1, 20, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_EBUSY);
    assert_int_equal(journal_done(&s_j, &q, &status), HAL_EAGAIN);
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_CLOSED, &q), HAL_ENOENT);
    fake_nvs_hold(&s_nvs, false);
    assert_int_equal(done(), HAL_OK);
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_CLOSED, &q), HAL_OK);
    assert_int_equal(s_nvs.busy_refusals, 0); /* the journal never submits over an operation */
}

/* An error from the store is the outcome, once, and changes nothing: a failed begin uses
 * no number, a failed close leaves the STARTED record. */
static void test_store_error_is_the_outcome(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq, q;
    int status;
    s_nvs.dead = true;
    assert_int_equal(journal_begin(&s_j, "tx-a", 10, 0, &seq), HAL_OK);
    assert_int_equal(journal_done(&s_j, &q, &status), HAL_OK);
    assert_int_equal(status, HAL_EIO);
    assert_int_equal(journal_done(&s_j, &q, &status), HAL_ESTATE);
    assert_int_equal(journal_next(&s_j, 0, JOURNAL_FREE, &q), HAL_ENOENT);
    fake_nvs_power_on(&s_nvs);
    assert_int_equal(begin("tx-a", 10, 0, &seq), HAL_OK);
    assert_int_equal(seq, 1);
    s_nvs.dead = true;
    assert_int_equal(close_tx(seq, 20, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_EIO);
    fake_nvs_power_on(&s_nvs);
    assert_int_equal(journal_get(&s_j, seq, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_STARTED);
    assert_int_equal(close_tx(seq, 20, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
}

/* Order on the medium: the foreground record goes before queued background work, and a
 * foreground record queued while background work is in flight follows it (never EBUSY). */
static void test_foreground_and_background_order(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t s1, s2, s3;
    assert_int_equal(begin("tx-1", 0, 0, &s1), HAL_OK);
    assert_int_equal(close_tx(s1, 1, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
    assert_int_equal(begin("tx-2", 0, 0, &s2), HAL_OK);
    assert_int_equal(close_tx(s2, 1, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
    s_nvs.nlog = 0;
    /* the delivered mark of tx-1 is in flight when tx-3 begins */
    fake_nvs_hold(&s_nvs, true);
    assert_int_equal(journal_delivered(&s_j, s1), HAL_OK);
    assert_int_equal(journal_begin(&s_j, "tx-3", 0, 0, &s3), HAL_OK);
    /* and the mark of tx-2 is queued behind tx-3 */
    assert_int_equal(journal_delivered(&s_j, s2), HAL_OK);
    fake_nvs_hold(&s_nvs, false);
    assert_int_equal(done(), HAL_OK);
    settle();
    assert_int_equal(s_nvs.nlog, 3);
    assert_string_equal(s_nvs.log[0], "w:jrnl.1");
    assert_string_equal(s_nvs.log[1], "w:jrnl.3");
    assert_string_equal(s_nvs.log[2], "w:jrnl.2");
    assert_int_equal(s_nvs.busy_refusals, 0);
    assert_int_equal(journal_get(&s_j, s1, &s_e), HAL_OK);
    assert_true(s_e.delivered);
    assert_int_equal(journal_get(&s_j, s2, &s_e), HAL_OK);
    assert_true(s_e.delivered);
    assert_int_equal(journal_get(&s_j, s3, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_STARTED);
}

/* The backend's id of a transaction: kept across a close and a reopen, and not lost when the
 * close reads the record back while the mark is still in flight (the old record). */
static void test_remote_id_kept_through_close_and_reopen(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t s1, s2;
    assert_int_equal(begin("tx-1", 10, 0, &s1), HAL_OK);
    assert_int_equal(journal_get(&s_j, s1, &s_e), HAL_OK);
    assert_false(s_e.remote_known);
    /* the mark is in flight: the store still holds the record without it */
    fake_nvs_hold(&s_nvs, true);
    assert_int_equal(journal_set_remote(&s_j, s1, 4711), HAL_OK);
    assert_int_equal(journal_set_remote(&s_j, s1, 4711), HAL_OK);
    assert_int_equal(journal_set_remote(&s_j, s1, 99), HAL_ESTATE);
    assert_int_equal(journal_close(&s_j, s1, 20, 0, JOURNAL_END_NORMAL, REC, strlen(REC), true), HAL_OK);
    fake_nvs_hold(&s_nvs, false);
    assert_int_equal(done(), HAL_OK);
    settle();
    assert_int_equal(journal_get(&s_j, s1, &s_e), HAL_OK);
    assert_int_equal(s_e.state, JOURNAL_CLOSED);
    assert_true(s_e.remote_known);
    assert_int_equal(s_e.remote_id, 4711);
    assert_string_equal(s_e.ocmf, REC);
    /* a refused Start's -1 is an id like any other */
    assert_int_equal(begin("tx-2", 20, 0, &s2), HAL_OK);
    assert_int_equal(journal_set_remote(&s_j, s2, -1), HAL_OK);
    settle();
    assert_int_equal(delivered(s1), HAL_OK);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_get(&s_j, s1, &s_e), HAL_OK);
    assert_true(s_e.remote_known && s_e.delivered);
    assert_int_equal(s_e.remote_id, 4711);
    assert_int_equal(journal_get(&s_j, s2, &s_e), HAL_OK);
    assert_true(s_e.remote_known);
    assert_int_equal(s_e.remote_id, -1);
    assert_int_equal(s_e.state, JOURNAL_STARTED);
    assert_int_equal(journal_set_remote(&s_j, 77, 1), HAL_ENOENT);
    assert_int_equal(journal_discarded(&s_j), 0);
}

/* A record without an id is byte for byte what earlier firmware wrote (no version change). */
static void test_record_without_remote_id_unchanged(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t s1;
    assert_int_equal(begin("ab", 1, 2, &s1), HAL_OK);
    uint8_t buf[JOURNAL_RECORD_MAX];
    size_t len = 0;
    assert_int_equal(hal_nvs_read(&s_nvs.base, "jrnl.1", buf, sizeof buf, &len), HAL_OK);
    /* magic, version 1, seq, state, end, flags, txid, 4 x int64, ocmf_len, crc */
    assert_int_equal(len, 13 + 2 + 32 + 2 + 4);
    assert_int_equal(buf[4], 1);
    assert_int_equal(buf[11], 0);
    assert_int_equal(journal_set_remote(&s_j, s1, 0x01020304), HAL_OK);
    settle();
    assert_int_equal(hal_nvs_read(&s_nvs.base, "jrnl.1", buf, sizeof buf, &len), HAL_OK);
    assert_int_equal(len, 13 + 2 + 32 + 2 + 4 + 4);
    assert_int_equal(buf[4], 1);
    assert_int_equal(buf[11], 4);
    assert_int_equal(buf[49], 0x04);
    /* an unknown flag bit is a record we cannot read, not one to guess at */
    buf[11] |= 0x40;
    uint32_t crc = journal_crc32(buf, len - 4);
    for (unsigned i = 0; i < 4; i++) {
        buf[len - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    assert_int_equal(hal_nvs_submit_write(&s_nvs.base, "jrnl.1", buf, len), HAL_OK);
    int st;
    assert_int_equal(hal_nvs_poll(&s_nvs.base, &st), HAL_OK);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 1);
}

/* A record dropped at open is erased in the background, unless a new record for its slot
 * was queued first: the erase must never run after (and destroy) the new record. */
static void test_discarded_record_erased_in_background(void **state)
{
    (void)state;
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    uint32_t seq;
    assert_int_equal(begin("a", 10, 0, &seq), HAL_OK);
    assert_int_equal(begin("b", 20, 0, &seq), HAL_OK);
    assert_true(fake_nvs_corrupt(&s_nvs, "jrnl.2", 20));
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 1);
    s_nvs.nlog = 0;
    settle();
    assert_int_equal(s_nvs.nlog, 1);
    assert_string_equal(s_nvs.log[0], "e:jrnl.2");
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 0); /* gone for good */

    /* only record: torn; the next begin takes its slot before the erase ran */
    fake_nvs_init(&s_nvs);
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(begin("a", 10, 0, &seq), HAL_OK);
    s_nvs.len[0] = 10;
    assert_int_equal(journal_open(&s_j, &s_nvs.base), HAL_OK);
    assert_int_equal(journal_discarded(&s_j), 1);
    s_nvs.nlog = 0;
    assert_int_equal(begin("new", 10, 0, &seq), HAL_OK);
    assert_int_equal(seq, 1);
    settle();
    assert_int_equal(s_nvs.nlog, 1);
    assert_string_equal(s_nvs.log[0], "w:jrnl.1");
    assert_int_equal(journal_get(&s_j, 1, &s_e), HAL_OK);
    assert_string_equal(s_e.txid, "new");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_sequence),
        cmocka_unit_test(test_slots_reused_only_after_delivery),
        cmocka_unit_test(test_corrupt_record_is_discarded_alone),
        cmocka_unit_test(test_power_loss_at_every_write),
        cmocka_unit_test(test_store_failure_keeps_old_record),
        cmocka_unit_test(test_begin_pending_until_store_completes),
        cmocka_unit_test(test_store_error_is_the_outcome),
        cmocka_unit_test(test_foreground_and_background_order),
        cmocka_unit_test(test_discarded_record_erased_in_background),
        cmocka_unit_test(test_remote_id_kept_through_close_and_reopen),
        cmocka_unit_test(test_record_without_remote_id_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
