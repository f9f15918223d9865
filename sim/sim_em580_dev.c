/* EM580/EM300 register model (sim_em580_dev.h): owns the meter's counters, its live block,
 * its identity registers, the OCMF transaction machine with the record it builds and has
 * signed, and the register-level faults. Served by the simulator's in-memory Modbus and by
 * tools/metersim on a real wire. */
#include "sim_em580_dev.h"

#include <stdio.h>
#include <string.h>

#include "em580/em580.h"
#include "hal_clock.h"

enum { ST_NOT_READY = 0, ST_RUNNING = 1, ST_READY = 2, ST_CORRUPTED = 3 };

/* The identification code reads so on a block read: only a read of 0x000B alone shows
 * the code (the fact sheet, section 2). */
#define SIM_EM580_IDENT_IN_BLOCK 4000u

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

void sim_em580_dev_tt(const struct sim_em580_dev *d, char *out, size_t cap)
{
    sim_em580_get_string(d->slave.holding, EM580_REG_TT, EM580_TT_WORDS, out, cap);
}

/* Live block and energy counters from the model's state. */
static void sim_em580_regs(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    for (unsigned p = 0; p < 3; p++) {
        put32(&r[EM580_REG_LIVE + 2u * p], d->v_dv[p]);
        put32(&r[EM580_REG_LIVE + 0x0Cu + 2u * p], d->i_ma[p]);
        put32(&r[EM580_REG_LIVE + 0x12u + 2u * p], d->p_dw[p]);
    }
    put32(&r[EM580_REG_LIVE + 0x28], d->p_total_dw);
    r[EM580_REG_LIVE + 0x32] = 1;
    r[EM580_REG_LIVE + 0x33] = d->freq_dhz;
    if (d->em300) {
        put32(&r[EM300_REG_ENERGY], (int32_t)(d->import_wh / 1000));
        put32(&r[EM300_REG_ENERGY + 2u], (int32_t)(d->import_wh % 1000));
        put32(&r[EM300_REG_ENERGY + 8u], (int32_t)(d->export_wh / 1000));
        put32(&r[EM300_REG_ENERGY + 10u], (int32_t)(d->export_wh % 1000));
        return;
    }
    em580_put_int64(&r[EM580_REG_ENERGY], d->import_wh);
    em580_put_int64(&r[0x051C], d->export_wh);
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no libc time needed. */
static void sim_em580_tm(int64_t unix_s, uint32_t ms, char *out, size_t cap)
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
    snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld,%03u+0000 S", (long long)y, (long long)mo,
             (long long)dd, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
             (unsigned)(ms % 1000u));
}

static int64_t sim_em580_wall_s(const struct sim_em580_dev *d)
{
    return d->unix_epoch_s + (int64_t)(d->now_ms / 1000u);
}

static const char *sim_em580_il(uint16_t v)
{
    static const char *const il[] = {"NONE", "HEARSAY", "TRUSTED", "VERIFIED", "CERTIFIED",
                                     "SECURE", "MISMATCH", "INVALID", "OUTDATED", "UNKNOWN"};
    return il[v < 10u ? v : 9u];
}

static const char *sim_em580_it(uint16_t v)
{
    static const struct {
        uint16_t code;
        const char *name;
    } it[] = {{0, "NONE"},      {1, "DENIED"},      {2, "UNDEFINED"},    {10, "ISO14443"}, {11, "ISO15693"},
              {20, "EMAID"},    {21, "EVCCID"},     {30, "EVCOID"},      {40, "ISO7812"},  {50, "CARD_TXN_NR"},
              {60, "CENTRAL"},  {61, "CENTRAL_1"},  {62, "CENTRAL_2"},   {70, "LOCAL"},    {71, "LOCAL_1"},
              {72, "LOCAL_2"},  {80, "PHONE_NUMBER"}, {90, "KEY_CODE"}};
    for (size_t i = 0; i < sizeof it / sizeof it[0]; i++) {
        if (it[i].code == v) {
            return it[i].name;
        }
    }
    return "UNDEFINED";
}

/* The record of the transaction that ends now, signed, in the file registers; the payload
 * has the keys of the real EM580's record (fact sheet, section 8), "LC" with the space the
 * real meter leaves in it. */
static void sim_em580_make_file(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    char tt[EM580_TT_MAX + 1], ci[EM580_ID_MAX + 1], id[EM580_ID_MAX + 1], serial[16], tb[96], te[96];
    sim_em580_get_string(r, EM580_REG_TT, EM580_TT_WORDS, tt, sizeof tt);
    sim_em580_get_string(r, EM580_REG_CI, 20, ci, sizeof ci);
    sim_em580_get_string(r, EM580_REG_ID, 20, id, sizeof id);
    sim_em580_get_string(r, EM580_REG_SERIAL, 7, serial, sizeof serial);
    sim_em580_tm(d->start_s, d->start_ms, tb, sizeof tb);
    sim_em580_tm(sim_em580_wall_s(d), d->now_ms, te, sizeof te);
    int n = snprintf(d->payload, sizeof d->payload,
                     "{\"FV\":\"1.2\",\"GI\":\"\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T%lu\",\"MV\":\"%s\","
                     "\"MM\":\"EM580\",\"MS\":\"%s\",\"MF\":\"1.2.3\",\"IS\":%s,\"IL\":\"%s\",\"IF\":[],"
                     "\"IT\":\"%s\",\"ID\":\"%s\",\"TT\":\"%s\",\"CT\":\"EVSEID\",\"CI\":\"%s\","
                     "\"LC\":{\"LN\":\"\",\"LI\": 0,\"LR\":0,\"LU\":\"mOhm\"},"
                     "\"RD\":[{\"TM\":\"%s\",\"TX\":\"B\",\"RV\":%lld.%03lld,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\","
                     "\"RT\":\"%s\",\"ST\":\"G\"},{\"TM\":\"%s\",\"TX\":\"E\",\"RV\":%lld.%03lld,"
                     "\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"%s\",\"ST\":\"G\"}]}",
                     (unsigned long)d->pg++, d->mv, serial, r[EM580_REG_IS] ? "true" : "false",
                     sim_em580_il(r[EM580_REG_IL]), sim_em580_it(r[EM580_REG_IT]), id, tt, ci, tb,
                     (long long)(d->start_wh / 1000), (long long)(d->start_wh % 1000), d->rt, te,
                     (long long)(d->import_wh / 1000), (long long)(d->import_wh % 1000), d->rt);
    char sd[SIM_EM580_SD_MAX];
    if (n < 0 || (size_t)n >= sizeof d->payload) {
        r[EM580_REG_OCMF_STATE] = ST_CORRUPTED;
        return;
    }
    if (d->sign != NULL) {
        if (d->sign(d->sign_ctx, d->payload, (size_t)n, sd, sizeof sd) != 0) {
            r[EM580_REG_OCMF_STATE] = ST_CORRUPTED;
            return;
        }
    } else {
        memset(sd, '0', 128);
        sd[128] = '\0';
    }
    if (d->corrupt_next && strlen(sd) > 80u) {
        sd[80] = sd[80] == '0' ? '1' : '0'; /* fault injection: the signature altered */
        d->corrupt_next = false;
    }
    char file[2 * EM580_FILE_MAX_WORDS];
    int len = snprintf(file, sizeof file, "OCMF|%s|{\"SD\":\"%s\",\"SA\":\"ECDSA-brainpoolP%dr1-SHA256\"}",
                       d->payload, sd, d->p384 ? 384 : 256);
    uint16_t words = (uint16_t)((len + 1) / 2);
    if (len < 0 || words > EM580_FILE_MAX_WORDS - 1u) {
        r[EM580_REG_OCMF_STATE] = ST_CORRUPTED;
        return;
    }
    sim_mb_put_string(r, EM580_REG_OCMF_FILE, (uint16_t)(words + 1u), file);
    r[EM580_REG_OCMF_SIZE] = words;
    r[EM580_REG_OCMF_STATE] = ST_READY;
    d->ends++; /* a signed record exists */
}

/* A deaf meter (after a power loss), exceptions, the EM300's missing registers and its
 * block limit, a lost 'E'; and the identification code only on a read of it alone. */
static uint8_t sim_em580_gate(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms)
{
    struct sim_em580_dev *d = s->ctx;
    if (d->down && !hal_time_reached(now_ms, d->down_until_ms)) {
        return SIM_MB_NO_ANSWER;
    }
    if (d->exc_code != 0 &&
        (d->exc_addr == 0xFFFFu || (d->exc_addr >= req->addr && d->exc_addr < req->addr + req->count))) {
        return d->exc_code;
    }
    bool read = req->fn == HAL_MODBUS_READ_HOLDING || req->fn == HAL_MODBUS_READ_INPUT;
    if (d->em300 && ((req->addr >= 0x2400u && req->addr < 0x5000u) || req->addr >= 0x5011u)) {
        return 2; /* illegal data address: no OCMF, key or device-state registers */
    }
    if (d->em300 && read && req->addr < EM580_LIVE_WORDS && req->count > 50u) {
        return 3; /* illegal data value: the EM300 reads its live block in two parts */
    }
    if (read) {
        s->holding[EM580_REG_IDENT] =
            req->addr == EM580_REG_IDENT && req->count == 1u ? (uint16_t)(d->em300 ? 340u : 120u)
                                                             : (uint16_t)SIM_EM580_IDENT_IN_BLOCK;
    }
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
    (void)now_ms;
    if (addr <= EM580_REG_CMD && addr + count > EM580_REG_CMD) {
        uint16_t cmd = r[EM580_REG_CMD];
        if (cmd == 'B' && r[EM580_REG_OCMF_STATE] == ST_NOT_READY) {
            r[EM580_REG_OCMF_STATE] = ST_RUNNING;
            d->start_wh = d->import_wh;
            d->start_s = sim_em580_wall_s(d);
            d->start_ms = d->now_ms;
            d->begins++;
            if (d->reboot_after_ms > 0) {
                d->reboot_armed = true;
                d->reboot_at_ms = d->now_ms + d->reboot_after_ms;
            }
        } else if (cmd == 'E' && r[EM580_REG_OCMF_STATE] == ST_RUNNING && !d->closing) {
            if (d->corrupt_on_end) {
                r[EM580_REG_OCMF_STATE] = ST_CORRUPTED;
            } else if (d->ready_delay_ms == 0) {
                sim_em580_make_file(d);
            } else {
                d->closing = true;
                d->ready_at_ms = d->now_ms + d->ready_delay_ms;
            }
        } else if (cmd == 'A' && r[EM580_REG_OCMF_STATE] == ST_RUNNING) {
            r[EM580_REG_OCMF_STATE] = ST_NOT_READY;
            d->closing = false;
            d->aborts++;
        }
    }
    if (addr <= EM580_REG_OCMF_STATE && addr + count > EM580_REG_OCMF_STATE &&
        r[EM580_REG_OCMF_STATE] == ST_NOT_READY) {
        d->closing = false;
        d->confirms++; /* the master took the record: the meter may drop it */
    }
}

static const struct sim_mb_slave_ops s_sim_em580_ops = {
    .gate = sim_em580_gate,
    .before_read = sim_em580_before_read,
    .after_write = sim_em580_after_write,
};

/* A string in the low byte of each register (the EM300's serial number). */
static void sim_em580_put_low(uint16_t *r, uint16_t words, const char *s)
{
    size_t len = strlen(s);
    for (uint16_t i = 0; i < words; i++) {
        r[i] = (uint16_t)(i < len ? (uint8_t)s[i] : 0u);
    }
}

void sim_em580_dev_init(struct sim_em580_dev *d, const struct sim_em580_config *cfg)
{
    memset(d, 0, sizeof *d);
    d->em300 = cfg->em300;
    d->import_wh = cfg->import_wh;
    d->unix_epoch_s = cfg->unix_epoch_s;
    d->sign = cfg->sign;
    d->sign_ctx = cfg->sign_ctx;
    d->mv = cfg->mv != NULL ? cfg->mv : "Carlo Gavazzi Controls (SIMULATED)";
    d->rt = cfg->rt != NULL ? cfg->rt : "AC";
    d->exc_addr = 0xFFFFu;
    sim_mb_slave_init(&d->slave, 1, &s_sim_em580_ops, d);
    uint16_t *r = d->slave.holding;
    r[EM580_REG_IDENT] = SIM_EM580_IDENT_IN_BLOCK;
    r[EM580_REG_FW] = 0x1203;
    r[EM580_REG_FW + 1u] = 0x1001;
    if (d->em300) {
        sim_em580_put_low(&r[EM580_REG_SERIAL], 7, cfg->serial != NULL ? cfg->serial : "EM30012");
        r[0x5010] = 2024; /* production year, EM300 */
    } else {
        r[0x0307] = 325; /* 32.5 degC inside */
        sim_mb_put_string(r, EM580_REG_SERIAL, 7, cfg->serial != NULL ? cfg->serial : "SIM0000000001");
        r[0x5007] = 2025; /* production year, EM580 */
        d->p384 = cfg->pub_len > 65u;
        r[EM580_REG_SIGTYPE] = d->p384 ? 1u : 0u; /* brainpoolP384r1 / brainpoolP256r1 */
        /* the key bytes packed high byte first, one unused 00 byte at the end of the block */
        uint8_t raw[2 * 49] = {0};
        memcpy(raw, cfg->pub, cfg->pub_len <= 97u ? cfg->pub_len : 97u);
        for (unsigned i = 0; i < (d->p384 ? 49u : 33u); i++) {
            r[EM580_REG_PUBKEY + i] = (uint16_t)(raw[2 * i] << 8 | raw[2 * i + 1]);
        }
        if (cfg->der != NULL && cfg->der_len <= 124u) {
            uint8_t der[124] = {0};
            memcpy(der, cfg->der, cfg->der_len);
            for (unsigned i = 0; i < 62u; i++) {
                r[0x2600 + i] = (uint16_t)(der[2 * i] << 8 | der[2 * i + 1]);
            }
        }
    }
    sim_em580_regs(d);
}

/* What happens by itself as time goes: READY after the end delay, a planned power loss,
 * the end of the deaf time. */
static void sim_em580_time(struct sim_em580_dev *d, uint32_t now_ms)
{
    uint16_t *r = d->slave.holding;
    if (d->closing && hal_time_reached(now_ms, d->ready_at_ms)) {
        d->closing = false;
        if (r[EM580_REG_OCMF_STATE] == ST_RUNNING) {
            sim_em580_make_file(d);
        }
    }
    if (d->reboot_armed && hal_time_reached(now_ms, d->reboot_at_ms)) {
        d->reboot_armed = false;
        d->down = true;
        d->down_until_ms = now_ms + SIM_EM580_REBOOT_MS;
        if (d->reboot_loses) {
            sim_em580_dev_forget(d);
        } else {
            sim_em580_dev_reboot(d);
        }
    }
    if (d->down && hal_time_reached(now_ms, d->down_until_ms)) {
        d->down = false;
    }
}

static void sim_em580_add_nj(struct sim_em580_dev *d, int64_t nj)
{
    if (nj > 0) {
        d->rest_nj += nj;
        d->import_wh += d->rest_nj / 3600000000000LL;
        d->rest_nj %= 3600000000000LL;
    }
}

void sim_em580_dev_tick(struct sim_em580_dev *d, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma)
{
    uint32_t dt = now_ms - d->now_ms;
    d->now_ms = now_ms;
    d->v_dv[0] = voltage_mv / 100;
    d->i_ma[0] = current_ma;
    d->p_dw[0] = (int32_t)((int64_t)voltage_mv * current_ma / 100000);
    d->p_total_dw = d->p_dw[0];
    /* mV x mA = uW; uW x ms = nJ; 1 Wh = 3.6e12 nJ */
    sim_em580_add_nj(d, (int64_t)voltage_mv * current_ma * (int64_t)dt);
    sim_em580_time(d, now_ms);
}

void sim_em580_dev_tick_ac(struct sim_em580_dev *d, uint32_t now_ms, double load_w)
{
    uint32_t dt = now_ms - d->now_ms;
    d->now_ms = now_ms;
    for (unsigned p = 0; p < 3; p++) {
        d->v_dv[p] = 2300;
        d->i_ma[p] = (int32_t)(load_w / 3.0 / 230.0 * 1000.0);
        d->p_dw[p] = (int32_t)(load_w / 3.0 * 10.0);
    }
    d->p_total_dw = (int32_t)(load_w * 10.0);
    d->freq_dhz = 500;
    sim_em580_add_nj(d, (int64_t)(load_w * 1.0e6 * (double)dt)); /* 1 W for 1 ms = 1e6 nJ */
    sim_em580_time(d, now_ms);
}

/* The fact sheet (section 6, "Optional monitoring"): after a brief power loss the EM580
 * closes the running transaction itself; the state reads READY and the record waits for
 * the master's stop, which finds it as a recovered record. */
void sim_em580_dev_reboot(struct sim_em580_dev *d)
{
    d->reboots++;
    d->closing = false;
    if (d->slave.holding[EM580_REG_OCMF_STATE] == ST_RUNNING) {
        sim_em580_make_file(d);
    }
}

void sim_em580_dev_forget(struct sim_em580_dev *d)
{
    uint16_t *r = d->slave.holding;
    d->reboots++;
    d->closing = false;
    if (r[EM580_REG_OCMF_STATE] == ST_RUNNING) {
        r[EM580_REG_OCMF_STATE] = ST_NOT_READY;
    }
}

bool sim_em580_dev_tx_open(const struct sim_em580_dev *d)
{
    return d->slave.holding[EM580_REG_OCMF_STATE] == ST_RUNNING;
}
