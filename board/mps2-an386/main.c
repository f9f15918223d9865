/*
 * main.c - the mps2-an386 board: wires the HAL port to one charger and runs the
 * superloop.
 *
 * Built normally, the loop runs forever (as on a real MCU). Built with
 * -DAN386_DEMO_PASSES=N (the `board-run` target), it stops after N loop passes,
 * prints a summary and exits 0 through semihosting, so QEMU can smoke-test the
 * image.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an386_cpu.h"
#include "an386_hal.h"
#include "charger.h"
#include "sched.h"
#include "semihost.h"
#include "superloop.h"
#ifdef AN386_OCPP
#include "an386_ocpp.h"
#endif

/* Board instances: static, so their size shows up in the RAM figure of the
 * build, not as a surprise on the stack. */
static struct an386_clock s_clock;
static struct an386_log s_log;
static struct an386_pilot s_pilot;
static struct an386_gpio s_gpio;
static struct an386_psu s_psu;
static struct sched s_sched;
static struct charger s_charger;

#ifdef AN386_DEMO_PASSES
static uint32_t s_passes_left = (uint32_t)(AN386_DEMO_PASSES);

static bool an386_demo_should_stop(void *ctx)
{
    (void)ctx;
    if (s_passes_left == 0u) {
        return true;
    }
    s_passes_left--;
    return false;
}
#endif

int main(void)
{
    struct charger_config cfg;
    struct charger_ports ports = {
        .pilot = &s_pilot.base,
        .gpio = &s_gpio.base,
        .psu = &s_psu.base,
        .log = &s_log.base,
    };

    an386_log_init(&s_log, HAL_LOG_INFO);
    an386_pilot_init(&s_pilot);
    an386_gpio_init(&s_gpio);
    an386_psu_init(&s_psu);
    if (an386_clock_init(&s_clock) != HAL_OK) {
        semihost_write0("mps2-an386: SysTick cannot run at 1 kHz\n");
        return 1;
    }

    uint32_t now_ms = hal_clock_now_ms(&s_clock.base);
    hal_logf(&s_log.base, HAL_LOG_INFO, now_ms, "mps2-an386: Cortex-M4F, %u Hz core, charger firmware",
             (unsigned)AN386_CORE_HZ);

    sched_init(&s_sched);
    charger_default_config(&cfg);
    int rc = charger_init(&s_charger, &cfg, &ports, &s_sched, now_ms);
    if (rc != HAL_OK) {
        hal_logf(&s_log.base, HAL_LOG_ERROR, now_ms, "charger_init: %s", hal_strerror(rc));
        return 1;
    }
#ifdef AN386_OCPP
    rc = an386_ocpp_start(&s_charger, &s_sched, &s_log.base, now_ms);
    if (rc != HAL_OK) {
        hal_logf(&s_log.base, HAL_LOG_ERROR, now_ms, "ocpp: %s", hal_strerror(rc));
        return 1;
    }
#endif

    const struct superloop loop = {
        .sched = &s_sched,
        .clock = &s_clock.base,
        .kick = NULL, /* no watchdog driver yet (the CMSDK watchdog is at 0x40008000) */
#ifdef AN386_DEMO_PASSES
        .should_stop = an386_demo_should_stop,
#else
        .should_stop = NULL,
#endif
        .ctx = NULL,
    };
    uint32_t passes = superloop_run(&loop);

    now_ms = hal_clock_now_ms(&s_clock.base);
    hal_logf(&s_log.base, HAL_LOG_INFO, now_ms,
             "demo done: %lu passes in %lu ms, charger %s, stop reason %s",
             (unsigned long)passes, (unsigned long)now_ms,
             charger_state_name(charger_state(&s_charger)),
             charger_stop_reason_name(charger_stats(&s_charger)->last_stop));
    an386_report_stack();
    return 0;
}
