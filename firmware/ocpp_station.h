/**
 * @file ocpp_station.h
 * @brief OCPP 1.6J on the station: the charge point core (protocols/ocpp) wired to the
 *        station's commands and events, the connectors' meter journals and the WebSocket.
 *
 * The board hands every station event to ocpp_station_event() (it may give the same events
 * to other consumers, e.g. the MQTT API) and calls ocpp_station_poll() from its loop. The
 * backend's commands become station commands, so they keep each connector's safety order.
 */
#ifndef OCPP_STATION_H
#define OCPP_STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_smart.h"
#include "ocpp/ocpp_ws.h"
#include "ocpp_journal.h"
#include "station.h"

struct ocpp_station {
    struct ocpp_cp cp;
    struct ocpp_ws ws;
    bool transport;   /**< ws is used (else the caller pumps cp itself: tests) */
    struct station *st;
    struct hal_log *log;
    uint8_t n;
    struct ocpp_journal jr[CFG_OCPP_CONNECTORS];
    bool has_journal[CFG_OCPP_CONNECTORS];
    enum station_status last[CFG_OCPP_CONNECTORS];
    bool reset_pending;
    bool reset_hard;
    /* Smart Charging: the profiles, and the limits last given to the station from them */
    struct ocpp_smart smart;
    uint32_t smart_gen;          /**< smart.generation at the last evaluation */
    uint32_t smart_ms;           /**< loop time of the last evaluation */
    bool smart_once;             /**< evaluated at least once */
    uint32_t lim_ma[CFG_OCPP_CONNECTORS], lim_w[CFG_OCPP_CONNECTORS]; /**< OCPP_SMART_NONE: none set */
    uint32_t cp_ma, cp_w;        /**< the ChargePointMaxProfile's, OCPP_SMART_NONE: none */
    uint32_t base_ma, base_w;    /**< the station's own limits, restored when no profile limits */
    uint32_t now_ms;          /**< of the last poll or event (token decisions use the clock) */
    /* the last measurement of each connector's running transaction, for clock-aligned values */
    struct ocpp_sample meas[CFG_OCPP_CONNECTORS];
    int64_t meas_wh[CFG_OCPP_CONNECTORS];   /**< the register then */
    uint32_t meas_tx[CFG_OCPP_CONNECTORS];  /**< the transaction it belongs to, 0 none */
    /* the board's store of the configuration, local list, cache and reservations */
    void (*save)(void *ctx, const struct ocpp_cp *cp);
    void *save_ctx;
    uint32_t saved_gen;
    bool link_failed;         /**< a security event was raised for the current failure */
};

/**
 * @param journals one per connector (NULL entries or a NULL array: no transactions for it)
 * @param ws_cfg the WebSocket target and options; NULL: no transport (the caller feeds
 *        ocpp_cp_rx and sends what ocpp_cp_poll gives, as tests do)
 */
int ocpp_station_init(struct ocpp_station *os, struct station *st, struct journal *const *journals,
                      uint8_t n, const struct ocpp_cp_info *info, const struct ocpp_cp_config *cfg,
                      const struct ocpp_ws_config *ws_cfg, struct hal_net *net, struct hal_tls *tls,
                      struct hal_rng *rng, struct hal_log *log, uint32_t id_seed, uint32_t now_ms);

/**
 * Smart Charging on the station (docs/ocpp.md "Smart Charging"): every second, and at once
 * after the backend changed a profile, each connector's composite limit becomes the
 * connector's own limits (station_set_limit: A as its DC current, W as its DC power) and the
 * ChargePointMaxProfile the station's shared limit (never above the station's configured
 * one). The car sees them as the EVSE maximum current and power of the next answer. Called
 * by ocpp_station_poll(); tests may call it.
 */
void ocpp_station_smart(struct ocpp_station *os, uint32_t now_ms);

/** One event of the station (the board pops them and hands each to every consumer). */
void ocpp_station_event(struct ocpp_station *os, const struct station_event *e, uint32_t now_ms);

/** Move frames between the WebSocket and the charge point; follow the journals. */
void ocpp_station_poll(struct ocpp_station *os, uint32_t now_ms);

/** A token presented at @p connector (0-based): asked of the backend, then authorised. */
int ocpp_station_authorize(struct ocpp_station *os, uint8_t connector, const char *token);

/** Where the charge point's persistent state goes: @p save is called (from the core's
 *  persist hook) whenever the configuration, the local list, the cache or a reservation
 *  changed; the board writes ocpp_cp_store_export() atomically. Load before with
 *  ocpp_cp_store_line(). */
void ocpp_station_set_store(struct ocpp_station *os, void (*save)(void *ctx, const struct ocpp_cp *cp), void *ctx);

/** The backend asked for a reset and the station is idle enough to do it: the board reboots. */
bool ocpp_station_reset_due(const struct ocpp_station *os, bool *hard);

#endif /* OCPP_STATION_H */
