/*
 * charger_supervise.c - supervision of the connector's devices: the power stage's and the
 * isolation monitor's error lists and the meter's health turned into entries of the error
 * table (errors.h), and the proximity (PP) line read and debounced with the pilot.
 */
#include "charger_priv.h"

#include <stddef.h>

void charger_poll_psu(struct charger *c, uint32_t now_ms)
{
    struct psu_error pe[8];
    size_t n = 0;
    bool warn = false;
    if (psu_get_errors(c->io.psu, pe, sizeof pe / sizeof pe[0], &n) != HAL_OK) {
        n = 0;
    }
    /* Clear what the stage no longer reports. */
    for (int i = (int)c->err.count - 1; i >= 0; i--) {
        const struct errors_entry *e = &c->err.active[i];
        if (e->source != ERRORS_SRC_PSU) {
            continue;
        }
        bool still = false;
        for (size_t k = 0; k < n; k++) {
            still = still || e->code == ((uint32_t)pe[k].type << 8 | pe[k].subtype);
        }
        if (!still) {
            (void)errors_clear(&c->err, ERRORS_SRC_PSU, e->code);
        }
    }
    for (size_t k = 0; k < n; k++) {
        /* The stage's driver grades its errors (psu.h); kept as reported. */
        enum errors_severity sev = pe[k].severity == PSU_SEV_HIGH     ? ERRORS_SEV_HIGH
                                   : pe[k].severity == PSU_SEV_MEDIUM ? ERRORS_SEV_MEDIUM
                                                                      : ERRORS_SEV_LOW;
        warn = warn || sev == ERRORS_SEV_LOW;
        charger_raise(c, ERRORS_SRC_PSU, (uint32_t)pe[k].type << 8 | pe[k].subtype, sev,
                      psu_error_name(pe[k].type), now_ms);
    }
    if (warn != c->pw.derated) {
        c->pw.derated = warn;
        charger_log(c, HAL_LOG_INFO, now_ms, "power derating",
                    warn ? "on (power stage warning)" : "off");
    }
}

void charger_poll_imd(struct charger *c, uint32_t now_ms)
{
    if (c->io.isolation == NULL) {
        return;
    }
    struct isolation_error ie[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    if (isolation_get_errors(c->io.isolation, ie, ISOLATION_ERRORS_MAX, &n) != HAL_OK) {
        n = 0;
    }
    for (int i = (int)c->err.count - 1; i >= 0; i--) {
        const struct errors_entry *e = &c->err.active[i];
        if (e->source != ERRORS_SRC_IMD || e->code == CHARGER_IMD_INSULATION_FAULT) {
            continue;
        }
        bool still = false;
        for (size_t k = 0; k < n; k++) {
            still = still || e->code == (uint32_t)ie[k].type;
        }
        if (!still) {
            (void)errors_clear(&c->err, ERRORS_SRC_IMD, e->code);
        }
    }
    for (size_t k = 0; k < n; k++) {
        /* The device's grade while energised (isolation.h); only logged otherwise. */
        enum errors_severity sev = !charger_energised(c)                    ? ERRORS_SEV_LOW
                                   : ie[k].severity == ISOLATION_SEV_HIGH   ? ERRORS_SEV_HIGH
                                   : ie[k].severity == ISOLATION_SEV_MEDIUM ? ERRORS_SEV_MEDIUM
                                                                            : ERRORS_SEV_LOW;
        charger_raise(c, ERRORS_SRC_IMD, (uint32_t)ie[k].type, sev, isolation_error_name(ie[k].type),
                      now_ms);
    }
    /* Insulation monitored while power flows (after the cable check decided). */
    if (c->state == CHARGER_PRECHARGE || c->state == CHARGER_CHARGING) {
        struct isolation_measurement m;
        if (isolation_read(c->io.isolation, &m, now_ms) == HAL_OK && m.status == ISOLATION_FAULT) {
            charger_raise(c, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT, ERRORS_SEV_HIGH,
                          "insulation fault while charging", now_ms);
        }
    }
}

void charger_poll_meter(struct charger *c, uint32_t now_ms)
{
    uint32_t dev = 0;
    if (c->io.meter == NULL) {
        return;
    }
    int rc = meter_status(c->io.meter, &dev);
    bool bad = rc == HAL_ETIMEDOUT || rc == HAL_EIO;
    if (bad) {
        bool tx = c->tx.state == CHARGER_TX_OPEN || c->tx.state == CHARGER_TX_STARTING;
        charger_raise(c, ERRORS_SRC_METER, (uint32_t)-rc, tx ? ERRORS_SEV_MEDIUM : ERRORS_SEV_LOW,
                      rc == HAL_ETIMEDOUT ? "meter not answering" : "meter reports a device error",
                      now_ms);
    } else {
        (void)errors_clear(&c->err, ERRORS_SRC_METER, (uint32_t)-HAL_ETIMEDOUT);
        (void)errors_clear(&c->err, ERRORS_SRC_METER, (uint32_t)-HAL_EIO);
    }
}

/* Read PP with the pilot. A board without PP answers HAL_ENOTSUP once: never asked again. */
void charger_read_pp(struct charger *c, uint32_t now_ms)
{
    uint32_t ohms = UINT32_MAX;
    if (c->pp.unsupported) {
        return;
    }
    int rc = hal_pilot_read_proximity(c->io.pilot, &ohms);
    if (rc == HAL_ENOTSUP) {
        c->pp.unsupported = true;
        return;
    }
    if (rc != HAL_OK) {
        ohms = UINT32_MAX; /* unreadable counts as open */
    }
    c->pp.ohms = ohms;
    uint8_t bad = ohms < CHARGER_PP_SHORT_OHM ? (uint8_t)CHARGER_PP_SHORT
                  : ohms > CHARGER_PP_OPEN_OHM ? (uint8_t)CHARGER_PP_OPEN
                                               : (uint8_t)CHARGER_PP_OK;
    if (bad == CHARGER_PP_OK) {
        c->pp.bad = CHARGER_PP_OK;
        c->pp.bad_since_ms = 0;
    } else if (bad != c->pp.bad || c->pp.bad_since_ms == 0) {
        c->pp.bad = bad;
        c->pp.bad_since_ms = now_ms != 0 ? now_ms : 1u;
    }
}

/* A debounced bad proximity while the plug is in (pilot not A): the text, or NULL. */
const char *charger_pp_fault(const struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (c->pp.unsupported || c->pp.bad == CHARGER_PP_OK || ps == PILOT_STATE_A ||
        now_ms - c->pp.bad_since_ms < CHARGER_PP_DEBOUNCE_MS) {
        return NULL;
    }
    return c->pp.bad == CHARGER_PP_SHORT ? "proximity shorted to PE" : "proximity open";
}
