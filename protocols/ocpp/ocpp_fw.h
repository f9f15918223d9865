/**
 * @file ocpp_fw.h
 * @brief OCPP 1.6J Firmware Management and the security whitepaper's signed firmware and log
 *        upload on the charge point: UpdateFirmware / FirmwareStatusNotification,
 *        GetDiagnostics / DiagnosticsStatusNotification, SignedUpdateFirmware /
 *        SignedFirmwareStatusNotification (L01), GetLog / LogStatusNotification (N01).
 *
 * The core never downloads, uploads, verifies or installs anything itself: a board's hooks
 * (struct ocpp_fw_ops) start each job and are polled until it is done or failed, so the
 * superloop never blocks. The core owns the schedule (retrieveDate, installDateTime), the
 * retries, the rule that an install waits until no transaction runs, the location checks
 * (a hostile URL is refused with a reason before any hook sees it) and the ordered status
 * notifications, each sent until the CSMS answered it.
 *
 * Two job slots run independently: the firmware (download, install) and the upload
 * (diagnostics or a log). With a manufacturer root certificate configured (ops->signed_ok)
 * only the signed variant is offered and legacy UpdateFirmware gets NotSupported (SEC3
 * L01.FR.20); without one, SignedUpdateFirmware gets NotSupported.
 */
#ifndef OCPP_FW_H
#define OCPP_FW_H

#include <stdbool.h>
#include <stdint.h>

#include "ocpp/ocpp_json.h"
#include "ocpp/ocpp_rpc.h"

/** Longest location we take (the signed schema's 512; the legacy anyURI is unbounded). */
#define OCPP_FW_LOCATION_MAX 512u
/** Longest Base64 signature (SignedUpdateFirmware schema: 800). */
#define OCPP_FW_SIGNATURE_MAX 800u
/** Longest signing certificate (PEM, schema: 5500). Only passed through to the board. */
#define OCPP_FW_CERT_MAX 5500u
/** File names we give in GetDiagnostics / GetLog answers. */
#define OCPP_FW_FILENAME_MAX 63u

#ifndef CFG_OCPP_FW_NOTES
#define CFG_OCPP_FW_NOTES 16u
#endif
_Static_assert(CFG_OCPP_FW_NOTES >= 4u && CFG_OCPP_FW_NOTES <= 255u, "CFG_OCPP_FW_NOTES must be 4..255");

enum ocpp_fw_job {
    OCPP_FW_JOB_DOWNLOAD = 0, /**< fetch the firmware from the location into the board's file */
    OCPP_FW_JOB_INSTALL,      /**< install the downloaded file */
    OCPP_FW_JOB_UPLOAD,       /**< write the diagnostics or log file and send it to the location */
};

/** What a job's poll says. */
enum ocpp_fw_result {
    OCPP_FW_RUNNING = 0,
    OCPP_FW_DONE,
    OCPP_FW_FAILED,
    OCPP_FW_VERIFY_FAILED, /**< install: the image was refused by the installer's own check */
};

/** Which upload (log type). */
enum ocpp_fw_log { OCPP_FW_LOG_DIAGNOSTICS = 0, OCPP_FW_LOG_SECURITY };

struct ocpp_fw_ops {
    /**
     * Start a job. @p location is checked (scheme, length, characters) and NULL for INSTALL;
     * @p file is the upload's file name (UPLOAD only), @p log which log, @p from_s/@p to_s the
     * time window (0: open). @retval HAL_OK started (poll it) else it failed at once.
     */
    int (*start)(void *ctx, enum ocpp_fw_job job, const char *location, const char *file, enum ocpp_fw_log log,
                 int64_t from_s, int64_t to_s);
    /** Poll the running job of that kind. */
    enum ocpp_fw_result (*poll)(void *ctx, enum ocpp_fw_job job);
    /** Stop a running job (a new request cancelled it). May be NULL. */
    void (*cancel)(void *ctx, enum ocpp_fw_job job);
    /** Whether signed firmware is configured (a manufacturer root). May be NULL: no. */
    bool (*signed_ok)(void *ctx);
    /**
     * Check the signing certificate (PEM) against the manufacturer root and keep its public
     * key for verify_file. @retval 0 valid, 1 revoked, -1 invalid (*why says why)
     */
    int (*verify_cert)(void *ctx, const char *pem, const char **why);
    /** Check the Base64 signature over the downloaded file with the kept key. 0 = valid. */
    int (*verify_file)(void *ctx, const char *signature_b64, const char **why);
};

/** The firmware slot's steps. */
enum ocpp_fw_step {
    OCPP_FWS_IDLE = 0,
    OCPP_FWS_SCHEDULED,    /**< waiting for retrieveDate */
    OCPP_FWS_DOWNLOADING,
    OCPP_FWS_RETRY_WAIT,   /**< a download failed; the next attempt after retryInterval */
    OCPP_FWS_INSTALL_WAIT, /**< downloaded (and verified): waiting for installDateTime / no transaction */
    OCPP_FWS_INSTALLING,
};

/** The upload slot's steps. */
enum ocpp_up_step { OCPP_UPS_IDLE = 0, OCPP_UPS_UPLOADING, OCPP_UPS_RETRY_WAIT };

/** One status notification waiting to be sent. */
struct ocpp_fw_note {
    uint8_t kind;    /**< 0 firmware, 1 signed firmware, 2 diagnostics, 3 log */
    uint8_t status;  /**< index into that kind's status names */
    bool has_id;
    int32_t request_id;
};

/** A transfer job's (the firmware download's, the upload's) attempts: one retry rule for both. */
struct ocpp_fw_transfer {
    uint32_t retries_left;     /**< attempts still allowed after the running one (retries) */
    uint32_t retry_interval_s; /**< retryInterval */
    uint32_t retry_at_ms;      /**< the next attempt (a RETRY_WAIT step) */
};

struct ocpp_fw {
    const struct ocpp_fw_ops *ops;
    void *ctx;

    /* firmware slot */
    uint8_t step;          /**< enum ocpp_fw_step */
    bool is_signed;
    int32_t request_id;
    char location[OCPP_FW_LOCATION_MAX + 1u];
    char signature[OCPP_FW_SIGNATURE_MAX + 1u];
    int64_t retrieve_s, install_s; /**< install_s 0: as soon as possible */
    struct ocpp_fw_transfer download;
    bool install_noted;    /**< InstallScheduled reported */
    uint8_t last_fw;       /**< last firmware status reported (for TriggerMessage) */
    bool last_fw_signed;

    /* upload slot */
    uint8_t up_step;       /**< enum ocpp_up_step */
    bool up_is_log;        /**< GetLog (else GetDiagnostics) */
    uint8_t up_log;        /**< enum ocpp_fw_log */
    int32_t up_request_id;
    char up_location[OCPP_FW_LOCATION_MAX + 1u];
    char up_file[OCPP_FW_FILENAME_MAX + 1u];
    int64_t up_from_s, up_to_s;
    struct ocpp_fw_transfer upload;
    uint8_t last_diag;     /**< last diagnostics status (TriggerMessage) */
    uint8_t last_log;      /**< last log upload status (ExtendedTriggerMessage) */

    struct ocpp_fw_note notes[CFG_OCPP_FW_NOTES];
    uint8_t nhead, ncount;
    uint32_t generation;   /**< counts every change of what ocpp_fw_store_export writes */
    uint32_t dropped;      /**< notifications lost to a full ring */
};

struct ocpp_cp;

void ocpp_fw_init(struct ocpp_fw *fw, const struct ocpp_fw_ops *ops, void *ctx);

/**
 * @brief Check a location: http, https or ftp; an authority; at most OCPP_FW_LOCATION_MAX
 *        bytes; printable ASCII without spaces, quotes or shell metacharacters.
 * @return NULL when acceptable, else the reason
 */
const char *ocpp_fw_location_check(const char *url);

/** Whether @p action is one this module answers (while attached). */
bool ocpp_fw_action(const char *action);

/**
 * @brief Answer one CALL: checks the payload against the schema and writes the answer's
 *        members (the caller opened and closes the object).
 * @return OCPP_ERR_NONE, or the CALLERROR to send (then @p why says why)
 */
enum ocpp_error ocpp_fw_call(struct ocpp_fw *fw, struct ocpp_cp *cp, const char *action, int payload,
                             struct ocpp_jw *w, uint32_t now_ms, const char **why);

/** TriggerMessage: queue the current FirmwareStatusNotification (@p diagnostics false) or
 *  DiagnosticsStatusNotification; Idle when nothing runs. */
void ocpp_fw_trigger(struct ocpp_fw *fw, bool diagnostics);

/**
 * @brief ExtendedTriggerMessage (security whitepaper): queue a SignedFirmwareStatusNotification
 *        (@p log false) or a LogStatusNotification (@p log true). Firmware: Idle after Installed
 *        or when no job ran, else the last status with its requestId (L01.FR.28-29); log: the
 *        running upload's status with its requestId, else Idle (N01). The caller answers the
 *        CALL first: the note waits in the ring until the answer is out.
 */
void ocpp_fw_trigger_ext(struct ocpp_fw *fw, bool log);

/** Run the schedule, retries and the board's jobs (call every loop, online or not). */
void ocpp_fw_poll(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms);

/** Write the first waiting notification as a CALL into cp->txbuf; false: none to send. */
bool ocpp_fw_send(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms);
/** Its answer: the notification leaves the ring (a CALLERROR too: sending again would loop). */
void ocpp_fw_answer(struct ocpp_fw *fw, struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms);

/** Whether the firmware slot is busy (the board may keep free connectors Unavailable). */
bool ocpp_fw_busy(const struct ocpp_fw *fw);
/** Running jobs plus notifications not yet confirmed (0: nothing left to do or say). */
unsigned ocpp_fw_pending(const struct ocpp_fw *fw);

/** Longest firmware version kept with a job (to tell after a restart whether it installed). */
#define OCPP_FW_VERSION_MAX 50u

/**
 * @brief The store lines (ocpp_cp_store_export): "fwnote KIND STATUS HASID REQUESTID" for each
 *        report not yet confirmed, "fwjob STEP SIGNED REQUESTID HEXVERSION" while a firmware
 *        job runs (@p firmware: the version running now), "upjob ISLOG REQUESTID" while an
 *        upload runs.
 */
void ocpp_fw_store_export(const struct ocpp_fw *fw, const char *firmware,
                          void (*put)(void *ctx, const char *text, size_t len), void *ctx);
/**
 * @brief One stored line after a restart: a report is queued again; a job the restart cut
 *        gets its final report, with its requestId: a download or a waiting install
 *        DownloadFailed / InstallationFailed, an install Installed when the charge point now
 *        runs another version than when it began, else InstallationFailed; an upload
 *        UploadFailed (UploadFailure for a log). Nothing is resumed.
 * @retval HAL_EINVAL refused (*why says why)
 */
int ocpp_fw_store_line(struct ocpp_fw *fw, struct ocpp_cp *cp, const char *line, const char **why);

#endif /* OCPP_FW_H */
