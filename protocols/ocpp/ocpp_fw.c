/*
 * OCPP Firmware Management on the charge point: owns the firmware job (UpdateFirmware and
 * SignedUpdateFirmware: schedule, download retries, signature check, the install that waits
 * for the transactions to end) and the upload job (GetDiagnostics, GetLog), and the ring of
 * their status notifications. The board does the work (struct ocpp_fw_ops) and is polled,
 * so nothing here blocks; every location is checked here before a board sees it.
 */
#include "ocpp/ocpp_fw.h"

#include <stdio.h>
#include <string.h>

#include "hal_err.h"
#include "ocpp/ocpp_auth.h"
#include "ocpp/ocpp_chk.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_sec.h"

#define LOGI(cp, now, ...) hal_logf((cp)->log, HAL_LOG_INFO, (now), __VA_ARGS__)
#define LOGW(cp, now, ...) hal_logf((cp)->log, HAL_LOG_WARN, (now), __VA_ARGS__)

/* The signing certificate (up to 5.5 kB of PEM) is decoded into the upper part of the frame
 * buffer while the answer, under 200 bytes, is written into its lower part: no 5.5 kB of RAM
 * or stack of its own for a string needed only while the CALL is answered. */
#define CERT_SCRATCH_OFF 1024u
_Static_assert(CFG_OCPP_TX_MAX >= CERT_SCRATCH_OFF + OCPP_FW_CERT_MAX + 1u,
               "ocpp_fw decodes the signing certificate into the frame buffer: CFG_OCPP_TX_MAX too small");

/* Firmware statuses: the signed variant's list; the legacy one uses a subset of it. */
enum fwst {
    FS_DOWNLOADED = 0,
    FS_DOWNLOAD_FAILED,
    FS_DOWNLOADING,
    FS_DOWNLOAD_SCHEDULED,
    FS_IDLE,
    FS_INSTALLATION_FAILED,
    FS_INSTALLING,
    FS_INSTALLED,
    FS_INSTALL_SCHEDULED,
    FS_INSTALL_VERIFICATION_FAILED,
    FS_INVALID_SIGNATURE,
    FS_SIGNATURE_VERIFIED,
    FS_COUNT
};
static const char *const k_fwst[FS_COUNT] = {
    "Downloaded", "DownloadFailed", "Downloading", "DownloadScheduled", "Idle", "InstallationFailed",
    "Installing", "Installed", "InstallScheduled", "InstallVerificationFailed", "InvalidSignature",
    "SignatureVerified",
};

/* Upload statuses; the diagnostics and the log spell the failure differently (UploadFailed
 * vs UploadFailure, fact sheet §4.8). */
enum upst { US_IDLE = 0, US_UPLOADED, US_FAILED, US_UPLOADING, US_COUNT };
static const char *const k_diagst[US_COUNT] = {"Idle", "Uploaded", "UploadFailed", "Uploading"};
static const char *const k_logst[US_COUNT] = {"Idle", "Uploaded", "UploadFailure", "Uploading"};

enum { NK_FW = 0, NK_SIGNED_FW, NK_DIAG, NK_LOG };
static const char *const k_note_action[] = {"FirmwareStatusNotification", "SignedFirmwareStatusNotification",
                                            "DiagnosticsStatusNotification", "LogStatusNotification"};

/* Default retry interval when the CSMS gives none (its choice is ours then). */
#define DEFAULT_RETRY_INTERVAL_S 30u

void ocpp_fw_init(struct ocpp_fw *fw, const struct ocpp_fw_ops *ops, void *ctx)
{
    memset(fw, 0, sizeof *fw);
    fw->ops = ops;
    fw->ctx = ctx;
    fw->last_fw = FS_IDLE;
    fw->last_diag = US_IDLE;
    fw->last_log = US_IDLE;
}

bool ocpp_fw_busy(const struct ocpp_fw *fw)
{
    return fw->step != OCPP_FWS_IDLE;
}

unsigned ocpp_fw_pending(const struct ocpp_fw *fw)
{
    return (fw->step != OCPP_FWS_IDLE ? 1u : 0u) + (fw->up_step != OCPP_UPS_IDLE ? 1u : 0u) + fw->ncount;
}

/* ------------------------------------------------------------------ locations */

const char *ocpp_fw_location_check(const char *url)
{
    static const char *const schemes[] = {"http://", "https://", "ftp://", NULL};
    size_t n = strlen(url);
    if (n == 0) {
        return "empty location";
    }
    if (n > OCPP_FW_LOCATION_MAX) {
        return "location longer than 512 bytes";
    }
    size_t s = 0;
    for (unsigned k = 0; schemes[k] != NULL; k++) {
        size_t l = strlen(schemes[k]);
        if (strncmp(url, schemes[k], l) == 0) {
            s = l;
        }
    }
    if (s == 0) {
        return "location is not http://, https:// or ftp://";
    }
    if (url[s] == '\0' || url[s] == '/') {
        return "location has no host";
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        /* RFC 3986 characters only, and of those none a shell or a command line would read
         * (the board never hands it to a shell, but a tool it runs might) */
        if (c <= 0x20 || c >= 0x7f || strchr("\"'`$;|&<>(){}[]\\^*!#", (int)c) != NULL) {
            return "location holds a space, a control or a shell character";
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ notifications */

/* Into the ring only: a triggered note repeats a status, it must not become the "last" one
 * (an Idle answered to a trigger would hide a failed job from the next trigger). */
static void push(struct ocpp_fw *fw, uint8_t kind, uint8_t status, bool has_id, int32_t id)
{
    if (fw->ncount == CFG_OCPP_FW_NOTES) {
        /* full (a CSMS offline through many steps): the oldest unsent goes, the head may be in flight */
        for (unsigned i = 1; i + 1u < fw->ncount; i++) {
            fw->notes[(fw->nhead + i) % CFG_OCPP_FW_NOTES] = fw->notes[(fw->nhead + i + 1u) % CFG_OCPP_FW_NOTES];
        }
        fw->ncount--;
        fw->dropped++;
    }
    fw->generation++; /* a step or its report: the store is written again */
    struct ocpp_fw_note *n = &fw->notes[(fw->nhead + fw->ncount) % CFG_OCPP_FW_NOTES];
    n->kind = kind;
    n->status = status;
    n->has_id = has_id;
    n->request_id = id;
    fw->ncount++;
}

/* A job's own step: remembered for the triggers, then queued. */
static void note(struct ocpp_fw *fw, uint8_t kind, uint8_t status, bool has_id, int32_t id)
{
    if (kind <= NK_SIGNED_FW) {
        fw->last_fw = status;
        fw->last_fw_signed = kind == NK_SIGNED_FW;
    } else if (kind == NK_DIAG) {
        fw->last_diag = status;
    } else {
        fw->last_log = status;
    }
    push(fw, kind, status, has_id, id);
}

static void fw_note(struct ocpp_fw *fw, struct ocpp_cp *cp, enum fwst st, uint32_t now_ms)
{
    LOGI(cp, now_ms, "ocpp: firmware %s%s", k_fwst[st], fw->is_signed ? " (signed)" : "");
    note(fw, fw->is_signed ? NK_SIGNED_FW : NK_FW, (uint8_t)st, fw->is_signed, fw->request_id);
}

static void up_note(struct ocpp_fw *fw, struct ocpp_cp *cp, enum upst st, uint32_t now_ms)
{
    LOGI(cp, now_ms, "ocpp: %s upload %s", fw->up_is_log ? "log" : "diagnostics",
         (fw->up_is_log ? k_logst : k_diagst)[st]);
    note(fw, fw->up_is_log ? NK_LOG : NK_DIAG, (uint8_t)st, fw->up_is_log, fw->up_request_id);
}

void ocpp_fw_trigger(struct ocpp_fw *fw, bool diagnostics)
{
    if (diagnostics) {
        /* Idle only when triggered while idle (fact sheet §2.8) */
        push(fw, NK_DIAG, fw->up_step == OCPP_UPS_IDLE || fw->up_is_log ? US_IDLE : fw->last_diag, false, 0);
        return;
    }
    bool idle = fw->step == OCPP_FWS_IDLE;
    uint8_t st = idle ? (uint8_t)FS_IDLE : fw->last_fw;
    bool sig = idle ? fw->last_fw_signed : fw->is_signed;
    push(fw, sig ? NK_SIGNED_FW : NK_FW, st, sig && !idle, fw->request_id);
}

void ocpp_fw_trigger_ext(struct ocpp_fw *fw, bool log)
{
    if (log) {
        /* only a GetLog upload is the log's; GetDiagnostics has its own notification */
        bool running = fw->up_step != OCPP_UPS_IDLE && fw->up_is_log;
        uint8_t st = running ? fw->last_log : (uint8_t)US_IDLE;
        push(fw, NK_LOG, st, running, fw->up_request_id);
        return;
    }
    /* the last status stays the answer after a job ended (a failure the CSMS may have missed);
     * Installed is over and reads Idle. A legacy UpdateFirmware job has no requestId: its
     * status goes without one. last_fw_signed keeps the job's kind once it is over. */
    bool idle = fw->last_fw == FS_INSTALLED || fw->last_fw == FS_IDLE;
    bool with_id = !idle && fw->last_fw_signed;
    push(fw, NK_SIGNED_FW, idle ? (uint8_t)FS_IDLE : fw->last_fw, with_id, fw->request_id);
}

bool ocpp_fw_send(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    if (fw->ncount == 0) {
        return false;
    }
    const struct ocpp_fw_note *n = &fw->notes[fw->nhead];
    const char *st = n->kind <= NK_SIGNED_FW ? k_fwst[n->status]
                     : n->kind == NK_DIAG   ? k_diagst[n->status]
                                            : k_logst[n->status];
    struct ocpp_jw w;
    ocpp_jw_init(&w, cp->txbuf, sizeof cp->txbuf);
    if (ocpp_rpc_call(&cp->rpc, &w, k_note_action[n->kind], now_ms) != HAL_OK) {
        return false;
    }
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "status", st);
    if (n->has_id) {
        ocpp_jw_kint(&w, "requestId", n->request_id);
    }
    ocpp_jw_obj_end(&w);
    ocpp_rpc_end(&w);
    int len = ocpp_jw_end(&w);
    if (len < 0) {
        ocpp_rpc_reset(&cp->rpc);
        return false;
    }
    cp->txlen = (size_t)len;
    cp->out = OCPP_OUT_FW;
    return true;
}

void ocpp_fw_answer(struct ocpp_fw *fw, struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    if (fw->ncount == 0) {
        return;
    }
    if (m->type == OCPP_CALLERROR) {
        LOGW(cp, now_ms, "ocpp: the backend did not take %s (%s)", k_note_action[fw->notes[fw->nhead].kind],
             m->error_text);
    }
    fw->nhead = (uint8_t)((fw->nhead + 1u) % CFG_OCPP_FW_NOTES);
    fw->ncount--;
    fw->generation++;
}

/* ------------------------------------------------------------------ jobs */

static bool tx_running(const struct ocpp_cp *cp)
{
    for (unsigned i = 0; i < CFG_OCPP_QUEUE; i++) {
        if (cp->tx[i].local_tx != 0 && !cp->tx[i].stopped) {
            return true;
        }
    }
    return false;
}

/* A failed attempt of @p kind (the firmware download or the upload, a start that failed included):
 * the next attempt after retryInterval while retries are left, else the job has failed and the
 * CSMS hears it (DownloadFailed / UploadFailure). */
static void retry_or_fail(struct ocpp_fw *fw, struct ocpp_cp *cp, enum ocpp_fw_job kind, uint32_t now_ms)
{
    bool up = kind == OCPP_FW_JOB_UPLOAD;
    struct ocpp_fw_transfer *job = up ? &fw->upload : &fw->download;
    if (job->retries_left == 0) {
        if (up) {
            LOGW(cp, now_ms, "ocpp: upload of %s to %s failed, no retries left", fw->up_file, fw->up_location);
            up_note(fw, cp, US_FAILED, now_ms);
            fw->up_step = OCPP_UPS_IDLE;
        } else {
            LOGW(cp, now_ms, "ocpp: firmware download from %s failed, no retries left", fw->location);
            fw_note(fw, cp, FS_DOWNLOAD_FAILED, now_ms);
            fw->step = OCPP_FWS_IDLE;
        }
        return;
    }
    job->retries_left--;
    job->retry_at_ms = now_ms + job->retry_interval_s * 1000u;
    if (up) {
        fw->up_step = OCPP_UPS_RETRY_WAIT;
    } else {
        fw->step = OCPP_FWS_RETRY_WAIT;
    }
    LOGW(cp, now_ms, "ocpp: %s failed, again in %u s", up ? "upload" : "firmware download", (unsigned)job->retry_interval_s);
}

static void fw_download(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    fw_note(fw, cp, FS_DOWNLOADING, now_ms);
    if (fw->ops->start(fw->ctx, OCPP_FW_JOB_DOWNLOAD, fw->location, NULL, OCPP_FW_LOG_DIAGNOSTICS, 0, 0) ==
        HAL_OK) {
        fw->step = OCPP_FWS_DOWNLOADING;
        return;
    }
    /* a start that failed counts as a failed attempt */
    retry_or_fail(fw, cp, OCPP_FW_JOB_DOWNLOAD, now_ms);
}

static void fw_poll(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    int64_t now = ocpp_cp_unix(cp, now_ms);
    switch (fw->step) {
    case OCPP_FWS_SCHEDULED:
        if (now == 0 || now >= fw->retrieve_s) {
            fw_download(fw, cp, now_ms);
        }
        break;
    case OCPP_FWS_RETRY_WAIT:
        if ((int32_t)(now_ms - fw->download.retry_at_ms) >= 0) {
            LOGI(cp, now_ms, "ocpp: firmware download again (%u retries left after this one)",
                 (unsigned)fw->download.retries_left);
            fw_download(fw, cp, now_ms);
        }
        break;
    case OCPP_FWS_DOWNLOADING: {
        enum ocpp_fw_result r = fw->ops->poll(fw->ctx, OCPP_FW_JOB_DOWNLOAD);
        if (r == OCPP_FW_RUNNING) {
            break;
        }
        if (r != OCPP_FW_DONE) {
            retry_or_fail(fw, cp, OCPP_FW_JOB_DOWNLOAD, now_ms);
            break;
        }
        fw_note(fw, cp, FS_DOWNLOADED, now_ms);
        if (fw->is_signed) {
            const char *why = "no verifier";
            if (fw->ops->verify_file == NULL || fw->ops->verify_file(fw->ctx, fw->signature, &why) != 0) {
                LOGW(cp, now_ms, "ocpp: firmware signature refused: %s", why);
                fw_note(fw, cp, FS_INVALID_SIGNATURE, now_ms);
                ocpp_sec_event(cp, OCPP_SEC_INVALID_FW_SIGNATURE, why, now_ms);
                fw->step = OCPP_FWS_IDLE;
                break;
            }
            fw_note(fw, cp, FS_SIGNATURE_VERIFIED, now_ms);
        }
        fw->install_noted = false;
        fw->step = OCPP_FWS_INSTALL_WAIT;
        break;
    }
    case OCPP_FWS_INSTALL_WAIT:
        if (fw->install_s != 0 && now != 0 && now < fw->install_s) {
            if (!fw->install_noted && fw->is_signed) {
                fw_note(fw, cp, FS_INSTALL_SCHEDULED, now_ms);
            }
            fw->install_noted = true;
            break;
        }
        if (tx_running(cp)) {
            /* a DC charger cannot charge through its own firmware install: the sessions end first */
            if (!fw->install_noted) {
                LOGI(cp, now_ms, "ocpp: firmware install waits for the running transactions to end");
                fw->install_noted = true;
            }
            break;
        }
        fw_note(fw, cp, FS_INSTALLING, now_ms);
        fw->step = OCPP_FWS_INSTALLING;
        if (fw->ops->start(fw->ctx, OCPP_FW_JOB_INSTALL, NULL, NULL, OCPP_FW_LOG_DIAGNOSTICS, 0, 0) != HAL_OK) {
            fw_note(fw, cp, FS_INSTALLATION_FAILED, now_ms);
            fw->step = OCPP_FWS_IDLE;
        }
        break;
    case OCPP_FWS_INSTALLING: {
        enum ocpp_fw_result r = fw->ops->poll(fw->ctx, OCPP_FW_JOB_INSTALL);
        if (r == OCPP_FW_RUNNING) {
            break;
        }
        fw_note(fw, cp,
                r == OCPP_FW_DONE                            ? FS_INSTALLED
                : r == OCPP_FW_VERIFY_FAILED && fw->is_signed ? FS_INSTALL_VERIFICATION_FAILED
                                                              : FS_INSTALLATION_FAILED,
                now_ms);
        fw->step = OCPP_FWS_IDLE;
        break;
    }
    default:
        break;
    }
}

static void up_start(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    up_note(fw, cp, US_UPLOADING, now_ms);
    fw->up_step = OCPP_UPS_UPLOADING;
    if (fw->ops->start(fw->ctx, OCPP_FW_JOB_UPLOAD, fw->up_location, fw->up_file, (enum ocpp_fw_log)fw->up_log,
                       fw->up_from_s, fw->up_to_s) != HAL_OK) {
        retry_or_fail(fw, cp, OCPP_FW_JOB_UPLOAD, now_ms); /* a failed start is a failed attempt */
    }
}

static void up_poll(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    if (fw->up_step == OCPP_UPS_RETRY_WAIT) {
        if ((int32_t)(now_ms - fw->upload.retry_at_ms) >= 0) {
            up_start(fw, cp, now_ms);
        }
        return;
    }
    if (fw->up_step != OCPP_UPS_UPLOADING) {
        return;
    }
    enum ocpp_fw_result r = fw->ops->poll(fw->ctx, OCPP_FW_JOB_UPLOAD);
    if (r == OCPP_FW_RUNNING) {
        return;
    }
    if (r == OCPP_FW_DONE) {
        up_note(fw, cp, US_UPLOADED, now_ms);
        fw->up_step = OCPP_UPS_IDLE;
    } else {
        retry_or_fail(fw, cp, OCPP_FW_JOB_UPLOAD, now_ms);
    }
}

void ocpp_fw_poll(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    /* a step that ends goes on to the next at once (Downloaded -> verified -> Installing) */
    for (unsigned i = 0; i < 4u; i++) {
        uint8_t before = fw->step;
        fw_poll(fw, cp, now_ms);
        if (fw->step == before || fw->step == OCPP_FWS_RETRY_WAIT) {
            break;
        }
    }
    up_poll(fw, cp, now_ms);
}

/* ------------------------------------------------------------------ CALLs */

/* retries / retryInterval, shared by the four requests */
static void retry_fields(struct ocpp_chk *c, int obj, struct ocpp_fw_transfer *job)
{
    int64_t v = 0;
    job->retries_left = 0;
    job->retry_interval_s = DEFAULT_RETRY_INTERVAL_S;
    job->retry_at_ms = 0;
    if (ocpp_chk_int(c, obj, "retries", false, 0, 100, &v) > 0) {
        job->retries_left = (uint32_t)v;
    }
    if (ocpp_chk_int(c, obj, "retryInterval", false, 0, 86400, &v) > 0) {
        job->retry_interval_s = (uint32_t)v;
    }
}

bool ocpp_fw_action(const char *a)
{
    return strcmp(a, "UpdateFirmware") == 0 || strcmp(a, "SignedUpdateFirmware") == 0 ||
           strcmp(a, "GetDiagnostics") == 0 || strcmp(a, "GetLog") == 0;
}

static bool signed_mode(const struct ocpp_fw *fw)
{
    return fw->ops->signed_ok != NULL && fw->ops->signed_ok(fw->ctx);
}

/* A new firmware request while one runs: cancelled unless it is installing (L01.FR.26-27). */
static bool fw_cancel_running(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    if (fw->step == OCPP_FWS_INSTALLING) {
        return false;
    }
    if (fw->step == OCPP_FWS_DOWNLOADING && fw->ops->cancel != NULL) {
        fw->ops->cancel(fw->ctx, OCPP_FW_JOB_DOWNLOAD);
    }
    LOGI(cp, now_ms, "ocpp: the running firmware update is cancelled by a new one");
    fw->step = OCPP_FWS_IDLE;
    return true;
}

static void fw_schedule(struct ocpp_fw *fw, struct ocpp_cp *cp, uint32_t now_ms)
{
    int64_t now = ocpp_cp_unix(cp, now_ms);
    fw->step = OCPP_FWS_SCHEDULED;
    if (now != 0 && fw->retrieve_s > now) {
        LOGI(cp, now_ms, "ocpp: firmware download scheduled in %ld s", (long)(fw->retrieve_s - now));
        if (fw->is_signed) {
            fw_note(fw, cp, FS_DOWNLOAD_SCHEDULED, now_ms);
        }
    }
    fw_poll(fw, cp, now_ms); /* Downloading at once when due */
}

static void h_update(struct ocpp_fw *fw, struct ocpp_cp *cp, struct ocpp_chk *c, int p, uint32_t now_ms)
{
    static const char *const keys[] = {"location", "retrieveDate", "retries", "retryInterval", NULL};
    char loc[OCPP_FW_LOCATION_MAX + 1u];
    int64_t when = 0;
    struct ocpp_fw_transfer job;
    ocpp_chk_keys(c, p, keys);
    if (ocpp_chk_str(c, p, "location", true, loc, OCPP_FW_LOCATION_MAX) < 0 && c->err == OCPP_ERR_PROPERTY) {
        c->why = "location longer than 512 bytes";
    }
    ocpp_chk_time(c, p, "retrieveDate", true, &when);
    retry_fields(c, p, &job);
    if (c->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = ocpp_fw_location_check(loc);
    if (why != NULL) {
        /* the answer has no status: the CALLERROR is the only way to say no, with the reason */
        ocpp_chk_fail(c, OCPP_ERR_PROPERTY, why);
        return;
    }
    if (fw->step != OCPP_FWS_IDLE && !fw_cancel_running(fw, cp, now_ms)) {
        LOGW(cp, now_ms, "ocpp: UpdateFirmware ignored: an install is running");
        return;
    }
    fw->is_signed = false;
    fw->request_id = 0;
    strcpy(fw->location, loc);
    fw->retrieve_s = when;
    fw->install_s = 0;
    fw->download = job;
    LOGI(cp, now_ms, "ocpp: backend asked to update the firmware from %s (%u retries)", loc, (unsigned)job.retries_left);
    fw_schedule(fw, cp, now_ms);
}

static void h_signed_update(struct ocpp_fw *fw, struct ocpp_cp *cp, struct ocpp_chk *c, int p, struct ocpp_jw *w, uint32_t now_ms)
{
    static const char *const keys[] = {"retries", "retryInterval", "requestId", "firmware", NULL};
    static const char *const fkeys[] = {"location",           "retrieveDateTime", "installDateTime",
                                        "signingCertificate", "signature",        NULL};
    char loc[OCPP_FW_LOCATION_MAX + 1u];
    char sig[OCPP_FW_SIGNATURE_MAX + 1u];
    char *pem = cp->txbuf + CERT_SCRATCH_OFF;
    int64_t id = 0, when = 0, install = 0;
    struct ocpp_fw_transfer job;
    ocpp_chk_keys(c, p, keys);
    ocpp_chk_int(c, p, "requestId", true, INT32_MIN, INT32_MAX, &id);
    retry_fields(c, p, &job);
    int f = ocpp_chk_member(c, p, "firmware", true, OCPP_J_OBJ);
    if (f < 0) {
        return;
    }
    ocpp_chk_keys(c, f, fkeys);
    ocpp_chk_str(c, f, "location", true, loc, OCPP_FW_LOCATION_MAX);
    ocpp_chk_time(c, f, "retrieveDateTime", true, &when);
    ocpp_chk_time(c, f, "installDateTime", false, &install);
    ocpp_chk_str(c, f, "signingCertificate", true, pem, OCPP_FW_CERT_MAX);
    ocpp_chk_str(c, f, "signature", true, sig, OCPP_FW_SIGNATURE_MAX);
    if (c->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = ocpp_fw_location_check(loc);
    if (why != NULL) {
        LOGW(cp, now_ms, "ocpp: SignedUpdateFirmware %ld Rejected: %s", (long)id, why);
        ocpp_jw_kstr(w, "status", "Rejected");
        return;
    }
    /* the signing certificate is checked before the answer (L01.FR.23-25) */
    why = "no certificate check on this board";
    int vc = fw->ops->verify_cert != NULL ? fw->ops->verify_cert(fw->ctx, pem, &why) : -1;
    if (vc != 0) {
        LOGW(cp, now_ms, "ocpp: SignedUpdateFirmware %ld: signing certificate refused: %s", (long)id, why);
        ocpp_sec_event(cp, OCPP_SEC_INVALID_FW_CERT, why, now_ms);
        ocpp_jw_kstr(w, "status", vc > 0 ? "RevokedCertificate" : "InvalidCertificate");
        return;
    }
    const char *status = "Accepted";
    if (fw->step != OCPP_FWS_IDLE) {
        if (!fw_cancel_running(fw, cp, now_ms)) {
            LOGW(cp, now_ms, "ocpp: SignedUpdateFirmware %ld Rejected: an install is running", (long)id);
            ocpp_jw_kstr(w, "status", "Rejected");
            return;
        }
        status = "AcceptedCanceled";
    }
    ocpp_jw_kstr(w, "status", status);
    fw->is_signed = true;
    fw->request_id = (int32_t)id;
    strcpy(fw->location, loc);
    strcpy(fw->signature, sig);
    fw->retrieve_s = when;
    fw->install_s = install;
    fw->download = job;
    LOGI(cp, now_ms, "ocpp: backend asked for signed firmware %ld from %s: %s", (long)id, loc, status);
    fw_schedule(fw, cp, now_ms);
}

static void up_begin(struct ocpp_fw *fw, struct ocpp_cp *cp, const char *loc, uint32_t now_ms)
{
    strcpy(fw->up_location, loc);
    /* a file name of ours: the time makes it unique per request, no CSMS text goes into it */
    char t[21];
    int64_t now = ocpp_cp_unix(cp, now_ms);
    ocpp_time_format(now, t);
    size_t k = 0;
    const char *pre = fw->up_is_log ? (fw->up_log == OCPP_FW_LOG_SECURITY ? "security-" : "log-") : "diagnostics-";
    for (const char *s = pre; *s != '\0'; s++) {
        fw->up_file[k++] = *s;
    }
    for (const char *s = t; *s != '\0'; s++) {
        if (*s != '-' && *s != ':') {
            fw->up_file[k++] = *s;
        }
    }
    memcpy(fw->up_file + k, ".txt", 5);
    up_start(fw, cp, now_ms);
}

static void h_diagnostics(struct ocpp_fw *fw, struct ocpp_cp *cp, struct ocpp_chk *c, int p, struct ocpp_jw *w, uint32_t now_ms)
{
    static const char *const keys[] = {"location", "retries", "retryInterval", "startTime", "stopTime", NULL};
    char loc[OCPP_FW_LOCATION_MAX + 1u];
    int64_t from = 0, to = 0;
    struct ocpp_fw_transfer job;
    ocpp_chk_keys(c, p, keys);
    if (ocpp_chk_str(c, p, "location", true, loc, OCPP_FW_LOCATION_MAX) < 0 && c->err == OCPP_ERR_PROPERTY) {
        c->why = "location longer than 512 bytes";
    }
    retry_fields(c, p, &job);
    ocpp_chk_time(c, p, "startTime", false, &from);
    ocpp_chk_time(c, p, "stopTime", false, &to);
    if (c->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = ocpp_fw_location_check(loc);
    if (why != NULL) {
        ocpp_chk_fail(c, OCPP_ERR_PROPERTY, why);
        return;
    }
    if (fw->up_step != OCPP_UPS_IDLE) {
        /* one upload at a time; no fileName = no diagnostics for this request */
        LOGW(cp, now_ms, "ocpp: GetDiagnostics: an upload is running, nothing for this request");
        return;
    }
    fw->up_is_log = false;
    fw->up_log = OCPP_FW_LOG_DIAGNOSTICS;
    fw->up_request_id = 0;
    fw->up_from_s = from;
    fw->up_to_s = to;
    fw->upload = job;
    up_begin(fw, cp, loc, now_ms);
    LOGI(cp, now_ms, "ocpp: backend asked for diagnostics to %s: %s", loc, fw->up_file);
    ocpp_jw_kstr(w, "fileName", fw->up_file);
}

static void h_get_log(struct ocpp_fw *fw, struct ocpp_cp *cp, struct ocpp_chk *c, int p, struct ocpp_jw *w, uint32_t now_ms)
{
    static const char *const keys[] = {"log", "logType", "requestId", "retries", "retryInterval", NULL};
    static const char *const lkeys[] = {"remoteLocation", "oldestTimestamp", "latestTimestamp", NULL};
    char loc[OCPP_FW_LOCATION_MAX + 1u], type[20];
    int64_t id = 0, from = 0, to = 0;
    struct ocpp_fw_transfer job;
    ocpp_chk_keys(c, p, keys);
    ocpp_chk_str(c, p, "logType", true, type, sizeof type - 1u);
    ocpp_chk_int(c, p, "requestId", true, INT32_MIN, INT32_MAX, &id);
    retry_fields(c, p, &job);
    int l = ocpp_chk_member(c, p, "log", true, OCPP_J_OBJ);
    if (l < 0) {
        return;
    }
    ocpp_chk_keys(c, l, lkeys);
    ocpp_chk_str(c, l, "remoteLocation", true, loc, OCPP_FW_LOCATION_MAX);
    ocpp_chk_time(c, l, "oldestTimestamp", false, &from);
    ocpp_chk_time(c, l, "latestTimestamp", false, &to);
    bool security = strcmp(type, "SecurityLog") == 0;
    if (c->err == OCPP_ERR_NONE && !security && strcmp(type, "DiagnosticsLog") != 0) {
        ocpp_chk_fail(c, OCPP_ERR_PROPERTY, "logType");
    }
    if (c->err != OCPP_ERR_NONE) {
        return;
    }
    const char *why = ocpp_fw_location_check(loc);
    if (why != NULL) {
        LOGW(cp, now_ms, "ocpp: GetLog %ld Rejected: %s", (long)id, why);
        ocpp_jw_kstr(w, "status", "Rejected");
        return;
    }
    const char *status = "Accepted";
    if (fw->up_step != OCPP_UPS_IDLE) {
        /* a new GetLog cancels the running upload (N01) */
        if (fw->up_step == OCPP_UPS_UPLOADING && fw->ops->cancel != NULL) {
            fw->ops->cancel(fw->ctx, OCPP_FW_JOB_UPLOAD);
        }
        fw->up_step = OCPP_UPS_IDLE;
        status = "AcceptedCanceled";
    }
    fw->up_is_log = true;
    fw->up_log = security ? OCPP_FW_LOG_SECURITY : OCPP_FW_LOG_DIAGNOSTICS;
    fw->up_request_id = (int32_t)id;
    fw->up_from_s = from;
    fw->up_to_s = to;
    fw->upload = job;
    ocpp_jw_kstr(w, "status", status);
    up_begin(fw, cp, loc, now_ms);
    ocpp_jw_kstr(w, "filename", fw->up_file);
    LOGI(cp, now_ms, "ocpp: backend asked for the %s to %s: %s", type, loc, status);
}

enum ocpp_error ocpp_fw_call(struct ocpp_fw *fw, struct ocpp_cp *cp, const char *a, int p, struct ocpp_jw *w,
                             uint32_t now_ms, const char **why)
{
    struct ocpp_chk c;
    ocpp_chk_start(&c, &cp->json);
    bool sig = signed_mode(fw);
    if (strcmp(a, "UpdateFirmware") == 0) {
        if (sig) {
            ocpp_chk_fail(&c, OCPP_ERR_NOT_SUPPORTED, "signed firmware only (SEC3 L01.FR.20)");
        } else {
            h_update(fw, cp, &c, p, now_ms);
        }
    } else if (strcmp(a, "SignedUpdateFirmware") == 0) {
        if (!sig) {
            ocpp_chk_fail(&c, OCPP_ERR_NOT_SUPPORTED, "no manufacturer root certificate configured");
        } else {
            h_signed_update(fw, cp, &c, p, w, now_ms);
        }
    } else if (strcmp(a, "GetDiagnostics") == 0) {
        h_diagnostics(fw, cp, &c, p, w, now_ms);
    } else {
        h_get_log(fw, cp, &c, p, w, now_ms);
    }
    *why = c.why;
    return c.err;
}

/* ------------------------------------------------------------------ the store */

void ocpp_fw_store_export(const struct ocpp_fw *fw, const char *firmware, void (*put)(void *ctx, const char *text, size_t len),
                          void *ctx)
{
    char line[160];
    int n;
    /* the reports not yet confirmed first: the final ones of an interrupted job follow them */
    for (unsigned i = 0; i < fw->ncount; i++) {
        const struct ocpp_fw_note *o = &fw->notes[(fw->nhead + i) % CFG_OCPP_FW_NOTES];
        n = snprintf(line, sizeof line, "fwnote %u %u %u %ld\n", o->kind, o->status, o->has_id ? 1u : 0u,
                     (long)o->request_id);
        put(ctx, line, (size_t)n);
    }
    if (fw->step != OCPP_FWS_IDLE) {
        char ver[2u * OCPP_FW_VERSION_MAX + 2u], v[OCPP_FW_VERSION_MAX + 1u];
        snprintf(v, sizeof v, "%s", firmware != NULL ? firmware : "");
        ocpp_store_hex(ver, v);
        n = snprintf(line, sizeof line, "fwjob %u %u %ld %s\n", fw->step, fw->is_signed ? 1u : 0u,
                     (long)fw->request_id, ver);
        put(ctx, line, (size_t)n);
    }
    if (fw->up_step != OCPP_UPS_IDLE) {
        n = snprintf(line, sizeof line, "upjob %u %ld\n", fw->up_is_log ? 1u : 0u, (long)fw->up_request_id);
        put(ctx, line, (size_t)n);
    }
}

int ocpp_fw_store_line(struct ocpp_fw *fw, struct ocpp_cp *cp, const char *line, const char **why)
{
    const char *f[6];
    size_t l[6];
    int64_t v[5];
    unsigned n = ocpp_store_fields(line, f, l, 5);
    *why = "malformed firmware line";
    if (n == 5u && l[0] == 6u && strncmp(f[0], "fwnote", 6) == 0) {
        if (!ocpp_store_num(f[1], l[1], NK_FW, NK_LOG, &v[1]) ||
            !ocpp_store_num(f[2], l[2], 0, (v[1] <= NK_SIGNED_FW ? FS_COUNT : US_COUNT) - 1, &v[2]) ||
            !ocpp_store_num(f[3], l[3], 0, 1, &v[3]) || !ocpp_store_num(f[4], l[4], INT32_MIN, INT32_MAX, &v[4])) {
            return HAL_EINVAL;
        }
        note(fw, (uint8_t)v[1], (uint8_t)v[2], v[3] != 0, (int32_t)v[4]);
        return HAL_OK;
    }
    if (n == 5u && l[0] == 5u && strncmp(f[0], "fwjob", 5) == 0) {
        char ver[OCPP_FW_VERSION_MAX + 1u];
        if (!ocpp_store_num(f[1], l[1], OCPP_FWS_SCHEDULED, OCPP_FWS_INSTALLING, &v[1]) ||
            !ocpp_store_num(f[2], l[2], 0, 1, &v[2]) || !ocpp_store_num(f[3], l[3], INT32_MIN, INT32_MAX, &v[3]) ||
            !ocpp_store_unhex(f[4], l[4], ver, OCPP_FW_VERSION_MAX)) {
            return HAL_EINVAL;
        }
        if (fw->step != OCPP_FWS_IDLE) {
            *why = "a firmware job runs already";
            return HAL_EINVAL;
        }
        /* the power went during the job: a download or a waiting install has no file we can
         * trust any more (its signature check was in RAM) and fails; an install that ran
         * succeeded exactly when the charge point now runs another firmware version */
        const char *running = cp->info.firmware != NULL ? cp->info.firmware : "";
        enum fwst st = v[1] == OCPP_FWS_INSTALLING    ? (strcmp(running, ver) != 0 ? FS_INSTALLED : FS_INSTALLATION_FAILED)
                       : v[1] == OCPP_FWS_INSTALL_WAIT ? FS_INSTALLATION_FAILED
                                                       : FS_DOWNLOAD_FAILED;
        fw->is_signed = v[2] != 0;
        fw->request_id = (int32_t)v[3];
        LOGW(cp, 0, "ocpp: the firmware job %ld was cut by a restart (running %s, was %s): %s",
             (long)fw->request_id, running, ver, k_fwst[st]);
        fw_note(fw, cp, st, 0);
        return HAL_OK;
    }
    if (n == 3u && l[0] == 5u && strncmp(f[0], "upjob", 5) == 0) {
        if (!ocpp_store_num(f[1], l[1], 0, 1, &v[1]) || !ocpp_store_num(f[2], l[2], INT32_MIN, INT32_MAX, &v[2])) {
            return HAL_EINVAL;
        }
        if (fw->up_step != OCPP_UPS_IDLE) {
            *why = "an upload runs already";
            return HAL_EINVAL;
        }
        fw->up_is_log = v[1] != 0;
        fw->up_request_id = (int32_t)v[2];
        LOGW(cp, 0, "ocpp: the upload %ld was cut by a restart", (long)fw->up_request_id);
        up_note(fw, cp, US_FAILED, 0);
        return HAL_OK;
    }
    return HAL_EINVAL;
}
