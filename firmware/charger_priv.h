/*
 * charger_priv.h - what the parts of one connector's session manager share (charger.c,
 * charger_session.c, charger_pilot.c, charger_power.c, charger_cc.c,
 * charger_tx.c, charger_auth.c, charger_supervise.c): constants, the charger's own codes
 * in the error table, and the functions one part calls in another. Not for boards.
 */
#ifndef CHARGER_PRIV_H
#define CHARGER_PRIV_H

#include "charger.h"

/* Consecutive failed pilot reads after which the pilot counts as broken (50 ms). */
#define CHARGER_PILOT_READ_FAILS_MAX 10u
/* Below this the output counts as discharged (IEC 61851-23 safe voltage). */
#define CHARGER_SAFE_MV 60000
/* How long an emergency keeps the connection to answer FAILED before closing it. */
#define CHARGER_CLOSE_DELAY_MS 300u
/*
 * The error table (errors.h) convention: an entry is (source, code), and each source has
 * one code space, named here or by the device interface that owns it:
 *   ERRORS_SRC_SESSION, _V2G, _PILOT  enum charger_stop_reason (the stop it causes)
 *   ERRORS_SRC_POWER_PATH             enum interlock_fault
 *   ERRORS_SRC_PSU                    psu_error type << 8 | subtype (psu.h)
 *   ERRORS_SRC_IMD                    enum isolation_error_type, and enum charger_imd_code
 *   ERRORS_SRC_METER                  -HAL_E* of the meter's health poll, and enum
 *                                     charger_meter_code
 *   ERRORS_SRC_LINK                   enum charger_link_code
 * The charger's own codes start at CHARGER_CODE_BASE, above every device's, so that a
 * device poll that clears its codes never clears the charger's.
 */
#define CHARGER_CODE_BASE 0x100u
/** ERRORS_SRC_IMD codes of the charger (besides the interface's error types). */
enum charger_imd_code {
    CHARGER_IMD_INSULATION_FAULT = CHARGER_CODE_BASE, /**< measured, held until reset */
};
/** ERRORS_SRC_METER codes of the charger: the health poll clears the negated HAL errors
 *  whenever the meter answers, which must not erase a start that was never acknowledged. */
enum charger_meter_code {
    CHARGER_METER_START_TIMEOUT = CHARGER_CODE_BASE,
    CHARGER_METER_KEY_MISMATCH,
    CHARGER_METER_KEY_CHANGED,
};
/** ERRORS_SRC_LINK codes (the link has no code space of its own). */
enum charger_link_code {
    CHARGER_LINK_SLAC_FAILED = 1,   /**< SLAC failed after every retry */
    CHARGER_LINK_NO_SESSION = 2,    /**< no V2G session within link_timeout_ms of plug-in */
    CHARGER_LINK_LOST = 3,          /**< the V2G connection went down during the session */
};
/* Proximity (CCS2 DC: a coded resistor between PP and PE, some 100 .. 3 300 Ohm): below
 * this it is shorted to PE, above that the PP line is open (no plug, broken wire). */
#define CHARGER_PP_SHORT_OHM 50u
#define CHARGER_PP_OPEN_OHM 10000u
/* A bad PP reading must persist this long: longer than the pilot's debounce, so that an
 * unplug (pilot to A and PP open at once) is reported as an unplug. */
#define CHARGER_PP_DEBOUNCE_MS (2u * CFG_PILOT_DEBOUNCE_MS + 50u)
enum charger_pp_reading { CHARGER_PP_OK = 0, CHARGER_PP_SHORT, CHARGER_PP_OPEN };
/* Said at start-up and at every session while the lab override is in force. */
#define CHARGER_LAB_OVERRIDE_TEXT                                                             \
    "LAB OVERRIDE (no isolation monitor fitted): insulation is NOT measured; the car is "     \
    "told Warning, never Valid"


/*
 * The EV side of the one session machine (charger_session.c): how the EV is talked to and
 * what it asks for. Two backends: V2G through hlc.h (charger_session.c) and the pilot
 * only (IEC 61851-1 states B/C, no messages: charger_pilot.c). The machine, its stops,
 * records, limits and the power path are the same for both; docs/architecture.md "One
 * session machine, two backends" maps the states.
 */
struct charger_backend {
    const char *name;              /**< charger_protocol_name(); NULL: the negotiated protocol's */
    enum charger_state first;      /**< the state a session starts in at plug-in */
    const char *plug_in_text;      /**< logged at plug-in ("waiting for SLAC"), NULL: nothing */
    bool cable_check;              /**< the session runs a cable check (the lab override is said) */
    /** No messages to end a session with: a cause stops it at once with the cause as the
     *  reason (no error entry, no graceful stop, no welding detection by the EV). */
    bool stops_at_once;
    /** The device supervision (stage, isolation monitor, meter errors, meter events)
     *  runs in every pass. */
    bool supervises;
    /** Plug-in: reset what the EV side keeps per session. */
    void (*begin)(struct charger *c, uint32_t now_ms);
    /** Every pass, before the session's own work (may be NULL): what the EV side does
     *  outside a running session (V2G: answer FAILED after a stop, close the link). */
    void (*tick)(struct charger *c, uint32_t now_ms);
    /** A running session, between the two abort checks: this pass's requests of the EV,
     *  acted upon (V2G: its messages and the link; the pilot: its EV view). */
    void (*exchange)(struct charger *c, enum pilot_state ps, uint32_t now_ms);
    /** The EV's values as the machine uses them (readiness, targets, maxima). */
    const struct hlc_ev *(*ev)(const struct charger *c);
};

/** V2G through hlc.h (charger_session.c): a link is wired. */
extern const struct charger_backend charger_backend_v2g;
/** The pilot only (charger_pilot.c): no link. */
extern const struct charger_backend charger_backend_pilot;

/* charger.c */
void charger_log(struct charger *c, enum hal_log_level lvl, uint32_t now_ms, const char *what,
                 const char *detail);
void charger_set_duty(struct charger *c, uint16_t duty, uint32_t now_ms);
void charger_goto(struct charger *c, enum charger_state s, uint32_t now_ms);
struct charger_session_record *charger_record(struct charger *c);
bool charger_held(const struct charger *c);
enum charger_state charger_fault_pass(struct charger *c, enum pilot_state ps, uint32_t now_ms);
bool charger_session_active(enum charger_state s);
void charger_set_reason(struct charger *c, enum charger_stop_reason why, const char *detail);
void charger_close_link(struct charger *c, uint32_t now_ms);
void charger_stop(struct charger *c, enum charger_stop_reason why, const char *detail,
                  uint32_t now_ms);
void charger_react(struct charger *c, uint32_t now_ms);
void charger_raise(struct charger *c, enum errors_source src, uint32_t code,
                   enum errors_severity sev, const char *text, uint32_t now_ms);
bool charger_energised(const struct charger *c);
void charger_session_begin(struct charger *c, uint32_t now_ms);

/* charger_supervise.c */
void charger_poll_psu(struct charger *c, uint32_t now_ms);
void charger_poll_imd(struct charger *c, uint32_t now_ms);
void charger_poll_meter(struct charger *c, uint32_t now_ms);
void charger_read_pp(struct charger *c, uint32_t now_ms);
const char *charger_pp_fault(const struct charger *c, enum pilot_state ps, uint32_t now_ms);

/* charger_power.c */
bool charger_connector_voltage(void *ctx, int32_t *mv);
void charger_measure(struct charger *c, uint32_t now_ms);
void charger_limits(struct charger *c, struct charger_limits *l);
void charger_command(struct charger *c, int32_t mv, int32_t ma, uint32_t now_ms);
void charger_regulate(struct charger *c, uint32_t now_ms);
void charger_follow(struct charger *c, const struct hlc_ev *ev, uint32_t now_ms);
void charger_preview_flags(struct charger *c, const struct hlc_request_view *rq);
void charger_precharge(struct charger *c, uint32_t now_ms);
void charger_fill_status(struct charger *c, uint32_t now_ms);

/* charger_tx.c */
void charger_meter_stop(struct charger *c, uint32_t now_ms);
void charger_tx_start(struct charger *c, const char *txid, const char *token_id, uint32_t now_ms);
void charger_meter_events(struct charger *c, uint32_t now_ms);
/* The session in progress has a transaction of its own (started, open, stopped or
 * failed): not one an earlier session left being stopped. */
bool charger_tx_mine(const struct charger *c);

/* charger_auth.c */
void charger_auth_decide(struct charger *c, bool ok, const char *how, uint32_t now_ms);
void charger_auth_begin(struct charger *c, uint32_t now_ms);
void charger_auth_poll(struct charger *c, uint32_t now_ms);
void charger_start_transaction(struct charger *c, uint32_t now_ms);

/* charger_cc.c */
void charger_cc_go(struct charger *c, enum charger_cc_step s, uint32_t now_ms);
void charger_cable_check(struct charger *c, uint32_t now_ms);

/* charger_session.c */
int charger_session_id(void *ctx, uint8_t *bytes, size_t len);
void charger_session(struct charger *c, uint32_t now_ms);

#endif /* CHARGER_PRIV_H */
