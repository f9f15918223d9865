/**
 * @file seed_modbus.c
 * @brief Writes the seed scripts of the Modbus device harnesses (fuzz_em580, fuzz_imd_*)
 *        from real conversations: the driver talks to the unit tests' device models
 *        (fake_em580, fake_imd) and every reply is recorded in the harness's input format.
 *
 *   seed_modbus em580|em300|bender|dold FILE
 *
 * The loop mirrors the harness's loop exactly (one action byte, then one driver step; the
 * port records each poll's outcome byte and the registers of each answered read), so the
 * recorded file replays the same session inside the harness: detection, measurement, a
 * start/stop with its OCMF record, a self-test. Run by tests/fuzz/gen_corpus.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em580/em580.h"
#include "fake_em580.h"
#include "fake_imd.h"
#include "fake_modbus.h"
#include "imd/imd_bender.h"
#include "imd/imd_dold.h"

struct seed_port {
    struct hal_modbus base;
    struct fake_modbus *real;
    struct hal_modbus_req req;
    FILE *out;
};

static int seed_submit(struct hal_modbus *mb, const struct hal_modbus_req *req)
{
    struct seed_port *p = (struct seed_port *)mb;
    p->req = *req;
    return hal_modbus_submit(&p->real->base, req);
}

static int seed_poll(struct hal_modbus *mb, struct hal_modbus_result *res)
{
    struct seed_port *p = (struct seed_port *)mb;
    int rc = hal_modbus_poll(&p->real->base, res);
    if (rc == HAL_EAGAIN) {
        fputc(0, p->out);
    } else if (rc == HAL_OK) {
        if (res->status == HAL_OK) {
            fputc(5, p->out);
            if (p->req.fn == HAL_MODBUS_READ_HOLDING || p->req.fn == HAL_MODBUS_READ_INPUT) {
                for (uint16_t i = 0; i < p->req.count; i++) {
                    fputc(p->req.regs[i] >> 8, p->out);
                    fputc(p->req.regs[i] & 0xFF, p->out);
                }
            }
        } else if (res->status == HAL_ETIMEDOUT) {
            fputc(1, p->out);
        } else if (res->status == HAL_EPROTO && res->exception != 0) {
            fputc(2, p->out);
            fputc(res->exception, p->out);
        } else if (res->status == HAL_EPROTO) {
            fputc(3, p->out);
        } else {
            fputc(4, p->out);
        }
    }
    return rc;
}

static const struct hal_modbus_ops s_seed_ops = {seed_submit, seed_poll};

static struct fake_modbus s_mb;
static struct fake_em580 s_meter;
static struct fake_imd s_imd;
static struct em580 s_em;
static struct imd_bender s_bender;
static struct imd_dold s_dold;

/* The action byte at step i: bits 7..5 = the harness's action, bit 4 = jump to the
 * driver's deadline. */
static uint8_t seed_act(unsigned i, unsigned start_at, unsigned stop_at, unsigned third_at)
{
    unsigned a = i == start_at ? 1u : i == stop_at ? 2u : i == third_at ? 3u : 0u;
    return (uint8_t)(a << 5 | 0x10u);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: seed_modbus em580|em300|bender|dold FILE\n");
        return 2;
    }
    const char *dev = argv[1];
    FILE *out = fopen(argv[2], "wb");
    if (out == NULL) {
        perror(argv[2]);
        return 1;
    }
    fake_modbus_init(&s_mb);
    struct seed_port port = {.base.ops = &s_seed_ops, .real = &s_mb, .out = out};
    uint32_t now = 0xFFFF0000u; /* as in the harnesses */
    if (strcmp(dev, "em580") == 0 || strcmp(dev, "em300") == 0) {
        fake_em580_init(&s_meter, &s_mb, strcmp(dev, "em300") == 0);
        struct em580_config cfg;
        em580_config_default(&cfg);
        if (em580_init(&s_em, &port.base, &cfg) != HAL_OK) {
            return 1;
        }
        for (unsigned i = 0; i < 160; i++) {
            uint8_t act = seed_act(i, 30, 90, 130);
            fputc(act, out);
            uint32_t next = em580_step(&s_em, now);
            if (act >> 5 == 1) {
                struct em580_tx tx = {.txid = "tx-1", .evse_id = "DE*ABC*E1", .id_data = "04A1B2C3",
                                      .tariff_text = "0.39 EUR/kWh", .assigned = false, .level = 0,
                                      .type = 0};
                (void)em580_start(&s_em, &tx);
            } else if (act >> 5 == 2) {
                fake_em580_set_energy(&s_meter, s_meter.energy_wh + 12345);
                (void)em580_stop(&s_em, "tx-1");
            } else if (act >> 5 == 3) {
                (void)em580_confirm(&s_em);
            }
            now = next;
        }
    } else if (strcmp(dev, "bender") == 0 || strcmp(dev, "dold") == 0) {
        bool dold = strcmp(dev, "dold") == 0;
        fake_imd_init(&s_imd, &s_mb, dold ? FAKE_IMD_DOLD : FAKE_IMD_BENDER);
        if (dold) {
            struct imd_dold_config cfg;
            imd_dold_config_default(&cfg);
            if (imd_dold_init(&s_dold, &port.base, &cfg) != HAL_OK) {
                return 1;
            }
        } else {
            struct imd_bender_config cfg;
            imd_bender_config_default(&cfg);
            if (imd_bender_init(&s_bender, &port.base, &cfg) != HAL_OK) {
                return 1;
            }
        }
        for (unsigned i = 0; i < 200; i++) {
            uint8_t act = seed_act(i, 10, 190, 120);
            fputc(act, out);
            fake_imd_tick(&s_imd, now);
            uint32_t next = dold ? imd_dold_step(&s_dold, now) : imd_bender_step(&s_bender, now);
            switch (act >> 5) {
            case 1:
                (void)(dold ? imd_dold_start(&s_dold) : imd_bender_start(&s_bender));
                break;
            case 2:
                (void)(dold ? imd_dold_stop(&s_dold) : imd_bender_stop(&s_bender));
                break;
            case 3:
                (void)(dold ? imd_dold_self_test(&s_dold, now) : imd_bender_self_test(&s_bender, now));
                break;
            default:
                break;
            }
            now = next;
        }
    } else {
        fprintf(stderr, "seed_modbus: unknown device '%s'\n", dev);
        return 2;
    }
    return fclose(out) == 0 ? 0 : 1;
}
