#include "fake_em580.h"

#include <stdio.h>
#include <string.h>

#define R_STATE 0x7100u
#define R_CMD 0x7040u

static void fake_em580_get_string(const struct fake_modbus *mb, uint16_t addr, uint16_t words,
                                  char *out, size_t cap)
{
    size_t n = 0;
    for (uint16_t i = 0; i < words && n + 2u < cap; i++) {
        uint16_t w = mb->regs[(uint16_t)(addr + i)];
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

static void fake_em580_make_file(struct fake_em580 *d)
{
    struct fake_modbus *mb = d->mb;
    char tt[260], ci[48], id[48];
    fake_em580_get_string(mb, 0x6900, 126, tt, sizeof tt);
    fake_em580_get_string(mb, 0x701C, 20, ci, sizeof ci);
    fake_em580_get_string(mb, 0x7007, 20, id, sizeof id);
    snprintf(d->payload, sizeof d->payload,
             "{\"FV\":\"1.2\",\"GI\":\"\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T%lu\",\"MV\":\"Carlo "
             "Gavazzi Controls\",\"MM\":\"EM580\",\"MS\":\"KX12345678901\",\"MF\":\"1.0\",\"IS\":%s,"
             "\"IL\":\"NONE\",\"IF\":[],\"IT\":\"ISO14443\",\"ID\":\"%s\",\"TT\":\"%s\",\"CT\":"
             "\"EVSEID\",\"CI\":\"%s\",\"RD\":[{\"TM\":\"2026-01-01T10:00:00,000+0000 S\",\"TX\":"
             "\"B\",\"RV\":%ld.%03ld,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"ST\":\"G\"},"
             "{\"TM\":\"2026-01-01T10:30:00,000+0000 S\",\"TX\":\"E\",\"RV\":%ld.%03ld,\"ST\":"
             "\"G\"}]}",
             (unsigned long)d->pg, mb->regs[0x7000] ? "true" : "false", id, tt, ci,
             /* long, not long long: newlib-nano's printf on the target has no %lld */
             (long)(d->start_wh / 1000), (long)(d->start_wh % 1000),
             (long)(d->energy_wh / 1000), (long)(d->energy_wh % 1000));
    d->pg++;
    char file[4100];
    int n = snprintf(file, sizeof file, "OCMF|%s|{\"SA\":\"ECDSA-brainpoolP256r1-SHA256\",\"SD\":\"",
                     d->payload);
    for (unsigned i = 0; i < 64; i++) {
        n += snprintf(file + n, sizeof file - (size_t)n, "%02X", d->sig[i]);
    }
    n += snprintf(file + n, sizeof file - (size_t)n, "\"}");
    uint16_t words = (uint16_t)((n + 1) / 2);
    fake_modbus_put_string(mb, 0x7110, (uint16_t)(words + 1u), file);
    mb->regs[0x7101] = words;
}

static void fake_em580_on_write(struct fake_modbus *mb, uint16_t addr, uint16_t count)
{
    struct fake_em580 *d = mb->ctx;
    (void)count;
    if (addr == R_CMD) {
        uint16_t cmd = mb->regs[R_CMD];
        if (cmd == 'B' && !d->ignore_begin && mb->regs[R_STATE] == 0) {
            mb->regs[R_STATE] = 1;
            d->start_wh = d->energy_wh;
            d->begins++;
        } else if (cmd == 'E' && mb->regs[R_STATE] == 1) {
            d->ends++;
            d->reads_since_end = 0;
            if (d->corrupt_on_end) {
                mb->regs[R_STATE] = 3;
            } else {
                fake_em580_make_file(d);
                mb->regs[R_STATE] = d->ready_after_reads == 0 ? 2 : 1;
                mb->regs[0x7041] = 1; /* private: "closing" marker for the delay */
            }
        }
    } else if (addr == R_STATE) {
        if (mb->regs[R_STATE] == 0) {
            d->confirms++;
            mb->regs[0x7041] = 0;
        }
    }
}

static void fake_em580_on_read(struct fake_modbus *mb, uint16_t addr, uint16_t count)
{
    struct fake_em580 *d = mb->ctx;
    if (addr <= R_STATE && (uint32_t)addr + count > R_STATE && mb->regs[0x7041] == 1 &&
        mb->regs[R_STATE] == 1 && ++d->reads_since_end > d->ready_after_reads) {
        mb->regs[R_STATE] = 2;
        mb->regs[0x7041] = 0;
    }
}

void fake_em580_set_energy(struct fake_em580 *d, int64_t wh)
{
    struct fake_modbus *mb = d->mb;
    d->energy_wh = wh;
    uint64_t u = (uint64_t)wh;
    if (mb->regs[0x000B] == 340) {
        int32_t kwh = (int32_t)(wh / 1000), frac = (int32_t)(wh % 1000);
        mb->regs[0x0400] = (uint16_t)kwh;
        mb->regs[0x0401] = (uint16_t)((uint32_t)kwh >> 16);
        mb->regs[0x0402] = (uint16_t)frac;
        mb->regs[0x0403] = 0;
    } else {
        for (unsigned i = 0; i < 4; i++) {
            mb->regs[0x0500 + i] = (uint16_t)(u >> (16u * i));
        }
    }
}

void fake_em580_init(struct fake_em580 *d, struct fake_modbus *mb, bool em300)
{
    memset(d, 0, sizeof *d);
    d->mb = mb;
    mb->ctx = d;
    mb->on_write = fake_em580_on_write;
    mb->on_read = fake_em580_on_read;
    for (unsigned i = 0; i < 64; i++) {
        d->sig[i] = (uint8_t)(0x11u + i);
    }
    mb->regs[0x000B] = em300 ? 340 : 120;
    /* live block: 230.0 V, 16.000 A, 3680.0 W per phase; -1 phase sequence; 50.0 Hz */
    for (unsigned p = 0; p < 3; p++) {
        mb->regs[0x0000 + 2 * p] = 2300;
        mb->regs[0x000C + 2 * p] = 16000;
        mb->regs[0x0012 + 2 * p] = 36800;
    }
    mb->regs[0x0028] = (uint16_t)(110400u & 0xffffu);
    mb->regs[0x0029] = (uint16_t)(110400u >> 16);
    mb->regs[0x0032] = 1;
    mb->regs[0x0033] = 500;
    if (!em300) {
        mb->regs[0x24FF] = 0; /* 256-bit key */
        mb->regs[0x2500] = 0x0400 | 0x00AA;
        for (unsigned i = 1; i < 33; i++) {
            mb->regs[0x2500 + i] = (uint16_t)(0x0101u * i);
        }
        mb->regs[0x2500 + 32] = 0x2000; /* last byte unused */
        fake_modbus_put_string(mb, 0x5000, 7, "KX12345678901");
        /* -5 Wh exported, as a negative check of the sign handling */
        mb->regs[0x051C] = 7;
    }
    fake_em580_set_energy(d, 1234567);
}

void fake_em580_reboot(struct fake_em580 *d, bool closes)
{
    struct fake_modbus *mb = d->mb;
    if (mb->regs[R_STATE] == 1) {
        if (closes) {
            fake_em580_make_file(d);
            mb->regs[R_STATE] = 2;
        } else {
            mb->regs[R_STATE] = 0;
        }
    }
}

uint16_t fake_em580_state(const struct fake_em580 *d)
{
    return d->mb->regs[R_STATE];
}
