/* The simulator's insulation monitor (sim_imd.h): owns the bus, the Bender device model and
 * the firmware driver wired to them, and translates the board's fault names to the device. */
#include "sim_imd.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"

void sim_imd_init(struct sim_imd *d, const struct isolation_limits *lim, struct hal_log *log,
                  const char *name)
{
    memset(d, 0, sizeof *d);
    if (lim != NULL) {
        d->lim = *lim;
    } else {
        isolation_limits_default(&d->lim);
    }
    d->log = log;
    (void)snprintf(d->name, sizeof d->name, "%s", name != NULL ? name : "imd");
    sim_modbus_init(&d->bus, SIM_IMD_LATENCY_MS);
    sim_imd_dev_init(&d->dev, SIM_IMD_BENDER);
    d->dev.resistance_ohm = 10.0e6f;
    d->dev.voltage_v = 0.0f;
    d->dev.l1e_v = 0.0f;
    d->dev.l2e_v = 0.0f;
    d->dev.test_ms = SIM_IMD_TEST_MS;
    d->fault_retry_ms = 1000u;
    (void)sim_modbus_attach(&d->bus, &d->dev.slave);
}

int sim_imd_start(struct sim_imd *d, struct sched *s, uint32_t now_ms)
{
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    cfg.unit = d->dev.slave.unit;
    /* A faulted device is read again after 1 s instead of EVerest's 10 s, so the car that
     * comes after a repaired fault in a scenario meets the repaired device (a board setting:
     * the Linux board keeps the default). */
    cfg.fault_retry_ms = d->fault_retry_ms;
    d->bus.busy = false; /* a request of the firmware before the power loss died with it */
    int rc = isolation_imd_bender_init(&d->drv, &d->bus.base, &cfg, &d->lim);
    if (rc == HAL_OK) {
        rc = sched_add(s, isolation_imd_bender_task(&d->drv), now_ms);
    }
    return rc;
}

struct isolation *sim_imd_port(struct sim_imd *d)
{
    return &d->drv.base;
}

void sim_imd_tick(struct sim_imd *d, uint32_t now_ms, int32_t voltage_mv)
{
    bool due_before = d->bus.busy && !hal_time_reached(d->bus.now_ms, d->bus.due_ms);
    sim_modbus_tick(&d->bus, now_ms);
    d->dev.voltage_v = (float)voltage_mv / 1000.0f;
    d->dev.l1e_v = d->dev.voltage_v / 2.0f;
    d->dev.l2e_v = -d->dev.voltage_v / 2.0f;
    sim_imd_dev_tick(&d->dev, now_ms);
    if (due_before && hal_time_reached(now_ms, d->bus.due_ms)) {
        d->io_pending = true;
    }
    if (d->dev.testing != d->was_testing) {
        d->was_testing = d->dev.testing;
        if (d->dev.testing) {
            d->tests++;
        }
        if (d->log != NULL) {
            hal_logf(d->log, HAL_LOG_INFO, now_ms, "[%s] imd: Bender (Modbus unit %u) self-test %s", d->name,
                     (unsigned)d->dev.slave.unit,
                     d->dev.testing ? "started" : d->dev.device_fault ? "ended: device fault" : "ended: passed");
        }
    }
}

void sim_imd_set_resistance(struct sim_imd *d, uint32_t ohm)
{
    d->dev.resistance_ohm = (float)ohm;
}

void sim_imd_set_fault(struct sim_imd *d, enum sim_imd_fault f)
{
    d->dev.slave.silent = f == SIM_IMD_FAULT_NO_ANSWER;
    d->dev.test_fails = f == SIM_IMD_FAULT_SELFTEST;
    if (f == SIM_IMD_FAULT_DEVICE) {
        d->dev.device_fault = true;
        d->dev.fault_code = 1;
    } else if (f == SIM_IMD_FAULT_NONE) {
        d->dev.device_fault = false;
        d->dev.fault_code = 0;
    }
}
