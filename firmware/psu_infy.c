/* The InfyPower stage behind the psu interface: owns the CAN task that drives the module
 * driver (protocols/infypower), bus-off recovery, and the mapping of module errors to psu
 * errors with their severity. */
#include "psu_infy.h"

#include <stddef.h>
#include <string.h>

#include "hal_clock.h"

_Static_assert(offsetof(struct psu_infy, base) == 0, "struct psu is cast back to struct psu_infy");

static struct psu_infy *psu_infy_of(struct psu *p)
{
    return (struct psu_infy *)p;
}

/* One to one: the driver's error list is the psu list without the types it never raises. */
static const enum psu_error_type s_error_map[INFY_E_COUNT] = {
    [INFY_E_COMMUNICATION] = PSU_ERR_COMMUNICATION_FAULT,
    [INFY_E_HARDWARE] = PSU_ERR_HARDWARE_FAULT,
    [INFY_E_OVER_TEMPERATURE] = PSU_ERR_OVER_TEMPERATURE,
    [INFY_E_UNDER_VOLTAGE_AC] = PSU_ERR_UNDER_VOLTAGE_AC,
    [INFY_E_UNDER_VOLTAGE_DC] = PSU_ERR_UNDER_VOLTAGE_DC,
    [INFY_E_OVER_VOLTAGE_DC] = PSU_ERR_OVER_VOLTAGE_DC,
    [INFY_E_OVER_CURRENT_DC] = PSU_ERR_OVER_CURRENT_DC,
    [INFY_E_VENDOR_ERROR] = PSU_ERR_VENDOR_ERROR,
    [INFY_E_VENDOR_WARNING] = PSU_ERR_VENDOR_WARNING,
};

/* A command from another task takes effect on the next pass, not a second later. */
static void psu_infy_kick(struct psu_infy *p, uint32_t now_ms)
{
    sched_task_at(&p->task, now_ms);
}

static int psu_infy_set_mode(struct psu *base, enum psu_mode mode, uint32_t now_ms)
{
    struct psu_infy *p = psu_infy_of(base);
    int rc;
    switch (mode) {
    case PSU_MODE_OFF:
    case PSU_MODE_FAULT:
        (void)infy_drv_set_on(&p->drv, false, now_ms);
        psu_infy_kick(p, now_ms);
        /* Recorded either way; while bus-off the modules' own watchdog switches them off. */
        return p->bus_off ? HAL_EIO : HAL_OK;
    case PSU_MODE_EXPORT:
        if (p->bus_off) {
            return HAL_ESTATE;
        }
        rc = infy_drv_set_on(&p->drv, true, now_ms);
        psu_infy_kick(p, now_ms);
        return rc;
    case PSU_MODE_IMPORT:
        return HAL_ENOTSUP;
    }
    return HAL_EINVAL;
}

static int psu_infy_set_export(struct psu *base, uint32_t voltage_mv, uint32_t current_ma,
                               uint32_t now_ms)
{
    struct psu_infy *p = psu_infy_of(base);
    int rc = infy_drv_set_export(&p->drv, voltage_mv, current_ma);
    psu_infy_kick(p, now_ms);
    return rc;
}

static int psu_infy_read_output(struct psu *base, struct psu_output *out, uint32_t now_ms)
{
    struct psu_infy *p = psu_infy_of(base);
    struct infy_output o;
    infy_drv_output(&p->drv, now_ms, &o);
    out->voltage_mv = o.voltage_mv;
    out->current_ma = o.current_ma;
    out->valid = o.valid;
    out->age_ms = o.age_ms;
    out->voltage_known = o.voltage_known;
    return o.valid ? HAL_OK : HAL_EIO;
}

static int psu_infy_get_caps(struct psu *base, struct psu_capabilities *caps)
{
    struct psu_infy *p = psu_infy_of(base);
    const struct infy_caps_total *c = infy_drv_caps(&p->drv);
    if (!c->valid) {
        return HAL_EAGAIN;
    }
    memset(caps, 0, sizeof *caps);
    caps->bidirectional = false;
    caps->max_export_voltage_mv = c->max_voltage_mv;
    caps->min_export_voltage_mv = c->min_voltage_mv;
    caps->max_export_current_ma = c->max_current_ma;
    caps->min_export_current_ma = c->min_current_ma;
    caps->max_export_power_w = c->max_power_w;
    caps->current_regulation_tolerance_ma = 1000; /* EVerest's InfyPower default: 1 A */
    caps->peak_current_ripple_ma = 500;           /* and 0.5 A */
    caps->conversion_efficiency_export_permille = infy_drv_config(&p->drv)->efficiency_permille;
    return HAL_OK;
}

static int psu_infy_read_telemetry(struct psu *base, struct psu_telemetry *t, uint32_t now_ms)
{
    struct psu_infy *p = psu_infy_of(base);
    struct infy_output o;
    infy_drv_output(&p->drv, now_ms, &o);
    memset(t, 0, sizeof *t);
    t->output.voltage_mv = o.voltage_mv;
    t->output.current_ma = o.current_ma;
    t->output.valid = o.valid;
    infy_drv_counts(&p->drv, &t->modules_online, &t->modules_active);
    t->modules_configured = (uint8_t)infy_drv_module_count(&p->drv);
    t->errors_generation = infy_drv_errors_generation(&p->drv) + (p->bus_off ? 0x80000000u : 0u);

    /* EVerest's rule: any module in fault alarm -> Fault; all off -> Off; else Export. */
    bool fault = false;
    for (size_t i = 0; i < infy_drv_module_count(&p->drv); i++) {
        struct infy_module_info mi;
        if (infy_drv_module_info(&p->drv, i, &mi) == HAL_OK && mi.online &&
            (mi.status.bits & INFY_ST_FAULT_ALARM) != 0) {
            fault = true;
        }
    }
    if (fault || infy_drv_comm_fault(&p->drv)) {
        t->mode = PSU_MODE_FAULT;
    } else {
        t->mode = infy_drv_is_on(&p->drv) ? PSU_MODE_EXPORT : PSU_MODE_OFF;
    }
    return HAL_OK;
}

static void psu_infy_module(const struct infy_module_info *mi, struct psu_module *m)
{
    memset(m, 0, sizeof *m);
    m->address = mi->address;
    m->online = mi->online;
    m->active = mi->active;
    m->on = mi->on;
    m->voltage_mv = mi->voltage_mv;
    m->current_ma = mi->current_ma;
    m->bus_voltage_mv = mi->bus_voltage_mv;
    m->setpoint_mv = mi->setpoint_mv;
    m->setpoint_ma = mi->setpoint_ma;
    m->temperature_c = mi->status.temperature_c;
    m->status = mi->status.bits;
    m->max_voltage_mv = mi->caps.max_voltage_mv;
    m->min_voltage_mv = mi->caps.min_voltage_mv;
    m->max_current_ma = mi->caps.max_current_ma;
    m->rated_power_w = mi->caps.rated_power_w;
    _Static_assert(PSU_SERIAL_SIZE >= INFY_SERIAL_SIZE, "a serial number must fit");
    memcpy(m->serial, mi->serial, INFY_SERIAL_SIZE);
    m->serial[PSU_SERIAL_SIZE - 1] = '\0';
}

static int psu_infy_read_modules(struct psu *base, struct psu_module *out, size_t max, size_t *count)
{
    struct psu_infy *p = psu_infy_of(base);
    size_t n = infy_drv_module_count(&p->drv), w = 0;
    for (size_t i = 0; i < n && w < max; i++) {
        struct infy_module_info mi;
        if (infy_drv_module_info(&p->drv, i, &mi) == HAL_OK) {
            psu_infy_module(&mi, &out[w++]);
        }
    }
    *count = w;
    return w < n ? HAL_EOVERFLOW : HAL_OK;
}

/* The reaction one module's error asks for. A module is one of several sharing the current:
 * its fault ends the session gracefully (the others keep the output controlled while the EV
 * stops), a warning only derates. The stage as a whole (communication lost, bus-off) is the
 * emergency: raised HIGH with PSU_SUBTYPE_SYSTEM above. (The driver's own infy_error_high()
 * grades the module's state, which is a different question.) */
static enum psu_severity psu_infy_module_severity(enum infy_error e)
{
    return e == INFY_E_VENDOR_WARNING ? PSU_SEV_LOW : PSU_SEV_MEDIUM;
}

static int psu_infy_get_errors(struct psu *base, struct psu_error *out, size_t max, size_t *count)
{
    struct psu_infy *p = psu_infy_of(base);
    size_t w = 0;
    bool overflow = false;
    if (infy_drv_comm_fault(&p->drv) || p->bus_off) {
        if (w < max) {
            out[w++] = (struct psu_error){.type = PSU_ERR_COMMUNICATION_FAULT,
                                          .severity = PSU_SEV_HIGH,
                                          .subtype = PSU_SUBTYPE_SYSTEM,
                                          .vendor_code = p->bus_off ? 1u : 0u};
        } else {
            overflow = true;
        }
    }
    for (size_t i = 0; i < infy_drv_module_count(&p->drv); i++) {
        struct infy_module_info mi;
        if (infy_drv_module_info(&p->drv, i, &mi) != HAL_OK || mi.err_mask == 0) {
            continue;
        }
        for (unsigned e = 0; e < INFY_E_COUNT; e++) {
            if ((mi.err_mask & (1u << e)) == 0) {
                continue;
            }
            if (w >= max) {
                overflow = true;
                continue;
            }
            out[w++] = (struct psu_error){
                .type = s_error_map[e],
                .severity = psu_infy_module_severity((enum infy_error)e),
                .subtype = mi.address,
                .vendor_code = mi.status.bits};
        }
    }
    *count = w;
    return overflow ? HAL_EOVERFLOW : HAL_OK;
}

static int psu_infy_off_done(struct psu *base, uint32_t now_ms)
{
    struct psu_infy *p = psu_infy_of(base);
    return infy_drv_off_done(&p->drv, now_ms);
}

static const struct psu_ops s_ops = {
    .set_mode = psu_infy_set_mode,
    .set_export = psu_infy_set_export,
    .read_output = psu_infy_read_output,
    .get_capabilities = psu_infy_get_caps,
    .read_telemetry = psu_infy_read_telemetry,
    .read_modules = psu_infy_read_modules,
    .get_errors = psu_infy_get_errors,
    .off_done = psu_infy_off_done,
};

static void psu_infy_enter_bus_off(struct psu_infy *p, uint32_t now_ms)
{
    if (p->bus_off) {
        return;
    }
    p->bus_off = true;
    p->stats.bus_off_events++;
    p->restart_at_ms = now_ms + PSU_INFY_RESTART_MS;
    hal_logf(p->log, HAL_LOG_ERROR, now_ms,
             "Infy: CAN bus-off: transmission stopped, restarting the controller every %u ms",
             (unsigned)PSU_INFY_RESTART_MS);
}

static void psu_infy_bus_check(struct psu_infy *p, uint32_t now_ms)
{
    enum hal_can_state st = HAL_CAN_STATE_ACTIVE;
    int rc = hal_can_get_state(p->can, &st);
    if (rc != HAL_OK) {
        /* The interface cannot tell its state (vcan, some USB adapters): hold off for the
         * restart period, then let the next send or receive tell. Taking "unknown" as "back
         * on the bus" flapped every pass while the interface was down (real-can-down). */
        if (hal_time_reached(now_ms, p->restart_at_ms)) {
            p->bus_off = false;
            hal_logf(p->log, HAL_LOG_DEBUG, now_ms, "Infy: CAN state unknown (%s): trying the bus again",
                     hal_strerror(rc));
        }
        return;
    }
    if (st != HAL_CAN_STATE_BUS_OFF && st != HAL_CAN_STATE_STOPPED) {
        p->bus_off = false;
        hal_logf(p->log, HAL_LOG_INFO, now_ms, "Infy: CAN back on the bus");
        return;
    }
    if (hal_time_reached(now_ms, p->restart_at_ms)) {
        p->stats.restarts++;
        rc = hal_can_restart(p->can);
        if (rc != HAL_OK) {
            hal_logf(p->log, HAL_LOG_WARN, now_ms, "Infy: CAN restart: %s", hal_strerror(rc));
        }
        p->restart_at_ms = now_ms + PSU_INFY_RESTART_MS;
    }
}

void psu_infy_run(struct psu_infy *p, uint32_t now_ms)
{
    bool more_rx = false;

    if (p->bus_off) {
        psu_infy_bus_check(p, now_ms);
    }
    for (int i = 0; i < CFG_PSU_INFY_RX_PER_PASS; i++) {
        struct hal_can_frame f;
        int rc = hal_can_recv(p->can, &f);
        if (rc == HAL_OK) {
            (void)infy_drv_rx(&p->drv, &f, now_ms);
            more_rx = i + 1 == CFG_PSU_INFY_RX_PER_PASS;
            continue;
        }
        if (rc == HAL_ECLOSED) {
            psu_infy_enter_bus_off(p, now_ms);
        } else if (rc != HAL_EAGAIN) {
            p->stats.rx_errors++;
        }
        break;
    }

    uint32_t wait = infy_drv_step(&p->drv, now_ms);
    bool retry_soon = false;
    if (!p->bus_off && wait == 0) {
        struct hal_can_frame f;
        if (infy_drv_next_tx(&p->drv, now_ms, &f) == HAL_OK) {
            int rc = hal_can_send(p->can, &f);
            if (rc == HAL_OK) {
                infy_drv_tx_done(&p->drv, now_ms);
            } else if (rc == HAL_EAGAIN) {
                p->stats.tx_busy++;
                retry_soon = true;
            } else if (rc == HAL_ECLOSED) {
                psu_infy_enter_bus_off(p, now_ms);
            } else {
                /* Not committed: an "off" that did not go out must not count as sent.
                 * Try again a little later rather than spinning on a failing port. */
                p->stats.tx_errors++;
                retry_soon = true;
            }
        }
        wait = infy_drv_step(&p->drv, now_ms);
    }
    if (p->bus_off) {
        /* Look at the controller state often (a restart takes effect within ms), ask for a
         * restart only every PSU_INFY_RESTART_MS. */
        int32_t r = hal_time_diff(p->restart_at_ms, now_ms);
        uint32_t until = r <= 0 ? 1u : (uint32_t)r;
        wait = until < PSU_INFY_BUS_CHECK_MS ? until : PSU_INFY_BUS_CHECK_MS;
    } else if (retry_soon && wait == 0) {
        wait = p->stats.tx_errors != 0 && p->stats.tx_busy == 0 ? 10u : 1u;
    }
    if (more_rx) {
        wait = 0;
    }
    sched_task_at(&p->task, now_ms + wait);
}

static void psu_infy_step(struct sched_task *t, uint32_t now_ms)
{
    psu_infy_run((struct psu_infy *)t->ctx, now_ms);
}

int psu_infy_init(struct psu_infy *p, const struct infy_config *cfg, struct hal_can *can,
                  struct hal_log *log, struct sched *s, uint32_t now_ms)
{
    if (p == NULL || cfg == NULL || can == NULL) {
        return HAL_EINVAL;
    }
    memset(p, 0, sizeof *p);
    p->base.ops = &s_ops;
    p->can = can;
    p->log = log;
    int rc = infy_drv_init(&p->drv, cfg, log, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    sched_task_init(&p->task, "infy", psu_infy_step, p, true);
    if (s != NULL) {
        rc = sched_add(s, &p->task, now_ms);
    }
    return rc;
}

uint32_t psu_infy_due_ms(const struct psu_infy *p)
{
    return p->task.due_ms;
}

const struct infy_drv *psu_infy_driver(const struct psu_infy *p)
{
    return &p->drv;
}

const struct psu_infy_stats *psu_infy_stats(const struct psu_infy *p)
{
    return &p->stats;
}

bool psu_infy_bus_off(const struct psu_infy *p)
{
    return p->bus_off;
}
