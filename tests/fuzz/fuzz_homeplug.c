/**
 * @file fuzz_homeplug.c
 * @brief libFuzzer harness for the HomePlug AV codec and both SLAC machines.
 *
 * The input is a script of records: 1 byte length L, 1 byte time step, L bytes of frame.
 * Each frame goes through homeplug_decode; a frame that decodes must encode again, and
 * encode -> decode -> encode must give the same bytes. Every frame is also fed to an EVSE
 * and an EV machine between ticks, and their outboxes are drained: no sanitizer report,
 * every frame they send decodes, the states stay in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homeplug/homeplug.h"
#include "slac/slac_ev.h"
#include "slac/slac_evse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct slac_evse s_evse;
static struct slac_ev s_ev;

static void fuzz_roundtrip(const uint8_t *f, size_t n)
{
    struct homeplug_msg m1, m2;
    enum homeplug_reason why;
    uint8_t b1[HOMEPLUG_FRAME_MAX], b2[HOMEPLUG_FRAME_MAX];
    size_t l1, l2;
    memset(&m1, 0, sizeof m1);
    if (homeplug_decode(f, n, &m1, &why) != HAL_OK) {
        if (homeplug_reason_str(why) == NULL) {
            abort();
        }
        return;
    }
    if (homeplug_encode(&m1, b1, sizeof b1, &l1) != HAL_OK) {
        abort(); /* what decodes must encode */
    }
    memset(&m2, 0, sizeof m2);
    if (homeplug_decode(b1, l1, &m2, &why) != HAL_OK || m2.mmtype != m1.mmtype) {
        abort();
    }
    if (homeplug_encode(&m2, b2, sizeof b2, &l2) != HAL_OK || l1 != l2 || memcmp(b1, b2, l1) != 0) {
        abort();
    }
}

static void fuzz_drain(void)
{
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    struct homeplug_msg m;
    enum homeplug_reason why;
    while (slac_evse_pop(&s_evse, f, sizeof f, &n) == HAL_OK) {
        if (homeplug_decode(f, n, &m, &why) != HAL_OK) {
            abort();
        }
    }
    while (slac_ev_pop(&s_ev, f, sizeof f, &n) == HAL_OK) {
        if (homeplug_decode(f, n, &m, &why) != HAL_OK) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t evse_mac[6] = {0x00, 0xb0, 0x52, 0x00, 0x00, 0x01};
    static const uint8_t ev_mac[6] = {0x04, 0x65, 0x65, 0x00, 0x64, 0xc3};
    static const uint8_t run_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t nmk[16] = {0x11};
    struct slac_config c;
    slac_config_default(&c);
    c.use_modem = (size & 1u) != 0;
    slac_evse_init(&s_evse, &c, evse_mac);
    uint32_t now = 0xFFFFF000u; /* crosses the wrap */
    (void)slac_evse_set_key(&s_evse, nmk, 7, now);
    slac_evse_start(&s_evse, now);
    slac_ev_init(&s_ev, &c, ev_mac);
    slac_ev_start(&s_ev, run_id, now);
    while (size >= 2) {
        size_t len = data[0];
        now += data[1] * 4u;
        data += 2;
        size -= 2;
        if (len > size) {
            len = size;
        }
        fuzz_roundtrip(data, len);
        (void)slac_evse_input(&s_evse, data, len, now);
        (void)slac_ev_input(&s_ev, data, len, now);
        slac_evse_tick(&s_evse, now);
        slac_ev_tick(&s_ev, now);
        fuzz_drain();
        if (s_evse.state > SLAC_EVSE_FAILED || s_ev.state > SLAC_EV_FAILED) {
            abort();
        }
        data += len;
        size -= len;
    }
    return 0;
}
