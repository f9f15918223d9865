/**
 * @file psu_huawei.h
 * @brief Connectors of a Huawei FusionCharge V100R023C10 power unit as `struct psu`s.
 *
 * One `struct psu_huawei_unit` is the dispenser's link to the unit: one TCP connection
 * that we open and on which we then serve Modbus (the unit is the client), the
 * unsolicited reports, and GOOSE on one raw-Ethernet port, all driven by one scheduler
 * task over the pure core in protocols/huawei/. Each connector of the dispenser is one
 * `struct psu_huawei` (the psu a charger gets) that points at the shared unit.
 *
 * The unit measures nothing at the output: psu_read_output() answers with the upstream
 * voltage the board measures (over-voltage monitor first, isolation monitor second), and
 * the current is not known. A lost link is a CommunicationFault of severity High on every
 * connector: the charger stops at once; the unit, no longer hearing our GOOSE stream,
 * is expected to stop on its 10 s TTL (the sheet: unverified).
 */
#ifndef PSU_HUAWEI_H
#define PSU_HUAWEI_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_tls.h"
#include "huawei/huawei_disp.h"
#include "isolation.h"
#include "ovm.h"
#include "psu.h"
#include "sched.h"

/** Frames handled per pass at most, each way (bounded work). */
#define PSU_HUAWEI_IO_PER_PASS 16u
/** Shortest gap between passes: the GOOSE repeats after a change are 2 ms apart. */
#define PSU_HUAWEI_PASS_MS 2u
/** Reconnect back-off: 10 ms x 2^i (the sheet), capped here. */
#define PSU_HUAWEI_RETRY_MAX_MS 5000u

struct psu_huawei;

/** Counters of the transports. */
struct psu_huawei_stats {
    uint32_t connects;    /**< TCP connections made */
    uint32_t link_drops;  /**< closed by the peer, reset, broken stream or silent too long */
    uint32_t tcp_errors;
    uint32_t eth_errors;
    uint32_t goose_rx;    /**< replies accepted */
    uint32_t goose_refused;
};

/** The dispenser's link to the unit. Fields are private to psu_huawei.c. */
struct psu_huawei_unit {
    struct huawei_disp disp;
    struct hal_net *net;
    struct hal_eth *eth;
    struct hal_log *log;
    struct hal_ip6_endpoint peer;
    int sock; /**< -1: no connection */
    struct hal_tls *tls; /**< mutual TLS on the link (psu_huawei_unit_use_tls), or NULL */
    int session;         /**< TLS session, -1: none */
    bool handshaken;     /**< the TLS handshake is done (or no TLS) */
    bool link_up;
    uint32_t retry_at_ms;
    uint8_t attempts;
    uint8_t tx[HUAWEI_ADU_MAX];
    size_t tx_len;
    size_t tx_off;
    struct sched_task task;
    struct psu_huawei *conn[HUAWEI_CONN_MAX];
    struct psu_huawei_stats stats;
    uint32_t round_trip_ms; /**< last setpoint change → first frame out (the figure of docs/huawei.md) */
    uint32_t alloc_ms;      /**< last allocation request → the unit's reply (or timeout) → Running */
};

/** One connector. Fields are private to psu_huawei.c. */
struct psu_huawei {
    struct psu base; /**< must stay first */
    struct psu_huawei_unit *unit;
    uint8_t local; /**< 1..4 */
    enum psu_mode mode;
    enum huawei_phase phase; /**< what the charger said (psu_huawei_set_phase); CHARGING if never */
    bool phase_told;
    uint32_t voltage_mv;
    uint32_t current_ma;
    struct ovm *ovm;        /**< upstream voltage, first choice (may be NULL) */
    struct isolation *imd;  /**< upstream voltage, second choice (may be NULL) */
    uint32_t set_at_ms;     /**< when the last setpoint or mode came */
    bool set_pending;       /**< ... and it has not gone out yet */
    struct psu_session told; /**< what psu_set_session() last passed on */
    bool session_told;       /**< ... once at least */
    enum huawei_cstate seen; /**< the state last looked at by the link task (its log) */
};

/**
 * @brief Start the link task and add it to @p s. The first connection attempt is made on
 *        its first pass.
 * @param cfg the dispenser (connectors, their global numbers, our MAC, VLAN, HMAC switches)
 * @param peer the unit's TCP endpoint
 * @retval HAL_OK @retval HAL_EINVAL bad configuration or NULL port @retval HAL_ENOMEM scheduler full
 */
int psu_huawei_unit_init(struct psu_huawei_unit *u, const struct huawei_disp_config *cfg,
                         const struct hal_ip6_endpoint *peer, struct hal_net *net, struct hal_eth *eth,
                         struct hal_log *log, struct sched *s, uint32_t now_ms);

/**
 * @brief Run the link over TLS: a client session of @p tls (its certificates: the unit's CA,
 *        our client certificate and key, for the sheet's mutual TLS) on every connection.
 *        Call before the first pass. A failed handshake drops the link like a lost one.
 */
void psu_huawei_unit_use_tls(struct psu_huawei_unit *u, struct hal_tls *tls);

/** @brief One pass of the task, for callers without a scheduler (tools, tests). */
void psu_huawei_unit_run(struct psu_huawei_unit *u, uint32_t now_ms);

/**
 * @brief Connector @p local (1..connectors) of @p u as a psu.
 * @param ovm, imd where the upstream voltage comes from (either may be NULL)
 * @retval HAL_OK @retval HAL_EINVAL bad connector, or already taken
 */
int psu_huawei_init(struct psu_huawei *p, struct psu_huawei_unit *u, unsigned local, struct ovm *ovm,
                    struct isolation *imd);

/* What the charger knows and the unit must hear. The charger says it through the neutral
 * psu_set_session() of psu.h, which calls these on changes; tools may call them directly. */
/** @brief The car is plugged (CP state B..F) or not (A). */
void psu_huawei_set_plugged(struct psu_huawei *p, bool plugged, uint32_t now_ms);
/** @brief The phase the next power is for (cable check, pre-charge, charging). */
void psu_huawei_set_phase(struct psu_huawei *p, enum huawei_phase phase, uint32_t now_ms);
/** @brief Board alarms of this connector (HUAWEI_AL_*). */
void psu_huawei_set_alarms(struct psu_huawei *p, uint8_t alarms);
/** @brief DC contactors closed or open, and the car-side meter's output V/I (0x1107/0x1109). */
void psu_huawei_set_output(struct psu_huawei *p, bool contactor_closed, int32_t out_mv, int32_t out_ma);

/** @brief The session state of this connector (for diagnostics and tests). */
enum huawei_cstate psu_huawei_state(const struct psu_huawei *p);
/** @brief Transport counters of the unit link. */
const struct psu_huawei_stats *psu_huawei_unit_stats(const struct psu_huawei_unit *u);

#endif /* PSU_HUAWEI_H */
