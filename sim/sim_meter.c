/* sim_meter.c - owns the simulator's meter (struct sim_meter): the EM580 register model on
 * its in-memory Modbus bus, the firmware's real EM580 driver wired to them, the log lines
 * that show the driver at work, the crypto port that knows the simulated signatures, and
 * the journal's in-memory store. A device of the host-only simulation layer. */
#include "sim_meter.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"

#include "sha256/sha256.h"

/* The fixed "public key" of every simulated meter: a 256-bit-sized uncompressed point. It
 * is not on the curve; it only names the test key for sim_meter_crypto. */
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

/* The EM580 announces brainpoolP256r1 (signature type 0); the curve is only checked to be
 * a 256-bit one, because the key is a test key on no curve at all. */
static int sim_meter_crypto_verify(struct hal_crypto *base, enum hal_crypto_curve curve,
                                   const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                                   size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    struct sim_meter_crypto *c = (struct sim_meter_crypto *)base;
    c->calls++;
    if ((curve != HAL_CRYPTO_SECP256R1 && curve != HAL_CRYPTO_BRAINPOOL256R1) ||
        pub_len != sizeof s_sim_meter_pub || memcmp(pub, s_sim_meter_pub, pub_len) != 0) {
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

/* The device's signer: the simulated signature over the digest of the payload as sent. */
static int sim_meter_sign(void *ctx, const char *payload, size_t len, char *sd, size_t cap)
{
    (void)ctx;
    uint8_t digest[32], sig[64];
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, (const uint8_t *)payload, len);
    sha256_final(&h, digest);
    sim_meter_test_sig(digest, sizeof digest, sig);
    if (cap < 2u * sizeof sig + 1u) {
        return -1;
    }
    for (size_t i = 0; i < sizeof sig; i++) {
        (void)snprintf(sd + 2u * i, 3, "%02X", sig[i]);
    }
    return 0;
}

void sim_meter_init(struct sim_meter *m, int64_t import_wh, int64_t unix_epoch_s, struct hal_log *log,
                    const char *name)
{
    memset(m, 0, sizeof *m);
    m->log = log;
    (void)snprintf(m->name, sizeof m->name, "%s", name != NULL ? name : "meter");
    sim_modbus_init(&m->bus, SIM_METER_LATENCY_MS);
    /* RT "DC": the simulator's meter sits on the DC output (the live block's L1 carries
     * the DC voltage; the driver still reads it as an AC phase and offers no DC voltage). */
    const struct sim_em580_config cfg = {
        .pub = s_sim_meter_pub, .pub_len = sizeof s_sim_meter_pub, .rt = "DC", .import_wh = import_wh,
        .unix_epoch_s = unix_epoch_s, .sign = sim_meter_sign};
    sim_em580_dev_init(&m->dev, &cfg);
    (void)sim_modbus_attach(&m->bus, &m->dev.slave);
}

int sim_meter_start(struct sim_meter *m, struct sched *s, uint32_t now_ms)
{
    struct em580_config cfg;
    em580_config_default(&cfg);
    cfg.unit = m->dev.slave.unit;
    /* Detect a meter that is back after 1 s rather than EVerest's 10 s pause, so the car
     * after a repaired fault in a scenario meets the repaired meter (a board setting: the
     * Linux board keeps the default). */
    cfg.fail_pause_ms = 1000u;
    m->bus.busy = false; /* a request of the firmware before the power loss died with it */
    m->seen_phase = EM580_PH_DETECT;
    int rc = meter_em580_init(&m->drv, &m->bus.base, &cfg);
    if (rc == HAL_OK) {
        rc = sched_add(s, meter_em580_task(&m->drv), now_ms);
    }
    return rc;
}

struct meter *sim_meter_port(struct sim_meter *m)
{
    return &m->drv.base;
}

static void sim_meter_logf(struct sim_meter *m, uint32_t now_ms, enum hal_log_level lvl, const char *what,
                           const char *detail)
{
    if (m->log != NULL) {
        hal_logf(m->log, lvl, now_ms, "[%s] meter: EM580 (Modbus unit %u) %s%s", m->name,
                 (unsigned)m->dev.slave.unit, what, detail);
    }
}

/* Tell the log what the driver did on the bus since the last tick: its identification of
 * the device, its first live read, the transactions the device began, ended and had
 * confirmed. Read from the driver's published state and the device's counters, so the
 * firmware itself logs nothing more than on a board. */
static void sim_meter_watch(struct sim_meter *m, uint32_t now_ms)
{
    char d[160];
    const struct em580 *em = &m->drv.em;
    enum em580_phase ph = em580_phase(em);
    if (ph != m->seen_phase) {
        m->seen_phase = ph;
        if (ph == EM580_PH_READY) {
            uint8_t pub[HAL_CRYPTO_PUB_MAX];
            size_t len = 0;
            enum hal_crypto_curve curve;
            bool key = em580_pubkey(em, pub, sizeof pub, &len, &curve) == HAL_OK;
            (void)snprintf(d, sizeof d, ": code %u (%s), serial %s, %s%s", (unsigned)em->ident,
                           em580_model(em) == EM580_MODEL_EM300 ? "EM300, unsigned" : "EM580, OCMF",
                           em->serial, key ? "signing key read" : "no signing key",
                           em580_tx_active(em) ? ", a transaction is open on the meter" : "");
            sim_meter_logf(m, now_ms, HAL_LOG_INFO, "identified", d);
        } else if (ph == EM580_PH_FAILED) {
            sim_meter_logf(m, now_ms, HAL_LOG_WARN, "lost: ", em580_strerror(em580_error(em)));
        }
    }
    struct em580_live lv;
    if (em580_live(em, &lv) == HAL_OK && lv.at_ms != m->seen_live_at) {
        m->seen_live_at = lv.at_ms;
        m->live_reads++;
        if (!m->seen_live) {
            m->seen_live = true;
            (void)snprintf(d, sizeof d, ": %.1f V, %.3f A, %lld Wh imported (every %lu ms from now on)",
                           lv.v_dv[0] / 10.0, lv.i_ma[0] / 1000.0, (long long)lv.import_wh,
                           (unsigned long)m->drv.em.cfg.live_interval_ms);
            sim_meter_logf(m, now_ms, HAL_LOG_INFO, "first live read", d);
        }
    }
    const struct sim_em580_dev *v = &m->dev;
    if (v->begins != m->seen_begins) {
        m->seen_begins = v->begins;
        (void)snprintf(d, sizeof d, " at %lld Wh", (long long)v->start_wh);
        sim_meter_logf(m, now_ms, HAL_LOG_INFO, "OCMF transaction begun ('B')", d);
    }
    if (v->ends != m->seen_ends) {
        m->seen_ends = v->ends;
        (void)snprintf(d, sizeof d, " at %lld Wh: signed record of %u words ready", (long long)v->import_wh,
                       (unsigned)v->slave.holding[EM580_REG_OCMF_SIZE]);
        sim_meter_logf(m, now_ms, HAL_LOG_INFO, "OCMF transaction ended", d);
    }
    if (v->confirms != m->seen_confirms) {
        m->seen_confirms = v->confirms;
        sim_meter_logf(m, now_ms, HAL_LOG_INFO, "OCMF record confirmed by the driver", "");
    }
    if (v->lost_stops != m->seen_lost) {
        m->seen_lost = v->lost_stops;
        sim_meter_logf(m, now_ms, HAL_LOG_WARN, "end command lost on the line (fault)", "");
    }
}

void sim_meter_tick(struct sim_meter *m, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma)
{
    bool pending = m->bus.busy && !hal_time_reached(m->bus.now_ms, m->bus.due_ms);
    sim_modbus_tick(&m->bus, now_ms);
    sim_em580_dev_tick(&m->dev, now_ms, voltage_mv, current_ma);
    if (pending && hal_time_reached(now_ms, m->bus.due_ms)) {
        m->io_pending = true;
    }
    if (m->corrupt_ocmf) {
        m->dev.corrupt_next = true;
        m->corrupt_ocmf = false;
    }
    sim_meter_watch(m, now_ms);
    m->tx_open = sim_em580_dev_tx_open(&m->dev);
}

void sim_meter_set_no_answer(struct sim_meter *m, bool no_answer)
{
    m->dev.slave.silent = no_answer;
}

void sim_meter_lose_stops(struct sim_meter *m, uint8_t n)
{
    m->dev.lose_stops = n;
}

void sim_meter_reboot(struct sim_meter *m)
{
    sim_em580_dev_reboot(&m->dev);
    m->tx_open = sim_em580_dev_tx_open(&m->dev);
    sim_meter_logf(m, m->dev.now_ms, HAL_LOG_WARN, "brief power loss (fault): ",
                   m->dev.slave.holding[EM580_REG_OCMF_STATE] == 2u ? "it closed the running transaction itself"
                                                                   : "nothing was running");
}

void sim_meter_forget(struct sim_meter *m)
{
    sim_em580_dev_forget(&m->dev);
    m->tx_open = sim_em580_dev_tx_open(&m->dev);
    sim_meter_logf(m, m->dev.now_ms, HAL_LOG_WARN, "lost its transaction (fault): ", "no record will come");
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
