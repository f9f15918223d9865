/**
 * @file board_ocpp_fw.h
 * @brief The host boards' side of OCPP Firmware Management (protocols/ocpp/ocpp_fw.h): the
 *        firmware download and the diagnostics/log upload through libcurl (board_curl.c,
 *        multi interface: never blocks), the install and the diagnostics file written by
 *        configured commands run as child processes (fork + execvp, no shell, reaped with
 *        waitpid WNOHANG), and the signed firmware's checks with OpenSSL (the signing
 *        certificate against the manufacturer root, RSA or ECDSA over SHA-256 of the file).
 */
#ifndef BOARD_OCPP_FW_H
#define BOARD_OCPP_FW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hal_log.h"
#include "ocpp/ocpp_fw.h"

#define BOARD_OCPP_FW_PATH_MAX 256

/** The keys (`ocpp.firmware_*`, `ocpp.diagnostics_cmd`; sim: --ocpp-fw-*). */
struct board_ocpp_fw_config {
    char dir[BOARD_OCPP_FW_PATH_MAX];         /**< where the image and the upload files go; empty: off */
    char install_cmd[BOARD_OCPP_FW_PATH_MAX]; /**< argv split at spaces, the image path appended */
    char diagnostics_cmd[BOARD_OCPP_FW_PATH_MAX]; /**< writes the upload file: + FILE LOGTYPE FROM TO */
    char root[BOARD_OCPP_FW_PATH_MAX];        /**< manufacturer root (PEM): signed firmware only */
};

struct board_ocpp_fw {
    struct ocpp_fw fw;
    struct board_ocpp_fw_config cfg;
    struct hal_log *log;
    uint32_t now_ms;
    /* per job (enum ocpp_fw_job): a transfer or a child process */
    struct {
        void *curl;      /**< CURL * */
        void *file;      /**< FILE * */
        pid_t pid;
        bool upload_after; /**< UPLOAD: the command wrote the file, the transfer is next */
        char url[OCPP_FW_LOCATION_MAX + OCPP_FW_FILENAME_MAX + 2];
        char path[BOARD_OCPP_FW_PATH_MAX + OCPP_FW_FILENAME_MAX + 2];
        enum ocpp_fw_result result;
    } job[3];
    void *multi;         /**< CURLM * */
    void *key;           /**< EVP_PKEY * of the accepted signing certificate */
    char why[400];
};

/** Attach to @p cp (cp->fw) with @p cfg; nothing when cfg->dir is empty. */
void board_ocpp_fw_start(struct board_ocpp_fw *b, const struct board_ocpp_fw_config *cfg, struct ocpp_cp *cp,
                         struct hal_log *log);
/** The loop's time for the log lines (the core polls the jobs itself). */
void board_ocpp_fw_tick(struct board_ocpp_fw *b, uint32_t now_ms);

#endif /* BOARD_OCPP_FW_H */
