#include "charger.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "v2gtp/v2gtp.h"

/* Consecutive failed pilot reads after which the pilot counts as broken (50 ms). */
#define CHARGER_PILOT_READ_FAILS_MAX 10u
/* Below this the output counts as discharged (IEC 61851-23 safe voltage). */
#define CHARGER_SAFE_MV 60000
/* How long an emergency keeps the connection to answer FAILED before closing it. */
#define CHARGER_CLOSE_DELAY_MS 300u
/* Codes of the IMD source besides the interface's error types. */
#define CHARGER_IMD_INSULATION_FAULT 0x100u
/* Codes of the meter source besides the negated HAL errors of its health poll: the poll
 * clears those codes whenever the meter answers, which must not erase a start that was
 * never acknowledged. */
#define CHARGER_METER_START_TIMEOUT 0x100u
#define CHARGER_METER_KEY_MISMATCH 0x101u
#define CHARGER_METER_KEY_CHANGED 0x102u
/* Proximity (CCS2 DC: a coded resistor between PP and PE, some 100 .. 3 300 Ohm): below
 * this it is shorted to PE, above that the PP line is open (no plug, broken wire). */
#define CHARGER_PP_SHORT_OHM 50u
#define CHARGER_PP_OPEN_OHM 10000u
/* A bad PP reading must persist this long: longer than the pilot's debounce, so that an
 * unplug (pilot to A and PP open at once) is reported as an unplug. */
#define CHARGER_PP_DEBOUNCE_MS (2u * CFG_PILOT_DEBOUNCE_MS + 50u)
enum charger_pp { CHARGER_PP_OK = 0, CHARGER_PP_SHORT, CHARGER_PP_OPEN };
/* Said at start-up and at every session while the lab override is in force. */
#define CHARGER_LAB_OVERRIDE_TEXT                                                             \
    "LAB OVERRIDE (no isolation monitor fitted): insulation is NOT measured; the car is "     \
    "told Warning, never Valid"

static void charger_raise(struct charger *c, enum errors_source src, uint32_t code,
                          enum errors_severity sev, const char *text, uint32_t now_ms);

static const struct apphand_protocol s_protocols[] = {
    {.ns = APPHAND_NS_DIN, .major = 2, .minor = 0},
};

void charger_default_config(struct charger_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->name, "cp0", 4);
    cfg->export_voltage_mv = 400000;
    cfg->export_current_ma = 10000;
    cfg->pilot.debounce_ms = CFG_PILOT_DEBOUNCE_MS;
    interlock_default_config(&cfg->interlock);
    din_evse_default_config(&cfg->din);
    cfg->max_voltage_mv = 1000000;
    cfg->max_current_ma = 200000;
    cfg->max_power_w = 150000;
    cfg->auth = CHARGER_AUTH_AUTOSTART;
    cfg->auth_timeout_ms = 55000;
    cfg->link_timeout_ms = 60000;
    cfg->link_retries = 3;
    cfg->cable_check_voltage_mv = 0;
    cfg->cable_check_current_ma = 2000;
    cfg->cable_check_tolerance_mv = 10000;
    cfg->cable_check_ramp_ms = 10000;
    cfg->cp_c_timeout_ms = 1500;
    cfg->selftest_timeout_ms = 30000;
    cfg->measure_timeout_ms = 5000;
    cfg->cable_check_discharge = true;
    cfg->imd_lab_override = false;
    cfg->precharge_current_ma = 2000;
    cfg->shutdown_grace_ms = 10000;
    cfg->notification_max_delay_s = 10;
    cfg->ov_time_ms = 9;
    cfg->ov_error_time_ms = 400;
    cfg->ov_margin_permille = 100;
    cfg->voltage_stale_ms = 1500;
    cfg->target_grace_ms = 2000;
    cfg->voltage_sources = (uint8_t)((1u << CHARGER_VSRC_OVM) | (1u << CHARGER_VSRC_IMD) |
                                     (1u << CHARGER_VSRC_METER) | (1u << CHARGER_VSRC_STAGE));
    cfg->derate_permille = 500;
    cfg->meter_timeout_ms = 10000;
}

static void charger_log(struct charger *c, enum hal_log_level lvl, uint32_t now_ms, const char *what,
                        const char *detail)
{
    hal_logf(c->io.log, lvl, now_ms, "[%s] %s%s%s", c->cfg.name, what, detail[0] ? ": " : "",
             detail);
}

static void charger_set_duty(struct charger *c, uint16_t duty, uint32_t now_ms)
{
    if (c->pilot.duty_permille == duty) {
        return;
    }
    pilot_set_duty(&c->pilot, duty);
    (void)hal_pilot_set_duty(c->io.pilot, duty);
    hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pilot output %s", c->cfg.name,
             duty == PILOT_DUTY_HLC            ? "5 % PWM (high-level communication)"
             : duty == HAL_PILOT_DUTY_DC_HIGH ? "constant +12 V (no PWM)"
             : duty == HAL_PILOT_DUTY_DC_LOW  ? "constant -12 V (state F)"
                                              : "PWM");
}

static void charger_goto(struct charger *c, enum charger_state s, uint32_t now_ms)
{
    if (c->state == s) {
        return;
    }
    if (c->state == CHARGER_CHARGING) {
        c->stats.charge_ms_total += now_ms - c->charging_since_ms;
        c->current.charge_ms += now_ms - c->charging_since_ms;
    }
    if (s == CHARGER_CHARGING) {
        c->charging_since_ms = now_ms;
        c->stats.sessions_charged++;
    }
    if (s == CHARGER_IDLE && c->current.number != 0) {
        c->current.ended_ms = now_ms;
        c->current.stop = c->stop_reason;
        c->current.fault = c->stats.last_fault;
        c->current.detail = c->stop_detail != NULL ? c->stop_detail : "";
        if (!c->current.metered) {
            c->current.energy_wh = (int64_t)(c->energy_mwh / 1000.0 + 0.5);
        }
        c->history[c->history_count % CFG_CHARGER_HISTORY] = c->current;
        c->history_count++;
        memset(&c->current, 0, sizeof c->current);
    }
    if (s == CHARGER_FAULT || c->state == CHARGER_FAULT) {
        c->fault_saw_a = false;
        c->operator_reset = false;
    }
    hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] session %s -> %s", c->cfg.name,
             charger_state_name(c->state), charger_state_name(s));
    c->state = s;
    c->state_since_ms = now_ms;
}

/* The record of the session in progress, or the last finished one when the session
 * already ended (a meter acknowledgement may come after the unplug). */
static struct charger_session_record *charger_record(struct charger *c)
{
    if (c->current.number != 0 || c->history_count == 0) {
        return &c->current;
    }
    return &c->history[(c->history_count - 1u) % CFG_CHARGER_HISTORY];
}

/* ------------------------------------------------------------------ meter */

static void charger_meter_stop(struct charger *c, uint32_t now_ms)
{
    if (c->io.meter == NULL || (c->tx != CHARGER_TX_OPEN && c->tx != CHARGER_TX_STARTING)) {
        return;
    }
    if (c->tx == CHARGER_TX_STARTING) {
        /* The start has not been acknowledged: its event decides, then we stop. */
        return;
    }
    int rc = meter_session_stop(c->io.meter, now_ms);
    if (rc == HAL_OK) {
        c->tx = CHARGER_TX_STOPPING;
        c->tx_since_ms = now_ms;
        c->tx_stop_pending = false;
        charger_log(c, HAL_LOG_INFO, now_ms, "meter", "stopping the transaction");
    } else if (rc == HAL_EAGAIN) {
        /* Busy or not answering: the transaction is still open in the meter and in the
         * journal; ask again (once a second) until the meter takes the stop. */
        if (!c->tx_stop_pending) {
            charger_log(c, HAL_LOG_WARN, now_ms, "meter: stop not taken yet, will retry", hal_strerror(rc));
        }
        c->tx_stop_pending = true;
        c->tx_retry_ms = now_ms;
    } else {
        c->tx = CHARGER_TX_FAILED;
        charger_log(c, HAL_LOG_WARN, now_ms, "meter: stop refused", hal_strerror(rc));
    }
}

static void charger_meter_start(struct charger *c, uint32_t now_ms)
{
    if (c->io.meter == NULL || c->tx != CHARGER_TX_NONE) {
        return;
    }
    int64_t wall_ms = 0;
    if (c->io.clock == NULL || hal_clock_wall(c->io.clock, &wall_ms) != HAL_OK) {
        wall_ms = 0;
    }
    meter_session_set_wall(c->io.meter, wall_ms / 1000);
    /* <= 36 characters: name (15) - session (<= 10) - Unix seconds (10 until 2286). */
    snprintf(c->txid, sizeof c->txid, "%.15s-%lu-%lu", c->cfg.name,
             (unsigned long)(c->current.number % 100000u),
             (unsigned long)(uint32_t)(wall_ms / 1000));
    snprintf(c->tx_idtag, sizeof c->tx_idtag, "%s", c->current.evccid);
    struct meter_tx_req req = {
        .txid = c->txid,
        .evse_id = c->cfg.name,
        .id_data = c->tx_idtag[0] ? c->tx_idtag : NULL,
        .tariff_text = NULL,
        .assigned = true,
    };
    int rc = meter_session_start(c->io.meter, &req, now_ms);
    if (rc == HAL_OK) {
        c->tx = CHARGER_TX_STARTING;
        c->tx_since_ms = now_ms;
        charger_log(c, HAL_LOG_INFO, now_ms, "meter: starting transaction", c->txid);
    } else if (rc == HAL_EPROTO && meter_session_key_state(c->io.meter) != METER_KEY_UNPINNED) {
        /* Not the meter that was configured: billing with it would sign for someone else. */
        charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_KEY_MISMATCH, ERRORS_SEV_MEDIUM,
                      meter_session_key_state(c->io.meter) == METER_KEY_UNKNOWN
                          ? "meter reports no public key: transaction refused (a key is pinned)"
                          : "meter public key differs from the pinned key: transaction refused",
                      now_ms);
        c->tx = CHARGER_TX_FAILED;
    } else if (rc != HAL_EAGAIN) {
        charger_log(c, HAL_LOG_WARN, now_ms, "meter: transaction refused", hal_strerror(rc));
        errors_raise(&c->err, ERRORS_SRC_METER, (uint32_t)-rc, ERRORS_SEV_MEDIUM,
                     "meter refused the transaction", now_ms);
        c->tx = CHARGER_TX_FAILED;
    }
}

static void charger_meter_events(struct charger *c, uint32_t now_ms)
{
    struct meter_event ev;
    if (c->io.meter == NULL) {
        return;
    }
    while (meter_session_event(c->io.meter, &ev) == HAL_OK) {
        struct charger_session_record *r = charger_record(c);
        struct meter_live live;
        bool have_live = c->io.meter_dev != NULL && meter_live(c->io.meter_dev, &live) == HAL_OK;
        switch (ev.kind) {
        case METER_EV_STARTED:
            c->tx = CHARGER_TX_OPEN;
            c->tx_start_wh = have_live ? live.import_wh : 0;
            r->meter_seq = ev.seq;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] meter: transaction %s started (journal #%lu, %lld Wh)", c->cfg.name,
                     c->txid, (unsigned long)ev.seq, (long long)c->tx_start_wh);
            if (c->state == CHARGER_STOPPING || c->state == CHARGER_FINISHED ||
                c->state == CHARGER_FAULT || c->state == CHARGER_IDLE || c->state == CHARGER_WELDING) {
                charger_meter_stop(c, now_ms); /* the session ended while it started */
            }
            break;
        case METER_EV_START_FAILED:
            c->tx = CHARGER_TX_FAILED;
            errors_raise(&c->err, ERRORS_SRC_METER, (uint32_t)-ev.status, ERRORS_SEV_MEDIUM,
                         "meter transaction did not start", now_ms);
            break;
        case METER_EV_STOPPED:
            c->tx = CHARGER_TX_DONE;
            r->meter_seq = ev.seq;
            r->meter_ok = true;
            if (have_live) {
                r->energy_wh = live.import_wh - c->tx_start_wh;
                r->metered = true;
            }
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] meter: transaction stopped, OCMF record stored (journal #%lu, "
                     "signature %s, %lld Wh)",
                     c->cfg.name, (unsigned long)ev.seq,
                     ev.verify == HAL_OK ? "valid" : ev.verify == HAL_ENOTSUP ? "not checked" : "INVALID",
                     (long long)r->energy_wh);
            break;
        case METER_EV_STOP_FAILED:
            /* Not taken (no answer, busy, or the record could not be stored durably): the
             * transaction is still open in the meter and STARTED in the journal, and the
             * meter session is back to ACTIVE. Ask again once a second until it is closed:
             * giving up would leave it open for ever, and the meter would refuse every
             * later start (found on a real RS-485 line, tools/faults/real.sh). */
            c->tx = CHARGER_TX_OPEN;
            charger_log(c, HAL_LOG_WARN, now_ms, "meter: the stop was not acknowledged, will retry",
                        hal_strerror(ev.status));
            c->tx_stop_pending = true;
            c->tx_retry_ms = now_ms;
            break;
        case METER_EV_RECOVERED:
            charger_log(c, HAL_LOG_INFO, now_ms, "meter", "closed a transaction of a previous run");
            break;
        case METER_EV_KEY_CHANGED: {
            /* Another signer: with a transaction running its record will not be the same
             * meter's, so the session stops; otherwise it is recorded (and a pinned key
             * keeps the next transaction from starting). */
            bool tx = c->tx == CHARGER_TX_OPEN || c->tx == CHARGER_TX_STARTING;
            charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_KEY_CHANGED,
                          tx ? ERRORS_SEV_MEDIUM : ERRORS_SEV_LOW, "meter public key changed", now_ms);
            break;
        }
        case METER_EV_NONE:
            break;
        }
    }
    if (c->tx_stop_pending && c->tx == CHARGER_TX_OPEN && now_ms - c->tx_retry_ms >= 1000u) {
        charger_meter_stop(c, now_ms);
    }
    if ((c->tx == CHARGER_TX_STARTING || c->tx == CHARGER_TX_STOPPING) &&
        now_ms - c->tx_since_ms >= c->cfg.meter_timeout_ms) {
        bool starting = c->tx == CHARGER_TX_STARTING;
        c->tx = CHARGER_TX_FAILED;
        if (starting) {
            charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_START_TIMEOUT, ERRORS_SEV_MEDIUM,
                          "meter start not acknowledged in time", now_ms);
        } else {
            charger_log(c, HAL_LOG_WARN, now_ms, "meter", "stop not acknowledged in time");
        }
    }
}

/* ------------------------------------------------------------------ held faults */

/* Errors that only an operator reset clears (docs/session.md "Fault reset"): they say
 * the output or the insulation cannot be trusted, whoever plugs in next. */
static bool charger_error_held(enum errors_source src, uint32_t code)
{
    return (src == ERRORS_SRC_SESSION && code == CHARGER_STOP_OVER_VOLTAGE) ||
           (src == ERRORS_SRC_IMD && code == CHARGER_IMD_INSULATION_FAULT) ||
           (src == ERRORS_SRC_POWER_PATH && interlock_fault_held((enum interlock_fault)code));
}

static bool charger_held(const struct charger *c)
{
    return c->held_text != NULL || interlock_fault_held(interlock_fault(&c->il));
}

/* A fault is left only with the vehicle gone (A), the power path at rest and unlocked,
 * and nothing held: a held fault waits for charger_reset(). A fault that clears by itself
 * (a lock timeout) is cleared here. After an operator reset with a vehicle plugged in:
 * one that came while the connector was out of order is served (idle, then a new
 * session); the one of the faulted session is let go (finished: unlocked until A). */
static enum charger_state charger_fault_over(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (ps == PILOT_STATE_A) {
        c->fault_saw_a = true;
    }
    bool at_rest = interlock_state(&c->il) == INTERLOCK_UNLOCKED;
    if (charger_held(c) || !at_rest || (ps != PILOT_STATE_A && !c->operator_reset)) {
        return CHARGER_FAULT;
    }
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE && interlock_reset(&c->il, now_ms, NULL) != HAL_OK) {
        return CHARGER_FAULT;
    }
    if (interlock_state(&c->il) != INTERLOCK_UNLOCKED) {
        return CHARGER_FAULT;
    }
    return ps == PILOT_STATE_A || c->fault_saw_a ? CHARGER_IDLE : CHARGER_FINISHED;
}

/* The connector voltage the interlock unlocks on: the same selection the over-voltage
 * monitor uses (charger_read_voltage: the freshest of the over-voltage monitor, the
 * isolation monitor, the meter and the stage's read-back, each within voltage_stale_ms),
 * refreshed every pass by charger_measure. No fresh source: unknown, and the connector
 * stays locked. */
static bool charger_connector_voltage(void *ctx, int32_t *mv)
{
    struct charger *c = ctx;
    if (!c->volt.fresh) {
        return false;
    }
    *mv = c->volt.mv;
    return true;
}

/* ------------------------------------------------------------------ stops */

static enum charger_stop_reason charger_reason_of(const struct errors_entry *e)
{
    switch (e->source) {
    case ERRORS_SRC_PSU:
        return CHARGER_STOP_PSU;
    case ERRORS_SRC_METER:
        return CHARGER_STOP_METER;
    case ERRORS_SRC_IMD:
        return e->code == CHARGER_IMD_INSULATION_FAULT ? CHARGER_STOP_ISOLATION : CHARGER_STOP_IMD;
    case ERRORS_SRC_LINK:
        return CHARGER_STOP_LINK;
    case ERRORS_SRC_EV:
        return CHARGER_STOP_EV_ERROR;
    case ERRORS_SRC_POWER_PATH:
        return CHARGER_STOP_POWER_PATH;
    case ERRORS_SRC_V2G:
    case ERRORS_SRC_PILOT:
    case ERRORS_SRC_SESSION:
        return e->code < CHARGER_STOP_COUNT ? (enum charger_stop_reason)e->code : CHARGER_STOP_LOCAL;
    case ERRORS_SRC_COUNT:
        break;
    }
    return CHARGER_STOP_LOCAL;
}

static bool charger_hlc_active(enum charger_state s)
{
    return s == CHARGER_LINK || s == CHARGER_NEGOTIATING || s == CHARGER_AUTHORIZING ||
           s == CHARGER_PARAMETERS || s == CHARGER_CABLE_CHECK || s == CHARGER_PRECHARGE ||
           s == CHARGER_CHARGING || s == CHARGER_WELDING;
}

static void charger_set_reason(struct charger *c, enum charger_stop_reason why, const char *detail)
{
    if (c->stop_reason == CHARGER_STOP_NONE) {
        c->stop_reason = why;
        c->stop_detail = detail;
        c->stats.last_stop = why;
    }
}

/* The DIN connection is over: forget it and make the link ready for the next car. */
static void charger_close_link(struct charger *c, uint32_t now_ms)
{
    if (c->io.link != NULL && !c->link_closed) {
        (void)c->io.link->ops->restart(c->io.link, now_ms);
        c->link_closed = true;
    }
    c->v2g = false;
    c->handshake_done = false;
    c->close_at_ms = 0;
}

/* Every stop that ends the session now goes through here: the power stage is switched
 * off at once, and the interlock walks power-down -> contactors open -> unlock in that
 * order. With a DIN session the EV sees EVSE_EmergencyShutdown (every answer FAILED)
 * until the connection closes shortly after. */
static void charger_stop(struct charger *c, enum charger_stop_reason why, const char *detail,
                         uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    interlock_request(&c->il, INTERLOCK_TARGET_UNLOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    charger_set_reason(c, why, detail);
    c->stop_requested = false;
    if (c->io.imd != NULL) {
        (void)isolation_stop(c->io.imd, now_ms);
    }
    charger_meter_stop(c, now_ms);
    bool fault = why != CHARGER_STOP_EV && why != CHARGER_STOP_LOCAL && why != CHARGER_STOP_EV_ERROR;
    char line[96];
    snprintf(line, sizeof line, "%s%s%s", charger_stop_reason_name(c->stop_reason),
             c->stop_detail != NULL && c->stop_detail[0] ? " - " : "",
             c->stop_detail != NULL ? c->stop_detail : "");
    charger_log(c, fault ? HAL_LOG_WARN : HAL_LOG_INFO, now_ms, "stop", line);
    if (c->v2g) {
        /* Keep the connection a moment: the last answer (FAILED) must still go out. */
        c->emergency = true;
        if (c->close_at_ms == 0) {
            c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
        }
    } else {
        charger_close_link(c, now_ms);
    }
    charger_goto(c, fault ? CHARGER_FAULT : CHARGER_STOPPING, now_ms);
}

/* A graceful stop (operator, backend, a MEDIUM error): while power flows the EV is asked
 * to end the session (EVSE_Shutdown + StopCharging) and the current ramps down; before
 * that nothing is energised, so the session ends at once. */
static void charger_stop_graceful(struct charger *c, enum charger_stop_reason why,
                                  const char *detail, uint32_t now_ms)
{
    if (c->state == CHARGER_CHARGING && c->v2g && !din_evse_over(&c->din)) {
        if (!c->stopping_gracefully) {
            charger_set_reason(c, why, detail);
            c->stopping_gracefully = true;
            c->graceful_since_ms = now_ms;
            charger_log(c, HAL_LOG_INFO, now_ms, "asking the EV to stop (EVSE_Shutdown, StopCharging)",
                        detail);
        }
        return;
    }
    if (c->state == CHARGER_WELDING && c->v2g && !din_evse_over(&c->din)) {
        /* Power is already off and the EV is ending the session: let it finish. */
        charger_set_reason(c, why, detail);
        return;
    }
    charger_stop(c, why, detail, now_ms);
}

/* React to the worst active error once per step. */
static void charger_react(struct charger *c, uint32_t now_ms)
{
    /* One entry decides both the reaction and the reason given for it. */
    const struct errors_entry *act = errors_worst_entry(&c->err);
    if (!charger_hlc_active(c->state) || act == NULL) {
        return;
    }
    enum charger_stop_reason why = charger_reason_of(act);
    if (act->severity == ERRORS_SEV_HIGH) {
        if (c->stop_reason_graceful) {
            /* A graceful stop was under way for a lesser error: the emergency stop is
             * taken for this one, so this one is the reason. */
            c->stop_reason = CHARGER_STOP_NONE;
            c->stop_reason_graceful = false;
        }
        charger_stop(c, why, act->text, now_ms);
    } else if (act->severity == ERRORS_SEV_MEDIUM) {
        bool unset = c->stop_reason == CHARGER_STOP_NONE;
        charger_stop_graceful(c, why, act->text, now_ms);
        c->stop_reason_graceful = c->stop_reason_graceful || (unset && c->stop_reason == why);
    }
}

static void charger_raise(struct charger *c, enum errors_source src, uint32_t code,
                          enum errors_severity sev, const char *text, uint32_t now_ms)
{
    if (errors_raise(&c->err, src, code, sev, text, now_ms)) {
        hal_logf(c->io.log, sev == ERRORS_SEV_LOW ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms,
                 "[%s] error (%s, %s): %s", c->cfg.name, errors_source_name(src),
                 errors_severity_name(sev), text);
    }
    if (src != ERRORS_SRC_POWER_PATH && charger_error_held(src, code) && c->held_text == NULL) {
        /* The interlock holds its own faults; these are the charger's. */
        c->held_text = text;
        hal_logf(c->io.log, HAL_LOG_ERROR, now_ms,
                 "[%s] held fault: %s; no session until an operator reset", c->cfg.name, text);
    }
}

/* ------------------------------------------------------------------ devices */

static bool charger_energised(const struct charger *c)
{
    return c->state == CHARGER_CABLE_CHECK || c->state == CHARGER_PRECHARGE ||
           c->state == CHARGER_CHARGING;
}

static void charger_poll_psu(struct charger *c, uint32_t now_ms)
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
    if (warn != c->derated) {
        c->derated = warn;
        charger_log(c, HAL_LOG_INFO, now_ms, "power derating",
                    warn ? "on (power stage warning)" : "off");
    }
}

static void charger_poll_imd(struct charger *c, uint32_t now_ms)
{
    if (c->io.imd == NULL) {
        return;
    }
    struct isolation_error ie[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    if (isolation_get_errors(c->io.imd, ie, ISOLATION_ERRORS_MAX, &n) != HAL_OK) {
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
        enum errors_severity sev = !charger_energised(c)                       ? ERRORS_SEV_LOW
                                   : ie[k].severity == ISOLATION_SEV_HIGH   ? ERRORS_SEV_HIGH
                                   : ie[k].severity == ISOLATION_SEV_MEDIUM ? ERRORS_SEV_MEDIUM
                                                                            : ERRORS_SEV_LOW;
        charger_raise(c, ERRORS_SRC_IMD, (uint32_t)ie[k].type, sev, isolation_error_name(ie[k].type),
                      now_ms);
    }
    /* Insulation monitored while power flows (after the cable check decided). */
    if (c->state == CHARGER_PRECHARGE || c->state == CHARGER_CHARGING) {
        struct isolation_measurement m;
        if (isolation_read(c->io.imd, &m, now_ms) == HAL_OK && m.status == ISOLATION_FAULT) {
            charger_raise(c, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT, ERRORS_SEV_HIGH,
                          "insulation fault while charging", now_ms);
        }
    }
}

static void charger_poll_meter(struct charger *c, uint32_t now_ms)
{
    uint32_t dev = 0;
    if (c->io.meter_dev == NULL) {
        return;
    }
    int rc = meter_status(c->io.meter_dev, &dev);
    bool bad = rc == HAL_ETIMEDOUT || rc == HAL_EIO;
    if (bad) {
        bool tx = c->tx == CHARGER_TX_OPEN || c->tx == CHARGER_TX_STARTING;
        charger_raise(c, ERRORS_SRC_METER, (uint32_t)-rc, tx ? ERRORS_SEV_MEDIUM : ERRORS_SEV_LOW,
                      rc == HAL_ETIMEDOUT ? "meter not answering" : "meter reports a device error",
                      now_ms);
    } else {
        (void)errors_clear(&c->err, ERRORS_SRC_METER, (uint32_t)-HAL_ETIMEDOUT);
        (void)errors_clear(&c->err, ERRORS_SRC_METER, (uint32_t)-HAL_EIO);
    }
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
    if (c->io.imd != NULL) {
        struct isolation_measurement m;
        memset(&m, 0, sizeof m);
        if (isolation_read(c->io.imd, &m, now_ms) == HAL_OK && m.valid && m.voltage_valid) {
            charger_offer_voltage(c, &v, CHARGER_VSRC_IMD, (int64_t)m.voltage_dv * 100,
                                  charger_age(now_ms, m.at_ms));
        }
    }
    if (c->io.meter_dev != NULL) {
        struct meter_live live;
        memset(&live, 0, sizeof live);
        if (meter_live(c->io.meter_dev, &live) == HAL_OK && live.dc_valid && live.at_ms != 0) {
            charger_offer_voltage(c, &v, CHARGER_VSRC_METER, live.dc_voltage_mv,
                                  charger_age(now_ms, live.at_ms));
        }
    }
    if ((stage_rc == HAL_OK && stage->valid) || stage->voltage_known) {
        charger_offer_voltage(c, &v, CHARGER_VSRC_STAGE, stage->voltage_mv, stage->age_ms);
    }
    c->volt = v;
}

/* The over-voltage limit (IEC 61851-23): min(connector rating, EV maximum) + margin, never
 * above Table 103's emergency limit of the voltage class. In the cable check the EV's
 * contactors are open and the test voltage may be above the EV's maximum (never above the
 * EVSE maximum): there the base is the test voltage. */
static int32_t charger_ov_base(const struct charger *c)
{
    int32_t base = (int32_t)c->cfg.max_voltage_mv;
    int32_t evmax = c->v2g ? din_evse_ev(&c->din)->max_voltage_mv : 0;
    if (evmax > 0 && evmax < base) {
        base = evmax;
    }
    if (c->state == CHARGER_CABLE_CHECK && (int32_t)c->cc_test_mv > base) {
        base = (int32_t)c->cc_test_mv;
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
static void charger_measure(struct charger *c, uint32_t now_ms)
{
    struct psu_output out = {0};
    int stage_rc = psu_read_output(c->io.psu, &out, now_ms);
    if (stage_rc == HAL_OK && out.valid) {
        c->present_mv = out.voltage_mv;
        c->present_ma = out.current_ma;
    } else {
        c->present_ma = 0;
    }
    bool tripped = false;
    charger_read_voltage(c, &out, stage_rc, now_ms, &tripped);
    if (c->state == CHARGER_CHARGING && c->energy_at_ms != 0) {
        double dt_h = (double)(now_ms - c->energy_at_ms) / 3600000.0;
        c->energy_mwh += (double)c->present_mv * (double)c->present_ma / 1e6 * dt_h;
    }
    c->energy_at_ms = now_ms;

    bool energised = charger_energised(c) && interlock_power_allowed(&c->il);
    int32_t lim = charger_ov_limit(c);
    /* The device's own trip follows the limit; disarmed while nothing is energised. */
    if (c->io.ovm != NULL) {
        uint32_t arm = energised ? (uint32_t)lim : 0u;
        if (arm != c->ovm_armed_mv && ovm_arm(c->io.ovm, arm) != HAL_ENOTSUP) {
            c->ovm_armed_mv = arm;
            tripped = false; /* the latch belonged to the old threshold */
        }
    }
    if (!energised) {
        c->ov_active = false;
        c->ov_err_active = false;
        return;
    }
    if (!c->volt.fresh) {
        /* Every source is already older than the bound: nothing watches the output. */
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_NO_VOLTAGE, ERRORS_SEV_HIGH,
                      "output voltage not measured (every source stale) while energised", now_ms);
        c->ov_active = false;
        return;
    }
    if (tripped) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                      "output over-voltage (monitor's hardware trip)", now_ms);
        return;
    }
    if (c->volt.mv > lim) {
        if (!c->ov_active) {
            c->ov_active = true;
            c->ov_since_ms = now_ms;
        }
        if (now_ms - c->ov_since_ms >= c->cfg.ov_time_ms) {
            charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                          "output over-voltage", now_ms);
        }
    } else {
        c->ov_active = false;
    }
    /* Error shutdown (IEC 61851-23 CC.3.4.2, docs/session.md): above min(connector rating,
     * EV maximum) for ov_error_time_ms while power is delivered. The stage goes off at once;
     * if it does not, the interlock opens the contactors after its power-down timeout. */
    bool err_over = (c->state == CHARGER_PRECHARGE || c->state == CHARGER_CHARGING) &&
                    c->volt.mv > charger_ov_base(c);
    if (!err_over) {
        c->ov_err_active = false;
    } else if (!c->ov_err_active) {
        c->ov_err_active = true;
        c->ov_err_since_ms = now_ms;
    }
    if (c->ov_err_active && now_ms - c->ov_err_since_ms >= c->cfg.ov_error_time_ms) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE, ERRORS_SEV_HIGH,
                      "output above the EV's maximum voltage (error shutdown)", now_ms);
    }
}

/* ------------------------------------------------------------------ limits */

/* The EVSE's limits for this pass: connector/cable rating, the stage's capability, the
 * station's share (external limit) and derating. Computed once per pass (charger_hlc,
 * charger_session) into c->lim; every setpoint and the maxima sent to the car use it. */
static void charger_limits(struct charger *c, struct charger_limits *l)
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
    if (c->power_limit_w != 0 && (int32_t)c->power_limit_w < l->max_w) {
        l->max_w = (int32_t)c->power_limit_w;
    }
    if (c->derated) {
        l->max_w = (int32_t)((int64_t)l->max_w * c->cfg.derate_permille / 1000);
    }
}

/* Current control with the voltage as a ceiling (EvseManager's rule, docs/session.md):
 * the EV's targets clamped to its own maxima and to the EVSE's limits. The flags say
 * which EVSE limit bounds this answer. */
static void charger_setpoint(const struct charger_limits *l, const struct din_evse_ev *ev,
                             int32_t present_mv, bool ramp_down, struct charger_setpoint *sp)
{
    int32_t u = ev->target_voltage_mv;
    u = ev->max_voltage_mv > 0 && ev->max_voltage_mv < u ? ev->max_voltage_mv : u;
    sp->v_lim = l->max_mv < u;
    u = sp->v_lim ? l->max_mv : u;
    int32_t i = ev->target_current_ma < 0 ? 0 : ev->target_current_ma;
    i = ev->max_current_ma > 0 && ev->max_current_ma < i ? ev->max_current_ma : i;
    sp->i_lim = l->max_ma < i;
    i = sp->i_lim ? l->max_ma : i;
    int32_t u_for_p = present_mv > CHARGER_SAFE_MV ? present_mv : u;
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

static void charger_command(struct charger *c, int32_t mv, int32_t ma, uint32_t now_ms)
{
    c->set_mv = mv;
    c->set_ma = ma;
    c->max_set_mv = mv > c->max_set_mv ? mv : c->max_set_mv;
    (void)psu_set_export(c->io.psu, (uint32_t)(mv > 0 ? mv : 0), (uint32_t)(ma > 0 ? ma : 0),
                         now_ms);
}

static void charger_regulate(struct charger *c, uint32_t now_ms)
{
    struct charger_setpoint sp;
    charger_setpoint(&c->lim, din_evse_ev(&c->din), c->present_mv, c->stopping_gracefully, &sp);
    /* The answer already went out with these flags (charger_v2g_message). */
    c->st.current_limit_achieved = sp.i_lim;
    c->st.power_limit_achieved = sp.p_lim;
    c->st.voltage_limit_achieved = sp.v_lim;
    charger_command(c, sp.mv, sp.ma, now_ms);
    if (interlock_power_allowed(&c->il)) {
        (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
    }
    (void)now_ms;
}

/* The flags of a CurrentDemandReq before it is answered: the EV's values as the DIN
 * machine will take them from this request, through the same setpoint rule. */
static void charger_preview_flags(struct charger *c)
{
    const struct exi_din_BodyType *b = &c->req.V2G_Message.Body;
    if (!b->CurrentDemandReq_isUsed || c->state != CHARGER_CHARGING) {
        return;
    }
    const struct exi_din_CurrentDemandReqType *q = &b->CurrentDemandReq;
    struct din_evse_ev ev = *din_evse_ev(&c->din);
    ev.ready = q->DC_EVStatus.EVReady;
    int32_t tc = din_pv_milli32(&q->EVTargetCurrent);
    ev.target_current_ma = tc < 0 ? 0 : tc;
    int32_t tv = din_pv_milli32(&q->EVTargetVoltage);
    if (tv > 0) {
        ev.target_voltage_mv = tv;
    }
    if (q->EVMaximumVoltageLimit_isUsed) {
        ev.max_voltage_mv = din_pv_milli32(&q->EVMaximumVoltageLimit);
    }
    if (q->EVMaximumCurrentLimit_isUsed) {
        ev.max_current_ma = din_pv_milli32(&q->EVMaximumCurrentLimit);
    }
    struct charger_setpoint sp;
    charger_setpoint(&c->lim, &ev, c->present_mv, c->stopping_gracefully, &sp);
    c->st.current_limit_achieved = sp.i_lim;
    c->st.power_limit_achieved = sp.p_lim;
    c->st.voltage_limit_achieved = sp.v_lim;
}

/* Pre-charge: the EV's target, never above the EVSE maximum or the EV's own maximum. A car
 * whose target stays above the EVSE maximum cannot be matched: after target_grace_ms it
 * is stopped with a reason that says so (it was told the EVSE maximum in
 * ChargeParameterDiscovery and in every answer). */
static void charger_precharge(struct charger *c, uint32_t now_ms)
{
    const struct din_evse_ev *ev = din_evse_ev(&c->din);
    int32_t u = ev->target_voltage_mv;
    u = ev->max_voltage_mv > 0 && ev->max_voltage_mv < u ? ev->max_voltage_mv : u;
    if (u > c->lim.max_mv) {
        if (c->target_over_since_ms == 0) {
            c->target_over_since_ms = now_ms != 0 ? now_ms : 1u;
            hal_logf(c->io.log, HAL_LOG_WARN, now_ms,
                     "[%s] pre-charge target %ld V above the EVSE maximum %ld V: held at the maximum",
                     c->cfg.name, (long)(u / 1000), (long)(c->lim.max_mv / 1000));
        } else if (now_ms - c->target_over_since_ms >= c->cfg.target_grace_ms) {
            charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_EV_LIMITS, ERRORS_SEV_HIGH,
                          "EV pre-charge target above the EVSE maximum voltage", now_ms);
        }
        u = c->lim.max_mv;
    } else {
        c->target_over_since_ms = 0;
    }
    int32_t i = ev->target_current_ma;
    int32_t lim = (int32_t)c->cfg.precharge_current_ma;
    lim = lim < c->lim.max_ma ? lim : c->lim.max_ma;
    /* 0 A (Tesla, Polestar) still needs a little to charge the cable: the stage's own
     * minimum; never more than the pre-charge limit. */
    i = i < 1000 ? 1000 : i;
    i = i > lim ? lim : i;
    charger_command(c, u, i, now_ms);
    if (interlock_power_allowed(&c->il)) {
        (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
    }
}

static void charger_fill_status(struct charger *c, uint32_t now_ms)
{
    struct din_evse_status *st = &c->st;
    const struct charger_limits l = c->lim;
    st->present_voltage_mv = c->present_mv > 0 ? c->present_mv : 0;
    st->present_current_ma = c->present_ma > 0 ? c->present_ma : 0;
    st->max_voltage_mv = l.max_mv;
    int32_t u = c->present_mv > CHARGER_SAFE_MV ? c->present_mv : l.max_mv;
    int32_t p_i = u > 0 ? (int32_t)((int64_t)l.max_w * 1000000 / u) : l.max_ma;
    st->max_current_ma = p_i < l.max_ma ? p_i : l.max_ma;
    st->max_power_w = l.max_w;
    st->min_voltage_mv = l.min_mv;
    st->min_current_ma = l.min_ma;
    st->current_regulation_tolerance_ma = l.tol_ma;
    st->peak_current_ripple_ma = l.ripple_ma;
    st->energy_to_deliver_wh = -1;
    /* Isolation: the cable check's result, then the live monitor while power flows. */
    st->isolation = exi_din_isolationLevelType_Invalid;
    if (c->cc == CHARGER_CC_DONE) {
        /* Valid only for a measured VALID; the lab override (nothing measured, INVALID)
         * is reported as Warning so that the car proceeds but is never told Valid. */
        st->isolation = c->cc_result == ISOLATION_VALID ? exi_din_isolationLevelType_Valid
                                                        : exi_din_isolationLevelType_Warning;
    } else if (c->cc == CHARGER_CC_FAILED) {
        st->isolation = c->cc_result == ISOLATION_FAULT ? exi_din_isolationLevelType_Fault
                                                         : exi_din_isolationLevelType_Invalid;
    }
    if (errors_active(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT)) {
        st->isolation = exi_din_isolationLevelType_Fault;
    }
    st->notification = exi_din_EVSENotificationType_None;
    st->notification_max_delay_s = 0;
    if (c->emergency) {
        st->status_code = exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown;
    } else if (c->stopping_gracefully) {
        st->status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown;
        st->notification = exi_din_EVSENotificationType_StopCharging;
        st->notification_max_delay_s = c->cfg.notification_max_delay_s;
    } else {
        st->status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Ready;
    }
    st->auth_done = c->auth_decided && c->auth_ok;
    st->auth_rejected = c->auth_decided && !c->auth_ok;
    struct psu_capabilities caps;
    /* A stage that cannot tell its capabilities is run within the connector's rating;
     * one that will tell (InfyPower) must have done so (HAL_EAGAIN until then). */
    int caps_rc = psu_get_capabilities(c->io.psu, &caps);
    bool caps_ok = caps_rc == HAL_OK || caps_rc == HAL_ENOTSUP;
    st->power_ready = caps_ok && (c->io.meter == NULL || c->tx == CHARGER_TX_OPEN);
    st->cable_check_done = c->cc == CHARGER_CC_DONE || c->cc == CHARGER_CC_FAILED;
    st->cable_check_failed = c->cc == CHARGER_CC_FAILED;
    int64_t wall_ms = 0;
    st->unix_time_s = c->io.clock != NULL && hal_clock_wall(c->io.clock, &wall_ms) == HAL_OK
                          ? wall_ms / 1000
                          : 0;
    (void)now_ms;
}

/* ------------------------------------------------------------------ authorisation */

static void charger_auth_decide(struct charger *c, bool ok, const char *how, uint32_t now_ms)
{
    c->auth_decided = true;
    c->auth_ok = ok;
    c->auth_pending = false;
    /* The meter's start window counts from this decision, not from the request: an RFID
     * reader or a backend may well take longer than the meter's timeout. */
    c->auth_decided_ms = now_ms;
    charger_log(c, ok ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms, ok ? "authorised" : "authorisation refused",
                how);
    if (!ok) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_AUTH_REJECTED, ERRORS_SEV_MEDIUM,
                      "authorisation refused", now_ms);
    } else {
        uint32_t dev = 0;
        c->tx_since_ms = now_ms;
        if (c->io.meter_dev != NULL && meter_status(c->io.meter_dev, &dev) == HAL_OK) {
            charger_meter_start(c, now_ms);
        }
    }
}

static void charger_auth_begin(struct charger *c, uint32_t now_ms)
{
    if (c->auth_started) {
        return;
    }
    c->auth_started = true;
    c->auth_since_ms = now_ms;
    switch (c->cfg.auth) {
    case CHARGER_AUTH_AUTOSTART:
        charger_auth_decide(c, true, "autostart", now_ms);
        break;
    case CHARGER_AUTH_ALLOWLIST: {
        bool ok = false;
        for (unsigned i = 0; i < CFG_CHARGER_AUTH_IDS && !ok; i++) {
            ok = c->cfg.auth_ids[i][0] != '\0' && strcmp(c->cfg.auth_ids[i], c->current.evccid) == 0;
        }
        charger_auth_decide(c, ok, ok ? "EVCCID on the allow-list" : "EVCCID not on the allow-list",
                            now_ms);
        break;
    }
    case CHARGER_AUTH_EXTERNAL:
        charger_log(c, HAL_LOG_INFO, now_ms, "authorisation", "waiting for the external authoriser");
        break;
    }
}

/* ------------------------------------------------------------------ cable check */

static uint32_t charger_cc_voltage(const struct charger *c)
{
    if (c->cfg.cable_check_voltage_mv != 0) {
        /* A configured test voltage is still bounded by the EVSE maximum. */
        return c->cfg.cable_check_voltage_mv < (uint32_t)c->lim.max_mv ? c->cfg.cable_check_voltage_mv
                                                                        : (uint32_t)c->lim.max_mv;
    }
    const struct charger_limits *l = &c->lim;
    int32_t evmax = din_evse_ev(&c->din)->max_voltage_mv;
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

static void charger_cc_go(struct charger *c, enum charger_cc_step s, uint32_t now_ms)
{
    static const char *const names[] = {"idle",    "waiting for state C", "closing contactors",
                                        "ramping to the test voltage", "isolation self-test",
                                        "measuring insulation", "discharging", "passed", "failed"};
    c->cc = s;
    c->cc_since_ms = now_ms;
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

static void charger_cable_check(struct charger *c, uint32_t now_ms)
{
    uint32_t in = now_ms - c->cc_since_ms;
    enum pilot_state ps = pilot_state(&c->pilot);
    switch (c->cc) {
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
            c->cc_test_mv = charger_cc_voltage(c);
            uint32_t cc_ma = c->cfg.cable_check_current_ma < (uint32_t)c->lim.max_ma
                                 ? c->cfg.cable_check_current_ma : (uint32_t)c->lim.max_ma;
            charger_command(c, (int32_t)c->cc_test_mv, (int32_t)cc_ma, now_ms);
            (void)psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms);
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] cable check: test voltage %lu V, %lu mA limit",
                     c->cfg.name, (unsigned long)(c->cc_test_mv / 1000u),
                     (unsigned long)c->cfg.cable_check_current_ma);
            charger_cc_go(c, CHARGER_CC_RAMP, now_ms);
        } else if (in >= 5000u) {
            charger_cc_fail(c, ERRORS_SRC_SESSION, CHARGER_STOP_CABLE_CHECK,
                            "contactors did not close", now_ms);
        }
        break;
    case CHARGER_CC_RAMP: {
        int32_t d = c->present_mv - (int32_t)c->cc_test_mv;
        d = d < 0 ? -d : d;
        if (d <= (int32_t)c->cfg.cable_check_tolerance_mv) {
            if (c->io.imd == NULL) {
                if (!c->cfg.imd_lab_override) {
                    charger_cc_fail(c, ERRORS_SRC_IMD, (uint32_t)ISOLATION_ERR_DEVICE_FAULT,
                                    "no isolation monitor", now_ms);
                } else {
                    /* Nothing was measured: the result stays INVALID, which the status
                     * reports as Warning (never Valid) so that a lab car proceeds. */
                    charger_log(c, HAL_LOG_WARN, now_ms, "cable check", CHARGER_LAB_OVERRIDE_TEXT);
                    c->cc_result = ISOLATION_INVALID;
                    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
                    charger_cc_go(c, CHARGER_CC_DISCHARGE, now_ms);
                }
                break;
            }
            (void)isolation_start(c->io.imd, now_ms);
            int rc = isolation_self_test(c->io.imd, c->cc_test_mv / 1000u, now_ms);
            if (rc == HAL_ENOTSUP) {
                struct isolation_measurement m;
                (void)isolation_read(c->io.imd, &m, now_ms);
                c->cc_seq = m.seq;
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
        enum isolation_test t = isolation_self_test_result(c->io.imd);
        if (t == ISOLATION_TEST_PASSED) {
            struct isolation_measurement m;
            (void)isolation_read(c->io.imd, &m, now_ms);
            c->cc_seq = m.seq;
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
        bool measured = isolation_read(c->io.imd, &m, now_ms) == HAL_OK && m.valid && m.seq != c->cc_seq &&
                        (m.status == ISOLATION_VALID || m.status == ISOLATION_WARNING ||
                         m.status == ISOLATION_FAULT);
        if (measured) {
            c->cc_result = m.status;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] cable check: insulation %lu kOhm at %ld V: %s",
                     c->cfg.name, (unsigned long)(m.resistance_ohm / 1000u), (long)(c->present_mv / 1000),
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
        if (c->present_mv < CHARGER_SAFE_MV) {
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

/* ------------------------------------------------------------------ V2G */

static int charger_send(struct charger *c, size_t len, uint32_t now_ms)
{
    return c->io.link->ops->send(c->io.link, V2GTP_PT_EXI, c->out, (uint32_t)len, now_ms);
}

static void charger_handshake(struct charger *c, const uint8_t *p, uint32_t len, uint32_t now_ms)
{
    struct exi_reader r;
    struct exi_writer w;
    int chosen = -1;
    exi_reader_init(&r, p, len);
    if (exi_apphand_decode(&r, &c->app_req) != HAL_OK || !c->app_req.supportedAppProtocolReq_isUsed) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                      "undecodable supportedAppProtocolReq", now_ms);
        return;
    }
    if (apphand_select(&c->app_req, s_protocols, sizeof s_protocols / sizeof s_protocols[0],
                       &c->app_res, &chosen) != HAL_OK) {
        return;
    }
    exi_writer_init(&w, c->out, sizeof c->out);
    if (exi_apphand_encode(&w, &c->app_res) == HAL_OK) {
        (void)charger_send(c, exi_writer_len(&w), now_ms);
    }
    if (chosen < 0) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                      "no common protocol (EV offers no DIN 70121)", now_ms);
        return;
    }
    struct din_session_id id = {.len = 8};
    do {
        if (hal_rng_fill(c->io.rng, id.bytes, id.len) != HAL_OK) {
            charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                          "no random SessionID", now_ms);
            return;
        }
    } while (din_session_id_is_zero(&id));
    if (din_evse_start(&c->din, &c->cfg.din, &id, now_ms) != HAL_OK) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                      "DIN session refused its configuration", now_ms);
        return;
    }
    c->handshake_done = true;
    c->v2g = true;
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: protocol negotiated", APPHAND_NS_DIN);
    charger_goto(c, CHARGER_NEGOTIATING, now_ms);
}

static void charger_hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15u];
    }
    out[k] = '\0';
}

static void charger_power_off(struct charger *c, uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    /* Contactors open once the current has fallen: the interlock's power-down step. */
    interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
    if (c->io.imd != NULL) {
        (void)isolation_stop(c->io.imd, now_ms);
    }
    charger_meter_stop(c, now_ms);
}

static void charger_on_events(struct charger *c, const struct din_evse_request *out, uint32_t now_ms)
{
    uint32_t ev = out->events;
    if (ev & DIN_EVSE_EV_SESSION) {
        charger_hex(c->current.evccid, sizeof c->current.evccid, out->ev.evccid, out->ev.evccid_len);
        charger_log(c, HAL_LOG_INFO, now_ms, "V2G: session set up, EVCCID", c->current.evccid);
    }
    if (ev & DIN_EVSE_EV_AUTHORIZE) {
        charger_goto(c, CHARGER_AUTHORIZING, now_ms);
        charger_auth_begin(c, now_ms);
    }
    if (ev & DIN_EVSE_EV_CHARGE_PARAMS) {
        if (c->state != CHARGER_PARAMETERS) {
            c->current.soc_start = out->ev.soc;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] EV: SOC %u %%, max %ld V / %ld A, battery capacity %ld Wh", c->cfg.name,
                     out->ev.soc, (long)(out->ev.max_voltage_mv / 1000), (long)(out->ev.max_current_ma / 1000),
                     (long)out->ev.energy_capacity_wh);
            charger_goto(c, CHARGER_PARAMETERS, now_ms);
        }
    }
    if (ev & DIN_EVSE_EV_CABLE_CHECK) {
        charger_goto(c, CHARGER_CABLE_CHECK, now_ms);
        charger_cc_go(c, CHARGER_CC_WAIT_C, now_ms);
    }
    if (ev & DIN_EVSE_EV_PRECHARGE) {
        if (c->state != CHARGER_PRECHARGE) {
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pre-charge to %ld V (%ld mA)", c->cfg.name,
                     (long)(out->ev.target_voltage_mv / 1000), (long)out->ev.target_current_ma);
            charger_goto(c, CHARGER_PRECHARGE, now_ms);
        }
        charger_precharge(c, now_ms);
    }
    if (ev & DIN_EVSE_EV_POWER_ON) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power delivery on at %ld V", c->cfg.name,
                 (long)(c->present_mv / 1000));
        charger_goto(c, CHARGER_CHARGING, now_ms);
    }
    if (ev & DIN_EVSE_EV_CURRENT_DEMAND) {
        c->stats.cd_requests++;
        c->current.soc_end = out->ev.soc;
        if (c->current.first_cd_ms == 0) {
            c->current.first_cd_ms = now_ms - c->current.plugged_ms;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] first CurrentDemand %lu ms after plug-in",
                     c->cfg.name, (unsigned long)c->current.first_cd_ms);
        }
        if (c->state == CHARGER_CHARGING) {
            charger_regulate(c, now_ms);
        }
    }
    if (ev & DIN_EVSE_EV_EV_ERROR) {
        charger_set_reason(c, CHARGER_STOP_EV_ERROR, "EV reported an error code");
        charger_log(c, HAL_LOG_WARN, now_ms, "EV reports an error", "ramping down");
        if (c->state == CHARGER_CHARGING) {
            (void)psu_set_export(c->io.psu, (uint32_t)(c->set_mv > 0 ? c->set_mv : 0), 0, now_ms);
        }
    }
    if (ev & DIN_EVSE_EV_CHARGING_COMPLETE) {
        charger_log(c, HAL_LOG_INFO, now_ms, "EV", "charging complete");
    }
    if (ev & DIN_EVSE_EV_POWER_OFF) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power delivery off (EV at %u %%)",
                 c->cfg.name, out->ev.soc);
        c->current.soc_end = out->ev.soc;
        charger_power_off(c, now_ms);
        charger_goto(c, CHARGER_WELDING, now_ms);
    }
    if (ev & DIN_EVSE_EV_TIMEOUT) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_TIMEOUT, ERRORS_SEV_HIGH,
                      "DIN loop timed out", now_ms);
    }
    if (ev & DIN_EVSE_EV_PRECHARGE_LONG) {
        charger_log(c, HAL_LOG_WARN, now_ms, "pre-charge", "longer than 7 s (the EV owns that timer)");
    }
}

static void charger_session_end(struct charger *c, uint32_t now_ms)
{
    /* SessionStop: nothing flows any more; release the connector in the safe order. */
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    if (c->io.imd != NULL) {
        (void)isolation_stop(c->io.imd, now_ms);
    }
    charger_meter_stop(c, now_ms);
    interlock_request(&c->il, INTERLOCK_TARGET_UNLOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    charger_set_reason(c, c->stopping_gracefully ? CHARGER_STOP_LOCAL : CHARGER_STOP_EV, "");
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: session stopped", charger_stop_reason_name(c->stop_reason));
    /* SessionStopRes is queued: close after it went out (the EV closes first anyway). */
    c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
    charger_goto(c, CHARGER_STOPPING, now_ms);
}

static void charger_v2g_message(struct charger *c, const uint8_t *p, uint32_t len, bool act,
                                uint32_t now_ms)
{
    struct exi_reader r;
    exi_reader_init(&r, p, len);
    if (exi_din_decode(&r, &c->req) != HAL_OK) {
        charger_log(c, HAL_LOG_WARN, now_ms, "V2G", "undecodable message ignored");
        return;
    }
    charger_fill_status(c, now_ms);
    /* The limit flags of a CurrentDemandRes belong to the request it answers. */
    charger_preview_flags(c);
    struct din_evse_request out;
    int rc = din_evse_handle(&c->din, &c->req, &c->st, &c->res, &out, now_ms);
    if (rc != HAL_OK) {
        return;
    }
    struct exi_writer w;
    exi_writer_init(&w, c->out, sizeof c->out);
    if (exi_din_encode(&w, &c->res) == HAL_OK && charger_send(c, exi_writer_len(&w), now_ms) == HAL_OK) {
        din_evse_sent(&c->din, now_ms);
    } else {
        charger_log(c, HAL_LOG_ERROR, now_ms, "V2G", "response could not be sent");
    }
    if (!din_response_code_ok(out.response_code) && out.phase == DIN_EVSE_FAILED) {
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] V2G: answered %s with %s", c->cfg.name,
                 din_msg_name(out.msg), din_response_code_name(out.response_code));
    }
    if (!act) {
        return; /* the session has ended: answers only (FAILED), nothing more is done */
    }
    charger_on_events(c, &out, now_ms);
    if (out.events & DIN_EVSE_EV_SESSION_STOP) {
        charger_session_end(c, now_ms);
    } else if ((out.events & DIN_EVSE_EV_CLOSE) || out.phase == DIN_EVSE_FAILED) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                      "FAILED answer: session ended", now_ms);
        c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
    }
}

static void charger_v2g_io(struct charger *c, uint32_t now_ms)
{
    struct charger_link *l = c->io.link;
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    /* Bounded: at most two messages per pass. */
    for (int k = 0; k < 2 && !c->link_closed && l->ops->recv(l, &type, &p, &len) == HAL_OK; k++) {
        if (c->link_since_ms != 0 && !c->handshake_done && !c->v2g) {
            charger_log(c, HAL_LOG_INFO, now_ms, "V2G", "first message: SupportedAppProtocol");
        }
        if (type != V2GTP_PT_EXI) {
            /* not ours */
        } else if (!c->handshake_done) {
            charger_handshake(c, p, len, now_ms);
        } else if (c->v2g && !din_evse_over(&c->din)) {
            charger_v2g_message(c, p, len, charger_hlc_active(c->state), now_ms);
        }
        if (!c->link_closed) {
            l->ops->consume(l, now_ms);
        }
    }
    if (c->v2g && !din_evse_over(&c->din) && (din_evse_tick(&c->din, now_ms) & DIN_EVSE_EV_TIMEOUT)) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_TIMEOUT, ERRORS_SEV_HIGH,
                      "no request within the sequence timeout", now_ms);
    }
}

/* ------------------------------------------------------------------ sessions */

static void charger_session_begin(struct charger *c, uint32_t now_ms)
{
    c->stats.sessions++;
    memset(&c->current, 0, sizeof c->current);
    c->current.number = c->stats.sessions;
    c->current.plugged_ms = now_ms;
    c->current.soc_start = -1;
    c->current.soc_end = -1;
    c->stop_reason = CHARGER_STOP_NONE;
    c->stop_reason_graceful = false;
    c->stop_detail = "";
    c->stats.last_stop = CHARGER_STOP_NONE;
    c->stats.last_fault = INTERLOCK_FAULT_NONE;
    c->energy_mwh = 0;
    c->energy_at_ms = 0;
    c->max_set_mv = 0;
}

static void charger_hlc_begin(struct charger *c, uint32_t now_ms)
{
    charger_session_begin(c, now_ms);
    errors_session_begin(&c->err);
    errors_clear_source(&c->err, ERRORS_SRC_V2G);
    errors_clear_source(&c->err, ERRORS_SRC_EV);
    errors_clear_source(&c->err, ERRORS_SRC_LINK);
    errors_clear_source(&c->err, ERRORS_SRC_PILOT);
    errors_clear_source(&c->err, ERRORS_SRC_SESSION);
    errors_clear_source(&c->err, ERRORS_SRC_POWER_PATH);
    /* Device errors come back at the next poll if their cause is still there. */
    errors_clear_source(&c->err, ERRORS_SRC_METER);
    (void)errors_clear(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT);
    c->v2g = c->handshake_done = false;
    c->link_retries = 0;
    c->link_since_ms = now_ms;
    c->auth_started = c->auth_decided = c->auth_ok = false;
    c->auth_pending = c->auth_pending_ok = false;
    c->stopping_gracefully = c->emergency = c->powered_off = false;
    c->close_at_ms = 0;
    c->cc = CHARGER_CC_IDLE;
    c->cc_result = ISOLATION_INVALID;
    if (!c->tx_stop_pending) {
        c->tx = CHARGER_TX_NONE; /* else the last transaction is still being stopped */
    }
    c->ov_active = false;
    c->ov_err_active = false;
    c->target_over_since_ms = 0;
    c->max_set_mv = 0;
    c->set_mv = c->set_ma = 0;
    memset(&c->st, 0, sizeof c->st);
    memset(&c->din, 0, sizeof c->din);
    if (c->link_closed) {
        c->link_closed = false;
    }
    charger_set_duty(c, PILOT_DUTY_HLC, now_ms);
    interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
    if (c->io.imd == NULL && c->cfg.imd_lab_override) {
        charger_log(c, HAL_LOG_WARN, now_ms, "session", CHARGER_LAB_OVERRIDE_TEXT);
    }
    charger_log(c, HAL_LOG_INFO, now_ms, "EV plugged in", "waiting for SLAC");
    charger_goto(c, CHARGER_LINK, now_ms);
}

/* Read PP with the pilot. A board without PP answers HAL_ENOTSUP once: never asked again. */
static void charger_read_pp(struct charger *c, uint32_t now_ms)
{
    uint32_t ohms = UINT32_MAX;
    if (c->pp_unsupported) {
        return;
    }
    int rc = hal_pilot_read_proximity(c->io.pilot, &ohms);
    if (rc == HAL_ENOTSUP) {
        c->pp_unsupported = true;
        return;
    }
    if (rc != HAL_OK) {
        ohms = UINT32_MAX; /* unreadable counts as open */
    }
    c->pp_ohms = ohms;
    uint8_t bad = ohms < CHARGER_PP_SHORT_OHM ? (uint8_t)CHARGER_PP_SHORT
                  : ohms > CHARGER_PP_OPEN_OHM ? (uint8_t)CHARGER_PP_OPEN
                                               : (uint8_t)CHARGER_PP_OK;
    if (bad == CHARGER_PP_OK) {
        c->pp_bad = CHARGER_PP_OK;
        c->pp_bad_since_ms = 0;
    } else if (bad != c->pp_bad || c->pp_bad_since_ms == 0) {
        c->pp_bad = bad;
        c->pp_bad_since_ms = now_ms != 0 ? now_ms : 1u;
    }
}

/* A debounced bad proximity while the plug is in (pilot not A): the text, or NULL. */
static const char *charger_pp_fault(const struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (c->pp_unsupported || c->pp_bad == CHARGER_PP_OK || ps == PILOT_STATE_A ||
        now_ms - c->pp_bad_since_ms < CHARGER_PP_DEBOUNCE_MS) {
        return NULL;
    }
    return c->pp_bad == CHARGER_PP_SHORT ? "proximity shorted to PE" : "proximity open";
}

/* Conditions that end a running DIN session, checked before the per-state logic. */
static bool charger_hlc_abort(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
        c->stats.last_fault = interlock_fault(&c->il);
        charger_raise(c, ERRORS_SRC_POWER_PATH, (uint32_t)interlock_fault(&c->il), ERRORS_SEV_HIGH,
                      interlock_fault_name(interlock_fault(&c->il)), now_ms);
    } else if (ps == PILOT_STATE_A) {
        charger_raise(c, ERRORS_SRC_PILOT, CHARGER_STOP_UNPLUGGED, ERRORS_SEV_HIGH, "EV unplugged", now_ms);
    } else if (ps == PILOT_STATE_E || ps == PILOT_STATE_F) {
        bool diode = c->pilot.diode_fault;
        charger_raise(c, ERRORS_SRC_PILOT, diode ? CHARGER_STOP_DIODE_FAULT : CHARGER_STOP_PILOT_ERROR,
                      ERRORS_SEV_HIGH, diode ? "EV diode missing" : "pilot state E/F", now_ms);
    } else if (charger_pp_fault(c, ps, now_ms) != NULL) {
        charger_raise(c, ERRORS_SRC_PILOT, CHARGER_STOP_PROXIMITY, ERRORS_SEV_HIGH,
                      charger_pp_fault(c, ps, now_ms), now_ms);
    } else if (c->stop_requested) {
        c->stop_requested = false;
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_LOCAL, ERRORS_SEV_MEDIUM, "stop requested",
                      now_ms);
    }
    charger_react(c, now_ms);
    return !charger_hlc_active(c->state);
}

static void charger_hlc(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    struct charger_link *l = c->io.link;

    charger_limits(c, &c->lim);
    charger_measure(c, now_ms);
    charger_meter_events(c, now_ms);
    charger_poll_psu(c, now_ms);
    charger_poll_imd(c, now_ms);
    charger_poll_meter(c, now_ms);

    /* An emergency keeps the connection only long enough to answer FAILED. */
    if (c->close_at_ms != 0 && hal_time_reached(now_ms, c->close_at_ms)) {
        charger_close_link(c, now_ms);
    } else if (c->v2g && !c->link_closed && !charger_hlc_active(c->state)) {
        charger_fill_status(c, now_ms);
        charger_v2g_io(c, now_ms);
    }

    if (charger_hlc_active(c->state)) {
        if (charger_hlc_abort(c, ps, now_ms)) {
            return;
        }
        charger_v2g_io(c, now_ms);
        /* A lost connection counts after a moment, so an unplug (the pilot's 30 ms
         * debounce) is reported as what it is. */
        if (c->v2g && !din_evse_over(&c->din) && !c->link_closed &&
            l->ops->state(l) != CHARGER_LINK_CONNECTED) {
            if (c->link_lost_ms == 0) {
                c->link_lost_ms = now_ms != 0 ? now_ms : 1u;
            } else if (now_ms - c->link_lost_ms >= 100u) {
                charger_raise(c, ERRORS_SRC_LINK, 3, ERRORS_SEV_HIGH, "V2G connection lost", now_ms);
            }
        } else {
            c->link_lost_ms = 0;
        }
        if (charger_hlc_abort(c, ps, now_ms)) {
            return;
        }
    }

    switch (c->state) {
    case CHARGER_IDLE:
        if (ps == PILOT_STATE_B || ps == PILOT_STATE_C || ps == PILOT_STATE_D) {
            if (errors_any(&c->err, ERRORS_SRC_PSU, ERRORS_SEV_HIGH) || charger_held(c)) {
                break; /* the stage is faulted, or a fault waits for a reset: no session */
            }
            charger_hlc_begin(c, now_ms);
        }
        break;
    case CHARGER_LINK:
        if (l->ops->state(l) == CHARGER_LINK_FAILED) {
            if (c->link_retries < c->cfg.link_retries) {
                c->link_retries++;
                charger_log(c, HAL_LOG_WARN, now_ms, "SLAC failed, restarting", l->ops->reason(l));
                (void)l->ops->restart(l, now_ms);
            } else {
                charger_raise(c, ERRORS_SRC_LINK, 1, ERRORS_SEV_MEDIUM, "SLAC failed", now_ms);
            }
        } else if (now_ms - c->link_since_ms >= c->cfg.link_timeout_ms) {
            charger_raise(c, ERRORS_SRC_LINK, 2, ERRORS_SEV_MEDIUM, "no V2G session after plug-in",
                          now_ms);
        }
        break;
    case CHARGER_PARAMETERS:
        /* The transaction must run before power flows: retry a meter that was not ready. */
        if (c->io.meter != NULL && c->auth_decided && c->auth_ok && c->tx == CHARGER_TX_NONE) {
            /* Each refused start costs a journal slot: only ask a meter that answers,
             * and at most once a second. */
            uint32_t dev = 0;
            if (meter_status(c->io.meter_dev, &dev) == HAL_OK && now_ms - c->tx_since_ms >= 1000u) {
                c->tx_since_ms = now_ms;
                charger_meter_start(c, now_ms);
            }
            if (c->tx == CHARGER_TX_NONE && now_ms - c->auth_decided_ms >= c->cfg.meter_timeout_ms) {
                charger_raise(c, ERRORS_SRC_METER, (uint32_t)-HAL_EAGAIN, ERRORS_SEV_MEDIUM,
                              "meter not ready for a transaction", now_ms);
            }
        }
        break;
    case CHARGER_NEGOTIATING:
    case CHARGER_PRECHARGE:
    case CHARGER_WELDING:
        break;
    case CHARGER_AUTHORIZING:
        if (c->auth_pending && c->auth_started && !c->auth_decided) {
            /* charger_authorize() came between passes: decided now, with this pass's time. */
            charger_auth_decide(c, c->auth_pending_ok, "external authoriser", now_ms);
        } else if (c->cfg.auth == CHARGER_AUTH_EXTERNAL && !c->auth_decided &&
                   now_ms - c->auth_since_ms >= c->cfg.auth_timeout_ms) {
            charger_auth_decide(c, false, "external authorisation timed out", now_ms);
        }
        break;
    case CHARGER_CABLE_CHECK:
        charger_cable_check(c, now_ms);
        break;
    case CHARGER_CHARGING:
        if ((ps == PILOT_STATE_B) && pilot_confirmed(&c->pilot) && !c->powered_off) {
            /* The EV left C while power flowed: its emergency stop. */
            charger_log(c, HAL_LOG_WARN, now_ms, "EV went to state B while charging", "power off");
            if (c->link_lost_ms != 0) {
                /* The connection went first (TCP reset, PLC lost): the EV opened S2 because
                 * of it, so the link is the cause, not the EV. */
                charger_set_reason(c, CHARGER_STOP_LINK, "V2G connection lost; EV left state C");
            }
            charger_set_reason(c, CHARGER_STOP_EV, "EV left state C while charging");
            charger_power_off(c, now_ms);
            charger_goto(c, CHARGER_WELDING, now_ms);
        } else if (c->stopping_gracefully &&
                   now_ms - c->graceful_since_ms >= c->cfg.shutdown_grace_ms) {
            charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_LOCAL, ERRORS_SEV_HIGH,
                          "EV did not end the session after StopCharging", now_ms);
            charger_react(c, now_ms);
        }
        break;
    case CHARGER_STOPPING:
        if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
            charger_goto(c, CHARGER_FAULT, now_ms);
        } else if (interlock_state(&c->il) == INTERLOCK_UNLOCKED) {
            charger_goto(c, CHARGER_FINISHED, now_ms);
        }
        break;
    case CHARGER_FINISHED:
        if (ps == PILOT_STATE_A) {
            charger_close_link(c, now_ms);
            charger_goto(c, CHARGER_IDLE, now_ms);
        }
        break;
    case CHARGER_FAULT:
        if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
        }
        enum charger_state next = charger_fault_over(c, ps, now_ms);
        if (next != CHARGER_FAULT) {
            charger_close_link(c, now_ms);
            charger_goto(c, next, now_ms);
        }
        break;
    case CHARGER_CONNECTED:
    case CHARGER_READY:
    case CHARGER_ENERGIZING:
    case CHARGER_STATE_COUNT:
        break;
    }
}

/* ------------------------------------------------------------------ pilot-level session */

static bool charger_session_active(enum charger_state s)
{
    return s == CHARGER_CONNECTED || s == CHARGER_READY || s == CHARGER_ENERGIZING ||
           s == CHARGER_CHARGING;
}

/* Conditions that end any running session, checked before the per-state logic. */
static bool charger_check_abort(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
        c->stats.last_fault = interlock_fault(&c->il);
        charger_stop(c, CHARGER_STOP_POWER_PATH, interlock_fault_name(interlock_fault(&c->il)), now_ms);
    } else if (ps == PILOT_STATE_A) {
        charger_stop(c, CHARGER_STOP_UNPLUGGED, "", now_ms);
    } else if (ps == PILOT_STATE_E || ps == PILOT_STATE_F) {
        charger_stop(c, c->pilot.diode_fault ? CHARGER_STOP_DIODE_FAULT : CHARGER_STOP_PILOT_ERROR, "",
                     now_ms);
    } else if (charger_pp_fault(c, ps, now_ms) != NULL) {
        charger_stop(c, CHARGER_STOP_PROXIMITY, charger_pp_fault(c, ps, now_ms), now_ms);
    } else if (c->stop_requested) {
        charger_stop(c, CHARGER_STOP_LOCAL, "", now_ms);
    } else {
        return false;
    }
    return true;
}

static void charger_session(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    bool ev_ready = ps == PILOT_STATE_C || ps == PILOT_STATE_D;

    charger_limits(c, &c->lim);
    charger_measure(c, now_ms);
    if (charger_session_active(c->state) && charger_check_abort(c, ps, now_ms)) {
        return;
    }
    switch (c->state) {
    case CHARGER_IDLE:
        if ((ps == PILOT_STATE_B || ev_ready) && !charger_held(c)) {
            charger_session_begin(c, now_ms);
            charger_set_duty(c, PILOT_DUTY_HLC, now_ms);
            interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
            charger_goto(c, CHARGER_CONNECTED, now_ms);
        }
        break;
    case CHARGER_CONNECTED:
        if (interlock_state(&c->il) == INTERLOCK_LOCKED) {
            charger_goto(c, CHARGER_READY, now_ms);
        }
        break;
    case CHARGER_READY:
        if (ev_ready && pilot_confirmed(&c->pilot)) {
            interlock_request(&c->il, INTERLOCK_TARGET_CLOSED);
            charger_goto(c, CHARGER_ENERGIZING, now_ms);
        }
        break;
    case CHARGER_ENERGIZING:
        if (!ev_ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (interlock_power_allowed(&c->il)) {
            /* The pilot-level setpoint obeys the same EVSE limits as a DIN session. */
            int32_t mv = (int32_t)c->cfg.export_voltage_mv < c->lim.max_mv ? (int32_t)c->cfg.export_voltage_mv
                                                                           : c->lim.max_mv;
            int32_t ma = (int32_t)c->cfg.export_current_ma < c->lim.max_ma ? (int32_t)c->cfg.export_current_ma
                                                                           : c->lim.max_ma;
            charger_command(c, mv, ma, now_ms);
            if (psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms) == HAL_OK) {
                charger_goto(c, CHARGER_CHARGING, now_ms);
            }
        }
        break;
    case CHARGER_CHARGING:
        if (!ev_ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (!interlock_power_allowed(&c->il)) {
            /* Defence in depth: the interlock already powers down on its own. */
            (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
        }
        break;
    case CHARGER_STOPPING:
        if (interlock_state(&c->il) == INTERLOCK_UNLOCKED) {
            charger_goto(c, CHARGER_FINISHED, now_ms);
        } else if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
            charger_goto(c, CHARGER_FAULT, now_ms);
        }
        break;
    case CHARGER_FINISHED:
        if (ps == PILOT_STATE_A) {
            charger_goto(c, CHARGER_IDLE, now_ms);
        }
        break;
    case CHARGER_FAULT:
        if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
        }
        enum charger_state next = charger_fault_over(c, ps, now_ms);
        if (next != CHARGER_FAULT) {
            charger_goto(c, next, now_ms);
        }
        break;
    default:
        break;
    }
}

static void charger_step(struct sched_task *t, uint32_t now_ms)
{
    struct charger *c = t->ctx;
    struct hal_pilot_sample sample;
    struct pilot_event ev;

    interlock_step(&c->il, now_ms);
    if (interlock_state(&c->il) != c->logged_il_state) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power path %s -> %s%s%s", c->cfg.name,
                 interlock_state_name(c->logged_il_state), interlock_state_name(interlock_state(&c->il)),
                 interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? ", fault: " : "",
                 interlock_fault(&c->il) != INTERLOCK_FAULT_NONE
                     ? interlock_fault_name(interlock_fault(&c->il))
                     : "");
        c->logged_il_state = interlock_state(&c->il);
    }
    int rc = hal_pilot_read(c->io.pilot, &sample);
    if (rc == HAL_OK) {
        if (pilot_update(&c->pilot, &sample, now_ms, &ev)) {
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pilot %s -> %s%s", c->cfg.name,
                     pilot_state_name(ev.from), pilot_state_name(ev.to),
                     ev.diode_fault ? " (diode missing)" : "");
        }
    } else if (rc != HAL_EAGAIN) {
        /* An unreadable pilot is treated as state E once it persists past the debounce. */
        static const struct hal_pilot_sample broken = {0, 0};
        (void)pilot_update(&c->pilot, &broken, now_ms, &ev);
    }
    charger_read_pp(c, now_ms);
    if (c->io.link != NULL) {
        charger_hlc(c, now_ms);
    } else {
        charger_session(c, now_ms);
    }
    sched_task_at(t, now_ms + CFG_INTERLOCK_PERIOD_MS);
}

int charger_init(struct charger *c, const struct charger_config *cfg,
                 const struct charger_ports *ports, struct sched *s, uint32_t now_ms)
{
    if (ports->pilot == NULL || ports->gpio == NULL || ports->psu == NULL ||
        (ports->link != NULL && ports->rng == NULL) || (ports->meter != NULL && ports->meter_dev == NULL) ||
        cfg->name[0] == '\0' || memchr(cfg->name, '\0', sizeof cfg->name) == NULL) {
        return HAL_EINVAL;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->io = *ports;
    errors_init(&c->err);
    pilot_init(&c->pilot, &cfg->pilot);
    int rc = interlock_init(&c->il, &cfg->interlock, ports->gpio, ports->psu, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    pilot_set_duty(&c->pilot, HAL_PILOT_DUTY_DC_HIGH);
    (void)hal_pilot_set_duty(ports->pilot, HAL_PILOT_DUTY_DC_HIGH);
    interlock_set_voltage_source(&c->il, charger_connector_voltage, c);
    c->logged_il_state = interlock_state(&c->il);
    hal_logf(c->io.log, interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? HAL_LOG_ERROR : HAL_LOG_INFO,
             now_ms, "[%s] power path at start: %s%s%s", c->cfg.name,
             interlock_state_name(interlock_state(&c->il)),
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? ", fault: " : "",
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? interlock_fault_name(interlock_fault(&c->il)) : "");
    c->state = CHARGER_IDLE;
    c->state_since_ms = now_ms;
    c->stop_detail = "";
    if (c->io.imd == NULL && c->cfg.imd_lab_override) {
        charger_log(c, HAL_LOG_WARN, now_ms, "start", CHARGER_LAB_OVERRIDE_TEXT);
    }
    sched_task_init(&c->task, c->cfg.name, charger_step, c, c->io.link != NULL);
    return sched_add(s, &c->task, now_ms);
}

void charger_request_stop(struct charger *c)
{
    c->stop_requested = true;
}

void charger_authorize(struct charger *c, bool accepted)
{
    /* Only noted here: the decision is taken on the connector's next pass, whose time is
     * the present (the caller has no clock of the loop, and the state's start time is
     * not the present). */
    if (c->state == CHARGER_AUTHORIZING && c->auth_started && !c->auth_decided) {
        c->auth_pending = true;
        c->auth_pending_ok = accepted;
    }
}

enum charger_reset_result charger_reset(struct charger *c, uint32_t now_ms, const char **why)
{
    enum interlock_state is = interlock_state(&c->il);
    const char *w = "";
    enum interlock_fault f = interlock_fault(&c->il);
    if (!charger_held(c) && f == INTERLOCK_FAULT_NONE) {
        w = "nothing is held";
        if (why != NULL) {
            *why = w;
        }
        return CHARGER_RESET_NOTHING;
    }
    if (charger_energised(c) || is == INTERLOCK_CLOSING || is == INTERLOCK_CLOSED ||
        is == INTERLOCK_POWER_DOWN || is == INTERLOCK_OPENING) {
        if (why != NULL) {
            *why = "the power path is energised or still switching off";
        }
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset refused: still energised",
                 c->cfg.name);
        return CHARGER_RESET_ENERGISED;
    }
    if (f != INTERLOCK_FAULT_NONE && interlock_reset(&c->il, now_ms, &w) != HAL_OK) {
        if (why != NULL) {
            *why = w;
        }
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset refused: %s", c->cfg.name, w);
        return CHARGER_RESET_REFUSED;
    }
    hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset: cleared %s", c->cfg.name,
             c->held_text != NULL ? c->held_text : interlock_fault_name(f));
    c->held_text = NULL;
    c->operator_reset = c->state == CHARGER_FAULT; /* back to service (see charger_fault_over) */
    errors_clear_source(&c->err, ERRORS_SRC_POWER_PATH);
    (void)errors_clear(&c->err, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE);
    (void)errors_clear(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT);
    if (why != NULL) {
        *why = "";
    }
    return CHARGER_RESET_DONE;
}

const char *charger_held_fault(const struct charger *c)
{
    if (c->held_text != NULL) {
        return c->held_text;
    }
    enum interlock_fault f = interlock_fault(&c->il);
    return interlock_fault_held(f) ? interlock_fault_name(f) : NULL;
}

const char *charger_reset_result_name(enum charger_reset_result r)
{
    switch (r) {
    case CHARGER_RESET_DONE:
        return "done";
    case CHARGER_RESET_NOTHING:
        return "nothing to reset";
    case CHARGER_RESET_ENERGISED:
        return "refused: energised";
    case CHARGER_RESET_REFUSED:
        return "refused";
    }
    return "?";
}

void charger_set_power_limit(struct charger *c, uint32_t watts)
{
    c->power_limit_w = watts;
}

const struct charger_session_record *charger_history(const struct charger *c, uint32_t index)
{
    uint32_t kept = c->history_count < CFG_CHARGER_HISTORY ? c->history_count : CFG_CHARGER_HISTORY;
    if (index >= kept) {
        return NULL;
    }
    return &c->history[(c->history_count - kept + index) % CFG_CHARGER_HISTORY];
}

const struct charger_session_record *charger_session_in_progress(const struct charger *c)
{
    return c->current.number != 0 ? &c->current : NULL;
}

const struct errors *charger_errors(const struct charger *c)
{
    return &c->err;
}

enum charger_state charger_state(const struct charger *c)
{
    return c->state;
}

const struct charger_stats *charger_stats(const struct charger *c)
{
    return &c->stats;
}

const char *charger_state_name(enum charger_state s)
{
    static const char *const names[CHARGER_STATE_COUNT] = {
        "idle",        "connected",   "ready",      "energizing", "charging",
        "stopping",    "finished",    "fault",      "link",       "negotiating",
        "authorizing", "parameters",  "cable-check", "pre-charge", "welding-detection"};
    return (unsigned)s < CHARGER_STATE_COUNT ? names[s] : "?";
}

const char *charger_stop_reason_name(enum charger_stop_reason r)
{
    static const char *const names[CHARGER_STOP_COUNT] = {
        "none",           "EV stopped",        "unplugged",           "pilot error",
        "diode fault",    "power path fault",  "local stop",          "EV error",
        "authorisation refused", "insulation fault", "cable check failed", "power stage error",
        "meter error",    "isolation monitor error", "link to the EV failed", "V2G timeout",
        "V2G protocol error", "over-voltage", "proximity fault",
        "EV target above the EVSE maximum", "output voltage not measured"};
    return (unsigned)r < CHARGER_STOP_COUNT ? names[r] : "?";
}

const char *charger_stop_reason_token(enum charger_stop_reason r)
{
    static const char *const names[CHARGER_STOP_COUNT] = {
        "none",  "ev",         "unplugged", "pilot",   "diode", "power-path",
        "local", "ev-error",   "auth",      "isolation", "cable-check", "psu",
        "meter", "imd",        "link",      "v2g-timeout", "v2g-protocol", "over-voltage", "proximity",
        "ev-limits", "no-voltage"};
    return (unsigned)r < CHARGER_STOP_COUNT ? names[r] : "?";
}

bool charger_output_voltage(const struct charger *c, struct charger_voltage *out)
{
    *out = c->volt;
    return c->volt.fresh;
}

void charger_set_voltage_sources(struct charger *c, uint8_t mask)
{
    c->cfg.voltage_sources = mask;
}

