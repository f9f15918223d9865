/* EM580/EM300 register model (sim_em580_dev.h): owns the meter's counters, its live block and
 * the OCMF transaction machine with the record it builds and has signed. */
#include "sim_em580_dev.h"

#include <stdio.h>
#include <string.h>

#include "em580/em580.h"
#include "sha256/sha256.h"

enum { ST_NOT_READY = 0, ST_RUNNING = 1, ST_READY = 2, ST_CORRUPTED = 3 };

static void put32(uint16_t *r, int32_t v)
{
    r[0] = (uint16_t)((uint32_t)v & 0xffffu);
    r[1] = (uint16_t)((uint32_t)v >> 16);
}

static void sim_em580_get_string(const uint16_t *regs, uint16_t addr, uint16_t words, char *out, size_t cap)
{
    size_t n = 0;
    for (uint16_t i = 0; i < words && n + 2u < cap; i++) {
        uint16_t w = regs[(uint16_t)(addr + i)];
        char hi = (char)(w >> 8), lo = (char)(w & 0xffu);
        if (hi == '\0') {
            break;
        }
        out[n++] = hi;
        if (lo == '\0') {
            break;
        }
        out[n++] = lo;
    }
    out[n] = '\0';
}

/* Live block and energy counters from the model's state. */
static void sim_em580_regs(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    put32(&r[EM580_REG_LIVE + 0], d->voltage_mv / 100);                         /* L1, 0.1 V */
    put32(&r[EM580_REG_LIVE + 0x0C], d->current_ma);                            /* L1, mA */
    int32_t p_dw = (int32_t)((int64_t)d->voltage_mv * d->current_ma / 100000);  /* 0.1 W */
    put32(&r[EM580_REG_LIVE + 0x12], p_dw);
    put32(&r[EM580_REG_LIVE + 0x28], p_dw);
    r[EM580_REG_LIVE + 0x32] = 1;
    r[EM580_REG_LIVE + 0x33] = 0;
    if (d->em300) {
        int32_t kwh = (int32_t)(d->import_wh / 1000), frac = (int32_t)(d->import_wh % 1000);
        r[0x0400] = (uint16_t)kwh;
        r[0x0401] = (uint16_t)((uint32_t)kwh >> 16);
        r[0x0402] = (uint16_t)frac;
        r[0x0403] = 0;
        return;
    }
    uint64_t u = (uint64_t)d->import_wh, e = (uint64_t)d->export_wh;
    for (unsigned i = 0; i < 4; i++) {
        r[EM580_REG_ENERGY + i] = (uint16_t)(u >> (16u * i));
        r[0x051C + i] = (uint16_t)(e >> (16u * i));
    }
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no libc time needed. */
static void sim_em580_tm(int64_t unix_s, char *out, size_t cap)
{
    int64_t days = unix_s / 86400, sod = unix_s % 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mo = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (mo <= 2);
    snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld,000+0000 S", (long long)y, (long long)mo,
             (long long)dd, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
}

static int64_t sim_em580_wall_s(const struct sim_em580_dev *d)
{
    return d->unix_epoch_s + (int64_t)(d->now_ms / 1000u);
}

/* The record of the transaction that ends now, signed, in the file registers. */
static void sim_em580_make_file(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    char tt[EM580_TT_MAX + 1], ci[EM580_ID_MAX + 1], id[EM580_ID_MAX + 1], tb[96], te[96];
    sim_em580_get_string(r, EM580_REG_TT, EM580_TT_WORDS, tt, sizeof tt);
    sim_em580_get_string(r, EM580_REG_CI, 20, ci, sizeof ci);
    sim_em580_get_string(r, EM580_REG_ID, 20, id, sizeof id);
    sim_em580_tm(d->start_s, tb, sizeof tb);
    sim_em580_tm(sim_em580_wall_s(d), te, sizeof te);
    int n = snprintf(d->payload, sizeof d->payload,
                     "{\"FV\":\"1.0\",\"GI\":\"SIM\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T%lu\",\"MV\":\"Carlo "
                     "Gavazzi Controls (SIMULATED)\",\"MM\":\"EM580\",\"MS\":\"SIM0000000001\",\"IS\":%s,"
                     "\"IL\":\"NONE\",\"IF\":[],\"IT\":\"NONE\",\"ID\":\"%s\",\"TT\":\"%s\",\"CT\":\"EVSEID\","
                     "\"CI\":\"%s\",\"RD\":[{\"TM\":\"%s\",\"TX\":\"B\",\"RV\":%lld.%03lld,\"RI\":\"1-b:1.8.0\","
                     "\"RU\":\"kWh\",\"RT\":\"DC\",\"ST\":\"G\"},{\"TM\":\"%s\",\"TX\":\"E\",\"RV\":%lld.%03lld,"
                     "\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"DC\",\"ST\":\"G\"}]}",
                     (unsigned long)++d->pg, r[EM580_REG_IS] ? "true" : "false", id, tt, ci, tb,
                     (long long)(d->start_wh / 1000), (long long)(d->start_wh % 1000), te,
                     (long long)(d->import_wh / 1000), (long long)(d->import_wh % 1000));
    if (n < 0 || (size_t)n >= sizeof d->payload) {
        r[EM580_REG_OCMF_STATE] = ST_CORRUPTED;
        return;
    }
    uint8_t digest[32], sig[64] = {0};
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, (const uint8_t *)d->payload, (size_t)n);
    sha256_final(&h, digest);
    if (d->sign != NULL) {
        d->sign(d->sign_ctx, digest, sig);
    }
    if (d->corrupt_next) {
        sig[40] ^= 0x01; /* fault injection: one bit of the signature flipped */
        d->corrupt_next = false;
    }
    char file[2 * EM580_FILE_MAX_WORDS];
    int len = snprintf(file, sizeof file, "OCMF|%s|{\"SA\":\"ECDSA-brainpoolP256r1-SHA256\",\"SD\":\"", d->payload);
    for (unsigned i = 0; i < 64; i++) {
        len += snprintf(file + len, sizeof file - (size_t)len, "%02X", sig[i]);
    }
    len += snprintf(file + len, sizeof file - (size_t)len, "\"}");
    uint16_t words = (uint16_t)((len + 1) / 2);
    sim_mb_put_string(r, EM580_REG_OCMF_FILE, (uint16_t)(words + 1u), file);
    r[EM580_REG_OCMF_SIZE] = words;
    r[EM580_REG_OCMF_STATE] = ST_READY;
}

/* A lost 'E': the meter never heard it, the master waits for its timeout. */
static uint8_t sim_em580_gate(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms)
{
    struct sim_em580_dev *d = s->ctx;
    (void)now_ms;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    if (write && req->addr == EM580_REG_CMD && req->regs[0] == 'E' && d->lose_stops > 0) {
        d->lose_stops--;
        d->lost_stops++;
        return SIM_MB_NO_ANSWER;
    }
    return 0;
}

static void sim_em580_before_read(struct sim_mb_slave *s, uint32_t now_ms)
{
    (void)now_ms;
    sim_em580_regs(s->ctx);
}

static void sim_em580_after_write(struct sim_mb_slave *s, uint16_t addr, uint16_t count, uint32_t now_ms)
{
    struct sim_em580_dev *d = s->ctx;
    uint16_t *r = s->holding;
    (void)count;
    (void)now_ms;
    if (addr == EM580_REG_CMD) {
        uint16_t cmd = r[EM580_REG_CMD];
        if (cmd == 'B' && r[EM580_REG_OCMF_STATE] == ST_NOT_READY) {
            r[EM580_REG_OCMF_STATE] = ST_RUNNING;
            d->start_wh = d->import_wh;
            d->start_s = sim_em580_wall_s(d);
            d->begins++;
        } else if (cmd == 'E' && r[EM580_REG_OCMF_STATE] == ST_RUNNING) {
            d->ends++;
            sim_em580_make_file(d);
        }
    } else if (addr == EM580_REG_OCMF_STATE && r[EM580_REG_OCMF_STATE] == ST_NOT_READY) {
        d->confirms++; /* the master took the record: the meter may drop it */
    }
}

static const struct sim_mb_slave_ops s_sim_em580_ops = {
    .gate = sim_em580_gate,
    .before_read = sim_em580_before_read,
    .after_write = sim_em580_after_write,
};

void sim_em580_dev_init(struct sim_em580_dev *d, bool em300, const uint8_t pub[65], int64_t import_wh,
                        int64_t unix_epoch_s, sim_em580_sign_fn sign, void *sign_ctx)
{
    memset(d, 0, sizeof *d);
    d->em300 = em300;
    d->import_wh = import_wh;
    d->unix_epoch_s = unix_epoch_s;
    d->sign = sign;
    d->sign_ctx = sign_ctx;
    sim_mb_slave_init(&d->slave, 1, &s_sim_em580_ops, d);
    uint16_t *r = d->slave.holding;
    r[EM580_REG_IDENT] = em300 ? 340 : 120;
    r[EM580_REG_FW] = 0x0100;
    if (!em300) {
        r[EM580_REG_SIGTYPE] = 0; /* brainpoolP256r1 */
        /* 65 key bytes packed high byte first, the last byte of the 33-word block unused */
        for (unsigned i = 0; i < 33; i++) {
            uint8_t hi = pub[2 * i];
            uint8_t lo = 2 * i + 1 < 65 ? pub[2 * i + 1] : 0;
            r[EM580_REG_PUBKEY + i] = (uint16_t)(hi << 8 | lo);
        }
        sim_mb_put_string(r, EM580_REG_SERIAL, 7, "SIM0000000001");
    }
    sim_em580_regs(d);
}

void sim_em580_dev_tick(struct sim_em580_dev *d, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma)
{
    uint32_t dt = now_ms - d->now_ms;
    d->now_ms = now_ms;
    d->voltage_mv = voltage_mv;
    d->current_ma = current_ma;
    /* mV x mA = uW; uW x ms = nJ; 1 Wh = 3.6e12 nJ */
    int64_t nj = (int64_t)voltage_mv * current_ma * (int64_t)dt;
    if (nj > 0) {
        d->rest_nj += nj;
        d->import_wh += d->rest_nj / 3600000000000LL;
        d->rest_nj %= 3600000000000LL;
    }
}

/* The fact sheet (section 6, "Optional monitoring"): after a brief power loss the EM580
 * closes the running transaction itself; the state reads READY and the record waits for
 * the master's stop, which finds it as a recovered record. */
void sim_em580_dev_reboot(struct sim_em580_dev *d)
{
    if (d->slave.holding[EM580_REG_OCMF_STATE] == ST_RUNNING) {
        d->ends++;
        sim_em580_make_file(d);
    }
}

void sim_em580_dev_forget(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    if (r[EM580_REG_OCMF_STATE] == ST_RUNNING) {
        r[EM580_REG_OCMF_STATE] = ST_NOT_READY;
    }
}

bool sim_em580_dev_tx_open(const struct sim_em580_dev *d)
{
    return d->slave.holding[EM580_REG_OCMF_STATE] == ST_RUNNING;
}
