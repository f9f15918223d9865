/*
 * Fault-injection scenarios (issue 8): the table, the actions, the recorder and the
 * invariants. Every invariant is judged from samples of the simulated physical state
 * (contacts, lock pin, stage output, module states, journal records), never from logs.
 */
#include "faults.h"

#include <string.h>

#include "din/din.h"
#include "exi/exi_stream.h"

/* The sim's interlock power-down timeout (board/sim/sim_board.c) with a little margin. */
#define FAULTS_FORCED_MS 1400u
/* A car that cannot leave by itself is unplugged this long after the connector unlocked. */
#define FAULTS_DRIVER_MS 3000u

#define S_(n, w, k, at, d, arg, stop, ev, fl) {n, w, k, at, d, arg, stop, ev, fl}
/* Power loss: the interrupted session's record is lost with the RAM; the first record
 * after the restart is the next car's (stopped by the EV). */
#define PL_(n, w, at, d, seed, fl)                                                                 \
    S_("power-loss-" n, "the charger loses power " w, FAULTS_POWER_LOSS, at, d, seed, CHARGER_STOP_EV, \
       FAULTS_EVR_NA, fl)
/* The seeded instant of power-loss-random-N: 0..27 s after the first plug-in. */
#define FAULTS_RANDOM_SPAN_MS 27000u

static uint32_t faults_seed_ms(uint32_t seed)
{
    uint64_t z = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull; /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)(z % FAULTS_RANDOM_SPAN_MS);
}

static const struct faults_scenario s_scen[] = {
    /* emergency stop in every phase */
    S_("estop-link", "e-stop pressed during SLAC", FAULTS_ESTOP, CHARGER_LINK, 300, 0,
       CHARGER_STOP_POWER_PATH, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("estop-negotiating", "e-stop pressed during SessionSetup..PaymentSelection", FAULTS_ESTOP,
       CHARGER_NEGOTIATING, 0, 0, CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER),
    S_("estop-parameters", "e-stop pressed during ChargeParameterDiscovery", FAULTS_ESTOP,
       CHARGER_PARAMETERS, 0, 0, CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER),
    S_("estop-cable-check", "e-stop pressed 1 s into the cable check (contactors closed)", FAULTS_ESTOP,
       CHARGER_CABLE_CHECK, 1000, 0, CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER),
    S_("estop-precharge", "e-stop pressed during pre-charge", FAULTS_ESTOP, CHARGER_PRECHARGE, 20, 0,
       CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER),
    S_("estop-charging", "e-stop pressed 2 s into current demand", FAULTS_ESTOP, CHARGER_CHARGING, 2000, 0,
       CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("estop-welding", "e-stop pressed during welding detection", FAULTS_ESTOP, CHARGER_WELDING, 10, 0,
       CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    /* the EV stops answering in each phase */
    S_("ev-silent-link", "the EV hangs during SLAC", FAULTS_EV_FREEZE, CHARGER_LINK, 300, 0,
       CHARGER_STOP_LINK, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("ev-silent-negotiating", "the EV hangs after SupportedAppProtocol", FAULTS_EV_FREEZE,
       CHARGER_NEGOTIATING, 0, 0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("ev-silent-parameters", "the EV hangs during ChargeParameterDiscovery", FAULTS_EV_FREEZE,
       CHARGER_PARAMETERS, 0, 0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("ev-silent-cable-check", "the EV hangs during the cable check", FAULTS_EV_FREEZE,
       CHARGER_CABLE_CHECK, 500, 0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("ev-silent-precharge", "the EV hangs during pre-charge", FAULTS_EV_FREEZE, CHARGER_PRECHARGE, 20,
       0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("ev-silent-charging", "the EV hangs 2 s into current demand (contactors closed, current flowing)",
       FAULTS_EV_FREEZE, CHARGER_CHARGING, 2000, 0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA,
       FAULTS_F_CHARGED),
    S_("ev-silent-welding", "the EV hangs during welding detection", FAULTS_EV_FREEZE, CHARGER_WELDING,
       10, 0, CHARGER_STOP_V2G_TIMEOUT, FAULTS_EVR_NA, FAULTS_F_CHARGED),
    /* the EV misbehaves on the wire */
    S_("ev-wrong-sequence", "the EV sends CableCheckReq while charging", FAULTS_EV_SEQUENCE,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("ev-wrong-session-id", "the EV sends a wrong SessionID while charging", FAULTS_EV_SESSION_ID,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("ev-target-voltage", "EVTargetVoltage 1500 V while charging (must be clamped)", FAULTS_EV_TARGET_V,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED | FAULTS_F_CLAMP_V),
    S_("ev-target-current", "EVTargetCurrent 3000 A while charging (must be clamped)", FAULTS_EV_TARGET_I,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED | FAULTS_F_CLAMP_I),
    S_("ev-error-code", "EVErrorCode FAILED_RESSTemperatureInhibit in CurrentDemandReq", FAULTS_EV_ERROR,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV_ERROR, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED),
    S_("ev-not-ready", "EVReady false in every CurrentDemandReq (current must go to 0)", FAULTS_EV_NOT_READY,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED | FAULTS_F_ZERO_I),
    S_("tcp-reset-charging", "the V2GTP TCP connection is reset while charging", FAULTS_TCP_RESET,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_LINK, FAULTS_EVR_NA, FAULTS_F_CHARGED),
    /* pilot and proximity */
    S_("pilot-e-charging", "CP shorted to PE (state E) while charging", FAULTS_PILOT_E, CHARGER_CHARGING,
       2000, 0, CHARGER_STOP_PILOT_ERROR, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("pilot-f-charging", "CP at -12 V (state F) while charging", FAULTS_PILOT_F, CHARGER_CHARGING, 2000,
       0, CHARGER_STOP_PILOT_ERROR, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("pp-short-charging", "proximity (PP) shorted to PE while charging", FAULTS_PP_SHORT,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PROXIMITY, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("pp-open-charging", "proximity (PP) line open while charging (plug in, pilot C)", FAULTS_PP_OPEN,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PROXIMITY, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("unplug-charging", "plug pulled under load (pilot to A)", FAULTS_UNPLUG, CHARGER_CHARGING, 2000, 0,
       CHARGER_STOP_UNPLUGGED, FAULTS_EVR_NA, FAULTS_F_CHARGED),
    /* insulation */
    S_("isolation-cable-check", "insulation 50 kOhm from the start of the cable check",
       FAULTS_ISOLATION, CHARGER_CABLE_CHECK, 0, 0, CHARGER_STOP_ISOLATION, FAULTS_EVR_EMERGENCY,
       FAULTS_F_NO_POWER),
    S_("isolation-charging", "insulation drops to 50 kOhm while charging", FAULTS_ISOLATION,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_ISOLATION, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("imd-device-charging", "the isolation monitor fails while charging", FAULTS_IMD_DEVICE,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_IMD, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    /* over-voltage (IEC 61851-23: 9 ms emergency, 400 ms error, 2.5 s escalation) */
    S_("ov-emergency-9ms", "output 25 % above the EV's maximum while charging (the ideal stage's "
       "instant read-back alone: the firmware's own 9 ms rule)", FAULTS_OV,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_IDEAL | FAULTS_F_CHARGED | FAULTS_F_OV_9MS | FAULTS_F_VSRC(CHARGER_VSRC_STAGE)),
    S_("ov-spike-5ms", "a 5 ms over-voltage spike while charging (no stop)", FAULTS_OV_SPIKE,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_IDEAL | FAULTS_F_CHARGED),
    S_("ov-error-400ms", "output 5 % above the EV's maximum, below the emergency limit", FAULTS_OV_NEAR,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_IDEAL | FAULTS_F_CHARGED | FAULTS_F_OV_400MS),
    /* over-voltage with the real InfyPower driver: the detection time per voltage source */
    S_("ov-infy-9ms", "InfyPower: the modules' output runs away to 25 % above the EV's maximum "
       "(every source, over-voltage monitor fitted)", FAULTS_OV, CHARGER_CHARGING, 2000, 0,
       CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED | FAULTS_F_OV_9MS),
    S_("ov-infy-ovm", "InfyPower runaway, watched by the over-voltage monitor alone", FAULTS_OV,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_OV_9MS | FAULTS_F_VSRC(CHARGER_VSRC_OVM)),
    S_("ov-infy-imd", "InfyPower runaway, watched by the isolation monitor's voltage alone", FAULTS_OV,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_OV_SLOW | FAULTS_F_VSRC(CHARGER_VSRC_IMD)),
    S_("ov-infy-meter", "InfyPower runaway, watched by the meter's voltage alone", FAULTS_OV,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_OV_SLOW | FAULTS_F_VSRC(CHARGER_VSRC_METER)),
    S_("ov-infy-stage", "InfyPower runaway, watched by the modules' own read-back alone", FAULTS_OV,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_OV_SLOW | FAULTS_F_VSRC(CHARGER_VSRC_STAGE)),
    S_("ov-infy-spike-5ms", "InfyPower: a 5 ms over-voltage spike while charging (no stop)", FAULTS_OV_SPIKE,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED),
    S_("ov-infy-error-400ms", "InfyPower: output 5 % above the EV's maximum, below the emergency limit",
       FAULTS_OV_NEAR, CHARGER_CHARGING, 2000, 0, CHARGER_STOP_OVER_VOLTAGE, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_OV_400MS),
    /* power stage */
    S_("module-otp-one", "one power module over-temperature while charging", FAULTS_MOD_OTP,
       CHARGER_CHARGING, 2000, 1, CHARGER_STOP_PSU, FAULTS_EVR_SHUTDOWN, FAULTS_F_CHARGED),
    S_("module-otp-all", "every power module over-temperature while charging", FAULTS_MOD_OTP,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PSU, FAULTS_EVR_SHUTDOWN, FAULTS_F_CHARGED),
    S_("module-short", "one power module reports an output short circuit", FAULTS_MOD_SHORT,
       CHARGER_CHARGING, 2000, 1, CHARGER_STOP_PSU, FAULTS_EVR_SHUTDOWN, FAULTS_F_CHARGED),
    S_("module-lost-one", "one power module goes silent on the bus while charging", FAULTS_MOD_LOST,
       CHARGER_CHARGING, 2000, 1, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED),
    S_("module-lost-all", "every power module goes silent while charging", FAULTS_MOD_LOST,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PSU, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("can-bus-off", "the power stage's CAN controller goes bus-off while charging", FAULTS_CAN_BUSOFF,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PSU, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED | FAULTS_F_FORCED_OK),
    S_("psu-stuck", "the modules ignore 'off' for 2 s after an e-stop", FAULTS_PSU_STUCK,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY,
       FAULTS_F_CHARGED | FAULTS_F_FORCED_OK),
    /* meter */
    S_("meter-silent-start", "the meter does not answer the transaction start", FAULTS_METER_SILENT,
       CHARGER_AUTHORIZING, 0, 0, CHARGER_STOP_METER, FAULTS_EVR_NA, FAULTS_F_NO_POWER),
    S_("meter-silent-charging", "the meter stops answering while charging", FAULTS_METER_SILENT,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_METER, FAULTS_EVR_SHUTDOWN, FAULTS_F_CHARGED),
    S_("meter-reboot-charging", "the meter restarts while charging and forgets the transaction",
       FAULTS_METER_REBOOT, CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED),
    S_("meter-stop-lost", "the answers to the meter's transaction stop are lost 3 times (a stop taken, "
       "then timed out: the transaction stays open in the meter)", FAULTS_METER_STOP_LOST, CHARGER_CHARGING,
       2000, 3, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED),
    S_("meter-ocmf-corrupt", "the meter's stop record has a corrupted signature", FAULTS_METER_OCMF,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED | FAULTS_F_OCMF_BAD),
    /* power path */
    S_("contactor-welded", "DC+ welds while charging (welding detection must catch it)", FAULTS_WELD,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_EV, FAULTS_EVR_NA, FAULTS_F_CHARGED | FAULTS_F_HELD),
    S_("contactor-feedback", "DC- feedback reads open while the contact is closed", FAULTS_FB_MISMATCH,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("lock-feedback", "lock feedback drops while charging", FAULTS_LOCK_FB, CHARGER_CHARGING, 2000, 0,
       CHARGER_STOP_POWER_PATH, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED),
    S_("operator-stop", "the operator stops the session while charging", FAULTS_EVSE_STOP,
       CHARGER_CHARGING, 2000, 0, CHARGER_STOP_LOCAL, FAULTS_EVR_SHUTDOWN, FAULTS_F_CHARGED),
    /* start-up and power loss (main.c) */
    S_("config-corrupt", "invalid configuration at start-up (refused; a valid one then charges)",
       FAULTS_CONFIG, CHARGER_IDLE, 0, 0, CHARGER_STOP_EV, FAULTS_EVR_NA, FAULTS_F_CHARGED),
    /* power loss of the whole charger: the firmware restarts from the kept NVS; the record
     * of the interrupted session is the journal's (recovered), the next car charges */
    PL_("link", "during SLAC", CHARGER_LINK, 300, 0, 0),
    PL_("cable-check", "1 s into the cable check (contactors closed)", CHARGER_CABLE_CHECK, 1000, 0, 0),
    PL_("precharge", "during pre-charge", CHARGER_PRECHARGE, 20, 0, 0),
    PL_("charging", "5 s into current demand (200 A flowing)", CHARGER_CHARGING, 5000, 0, 0),
    PL_("meter-stop", "right after the meter stop request, before the record is stored", CHARGER_CHARGING,
        0, 0, FAULTS_F_AT_METER_STOP),
    PL_("welding", "during welding detection", CHARGER_WELDING, 10, 0, 0),
    PL_("random-1", "at a seeded instant (seed 1)", CHARGER_LINK, 0, 1, FAULTS_F_RANDOM),
    PL_("random-2", "at a seeded instant (seed 2)", CHARGER_LINK, 0, 2, FAULTS_F_RANDOM),
    PL_("random-3", "at a seeded instant (seed 3)", CHARGER_LINK, 0, 3, FAULTS_F_RANDOM),
    PL_("random-4", "at a seeded instant (seed 4)", CHARGER_LINK, 0, 4, FAULTS_F_RANDOM),
    PL_("random-5", "at a seeded instant (seed 5)", CHARGER_LINK, 0, 5, FAULTS_F_RANDOM),
    PL_("random-6", "at a seeded instant (seed 6)", CHARGER_LINK, 0, 6, FAULTS_F_RANDOM),
    PL_("random-7", "at a seeded instant (seed 7)", CHARGER_LINK, 0, 7, FAULTS_F_RANDOM),
    PL_("random-8", "at a seeded instant (seed 8)", CHARGER_LINK, 0, 8, FAULTS_F_RANDOM),
    PL_("random-9", "at a seeded instant (seed 9)", CHARGER_LINK, 0, 9, FAULTS_F_RANDOM),
    PL_("random-10", "at a seeded instant (seed 10)", CHARGER_LINK, 0, 10, FAULTS_F_RANDOM),
    PL_("random-11", "at a seeded instant (seed 11)", CHARGER_LINK, 0, 11, FAULTS_F_RANDOM),
    PL_("random-12", "at a seeded instant (seed 12)", CHARGER_LINK, 0, 12, FAULTS_F_RANDOM),
};

#define FAULTS_N (sizeof s_scen / sizeof s_scen[0])

const struct faults_scenario *faults_find(const char *name)
{
    for (size_t i = 0; i < FAULTS_N; i++) {
        if (strcmp(s_scen[i].name, name) == 0) {
            return &s_scen[i];
        }
    }
    return NULL;
}

void faults_list(FILE *f)
{
    for (size_t i = 0; i < FAULTS_N; i++) {
        fprintf(f, "%s\n", s_scen[i].name);
    }
}

void faults_setup(struct faults_run *r, const struct faults_scenario *sc, const struct faults_target *t)
{
    memset(r, 0, sizeof *r);
    r->sc = sc;
    r->t = *t;
    r->evse_status = 0xFF;
    r->vsources = t->charger->cfg.voltage_sources;
    faults_check_init(&r->chk, 20);
    r->last_state = CHARGER_IDLE;
}

void faults_fail(struct faults_run *r, enum faults_inv i, uint32_t now_ms, const char *note)
{
    faults_check_fail(&r->chk, i, now_ms, note);
}

/* ------------------------------------------------------------------ actions */

static void faults_fire(struct faults_run *r, uint32_t now_ms)
{
    struct faults_target *t = &r->t;
    struct plant *p = t->plant;
    const struct faults_scenario *sc = r->sc;
    r->fired = true;
    r->fired_ms = now_ms;
    hal_logf(p->log, HAL_LOG_WARN, now_ms, "[%s] faults: injecting %s (%s)", p->name, sc->name, sc->what);
    if (sc->flags & FAULTS_F_VSRC_MASK) {
        charger_set_voltage_sources(t->charger,
                                    (uint8_t)((sc->flags & FAULTS_F_VSRC_MASK) >> FAULTS_F_VSRC_SHIFT));
    }
    int n = t->modules != NULL ? t->modules->n : 0;
    int k = sc->arg == 0 ? n : (int)sc->arg < n ? (int)sc->arg : n;
    switch (sc->kind) {
    case FAULTS_ESTOP:
        plant_inject(p, PLANT_FAULT_ESTOP);
        break;
    case FAULTS_UNPLUG:
        plant_inject(p, PLANT_FAULT_UNPLUG);
        break;
    case FAULTS_PILOT_E:
        p->pilot_force = 'E';
        break;
    case FAULTS_PILOT_F:
        p->pilot_force = 'F';
        break;
    case FAULTS_PP_SHORT:
        p->pp_short = true;
        break;
    case FAULTS_PP_OPEN:
        p->pp_open = true;
        break;
    case FAULTS_EV_FREEZE:
        r->ev_frozen = true;
        break;
    case FAULTS_EV_SEQUENCE:
    case FAULTS_EV_SESSION_ID:
    case FAULTS_EV_TARGET_V:
    case FAULTS_EV_TARGET_I:
    case FAULTS_EV_ERROR:
    case FAULTS_EV_NOT_READY:
        r->mutate_active = true;
        break;
    case FAULTS_TCP_RESET:
        sim_link_reset(t->link);
        break;
    case FAULTS_ISOLATION:
        sim_imd_set_resistance(t->imd, 50000u);
        break;
    case FAULTS_IMD_DEVICE:
        sim_imd_set_fault(t->imd, SIM_IMD_FAULT_DEVICE);
        break;
    case FAULTS_OV:
        p->ov_target_mv = sc->arg != 0 ? (int32_t)sc->arg : r->ev_max_mv + r->ev_max_mv / 4;
        break;
    case FAULTS_OV_NEAR:
        p->ov_target_mv = r->ev_max_mv + r->ev_max_mv / 20;
        break;
    case FAULTS_OV_SPIKE:
        p->ov_target_mv = r->ev_max_mv + r->ev_max_mv / 4;
        r->spike_left = 5;
        break;
    case FAULTS_MOD_OTP:
    case FAULTS_MOD_SHORT:
        for (int i = 0; i < k; i++) {
            sim_infy_fault(t->modules, &t->modules->mod[i],
                           sc->kind == FAULTS_MOD_OTP ? SIM_INFY_FAULT_OVER_TEMP : SIM_INFY_FAULT_SHORT);
        }
        break;
    case FAULTS_MOD_LOST:
        for (int i = 0; i < k; i++) {
            t->modules->mod[i].mute = true;
        }
        break;
    case FAULTS_CAN_BUSOFF:
        t->can->bus_off = true;
        break;
    case FAULTS_METER_SILENT:
        sim_meter_set_no_answer(t->meter, true);
        break;
    case FAULTS_METER_REBOOT:
        sim_meter_reboot(t->meter);
        break;
    case FAULTS_METER_STOP_LOST:
        sim_meter_lose_stops(t->meter, (uint8_t)sc->arg);
        break;
    case FAULTS_METER_OCMF:
        t->meter->corrupt_ocmf = true;
        break;
    case FAULTS_WELD:
        plant_inject(p, PLANT_FAULT_WELD);
        break;
    case FAULTS_FB_MISMATCH:
        p->fb_neg_lost = true;
        break;
    case FAULTS_LOCK_FB:
        plant_inject(p, PLANT_FAULT_LOCK);
        break;
    case FAULTS_PSU_STUCK:
        plant_inject(p, PLANT_FAULT_PSU_STUCK);
        plant_inject(p, PLANT_FAULT_ESTOP);
        break;
    case FAULTS_EVSE_STOP:
        plant_inject(p, PLANT_FAULT_EVSE_STOP);
        break;
    case FAULTS_POWER_LOSS: {
        /* What the journal and the meter hold at the instant; main.c cuts the power. */
        uint32_t seq = 0;
        struct journal_entry e;
        while (journal_next(t->journal, seq, JOURNAL_FREE, &seq) == HAL_OK) {
            r->pl_records++;
        }
        r->pl_meter_open = t->meter->tx_open;
        r->pl_txid[0] = '\0';
        if (r->pl_records > 0 && journal_get(t->journal, seq, &e) == HAL_OK) {
            snprintf(r->pl_txid, sizeof r->pl_txid, "%s", e.txid);
        }
        r->power_loss_now = true;
        break;
    }
    case FAULTS_NONE:
    case FAULTS_CONFIG:
    case FAULTS_KIND_COUNT:
        break;
    }
}

/* The fault is over once the car has left: the next car meets a healthy charger. */
static void faults_restore(struct faults_run *r)
{
    struct faults_target *t = &r->t;
    struct plant *p = t->plant;
    r->restored = true;
    r->ev_frozen = false;
    r->mutate_active = false;
    p->pilot_force = 0;
    p->pp_short = false;
    p->pp_open = false;
    p->fb_neg_lost = false;
    p->ov_target_mv = 0;
    charger_set_voltage_sources(t->charger, r->vsources);
    if (t->modules != NULL) {
        for (int i = 0; i < t->modules->n; i++) {
            t->modules->mod[i].mute = false;
            sim_infy_fault(t->modules, &t->modules->mod[i], SIM_INFY_FAULT_NONE);
        }
    }
    if (t->can != NULL) {
        t->can->bus_off = false;
    }
    sim_meter_set_no_answer(t->meter, false);
    sim_meter_lose_stops(t->meter, 0);
    t->meter->corrupt_ocmf = false;
    sim_imd_set_fault(t->imd, SIM_IMD_FAULT_NONE);
    sim_imd_set_resistance(t->imd, 10000000u);
}

/* ------------------------------------------------------------------ recorder + checks */

static bool faults_stage_on(const struct faults_run *r)
{
    const struct plant *p = r->t.plant;
    if (p->psu.mode == PSU_MODE_EXPORT) {
        return true;
    }
    if (r->t.modules != NULL) {
        for (int i = 0; i < r->t.modules->n; i++) {
            if (r->t.modules->mod[i].on || r->t.modules->mod[i].out_ma > 0) {
                return true;
            }
        }
    }
    return false;
}

static void faults_check_modules(struct faults_run *r, uint32_t now_ms, struct faults_sample *s)
{
    struct psu_module pm[SIM_INFY_MAX];
    size_t n = 0;
    if (r->t.driver == NULL || psu_read_modules(r->t.driver, pm, SIM_INFY_MAX, &n) != HAL_OK) {
        return;
    }
    uint8_t act = 0;
    for (size_t k = 0; k < n; k++) {
        act = (uint8_t)(act + (pm[k].active ? 1u : 0u));
        struct sim_infy_module *m = sim_infy_find(r->t.modules, pm[k].address);
        if (m == NULL) {
            continue;
        }
        /* May still deliver: switched on and not yet switched off by its own watchdog or
         * a protection (over-temperature and short circuit turn the output off). */
        bool may = m->out_ma > 0 || (m->on && !m->watchdog_tripped && m->fault_bits == 0);
        r->chk.checked[FAULTS_I_MODULES]++;
        if (may && !pm[k].active) {
            char note[96];
            snprintf(note, sizeof note, "module %u dropped from the capabilities while on (%ld mA)",
                     (unsigned)pm[k].address, (long)m->out_ma);
            faults_fail(r, FAULTS_I_MODULES, now_ms, note);
        }
    }
    s->active = act;
}

void faults_tick(struct faults_run *r, uint32_t now_ms)
{
    struct faults_target *t = &r->t;
    struct plant *p = t->plant;
    const struct faults_scenario *sc = r->sc;
    enum charger_state cs = charger_state(t->charger);
    const struct hlc_ev *ev = charger_ev(t->charger);
    if (ev->max_voltage_mv > 0) {
        r->ev_max_mv = ev->max_voltage_mv;
    }
    if (cs != r->last_state) {
        r->last_state = cs;
        r->state_since_ms = now_ms;
    }
    /* Fire once, in the first session. */
    if (r->first_active_ms == 0 && cs != CHARGER_IDLE && t->charger->history_count == 0) {
        r->first_active_ms = now_ms;
    }
    if (r->fired || sc->kind == FAULTS_CONFIG || t->charger->history_count != 0) {
        /* struck already, never, or too late */
    } else if (sc->flags & FAULTS_F_RANDOM) {
        if (r->first_active_ms != 0 && now_ms - r->first_active_ms >= faults_seed_ms(sc->arg)) {
            faults_fire(r, now_ms);
        }
    } else if (sc->flags & FAULTS_F_AT_METER_STOP) {
        if (t->charger->io.meter != NULL && meter_session_state(t->charger->io.meter) == METER_S_STOPPING) {
            faults_fire(r, now_ms);
        }
    } else if (cs == sc->at && now_ms - r->state_since_ms >= sc->delay_ms) {
        faults_fire(r, now_ms);
    }
    if (r->spike_left > 0 && --r->spike_left == 0) {
        p->ov_target_mv = 0;
    }
    /* A car that cannot leave by itself (hung, pilot broken) is unplugged by its driver
     * once the connector has been unlocked and the charger has stopped for a while. */
    bool stopped = cs == CHARGER_FAULT || cs == CHARGER_FINISHED || cs == CHARGER_IDLE;
    bool plugged = p->phase == PLANT_EV_CHARGING || p->phase == PLANT_EV_PLUGGED;
    if (r->fired && !r->restored && plugged && stopped && !p->locked && !p->coil[HAL_GPIO_OUT_LOCK]) {
        if (r->unlocked_idle_ms == 0) {
            r->unlocked_idle_ms = now_ms;
        } else if (now_ms - r->unlocked_idle_ms >= FAULTS_DRIVER_MS) {
            r->ev_frozen = false;
            plant_unplug(p);
        }
    } else {
        r->unlocked_idle_ms = 0;
    }
    if (r->fired && !r->restored && (p->phase == PLANT_EV_LEFT || p->phase == PLANT_EV_AWAY)) {
        faults_restore(r);
    }
    /* A connector held locked by a fault (the voltage at it unknown, a contactor not
     * trusted) keeps the car: a technician comes and repairs the cause; the operator's
     * reset (board/sim/sim_board.c) then releases it, or is refused while the cause is still
     * there (a welded contactor stays welded). */
    if (r->fired && !r->restored && p->phase != PLANT_EV_LEFT && p->phase != PLANT_EV_AWAY &&
        cs == CHARGER_FAULT && interlock_state(&t->charger->il) == INTERLOCK_HELD) {
        if (r->held_since_ms == 0) {
            r->held_since_ms = now_ms;
        } else if (now_ms - r->held_since_ms >= FAULTS_DRIVER_MS) {
            faults_restore(r);
        }
    } else {
        r->held_since_ms = 0;
    }

    /* Record. */
    struct faults_sample s = {0};
    s.t = now_ms;
    s.mv = p->psu.out_mv;
    s.ma = p->psu.out_ma;
    s.cstate = (uint8_t)cs;
    s.bits = (uint16_t)((p->contact_pos ? FAULTS_B_CPOS : 0u) | (p->contact_neg ? FAULTS_B_CNEG : 0u) |
                       (p->locked ? FAULTS_B_LOCKED : 0u) | (p->coil[HAL_GPIO_OUT_LOCK] ? FAULTS_B_LOCKCOIL : 0u) |
                       (faults_stage_on(r) ? FAULTS_B_STAGE : 0u) |
                       (p->duty != HAL_PILOT_DUTY_DC_HIGH ? FAULTS_B_PWM : 0u) |
                       (r->fired && !r->restored ? FAULTS_B_FAULT : 0u) |
                       (p->psu.mode == PSU_MODE_EXPORT ? FAULTS_B_EXPORT : 0u) |
                       (p->psu.mode == PSU_MODE_OFF && now_ms - p->psu.off_cmd_ms >= FAULTS_FORCED_MS ? FAULTS_B_OFF_LONG
                                                                                                  : 0u));
    s.evse = r->evse_status;
    s.active = r->chk.have_prev ? r->chk.prev.active : 0;
    if (now_ms % 10u == 0) {
        faults_check_modules(r, now_ms, &s);
    }
    r->ring[r->nring++ % FAULTS_RING] = s;
    unsigned ctx = (r->fired ? FAULTS_C_FIRED : 0u) | ((sc->flags & FAULTS_F_FORCED_OK) ? FAULTS_C_FORCED_OK : 0u) |
                   (sc->kind == FAULTS_POWER_LOSS && r->fired && now_ms - r->fired_ms <= 1u ? FAULTS_C_POWER_CUT : 0u);
    faults_check_sample(&r->chk, &s, ctx);
    bool both = (s.bits & (FAULTS_B_CPOS | FAULTS_B_CNEG)) == (FAULTS_B_CPOS | FAULTS_B_CNEG);
    /* Scenario-specific observations after the fault. */
    if (r->fired && !r->restored) {
        if (s.mv > r->max_mv_after && both) {
            r->max_mv_after = s.mv;
        }
        if (s.ma > r->max_ma_after) {
            r->max_ma_after = s.ma;
        }
        if ((sc->flags & FAULTS_F_ZERO_I) && now_ms - r->fired_ms >= 1000u && s.ma > FAULTS_SAFE_MA) {
            faults_fail(r, FAULTS_I_SCENARIO, now_ms, "current still flows 1 s after the EV said not ready");
        }
        int32_t lim = r->ev_max_mv + r->ev_max_mv / 10;
        int32_t err_lim = r->ev_max_mv;
        bool over = (sc->flags & FAULTS_F_OV_400MS) ? s.mv > err_lim : s.mv > lim;
        if (r->ov_onset_ms == 0 && over && both) {
            r->ov_onset_ms = now_ms;
        }
        if (r->ov_onset_ms != 0 && r->stage_off_after_ov_ms == 0 && p->psu.mode == PSU_MODE_OFF) {
            r->stage_off_after_ov_ms = now_ms;
            struct charger_voltage v;
            (void)charger_output_voltage(t->charger, &v);
            r->ov_source = v.source;
        }
    }
}

/* ------------------------------------------------------------------ the EV's side */

static bool faults_ev_status(struct exi_din_DC_EVStatusType **st, struct exi_din_BodyType *b)
{
    if (b->CurrentDemandReq_isUsed) {
        *st = &b->CurrentDemandReq.DC_EVStatus;
        return true;
    }
    return false;
}

bool faults_filter_request(struct faults_run *r, const uint8_t *in, uint32_t len, const uint8_t **out,
                           uint32_t *out_len)
{
    *out = in;
    *out_len = len;
    if (!r->mutate_active) {
        return true;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, in, len);
    if (exi_din_decode(&rd, &r->doc) != HAL_OK || !r->doc.V2G_Message_isUsed) {
        return true;
    }
    struct exi_din_V2G_Message *m = &r->doc.V2G_Message;
    struct exi_din_BodyType *b = &m->Body;
    struct exi_din_DC_EVStatusType *st = NULL;
    bool changed = false;
    switch (r->sc->kind) {
    case FAULTS_EV_SEQUENCE:
        if (b->CurrentDemandReq_isUsed) {
            struct exi_din_DC_EVStatusType keep = b->CurrentDemandReq.DC_EVStatus;
            b->CurrentDemandReq_isUsed = false;
            memset(&b->CableCheckReq, 0, sizeof b->CableCheckReq);
            b->CableCheckReq.DC_EVStatus = keep;
            b->CableCheckReq_isUsed = true;
            changed = true;
        }
        break;
    case FAULTS_EV_SESSION_ID:
        if (m->Header.SessionID.bytesLen > 0) {
            m->Header.SessionID.bytes[0] ^= 0x5A;
            changed = true;
        }
        break;
    case FAULTS_EV_TARGET_V:
        if (b->CurrentDemandReq_isUsed) {
            b->CurrentDemandReq.EVTargetVoltage.Value = 1500;
            b->CurrentDemandReq.EVTargetVoltage.Multiplier = 0;
            changed = true;
        }
        break;
    case FAULTS_EV_TARGET_I:
        if (b->CurrentDemandReq_isUsed) {
            b->CurrentDemandReq.EVTargetCurrent.Value = 3000;
            b->CurrentDemandReq.EVTargetCurrent.Multiplier = 0;
            changed = true;
        }
        break;
    case FAULTS_EV_ERROR:
        if (faults_ev_status(&st, b)) {
            st->EVErrorCode = exi_din_DC_EVErrorCodeType_FAILED_RESSTemperatureInhibit;
            changed = true;
        }
        break;
    case FAULTS_EV_NOT_READY:
        if (faults_ev_status(&st, b)) {
            st->EVReady = false;
            changed = true;
        }
        break;
    default:
        break;
    }
    if (!changed) {
        return true;
    }
    struct exi_writer w;
    exi_writer_init(&w, r->buf, sizeof r->buf);
    if (exi_din_encode(&w, &r->doc) != HAL_OK) {
        return true;
    }
    *out = r->buf;
    *out_len = (uint32_t)exi_writer_len(&w);
    return true;
}

void faults_saw_response(struct faults_run *r, const struct exi_din_document *doc)
{
    if (!doc->V2G_Message_isUsed) {
        return;
    }
    const struct exi_din_BodyType *b = &doc->V2G_Message.Body;
    int code = -1, status = -1;
#define FAULTS_RES(X)                                                                              \
    if (b->X##_isUsed) {                                                                           \
        code = b->X.ResponseCode;                                                                  \
    }
    FAULTS_RES(SessionSetupRes)
    FAULTS_RES(ServiceDiscoveryRes)
    FAULTS_RES(ServicePaymentSelectionRes)
    FAULTS_RES(ContractAuthenticationRes)
    FAULTS_RES(ChargeParameterDiscoveryRes)
    FAULTS_RES(CableCheckRes)
    FAULTS_RES(PreChargeRes)
    FAULTS_RES(PowerDeliveryRes)
    FAULTS_RES(CurrentDemandRes)
    FAULTS_RES(WeldingDetectionRes)
    FAULTS_RES(SessionStopRes)
#undef FAULTS_RES
    if (b->CableCheckRes_isUsed) {
        status = b->CableCheckRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PreChargeRes_isUsed) {
        status = b->PreChargeRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->CurrentDemandRes_isUsed) {
        status = b->CurrentDemandRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->WeldingDetectionRes_isUsed) {
        status = b->WeldingDetectionRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PowerDeliveryRes_isUsed && b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
        status = b->PowerDeliveryRes.DC_EVSEStatus.EVSEStatusCode;
    }
    if (status >= 0) {
        r->evse_status = (uint8_t)status;
    }
    if (!r->fired || r->restored) {
        return;
    }
    uint8_t cls = (uint8_t)faults_check_ev_of(status, code);
    if (cls < FAULTS_EVR_NORMAL) {
        cls = FAULTS_EVR_NORMAL; /* a response without a status still reached the EV */
    }
    if (cls > r->ev_worst) {
        r->ev_worst = cls;
    }
}

/* ------------------------------------------------------------------ verdict + report */


static void faults_final(struct faults_run *r, bool timed_out, char *obs, size_t cap)
{
    const struct faults_scenario *sc = r->sc;
    struct faults_target *t = &r->t;
    const struct charger *c = t->charger;
    const struct charger_session_record *r0 = charger_history(c, 0);
    const struct charger_session_record *r1 = charger_history(c, 1);
    uint32_t end = t->plant->now_ms;
    bool held = (sc->flags & FAULTS_F_HELD) != 0;

    /* I5: every journal record closed, each transaction once, nothing open in the meter. */
    uint32_t seq = 0, nrec = 0, nsess = 0;
    struct journal_entry e;
    char seen[8][JOURNAL_TXID_MAX];
    r->chk.checked[FAULTS_I_METER]++;
    while (journal_next(t->journal, seq, JOURNAL_FREE, &seq) == HAL_OK) {
        if (journal_get(t->journal, seq, &e) != HAL_OK) {
            faults_fail(r, FAULTS_I_METER, end, "a journal record does not read back");
            continue;
        }
        if (e.state != JOURNAL_CLOSED) {
            char note[96];
            snprintf(note, sizeof note, "transaction %.40s left open in the journal", e.txid);
            faults_fail(r, FAULTS_I_METER, end, note);
        }
        for (uint32_t k = 0; k < nrec && k < 8u; k++) {
            if (strcmp(seen[k], e.txid) == 0) {
                faults_fail(r, FAULTS_I_METER, end, "a transaction is journaled twice");
            }
        }
        if (nrec < 8u) {
            snprintf(seen[nrec], sizeof seen[nrec], "%s", e.txid);
        }
        if (nrec == 0 && (sc->flags & FAULTS_F_OCMF_BAD) && e.verified) {
            faults_fail(r, FAULTS_I_SCENARIO, end, "a corrupted OCMF record was journaled as verified");
        }
        nrec++;
    }
    for (uint32_t h = 0; charger_history(c, h) != NULL; h++) {
        nsess += charger_history(c, h)->meter_seq != 0 ? 1u : 0u;
    }
    bool pl = sc->kind == FAULTS_POWER_LOSS;
    if (pl) {
        /* The interrupted session's transaction is the journal's alone (the charger's RAM
         * is gone): it must have been closed by the recovery, with the meter's record if
         * the meter had it open. */
        nsess += r->pl_records;
        if (r->fired && r->pl_records == 0 && r->pl_meter_open) {
            faults_fail(r, FAULTS_I_METER, end, "the meter had a transaction the journal did not know");
        }
        if (r->fired && r->pl_records > 0) {
            uint32_t q = 0;
            bool found = false;
            while (journal_next(t->journal, q, JOURNAL_FREE, &q) == HAL_OK) {
                if (journal_get(t->journal, q, &e) == HAL_OK && strcmp(e.txid, r->pl_txid) == 0) {
                    found = true;
                    bool with_record = e.end == JOURNAL_END_RECOVERED && e.ocmf_len > 0;
                    bool ok = (r->pl_meter_open || (sc->flags & FAULTS_F_AT_METER_STOP)) ? with_record || e.end == JOURNAL_END_NORMAL
                                               : e.state == JOURNAL_CLOSED;
                    if (!ok) {
                        char note[120];
                        snprintf(note, sizeof note,
                                 "the interrupted transaction was not closed with the meter's record "
                                 "(state %d, end %d, %u bytes)", (int)e.state, (int)e.end, (unsigned)e.ocmf_len);
                        faults_fail(r, FAULTS_I_METER, end, note);
                    }
                }
            }
            if (!found) {
                faults_fail(r, FAULTS_I_METER, end, "the interrupted transaction is missing from the journal");
            }
        }
    }
    if (nrec != nsess && !held) {
        char note[96];
        snprintf(note, sizeof note, "%lu journal records for %lu sessions with a transaction",
                 (unsigned long)nrec, (unsigned long)nsess);
        faults_fail(r, FAULTS_I_METER, end, note);
    }
    if (t->meter->tx_open && !held) {
        faults_fail(r, FAULTS_I_METER, end, "the meter still has an open transaction");
    }

    /* I6: summary and what the EV was told. */
    enum charger_stop_reason got = r0 != NULL ? r0->stop : held ? charger_stats(c)->last_stop : CHARGER_STOP_NONE;
    r->chk.checked[FAULTS_I_STOP_REASON]++;
    if (!r->fired && sc->kind != FAULTS_CONFIG) {
        faults_fail(r, FAULTS_I_STOP_REASON, end, "the fault never struck (phase not reached)");
    }
    if (got != sc->stop) {
        char note[120];
        snprintf(note, sizeof note, "summary says '%s', expected '%s'", charger_stop_reason_token(got),
                 charger_stop_reason_token(sc->stop));
        faults_fail(r, FAULTS_I_STOP_REASON, end, note);
    }
    if (sc->ev != FAULTS_EVR_NA && r->ev_worst != sc->ev) {
        char note[120];
        snprintf(note, sizeof note, "the EV was told %s, expected %s", faults_check_ev_name((enum faults_ev_report)r->ev_worst),
                 faults_check_ev_name((enum faults_ev_report)sc->ev));
        faults_fail(r, FAULTS_I_STOP_REASON, end, note);
    }

    /* I7: the next car. */
    r->chk.checked[FAULTS_I_NEXT_CAR]++;
    if (held) {
        if (interlock_state(&c->il) != INTERLOCK_HELD || !t->plant->locked ||
            charger_stats(c)->last_fault != INTERLOCK_FAULT_WELDED) {
            faults_fail(r, FAULTS_I_NEXT_CAR, end, "a welded contactor must hold the connector locked");
        }
    } else {
        const struct charger_session_record *rn = pl ? r0 : r1;
        if (pl && charger_history(c, 1) != NULL) {
            faults_fail(r, FAULTS_I_NEXT_CAR, end, "more sessions after the restart than cars");
        }
        if (rn == NULL || rn->stop != CHARGER_STOP_EV || rn->charge_ms == 0 || !rn->meter_ok) {
            faults_fail(r, FAULTS_I_NEXT_CAR, end, "the second car did not charge cleanly");
        }
        if (charger_state(c) != CHARGER_IDLE || timed_out) {
            faults_fail(r, FAULTS_I_NEXT_CAR, end, "the charger is not back to idle at the end");
        }
    }

    /* I8: scenario-specific. */
    r->chk.checked[FAULTS_I_SCENARIO]++;
    if (t->plant->violations != 0) {
        faults_fail(r, FAULTS_I_SCENARIO, end, "the plant's own safety monitor saw a violation");
    }
    if ((sc->flags & FAULTS_F_CHARGED) && (r0 == NULL ? !held : r0->charge_ms == 0)) {
        faults_fail(r, FAULTS_I_SCENARIO, end, "the first session should have charged before the fault");
    }
    if ((sc->flags & FAULTS_F_NO_POWER) && r0 != NULL && r0->charge_ms != 0) {
        faults_fail(r, FAULTS_I_SCENARIO, end, "power was delivered although the fault struck before");
    }
    if ((sc->flags & FAULTS_F_CLAMP_V) && r->max_mv_after > r->ev_max_mv + 1000) {
        faults_fail(r, FAULTS_I_SCENARIO, end, "the output exceeded the EV's maximum voltage");
    }
    if ((sc->flags & FAULTS_F_CLAMP_I) && r->max_ma_after > 201000) {
        faults_fail(r, FAULTS_I_SCENARIO, end, "the output exceeded the connector's 200 A");
    }
    if (sc->flags & (FAULTS_F_OV_9MS | FAULTS_F_OV_400MS | FAULTS_F_OV_SLOW)) {
        /* OV_SLOW: a source read this seldom may be up to its staleness bound late. */
        uint32_t lo = (sc->flags & FAULTS_F_OV_400MS) ? 200u : 9u;
        uint32_t hi = (sc->flags & FAULTS_F_OV_9MS)     ? 25u
                      : (sc->flags & FAULTS_F_OV_400MS) ? 450u
                                                        : t->charger->cfg.voltage_stale_ms + 25u;
        uint32_t dt = r->stage_off_after_ov_ms - r->ov_onset_ms;
        if (r->ov_onset_ms == 0 || r->stage_off_after_ov_ms == 0 || dt < lo || dt > hi) {
            char note[120];
            snprintf(note, sizeof note, "over-voltage -> stage off took %ld ms, expected %lu..%lu ms",
                     r->stage_off_after_ov_ms ? (long)dt : -1L, (unsigned long)lo, (unsigned long)hi);
            faults_fail(r, FAULTS_I_SCENARIO, end, note);
        }
    }
    snprintf(obs, cap,
             "first session: stop=%s detail='%s' charged=%.1f s metered=%s; EV told: %s; "
             "sessions=%lu; journal records=%lu; end state=%s%s; max U after fault=%.1f V, max I=%.1f A%s",
             charger_stop_reason_token(got), r0 != NULL && r0->detail != NULL ? r0->detail : "",
             r0 != NULL ? r0->charge_ms / 1000.0 : 0.0, r0 != NULL && r0->meter_ok ? "yes" : "no",
             faults_check_ev_name((enum faults_ev_report)r->ev_worst), (unsigned long)charger_stats(c)->sessions, (unsigned long)nrec,
             charger_state_name(charger_state(c)), held ? " (held)" : "", r->max_mv_after / 1000.0,
             r->max_ma_after / 1000.0, timed_out ? "; TIMED OUT" : "");
    if (r->ov_onset_ms != 0 && r->stage_off_after_ov_ms != 0 &&
        (r->sc->flags & (FAULTS_F_OV_9MS | FAULTS_F_OV_400MS | FAULTS_F_OV_SLOW))) {
        size_t used = strlen(obs);
        snprintf(obs + used, cap - used, "; FIGURE over-voltage -> stage off %lu ms (simulated), monitor source %s",
                 (unsigned long)(r->stage_off_after_ov_ms - r->ov_onset_ms), charger_vsource_name(r->ov_source));
    }
}

bool faults_finish(struct faults_run *r, const char *dir, bool timed_out)
{
    char obs[512];
    faults_final(r, timed_out, obs, sizeof obs);
    bool ok = faults_check_ok(&r->chk);
    FILE *out[2] = {stdout, NULL};
    char path[512];
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/%s.txt", dir, r->sc->name);
        out[1] = fopen(path, "w");
    }
    for (int k = 0; k < 2; k++) {
        FILE *f = out[k];
        if (f == NULL) {
            continue;
        }
        fprintf(f, "scenario %s: %s\n", r->sc->name, ok ? "PASS" : "FAIL");
        fprintf(f, "  fault:    %s\n", r->sc->what);
        fprintf(f, "  strikes:  %s + %lu ms%s\n", charger_state_name(r->sc->at), (unsigned long)r->sc->delay_ms,
                r->fired ? "" : " (never reached)");
        if (r->fired) {
            fprintf(f, "  struck:   t=%.3f s\n", r->fired_ms / 1000.0);
        }
        fprintf(f, "  expected: stop=%s, EV told %s%s\n", charger_stop_reason_token(r->sc->stop),
                faults_check_ev_name((enum faults_ev_report)r->sc->ev),
                (r->sc->flags & FAULTS_F_HELD) ? ", connector held locked" : ", then a clean second session");
        fprintf(f, "  observed: %s\n", obs);
        faults_check_print(&r->chk, f);
    }
    if (out[1] != NULL) {
        fclose(out[1]);
        snprintf(path, sizeof path, "%s/%s.svg", dir, r->sc->name);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            faults_check_svg(&r->chk, f, r->fired, r->fired_ms);
            fclose(f);
        }
    }
    return ok;
}
