/**
 * @file fuzz_infy.c
 * @brief libFuzzer harness for the InfyPower driver core (clang -fsanitize=fuzzer).
 *
 * The input is a script of received frames (4 bytes id, 1 byte flags, 1 byte dlc, 8
 * bytes data, 1 byte time step) fed to a 4-module driver between steps and transmit
 * slots, plus the frame decoders on the raw bytes. Checked: no sanitizer report, no
 * setpoint frame offered to a module with a current above that module's own limit as the
 * driver knows it when it offers the frame, "off" never answered with HAL_ESTATE, a barcode
 * is always 15 characters, and every frame offered is a well-formed extended frame from us.
 *
 * The limit is judged on what goes on the bus, when it goes: a module may report lower
 * capabilities after its setpoint went out (the input can say anything), and until the
 * driver's next setpoint frame the module still holds the old one. The driver re-shares at
 * once on such a report (infy_driver.c, INFY_CMD_CAPS); comparing the last setpoint sent
 * with capabilities that arrived after it judged the module's news, not the driver.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "infypower/infy_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct infy_drv s_drv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct infy_config cfg;
    infy_default_config(&cfg);
    cfg.count = 4;
    for (uint8_t i = 0; i < 4; i++) {
        cfg.addresses[i] = i;
    }
    uint32_t now = 0xFFFFFF00u; /* crosses the wrap */
    if (infy_drv_init(&s_drv, &cfg, NULL, now) != HAL_OK) {
        abort();
    }
    bool set = false;
    while (size >= 15) {
        struct hal_can_frame f;
        memset(&f, 0, sizeof f);
        f.id = ((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3]) &
               HAL_CAN_EXT_ID_MASK;
        f.flags = data[4] & 3u;
        f.dlc = (uint8_t)(data[5] % 9u);
        memcpy(f.data, &data[6], 8);
        uint8_t dt = data[14];
        data += 15;
        size -= 15;

        int32_t v, i;
        struct infy_status st;
        struct infy_caps c;
        char serial[INFY_SERIAL_SIZE];
        uint32_t a, b;
        (void)infy_decode_vi(f.data, &v, &i);
        infy_decode_status(f.data, &st);
        (void)infy_decode_caps(f.data, &c);
        infy_decode_barcode(f.data, serial);
        if (strlen(serial) != 15) {
            abort();
        }
        infy_decode_after_diode(f.data, &a, &b);

        (void)infy_drv_rx(&s_drv, &f, now);
        now += (uint32_t)dt * 64u;
        (void)infy_drv_step(&s_drv, now);
        struct hal_can_frame out;
        if (infy_drv_next_tx(&s_drv, now, &out) == HAL_OK) {
            if ((out.flags & HAL_CAN_FLAG_EXT) == 0 || out.dlc != 8 || out.id > HAL_CAN_EXT_ID_MASK ||
                (out.id & 0xFFu) != cfg.controller) {
                abort();
            }
            if (((out.id >> 16) & 0x3Fu) == INFY_CMD_SET_VI) {
                uint32_t ma = (uint32_t)out.data[4] << 24 | (uint32_t)out.data[5] << 16 |
                              (uint32_t)out.data[6] << 8 | out.data[7];
                uint8_t dst = (uint8_t)(out.id >> 8);
                for (size_t k = 0; k < infy_drv_module_count(&s_drv); k++) {
                    struct infy_module_info mi;
                    if (infy_drv_module_info(&s_drv, k, &mi) == HAL_OK && mi.address == dst && mi.caps_known &&
                        ma > mi.caps.max_current_ma) {
                        abort(); /* a share above the module's own limit, sent */
                    }
                }
            }
            infy_drv_tx_done(&s_drv, now);
        }
        if ((dt & 0x0Fu) == 1u) {
            (void)infy_drv_set_export(&s_drv, (uint32_t)f.data[0] * 4000u, (uint32_t)f.data[1] * 1000u);
            set = true;
        } else if ((dt & 0x0Fu) == 2u && set) {
            (void)infy_drv_set_on(&s_drv, (f.data[2] & 1u) != 0, now);
        }
        if (!infy_drv_is_on(&s_drv) && infy_drv_off_done(&s_drv, now) == HAL_ESTATE) {
            abort();
        }
    }
    return 0;
}
