/**
 * @file api_mqtt.h
 * @brief The MQTT API for integrators, without the MQTT client: topic names, the JSON of
 *        every payload, the on-change rule (dead-band and minimum interval), the commands
 *        parsed, checked and handed to the station API (a reply with a reason on refusal),
 *        and the firmware-update walk of chargebyte's Charge Control M topics. See
 *        docs/mqtt.md for the topic scheme.
 *
 * Portable firmware: no heap, no clock, no socket. A board gives it an ops table: `publish`
 * (the client queues the message) and the firmware-update actions (download to a file,
 * run the installer, each started now and polled later). The board feeds it the messages
 * that arrive on the subscribed topics (api_mqtt_message()), the station's events as it
 * reads them (api_mqtt_event(): the ring has one reader, the board's), and calls
 * api_mqtt_poll() once per loop pass. Nothing here waits: a broker that is absent only
 * means publish() fails, which changes nothing in the station.
 */
#ifndef API_MQTT_H
#define API_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_json.h"
#include "station.h"

/** Topic version: the first element after the prefix ("dcfc/v1/<station>/..."). */
#define API_MQTT_VERSION "v1"

/** Longest topic plus its NUL. */
#ifndef CFG_API_MQTT_TOPIC_MAX
#define CFG_API_MQTT_TOPIC_MAX 128
#endif
/** Longest payload the API writes plus its NUL. */
#ifndef CFG_API_MQTT_PAYLOAD_MAX
#define CFG_API_MQTT_PAYLOAD_MAX 640
#endif
/** Longest command payload accepted (longer: refused unread). */
#define API_MQTT_COMMAND_MAX 1024u
/** Longest base topic ("PREFIX/v1/ID") plus its NUL. */
#define API_MQTT_BASE_MAX 64u
/** Longest firmware URL plus its NUL. */
#define API_MQTT_URL_MAX CFG_API_JSON_STR_MAX
/** Power-stage modules read for the `power_stage` topic's temperature (the rest are counted only). */
#define API_MQTT_PSU_MODULES 8u
/** Power-stage errors read for the `power_stage` topic. */
#define API_MQTT_PSU_ERRORS 8u
/** Errors of one connector listed in its retained `errors` topic. */
#define API_MQTT_ERRORS 8u
_Static_assert(CFG_API_MQTT_TOPIC_MAX >= 96 && CFG_API_MQTT_TOPIC_MAX <= 512, "CFG_API_MQTT_TOPIC_MAX must be 96..512");
_Static_assert(CFG_API_MQTT_PAYLOAD_MAX >= 512 && CFG_API_MQTT_PAYLOAD_MAX <= 4096,
               "CFG_API_MQTT_PAYLOAD_MAX must be 512..4096");

/** The Charge Control M topics (literal, at the root, as its user guide names them). */
#define API_MQTT_CCM_VERSION "ci/global/version/charging software"
#define API_MQTT_FWU_URL "firmware/update/target/url"
#define API_MQTT_FWU_TRIALS "firmware/update/target/max trials"
#define API_MQTT_FWU_INTERVAL "firmware/update/target/interval"
#define API_MQTT_FWU_ACTUAL "firmware/update/state/actual"
#define API_MQTT_FWU_PROGRESS "firmware/update/state/progress"
#define API_MQTT_FWU_RESULT "firmware/update/result/state"
#define API_MQTT_FWU_MESSAGE "firmware/update/result/message"

/** Firmware-update states (the names are the guide's). */
enum api_mqtt_fwu_state {
    API_MQTT_FWU_IDLE = 0,
    API_MQTT_FWU_DOWNLOADING,
    API_MQTT_FWU_DOWNLOAD_SUCCEEDED,
    API_MQTT_FWU_DOWNLOAD_FAILED,
    API_MQTT_FWU_INSTALLING,
    API_MQTT_FWU_INSTALL_SUCCEEDED,
    API_MQTT_FWU_INSTALL_FAILED,
    API_MQTT_FWU_STATE_COUNT
};

/** What the board does for the API. Every operation returns at once. */
struct api_mqtt_ops {
    /** Queue one message. @retval HAL_OK queued @retval <0 not connected or full (nothing
     *  is marked as published then: it goes out on a later pass or after a reconnect). */
    int (*publish)(void *ctx, const char *topic, const char *payload, size_t len, bool retain);
    /** Start downloading @p url to the board's update file. @retval HAL_OK started. */
    int (*download_start)(void *ctx, const char *url);
    /** @retval HAL_EAGAIN running (@p pct 0..100) @retval HAL_OK done @retval <0 failed
     *  (@p msg: why, static or owned by the board until the next call). */
    int (*download_poll)(void *ctx, uint8_t *pct, const char **msg);
    /** Start the installer on the downloaded file, or on @p url itself (a .raucb URL). */
    int (*install_start)(void *ctx, const char *url);
    /** @retval HAL_EAGAIN running @retval HAL_OK installed @retval <0 failed (@p msg why) */
    int (*install_poll)(void *ctx, const char **msg);
    void *ctx;
};

/** Configuration. */
struct api_mqtt_config {
    char prefix[24];            /**< first topic element ("dcfc") */
    char station_id[24];        /**< the station's element (the client id) */
    uint32_t deadband_pct;      /**< telemetry: a value must move this many % (1) */
    uint32_t min_interval_ms;   /**< telemetry: at most one message per topic this often (1000) */
    uint32_t heartbeat_ms;      /**< heartbeat period (10 000) */
    const char *version;        /**< the charging software's version (static) */
};

/** The on-change rule of one topic: what was published last, and when. */
struct api_mqtt_filter {
    bool sent;
    uint32_t hash;              /**< FNV-1a of the payload's text fields (or whole payload) */
    uint32_t at_ms;
    int64_t last[6];            /**< the numbers as published */
};

/** Per connector. */
enum api_mqtt_ctopic {
    API_MQTT_T_STATUS = 0, API_MQTT_T_SESSION, API_MQTT_T_RECORD, API_MQTT_T_EV, API_MQTT_T_MEAS,
    API_MQTT_T_EVSE, API_MQTT_T_ISOLATION, API_MQTT_T_ERRORS, API_MQTT_T_POWER_STAGE, API_MQTT_T_METER,
    API_MQTT_T_POWER_UNIT, API_MQTT_T_COUNT
};

struct api_mqtt_conn {
    struct api_mqtt_filter f[API_MQTT_T_COUNT];
    uint32_t session;           /**< number of the running session (0 none) */
    char token[STATION_TOKEN_MAX];
    enum station_token_source source;
    bool have_record;
    struct charger_session_record record;
    char record_token[STATION_TOKEN_MAX];
    struct {
        enum errors_source source;
        uint32_t code;
        enum errors_severity severity;
        const char *text;
    } err[API_MQTT_ERRORS];
    uint8_t nerr;
    uint32_t limit_ma, limit_w; /**< this connector's own limits as commanded */
};

/** The firmware-update walk. */
struct api_mqtt_fwu {
    enum api_mqtt_fwu_state state;
    bool active;                /**< a walk runs (or waits for its next trial) */
    bool retry_pending;
    char url[API_MQTT_URL_MAX];
    uint32_t max_trials, interval_s; /**< latched when the URL arrives */
    uint32_t want_trials, want_interval_s; /**< the target topics' last values */
    uint32_t trial;
    uint32_t next_ms;
    uint8_t progress;
    char result[24];
    char message[96];
    struct api_mqtt_filter f[4]; /**< actual, progress, result, message */
};

/** The API. Only api_mqtt.c touches the fields. */
struct api_mqtt {
    struct api_mqtt_config cfg;
    struct api_mqtt_ops ops;
    struct station *st;
    char base[API_MQTT_BASE_MAX];
    uint32_t now_ms, start_ms;
    bool connected;
    bool announced;             /**< online, version published since the connection */
    uint32_t heartbeat_at_ms;
    uint32_t station_ma, station_w;
    struct api_mqtt_filter station_limits;
    struct api_mqtt_conn conn[CFG_STATION_CONNECTORS];
    struct api_mqtt_fwu fwu;
    struct api_json_obj cmd;    /**< the command being handled (not on the stack) */
    char topic[CFG_API_MQTT_TOPIC_MAX];
    char payload[CFG_API_MQTT_PAYLOAD_MAX];
    char list[CFG_API_MQTT_PAYLOAD_MAX - 32]; /**< the errors array being written */
    struct psu_module mod[API_MQTT_PSU_MODULES]; /**< the stage's modules being read (off the stack) */
    struct psu_error perr[API_MQTT_PSU_ERRORS];  /**< the stage's errors being read */
    struct psu_unit_status unit;                 /**< the central unit's report being read */
    uint32_t published, refused; /**< counters: messages published, commands refused */
};

/** @brief Defaults: prefix "dcfc", id "station", 1 %, 1 s, heartbeat 10 s. */
void api_mqtt_default_config(struct api_mqtt_config *cfg);

/**
 * @brief Check a configuration: prefix and id are topic elements (1..23 characters of
 *        [A-Za-z0-9_.-]), dead-band 0..50 %, minimum interval 0..60 000 ms, heartbeat
 *        1..3 600 s.
 * @param[out] why the reason of a refusal (static)
 * @retval HAL_OK valid @retval HAL_EINVAL see @p why
 */
int api_mqtt_check_config(const struct api_mqtt_config *cfg, const char **why);

/**
 * @brief Start the API over @p st. @p station_ma / @p station_w: the station's limits at
 *        start (STATION_NO_LIMIT none), reported until a command changes them.
 * @retval HAL_OK @retval HAL_EINVAL a bad configuration or a missing operation
 */
int api_mqtt_init(struct api_mqtt *m, const struct api_mqtt_config *cfg, const struct api_mqtt_ops *ops,
                  struct station *st, uint32_t station_ma, uint32_t station_w, uint32_t now_ms);

/** @brief The base topic ("dcfc/v1/station"). */
const char *api_mqtt_base(const struct api_mqtt *m);

/**
 * @brief The last will the client registers before it connects: the retained online
 *        topic with "false".
 */
void api_mqtt_will(struct api_mqtt *m, char *topic, size_t tcap, const char **payload);

/** @brief The topics to subscribe to (i = 0..): NULL after the last. Written into @p buf. */
const char *api_mqtt_subscription(const struct api_mqtt *m, unsigned i, char *buf, size_t cap);

/** @brief The client is connected (again): every retained topic is published anew. */
void api_mqtt_connected(struct api_mqtt *m, bool up);

/** @brief A station event as the board reads it (sessions, records, errors). */
void api_mqtt_event(struct api_mqtt *m, const struct station_event *ev);

/** @brief One message that arrived on a subscribed topic (a command, an update target). */
void api_mqtt_message(struct api_mqtt *m, const char *topic, const void *payload, size_t len,
                      uint32_t now_ms);

/** @brief Once per loop pass: telemetry on change, the heartbeat, the update walk. */
void api_mqtt_poll(struct api_mqtt *m, uint32_t now_ms);

/** @brief The update walk's state. */
enum api_mqtt_fwu_state api_mqtt_fwu_state(const struct api_mqtt *m);
/** @brief "idle", "downloading", ... (the guide's names). */
const char *api_mqtt_fwu_state_name(enum api_mqtt_fwu_state s);

/**
 * @brief The on-change rule: should a topic whose numbers are @p v (with absolute dead-band
 *        floors @p floor) and whose other text hashes to @p hash be published now?
 *        Yes the first time and on a text change; for numbers, when one moved beyond its
 *        dead-band (@p deadband_pct of the last published value, at least its floor) and
 *        @p min_interval_ms passed since the last publication.
 */
bool api_mqtt_changed(const struct api_mqtt_filter *f, const int64_t *v, const int64_t *floor, unsigned n,
                      uint32_t hash, uint32_t now_ms, uint32_t deadband_pct, uint32_t min_interval_ms);

/** @brief FNV-1a of @p n bytes (the payload fingerprint the filter keeps). */
uint32_t api_mqtt_hash(const void *p, size_t n);

/** @brief Messages published; commands refused. */
uint32_t api_mqtt_published(const struct api_mqtt *m);
uint32_t api_mqtt_refused(const struct api_mqtt *m);

#endif /* API_MQTT_H */
