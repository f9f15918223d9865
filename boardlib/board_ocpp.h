/**
 * @file board_ocpp.h
 * @brief The host boards' OCPP 1.6J charge point: the `ocpp.*` keys (defaults, checks, the
 *        security profile's rules) and the run (firmware/ocpp_station.c over the Linux
 *        network, TLS and random ports). docs/ocpp.md, docs/configuration.md.
 */
#ifndef BOARD_OCPP_H
#define BOARD_OCPP_H

#include <stdbool.h>
#include <stdint.h>

#include "linux_net.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "board_ocpp_cert.h"
#include "board_ocpp_fw.h"
#include "board_ocpp_link.h"
#include "board_ocpp_store.h"
#include "linux_crypto.h"
#include "ocpp_station.h"

#define BOARD_OCPP_URL_MAX 128
#define BOARD_OCPP_PATH_MAX 128

/** The `ocpp.*` keys. */
struct board_ocpp_config {
    char url[BOARD_OCPP_URL_MAX];       /**< ws[s]://HOST[:PORT][/PATH]; empty = no OCPP */
    char tls_url[BOARD_OCPP_URL_MAX];   /**< wss:// of profiles 2/3 beside a ws:// url (upgrade) */
    char identity[49];                  /**< the charge point identity (URL's last segment) */
    char password_file[BOARD_OCPP_PATH_MAX]; /**< AuthorizationKey (profiles 1, 2) */
    char ca[BOARD_OCPP_PATH_MAX];       /**< PEM CA of the CSMS's certificate (wss://) */
    char client_cert[BOARD_OCPP_PATH_MAX]; /**< profile 3 */
    char client_key[BOARD_OCPP_PATH_MAX];
    uint32_t security_profile;          /**< 0 (none: lab only) .. 3 */
    uint32_t heartbeat_s;
    uint32_t meter_sample_s;
    uint32_t ping_s;
    uint32_t tx_attempts;
    uint32_t tx_retry_s;
    char vendor[21];
    char model[21];
    struct board_ocpp_fw_config fw;     /**< ocpp.firmware_*, ocpp.diagnostics_cmd */
};

void board_ocpp_defaults(struct board_ocpp_config *c);
/** Checks of the keys together (no files read). 0 ok; -1 with the key and the reason. */
int board_ocpp_check(const struct board_ocpp_config *c, const char **key, const char **why);
/** The files the keys name can be read, the password has the length OCPP allows. */
int board_ocpp_check_files(const struct board_ocpp_config *c, const char **key, const char **why);

struct board_ocpp {
    bool on;
    struct ocpp_station os;
    struct linux_net net;
    struct linux_tls tls;
    struct linux_rng rng;
    char base[BOARD_OCPP_URL_MAX];
    char password[41];
    struct board_ocpp_store store;
    struct ocpp_cert cert;           /**< certificate management (ocpp_cert.h) */
    struct board_ocpp_cert bcert;    /**< its files in store.dir, the TLS rebuild */
    struct linux_crypto crypto;      /**< signature checks of a CertificateSigned chain */
    char ca[BOARD_OCPP_PATH_MAX], client_cert[BOARD_OCPP_PATH_MAX], client_key[BOARD_OCPP_PATH_MAX];
    char identity[49];
    struct board_ocpp_fw fw;            /**< Firmware Management (ocpp.firmware_dir set) */
    struct board_ocpp_link link;        /**< endpoint, TLS and password per security profile */
    char tls_url[BOARD_OCPP_URL_MAX];
    /* a Reset from the CSMS: its last frames out, then the process restarts */
    bool reset_flushing;
    uint32_t reset_ms;
};

/**
 * @brief Start the charge point (nothing when ocpp.url is empty).
 * @param journals one per connector (NULL entries: no transactions for it)
 * @retval HAL_OK started or not configured
 * @retval HAL_EINVAL a key or file does not do (said on the log)
 */
int board_ocpp_start(struct board_ocpp *bo, const struct board_ocpp_config *c, const char *serial,
                     const char *firmware, struct station *st, struct journal *const *journals, uint8_t n,
                     struct hal_log *log, uint32_t now_ms);
/** Keep the charge point's configuration, local list, cache and reservations in
 *  @p dir/ocpp.store (read now, written whenever they change). Nothing when OCPP is off. */
int board_ocpp_store_dir(struct board_ocpp *bo, const char *dir, uint32_t now_ms);
void board_ocpp_event(struct board_ocpp *bo, const struct station_event *e, uint32_t now_ms);
void board_ocpp_poll(struct board_ocpp *bo, uint32_t now_ms);
/**
 * A Reset from the CSMS is due on this board: every session is over, its Stop confirmed, and
 * the Reset.conf and the last frames are out (at most 5 s after), so the link was closed
 * (1001). The board then leaves its loop and asks its service manager to start it again.
 * @param hard set to whether the CSMS asked for a Hard reset
 */
bool board_ocpp_restart_due(struct board_ocpp *bo, uint32_t now_ms, bool *hard);
/** Messages not yet delivered to the CSMS (0 when off). */
unsigned board_ocpp_queued(const struct board_ocpp *bo);

#endif /* BOARD_OCPP_H */
