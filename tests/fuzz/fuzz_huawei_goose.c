/**
 * @file fuzz_huawei_goose.c
 * @brief libFuzzer harness for the Huawei FusionCharge GOOSE subscriber (protocols/huawei).
 *
 * Input: one flag byte (bit 0: HMAC verification on, bit 1: we are on VLAN 5), then one
 * received frame. It goes through the parser and through a two-connector dispenser whose
 * connector 1 has the key seeds are signed with (i + 1 for byte i) and waits for its
 * allocation. Checked: no sanitizer report; a parsed frame re-encodes to one that parses
 * to the same fields; with verification on, an accepted frame verifies with connector 1's
 * key; only an accepted reply moves the connector out of its allocation wait.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "huawei/huawei_disp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct huawei_disp s_d;

static void give_key(struct huawei_disp *d)
{
    uint8_t pdu[6 + 48] = {0x10, 0x21, 0x15, 0x00, 24, 48};
    for (int i = 0; i < 48; i++) {
        pdu[6 + i] = (uint8_t)(i + 1);
    }
    uint8_t out[HUAWEI_ADU_MAX];
    size_t n = 0;
    if (huawei_modbus_serve(&d->regs, pdu, sizeof pdu, out, sizeof out, &n) != HAL_OK || out[0] != 0x10) {
        abort();
    }
    (void)huawei_disp_tick(d, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t flags = data[0];
    data++;
    size--;
    uint16_t vlan = (flags & 2u) != 0u ? 5u : 0u;

    struct huawei_goose_msg m;
    struct huawei_goose_sec sec;
    enum huawei_goose_reject why;
    if (huawei_goose_parse(data, size, vlan, &m, &sec, &why) == HAL_OK) {
        uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
        size_t n = 0;
        struct huawei_goose_eth eth = {.tagged = sec.tagged, .vlan_id = sec.vlan_id};
        static const uint8_t key[48] = {1};
        if (huawei_goose_encode(&m, &eth, sec.secure ? key : NULL, f, sizeof f, &n) != HAL_OK) {
            abort();
        }
        struct huawei_goose_msg m2;
        struct huawei_goose_sec sec2;
        if (huawei_goose_parse(f, n, vlan, &m2, &sec2, &why) != HAL_OK || m2.kind != m.kind ||
            m2.st_num != m.st_num || m2.sq_num != m.sq_num || m2.connector != m.connector ||
            m2.req_type != m.req_type || m2.result != m.result || m2.reason != m.reason ||
            memcmp(&m2.voltage_v, &m.voltage_v, sizeof m.voltage_v) != 0 || sec2.secure != sec.secure) {
            abort();
        }
        if (sec.secure && !huawei_goose_verify(f, &sec2, key)) {
            abort();
        }
    } else if (why == HUAWEI_RX_OK) {
        abort(); /* a refusal always says why */
    }

    struct huawei_disp_config c;
    huawei_disp_config_default(&c);
    c.connectors = 2;
    c.vlan_id = vlan;
    c.verify_hmac = (flags & 1u) != 0u;
    c.mac[0] = 0x02;
    c.mac[5] = 0x01;
    if (huawei_disp_init(&s_d, &c, 0) != HAL_OK) {
        abort();
    }
    (void)huawei_disp_plug(&s_d, 1, true, 0);
    give_key(&s_d);
    if (s_d.conn[0].state != HUAWEI_CS_NO_ALLOC) {
        abort();
    }
    int rc = huawei_disp_goose_input(&s_d, data, size, 1, &why);
    if (rc != HAL_OK && s_d.conn[0].state != HUAWEI_CS_NO_ALLOC) {
        abort(); /* a refused frame changed the session */
    }
    if (rc == HAL_OK && c.verify_hmac) {
        if (huawei_goose_parse(data, size, vlan, &m, &sec, &why) != HAL_OK ||
            !huawei_goose_verify(data, &sec, s_d.conn[0].key)) {
            abort();
        }
    }
    /* the same frame twice is a replay */
    if (rc == HAL_OK && huawei_disp_goose_input(&s_d, data, size, 2, &why) != HAL_EPROTO) {
        abort();
    }
    return 0;
}
