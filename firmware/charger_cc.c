/*
 * charger_cc.c - the cable check (IEC 61851-23 CC.4.1): state C, contactors closed, the
 * test voltage, the isolation monitor's self-test and measurement, the discharge; its
 * result is what the EV is told as the isolation status.
 */
#include "charger_priv.h"

static uint32_t charger_cc_voltage(const struct charger *c)
{
    if (c->cfg.cable_check_voltage_mv != 0) {
        /* A configured test voltage is still bounded by the EVSE maximum. */
        return c->cfg.cable_check_voltage_mv < (uint32_t)c->pw.lim.max_mv ? c->cfg.cable_check_voltage_mv
                                                                        : (uint32_t)c->pw.lim.max_mv;
    }
    const struct charger_limits *l = &c->pw.lim;
    int32_t evmax = hlc_ev(&c->hlc)->max_voltage_mv;
    int64_t v;
    if (evmax <= 0) {
        v = 500000;
    } else if (evmax <= 500000) {
        v = evmax + 50000 < 500000 ? evmax + 50000 : 500000;
    } else {
        v = (int64_t)evmax * 11 / 10;
    }
    v = v < l->max_mv ? v : l->max_mv;
    return (uint32_t)(v > 0 ? v : 0);
}

void charger_cc_go(struct charger *c, enum charger_cc_step s, uint32_t now_ms)
{
    static const char *const names[] = {"idle",    "waiting for state C", "closing contactors",
                                        "ramping to the test voltage", "isolation self-test",
                                        "measuring insulation", "discharging", "passed", "failed"};
    c->cc.step = s;
    c->cc.since_ms = now_ms;
    charger_log(c, s == CHARGER_CC_FAILED ? HAL_LOG_WARN : HAL_LOG_INFO, now_ms, "cable check",
                names[s]);
}

static void charger_cc_fail(struct charger *c, enum errors_source src, uint32_t code, const char *why,
                            uint32_t now_ms)
{
    charger_raise(c, src, code, ERRORS_SEV_HIGH, why, now_ms);
    charger_cc_go(c, CHARGER_CC_FAILED, now_ms);
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
}

void charger_cable_check(struct charger *c, uint32_t now_ms)
{
    uint32_t in = now_ms - c->cc.since_ms;
    enum pilot_state ps = pilot_state(&c->pilot);
    switch (c->cc.step) {
    case CHARGER_CC_WAIT_C:
        if ((ps == PILOT_STATE_C || ps == PILOT_STATE_D) && pilot_confirmed(&c->pilot)) {
            interlock_request(&c->il, INTERLOCK_TARGET_CLOSED);
            charger_cc_go(c, CHARGER_CC_CLOSING, now_ms);
        } else if (in >= c->cfg.cp_c_timeout_ms) {
            charger_cc_fail(c, ERRORS_SRC_SESSION, CHARGER_STOP_CABLE_CHECK,
                            "EV not in state C for the cable check", now_ms);
        }
        break;
    case CHARGER_CC_CLOSING:
        if (interlock_power_allowed(&c->il)) {
            c->cc.test_mv = charger_cc_voltage(c);
            uint32_t cc_ma = c->cfg.cable_check_current_ma < (uint32_t)c->pw.lim.max_ma
                                 ? c->cfg.cable_check_current_ma : (uint32_t)c->pw.lim.max_ma;
            charger_command(c, (int32_t)c->cc.test_mv, (int32_t)cc_ma, now_ms);
            (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] cable check: test voltage %lu V, %lu mA limit",
                     c->cfg.name, (unsigned long)(c->cc.test_mv / 1000u),
                     (unsigned long)c->cfg.cable_check_current_ma);
            charger_cc_go(c, CHARGER_CC_RAMP, now_ms);
        } else if (in >= 5000u) {
            charger_cc_fail(c, ERRORS_SRC_SESSION, CHARGER_STOP_CABLE_CHECK,
                            "contactors did not close", now_ms);
        }
        break;
    case CHARGER_CC_RAMP: {
        int32_t d = c->pw.present_mv - (int32_t)c->cc.test_mv;
        d = d < 0 ? -d : d;
        if (d <= (int32_t)c->cfg.cable_check_tolerance_mv) {
            if (c->io.isolation == NULL) {
                if (!c->cfg.imd_lab_override) {
                    charger_cc_fail(c, ERRORS_SRC_IMD, (uint32_t)ISOLATION_ERR_DEVICE_FAULT,
                                    "no isolation monitor", now_ms);
                } else {
                    /* Nothing was measured: the result stays INVALID, which the status
                     * reports as Warning (never Valid) so that a lab car proceeds. */
                    charger_log(c, HAL_LOG_WARN, now_ms, "cable check", CHARGER_LAB_OVERRIDE_TEXT);
                    c->cc.result = ISOLATION_INVALID;
                    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
                    charger_cc_go(c, CHARGER_CC_DISCHARGE, now_ms);
                }
                break;
            }
            (void)isolation_start(c->io.isolation, now_ms);
            int rc = isolation_self_test(c->io.isolation, c->cc.test_mv / 1000u, now_ms);
            if (rc == HAL_ENOTSUP) {
                struct isolation_measurement m;
                (void)isolation_read(c->io.isolation, &m, now_ms);
                c->cc.seq = m.seq;
                charger_cc_go(c, CHARGER_CC_MEASURE, now_ms);
            } else {
                charger_cc_go(c, CHARGER_CC_SELFTEST, now_ms);
            }
        } else if (in >= c->cfg.cable_check_ramp_ms) {
            charger_cc_fail(c, ERRORS_SRC_SESSION, CHARGER_STOP_CABLE_CHECK,
                            "test voltage not reached", now_ms);
        }
        break;
    }
    case CHARGER_CC_SELFTEST: {
        enum isolation_test t = isolation_self_test_result(c->io.isolation);
        if (t == ISOLATION_TEST_PASSED) {
            struct isolation_measurement m;
            (void)isolation_read(c->io.isolation, &m, now_ms);
            c->cc.seq = m.seq;
            charger_cc_go(c, CHARGER_CC_MEASURE, now_ms);
        } else if (t == ISOLATION_TEST_FAILED) {
            charger_cc_fail(c, ERRORS_SRC_IMD, (uint32_t)ISOLATION_ERR_DEVICE_FAULT,
                            "isolation monitor self-test failed", now_ms);
        } else if (in >= c->cfg.selftest_timeout_ms) {
            charger_cc_fail(c, ERRORS_SRC_IMD, (uint32_t)ISOLATION_ERR_DEVICE_FAULT,
                            "isolation monitor self-test timed out", now_ms);
        }
        break;
    }
    case CHARGER_CC_MEASURE: {
        struct isolation_measurement m = {0};
        /* Only a fresh, valid value with a verdict counts: an "OK" read whose status is
         * INVALID (or whose valid flag is off) is no measurement at all. */
        bool measured = isolation_read(c->io.isolation, &m, now_ms) == HAL_OK && m.valid && m.seq != c->cc.seq &&
                        (m.status == ISOLATION_VALID || m.status == ISOLATION_WARNING ||
                         m.status == ISOLATION_FAULT);
        if (measured) {
            c->cc.result = m.status;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] cable check: insulation %lu kOhm at %ld V: %s",
                     c->cfg.name, (unsigned long)(m.resistance_ohm / 1000u), (long)(c->pw.present_mv / 1000),
                     isolation_status_name(m.status));
            if (m.status == ISOLATION_FAULT) {
                charger_cc_fail(c, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT,
                                "insulation fault in the cable check", now_ms);
            } else if (c->cfg.cable_check_discharge) {
                (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
                charger_cc_go(c, CHARGER_CC_DISCHARGE, now_ms);
            } else {
                charger_cc_go(c, CHARGER_CC_DONE, now_ms);
            }
        } else if (in >= c->cfg.measure_timeout_ms) {
            charger_cc_fail(c, ERRORS_SRC_IMD, (uint32_t)ISOLATION_ERR_DEVICE_FAULT,
                            "no valid insulation measurement", now_ms);
        }
        break;
    }
    case CHARGER_CC_DISCHARGE:
        if (c->pw.present_mv < CHARGER_SAFE_MV) {
            charger_cc_go(c, CHARGER_CC_DONE, now_ms);
        } else if (in >= 10000u) {
            charger_cc_fail(c, ERRORS_SRC_SESSION, CHARGER_STOP_CABLE_CHECK,
                            "output did not discharge below 60 V", now_ms);
        }
        break;
    case CHARGER_CC_IDLE:
    case CHARGER_CC_DONE:
    case CHARGER_CC_FAILED:
        break;
    }
}
