/*
 * main.c - the template board: wires the stub port of template_port.c to one charger
 * and runs the superloop. Copy this folder to board/<name>/ to start a port (see
 * docs/porting.md); as it stands it builds for the host and proves that the copy
 * compiles and links against the core.
 *
 * Built with -DBOARD_SMOKE_PASSES=N (board.mk does, for the bring-up build) the loop
 * stops after N passes and main() prints the charger's state: with every operation
 * still answering HAL_ENOTSUP the connector must stay safe (no session, nothing
 * energised). A real board runs the loop forever.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "charger.h"
#include "psu_none.h"
#include "sched.h"
#include "superloop.h"
#include "template_port.h"

/* Static instances: their size counts in the RAM figure, not on the stack. */
static struct template_port s_port;
static struct psu s_psu;
static struct sched s_sched;
static struct charger s_charger;

#ifdef BOARD_SMOKE_PASSES
static uint32_t s_passes_left = (uint32_t)(BOARD_SMOKE_PASSES);

static bool smoke_should_stop(void *ctx)
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
    template_port_init(&s_port);
    /* No power stage yet: psu_none refuses EXPORT, so no session can energise. Replace
     * it with your stage's driver (firmware/psu_infy.c is the CAN example). */
    psu_none_init(&s_psu);

    struct charger_ports ports = {
        .pilot = &s_port.pilot,
        .gpio = &s_port.gpio,
        .psu = &s_psu,
        .log = &s_port.log,
        .clock = &s_port.clock,
    };
    struct charger_config cfg;
    charger_default_config(&cfg);

    uint32_t now_ms = hal_clock_now_ms(&s_port.clock);
    sched_init(&s_sched);
    int rc = charger_init(&s_charger, &cfg, &ports, &s_sched, now_ms);
    if (rc != HAL_OK) {
        hal_logf(&s_port.log, HAL_LOG_ERROR, now_ms, "charger_init: %s", hal_strerror(rc));
        return 1;
    }

    const struct superloop loop = {
        .sched = &s_sched,
        .clock = &s_port.clock,
        .kick = NULL, /* your watchdog's kick goes here */
#ifdef BOARD_SMOKE_PASSES
        .should_stop = smoke_should_stop,
#else
        .should_stop = NULL,
#endif
        .ctx = NULL,
    };
    uint32_t passes = superloop_run(&loop);

    /* Reached only in the bring-up build. The log is the port's (silent in the stub), so
     * the verdict line goes to the log and, on a host build, to the exit status. */
    now_ms = hal_clock_now_ms(&s_port.clock);
    hal_logf(&s_port.log, HAL_LOG_INFO, now_ms, "template: %lu passes, charger %s",
             (unsigned long)passes, charger_state_name(charger_state(&s_charger)));
    return passes > 0u ? 0 : 1;
}
