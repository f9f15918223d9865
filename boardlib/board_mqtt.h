/**
 * @file board_mqtt.h
 * @brief The MQTT API on a host board: libmosquitto as the client (no thread of its own:
 *        the board's loop calls board_mqtt_poll() every pass, which drives the socket with
 *        loop_read/loop_write/loop_misc), libcurl's multi interface for the firmware
 *        download, and the installer run as a child process. All the rules (topics,
 *        payloads, on-change, commands, the update walk) are firmware/api_mqtt.c's.
 */
#ifndef BOARD_MQTT_H
#define BOARD_MQTT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "api_mqtt.h"
#include "hal_log.h"

#define BOARD_MQTT_PATH_MAX 128u

/** The mqtt.* keys of the configuration (docs/configuration.md). */
struct board_mqtt_config {
    char host[64];                      /**< "" = no MQTT API */
    uint32_t port;                      /**< 1883, or 8883 with TLS */
    char tls_ca[BOARD_MQTT_PATH_MAX];   /**< CA file: TLS on when set */
    char user[64];
    char password_file[BOARD_MQTT_PATH_MAX]; /**< its first line is the password */
    char client_id[24];                 /**< also the station's topic element */
    char base_topic[24];                /**< first topic element, "dcfc" */
    uint32_t deadband_pct, min_interval_ms;
    char update_file[BOARD_MQTT_PATH_MAX]; /**< where a download goes */
    char installer[BOARD_MQTT_PATH_MAX];   /**< command given the file or .raucb URL */
};

/** The client. Only board_mqtt.c touches the fields. */
struct board_mqtt {
    struct board_mqtt_config cfg;
    struct api_mqtt api;
    struct hal_log *log;
    struct mosquitto *mosq;
    bool connected, connecting;
    uint32_t retry_at_ms, backoff_ms;
    uint32_t now_ms;
    uint32_t connects;
    uint32_t unacked;              /**< QoS 1 messages without their PUBACK yet */
    /* download */
    void *curl_multi, *curl;
    FILE *dl_file;
    int dl_result;                 /**< HAL_EAGAIN while running */
    char dl_msg[128];
    /* installer */
    pid_t inst_pid;
    int inst_result;
    char inst_msg[128];
    char password[128];
};

/** @brief Defaults: port 1883, id "station", base "dcfc", 1 %, 1000 ms, update file
 *         /tmp/dcfc-update.bin, installer "rauc install". */
void board_mqtt_defaults(struct board_mqtt_config *c);

/** @brief The API's configuration from the keys (@p version: static). */
void board_mqtt_api_config(const struct board_mqtt_config *c, struct api_mqtt_config *a, const char *version);

/**
 * @brief Check the keys across each other (port 1..65535, the id and base topic valid topic
 *        elements, dead-band and interval in range, a password file only with a user).
 * @param[out] key the key at fault @param[out] why its reason (static)
 * @return 0 valid, -1 see @p key and @p why
 */
int board_mqtt_check(const struct board_mqtt_config *c, const char **key, const char **why);

/**
 * @brief This machine: the CA and password files readable (--check).
 * @return 0 fine, -1 see @p key and @p why (a static reason)
 */
int board_mqtt_check_files(const struct board_mqtt_config *c, const char **key, const char **why);

/**
 * @brief Start the API over @p st (limits at start: @p station_ma, @p station_w) and the
 *        client; the first connection attempt is made at the first poll.
 * @retval HAL_OK @retval HAL_EINVAL a bad key @retval HAL_EIO libmosquitto refused
 */
int board_mqtt_start(struct board_mqtt *b, const struct board_mqtt_config *cfg, const char *version,
                     struct station *st, uint32_t station_ma, uint32_t station_w, struct hal_log *log,
                     uint32_t now_ms);

/** @brief A station event the board read from the ring (the ring has one reader). */
void board_mqtt_event(struct board_mqtt *b, const struct station_event *ev);

/** @brief Once per loop pass: socket I/O without waiting, reconnect, the API's pass. */
void board_mqtt_poll(struct board_mqtt *b, uint32_t now_ms);

/** @brief Leave cleanly (offline published, the will not sent); the child is not killed. */
void board_mqtt_stop(struct board_mqtt *b);

#endif /* BOARD_MQTT_H */
