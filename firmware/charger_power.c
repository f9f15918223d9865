/*
 * charger_power.c - power control: the output voltage as measured (the freshest source),
 * the IEC 61851-23 over-voltage monitor, the EVSE limits computed once per pass
 * (charger_limits) and used both for what the EV is told (charger_fill_status) and for
 * every setpoint (charger_setpoint: current demand, pre-charge, the pilot backend's follow).
 */
#include "charger_priv.h"

#include <string.h>

#include "hal_clock.h"

/* The connector voltage the interlock unlocks on: the same selection the over-voltage
 * monitor uses (charger_read_voltage: the freshest of the over-voltage monitor, the
 * isolation monitor, the meter and the stage's read-back, each within voltage_stale_ms),
 * refreshed every pass by charger_measure. No fresh source: unknown, and the connector
 * stays locked. */
bool charger_connector_voltage(void *ctx, int32_t *mv)
{
    struct charger *c = ctx;
    if (!c->pw.volt.fresh) {
        return false;
    }
    *mv = c->pw.volt.mv;
    return true;
}

/* The age of a reading taken at @p at_ms; one from the future (clock domains) counts as now. */
static uint32_t charger_age(uint32_t now_ms, uint32_t at_ms)
{
    int32_t d = hal_time_diff(now_ms, at_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

/* One candidate reading of the output voltage, taken when allowed and fresh. The freshest
 * reading wins; between equally fresh ones the order of issue 12 decides (over-voltage
 * monitor, isolation monitor, meter, stage read-back: the more independent first). The
 * freshest, not a fixed device: a slow source's last value may predate a change (the
 * isolation monitor's last reading of the cable check's test voltage, taken before the
 * discharge) and must not be held against a lower limit. */
static void charger_offer_voltage(struct charger *c, struct charger_voltage *v, enum charger_vsource src,
                                  int64_t mv, uint32_t age)
{
    if ((c->cfg.voltage_sources & (1u << src)) == 0 || age > c->cfg.voltage_stale_ms || mv < 0 ||
        mv > INT32_MAX) {
        return;
    }
    if (!v->fresh || age < v->age_ms) {
        *v = (struct charger_voltage){(int32_t)mv, src, age, true};
    }
}

static void charger_read_voltage(struct charger *c, const struct psu_output *stage, int stage_rc,
                                 uint32_t now_ms, bool *ovm_tripped)
{
    struct charger_voltage v = {.mv = 0, .source = CHARGER_VSRC_NONE, .age_ms = UINT32_MAX, .fresh = false};
    *ovm_tripped = false;
    if (c->io.ovm != NULL) {
        struct ovm_reading r = {0};
        if (ovm_read(c->io.ovm, &r) == HAL_OK) {
            *ovm_tripped = r.tripped && (c->cfg.voltage_sources & (1u << CHARGER_VSRC_OVM)) != 0;
            if (r.valid) {
                charger_offer_voltage(c, &v, CHARGER_VSRC_OVM, r.voltage_mv, charger_age(now_ms, r.at_ms));
            }
        }
    }
    if (c->io.isolation != NULL) {
        struct isolation_measurement m;
        memset(&m, 0, sizeof m);
        if (isolation_read(c->io.isolation, &m, now_ms) == HAL_OK && m.valid && m.voltage_valid) {
            charger_offer_voltage(c, &v, CHARGER_VSRC_IMD, (int64_t)m.voltage_dv * 100,
                                  charger_age(now_ms, m.at_ms));
        }
    }
    if (c->io.meter != NULL) {
        struct meter_live live;
        memset(&live, 0, sizeof live);
        if (meter_live(c->io.meter, &live) == HAL_OK && live.dc_valid && live.at_ms != 0) {
            charger_offer_voltage(c, &v, CHARGER_VSRC_METER, live.dc_voltage_mv,
                                  charger_age(now_ms, live.at_ms));
        }
    }
    if ((stage_rc == HAL_OK && stage->valid) || stage->voltage_known) {
        charger_offer_voltage(c, &v, CHARGER_VSRC_STAGE, stage->voltage_mv, stage->age_ms);
    }
    c->pw.volt = v;
}

/* The over-voltage limit (IEC 61851-23): min(connector rating, EV maximum) + margin, never
 * above Table 103's emergency limit of the voltage class. In the cable check the EV's
 * contactors are open and the test voltage may be above the EV's maximum (never above the
 * EVSE maximum): there the base is the test voltage. */
static int32_t charger_ov_base(const struct charger *c)
{
    int32_t base = (int32_t)c->cfg.max_voltage_mv;
    int32_t evmax = c->v2g ? hlc_ev(&c->hlc)->max_voltage_mv : 0;
    if (evmax > 0 && evmax < base) {
        base = evmax;
    }
    if (c->state == CHARGER_CABLE_CHECK && (int32_t)c->cc.test_mv > base) {
        base = (int32_t)c->cc.test_mv;
    }
    return base;
}

static int32_t charger_ov_limit(const struct charger *c)
{
    int64_t base = charger_ov_base(c);
    int64_t emerg = base <= 500000 ? 550000 : base <= 750000 ? 825000 : base <= 850000 ? 935000 : 1100000;
    int64_t lim = base + base * c->cfg.ov_margin_permille / 1000;
    return (int32_t)(lim < emerg ? lim : emerg);
}

/* Output readings, the energy integral and the IEC 61851-23 over-voltage monitor. */
void charger_measure(struct charger *c, uint32_t now_ms)
{
    struct psu_output out = {0};
    int stage_rc = psu_read_output(c->io.psu, &out, now_ms);
    if (stage_rc == HAL_OK && out.valid) {
        c->pw.present_mv = out.voltage_mv;
        c->pw.present_ma = out.current_ma;
    } else {
        c->pw.present_ma = 0;
    }
    bool tripped = false;
    charger_read_voltage(c, &out, stage_rc, now_ms, &tripped);
    if (c->state == CHARGER_CHARGING && c->pw.energy_at_ms != 0) {
        double dt_h = (double)(now_ms - c->pw.energy_at_ms) / 3600000.0;
        c->pw.energy_mwh += (double)c->pw.present_mv * (double)c->pw.present_ma / 1e6 * dt_h;
    }
    c->pw.energy_at_ms = now_ms;

    bool energised = charger_energised(c) && interlock_power_allowed(&c->il);
    int32_t lim = charger_ov_limit(c);
    /* The device's own trip follows the limit; disarmed while nothing is energised. */
    if (c->io.ovm != NULL) {
        uint32_t arm = energised ? (uint32_t)lim : 0u;
        if (arm != c->pw.ovm_armed_mv && ovm_arm(c->io.ovm, arm) != HAL_ENOTSUP) {
            c->pw.ovm_armed_mv = arm;
            tripped = false; /* the latch belonged to the old threshold */
        }
    }
    if (!energised) {
        c->pw.ov_active = false;
        c->pw.ov_err_active = false;
        return;
    }
    if (!c->pw.volt.fresh) {
        /* Every source is already older than the bound: nothing watches the output. */
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_NO_VOLTAGE, ERRORS_SEV_HIGH,
                      "output voltage not measured (every source stale) while energised", now_ms);
        c->pw.ov_active = false;
        return;
    }
    if (tripped) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                      "output over-voltage (monitor's hardware trip)", now_ms);
        return;
    }
    if (c->pw.volt.mv > lim) {
        if (!c->pw.ov_active) {
            c->pw.ov_active = true;
            c->pw.ov_since_ms = now_ms;
        }
        if (now_ms - c->pw.ov_since_ms >= c->cfg.ov_time_ms) {
            charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                          "output over-voltage", now_ms);
        }
    } else {
        c->pw.ov_active = false;
    }
    /* Error shutdown (IEC 61851-23 CC.3.4.2, docs/session.md): above min(connector rating,
     * EV maximum) for ov_error_time_ms while power is delivered. The stage goes off at once;
     * if it does not, the interlock opens the contactors after its power-down timeout. */
    bool err_over = (c->state == CHARGER_PRECHARGE || c->state == CHARGER_CHARGING) &&
                    c->pw.volt.mv > charger_ov_base(c);
    if (!err_over) {
        c->pw.ov_err_active = false;
    } else if (!c->pw.ov_err_active) {
        c->pw.ov_err_active = true;
        c->pw.ov_err_since_ms = now_ms;
    }
    if (c->pw.ov_err_active && now_ms - c->pw.ov_err_since_ms >= c->cfg.ov_error_time_ms) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                      "output above the EV's maximum voltage (error shutdown)", now_ms);
    }
}

/* The EVSE's limits for this pass: connector/cable rating, the stage's capability, the
 * station's share (external limit) and derating. Computed once per pass (charger_session)
 * into c->pw.lim; every setpoint and the maxima sent to the car use it. */
void charger_limits(struct charger *c, struct charger_limits *l)
{
    struct psu_capabilities caps;
    l->max_mv = (int32_t)c->cfg.max_voltage_mv;
    l->max_ma = (int32_t)c->cfg.max_current_ma;
    l->max_w = (int32_t)c->cfg.max_power_w;
    l->min_mv = 0;
    l->min_ma = 0;
    l->tol_ma = -1;
    l->ripple_ma = 0;
    memset(&caps, 0, sizeof caps);
    if (psu_get_capabilities(c->io.psu, &caps) == HAL_OK) {
        l->max_mv = (int32_t)caps.max_export_voltage_mv < l->max_mv ? (int32_t)caps.max_export_voltage_mv
                                                                   : l->max_mv;
        l->max_ma = (int32_t)caps.max_export_current_ma < l->max_ma ? (int32_t)caps.max_export_current_ma
                                                                   : l->max_ma;
        l->max_w = (int32_t)caps.max_export_power_w < l->max_w ? (int32_t)caps.max_export_power_w : l->max_w;
        l->min_mv = (int32_t)caps.min_export_voltage_mv;
        l->min_ma = (int32_t)caps.min_export_current_ma;
        l->tol_ma = (int32_t)caps.current_regulation_tolerance_ma;
        l->ripple_ma = (int32_t)caps.peak_current_ripple_ma;
    }
    if (c->pw.ext_limit_w != CHARGER_NO_POWER_LIMIT && c->pw.ext_limit_w < (uint32_t)INT32_MAX &&
        (int32_t)c->pw.ext_limit_w < l->max_w) {
        l->max_w = (int32_t)c->pw.ext_limit_w;
    }
    if (c->pw.derated) {
        l->max_w = (int32_t)((int64_t)l->max_w * c->cfg.derate_permille / 1000);
    }
}

/* Current control with the voltage as a ceiling (EvseManager's rule, docs/session.md):
 * the EV's targets clamped to its own maxima and to the EVSE's limits. The flags say
 * which EVSE limit bounds this answer. */
static void charger_setpoint(const struct charger_limits *l, const struct hlc_ev *ev,
                             int32_t present_mv, bool ramp_down, struct charger_setpoint *sp)
{
    int32_t u = ev->target_voltage_mv;
    u = ev->max_voltage_mv > 0 && ev->max_voltage_mv < u ? ev->max_voltage_mv : u;
    sp->v_lim = l->max_mv < u;
    u = sp->v_lim ? l->max_mv : u;
    int32_t i = ev->target_current_ma < 0 ? 0 : ev->target_current_ma;
    i = ev->max_current_ma > 0 && ev->max_current_ma < i ? ev->max_current_ma : i;
    int32_t u_for_p = present_mv > CHARGER_SAFE_MV ? present_mv : u;
    /* The EV's own power maximum, when it sends one, bounds the current like its current
     * maximum does (not an EVSE limit: no flag). */
    if (ev->max_power_w > 0 && u_for_p > 0) {
        int64_t ev_i = (int64_t)ev->max_power_w * 1000000 / u_for_p;
        i = ev_i < i ? (int32_t)ev_i : i;
    }
    sp->i_lim = l->max_ma < i;
    i = sp->i_lim ? l->max_ma : i;
    int32_t p_i = u_for_p > 0 ? (int32_t)((int64_t)l->max_w * 1000000 / u_for_p) : i;
    sp->p_lim = p_i < i;
    i = sp->p_lim ? p_i : i;
    sp->i_lim = sp->i_lim && !sp->p_lim;
    if (ramp_down || !ev->ready) {
        i = 0; /* ramp down while the EV ends the session, or while it says it is not ready */
    }
    sp->mv = u > 0 ? u : 0;
    sp->ma = i > 0 ? i : 0;
}

void charger_command(struct charger *c, int32_t mv, int32_t ma, uint32_t now_ms)
{
    c->pw.set_mv = mv;
    c->pw.set_ma = ma;
    c->pw.max_set_mv = mv > c->pw.max_set_mv ? mv : c->pw.max_set_mv;
    (void)psu_set_export(c->io.psu, (uint32_t)(mv > 0 ? mv : 0), (uint32_t)(ma > 0 ? ma : 0), now_ms);
}

void charger_regulate(struct charger *c, uint32_t now_ms)
{
    struct charger_setpoint sp;
    charger_setpoint(&c->pw.lim, hlc_ev(&c->hlc), c->pw.present_mv,
                     c->shutdown == CHARGER_SHUTDOWN_GRACEFUL, &sp);
    /* The answer already went out with these flags (charger_v2g_message). */
    c->evse.current_limit_achieved = sp.i_lim;
    c->evse.power_limit_achieved = sp.p_lim;
    c->evse.voltage_limit_achieved = sp.v_lim;
    charger_command(c, sp.mv, sp.ma, now_ms);
    if (interlock_power_allowed(&c->il)) {
        (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
    }
    (void)now_ms;
}

/* A session without messages (the pilot backend) has no request to answer: the EV's
 * target within this pass's limits is followed every pass and sent whenever it changes
 * (station share, derating, an external limit). The power limit is turned into current
 * at the target voltage, not the present one: there is no battery voltage to match. */
void charger_follow(struct charger *c, const struct hlc_ev *ev, uint32_t now_ms)
{
    struct charger_setpoint sp;
    charger_setpoint(&c->pw.lim, ev, 0, false, &sp);
    if (sp.mv != c->pw.set_mv || sp.ma != c->pw.set_ma) {
        charger_command(c, sp.mv, sp.ma, now_ms);
    }
}

/* The flags of a CurrentDemandRes belong to the request it answers: the EV's values as
 * the protocol machine will take them from this request (hlc_request_view), through the
 * same setpoint rule. */
void charger_preview_flags(struct charger *c, const struct hlc_request_view *rq)
{
    if (rq->msg != HLC_MSG_CURRENT_DEMAND || c->state != CHARGER_CHARGING) {
        return;
    }
    struct charger_setpoint sp;
    charger_setpoint(&c->pw.lim, rq->ev, c->pw.present_mv, c->shutdown == CHARGER_SHUTDOWN_GRACEFUL,
                     &sp);
    c->evse.current_limit_achieved = sp.i_lim;
    c->evse.power_limit_achieved = sp.p_lim;
    c->evse.voltage_limit_achieved = sp.v_lim;
}

/* Pre-charge: the EV's target, never above the EVSE maximum or the EV's own maximum. A car
 * whose target stays above the EVSE maximum cannot be matched: after target_grace_ms it
 * is stopped with a reason that says so (it was told the EVSE maximum in
 * ChargeParameterDiscovery and in every answer). */
void charger_precharge(struct charger *c, uint32_t now_ms)
{
    const struct hlc_ev *ev = hlc_ev(&c->hlc);
    int32_t u = ev->target_voltage_mv;
    u = ev->max_voltage_mv > 0 && ev->max_voltage_mv < u ? ev->max_voltage_mv : u;
    if (u > c->pw.lim.max_mv) {
        if (c->pw.target_over_since_ms == 0) {
            c->pw.target_over_since_ms = now_ms != 0 ? now_ms : 1u;
            hal_logf(c->io.log, HAL_LOG_WARN, now_ms,
                     "[%s] pre-charge target %ld V above the EVSE maximum %ld V: held at the maximum",
                     c->cfg.name, (long)(u / 1000), (long)(c->pw.lim.max_mv / 1000));
        } else if (now_ms - c->pw.target_over_since_ms >= c->cfg.target_grace_ms) {
            charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_EV_LIMITS, ERRORS_SEV_HIGH,
                          "EV pre-charge target above the EVSE maximum voltage", now_ms);
        }
        u = c->pw.lim.max_mv;
    } else {
        c->pw.target_over_since_ms = 0;
    }
    int32_t i = ev->target_current_ma;
    int32_t lim = (int32_t)c->cfg.precharge_current_ma;
    lim = lim < c->pw.lim.max_ma ? lim : c->pw.lim.max_ma;
    /* 0 A (Tesla, Polestar) still needs a little to charge the cable: the stage's own
     * minimum; never more than the pre-charge limit. */
    i = i < 1000 ? 1000 : i;
    i = i > lim ? lim : i;
    charger_command(c, u, i, now_ms);
    if (interlock_power_allowed(&c->il)) {
        (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
    }
}

void charger_fill_status(struct charger *c, uint32_t now_ms)
{
    struct hlc_evse *st = &c->evse;
    const struct charger_limits l = c->pw.lim;
    st->present_voltage_mv = c->pw.present_mv > 0 ? c->pw.present_mv : 0;
    st->present_current_ma = c->pw.present_ma > 0 ? c->pw.present_ma : 0;
    st->max_voltage_mv = l.max_mv;
    int32_t u = c->pw.present_mv > CHARGER_SAFE_MV ? c->pw.present_mv : l.max_mv;
    int32_t p_i = u > 0 ? (int32_t)((int64_t)l.max_w * 1000000 / u) : l.max_ma;
    st->max_current_ma = p_i < l.max_ma ? p_i : l.max_ma;
    st->max_power_w = l.max_w;
    st->min_voltage_mv = l.min_mv;
    st->min_current_ma = l.min_ma;
    st->current_regulation_tolerance_ma = l.tol_ma;
    st->peak_current_ripple_ma = l.ripple_ma;
    st->energy_to_deliver_wh = -1;
    /* Isolation: the cable check's result, then the live monitor while power flows. */
    st->isolation = HLC_ISOLATION_INVALID;
    if (c->cc.step == CHARGER_CC_DONE) {
        /* Valid only for a measured VALID; the lab override (nothing measured, INVALID)
         * is reported as Warning so that the car proceeds but is never told Valid. */
        st->isolation = c->cc.result == ISOLATION_VALID ? HLC_ISOLATION_VALID : HLC_ISOLATION_WARNING;
    } else if (c->cc.step == CHARGER_CC_FAILED) {
        st->isolation = c->cc.result == ISOLATION_FAULT ? HLC_ISOLATION_FAULT : HLC_ISOLATION_INVALID;
    }
    if (errors_active(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT)) {
        st->isolation = HLC_ISOLATION_FAULT;
    }
    st->notification = HLC_NOTIFY_NONE;
    st->notification_max_delay_s = 0;
    if (c->shutdown == CHARGER_SHUTDOWN_EMERGENCY) {
        st->status = HLC_EVSE_EMERGENCY_SHUTDOWN;
    } else if (c->shutdown == CHARGER_SHUTDOWN_GRACEFUL) {
        st->status = HLC_EVSE_SHUTDOWN;
        st->notification = HLC_NOTIFY_STOP_CHARGING;
        st->notification_max_delay_s = c->cfg.notification_max_delay_s;
    } else {
        st->status = HLC_EVSE_READY;
    }
    st->authorization = c->auth.step == CHARGER_AUTH_STEP_ACCEPTED  ? HLC_PROCESSING_FINISHED
                        : c->auth.step == CHARGER_AUTH_STEP_REFUSED ? HLC_PROCESSING_FAILED
                                                                    : HLC_PROCESSING_ONGOING;
    struct psu_capabilities caps;
    /* A stage that cannot tell its capabilities is run within the connector's rating;
     * one that will tell (InfyPower) must have done so (HAL_EAGAIN until then). */
    int caps_rc = psu_get_capabilities(c->io.psu, &caps);
    bool caps_ok = caps_rc == HAL_OK || caps_rc == HAL_ENOTSUP;
    st->can_discharge = caps_rc == HAL_OK && caps.bidirectional; /* ISO-20 offers DC_BPT only then */
    bool tx_open = c->tx.state == CHARGER_TX_OPEN && charger_tx_mine(c);
    st->charge_parameters = caps_ok && (c->io.meter_session == NULL || tx_open)
                                ? HLC_PROCESSING_FINISHED
                                : HLC_PROCESSING_ONGOING;
    st->cable_check = c->cc.step == CHARGER_CC_DONE     ? HLC_PROCESSING_FINISHED
                      : c->cc.step == CHARGER_CC_FAILED ? HLC_PROCESSING_FAILED
                                                   : HLC_PROCESSING_ONGOING;
    st->schedule.count = 0; /* the protocol's own rule: one entry of the EVSE maximum power */
    int64_t wall_ms = 0;
    st->unix_time_s = c->io.clock != NULL && hal_clock_wall(c->io.clock, &wall_ms) == HAL_OK
                          ? wall_ms / 1000
                          : 0;
    /* The meter's register, for the signed receipts of an ISO-2 Contract session; a stage
     * without a meter (integrated energy only) has nothing a car should sign. */
    struct meter_live live;
    st->meter_valid = c->io.meter != NULL && meter_live(c->io.meter, &live) == HAL_OK && live.import_wh >= 0;
    st->meter_wh = st->meter_valid ? (uint64_t)live.import_wh : 0u;
    (void)now_ms;
}
