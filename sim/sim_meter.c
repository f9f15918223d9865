/* sim_meter.c - owns the simulated meter (struct sim_meter), its in-memory NVS and its
 * test-signature crypto: the firmware's meter interface in memory, with real OCMF records
 * carrying a SIMULATED signature. A device model of the host-only simulation layer. */
#include "sim_meter.h"

#include <stdio.h>
#include <string.h>

#include "sha256/sha256.h"

/* The fixed "public key" of every simulated meter: a P-256-sized uncompressed point. It is
 * not on the curve; it only names the test key for sim_meter_crypto. */
static const uint8_t s_sim_meter_pub[65] = {
    0x04, 'S', 'I', 'M', '-', 'M', 'E', 'T', 'E', 'R', '-', 'T', 'E', 'S', 'T', '-', 'K',
    'E',  'Y', '-', 'N', 'O', 'T', '-', 'E', 'C', 'D', 'S', 'A', '-', '0', '0', '1',
    'S',  'I', 'M', '-', 'M', 'E', 'T', 'E', 'R', '-', 'T', 'E', 'S', 'T', '-', 'K',
    'E',  'Y', '-', 'N', 'O', 'T', '-', 'E', 'C', 'D', 'S', 'A', '-', '0', '0', '2',
};

/* r = SHA-256("sim-r" || key || digest), s = SHA-256("sim-s" || key || digest). */
static void sim_meter_test_sig(const uint8_t *digest, size_t len, uint8_t sig[64])
{
    static const char tag[2][6] = {"sim-r", "sim-s"};
    for (int i = 0; i < 2; i++) {
        struct sha256 h;
        sha256_init(&h);
        sha256_update(&h, (const uint8_t *)tag[i], 5);
        sha256_update(&h, s_sim_meter_pub, sizeof s_sim_meter_pub);
        sha256_update(&h, digest, len);
        sha256_final(&h, sig + 32 * i);
    }
}

static int sim_meter_crypto_verify(struct hal_crypto *base, enum hal_crypto_curve curve,
                                   const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                                   size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    struct sim_meter_crypto *c = (struct sim_meter_crypto *)base;
    c->calls++;
    if (curve != HAL_CRYPTO_SECP256R1 || pub_len != sizeof s_sim_meter_pub ||
        memcmp(pub, s_sim_meter_pub, pub_len) != 0) {
        return HAL_ENOTSUP; /* only the simulated key is known here */
    }
    uint8_t want[64];
    sim_meter_test_sig(digest, digest_len, want);
    return sig_len == sizeof want && memcmp(sig, want, sizeof want) == 0 ? HAL_OK : HAL_EPROTO;
}

static const struct hal_crypto_ops s_sim_meter_crypto_ops = {.ecdsa_verify = sim_meter_crypto_verify};

void sim_meter_crypto_init(struct sim_meter_crypto *c)
{
    memset(c, 0, sizeof *c);
    c->base.ops = &s_sim_meter_crypto_ops;
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no libc time needed. */
static void sim_meter_tm(int64_t unix_s, uint32_t ms, char *out, size_t cap)
{
    int64_t days = unix_s / 86400, sod = unix_s % 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t mo = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (mo <= 2);
    snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld,%03u+0000 S", (long long)y,
             (long long)mo, (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
             (long long)(sod % 60), (unsigned)ms);
}

static int64_t sim_meter_wall_s(const struct sim_meter *m)
{
    return m->unix_epoch_s + (int64_t)(m->now_ms / 1000u);
}

/* Build the record of the open transaction and close it. */
static void sim_meter_close(struct sim_meter *m)
{
    char tb[80], te[80];
    sim_meter_tm(m->start_s, 0, tb, sizeof tb);
    sim_meter_tm(sim_meter_wall_s(m), m->now_ms % 1000u, te, sizeof te);
    char payload[SIM_METER_OCMF_MAX];
    int n = snprintf(payload, sizeof payload,
                     "{\"FV\":\"1.0\",\"GI\":\"SIM\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T%lu\","
                     "\"MV\":\"SIMULATED (test signature, not ECDSA)\",\"MM\":\"sim_meter\","
                     "\"MS\":\"SIM-0001\",\"IS\":false,\"IT\":\"NONE\",\"ID\":\"\","
                     "\"TT\":\"<=>%s\",\"CT\":\"EVSEID\",\"CI\":\"%s\",\"RD\":["
                     "{\"TM\":\"%s\",\"TX\":\"B\",\"RV\":%lld.%03lld,\"RI\":\"1-b:1.8.0\","
                     "\"RU\":\"kWh\",\"RT\":\"DC\",\"ST\":\"G\"},"
                     "{\"TM\":\"%s\",\"TX\":\"E\",\"RV\":%lld.%03lld,\"RI\":\"1-b:1.8.0\","
                     "\"RU\":\"kWh\",\"RT\":\"DC\",\"ST\":\"G\"}]}",
                     (unsigned long)++m->pg, m->txid, m->evse_id, tb, (long long)(m->start_wh / 1000),
                     (long long)(m->start_wh % 1000), te, (long long)(m->import_wh / 1000),
                     (long long)(m->import_wh % 1000));
    uint8_t digest[32], sig[64];
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, (const uint8_t *)payload, (size_t)n);
    sha256_final(&h, digest);
    sim_meter_test_sig(digest, sizeof digest, sig);
    char hex[129];
    for (int i = 0; i < 64; i++) {
        snprintf(hex + 2 * i, 3, "%02X", sig[i]);
    }
    int len = snprintf(m->ocmf, sizeof m->ocmf, "OCMF|%s|{\"SA\":\"ECDSA-secp256r1-SHA256\",\"SD\":\"%s\"}",
                       payload, hex);
    m->ocmf_len = (uint16_t)(len > 0 && (size_t)len < sizeof m->ocmf ? len : 0);
    if (m->corrupt_ocmf && m->ocmf_len > 20u) {
        m->ocmf[m->ocmf_len - 20u] ^= 0x01; /* fault injection: one bit of the signature flipped */
        m->corrupt_ocmf = false;
    }
    m->tx_open = false;
    m->record_pending = m->ocmf_len > 0;
}

static int sim_meter_live(struct meter *base, struct meter_live *out)
{
    struct sim_meter *m = (struct sim_meter *)base;
    memset(out, 0, sizeof *out);
    out->import_wh = m->import_wh;
    out->export_wh = m->export_wh;
    out->voltage_dv[0] = m->voltage_mv / 100;
    out->dc_valid = true; /* the simulated meter sits on the DC output */
    out->dc_voltage_mv = m->voltage_mv;
    out->current_ma[0] = m->current_ma;
    out->power_dw = (int32_t)((int64_t)m->voltage_mv * m->current_ma / 100000);
    out->at_ms = m->now_ms;
    return m->no_answer ? HAL_ETIMEDOUT : HAL_OK;
}

static int sim_meter_can_job(const struct sim_meter *m)
{
    if (m->no_answer) {
        return HAL_EAGAIN;
    }
    return m->job != SIM_METER_JOB_NONE ? HAL_EBUSY : HAL_OK;
}

static int sim_meter_start(struct meter *base, const struct meter_tx_req *req, uint32_t now_ms)
{
    (void)now_ms; /* the device runs on its own clock */
    struct sim_meter *m = (struct sim_meter *)base;
    int rc = sim_meter_can_job(m);
    if (rc != HAL_OK) {
        return rc;
    }
    if (m->tx_open) {
        return HAL_ESTATE;
    }
    if (req == NULL || req->txid == NULL || req->txid[0] == '\0' || req->evse_id == NULL ||
        strlen(req->txid) >= sizeof m->txid || strlen(req->evse_id) >= sizeof m->evse_id ||
        strchr(req->txid, '"') != NULL || strchr(req->evse_id, '"') != NULL ||
        strchr(req->txid, '\\') != NULL || strchr(req->evse_id, '\\') != NULL) {
        return HAL_EINVAL;
    }
    memcpy(m->txid, req->txid, strlen(req->txid) + 1u);
    memcpy(m->evse_id, req->evse_id, strlen(req->evse_id) + 1u);
    m->job = SIM_METER_JOB_START;
    m->job_done = false;
    return HAL_OK;
}

static int sim_meter_stop(struct meter *base, const char *txid, uint32_t now_ms)
{
    (void)now_ms;
    struct sim_meter *m = (struct sim_meter *)base;
    int rc = sim_meter_can_job(m);
    if (rc != HAL_OK) {
        return rc;
    }
    if (txid == NULL || strlen(txid) >= sizeof m->txid) {
        return HAL_EINVAL;
    }
    m->job = SIM_METER_JOB_STOP;
    m->job_done = false;
    /* the id is checked when the job runs: "" closes whatever is open */
    if (txid[0] != '\0' && m->tx_open && strcmp(txid, m->txid) != 0) {
        m->job = SIM_METER_JOB_NONE;
        return HAL_EINVAL;
    }
    return HAL_OK;
}

static int sim_meter_confirm(struct meter *base, uint32_t now_ms)
{
    (void)now_ms;
    struct sim_meter *m = (struct sim_meter *)base;
    int rc = sim_meter_can_job(m);
    if (rc != HAL_OK) {
        return rc;
    }
    if (!m->record_pending) {
        return HAL_ESTATE;
    }
    m->job = SIM_METER_JOB_CONFIRM;
    m->job_done = false;
    return HAL_OK;
}

static int sim_meter_result(struct meter *base, struct meter_done *out)
{
    struct sim_meter *m = (struct sim_meter *)base;
    if (!m->job_done) {
        return HAL_EAGAIN;
    }
    *out = m->done;
    m->job_done = false;
    return HAL_OK;
}

static int sim_meter_pubkey(struct meter *base, uint8_t *pub, size_t cap, size_t *len,
                            enum hal_crypto_curve *curve)
{
    (void)base;
    if (cap < sizeof s_sim_meter_pub) {
        return HAL_EOVERFLOW;
    }
    memcpy(pub, s_sim_meter_pub, sizeof s_sim_meter_pub);
    *len = sizeof s_sim_meter_pub;
    *curve = HAL_CRYPTO_SECP256R1;
    return HAL_OK;
}

static int sim_meter_status(struct meter *base, uint32_t *device_error)
{
    struct sim_meter *m = (struct sim_meter *)base;
    *device_error = 0;
    return m->no_answer ? HAL_ETIMEDOUT : HAL_OK;
}

static const struct meter_ops s_sim_meter_ops = {
    .live = sim_meter_live,
    .start = sim_meter_start,
    .stop = sim_meter_stop,
    .confirm = sim_meter_confirm,
    .result = sim_meter_result,
    .pubkey = sim_meter_pubkey,
    .status = sim_meter_status,
};

void sim_meter_init(struct sim_meter *m, int64_t import_wh, int64_t unix_epoch_s)
{
    memset(m, 0, sizeof *m);
    m->base.ops = &s_sim_meter_ops;
    m->import_wh = import_wh;
    m->unix_epoch_s = unix_epoch_s;
}

void sim_meter_lose_stops(struct sim_meter *m, uint8_t n)
{
    m->lose_stops = n;
}

void sim_meter_set_no_answer(struct sim_meter *m, bool no_answer)
{
    m->no_answer = no_answer;
}

void sim_meter_reboot(struct sim_meter *m)
{
    /* The registers survive (they are the meter's own non-volatile counters); the open
     * transaction, a job in progress and an unconfirmed record do not. */
    m->tx_open = false;
    m->job = SIM_METER_JOB_NONE;
    m->job_done = false;
    m->record_pending = false;
    m->ocmf_len = 0;
}

/* Run the accepted job (a real meter finishes it a little later, never inside the call). */
static void sim_meter_run_job(struct sim_meter *m)
{
    if (m->job == SIM_METER_JOB_NONE) {
        return; /* nothing to do: the last result stays until it is collected */
    }
    memset(&m->done, 0, sizeof m->done);
    m->done.status = HAL_OK;
    switch (m->job) {
    case SIM_METER_JOB_START:
        m->tx_open = true;
        m->start_wh = m->import_wh;
        m->start_s = sim_meter_wall_s(m);
        m->record_pending = false;
        break;
    case SIM_METER_JOB_STOP:
        if (m->lose_stops > 0 && m->tx_open) {
            m->lose_stops--;
            m->done.status = HAL_ETIMEDOUT;
        } else if (m->tx_open) {
            sim_meter_close(m);
            m->done.ocmf = m->record_pending ? m->ocmf : NULL;
            m->done.ocmf_len = m->record_pending ? m->ocmf_len : 0;
            m->done.confirm_pending = m->record_pending;
            m->done.status = m->record_pending ? HAL_OK : HAL_EOVERFLOW;
        } else if (m->record_pending) {
            m->done.ocmf = m->ocmf; /* stopped before, not confirmed: hand it out again */
            m->done.ocmf_len = m->ocmf_len;
            m->done.recovered = true;
            m->done.confirm_pending = true;
        }
        break;
    case SIM_METER_JOB_CONFIRM:
        m->record_pending = false;
        break;
    case SIM_METER_JOB_NONE:
        return;
    }
    m->job = SIM_METER_JOB_NONE;
    m->job_done = true;
}

void sim_meter_tick(struct sim_meter *m, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma)
{
    uint32_t dt = now_ms - m->now_ms;
    m->now_ms = now_ms;
    m->voltage_mv = voltage_mv;
    m->current_ma = current_ma;
    /* mV x mA = uW; uW x ms = nJ; 1 Wh = 3.6e12 nJ */
    int64_t nj = (int64_t)voltage_mv * current_ma * (int64_t)dt;
    if (nj >= 0) {
        m->rest_nj += nj;
        m->import_wh += m->rest_nj / 3600000000000LL;
        m->rest_nj %= 3600000000000LL;
    } else {
        m->rest_exp_nj -= nj;
        m->export_wh += m->rest_exp_nj / 3600000000000LL;
        m->rest_exp_nj %= 3600000000000LL;
    }
    if (!m->no_answer) {
        sim_meter_run_job(m);
    }
}

static int sim_meter_nvs_find(const struct sim_meter_nvs *n, const char *key)
{
    for (unsigned i = 0; i < SIM_METER_NVS_RECORDS; i++) {
        if (n->key[i][0] != '\0' && strcmp(n->key[i], key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int sim_meter_nvs_read(struct hal_nvs *base, const char *key, uint8_t *buf, size_t cap,
                              size_t *len)
{
    struct sim_meter_nvs *n = (struct sim_meter_nvs *)base;
    if (hal_nvs_key_check(key) != HAL_OK) {
        return HAL_EINVAL;
    }
    int i = sim_meter_nvs_find(n, key);
    if (i < 0) {
        return HAL_ENOENT;
    }
    if (n->len[i] > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, n->data[i], n->len[i]);
    *len = n->len[i];
    return HAL_OK;
}

static int sim_meter_nvs_write(struct sim_meter_nvs *n, const char *key, const uint8_t *data, size_t len)
{
    if (len > SIM_METER_NVS_RECORD_MAX) {
        return HAL_EOVERFLOW;
    }
    int i = sim_meter_nvs_find(n, key);
    for (unsigned k = 0; i < 0 && k < SIM_METER_NVS_RECORDS; k++) {
        if (n->key[k][0] == '\0') {
            i = (int)k;
            memcpy(n->key[k], key, strlen(key) + 1u);
        }
    }
    if (i < 0) {
        return HAL_ENOMEM;
    }
    memcpy(n->data[i], data, len);
    n->len[i] = (uint16_t)len;
    return HAL_OK;
}

static int sim_meter_nvs_erase(struct sim_meter_nvs *n, const char *key)
{
    int i = sim_meter_nvs_find(n, key);
    if (i < 0) {
        return HAL_OK; /* the contract: removed, or it did not exist */
    }
    n->key[i][0] = '\0';
    n->len[i] = 0;
    return HAL_OK;
}

/* RAM is written at once, but the simulator keeps the contract's shape: the operation
 * lands when it is polled, so the firmware's waiting states run here too. */
static int sim_meter_nvs_submit(struct sim_meter_nvs *n, bool erase, const char *key,
                                const uint8_t *data, size_t len)
{
    if (hal_nvs_key_check(key) != HAL_OK || (data == NULL && len != 0)) {
        return HAL_EINVAL;
    }
    if (n->busy) {
        return HAL_EBUSY;
    }
    n->busy = true;
    n->op_erase = erase;
    memcpy(n->op_key, key, strlen(key) + 1u);
    n->op_data = data;
    n->op_len = len;
    return HAL_OK;
}

static int sim_meter_nvs_submit_write(struct hal_nvs *base, const char *key, const uint8_t *data,
                                      size_t len)
{
    return sim_meter_nvs_submit((struct sim_meter_nvs *)base, false, key, data, len);
}

static int sim_meter_nvs_submit_erase(struct hal_nvs *base, const char *key)
{
    return sim_meter_nvs_submit((struct sim_meter_nvs *)base, true, key, NULL, 0);
}

static int sim_meter_nvs_poll(struct hal_nvs *base, int *status)
{
    struct sim_meter_nvs *n = (struct sim_meter_nvs *)base;
    if (!n->busy) {
        return HAL_ESTATE;
    }
    *status = n->op_erase ? sim_meter_nvs_erase(n, n->op_key)
                          : sim_meter_nvs_write(n, n->op_key, n->op_data, n->op_len);
    n->busy = false;
    n->op_data = NULL;
    return HAL_OK;
}

static const struct hal_nvs_ops s_sim_meter_nvs_ops = {
    .read = sim_meter_nvs_read,
    .submit_write = sim_meter_nvs_submit_write,
    .submit_erase = sim_meter_nvs_submit_erase,
    .poll = sim_meter_nvs_poll,
};

void sim_meter_nvs_init(struct sim_meter_nvs *n)
{
    memset(n, 0, sizeof *n);
    n->base.ops = &s_sim_meter_nvs_ops;
}
