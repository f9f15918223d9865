/*
 * Fault-injection scenarios (issue 8): the table, the actions, the recorder and the
 * invariants. The table has a half per protocol (issue 14): every row of faults_table.inc
 * runs with the DIN car and, as iso2/NAME, with the ISO 15118-2 car, plus the ISO-2
 * bad-input rows; the rows where the fault meets -20 the same way also run as iso20/NAME
 * with the ISO 15118-20 car (issue 16), plus the -20 bad-input rows. Every invariant is judged from samples of the simulated physical state
 * (contacts, lock pin, stage output, module states, journal records), never from logs.
 */
#include "faults.h"

#include <string.h>
#include <sys/stat.h>

#include "din/din.h"
#include "exi/exi_stream.h"
#include "iso20/iso20_common.h"

/* The sim's interlock power-down timeout (board/sim/sim_board.c) with a little margin. */
#define FAULTS_FORCED_MS 1400u
/* A car that cannot leave by itself is unplugged this long after the connector unlocked. */
#define FAULTS_DRIVER_MS 3000u

/* One row, instantiated per protocol (faults_table.inc is read once for each). */
#define FAULTS_ROW(why_, why20_, n_, w_, k_, at_, d_, a_, s_, e_, f_)                              \
    {.name = FAULTS_PFX n_, .what = w_, .kind = k_, .at = at_, .delay_ms = d_, .arg = a_, .stop = s_,  \
     .ev = e_, .flags = f_, .proto = FAULTS_PROTO, .din_only = why_, .no_iso20 = why20_}
#define S_(...) FAULTS_ROW(NULL, NULL, __VA_ARGS__)
#define SD_(why, ...) FAULTS_ROW(why, why, __VA_ARGS__)
/* A row with an ISO-2 twin but no -20 one, and why (docs/faults.md lists them). */
#define SN_(why20, ...) FAULTS_ROW(NULL, why20, __VA_ARGS__)
/* Power loss: the interrupted session's record is lost with the RAM; the first record
 * after the restart is the next car's (stopped by the EV). */
#define PLD_(why, n, w, at, d, seed, fl)                                                           \
    SD_(why, "power-loss-" n, "the charger loses power " w, FAULTS_POWER_LOSS, at, d, seed, CHARGER_STOP_EV, \
        FAULTS_EVR_NA, fl)
#define PL_(...) PLD_(NULL, __VA_ARGS__)
#define PLN_(why20, n, w, at, d, seed, fl)                                                         \
    SN_(why20, "power-loss-" n, "the charger loses power " w, FAULTS_POWER_LOSS, at, d, seed, CHARGER_STOP_EV, \
        FAULTS_EVR_NA, fl)
/* Why a row has no -20 twin (issue 16). */
#define FAULTS_WHY20_REWRITE                                                                       \
    "the harness changes the DIN or ISO-2 request on the wire; its -20 rewriter (two namespaces, "    \
    "the control mode's fields) is not written yet"
#define FAULTS_WHY20_STAGE                                                                         \
    "which source or module sees the power stage's fault is below the protocol: the DIN and ISO-2 "    \
    "runs cover the variants, the -20 run keeps one of each kind within the group's time budget"
#define FAULTS_WHY20_METER                                                                         \
    "the meter's transaction is the charger core's, not the protocol's: the -20 run keeps the silent "  \
    "meter at start and under load and the lost stops"
#define FAULTS_WHY20_RANDOM                                                                        \
    "seeded instants add nothing per protocol: the -20 run keeps the power losses at fixed phases"
/* Why a row that strikes before supportedAppProtocol has no ISO-2 twin. */
#define FAULTS_WHY_SLAC "strikes during SLAC, before any protocol is negotiated: the ISO-2 run would be the same run"
/* ISO 15118-2 bad input (issue 14): the car breaks one rule (its `misbehave`, or the
 * request changed on the way), the charger must answer with the standard's code, stop
 * safely and name the reason in the session record. */
#define B_(n_, w_, k_, at_, d_, a_, s_, e_, f_, car_, protos_, code_, reason_)                     \
    {.name = "iso2/" n_, .what = w_, .kind = k_, .at = at_, .delay_ms = d_, .arg = a_, .stop = s_, .ev = e_, \
     .flags = f_, .proto = FAULTS_PROTO_ISO2, .car = car_, .protocols = protos_, .code = code_,      \
     .reason = reason_}

/* ISO 15118-20 bad input (issue 16): the same, with the -20 car's misbehaviours. */
#define B20_(n_, w_, k_, at_, d_, a_, s_, e_, f_, code_, reason_)                                   \
    {.name = "iso20/" n_, .what = w_, .kind = k_, .at = at_, .delay_ms = d_, .arg = a_, .stop = s_, .ev = e_, \
     .flags = f_, .proto = FAULTS_PROTO_ISO20, .code = code_, .reason = reason_}

/* The seeded instant of power-loss-random-N: 0..27 s after the first plug-in. */
/* A Huawei row (DIN, --psu huawei): named "huawei/NAME"; reason_ is what the first session
 * record's detail must hold (NULL: any). */
#define H_(n_, w_, k_, at_, d_, a_, s_, e_, f_, reason_)                                           \
    {.name = "huawei/" n_, .what = w_, .kind = k_, .at = at_, .delay_ms = d_, .arg = a_, .stop = s_, .ev = e_, \
     .flags = (f_) | FAULTS_F_HUAWEI, .proto = FAULTS_PROTO_DIN, .reason = reason_}

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
#define FAULTS_PFX ""
#define FAULTS_PROTO FAULTS_PROTO_DIN
#include "faults_table.inc"
#undef FAULTS_PFX
#undef FAULTS_PROTO
#define FAULTS_PFX "iso2/"
#define FAULTS_PROTO FAULTS_PROTO_ISO2
#include "faults_table.inc"
#undef FAULTS_PFX
#undef FAULTS_PROTO
    /* ISO 15118-2 bad input, end to end (the expected code and reason are asserted) */
    B_("bad-pause-in-cable-check", "the car sends SessionStop(Pause) instead of its first CableCheckReq",
       FAULTS_EV_MISBEHAVE, CHARGER_PARAMETERS, 0, ISO2_EV_MISBEHAVE_PAUSE_IN_CABLE_CHECK,
       CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, NULL, NULL, "FAILED",
       "pause requested before PowerDelivery(Stop)"),
    B_("bad-cd-before-power-delivery", "the car sends CurrentDemandReq instead of PowerDelivery(Start)",
       FAULTS_EV_MISBEHAVE, CHARGER_PRECHARGE, 0, ISO2_EV_MISBEHAVE_CD_BEFORE_POWER_DELIVERY,
       CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, NULL, NULL, "FAILED_SequenceError",
       "CurrentDemand before PowerDelivery(Start)"),
    B_("bad-unknown-tuple", "PowerDelivery(Start) names an SAScheduleTupleID the charger never offered",
       FAULTS_EV_MISBEHAVE, CHARGER_PRECHARGE, 0, ISO2_EV_MISBEHAVE_UNKNOWN_TUPLE, CHARGER_STOP_V2G_PROTOCOL,
       FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, NULL, NULL, "FAILED_TariffSelectionInvalid",
       "SAScheduleTupleID never offered"),
    B_("bad-profile-above-pmax", "PowerDelivery(Start) with a ChargingProfile at twice the schedule's PMax",
       FAULTS_EV_MISBEHAVE, CHARGER_PRECHARGE, 0, ISO2_EV_MISBEHAVE_PROFILE_ABOVE_PMAX, CHARGER_STOP_V2G_PROTOCOL,
       FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, NULL, NULL, "FAILED_ChargingProfileInvalid",
       "charging profile above the offered PMax"),
    B_("bad-iso2-after-din", "the car offers ISO-2 and DIN, the charger (DIN only) picks DIN, the car goes "
       "on in ISO-2", FAULTS_EV_MISBEHAVE, CHARGER_NEGOTIATING, 0, ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN,
       CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_NA, FAULTS_F_NO_POWER, "iso2-din", "din", "none",
       "undecodable DIN 70121 message"),
    B_("bad-din-after-iso2", "ISO-2 negotiated; 2 s into current demand a CurrentDemandReq arrives DIN-encoded",
       FAULTS_EV_DIN_AFTER_ISO2, CHARGER_CHARGING, 2000, 0, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_NA,
       FAULTS_F_CHARGED, NULL, NULL, "none", "undecodable ISO 15118-2 message"),
    B_("bad-resume-unknown-id", "the car pauses, then resumes with a SessionID the charger never issued",
       FAULTS_EV_MISBEHAVE, CHARGER_CHARGING, 0, ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID, CHARGER_STOP_EV,
       FAULTS_EVR_NORMAL, FAULTS_F_CHARGED, "iso2-pause", NULL, "OK_NewSessionEstablished", NULL),
#define FAULTS_PFX "iso20/"
#define FAULTS_PROTO FAULTS_PROTO_ISO20
#include "faults_table.inc"
#undef FAULTS_PFX
#undef FAULTS_PROTO
    /* ISO 15118-20 bad input (issue 16): the -20 car's own rule-breaks */
    B20_("bad-wrong-control-mode", "the car selected scheduled control and sends ScheduleExchangeReq with "
         "the dynamic mode's element", FAULTS_EV_MISBEHAVE, CHARGER_NEGOTIATING, 0,
         ISO20_EV_MISBEHAVE_WRONG_CONTROL_MODE, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER,
         "FAILED", "dynamic mode after scheduled"),
    B20_("bad-unoffered-service", "ServiceSelectionReq names a ServiceID the charger never offered",
         FAULTS_EV_MISBEHAVE, CHARGER_NEGOTIATING, 0, ISO20_EV_MISBEHAVE_UNOFFERED_SERVICE,
         CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, "FAILED_NoEnergyTransferServiceSelected",
         "never offered"),
    B20_("bad-renegotiate-in-cable-check", "PowerDelivery(ScheduleRenegotiation) instead of the first "
         "DC_CableCheckReq", FAULTS_EV_MISBEHAVE, CHARGER_PARAMETERS, 0,
         ISO20_EV_MISBEHAVE_RENEGOTIATE_IN_CABLE_CHECK, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY,
         FAULTS_F_NO_POWER, "FAILED_SequenceError", "during the cable check"),
    B20_("bad-bpt-limits", "the car selected DC (no discharge) and sends BPT discharge limits in "
         "DC_ChargeParameterDiscoveryReq", FAULTS_EV_MISBEHAVE, CHARGER_NEGOTIATING, 0,
         ISO20_EV_MISBEHAVE_BPT_LIMITS, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER,
         "FAILED_WrongChargeParameter", "discharge"),
    /* A message of the wrong namespace has no response of its type: no answer, the end. */
    B20_("bad-wrong-namespace", "the car sends its DC_CableCheckReq as an AC message (payload type 0x8003)",
         FAULTS_EV_MISBEHAVE, CHARGER_PARAMETERS, 0, ISO20_EV_MISBEHAVE_WRONG_NAMESPACE, CHARGER_STOP_V2G_PROTOCOL,
         FAULTS_EVR_NA, FAULTS_F_NO_POWER, "none", "AC message (0x8003)"),
    B20_("bad-wrong-loop-mode", "scheduled control selected; the 8th DC_ChargeLoopReq carries the dynamic "
         "mode's element (under load)", FAULTS_EV_MISBEHAVE, CHARGER_CHARGING, 0, ISO20_EV_MISBEHAVE_WRONG_LOOP_MODE,
         CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED, "FAILED", "another control mode"),
    B20_("bad-unoffered-detail", "ServiceDetailReq for a ServiceID the charger never offered",
         FAULTS_EV_MISBEHAVE, CHARGER_NEGOTIATING, 0, ISO20_EV_MISBEHAVE_UNOFFERED_DETAIL,
         CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, "FAILED_ServiceIDInvalid",
         "never offered"),
    B20_("bad-service-renegotiation-in-cable-check", "SessionStop(ServiceRenegotiation) instead of the first "
         "DC_CableCheckReq", FAULTS_EV_MISBEHAVE, CHARGER_PARAMETERS, 0,
         ISO20_EV_MISBEHAVE_SERVICE_RENEGOTIATION_IN_CABLE_CHECK, CHARGER_STOP_V2G_PROTOCOL, FAULTS_EVR_EMERGENCY,
         FAULTS_F_NO_POWER, "FAILED_SequenceError", "ServiceRenegotiation during the cable check"),
    /* The Huawei unit's faults (issue 21): DIN sessions with --psu huawei, the real driver
     * against the unit model of sim/sim_huawei.c; the plant's output is what the unit
     * grants. Before the allocation (pilot B, SLAC) or 2 s into current demand. */
    H_("link-drop-charging", "the unit drops the dispenser's TCP link 2 s into current demand (CommunicationFault, "
       "High; the unit's grant ends with the link)", FAULTS_HW_LINK_DROP, CHARGER_CHARGING, 2000, 0, CHARGER_STOP_PSU,
       FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED, "CommunicationFault"),
    H_("alloc-refused", "the unit refuses the allocation (VendorError, Medium): no power is ever granted",
       FAULTS_HW_REFUSE, CHARGER_LINK, 0, 0, CHARGER_STOP_PSU, FAULTS_EVR_NA, FAULTS_F_NO_POWER, "VendorError"),
    H_("wrong-key", "the unit signs its replies with another key: the dispenser refuses them (bad HMAC), the "
       "allocation times out after 5 s and the session goes on (the sheet)", FAULTS_HW_WRONG_KEY, CHARGER_LINK, 0,
       0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED, NULL),
    H_("key-never", "the unit never writes the session key: the dispenser sends no request, the unit grants no "
       "power, the cable check cannot pass", FAULTS_HW_NO_KEY, CHARGER_LINK, 0, 0, CHARGER_STOP_CABLE_CHECK,
       FAULTS_EVR_EMERGENCY, FAULTS_F_NO_POWER, "test voltage not reached"),
    H_("epo-charging", "the unit raises its EPO alarm (0x4004) 2 s into current demand: it cuts its output, the "
       "dispenser reports HardwareFault, High", FAULTS_HW_ALARM, CHARGER_CHARGING, 2000, 0x4004, CHARGER_STOP_PSU,
       FAULTS_EVR_EMERGENCY, FAULTS_F_CHARGED, "HardwareFault"),
    H_("replay", "the unit sends every reply twice (a replayed GOOSE frame): the copy is refused, the session "
       "goes on", FAULTS_HW_REPLAY, CHARGER_LINK, 0, 0, CHARGER_STOP_EV, FAULTS_EVR_NORMAL, FAULTS_F_CHARGED, NULL),
};

#define FAULTS_N (sizeof s_scen / sizeof s_scen[0])

/* A twin row that says why it does not run in its protocol is not a scenario. */
static bool faults_runs(const struct faults_scenario *sc)
{
    return !(sc->proto == FAULTS_PROTO_ISO2 && sc->din_only != NULL) &&
           !(sc->proto == FAULTS_PROTO_ISO20 && sc->no_iso20 != NULL);
}

const struct faults_scenario *faults_find(const char *name)
{
    for (size_t i = 0; i < FAULTS_N; i++) {
        if (strcmp(s_scen[i].name, name) == 0 && faults_runs(&s_scen[i])) {
            return &s_scen[i];
        }
    }
    return NULL;
}

void faults_list(FILE *f)
{
    for (size_t i = 0; i < FAULTS_N; i++) {
        if (faults_runs(&s_scen[i])) {
            fprintf(f, "%s\n", s_scen[i].name);
        }
    }
}

int faults_configure(const struct faults_scenario *sc, struct ev_model_config *car, struct hlc_config *hlc)
{
    if (sc->proto == FAULTS_PROTO_DIN) {
        return HAL_OK; /* the default car and charger: DIN, as before the table had two halves */
    }
    bool i20 = sc->proto == FAULTS_PROTO_ISO20;
    if (car != NULL) {
        if (ev_model_profile_parse(sc->car != NULL ? sc->car : i20 ? "iso20" : "iso2", car) != HAL_OK) {
            return HAL_EINVAL;
        }
        if (sc->kind == FAULTS_EV_MISBEHAVE && i20) {
            car->iso20.misbehave = (enum iso20_ev_misbehave)sc->arg;
        } else if (sc->kind == FAULTS_EV_MISBEHAVE) {
            car->iso2.misbehave = (enum iso2_ev_misbehave)sc->arg;
        }
        if (sc->kind == FAULTS_EV_MISBEHAVE && sc->arg == ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID) {
            /* Pause well inside the scenarios' 20 s of charging, so the resume happens. */
            car->pause_after_ms = 5000u;
        }
    }
    char why[96];
    const char *protos = sc->protocols != NULL ? sc->protocols : i20 ? "iso20,iso2,din" : "iso2,din";
    if (hlc != NULL && hlc_parse_protocols(protos, &hlc->protocols,
                                           why, sizeof why) != HAL_OK) {
        return HAL_EINVAL;
    }
    return HAL_OK;
}

void faults_setup(struct faults_run *r, const struct faults_scenario *sc, const struct faults_target *t)
{
    memset(r, 0, sizeof *r);
    r->sc = sc;
    r->t = *t;
    r->evse_status = 0xFF;
    r->code_seen = -1;
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
    case FAULTS_EV_DIN_AFTER_ISO2:
    case FAULTS_EV_STOP_EARLY:
        r->mutate_active = true;
        break;
    case FAULTS_EV_MISBEHAVE:
        break; /* the car breaks the rule itself (faults_configure set it up) */
    case FAULTS_TCP_RESET:
        sim_net_reset(t->link);
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
        sim_meter_forget(t->meter);
        break;
    case FAULTS_METER_POWER_LOSS:
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
    case FAULTS_HW_LINK_DROP:
        sim_huawei_bus_drop(t->hw_bus, t->hw_port, "faults: link dropped");
        break;
    case FAULTS_HW_REFUSE:
        t->hw_bus->unit.o.refuse = true;
        break;
    case FAULTS_HW_WRONG_KEY:
        t->hw_bus->unit.o.wrong_key = true;
        break;
    case FAULTS_HW_NO_KEY:
        t->hw_bus->unit.o.no_key = true;
        break;
    case FAULTS_HW_ALARM:
        t->hw_bus->unit.o.alarm = true;
        t->hw_bus->unit.o.alarm_reg = sc->arg;
        t->hw_bus->unit.o.alarm_val = 1;
        break;
    case FAULTS_HW_REPLAY:
        t->hw_bus->unit.o.replay = true;
        break;
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
    r->precharge_reqs = 0;
    if (t->car != NULL) {
        ev_model_set_misbehave(t->car, ISO2_EV_MISBEHAVE_NONE); /* the next car keeps the rules */
        t->car->cfg.iso20.misbehave = ISO20_EV_MISBEHAVE_NONE;  /* taken by the next -20 session's start */
    }
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
    if (t->hw_bus != NULL) {
        /* the unit healthy again; its alarm register written back to 0 on the next cycle */
        struct sim_huawei_opts *o = &t->hw_bus->unit.o;
        o->refuse = o->wrong_key = o->no_key = o->replay = false;
        o->alarm_val = 0;
    }
}

/* ------------------------------------------------------------------ recorder + checks */

static bool faults_stage_on(const struct faults_run *r)
{
    const struct plant *p = r->t.plant;
    if (p->psu.mode == PSU_MODE_EXPORT) {
        return true;
    }
    uint32_t mv = 0, ma = 0;
    if (p->psu.grant != NULL && p->psu.grant(p->psu.grant_ctx, p->now_ms, &mv, &ma)) {
        return true; /* the Huawei unit still delivers what it granted */
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
        if (t->charger->io.meter_session != NULL && meter_session_state(t->charger->io.meter_session) == METER_S_STOPPING) {
            faults_fire(r, now_ms);
        }
    } else if (cs == sc->at && now_ms - r->state_since_ms >= sc->delay_ms) {
        faults_fire(r, now_ms);
    }
    /* An ISO-2 pause ends the metered transaction with the power; the resumed session
     * starts a new one in the same session record (I5 counts them). */
    if (t->car != NULL) {
        enum ev_model_phase ph = ev_model_phase(t->car);
        if (r->car_phase == EV_MODEL_PAUSED && ph != EV_MODEL_PAUSED && ph != EV_MODEL_AWAY && ph != EV_MODEL_DONE) {
            r->resumes++;
        }
        r->car_phase = (uint8_t)ph;
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

/* The classes of faults_check_ev_of() are written against DIN's numbers; ISO-2's answers
 * are judged with the same rule, which holds because the codes share their values. */
_Static_assert((int)exi_iso2_responseCodeType_FAILED == (int)exi_din_responseCodeType_FAILED, "FAILED");
_Static_assert((int)exi_iso2_DC_EVSEStatusCodeType_EVSE_Shutdown == (int)exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown,
               "EVSE_Shutdown");
_Static_assert((int)exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ==
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown,
               "EVSE_EmergencyShutdown");
_Static_assert((int)exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction ==
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction,
               "EVSE_Malfunction");

/* The protocol the charger negotiated on this connection (its answers are in it). */
static bool faults_iso2_now(const struct faults_run *r)
{
    return strcmp(charger_protocol_name(r->t.charger), "iso2") == 0;
}

static bool faults_iso20_now(const struct faults_run *r)
{
    return strcmp(charger_protocol_name(r->t.charger), "iso20") == 0;
}

/* One DIN request changed as the scenario says; true when it was. */
static bool faults_mutate_din(struct faults_run *r, struct exi_din_document *doc)
{
    struct exi_din_V2G_Message *m = &doc->V2G_Message;
    struct exi_din_BodyType *b = &m->Body;
    bool cd = b->CurrentDemandReq_isUsed;
    switch (r->sc->kind) {
    case FAULTS_EV_SEQUENCE:
        if (cd) {
            struct exi_din_DC_EVStatusType keep = b->CurrentDemandReq.DC_EVStatus;
            b->CurrentDemandReq_isUsed = false;
            memset(&b->CableCheckReq, 0, sizeof b->CableCheckReq);
            b->CableCheckReq.DC_EVStatus = keep;
            b->CableCheckReq_isUsed = true;
        }
        return cd;
    case FAULTS_EV_SESSION_ID:
        if (m->Header.SessionID.bytesLen > 0) {
            m->Header.SessionID.bytes[0] ^= 0x5A;
            return true;
        }
        return false;
    case FAULTS_EV_TARGET_V:
        if (cd) {
            b->CurrentDemandReq.EVTargetVoltage.Value = 1500;
            b->CurrentDemandReq.EVTargetVoltage.Multiplier = 0;
        }
        return cd;
    case FAULTS_EV_TARGET_I:
        if (cd) {
            b->CurrentDemandReq.EVTargetCurrent.Value = 3000;
            b->CurrentDemandReq.EVTargetCurrent.Multiplier = 0;
        }
        return cd;
    case FAULTS_EV_ERROR:
        if (cd) {
            b->CurrentDemandReq.DC_EVStatus.EVErrorCode = exi_din_DC_EVErrorCodeType_FAILED_RESSTemperatureInhibit;
        }
        return cd;
    case FAULTS_EV_NOT_READY:
        if (cd) {
            b->CurrentDemandReq.DC_EVStatus.EVReady = false;
        }
        return cd;
    case FAULTS_EV_STOP_EARLY:
        if (r->sc->arg == 2 && cd) {
            b->CurrentDemandReq_isUsed = false;
            memset(&b->SessionStopReq, 0, sizeof b->SessionStopReq);
            b->SessionStopReq_isUsed = true;
            r->mutate_active = false; /* once: the charger answers it and the session ends */
            return true;
        }
        if (r->sc->arg < 2 && b->PreChargeReq_isUsed && r->precharge_reqs++ == r->sc->arg) {
            struct exi_din_DC_EVStatusType keep = b->PreChargeReq.DC_EVStatus;
            b->PreChargeReq_isUsed = false;
            memset(&b->PowerDeliveryReq, 0, sizeof b->PowerDeliveryReq);
            b->PowerDeliveryReq.ReadyToChargeState = false;
            b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed = true;
            b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus = keep;
            b->PowerDeliveryReq_isUsed = true;
            r->mutate_active = false;
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* A DIN CurrentDemandReq with the values of the ISO-2 one @p c and its SessionID: what a
 * car that forgot which protocol it negotiated would send (bad-din-after-iso2). @p c and
 * @p sid are copies: @p d shares its storage with the decoded ISO-2 request. */
static void faults_din_twin(struct exi_din_document *d, const struct exi_iso2_CurrentDemandReqType *c,
                            const uint8_t *sid, size_t sid_len)
{
    memset(d, 0, sizeof *d);
    d->V2G_Message_isUsed = true;
    struct exi_din_V2G_Message *m = &d->V2G_Message;
    if (sid_len > sizeof m->Header.SessionID.bytes) {
        sid_len = sizeof m->Header.SessionID.bytes;
    }
    memcpy(m->Header.SessionID.bytes, sid, sid_len);
    m->Header.SessionID.bytesLen = (uint16_t)sid_len;
    m->Body.CurrentDemandReq_isUsed = true;
    struct exi_din_CurrentDemandReqType *o = &m->Body.CurrentDemandReq;
    o->DC_EVStatus.EVReady = c->DC_EVStatus.EVReady;
    o->DC_EVStatus.EVRESSSOC = c->DC_EVStatus.EVRESSSOC;
    o->EVTargetCurrent = (struct exi_din_PhysicalValueType){.Multiplier = c->EVTargetCurrent.Multiplier,
                                                            .Unit = exi_din_unitSymbolType_A, .Unit_isUsed = true,
                                                            .Value = c->EVTargetCurrent.Value};
    o->EVTargetVoltage = (struct exi_din_PhysicalValueType){.Multiplier = c->EVTargetVoltage.Multiplier,
                                                            .Unit = exi_din_unitSymbolType_V, .Unit_isUsed = true,
                                                            .Value = c->EVTargetVoltage.Value};
    o->ChargingComplete = c->ChargingComplete;
}

/* One ISO-2 request changed as the scenario says, into @p r->buf; true when it was. */
static bool faults_mutate_iso2(struct faults_run *r, struct exi_iso2_document *doc, struct exi_writer *w)
{
    struct exi_iso2_V2G_Message *m = &doc->V2G_Message;
    struct exi_iso2_BodyType *b = &m->Body;
    bool cd = b->CurrentDemandReq_isUsed;
    bool changed = cd;
    switch (r->sc->kind) {
    case FAULTS_EV_SEQUENCE:
        if (cd) {
            struct exi_iso2_DC_EVStatusType keep = b->CurrentDemandReq.DC_EVStatus;
            b->CurrentDemandReq_isUsed = false;
            memset(&b->CableCheckReq, 0, sizeof b->CableCheckReq);
            b->CableCheckReq.DC_EVStatus = keep;
            b->CableCheckReq_isUsed = true;
        }
        break;
    case FAULTS_EV_SESSION_ID:
        changed = m->Header.SessionID.bytesLen > 0;
        if (changed) {
            m->Header.SessionID.bytes[0] ^= 0x5A;
        }
        break;
    case FAULTS_EV_TARGET_V:
        if (cd) {
            b->CurrentDemandReq.EVTargetVoltage.Value = 1500;
            b->CurrentDemandReq.EVTargetVoltage.Multiplier = 0;
        }
        break;
    case FAULTS_EV_TARGET_I:
        if (cd) {
            b->CurrentDemandReq.EVTargetCurrent.Value = 3000;
            b->CurrentDemandReq.EVTargetCurrent.Multiplier = 0;
        }
        break;
    case FAULTS_EV_ERROR:
        if (cd) {
            b->CurrentDemandReq.DC_EVStatus.EVErrorCode = exi_iso2_DC_EVErrorCodeType_FAILED_RESSTemperatureInhibit;
        }
        break;
    case FAULTS_EV_NOT_READY:
        if (cd) {
            b->CurrentDemandReq.DC_EVStatus.EVReady = false;
        }
        break;
    case FAULTS_EV_STOP_EARLY:
        changed = false;
        if (r->sc->arg == 2 && cd) {
            b->CurrentDemandReq_isUsed = false;
            memset(&b->SessionStopReq, 0, sizeof b->SessionStopReq);
            b->SessionStopReq.ChargingSession = exi_iso2_chargingSessionType_Terminate;
            b->SessionStopReq_isUsed = true;
            r->mutate_active = false;
            changed = true;
        } else if (r->sc->arg < 2 && b->PreChargeReq_isUsed && r->precharge_reqs++ == r->sc->arg) {
            struct exi_iso2_DC_EVStatusType keep = b->PreChargeReq.DC_EVStatus;
            b->PreChargeReq_isUsed = false;
            memset(&b->PowerDeliveryReq, 0, sizeof b->PowerDeliveryReq);
            b->PowerDeliveryReq.ChargeProgress = exi_iso2_chargeProgressType_Stop;
            b->PowerDeliveryReq.SAScheduleTupleID = 1;
            b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed = true;
            b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus = keep;
            b->PowerDeliveryReq_isUsed = true;
            r->mutate_active = false;
            changed = true;
        }
        break;
    case FAULTS_EV_DIN_AFTER_ISO2:
        if (cd) {
            /* Once: the charger must stop on the first. */
            struct exi_iso2_CurrentDemandReqType c = b->CurrentDemandReq;
            uint8_t sid[sizeof m->Header.SessionID.bytes];
            size_t n = m->Header.SessionID.bytesLen <= sizeof sid ? m->Header.SessionID.bytesLen : sizeof sid;
            memcpy(sid, m->Header.SessionID.bytes, n);
            faults_din_twin(&r->doc.din, &c, sid, n);
            r->mutate_active = false;
            return exi_din_encode(w, &r->doc.din) == HAL_OK;
        }
        break;
    default:
        changed = false;
        break;
    }
    return changed && exi_iso2_encode(w, doc) == HAL_OK;
}

bool faults_filter_request(struct faults_run *r, const uint8_t *in, uint32_t len, const uint8_t **out,
                           uint32_t *out_len)
{
    *out = in;
    *out_len = len;
    if (!r->mutate_active || faults_iso20_now(r)) {
        return true; /* no -20 row rewrites requests (FAULTS_WHY20_REWRITE) */
    }
    struct exi_reader rd;
    struct exi_writer w;
    exi_reader_init(&rd, in, len);
    exi_writer_init(&w, r->buf, sizeof r->buf);
    bool changed;
    if (faults_iso2_now(r)) {
        changed = exi_iso2_decode(&rd, &r->doc.iso2) == HAL_OK && r->doc.iso2.V2G_Message_isUsed &&
                  faults_mutate_iso2(r, &r->doc.iso2, &w);
    } else {
        changed = exi_din_decode(&rd, &r->doc.din) == HAL_OK && r->doc.din.V2G_Message_isUsed &&
                  faults_mutate_din(r, &r->doc.din) && exi_din_encode(&w, &r->doc.din) == HAL_OK;
    }
    if (changed) {
        *out = r->buf;
        *out_len = (uint32_t)exi_writer_len(&w);
    }
    return true;
}

/* The DC EVSEStatusCode of one DIN answer (-1: none); its ResponseCode is din_response_code(). */
static void faults_din_status(const struct exi_din_BodyType *b, int *status)
{
    if (b->CableCheckRes_isUsed) {
        *status = b->CableCheckRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PreChargeRes_isUsed) {
        *status = b->PreChargeRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->CurrentDemandRes_isUsed) {
        *status = b->CurrentDemandRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->WeldingDetectionRes_isUsed) {
        *status = b->WeldingDetectionRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PowerDeliveryRes_isUsed && b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
        *status = b->PowerDeliveryRes.DC_EVSEStatus.EVSEStatusCode;
    }
}

/* The same for ISO-2 (its ResponseCode is iso2_response_code()). */
static void faults_iso2_status(const struct exi_iso2_BodyType *b, int *status)
{
    if (b->CableCheckRes_isUsed) {
        *status = b->CableCheckRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PreChargeRes_isUsed) {
        *status = b->PreChargeRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->CurrentDemandRes_isUsed) {
        *status = b->CurrentDemandRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->WeldingDetectionRes_isUsed) {
        *status = b->WeldingDetectionRes.DC_EVSEStatus.EVSEStatusCode;
    } else if (b->PowerDeliveryRes_isUsed && b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
        *status = b->PowerDeliveryRes.DC_EVSEStatus.EVSEStatusCode;
    }
}

/* What one -20 answer told the EV, in DIN's numbers for faults_check_ev_of(): -20 has no
 * EVSEStatusCode; a FAILED* code is its emergency stop (spec sheet N15), the notification
 * Terminate its normal shutdown. @p raw: the answer's own ResponseCode (-1: none). */
static void faults_iso20_told(struct faults_run *r, uint16_t type, const uint8_t *p, uint32_t len, int *raw,
                              int *code, int *status)
{
    struct exi_reader rd;
    exi_reader_init(&rd, p, len);
    uint8_t c = 0xFF;
    bool terminate = false;
    if (type == 0x8004u) {
        if (exi_iso20_dc_decode(&rd, &r->doc.iso20dc) != HAL_OK || iso20_dc_response_kind(&r->doc.iso20dc) == ISO20_MSG_NONE) {
            return;
        }
        c = iso20_dc_response_code(&r->doc.iso20dc);
        const struct exi_iso20_dc_document *d = &r->doc.iso20dc;
        terminate = (d->DC_ChargeLoopRes_isUsed && d->DC_ChargeLoopRes.EVSEStatus_isUsed &&
                     d->DC_ChargeLoopRes.EVSEStatus.EVSENotification == exi_iso20_dc_evseNotificationType_Terminate);
    } else {
        if (exi_iso20_decode(&rd, &r->doc.iso20) != HAL_OK || iso20_response_kind(&r->doc.iso20) == ISO20_MSG_NONE) {
            return; /* the handshake's answer, or nothing the EV could read */
        }
        c = iso20_response_code(&r->doc.iso20);
        const struct exi_iso20_document *d = &r->doc.iso20;
        terminate = d->PowerDeliveryRes_isUsed && d->PowerDeliveryRes.EVSEStatus_isUsed &&
                    d->PowerDeliveryRes.EVSEStatus.EVSENotification == exi_iso20_evseNotificationType_Terminate;
    }
    if (c == 0xFF) {
        return;
    }
    /* Only a FAILED* counts as the code after the fault: a -20 session opens with
     * OK_NewSessionEstablished after the NEGOTIATING state the bad-input rows strike in. */
    *raw = iso20_response_code_ok(c) ? 0 : c;
    *code = iso20_response_code_ok(c) ? exi_din_responseCodeType_OK : exi_din_responseCodeType_FAILED;
    *status = terminate ? exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown : exi_din_DC_EVSEStatusCodeType_EVSE_Ready;
}

void faults_saw_response(struct faults_run *r, uint16_t type, const uint8_t *p, uint32_t len)
{
    int code = -1, status = -1, raw = -1;
    bool iso2 = faults_iso2_now(r);
    enum faults_proto proto = iso2 ? FAULTS_PROTO_ISO2 : FAULTS_PROTO_DIN;
    struct exi_reader rd;
    exi_reader_init(&rd, p, len);
    if (faults_iso20_now(r)) {
        proto = FAULTS_PROTO_ISO20;
        faults_iso20_told(r, type, p, len, &raw, &code, &status);
        if (code < 0) {
            return;
        }
    } else if (iso2) {
        if (exi_iso2_decode(&rd, &r->doc.iso2) != HAL_OK || !r->doc.iso2.V2G_Message_isUsed) {
            return; /* the handshake's answer, or nothing the EV could read */
        }
        uint8_t c = iso2_response_code(&r->doc.iso2);
        code = c == 0xFF ? -1 : c;
        faults_iso2_status(&r->doc.iso2.V2G_Message.Body, &status);
        raw = code;
    } else {
        if (exi_din_decode(&rd, &r->doc.din) != HAL_OK || !r->doc.din.V2G_Message_isUsed) {
            return;
        }
        uint8_t c = din_response_code(&r->doc.din);
        code = c == 0xFF ? -1 : c;
        faults_din_status(&r->doc.din.V2G_Message.Body, &status);
        raw = code;
    }
    if (status >= 0) {
        r->evse_status = (uint8_t)status;
    }
    if (!r->fired || r->restored) {
        return;
    }
    if (raw > 0 && r->code_seen < 0) {
        /* the first answer that is not a plain OK (0 in all three): a FAILED_*, or how a
         * resume was taken */
        r->code_seen = raw;
        r->code_proto = proto;
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
    uint32_t seq = 0, nrec = 0, nsess = 0, naborted = 0;
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
        /* A start the meter never ran (closed as aborted, docs/metering.md) is no metered
         * session: the charger's record has no transaction for it. The transaction a power
         * loss interrupted is the journal's alone and counted below, aborted or not. */
        if (e.state == JOURNAL_CLOSED && e.end == JOURNAL_END_ABORTED &&
            !(sc->kind == FAULTS_POWER_LOSS && strcmp(e.txid, r->pl_txid) == 0)) {
            naborted++;
        }
        nrec++;
    }
    for (uint32_t h = 0; charger_history(c, h) != NULL; h++) {
        nsess += charger_history(c, h)->meter_seq != 0 ? 1u : 0u;
    }
    nsess += r->resumes;
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
    if (nrec - naborted != nsess && !held) {
        char note[120];
        snprintf(note, sizeof note, "%lu journal records (%lu aborted starts) for %lu sessions with a transaction",
                 (unsigned long)nrec, (unsigned long)naborted, (unsigned long)nsess);
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

    /* I6 for bad input: the standard's code reached the EV and the record names the reason. */
    const char *code_name = r->code_seen < 0 ? "none"
                       : r->code_proto == FAULTS_PROTO_ISO20 ? iso20_response_code_name((uint8_t)r->code_seen)
                       : r->code_proto == FAULTS_PROTO_ISO2  ? iso2_response_code_name((uint8_t)r->code_seen)
                                                             : din_response_code_name((uint8_t)r->code_seen);
    const char *detail = r0 != NULL && r0->detail != NULL ? r0->detail : "";
    if (sc->code != NULL && strcmp(code_name, sc->code) != 0) {
        char note[120];
        snprintf(note, sizeof note, "the EV got ResponseCode %s, expected %s", code_name, sc->code);
        faults_fail(r, FAULTS_I_STOP_REASON, end, note);
    }
    if (sc->reason != NULL && strstr(detail, sc->reason) == NULL) {
        char note[160];
        snprintf(note, sizeof note, "the session record's reason '%.80s' does not name '%s'", detail, sc->reason);
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
             "%s; first session: stop=%s detail='%s' charged=%.1f s metered=%s; EV told: %s (code %s); "
             "sessions=%lu; journal records=%lu; end state=%s%s; max U after fault=%.1f V, max I=%.1f A%s",
             sc->proto == FAULTS_PROTO_ISO20 ? "ISO 15118-20" : sc->proto == FAULTS_PROTO_ISO2 ? "ISO 15118-2" : "DIN 70121", charger_stop_reason_token(got), detail,
             r0 != NULL ? r0->charge_ms / 1000.0 : 0.0, r0 != NULL && r0->meter_ok ? "yes" : "no",
             faults_check_ev_name((enum faults_ev_report)r->ev_worst), code_name, (unsigned long)charger_stats(c)->sessions, (unsigned long)nrec,
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
        if (r->sc->proto != FAULTS_PROTO_DIN) {
            /* "iso2/NAME", "iso20/NAME": the protocol's part of the reports in its own folder */
            snprintf(path, sizeof path, "%s/%s", dir, r->sc->proto == FAULTS_PROTO_ISO20 ? "iso20" : "iso2");
            (void)mkdir(path, 0777);
        }
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
        fprintf(f, "  expected: stop=%s, EV told %s%s%s%s%s%s%s\n", charger_stop_reason_token(r->sc->stop),
                faults_check_ev_name((enum faults_ev_report)r->sc->ev), r->sc->code ? ", code " : "",
                r->sc->code ? r->sc->code : "", r->sc->reason ? ", reason names '" : "",
                r->sc->reason ? r->sc->reason : "", r->sc->reason ? "'" : "",
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
