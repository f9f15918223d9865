/**
 * @file fuzz_journal.c
 * @brief libFuzzer harness for the transaction journal's records (firmware/journal.c):
 *        what a store hands back at start-up is hostile (torn, rotten or forged records).
 *
 * Built with CFG_JOURNAL_SLOTS=4 so short inputs fill every slot. The input is a list
 * of records [slot][flags][len lo][len hi][len bytes] put into an in-memory store as
 * "jrnl.<slot>"; flag bit 0 rewrites the record's last 4 bytes with its CRC-32, so the
 * fuzzer reaches the field checks behind the checksum. Then the journal is opened and
 * used (get, next, begin, close, delivered) from the remaining bytes. Checked: no
 * sanitizer report; every entry handed out has a terminated txid and OCMF text of the
 * stated length, a state that exists, and a non-zero sequence number; a record that
 * open() dropped is gone from the store.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_nvs {
    struct hal_nvs base;
    bool used[CFG_JOURNAL_SLOTS];
    size_t len[CFG_JOURNAL_SLOTS];
    uint8_t rec[CFG_JOURNAL_SLOTS][JOURNAL_RECORD_MAX + 64u];
    int pending; /* 0 none, 1 write, 2 erase */
    int pending_slot;
    const uint8_t *pending_data;
    size_t pending_len;
    uint8_t pending_copy[JOURNAL_RECORD_MAX + 64u];
};

static struct fuzz_nvs s_nvs;
static struct journal s_j;
static struct journal_entry s_e;

/* "jrnl.<n>" -> n, or -1 for any other key (the journal uses no other). */
static int fuzz_nvs_slot(const char *key)
{
    unsigned n;
    char tail;
    if (sscanf(key, "jrnl.%u%c", &n, &tail) != 1 || n >= CFG_JOURNAL_SLOTS) {
        abort();
    }
    return (int)n;
}

static int fuzz_nvs_read(struct hal_nvs *nvs, const char *key, uint8_t *buf, size_t cap, size_t *len)
{
    struct fuzz_nvs *s = (struct fuzz_nvs *)nvs;
    int k = fuzz_nvs_slot(key);
    if (!s->used[k]) {
        return HAL_ENOENT;
    }
    if (s->len[k] > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, s->rec[k], s->len[k]);
    *len = s->len[k];
    return HAL_OK;
}

/* The store is asynchronous (hal_nvs.h): a submitted operation completes at the next
 * poll, and the data must stay valid until then; the harness checks both rules. */
static int fuzz_nvs_submit(struct fuzz_nvs *s, int kind, const char *key, const uint8_t *data, size_t len)
{
    if (s->pending != 0) {
        return HAL_EBUSY;
    }
    s->pending = kind;
    s->pending_slot = fuzz_nvs_slot(key);
    s->pending_data = data;
    s->pending_len = len;
    if (len > 0) {
        memcpy(s->pending_copy, data, len);
    }
    return HAL_OK;
}

static int fuzz_nvs_write(struct hal_nvs *nvs, const char *key, const uint8_t *data, size_t len)
{
    struct fuzz_nvs *s = (struct fuzz_nvs *)nvs;
    if (len > sizeof s->rec[0]) {
        abort(); /* the journal wrote more than JOURNAL_RECORD_MAX */
    }
    return fuzz_nvs_submit(s, 1, key, data, len);
}

static int fuzz_nvs_erase(struct hal_nvs *nvs, const char *key)
{
    return fuzz_nvs_submit((struct fuzz_nvs *)nvs, 2, key, NULL, 0);
}

static int fuzz_nvs_poll(struct hal_nvs *nvs, int *status)
{
    struct fuzz_nvs *s = (struct fuzz_nvs *)nvs;
    int k = s->pending_slot;
    if (s->pending == 0) {
        return HAL_ESTATE;
    }
    if (s->pending == 1) {
        if (memcmp(s->pending_copy, s->pending_data, s->pending_len) != 0) {
            abort(); /* the journal changed a buffer the store had not finished with */
        }
        memcpy(s->rec[k], s->pending_data, s->pending_len);
        s->len[k] = s->pending_len;
        s->used[k] = true;
    } else {
        s->used[k] = false;
    }
    s->pending = 0;
    *status = HAL_OK;
    return HAL_OK;
}

static const struct hal_nvs_ops s_ops = {.read = fuzz_nvs_read,
                                         .submit_write = fuzz_nvs_write,
                                         .submit_erase = fuzz_nvs_erase,
                                         .poll = fuzz_nvs_poll};

/* Run the journal's store work until nothing is in flight (bounded: a journal that never
 * settles is a finding). */
static void fuzz_journal_settle(void)
{
    uint32_t seq;
    int status;
    for (int i = 0; i < 64; i++) {
        bool busy = journal_poll(&s_j);
        (void)journal_done(&s_j, &seq, &status);
        if (!busy && s_nvs.pending == 0) {
            return;
        }
    }
    abort();
}

static void fuzz_journal_check(const struct journal_entry *e)
{
    if (e->seq == 0 || (e->state != JOURNAL_STARTED && e->state != JOURNAL_CLOSED) ||
        memchr(e->txid, '\0', sizeof e->txid) == NULL || e->ocmf_len > CFG_OCMF_MAX_LEN ||
        e->ocmf[e->ocmf_len] != '\0') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&s_nvs, 0, sizeof s_nvs);
    s_nvs.base.ops = &s_ops;
    size_t pos = 0;
    /* Records until a header says "stop" (slot byte 0xFF) or the input ends. */
    while (pos + 4 <= size && data[pos] != 0xFFu) {
        unsigned k = data[pos] % CFG_JOURNAL_SLOTS;
        uint8_t flags = data[pos + 1];
        size_t len = (size_t)data[pos + 2] | (size_t)data[pos + 3] << 8;
        pos += 4;
        if (len > size - pos) {
            len = size - pos;
        }
        if (len > sizeof s_nvs.rec[k]) {
            len = sizeof s_nvs.rec[k];
        }
        memcpy(s_nvs.rec[k], data + pos, len);
        pos += len;
        if ((flags & 1u) && len >= 4) {
            uint32_t c = journal_crc32(s_nvs.rec[k], len - 4);
            for (unsigned i = 0; i < 4; i++) {
                s_nvs.rec[k][len - 4 + i] = (uint8_t)(c >> (8u * i));
            }
        }
        s_nvs.len[k] = len;
        s_nvs.used[k] = true;
    }
    if (pos < size) {
        pos++; /* the stop byte */
    }
    if (journal_open(&s_j, &s_nvs.base) != HAL_OK) {
        abort(); /* the in-memory store never fails, so neither may open */
    }
    /* Every slot either holds a record that decodes or was erased. */
    for (uint32_t seq = 0; journal_next(&s_j, seq, JOURNAL_STARTED, &seq) == HAL_OK;) {
        if (journal_get(&s_j, seq, &s_e) != HAL_OK) {
            abort();
        }
        fuzz_journal_check(&s_e);
    }
    for (uint32_t seq = 0; journal_next(&s_j, seq, JOURNAL_CLOSED, &seq) == HAL_OK;) {
        if (journal_get(&s_j, seq, &s_e) != HAL_OK) {
            abort();
        }
        fuzz_journal_check(&s_e);
    }
    /* Then use it: the bytes left choose the operations. */
    uint32_t last = 0;
    while (pos < size) {
        uint8_t op = data[pos++];
        switch (op & 3u) {
        case 0:
            (void)journal_begin(&s_j, "tx-fuzz", (int64_t)op * 1000, 1700000000, &last);
            break;
        case 1:
            (void)journal_close(&s_j, last, (int64_t)op * 2000, 1700000100, (enum journal_end)(op >> 6),
                                "OCMF|{}|{}", 10, (op & 4u) != 0);
            break;
        case 2:
            (void)journal_delivered(&s_j, last);
            break;
        default:
            if (journal_get(&s_j, (uint32_t)op >> 2, &s_e) == HAL_OK) {
                fuzz_journal_check(&s_e);
            }
            break;
        }
        if ((op & 0x80u) == 0) {
            fuzz_journal_settle(); /* else: the next operation meets a busy store */
        }
    }
    fuzz_journal_settle();
    return 0;
}
