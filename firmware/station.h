/**
 * @file station.h
 * @brief The whole charging station behind one API: its connectors (each a `struct
 *        charger` with its power stage, meter and isolation monitor), the commands the
 *        command line, OCPP and MQTT give, a bounded typed event ring they read, and a
 *        station power limit shared among the connectors that draw power. See
 *        docs/station.md.
 *
 * The station owns no device: a board creates the connectors (charger_init) and hands
 * them over. It runs as one scheduler task after the connectors' tasks and only reads
 * their state and calls their public API, so a station never bypasses the safety order
 * of a connector: a stop, an unlock or an availability change is always a request that
 * the connector carries out in its own order (power off, contactors open, unlock).
 */
#ifndef STATION_H
#define STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "charger.h"
#include "errors.h"
#include "sched.h"

/** Connectors one station holds. */
#ifndef CFG_STATION_CONNECTORS
#define CFG_STATION_CONNECTORS 4
#endif
_Static_assert(CFG_STATION_CONNECTORS >= 1 && CFG_STATION_CONNECTORS <= 16,
               "CFG_STATION_CONNECTORS must be 1..16");

/** Events the ring keeps before the oldest is dropped (counted in `dropped`). */
#ifndef CFG_STATION_EVENTS
#define CFG_STATION_EVENTS 32
#endif
_Static_assert(CFG_STATION_EVENTS >= 8 && CFG_STATION_EVENTS <= 1024,
               "CFG_STATION_EVENTS must be 8..1024");

/** Longest token (RFID UID, backend id tag, EVCCID in hex) plus its NUL. */
#define STATION_TOKEN_MAX 20u

/** A command for every connector (set_limit: the station's own limit; availability). */
#define STATION_ALL 0xffu

/** station_set_limit(): no limit of this kind (0 is a limit: nothing, SuspendedEVSE). */
#define STATION_NO_LIMIT UINT32_MAX

/** Connector status in OCPP 1.6 terms (StatusNotification). */
enum station_status {
    STATION_AVAILABLE = 0, /**< operative, no vehicle */
    STATION_PREPARING,     /**< vehicle plugged in, no power yet (link, negotiation, checks) */
    STATION_CHARGING,      /**< power delivered */
    STATION_SUSPENDED_EV,  /**< in a power phase, the vehicle asks for no current */
    STATION_SUSPENDED_EVSE,/**< in a power phase, the station gives no power (limit 0) */
    STATION_FINISHING,     /**< power down, welding check, unlock: waiting for the unplug */
    STATION_RESERVED,      /**< kept for a reservation (no reservation command yet) */
    STATION_UNAVAILABLE,   /**< inoperative */
    STATION_FAULTED,       /**< a fault stopped the connector; reset or unplug clears it */
    STATION_STATUS_COUNT
};

/** Where an authorization token comes from. */
enum station_token_source {
    STATION_TOKEN_LOCAL = 0, /**< the operator (command line, local display) */
    STATION_TOKEN_RFID,      /**< a card reader */
    STATION_TOKEN_BACKEND,   /**< OCPP / MQTT remote start */
    STATION_TOKEN_EVCCID,    /**< the car's EVCCID / MAC (autocharge) */
    STATION_TOKEN_CONTRACT,  /**< a contract certificate (Plug & Charge, ISO 15118-2) */
    STATION_TOKEN_SOURCE_COUNT
};

/** What an event carries (`station_event.kind`). */
enum station_event_kind {
    STATION_EV_NONE = 0,
    STATION_EV_STATUS,          /**< u.status: the connector's status changed */
    STATION_EV_SESSION_STARTED, /**< u.started: a vehicle plugged in (session number) */
    STATION_EV_SESSION_STOPPED, /**< u.stopped: the session's record, once back to idle */
    STATION_EV_MEASUREMENT,     /**< u.meas: periodic while a session runs, and on status changes */
    STATION_EV_ERROR_RAISED,    /**< u.error */
    STATION_EV_ERROR_CLEARED,   /**< u.error */
    STATION_EV_EV_INFO,         /**< u.ev: protocol, SoC or the vehicle's limits changed */
    STATION_EV_KIND_COUNT
};

/** Present values of one connector. */
struct station_measurement {
    int32_t voltage_mv, current_ma;
    int32_t power_w;
    int64_t energy_wh;     /**< of the session so far (meter, or integrated) */
    int16_t soc;           /**< %, -1 unknown */
    uint32_t limit_w;      /**< the power limit applied now (0 = none below the rating) */
};

/** What the vehicle said about itself. */
struct station_ev_info {
    const char *protocol;  /**< "din", "pilot", ... (static) */
    int16_t soc;           /**< %, -1 unknown */
    int32_t max_voltage_mv, max_current_ma, max_power_w; /**< < 0: not sent */
    char evccid[2u * 8u + 1u]; /**< hex, "" unknown */
};

/** One event. */
struct station_event {
    enum station_event_kind kind;
    uint8_t connector;     /**< 0-based */
    uint32_t time_ms;      /**< loop time of the station pass that saw it */
    union {
        struct {
            enum station_status from, to;
        } status;
        struct {
            uint32_t number;                /**< the connector's session number */
            char token[STATION_TOKEN_MAX];  /**< pre-authorised token ("" none yet) */
            enum station_token_source source;
        } started;
        struct {
            struct charger_session_record record;
            char token[STATION_TOKEN_MAX];  /**< the token that authorised it ("" none) */
            enum station_token_source source;
        } stopped;
        struct station_measurement meas;
        struct {
            enum errors_source source;
            uint32_t code;
            enum errors_severity severity;
            const char *text;               /**< static */
        } error;
        struct station_ev_info ev;
    } u;
};

/** Operative state of a connector. */
enum station_availability {
    STATION_OPERATIVE = 0,
    STATION_INOPERATIVE,
};

/** Configuration of the station. */
struct station_config {
    uint32_t max_power_w;       /**< the station's supply limit shared by the connectors;
                                     0 or STATION_NO_LIMIT: none */
    uint32_t max_current_ma;    /**< the sum of the connectors' DC currents; 0 or
                                     STATION_NO_LIMIT: none */
    uint32_t measure_period_ms; /**< measurement events while a session runs, 10 000 */
    uint32_t token_timeout_ms;  /**< a remote start waits this long for the vehicle, 60 000 */
};

/** What the station keeps of one connector. Only station.c touches the fields. */
struct station_connector {
    struct charger *c;
    enum station_status status;
    enum station_availability availability;
    bool inoperative_after_session; /**< set_availability(INOPERATIVE, after session) pending */
    uint32_t limit_ma, limit_w;     /**< the connector's own limits (set_limit), or STATION_NO_LIMIT */
    uint32_t share_w;               /**< this pass's share of the station limit, 0 = none */
    bool share_zero;                /**< the station gives this connector nothing */
    uint32_t sessions_seen;         /**< charger stats.sessions at the last pass */
    uint32_t history_seen;          /**< charger history_count at the last pass */
    uint32_t measured_ms;           /**< last measurement event */
    char token[STATION_TOKEN_MAX];  /**< pre-authorisation / the session's token */
    enum station_token_source token_source;
    bool token_pending;             /**< given before the vehicle asked: used at AUTHORIZING */
    uint32_t token_since_ms;
    bool token_used;                /**< the current session was authorised with `token` */
    bool token_refused;             /**< station_refuse() before the session asked: refused then */
    struct station_ev_info ev;      /**< last EV info sent */
    bool ev_params;                 /**< the session reached its charge parameters */
    /* the errors active at the last pass, to report raised/cleared once */
    struct {
        enum errors_source source;
        uint32_t code;
    } errs[CFG_ERRORS_MAX];
    uint8_t nerrs;
};

/** The station. Only station.c touches the fields. */
struct station {
    struct station_config cfg;
    struct station_connector conn[CFG_STATION_CONNECTORS];
    uint8_t n;
    struct sched_task task;
    uint32_t now_ms;
    struct station_event ev[CFG_STATION_EVENTS];
    uint32_t ev_head;               /**< index of the oldest event */
    uint32_t ev_count;
    uint32_t dropped;               /**< events lost because nobody read them (oldest first) */
};

/** @brief Defaults: no station limits, measurements every 10 s, remote start waits 60 s. */
void station_default_config(struct station_config *cfg);

/**
 * @brief Take over @p n initialised connectors and add the station's task to @p s (add it
 *        after the connectors' tasks: it reads what their pass decided).
 * @retval HAL_OK running
 * @retval HAL_EINVAL n is 0 or above CFG_STATION_CONNECTORS, a connector is NULL
 * @retval HAL_ENOMEM the scheduler is full
 */
int station_init(struct station *st, const struct station_config *cfg, struct charger *const *conns,
                 uint8_t n, struct sched *s, uint32_t now_ms);

/** @brief One pass (the task calls it; tests may too): status, sessions, errors, sharing. */
void station_poll(struct station *st, uint32_t now_ms);

/* ---- commands: HAL_OK accepted, HAL_EINVAL a bad connector or argument, HAL_ESTATE not
 * in this state, HAL_ENOTSUP the connector's protocol cannot do it */

/**
 * @brief An authorization token: authorises the session waiting for one on @p connector,
 *        or (no session waiting) pre-authorises the next one for `token_timeout_ms`.
 */
int station_authorize(struct station *st, uint8_t connector, const char *token,
                      enum station_token_source source);

/**
 * @brief A token refused (the backend answered Invalid, Blocked, Expired...): the session
 *        waiting for authorisation on @p connector is refused now (no transaction, no power;
 *        the charger ends it in its safe order) instead of at the authorisation timeout, also
 *        when the answer came before the session asked (link, negotiation); a
 *        pre-authorisation with this token is dropped. HAL_ESTATE: no session is in progress.
 */
int station_refuse(struct station *st, uint8_t connector, const char *token);

/** @brief Remote start (OCPP RemoteStartTransaction): station_authorize() from the backend. */
int station_remote_start(struct station *st, uint8_t connector, const char *token);

/** @brief Remote stop: the running session stops gracefully. HAL_ESTATE: none runs. */
int station_remote_stop(struct station *st, uint8_t connector);

/** @brief Pause / resume charging. DIN 70121 has no pause: HAL_ENOTSUP there. */
int station_pause(struct station *st, uint8_t connector);
int station_resume(struct station *st, uint8_t connector);

/**
 * @brief Unlock (OCPP UnlockConnector): a running session is stopped, and the connector
 *        unlocks in its safe order once below 60 V. HAL_OK: unlocked or unlocking;
 *        HAL_ESTATE: a held fault keeps it locked until station_reset_fault().
 */
int station_unlock(struct station *st, uint8_t connector);

/**
 * @brief Operative or inoperative, one connector or STATION_ALL. Inoperative with a
 *        session running: @p after_session true waits for its end, false stops it now.
 */
int station_set_availability(struct station *st, uint8_t connector, enum station_availability a,
                             bool after_session);

/**
 * @brief Limits in mA (DC output current) and W: STATION_NO_LIMIT removes one, 0 gives
 *        nothing (the connector reports SuspendedEVSE while in a power phase). A connector's
 *        own limits, or with STATION_ALL the station's, shared among the connectors that
 *        draw power. Applied at once.
 */
int station_set_limit(struct station *st, uint8_t connector, uint32_t max_ma, uint32_t max_w);

/** @brief Operator reset of a held fault (charger_reset). @p why: the refusal, or NULL. */
int station_reset_fault(struct station *st, uint8_t connector, const char **why);

/** @brief The oldest unread event. @retval HAL_OK @p out filled @retval HAL_EAGAIN none */
int station_event_pop(struct station *st, struct station_event *out);

/** @brief Events dropped because the ring was full (oldest first). */
uint32_t station_events_dropped(const struct station *st);

/** @brief A connector's status (STATION_UNAVAILABLE for a bad index). */
enum station_status station_status(const struct station *st, uint8_t connector);

/** @brief Whether a token waits for the next vehicle on @p connector (a remote start or a
 *         card before the plug-in, within `token_timeout_ms`); false for a bad index. */
bool station_token_waiting(const struct station *st, uint8_t connector);

/** @brief This pass's power limit of a connector in W (0 = none below its rating). */
uint32_t station_connector_limit_w(const struct station *st, uint8_t connector);

/** @brief OCPP spelling ("Available", "SuspendedEVSE", ...). */
const char *station_status_name(enum station_status s);
/** @brief "local", "rfid", "backend", "evccid", "contract". */
const char *station_token_source_name(enum station_token_source s);
/** @brief "status", "session-started", ... */
const char *station_event_kind_name(enum station_event_kind k);

#endif /* STATION_H */
