/**
 * @file bench_infy.c
 * @brief Benchmark of the InfyPower driver's hot path with 60 modules: one received
 *        answer plus one step and one transmit decision, as the firmware does per frame.
 *        Prints ns per frame and the driver's RAM; asserts nothing about speed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "infypower/infy_driver.h"

static struct infy_drv s_drv;

static double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct infy_config cfg;
    infy_default_config(&cfg);
    cfg.count = 60;
    for (uint8_t i = 0; i < 60; i++) {
        cfg.addresses[i] = i;
    }
    if (infy_drv_init(&s_drv, &cfg, NULL, 0) != HAL_OK) {
        return 1;
    }
    const uint32_t n = 2000000;
    uint32_t now = 0, sent = 0;
    double t0 = bench_now_s();
    for (uint32_t k = 0; k < n; k++) {
        uint8_t addr = (uint8_t)(k % 60u);
        struct hal_can_frame f = {.flags = HAL_CAN_FLAG_EXT, .dlc = 8};
        switch (k % 3u) {
        case 0:
            f.id = 0x0284F000u | addr;
            f.data[6] = 0x01;
            break;
        case 1:
            f.id = 0x0283F000u | addr;
            f.data[0] = 0x43;
            f.data[1] = 0xC8;
            f.data[4] = 0x41;
            f.data[5] = 0xC8;
            break;
        default:
            f.id = 0x028AF000u | addr;
            f.data[0] = 0x03;
            f.data[1] = 0xE8;
            f.data[3] = 0x32;
            f.data[4] = 0x03;
            f.data[5] = 0xE8;
            f.data[6] = 0x0B;
            f.data[7] = 0xB8;
            break;
        }
        (void)infy_drv_rx(&s_drv, &f, now);
        (void)infy_drv_step(&s_drv, now);
        struct hal_can_frame out;
        if (infy_drv_next_tx(&s_drv, now, &out) == HAL_OK) {
            infy_drv_tx_done(&s_drv, now);
            sent++;
        }
        now += (k & 1u);
    }
    double dt = bench_now_s() - t0;
    printf("bench_infy: 60 modules: %.0f ns per received frame (rx + step + tx decision), "
           "%lu frames offered; struct infy_drv = %zu bytes\n",
           dt / n * 1e9, (unsigned long)sent, sizeof s_drv);
    return 0;
}
