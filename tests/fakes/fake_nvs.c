#include "fake_nvs.h"

#include <stdio.h>
#include <string.h>

static int fake_nvs_slot(struct fake_nvs *n, const char *key)
{
    for (unsigned i = 0; i < FAKE_NVS_RECORDS; i++) {
        if (n->used[i] && strcmp(n->key[i], key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int fake_nvs_read(struct hal_nvs *base, const char *key, uint8_t *buf, size_t cap,
                         size_t *len)
{
    struct fake_nvs *n = (struct fake_nvs *)base;
    *len = 0;
    if (hal_nvs_key_check(key) != HAL_OK) {
        return HAL_EINVAL;
    }
    if (n->dead) {
        return HAL_EIO;
    }
    int s = fake_nvs_slot(n, key);
    if (s < 0) {
        return HAL_ENOENT;
    }
    if (n->len[s] > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, n->data[s], n->len[s]);
    *len = n->len[s];
    return HAL_OK;
}

/* The medium's side of a write, at completion. */
static int fake_nvs_write(struct fake_nvs *n, const char *key, const uint8_t *data, size_t len)
{
    if (n->dead) {
        return HAL_EIO;
    }
    bool cut = n->cut_after_writes == 0;
    if (n->cut_after_writes > 0) {
        n->cut_after_writes--;
    }
    if (cut && n->cut_mode == FAKE_NVS_CUT_BEFORE) {
        n->dead = true;
        return HAL_EIO;
    }
    if (len > FAKE_NVS_RECORD_MAX) {
        return HAL_ENOMEM;
    }
    if (n->fail_writes > 0) {
        n->fail_writes--;
        return HAL_EIO;
    }
    int s = fake_nvs_slot(n, key);
    if (s < 0) {
        for (unsigned i = 0; i < FAKE_NVS_RECORDS; i++) {
            if (!n->used[i]) {
                s = (int)i;
                break;
            }
        }
    }
    if (s < 0) {
        return HAL_ENOMEM;
    }
    n->used[s] = true;
    strncpy(n->key[s], key, HAL_NVS_KEY_MAX - 1u);
    n->key[s][HAL_NVS_KEY_MAX - 1u] = '\0';
    memcpy(n->data[s], data, len);
    n->len[s] = len;
    if (cut) {
        n->dead = true;
        return HAL_EIO;
    }
    n->writes++;
    return HAL_OK;
}

static int fake_nvs_erase(struct fake_nvs *n, const char *key)
{
    if (n->dead) {
        return HAL_EIO;
    }
    int s = fake_nvs_slot(n, key);
    if (s >= 0) {
        n->used[s] = false;
        n->erases++;
    }
    return HAL_OK;
}

static int fake_nvs_submit(struct fake_nvs *n, bool erase, const char *key, const uint8_t *data,
                           size_t len)
{
    if (hal_nvs_key_check(key) != HAL_OK || (data == NULL && len != 0)) {
        return HAL_EINVAL;
    }
    if (n->busy) {
        n->busy_refusals++;
        return HAL_EBUSY;
    }
    n->busy = true;
    n->op_erase = erase;
    memcpy(n->op_key, key, strlen(key) + 1u);
    n->op_data = data;
    n->op_len = len;
    n->submits++;
    return HAL_OK;
}

static int fake_nvs_submit_write(struct hal_nvs *base, const char *key, const uint8_t *data,
                                 size_t len)
{
    return fake_nvs_submit((struct fake_nvs *)base, false, key, data, len);
}

static int fake_nvs_submit_erase(struct hal_nvs *base, const char *key)
{
    return fake_nvs_submit((struct fake_nvs *)base, true, key, NULL, 0);
}

int fake_nvs_complete(struct fake_nvs *n, int *status)
{
    if (!n->busy) {
        return HAL_ESTATE;
    }
    n->hold = false;
    *status = n->op_erase ? fake_nvs_erase(n, n->op_key)
                          : fake_nvs_write(n, n->op_key, n->op_data, n->op_len);
    if (n->nlog < 8u) {
        snprintf(n->log[n->nlog], sizeof n->log[0], "%c:%s", n->op_erase ? 'e' : 'w', n->op_key);
    }
    n->nlog++;
    n->busy = false;
    n->op_data = NULL;
    return HAL_OK;
}

static int fake_nvs_poll(struct hal_nvs *base, int *status)
{
    struct fake_nvs *n = (struct fake_nvs *)base;
    if (!n->busy) {
        return HAL_ESTATE;
    }
    if (n->hold) {
        return HAL_EAGAIN;
    }
    return fake_nvs_complete(n, status);
}

void fake_nvs_hold(struct fake_nvs *n, bool hold)
{
    n->hold = hold;
}

static const struct hal_nvs_ops s_fake_nvs_ops = {
    .read = fake_nvs_read,
    .submit_write = fake_nvs_submit_write,
    .submit_erase = fake_nvs_submit_erase,
    .poll = fake_nvs_poll,
};

void fake_nvs_init(struct fake_nvs *n)
{
    memset(n, 0, sizeof *n);
    n->base.ops = &s_fake_nvs_ops;
    n->cut_after_writes = -1;
}

void fake_nvs_power_on(struct fake_nvs *n)
{
    n->dead = false;
    n->cut_after_writes = -1;
}

bool fake_nvs_corrupt(struct fake_nvs *n, const char *key, size_t offset)
{
    int s = fake_nvs_slot(n, key);
    if (s < 0 || offset >= n->len[s]) {
        return false;
    }
    n->data[s][offset] ^= 0x5a;
    return true;
}
