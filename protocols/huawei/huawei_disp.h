/**
 * @file huawei_disp.h
 * @brief One dispenser of a Huawei FusionCharge V100R023C10 power unit, without I/O: the
 *        register map it serves on its TCP link, the unsolicited reports, the GOOSE
 *        publisher and subscriber (HMAC, replay check) and the per-connector session state
 *        machine of ../shared/spec/huawei-fusioncharge.md §4. The caller moves bytes and
 *        frames, and passes its loop time in; nothing here blocks or allocates.
 */
#ifndef HUAWEI_DISP_H
#define HUAWEI_DISP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "huawei/huawei_goose.h"
#include "huawei/huawei_regs.h"

/** Per-connector session state (§4). */
enum huawei_cstate {
    HUAWEI_CS_DISCONNECTED = 0,
    HUAWEI_CS_NO_KEY,
    HUAWEI_CS_NO_ALLOC,
    HUAWEI_CS_RUNNING,
    HUAWEI_CS_COMPLETED,
};

/** Charging phase of the charger's logic: what the power is for. */
enum huawei_phase {
    HUAWEI_PH_NONE = 0,
    HUAWEI_PH_CABLE_CHECK,
    HUAWEI_PH_PRECHARGE,
    HUAWEI_PH_CHARGING,
};

/** Board alarms of a connector the sheet maps to registers (§3.1, §3.2). */
#define HUAWEI_AL_DOOR 0x01u      /**< 0x3001 */
#define HUAWEI_AL_WATER 0x02u     /**< 0x3002 */
#define HUAWEI_AL_EPO 0x04u       /**< 0x3003 */
#define HUAWEI_AL_TILT 0x08u      /**< 0x3004 */
#define HUAWEI_AL_CONTACTOR 0x10u /**< 0x3105 of that connector */

/** Working status values (0x110B). */
#define HUAWEI_WS_STANDBY 0u
#define HUAWEI_WS_INSERTED 1u
#define HUAWEI_WS_CHARGING 3u
#define HUAWEI_WS_COMPLETE 4u
#define HUAWEI_WS_STARTING 8u

/** Outcome of an allocation (PowerRequestReply to the placeholder). */
enum huawei_alloc {
    HUAWEI_ALLOC_PENDING = 0,
    HUAWEI_ALLOC_OK,
    HUAWEI_ALLOC_REFUSED, /**< the unit answered "failure" */
    HUAWEI_ALLOC_TIMEOUT, /**< no answer within alloc_timeout_ms: the sheet goes on anyway */
};

/** Accepts a GOOSE stream only forward: stNum up, or the same stNum with sqNum up. */
struct huawei_replay {
    bool seen;
    uint32_t st;
    uint32_t sq;
};

/** @brief Accept (and remember) @p st/@p sq if newer than the last accepted. */
bool huawei_replay_accept(struct huawei_replay *r, uint32_t st, uint32_t sq);

struct huawei_disp_config {
    unsigned connectors;                /**< 1..4 */
    uint16_t global_no[HUAWEI_CONN_MAX]; /**< 1..12, unique across the unit */
    uint8_t mac[6];                     /**< our GOOSE interface */
    bool tagged;                        /**< send the 802.1Q tag (the sheet: yes) */
    uint16_t vlan_id;                   /**< 0..4094 (the sheet: 0) */
    bool send_secure;                   /**< HMAC on what we send (default on) */
    bool verify_hmac;                   /**< refuse replies without a valid HMAC (default on) */
    uint32_t alloc_timeout_ms;          /**< 0: 5000 */
    uint32_t link_timeout_ms;           /**< nothing received this long: link lost; 0: 60000 */
    bool startup_cycle;                 /**< §4 start-up: one plug-in/unplug cycle per idle
                                             connector once the unit is RUNNING (default on) */
    char esn[23];                       /**< unique per dispenser */
    float max_current_a[HUAWEI_CONN_MAX];
    float rated_power_kw[HUAWEI_CONN_MAX];
};

/** One connector. */
struct huawei_conn {
    enum huawei_cstate state;
    bool plugged;
    bool exported; /**< Export seen since Running began */
    bool export_on;
    enum huawei_phase phase;
    float volt;
    float amp;
    bool has_key;
    uint8_t key[HUAWEI_GOOSE_KEY_LEN];
    uint32_t alloc_since_ms;
    enum huawei_alloc alloc;
    uint8_t alarms;
    struct huawei_goose_msg tx; /**< the current frame */
    bool tx_valid;
    uint32_t st_num;
    uint32_t sq_num;
    uint32_t next_tx_ms;
    uint8_t burst;
    struct huawei_replay rx;
    uint32_t replies; /**< accepted PowerRequestReply frames */
    bool cycling;          /**< in the start-up plug-in/unplug cycle (NoKeyYet without a car) */
    uint32_t cycle_until_ms; /**< ... which gives up waiting for the key then */
};

struct huawei_disp {
    struct huawei_disp_config cfg;
    struct huawei_regs regs;
    struct huawei_conn conn[HUAWEI_CONN_MAX];
    uint8_t rx[2u * HUAWEI_ADU_MAX];
    size_t rx_len;
    bool link_up;
    uint32_t last_rx_ms;
    uint16_t report_tid;
    uint32_t next_report_ms;
    bool report_now;
    unsigned events; /**< connectors with a charging event to report (bit local-1) */
    bool psu_mac_known;
    bool cycled; /**< the start-up cycle was started on this link */
    uint8_t psu_mac[6];
    uint64_t unix_ms_base; /**< Unix time at loop time 0, for GOOSE T and 0x1024 */
    /* counters for diagnostics and tests */
    uint32_t rejects[HUAWEI_RX_REJECT_COUNT];
    uint32_t modbus_requests;
    uint32_t modbus_exceptions;
    uint32_t reports_sent;
    uint32_t report_answers_failed;
    uint32_t goose_sent[HUAWEI_CONN_MAX];
};

/** How long the start-up cycle waits for the unit's key (the sheet: 10 s). */
#define HUAWEI_CYCLE_KEY_MS 10000u

/** @brief Defaults of the sheet (secure both ways, 5 s allocation, 60 s link timeout, the
 *         start-up cycle). */
void huawei_disp_config_default(struct huawei_disp_config *c);
/** @retval HAL_OK @retval HAL_EINVAL bad connector count, number or VLAN */
int huawei_disp_init(struct huawei_disp *d, const struct huawei_disp_config *cfg, uint32_t now_ms);

/** @brief The TCP link is (re)connected: fresh stream, report soon. */
void huawei_disp_link_up(struct huawei_disp *d, uint32_t now_ms);
/** @brief The TCP link is gone: keys, allocations and the unit's MAC are forgotten, so no
 *         power request goes out until a new link has set them again. */
void huawei_disp_link_down(struct huawei_disp *d);

/**
 * @brief Bytes received on the TCP link.
 * @retval HAL_OK @retval HAL_EOVERFLOW more than a whole ADU is pending (the stream is lost)
 */
int huawei_disp_tcp_input(struct huawei_disp *d, const uint8_t *data, size_t len, uint32_t now_ms);
/**
 * @brief The next bytes to send on the TCP link: an answer to a pending request, else a
 *        report that is due.
 * @retval HAL_OK @p len bytes @retval HAL_EAGAIN nothing now
 * @retval HAL_EPROTO the stream is broken (close and reconnect)
 */
int huawei_disp_tcp_output(struct huawei_disp *d, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len);

/**
 * @brief A GOOSE frame received on the interface.
 * @retval HAL_OK accepted (a reply for one of our connectors)
 * @retval HAL_EPROTO refused: @p why says why (also counted in d->rejects)
 */
int huawei_disp_goose_input(struct huawei_disp *d, const uint8_t *f, size_t len, uint32_t now_ms,
                            enum huawei_goose_reject *why);
/**
 * @brief The next GOOSE frame due (any connector).
 * @retval HAL_OK @p len bytes to send @retval HAL_EAGAIN nothing due
 */
int huawei_disp_goose_output(struct huawei_disp *d, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len);

/**
 * @brief Timers: allocation timeout, link supervision, register refresh.
 * @retval HAL_OK @retval HAL_ETIMEDOUT nothing received for link_timeout_ms (link lost)
 */
int huawei_disp_tick(struct huawei_disp *d, uint32_t now_ms);

/* Inputs of one connector (@p local 1..connectors). HAL_EINVAL for a bad connector. */
int huawei_disp_plug(struct huawei_disp *d, unsigned local, bool plugged, uint32_t now_ms);
/** Export or Off, and the phase it is for (Off keeps CableCheck, as the sheet says). */
int huawei_disp_set_mode(struct huawei_disp *d, unsigned local, bool export_on, enum huawei_phase phase,
                         uint32_t now_ms);
int huawei_disp_set_export(struct huawei_disp *d, unsigned local, float volt, float amp, uint32_t now_ms);
int huawei_disp_set_alarms(struct huawei_disp *d, unsigned local, uint8_t alarms);
/** Measurements the unit does not make: output V/I (car-side meter) and upstream V (IMD/OVM). */
int huawei_disp_set_measured(struct huawei_disp *d, unsigned local, float out_v, float out_a, float upstream_v);
int huawei_disp_set_contactor(struct huawei_disp *d, unsigned local, bool closed);

/** Capabilities the unit wrote for a connector (V, A, kW), false until max V, I and P > 0. */
struct huawei_caps {
    float max_v, min_v, max_a, min_a, power_kw;
    bool available;
};
bool huawei_disp_caps(const struct huawei_disp *d, unsigned local, struct huawei_caps *caps);
/** @brief Running mode 0x2006 as written by the unit. */
uint16_t huawei_disp_running_mode(const struct huawei_disp *d);
/** @brief Whether an alarm register the firmware stops on (0x4004 EPO, 0x4011 insulation) is set;
 *         @p any: any PSU alarm register non-zero. */
bool huawei_disp_psu_stop_alarm(const struct huawei_disp *d, bool *any);
/** @brief The unit's alarm registers (0x4000..0x40E9) that are non-zero: the first @p max
 *         start addresses (a 32-bit flag register once) into @p out; returns how many there are. */
unsigned huawei_disp_alarm_list(const struct huawei_disp *d, uint16_t *out, unsigned max);
/** @brief Running mode as text ("running"); "?" for a value the sheet does not name. */
const char *huawei_running_mode_name(uint16_t mode);
/** @brief State name ("Running"). */
const char *huawei_cstate_name(enum huawei_cstate s);

#endif /* HUAWEI_DISP_H */
