/**
 * @file faults.h
 * @brief Fault-injection scenarios for the simulator board (issue 8): a table of
 *        scenarios (the fault, when it strikes, what must follow), a recorder that
 *        samples the plant every simulated millisecond into a fixed ring, the safety
 *        invariants judged from those samples (never from log text), and a per-scenario
 *        report (text block + inline SVG timeline). See docs/faults.md.
 *
 * `build/bin/sim --scenario NAME --report-dir DIR` runs one scenario;
 * `tools/faults/run.sh` (make faults) runs them all and assembles the report.
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "charger.h"
#include "faults_check.h"
#include "ev_model.h"
#include "exi/exi_din.h"
#include "exi/exi_iso2.h"
#include "exi/exi_iso20.h"
#include "exi/exi_iso20_dc.h"
#include "journal.h"
#include "plant.h"
#include "psu.h"
#include "sim_imd.h"
#include "sim_huawei_link.h"
#include "sim_infy.h"
#include "sim_net.h"
#include "sim_meter.h"

/** What is done to the charger's world. */
enum faults_kind {
    FAULTS_NONE = 0,
    FAULTS_ESTOP,          /**< e-stop pressed */
    FAULTS_UNPLUG,         /**< plug pulled (pilot to A) */
    FAULTS_PILOT_E,        /**< CP shorted to PE */
    FAULTS_PILOT_F,        /**< CP at -12 V (EVSE not available / broken) */
    FAULTS_PP_SHORT,       /**< proximity shorted to PE */
    FAULTS_PP_OPEN,        /**< proximity line open with the plug in */
    FAULTS_EV_FREEZE,      /**< the EV stops answering (its controller hangs, S2 stays) */
    FAULTS_EV_SEQUENCE,    /**< the EV sends CableCheckReq instead of CurrentDemandReq */
    FAULTS_EV_SESSION_ID,  /**< the EV sends a wrong SessionID */
    FAULTS_EV_TARGET_V,    /**< EVTargetVoltage far out of range (1 500 V) */
    FAULTS_EV_TARGET_I,    /**< EVTargetCurrent far out of range (3 000 A) */
    FAULTS_EV_ERROR,       /**< EVErrorCode FAILED_RESSTemperatureInhibit */
    FAULTS_EV_NOT_READY,   /**< EVReady false in CurrentDemandReq */
    FAULTS_TCP_RESET,      /**< the V2GTP TCP connection is reset */
    FAULTS_ISOLATION,      /**< insulation resistance drops to 50 kOhm */
    FAULTS_IMD_DEVICE,     /**< the isolation monitor reports a device fault */
    FAULTS_OV,             /**< output driven to arg mV (0 = EV max x 1.25): the ideal stage, or
                                the InfyPower modules' regulator runs away */
    FAULTS_OV_NEAR,        /**< output at EV max + 5 % (between the limits) */
    FAULTS_MOD_OTP,        /**< arg modules over-temperature (0 = all) */
    FAULTS_MOD_SHORT,      /**< one module reports an output short circuit */
    FAULTS_MOD_LOST,       /**< arg modules go silent on the bus (0 = all) */
    FAULTS_CAN_BUSOFF,     /**< the CAN controller goes bus-off */
    FAULTS_METER_SILENT,   /**< the meter stops answering */
    FAULTS_METER_REBOOT,   /**< the meter restarts and forgets the transaction (NOT_READY, no record) */
    FAULTS_METER_POWER_LOSS, /**< a brief power loss of the meter: it closes the transaction itself (READY) */
    FAULTS_METER_OCMF,     /**< the meter's stop record comes with a corrupted signature */
    FAULTS_METER_STOP_LOST, /**< the answers to arg stop commands are lost (the transaction stays open) */
    FAULTS_WELD,           /**< DC+ welds */
    FAULTS_FB_MISMATCH,    /**< DC- feedback reads open while the contact is closed */
    FAULTS_LOCK_FB,        /**< lock feedback drops */
    FAULTS_PSU_STUCK,      /**< the modules ignore "off" for 2 s */
    FAULTS_EVSE_STOP,      /**< the operator stops the session */
    FAULTS_OV_SPIKE,       /**< ideal stage: a 5 ms over-voltage spike (must not stop) */
    FAULTS_CONFIG,         /**< corrupt configuration at start-up (handled by main.c) */
    FAULTS_POWER_LOSS,     /**< the controller loses power (handled by main.c) */
    FAULTS_EV_MISBEHAVE,   /**< ISO-2: the car breaks one rule by itself (arg: enum iso2_ev_misbehave,
                                its `cfg.misbehave`); struck = the phase before the broken rule */
    FAULTS_EV_DIN_AFTER_ISO2, /**< ISO-2 negotiated: the EV's next CurrentDemandReq arrives
                                DIN-encoded (the reverse of iso2-after-din) */
    FAULTS_EV_STOP_EARLY,  /**< the car ends the session where real cars do (issue 23): arg 0
                                PowerDelivery(Stop) in place of its first PreChargeReq (right
                                after CableCheck), 1 in place of its second (in pre-charge),
                                2 SessionStop(Terminate) in place of a CurrentDemandReq */
    /* The Huawei unit (--psu huawei rows, "huawei/NAME"): the unit model does it */
    FAULTS_HW_LINK_DROP,   /**< the unit drops the dispenser's TCP link (it may reconnect) */
    FAULTS_HW_REFUSE,      /**< the unit answers the allocation with failure */
    FAULTS_HW_WRONG_KEY,   /**< the unit signs its replies with another key than it wrote */
    FAULTS_HW_NO_KEY,      /**< the unit never writes the session key */
    FAULTS_HW_ALARM,       /**< the unit raises alarm register arg (0x4004 EPO) */
    FAULTS_HW_REPLAY,      /**< the unit sends every reply twice (same stNum/sqNum) */
    FAULTS_KIND_COUNT
};

/** Scenario flags. */
#define FAULTS_F_IDEAL 0x01u      /**< run with the ideal stage (instant voltage read-back) */
#define FAULTS_F_CHARGED 0x02u    /**< the first session delivered power before the stop */
#define FAULTS_F_NO_POWER 0x04u   /**< the first session delivered none */
#define FAULTS_F_HELD 0x08u       /**< ends held locked (welded): no second car */
#define FAULTS_F_FORCED_OK 0x10u  /**< contactors may open under load after the power-down timeout */
#define FAULTS_F_CLAMP_V 0x20u    /**< the output never exceeds the EV's maximum voltage */
#define FAULTS_F_CLAMP_I 0x40u    /**< the output never exceeds the connector's 200 A */
#define FAULTS_F_OV_9MS 0x80u     /**< stage off 9..25 ms after the over-voltage began */
#define FAULTS_F_OV_400MS 0x100u  /**< stage off 400..450 ms after the over-voltage began */
#define FAULTS_F_OCMF_BAD 0x200u  /**< the first journal record carries an unverified record */
#define FAULTS_F_ZERO_I 0x400u    /**< from 1 s after the fault on, at most 2 A */
#define FAULTS_F_AT_METER_STOP 0x800u /**< power loss: strikes once the meter stop is sent (record not stored) */
#define FAULTS_F_RANDOM 0x1000u   /**< power loss: strikes arg-seeded 0..27 s after the first plug-in, any phase */
#define FAULTS_F_OV_SLOW 0x2000u  /**< stage off within the staleness bound + 25 ms of the over-voltage */
/** From the fault on, the over-voltage monitor may use only the source @p src (enum
 *  charger_vsource): the detection time of that source alone. */
#define FAULTS_F_VSRC_SHIFT 14u
#define FAULTS_F_VSRC(src) (1u << (FAULTS_F_VSRC_SHIFT + (unsigned)(src)))
#define FAULTS_F_VSRC_MASK (0x1Fu << FAULTS_F_VSRC_SHIFT)
#define FAULTS_F_HUAWEI 0x100000u /**< run with --psu huawei (the unit model, the real Huawei driver) */

/** The protocol a scenario runs with. */
enum faults_proto {
    FAULTS_PROTO_DIN = 0, /**< DIN 70121: the default car, the default charger */
    FAULTS_PROTO_ISO2,    /**< ISO 15118-2: named "iso2/NAME", the car `iso2`, the charger "iso2,din" */
    FAULTS_PROTO_ISO20,   /**< ISO 15118-20 DC: named "iso20/NAME", the car `iso20`, the charger
                               "iso20,iso2,din" (the simulator's link lets -20 run without TLS) */
};

/** One scenario. */
struct faults_scenario {
    const char *name;
    const char *what;
    enum faults_kind kind;
    enum charger_state at;        /**< strikes once the first session reaches this state */
    uint32_t delay_ms;            /**< ... and this long after */
    uint32_t arg;
    enum charger_stop_reason stop; /**< expected in the summary of the first session */
    enum faults_ev_report ev;     /**< expected report to the EV */
    unsigned flags;
    enum faults_proto proto;
    const char *din_only;         /**< non-NULL: no ISO-2 run, and why (listed in docs/faults.md) */
    const char *no_iso20;         /**< non-NULL: no -20 run, and why (listed in docs/faults.md) */
    const char *car;              /**< car profile (NULL: "iso2" for ISO-2, the default DIN car) */
    const char *protocols;        /**< the charger's v2g.protocols (NULL: "iso2,din" for ISO-2) */
    const char *code;             /**< the ResponseCode the EV must get after the fault (NULL: any) */
    const char *reason;           /**< text the first session record's detail must hold (NULL: any) */
};

/** The pieces of one connector the harness watches and acts on. */
struct faults_target {
    struct plant *plant;
    struct charger *charger;
    struct sim_infy *modules;     /**< NULL with the ideal stage */
    struct sim_infy_can *can;
    struct psu *driver;           /**< the InfyPower driver, NULL with the ideal stage */
    struct sim_meter *meter;
    struct sim_imd *imd;
    struct journal *journal;
    struct ev_model *car;
    struct sim_net *link;
    struct sim_huawei_bus *hw_bus;   /**< --psu huawei: the unit, else NULL */
    struct sim_huawei_port *hw_port; /**< ... and this connector's dispenser ports */
};

#define FAULTS_RING 65536u    /**< 65 s of 1 ms samples (the checker reads each as it is written) */

/** A run. */
struct faults_run {
    const struct faults_scenario *sc;
    struct faults_target t;
    bool fired, restored, ev_frozen;
    uint32_t fired_ms, state_since_ms, unlocked_idle_ms;
    uint32_t held_since_ms;      /**< the connector held locked by the fault since (0 = not) */
    enum charger_state last_state;
    bool mutate_active;
    uint32_t precharge_reqs;      /**< PreChargeReqs seen since the fault struck (EV_STOP_EARLY) */
    uint8_t ev_worst;             /**< enum faults_ev_report seen after the fault */
    uint8_t evse_status;
    struct faults_sample ring[FAULTS_RING];
    uint32_t nring;
    struct faults_check chk;      /**< I1..I3, the verdicts and the timeline */
    int32_t max_mv_after, max_ma_after, ev_max_mv;
    uint32_t ov_onset_ms, stage_off_after_ov_ms;
    enum charger_vsource ov_source; /**< the monitor's voltage source when the stage went off */
    uint8_t vsources;             /**< the charger's voltage sources before the fault */
    uint32_t spike_left;
    /* power loss (main.c restarts the firmware) */
    bool power_loss_now;          /**< main.c: cut the power now */
    uint32_t first_active_ms;     /**< the first session left idle (0 = not yet) */
    uint32_t pl_records;          /**< journal records at the loss */
    bool pl_meter_open;           /**< the meter had a transaction open at the loss */
    char pl_txid[JOURNAL_TXID_MAX];
    uint8_t car_phase;            /**< the car's enum ev_model_phase at the last tick */
    uint32_t resumes;             /**< paused sessions the car came back to (each a new transaction) */
    int code_seen;                /**< first ResponseCode other than OK after the fault (-1: none) */
    enum faults_proto code_proto; /**< ... in an answer of this protocol */
    union {
        struct exi_din_document din;
        struct exi_iso2_document iso2;
        struct exi_iso20_document iso20;
        struct exi_iso20_dc_document iso20dc;
    } doc;                        /**< the request being changed, or the answer being read */
    uint8_t buf[1024];
};

/** @brief The scenario called @p name, or NULL. */
const struct faults_scenario *faults_find(const char *name);

/** @brief Write every scenario name (one per line) to @p f (DIN-only rows once). */
void faults_list(FILE *f);

/**
 * @brief The car and the charger a scenario runs with: for ISO-2 the car profile (its
 *        misbehaviour for FAULTS_EV_MISBEHAVE) and the charger's protocol list.
 *        Nothing changes for a DIN scenario.
 * @param car the car's configuration (reset to the scenario's profile), or NULL
 * @param hlc the charger's V2G configuration, or NULL
 * @retval HAL_OK set
 * @retval HAL_EINVAL a profile or protocol list of the table is unknown (a table bug)
 */
int faults_configure(const struct faults_scenario *sc, struct ev_model_config *car, struct hlc_config *hlc);

/** @brief Start recording for @p sc on the connector @p t. */
void faults_setup(struct faults_run *r, const struct faults_scenario *sc, const struct faults_target *t);

/** @brief Once per simulated ms after the plant: fire, restore, record, check. */
void faults_tick(struct faults_run *r, uint32_t now_ms);

/**
 * @brief A request from the EV on its way to the charger: maybe changed.
 * @return true to deliver (*out, *out_len: the original or a changed copy), false to drop
 */
bool faults_filter_request(struct faults_run *r, const uint8_t *in, uint32_t len, const uint8_t **out,
                           uint32_t *out_len);

/** @brief A response from the charger to the EV (its EXI bytes, decoded here in the
 *         negotiated protocol; @p type, the V2GTP payload type, names the -20 namespace):
 *         what the EV was told. */
void faults_saw_response(struct faults_run *r, uint16_t type, const uint8_t *p, uint32_t len);

/** @brief Mark an invariant failed with a note (first note kept). */
void faults_fail(struct faults_run *r, enum faults_inv i, uint32_t now_ms, const char *note);

/**
 * @brief Judge the end state, write DIR/NAME.txt and DIR/NAME.svg (dir may be NULL).
 * @return true when every invariant held and the scenario ended as expected
 */
bool faults_finish(struct faults_run *r, const char *dir, bool timed_out);

#endif /* FAULTS_H */
