/**
 * @file fuzz_imd.c
 * @brief libFuzzer harness for the Bender isoCHA/isoEV and Dold RN5897 isolation monitor
 *        drivers: every Modbus reply hostile.
 *
 * Built twice: -DFUZZ_IMD_DOLD=0 (Bender) and -DFUZZ_IMD_DOLD=1 (Dold). The input drives
 * the fuzz Modbus port (fuzz_modbus.h), so identification, configuration, measurement
 * cycles and self-tests see arbitrary registers, exceptions and bus failures; a byte per
 * step chooses the time step and a caller action (start, stop, self-test). Checked: no
 * sanitizer report; a published set is internally consistent (a resistance bound that
 * exists, an alarm that exists, a voltage only when marked valid on a device that
 * measures it) and its sequence number only grows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_modbus.h"
#include "imd/imd_bender.h"
#include "imd/imd_dold.h"

#ifndef FUZZ_IMD_DOLD
#define FUZZ_IMD_DOLD 0
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_modbus s_mb;
#if FUZZ_IMD_DOLD
static struct imd_dold s_d;
#define FUZZ_IMD(op) imd_dold_##op
#else
static struct imd_bender s_d;
#define FUZZ_IMD(op) imd_bender_##op
#endif

static void fuzz_imd_check(uint32_t *last_seq)
{
    struct imd_status st;
    FUZZ_IMD(status)(&s_d, &st);
    if (st.published) {
        const struct imd_values *v = &st.values;
        if ((unsigned)v->r_bound > (unsigned)IMD_BOUND_ABOVE ||
            (unsigned)v->alarm > (unsigned)IMD_ALARM_ALARM || v->seq < *last_seq) {
            abort();
        }
        *last_seq = v->seq;
    }
    (void)imd_error_name(st.error);
    (void)imd_test_name(st.test);
    (void)imd_test_fail_name(st.test_fail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_modbus_init(&s_mb, data, size);
#if FUZZ_IMD_DOLD
    struct imd_dold_config cfg;
    imd_dold_config_default(&cfg);
    if (imd_dold_init(&s_d, &s_mb.base, &cfg) != HAL_OK) {
        abort();
    }
#else
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    if (imd_bender_init(&s_d, &s_mb.base, &cfg) != HAL_OK) {
        abort();
    }
    if (size >= 8) {
        /* The channel decoder on raw words, outside any cycle. */
        uint16_t w[4];
        for (unsigned i = 0; i < 4; i++) {
            w[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
        }
        struct imd_bender_channel ch;
        imd_bender_decode_channel(w, &ch);
    }
#endif
    uint32_t now = 0xFFFF0000u; /* crosses the wrap */
    uint32_t last_seq = 0;
    unsigned steps = 0;
    while (s_mb.left > 0 && steps++ < 4000u) {
        uint8_t act = fuzz_modbus_byte(&s_mb);
        uint32_t next = FUZZ_IMD(step)(&s_d, now);
        fuzz_imd_check(&last_seq);
        switch (act >> 5) {
        case 1:
            (void)FUZZ_IMD(start)(&s_d);
            break;
        case 2:
            (void)FUZZ_IMD(stop)(&s_d);
            break;
        case 3:
            (void)FUZZ_IMD(self_test)(&s_d, now);
            break;
        default:
            break;
        }
        now = (act & 0x10u) ? next : now + (uint32_t)(act & 0x0Fu) * 100u;
    }
    return 0;
}
