/*
 * Durable transaction journal: owns the record layout on hal_nvs (magic, version, CRC), the
 * slot table, the one foreground write (begin / close) and the background marks (delivered,
 * the backend's id) and erases. See journal.h for the rules.
 */
#include "journal.h"

#include <stdio.h>
#include <string.h>

#define JOURNAL_MAGIC 0x4A524E31u /* "JRN1" */
#define JOURNAL_VERSION 1u

uint32_t journal_crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (unsigned k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

static void journal_key(uint32_t slot, char key[HAL_NVS_KEY_MAX])
{
    snprintf(key, HAL_NVS_KEY_MAX, "jrnl.%lu", (unsigned long)slot);
}

static void journal_put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8u * i));
    }
}

static uint32_t journal_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void journal_put64(uint8_t *p, int64_t v)
{
    journal_put32(p, (uint32_t)(uint64_t)v);
    journal_put32(p + 4, (uint32_t)((uint64_t)v >> 32));
}

static int64_t journal_get64(const uint8_t *p)
{
    return (int64_t)((uint64_t)journal_get32(p) | (uint64_t)journal_get32(p + 4) << 32);
}

/* Layout: magic, version, seq, state, end, flags, txid_len, txid, 4 x int64,
 * ocmf_len (2), ocmf, [remote id (4) when flag 4], crc32 of everything before it.
 * The remote id is gated by its flag rather than a new version, so records without it stay
 * byte-identical to what earlier firmware wrote and reads. */
#define JOURNAL_F_DELIVERED 1u
#define JOURNAL_F_VERIFIED 2u
#define JOURNAL_F_REMOTE 4u
static size_t journal_encode(const struct journal_entry *e, uint8_t *b)
{
    size_t n = 0;
    journal_put32(b, JOURNAL_MAGIC);
    b[4] = JOURNAL_VERSION;
    journal_put32(b + 5, e->seq);
    b[9] = (uint8_t)e->state;
    b[10] = (uint8_t)e->end;
    b[11] = (uint8_t)((e->delivered ? JOURNAL_F_DELIVERED : 0u) | (e->verified ? JOURNAL_F_VERIFIED : 0u) |
                      (e->remote_known ? JOURNAL_F_REMOTE : 0u));
    size_t tl = strlen(e->txid);
    b[12] = (uint8_t)tl;
    memcpy(b + 13, e->txid, tl);
    n = 13 + tl;
    journal_put64(b + n, e->start_wh);
    journal_put64(b + n + 8, e->stop_wh);
    journal_put64(b + n + 16, e->start_unix_s);
    journal_put64(b + n + 24, e->stop_unix_s);
    n += 32;
    b[n] = (uint8_t)(e->ocmf_len & 0xffu);
    b[n + 1] = (uint8_t)(e->ocmf_len >> 8);
    n += 2;
    memcpy(b + n, e->ocmf, e->ocmf_len);
    n += e->ocmf_len;
    if (e->remote_known) {
        journal_put32(b + n, (uint32_t)e->remote_id);
        n += 4;
    }
    journal_put32(b + n, journal_crc32(b, n));
    return n + 4;
}

static int journal_decode(const uint8_t *b, size_t len, struct journal_entry *e)
{
    if (len < 13 + 32 + 2 + 4 || journal_get32(b) != JOURNAL_MAGIC || b[4] != JOURNAL_VERSION ||
        journal_get32(b + len - 4) != journal_crc32(b, len - 4)) {
        return HAL_EIO;
    }
    size_t tl = b[12];
    if (tl == 0 || tl >= JOURNAL_TXID_MAX || 13 + tl + 34 + 4 > len) {
        return HAL_EIO;
    }
    memset(e, 0, sizeof *e);
    e->seq = journal_get32(b + 5);
    e->state = (enum journal_state)b[9];
    e->end = (enum journal_end)b[10];
    e->delivered = (b[11] & JOURNAL_F_DELIVERED) != 0;
    e->verified = (b[11] & JOURNAL_F_VERIFIED) != 0;
    e->remote_known = (b[11] & JOURNAL_F_REMOTE) != 0;
    size_t extra = e->remote_known ? 4u : 0u;
    memcpy(e->txid, b + 13, tl);
    size_t n = 13 + tl;
    e->start_wh = journal_get64(b + n);
    e->stop_wh = journal_get64(b + n + 8);
    e->start_unix_s = journal_get64(b + n + 16);
    e->stop_unix_s = journal_get64(b + n + 24);
    n += 32;
    size_t ol = (size_t)b[n] | (size_t)b[n + 1] << 8;
    n += 2;
    if (ol > CFG_OCMF_MAX_LEN || n + ol + extra + 4 != len || e->seq == 0 || (b[11] & ~7u) != 0 ||
        (e->state != JOURNAL_STARTED && e->state != JOURNAL_CLOSED) ||
        e->end > JOURNAL_END_FAILED) {
        return HAL_EIO;
    }
    memcpy(e->ocmf, b + n, ol);
    e->ocmf[ol] = '\0';
    e->ocmf_len = (uint16_t)ol;
    if (e->remote_known) {
        e->remote_id = (int32_t)journal_get32(b + n + ol);
    }
    return HAL_OK;
}

static int journal_load(struct journal *j, uint32_t slot, struct journal_entry *e)
{
    char key[HAL_NVS_KEY_MAX];
    journal_key(slot, key);
    size_t len = 0;
    int rc = hal_nvs_read(j->nvs, key, j->buf, sizeof j->buf, &len);
    if (rc != HAL_OK) {
        return rc;
    }
    return journal_decode(j->buf, len, e);
}

/* Encode into the foreground buffer and queue it; the store takes it when free. */
static void journal_queue(struct journal *j, const struct journal_entry *e)
{
    uint32_t slot = e->seq % CFG_JOURNAL_SLOTS;
    j->fg_len = journal_encode(e, j->fg_buf);
    j->fg_seq = e->seq;
    j->fg_state = (uint8_t)e->state;
    j->fg_queued = true;
    j->fg_submitted = false;
    j->fg_done = false;
    /* The new record replaces whatever the slot held: a pending erase of a record that
     * failed its checks must not run after it (it is ordered before, if in flight). */
    j->slot_bg[slot] &= (uint8_t)~JOURNAL_BG_ERASE;
    (void)journal_poll(j);
}

static void journal_completed(struct journal *j, int status)
{
    uint32_t slot = j->io_slot;
    switch (j->io) {
    case JOURNAL_IO_FG:
        j->fg_submitted = false;
        j->fg_done = true;
        j->fg_status = status;
        if (status == HAL_OK) {
            j->slot_seq[slot] = j->fg_seq;
            j->slot_state[slot] = j->fg_state;
            j->slot_delivered[slot] = false;
            if (j->fg_state == JOURNAL_STARTED) {
                j->next_seq = j->fg_seq + 1u;
                j->slot_remote_known[slot] = false; /* a new transaction in the slot */
                j->slot_remote[slot] = 0;
            }
        }
        break;
    case JOURNAL_IO_BG_WRITE:
        /* A failed mark is not retried here (a failing medium must not be hammered): the
         * slot stays undelivered until the owner marks it again. A failed remote id stays
         * known in RAM and goes out with the next write of the record (its close). */
        j->slot_bg[slot] &= (uint8_t)~j->io_bits;
        if ((j->io_bits & JOURNAL_BG_DELIVER) != 0) {
            j->slot_delivered[slot] = status == HAL_OK;
        }
        break;
    case JOURNAL_IO_BG_ERASE:
        /* Failed: the record stays and is dropped again at the next open. */
        j->slot_bg[slot] &= (uint8_t)~JOURNAL_BG_ERASE;
        break;
    case JOURNAL_IO_NONE:
        break; /* an operation of an earlier journal on this store (re-opened) */
    }
    j->io = JOURNAL_IO_NONE;
}

/* Background work for one slot: the "delivered" mark or the erase of a bad record. */
static int journal_submit_bg(struct journal *j, uint32_t slot)
{
    char key[HAL_NVS_KEY_MAX];
    journal_key(slot, key);
    if ((j->slot_bg[slot] & JOURNAL_BG_ERASE) != 0) {
        j->io = JOURNAL_IO_BG_ERASE;
        return hal_nvs_submit_erase(j->nvs, key);
    }
    struct journal_entry *e = &j->tmp;
    uint8_t bits = j->slot_bg[slot] & (JOURNAL_BG_DELIVER | JOURNAL_BG_REMOTE);
    if (journal_load(j, slot, e) != HAL_OK || e->seq != j->slot_seq[slot]) {
        j->slot_bg[slot] &= (uint8_t)~bits; /* gone or replaced: nothing to mark */
        return HAL_ENOENT;
    }
    if ((bits & JOURNAL_BG_DELIVER) != 0) {
        e->delivered = true;
    }
    if (j->slot_remote_known[slot]) {
        e->remote_known = true;
        e->remote_id = j->slot_remote[slot];
    }
    size_t n = journal_encode(e, j->bg_buf);
    j->io = JOURNAL_IO_BG_WRITE;
    j->io_bits = bits;
    return hal_nvs_submit_write(j->nvs, key, j->bg_buf, n);
}

bool journal_poll(struct journal *j)
{
    int status;
    int rc = hal_nvs_poll(j->nvs, &status);
    if (rc == HAL_OK) {
        journal_completed(j, status);
    } else if (rc == HAL_EAGAIN) {
        return true;
    }
    /* The store is free (or busy with a previous journal's operation: EBUSY below). */
    if (j->fg_queued) {
        char key[HAL_NVS_KEY_MAX];
        journal_key(j->fg_seq % CFG_JOURNAL_SLOTS, key);
        rc = hal_nvs_submit_write(j->nvs, key, j->fg_buf, j->fg_len);
        if (rc == HAL_OK) {
            j->fg_queued = false;
            j->fg_submitted = true;
            j->io = JOURNAL_IO_FG;
            j->io_slot = j->fg_seq % CFG_JOURNAL_SLOTS;
        } else if (rc != HAL_EBUSY) {
            j->fg_queued = false;
            j->fg_done = true;
            j->fg_status = rc;
        }
        return true;
    }
    for (uint32_t slot = 0; slot < CFG_JOURNAL_SLOTS; slot++) {
        if (j->slot_bg[slot] == 0) {
            continue;
        }
        j->io_slot = slot;
        rc = journal_submit_bg(j, slot);
        if (rc == HAL_OK) {
            return true;
        }
        j->io = JOURNAL_IO_NONE;
        if (rc == HAL_EBUSY) {
            return true;
        }
    }
    return j->fg_submitted;
}

int journal_done(struct journal *j, uint32_t *seq, int *status)
{
    (void)journal_poll(j);
    if (j->fg_queued || j->fg_submitted) {
        return HAL_EAGAIN;
    }
    if (!j->fg_done) {
        return HAL_ESTATE;
    }
    j->fg_done = false;
    *seq = j->fg_seq;
    *status = j->fg_status;
    return HAL_OK;
}

static bool journal_fg_outstanding(const struct journal *j)
{
    return j->fg_queued || j->fg_submitted || j->fg_done;
}

int journal_open(struct journal *j, struct hal_nvs *nvs)
{
    memset(j, 0, sizeof *j);
    j->nvs = nvs;
    uint32_t max = 0;
    for (uint32_t slot = 0; slot < CFG_JOURNAL_SLOTS; slot++) {
        int rc = journal_load(j, slot, &j->tmp);
        if (rc == HAL_ENOENT) {
            continue;
        }
        if (rc == HAL_EIO || rc == HAL_EOVERFLOW || j->tmp.seq % CFG_JOURNAL_SLOTS != slot) {
            /* Fails its checks: a torn or rotten record. Drop only this one (erased in the
             * background; until then the slot counts as empty). */
            j->slot_bg[slot] = JOURNAL_BG_ERASE;
            j->discarded++;
            continue;
        }
        if (rc != HAL_OK) {
            return HAL_EIO;
        }
        j->slot_seq[slot] = j->tmp.seq;
        j->slot_state[slot] = (uint8_t)j->tmp.state;
        j->slot_delivered[slot] = j->tmp.delivered;
        j->slot_remote_known[slot] = j->tmp.remote_known;
        j->slot_remote[slot] = j->tmp.remote_id;
        if (j->tmp.seq > max) {
            max = j->tmp.seq;
        }
    }
    j->next_seq = max + 1u;
    return HAL_OK;
}

int journal_begin(struct journal *j, const char *txid, int64_t start_wh, int64_t unix_s,
                  uint32_t *seq)
{
    size_t tl = txid != NULL ? strlen(txid) : 0;
    if (tl == 0 || tl >= JOURNAL_TXID_MAX) {
        return HAL_EINVAL;
    }
    if (journal_fg_outstanding(j)) {
        return HAL_EBUSY;
    }
    uint32_t s = j->next_seq;
    uint32_t slot = s % CFG_JOURNAL_SLOTS;
    if (j->slot_seq[slot] != 0 && !j->slot_delivered[slot]) {
        return HAL_ENOMEM;
    }
    struct journal_entry *e = &j->tmp;
    memset(e, 0, sizeof *e);
    e->seq = s;
    e->state = JOURNAL_STARTED;
    memcpy(e->txid, txid, tl + 1u);
    e->start_wh = start_wh;
    e->start_unix_s = unix_s;
    journal_queue(j, e);
    *seq = s;
    return HAL_OK;
}

static int journal_find(const struct journal *j, uint32_t seq, uint32_t *slot)
{
    uint32_t s = seq % CFG_JOURNAL_SLOTS;
    if (seq == 0 || j->slot_seq[s] != seq) {
        return HAL_ENOENT;
    }
    *slot = s;
    return HAL_OK;
}

int journal_close(struct journal *j, uint32_t seq, int64_t stop_wh, int64_t unix_s,
                  enum journal_end end, const char *ocmf, size_t ocmf_len, bool verified)
{
    uint32_t slot;
    if (journal_find(j, seq, &slot) != HAL_OK) {
        return HAL_ENOENT;
    }
    if (j->slot_state[slot] != JOURNAL_STARTED) {
        return HAL_ESTATE;
    }
    if (ocmf_len > CFG_OCMF_MAX_LEN) {
        return HAL_EOVERFLOW;
    }
    if (journal_fg_outstanding(j)) {
        return HAL_EBUSY;
    }
    struct journal_entry *e = &j->tmp;
    int rc = journal_load(j, slot, e);
    if (rc != HAL_OK) {
        return HAL_EIO;
    }
    e->state = JOURNAL_CLOSED;
    e->end = end;
    e->stop_wh = stop_wh;
    e->stop_unix_s = unix_s;
    e->verified = verified;
    e->ocmf_len = (uint16_t)ocmf_len;
    if (ocmf_len > 0) {
        memcpy(e->ocmf, ocmf, ocmf_len);
    }
    e->ocmf[ocmf_len] = '\0';
    /* The record read back may predate a remote-id mark still queued or in flight: the id
     * known in RAM is what the close writes. */
    if (j->slot_remote_known[slot]) {
        e->remote_known = true;
        e->remote_id = j->slot_remote[slot];
    }
    journal_queue(j, e);
    return HAL_OK;
}

int journal_set_remote(struct journal *j, uint32_t seq, int32_t remote_id)
{
    uint32_t slot;
    if (journal_find(j, seq, &slot) != HAL_OK) {
        return HAL_ENOENT;
    }
    if (j->slot_remote_known[slot]) {
        return j->slot_remote[slot] == remote_id ? HAL_OK : HAL_ESTATE;
    }
    j->slot_remote_known[slot] = true;
    j->slot_remote[slot] = remote_id;
    j->slot_bg[slot] |= JOURNAL_BG_REMOTE;
    (void)journal_poll(j);
    return HAL_OK;
}

bool journal_busy(const struct journal *j)
{
    if (j->io != JOURNAL_IO_NONE || j->fg_queued || (j->fg_submitted && !j->fg_done)) {
        return true;
    }
    for (uint32_t s = 0; s < CFG_JOURNAL_SLOTS; s++) {
        if (j->slot_bg[s] != 0) {
            return true;
        }
    }
    return false;
}

int journal_delivered(struct journal *j, uint32_t seq)
{
    uint32_t slot;
    if (journal_find(j, seq, &slot) != HAL_OK) {
        return HAL_ENOENT;
    }
    if (j->slot_state[slot] != JOURNAL_CLOSED) {
        return HAL_ESTATE;
    }
    if (!j->slot_delivered[slot]) {
        j->slot_bg[slot] |= JOURNAL_BG_DELIVER;
        (void)journal_poll(j);
    }
    return HAL_OK;
}

int journal_get(struct journal *j, uint32_t seq, struct journal_entry *out)
{
    uint32_t slot;
    if (journal_find(j, seq, &slot) != HAL_OK) {
        return HAL_ENOENT;
    }
    int rc = journal_load(j, slot, out);
    return rc == HAL_OK ? HAL_OK : HAL_EIO;
}

int journal_next(const struct journal *j, uint32_t after, enum journal_state state, uint32_t *seq)
{
    uint32_t best = 0;
    for (uint32_t s = 0; s < CFG_JOURNAL_SLOTS; s++) {
        uint32_t q = j->slot_seq[s];
        if (q > after && (state == JOURNAL_FREE || j->slot_state[s] == (uint8_t)state) &&
            (best == 0 || q < best)) {
            best = q;
        }
    }
    if (best == 0) {
        return HAL_ENOENT;
    }
    *seq = best;
    return HAL_OK;
}

uint32_t journal_discarded(const struct journal *j)
{
    return j->discarded;
}
