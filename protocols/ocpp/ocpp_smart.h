/**
 * @file ocpp_smart.h
 * @brief OCPP 1.6J Smart Charging profile: SetChargingProfile, ClearChargingProfile and
 *        GetCompositeSchedule, the installed profiles and the composite limit of a
 *        connector at a time, all on static memory.
 *
 * The charge point core (ocpp_cp.c) hands the three CALLs here (ocpp_smart_call) when a
 * board attached a `struct ocpp_smart` (cp->smart); without one they stay NotSupported.
 * The board asks ocpp_smart_limit() for each connector's limits as time goes on and applies
 * them to its power stage (firmware/ocpp_station.c: the station's limits).
 *
 * DC reading of the units (this is a DC charger; see docs/ocpp.md "Smart Charging"): a
 * limit in A caps the DC output current, one in W the DC output power. Limits are kept in
 * their own unit and applied in it (the station turns one into the other at the present
 * voltage); only GetCompositeSchedule, which answers in one unit, converts, at the
 * connector's session voltage (ocpp_smart_voltage), else at the nominal voltage.
 * numberPhases is checked (1..3) and reported but has no effect on a DC output.
 *
 * Bounds (reported as the read-only keys MaxChargingProfilesInstalled,
 * ChargingScheduleMaxPeriods, ChargeProfileMaxStackLevel): a profile beyond them is
 * Rejected, never truncated.
 */
#ifndef OCPP_SMART_H
#define OCPP_SMART_H

#include <stdbool.h>
#include <stdint.h>

#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_json.h"
#include "ocpp/ocpp_rpc.h"

/** Profiles installed at once, all connectors together (MaxChargingProfilesInstalled). */
#ifndef CFG_OCPP_SMART_PROFILES
#define CFG_OCPP_SMART_PROFILES 8
#endif
/** Periods of one schedule (ChargingScheduleMaxPeriods). */
#ifndef CFG_OCPP_SMART_PERIODS
#define CFG_OCPP_SMART_PERIODS 12
#endif
/** Highest stackLevel accepted (ChargeProfileMaxStackLevel). */
#ifndef CFG_OCPP_SMART_MAX_STACK
#define CFG_OCPP_SMART_MAX_STACK 8
#endif
/** Periods of a GetCompositeSchedule answer; a longer one is cut (its duration says where). */
#ifndef CFG_OCPP_SMART_COMPOSITE
#define CFG_OCPP_SMART_COMPOSITE 24
#endif
_Static_assert(CFG_OCPP_SMART_PROFILES >= 1u && CFG_OCPP_SMART_PROFILES <= 64u, "1..64 profiles");
_Static_assert(CFG_OCPP_SMART_PERIODS >= 1u && CFG_OCPP_SMART_PERIODS <= 48u, "1..48 periods");
_Static_assert(CFG_OCPP_SMART_COMPOSITE >= 2u && CFG_OCPP_SMART_COMPOSITE <= 96u, "2..96 periods");

/** A bound as the text of a read-only configuration key (so the bounds are plain decimal
 *  literals, without a u suffix). */
#define OCPP_SMART_STR_(x) #x
#define OCPP_SMART_STR(x) OCPP_SMART_STR_(x)

/** "No limit" from ocpp_smart_limit (UINT32_MAX, the station's STATION_NO_LIMIT). */
#define OCPP_SMART_NONE UINT32_MAX

enum ocpp_smart_purpose { OCPP_SP_CP_MAX = 0, OCPP_SP_TX_DEFAULT, OCPP_SP_TX, OCPP_SP_COUNT };
enum ocpp_smart_kind { OCPP_SK_ABSOLUTE = 0, OCPP_SK_RECURRING, OCPP_SK_RELATIVE };
enum ocpp_smart_recur { OCPP_SR_NONE = 0, OCPP_SR_DAILY, OCPP_SR_WEEKLY };
enum ocpp_smart_unit { OCPP_SU_A = 0, OCPP_SU_W };

struct ocpp_smart_period {
    int32_t start_s;  /**< startPeriod, seconds from the schedule's start */
    int32_t limit_d;  /**< limit in tenths of the unit (multipleOf 0.1) */
    uint8_t phases;   /**< numberPhases, 0 = not given */
};

/** One installed profile: a plain struct (no pointers), so a board can keep it as it is. */
struct ocpp_smart_profile {
    bool used;
    uint8_t connector;       /**< 0 = the whole charge point */
    uint8_t stack;
    uint8_t purpose;         /**< enum ocpp_smart_purpose */
    uint8_t kind;            /**< enum ocpp_smart_kind */
    uint8_t recur;           /**< enum ocpp_smart_recur */
    uint8_t unit;            /**< enum ocpp_smart_unit */
    bool has_tx;
    bool has_duration;
    uint8_t nper;
    int32_t id;
    int32_t tx_id;           /**< transactionId (TxProfile), when has_tx */
    int32_t duration_s;
    int32_t min_rate_d;      /**< minChargingRate in tenths, -1 none (kept, reported) */
    int64_t valid_from, valid_to; /**< unix s; 0 = open */
    int64_t start;           /**< startSchedule, unix s; 0 = none (Relative) */
    struct ocpp_smart_period per[CFG_OCPP_SMART_PERIODS];
};

/** A connector's transaction as the schedules see it. */
struct ocpp_smart_tx {
    bool running;
    int64_t start;           /**< unix s when it was first seen running */
};

struct ocpp_smart {
    struct ocpp_smart_profile p[CFG_OCPP_SMART_PROFILES];
    struct ocpp_smart_tx tx[CFG_OCPP_CONNECTORS + 1u];
    int32_t session_mv[CFG_OCPP_CONNECTORS + 1u]; /**< present DC voltage, 0 unknown */
    uint32_t nominal_mv;     /**< conversion voltage without a session (default 400 V) */
    uint32_t rating_w[CFG_OCPP_CONNECTORS + 1u];  /**< "no limit" in composites; [0] the station */
    uint32_t rating_ma[CFG_OCPP_CONNECTORS + 1u];
    uint8_t connectors;
    uint32_t generation;     /**< counts every change of the installed profiles */
    /* the TxProfile of an accepted RemoteStartTransaction, installed when that connector's
     * transaction starts (used = false: none), and when it was asked for (unix s) */
    struct ocpp_smart_profile remote[CFG_OCPP_CONNECTORS + 1u];
    int64_t remote_at[CFG_OCPP_CONNECTORS + 1u];
};

/** How long a RemoteStart's profile waits for its transaction beyond ConnectionTimeOut
 *  (authorisation, cable check and pre-charge come after the plug-in), seconds. */
#define OCPP_SMART_REMOTE_SLACK_S 120

/** Empty table; @p connectors 1..CFG_OCPP_CONNECTORS; ratings 0 = unknown. */
void ocpp_smart_init(struct ocpp_smart *s, uint8_t connectors, uint32_t nominal_mv);

/** The rating of connector @p c (0: the station) a composite shows where no profile limits. */
void ocpp_smart_rating(struct ocpp_smart *s, unsigned c, uint32_t max_w, uint32_t max_ma);

/** The session's present DC voltage on connector @p c (1-based), 0 = none. */
void ocpp_smart_voltage(struct ocpp_smart *s, unsigned c, int32_t mv);

/**
 * @brief Follow the core's transactions: a connector whose transaction appeared starts its
 *        Relative schedules at @p unix_s; one whose transaction ended loses its TxProfiles
 *        (they end with their transaction, OCPP 1.6 §3.13.2); a RemoteStart's TxProfile
 *        is installed on the transaction that starts (@p now_ms: for the log).
 */
void ocpp_smart_poll(struct ocpp_smart *s, const struct ocpp_cp *cp, int64_t unix_s, uint32_t now_ms);

/**
 * @brief The chargingProfile of a RemoteStartTransaction (token @p prof): checked against the
 *        schema as SetChargingProfile's is, then the spec's rule: only a TxProfile, without
 *        transactionId (the transaction does not exist yet), for a given connector.
 * @param out the profile read, for ocpp_smart_remote_set once the start is accepted
 * @param refuse set to the reason when the start must be Rejected (NULL: acceptable)
 * @return OCPP_ERR_NONE, or the CALLERROR to send (then @p why says which field)
 */
enum ocpp_error ocpp_smart_remote_check(struct ocpp_smart *s, struct ocpp_cp *cp, int prof, unsigned c,
                                        struct ocpp_smart_profile *out, const char **why, const char **refuse);

/** Keep @p p for connector @p c: ocpp_smart_poll installs it when the connector's next
 *  transaction starts within ConnectionTimeOut + OCPP_SMART_REMOTE_SLACK_S of @p unix_s. */
void ocpp_smart_remote_set(struct ocpp_smart *s, unsigned c, const struct ocpp_smart_profile *p, int64_t unix_s);

/** Whether @p action is one of the three Smart Charging CALLs. */
bool ocpp_smart_action(const char *action);

/**
 * @brief Answer one Smart Charging CALL: checks the payload against the schema and writes
 *        the payload's members (the caller opened and closes the object).
 * @return OCPP_ERR_NONE, or the CALLERROR to send (then @p why says which field)
 */
enum ocpp_error ocpp_smart_call(struct ocpp_smart *s, struct ocpp_cp *cp, const char *action, int payload,
                                struct ocpp_jw *w, uint32_t now_ms, const char **why);

/**
 * @brief The composite limits of connector @p c (1-based) at @p unix_s, each in its own
 *        unit: the smaller of the connector's profile (TxProfile, else TxDefaultProfile) and
 *        nothing else. OCPP_SMART_NONE: no limit of that unit.
 * @param cp_ma/cp_w the ChargePointMaxProfile's limits at that time (for the station)
 * @retval true some profile applies
 */
bool ocpp_smart_limit(const struct ocpp_smart *s, unsigned c, int64_t unix_s, uint32_t *max_ma,
                      uint32_t *max_w);
/** @brief The ChargePointMaxProfile's limits at @p unix_s (OCPP_SMART_NONE: none). */
bool ocpp_smart_cp_limit(const struct ocpp_smart *s, int64_t unix_s, uint32_t *max_ma, uint32_t *max_w);

/** One period of a composite schedule. */
struct ocpp_smart_cperiod {
    int32_t start_s;
    int32_t limit_d;   /**< tenths of the requested unit */
};

/**
 * @brief The composite schedule of connector @p c (0: the charge point) from @p t0 for
 *        @p duration_s seconds in @p unit, converted at the connector's voltage.
 * @return the number of periods written (≥ 1); *covered_s says how far they reach (the
 *         duration, or less when CFG_OCPP_SMART_COMPOSITE cut the list)
 */
unsigned ocpp_smart_composite(const struct ocpp_smart *s, unsigned c, int64_t t0, int32_t duration_s,
                              enum ocpp_smart_unit unit, struct ocpp_smart_cperiod *out, int32_t *covered_s);

/**
 * @brief The installed profiles as store lines (ocpp_cp_store_export): "prof ID C STACK
 *        PURPOSE KIND RECUR UNIT HASTX TXID HASDURATION DURATION MINRATE VALIDFROM VALIDTO
 *        START NPER" and NPER fields "STARTPERIOD,LIMIT,PHASES" (limits in tenths).
 */
void ocpp_smart_store_export(const struct ocpp_smart *s, void (*put)(void *ctx, const char *text, size_t len),
                             void *ctx);
/**
 * @brief One stored "prof" line, checked as SetChargingProfile's profile is (field ranges,
 *        periods, the rules between fields, the table's room) and installed. A TxProfile is
 *        refused unless its transaction still runs (TxProfiles end with their transaction).
 * @retval HAL_EINVAL refused (*why says why)
 */
int ocpp_smart_store_line(struct ocpp_smart *s, const struct ocpp_cp *cp, const char *line, const char **why);

#endif /* OCPP_SMART_H */
