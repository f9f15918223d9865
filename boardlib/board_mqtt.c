/* board_mqtt.c - owns a host board's MQTT client (struct board_mqtt): the libmosquitto
 * session (connect, TLS, username/password, the last will, reconnect with back-off), the
 * firmware download through libcurl and the installer child process. The loop drives all
 * of it from board_mqtt_poll() without waiting: a zero-timeout poll() of the client's
 * socket, then libmosquitto's loop_read / loop_write / loop_misc, s_curl.multi_perform() and
 * waitpid(WNOHANG); no thread (no loop_start). Why libcurl and not an HTTP GET of ours: it
 * does https, redirects, chunked transfer and partial-transfer detection, which a firmware
 * image on a public server needs, and its multi interface never blocks the loop.
 *
 * libcurl is loaded with dlopen() on the first download (board_curl.c), not linked: it drags 36 shared
 * libraries (GnuTLS, Kerberos, LDAP, SSH, ...) into every start of the charger, which cost
 * three quarters of its start-up time (18 ms of 25 on this host, ten times that on a slow
 * board) although most chargers never download a firmware image. A board without libcurl
 * still charges; only the download answers that libcurl is missing. */
#include "board_mqtt.h"
#include "board_curl.h"
#include "board_spawn.h"

#include <curl/curl.h>
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hal_clock.h"
#include "hal_err.h"

/* The broker sends the last will 1.5 keep-alives after the charger went silent. */
#define BOARD_MQTT_KEEPALIVE_S 5
#define BOARD_MQTT_BACKOFF_MIN_MS 500u
#define BOARD_MQTT_BACKOFF_MAX_MS 30000u

/* ---------------------------------------------------------------- download (libcurl) */

/* The calls the download makes, resolved from libcurl.so.4 on first use (board_curl.c; the
 * OCPP firmware jobs share the loader). */
static struct board_curl_fns s_curl;

/* Loads libcurl once; false (and s_curl.error says why) when it cannot. */
static bool board_mqtt_curl_load(void)
{
    const struct board_curl_fns *f = board_curl_load();
    s_curl = *f;
    return f->ok;
}

static void board_mqtt_dl_close(struct board_mqtt *b)
{
    if (b->curl != NULL) {
        s_curl.multi_remove_handle(b->curl_multi, b->curl);
        s_curl.easy_cleanup(b->curl);
        b->curl = NULL;
    }
    if (b->dl_file != NULL) {
        fclose(b->dl_file);
        b->dl_file = NULL;
    }
}

static int board_mqtt_download_start(void *ctx, const char *url)
{
    struct board_mqtt *b = ctx;
    board_mqtt_dl_close(b);
    if (!board_mqtt_curl_load()) {
        snprintf(b->dl_msg, sizeof b->dl_msg, "download impossible: %s", s_curl.error);
        b->dl_result = HAL_ENOTSUP;
        hal_logf(b->log, HAL_LOG_WARN, b->now_ms, "mqtt: %s", b->dl_msg);
        return HAL_ENOTSUP;
    }
    if (b->curl_multi == NULL && (b->curl_multi = s_curl.multi_init()) == NULL) {
        return HAL_ENOMEM;
    }
    b->dl_file = fopen(b->cfg.update_file, "wb");
    if (b->dl_file == NULL) {
        return HAL_EIO;
    }
    b->curl = s_curl.easy_init();
    if (b->curl == NULL) {
        board_mqtt_dl_close(b);
        return HAL_ENOMEM;
    }
    s_curl.easy_setopt(b->curl, CURLOPT_URL, url);
    s_curl.easy_setopt(b->curl, CURLOPT_WRITEDATA, b->dl_file);
    s_curl.easy_setopt(b->curl, CURLOPT_FAILONERROR, 1L);
    s_curl.easy_setopt(b->curl, CURLOPT_NOSIGNAL, 1L);
    s_curl.easy_setopt(b->curl, CURLOPT_FOLLOWLOCATION, 1L);
    s_curl.easy_setopt(b->curl, CURLOPT_MAXREDIRS, 5L);
    s_curl.easy_setopt(b->curl, CURLOPT_CONNECTTIMEOUT, 20L);
    /* a stalled server ends the trial instead of holding it forever */
    s_curl.easy_setopt(b->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    s_curl.easy_setopt(b->curl, CURLOPT_LOW_SPEED_TIME, 30L);
    s_curl.multi_add_handle(b->curl_multi, b->curl);
    b->dl_result = HAL_EAGAIN;
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "mqtt: firmware download of %s to %s", url, b->cfg.update_file);
    return HAL_OK;
}

static int board_mqtt_download_poll(void *ctx, uint8_t *pct, const char **msg)
{
    struct board_mqtt *b = ctx;
    if (b->curl == NULL) {
        *msg = b->dl_msg;
        return b->dl_result;
    }
    int running = 0;
    s_curl.multi_perform(b->curl_multi, &running);
    curl_off_t got = 0, total = -1;
    s_curl.easy_getinfo(b->curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
    s_curl.easy_getinfo(b->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
    if (total > 0 && got >= 0) {
        *pct = (uint8_t)(got >= total ? 100 : got * 100 / total);
    }
    int left = 0;
    CURLMsg *cm;
    while ((cm = s_curl.multi_info_read(b->curl_multi, &left)) != NULL) {
        if (cm->msg != CURLMSG_DONE) {
            continue;
        }
        CURLcode rc = cm->data.result;
        if (rc == CURLE_OK && fflush(b->dl_file) != 0) {
            snprintf(b->dl_msg, sizeof b->dl_msg, "writing the update file failed");
            b->dl_result = HAL_EIO;
        } else if (rc == CURLE_OK) {
            snprintf(b->dl_msg, sizeof b->dl_msg, "downloaded %lld bytes", (long long)got);
            b->dl_result = HAL_OK;
        } else {
            snprintf(b->dl_msg, sizeof b->dl_msg, "download failed: %s", s_curl.easy_strerror(rc));
            b->dl_result = HAL_EIO;
        }
        board_mqtt_dl_close(b);
        hal_logf(b->log, b->dl_result == HAL_OK ? HAL_LOG_INFO : HAL_LOG_WARN, b->now_ms, "mqtt: %s", b->dl_msg);
    }
    *msg = b->dl_msg;
    return b->dl_result;
}

/* ---------------------------------------------------------------- installer */

static int board_mqtt_install_start(void *ctx, const char *url)
{
    struct board_mqtt *b = ctx;
    const char *const extra[] = {url != NULL ? url : b->cfg.update_file, NULL};
    pid_t pid;
    int rc = board_spawn(b->cfg.installer, extra, &pid);
    if (rc != HAL_OK) {
        return rc;
    }
    b->inst_pid = pid;
    b->inst_result = HAL_EAGAIN;
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "mqtt: installing %s with '%s' (pid %ld)", extra[0],
             b->cfg.installer, (long)pid);
    return HAL_OK;
}

static int board_mqtt_install_poll(void *ctx, const char **msg)
{
    struct board_mqtt *b = ctx;
    *msg = b->inst_msg;
    if (b->inst_pid <= 0) {
        return b->inst_result;
    }
    int code = board_spawn_reap(b->inst_pid);
    if (code == BOARD_SPAWN_RUNNING) {
        return HAL_EAGAIN;
    }
    b->inst_pid = 0;
    if (code == 0) {
        snprintf(b->inst_msg, sizeof b->inst_msg, "installed; active after the next reboot (not rebooted by the charger)");
        b->inst_result = HAL_OK;
    } else if (code > 0 && code < 128) {
        snprintf(b->inst_msg, sizeof b->inst_msg, "the installer exited with status %d", code);
        b->inst_result = HAL_EIO;
    } else {
        snprintf(b->inst_msg, sizeof b->inst_msg, "the installer ended abnormally");
        b->inst_result = HAL_EIO;
    }
    hal_logf(b->log, b->inst_result == HAL_OK ? HAL_LOG_INFO : HAL_LOG_WARN, b->now_ms, "mqtt: %s", b->inst_msg);
    return b->inst_result;
}

/* ---------------------------------------------------------------- MQTT */

static int board_mqtt_publish(void *ctx, const char *topic, const char *payload, size_t len, bool retain)
{
    struct board_mqtt *b = ctx;
    if (!b->connected) {
        return HAL_ECLOSED;
    }
    int rc = mosquitto_publish(b->mosq, NULL, topic, (int)len, payload, 1, retain);
    if (rc == MOSQ_ERR_SUCCESS) {
        b->unacked++;
    }
    return rc == MOSQ_ERR_SUCCESS ? HAL_OK : HAL_EIO;
}

static void board_mqtt_on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
    struct board_mqtt *b = ctx;
    b->connecting = false;
    if (rc != 0) {
        hal_logf(b->log, HAL_LOG_WARN, b->now_ms, "mqtt: the broker refused the connection: %s",
                 mosquitto_connack_string(rc));
        return;
    }
    b->connected = true;
    b->connects++;
    b->unacked = 0; /* a clean session: nothing of before is in flight */
    b->backoff_ms = BOARD_MQTT_BACKOFF_MIN_MS;
    char t[CFG_API_MQTT_TOPIC_MAX];
    for (unsigned i = 0; api_mqtt_subscription(&b->api, i, t, sizeof t) != NULL; i++) {
        mosquitto_subscribe(mosq, NULL, t, 1);
    }
    api_mqtt_connected(&b->api, true);
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "mqtt: connected to %s:%lu as %s (base topic %s)", b->cfg.host,
             (unsigned long)b->cfg.port, b->cfg.client_id, api_mqtt_base(&b->api));
}

static void board_mqtt_on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
    (void)mosq;
    struct board_mqtt *b = ctx;
    if (b->connected) {
        hal_logf(b->log, HAL_LOG_WARN, b->now_ms, "mqtt: disconnected (%s); reconnecting", mosquitto_strerror(rc));
    }
    b->connected = false;
    b->connecting = false;
    api_mqtt_connected(&b->api, false);
}

static void board_mqtt_on_publish(struct mosquitto *mosq, void *ctx, int mid)
{
    (void)mosq;
    (void)mid;
    struct board_mqtt *b = ctx;
    if (b->unacked > 0) {
        b->unacked--;
    }
}

static void board_mqtt_on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
    (void)mosq;
    struct board_mqtt *b = ctx;
    api_mqtt_message(&b->api, msg->topic, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0u,
                     b->now_ms);
}

static void board_mqtt_read_password(struct board_mqtt *b)
{
    b->password[0] = '\0';
    FILE *f = fopen(b->cfg.password_file, "r");
    if (f == NULL) {
        return;
    }
    if (fgets(b->password, sizeof b->password, f) != NULL) {
        b->password[strcspn(b->password, "\r\n")] = '\0';
    }
    fclose(f);
}

int board_mqtt_start(struct board_mqtt *b, const struct board_mqtt_config *cfg, const char *version,
                     struct station *st, uint32_t station_ma, uint32_t station_w, struct hal_log *log,
                     uint32_t now_ms)
{
    struct api_mqtt_config ac;
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->log = log;
    b->now_ms = now_ms;
    b->dl_result = HAL_EIO;
    b->inst_result = HAL_EIO;
    board_mqtt_api_config(cfg, &ac, version);
    struct api_mqtt_ops ops = {.publish = board_mqtt_publish,
                               .download_start = board_mqtt_download_start,
                               .download_poll = board_mqtt_download_poll,
                               .install_start = board_mqtt_install_start,
                               .install_poll = board_mqtt_install_poll,
                               .ctx = b};
    if (api_mqtt_init(&b->api, &ac, &ops, st, station_ma, station_w, now_ms) != HAL_OK) {
        return HAL_EINVAL;
    }
    mosquitto_lib_init();
    b->curl_multi = NULL; /* made with the first download (libcurl is loaded then) */
    b->mosq = mosquitto_new(cfg->client_id, true, b);
    if (b->mosq == NULL) {
        return HAL_EIO;
    }
    mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(b->mosq, board_mqtt_on_connect);
    mosquitto_disconnect_callback_set(b->mosq, board_mqtt_on_disconnect);
    mosquitto_message_callback_set(b->mosq, board_mqtt_on_message);
    mosquitto_publish_callback_set(b->mosq, board_mqtt_on_publish);
    char will[CFG_API_MQTT_TOPIC_MAX];
    const char *wp = NULL;
    api_mqtt_will(&b->api, will, sizeof will, &wp);
    if (mosquitto_will_set(b->mosq, will, (int)strlen(wp), wp, 1, true) != MOSQ_ERR_SUCCESS) {
        return HAL_EIO;
    }
    if (cfg->user[0] != '\0') {
        board_mqtt_read_password(b);
        if (mosquitto_username_pw_set(b->mosq, cfg->user, cfg->password_file[0] ? b->password : NULL) !=
            MOSQ_ERR_SUCCESS) {
            return HAL_EIO;
        }
    }
    if (cfg->tls_ca[0] != '\0' &&
        mosquitto_tls_set(b->mosq, cfg->tls_ca, NULL, NULL, NULL, NULL) != MOSQ_ERR_SUCCESS) {
        return HAL_EIO;
    }
    b->backoff_ms = BOARD_MQTT_BACKOFF_MIN_MS;
    b->retry_at_ms = now_ms;
    return HAL_OK;
}

void board_mqtt_event(struct board_mqtt *b, const struct station_event *ev)
{
    if (b->mosq != NULL) {
        api_mqtt_event(&b->api, ev);
    }
}

static void board_mqtt_try_connect(struct board_mqtt *b)
{
    int rc = b->connects == 0 && !b->connecting
                 ? mosquitto_connect_async(b->mosq, b->cfg.host, (int)b->cfg.port, BOARD_MQTT_KEEPALIVE_S)
                 : mosquitto_reconnect_async(b->mosq);
    if (rc == MOSQ_ERR_INVAL) {
        /* reconnect_async before any connect_async: the first call again */
        rc = mosquitto_connect_async(b->mosq, b->cfg.host, (int)b->cfg.port, BOARD_MQTT_KEEPALIVE_S);
    }
    b->connecting = rc == MOSQ_ERR_SUCCESS;
    if (rc != MOSQ_ERR_SUCCESS && b->backoff_ms == BOARD_MQTT_BACKOFF_MIN_MS) {
        hal_logf(b->log, HAL_LOG_WARN, b->now_ms, "mqtt: cannot connect to %s:%lu: %s (retrying with back-off)",
                 b->cfg.host, (unsigned long)b->cfg.port, mosquitto_strerror(rc));
    }
}

/* The client's socket without waiting: poll() it with a zero timeout, then libmosquitto's
 * loop_read when it is readable, loop_write when it has something to send, and loop_misc
 * (keep-alive, retries) every pass. Callbacks run inside these calls, in the loop. */
static int board_mqtt_io(struct board_mqtt *b)
{
    int fd = mosquitto_socket(b->mosq);
    if (fd < 0) {
        return MOSQ_ERR_NO_CONN;
    }
    struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (mosquitto_want_write(b->mosq) ? POLLOUT : 0))};
    if (poll(&p, 1, 0) < 0 && errno != EINTR) {
        return MOSQ_ERR_ERRNO;
    }
    int rc = MOSQ_ERR_SUCCESS;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        rc = mosquitto_loop_read(b->mosq, 8);
    }
    if (rc == MOSQ_ERR_SUCCESS && (p.revents & POLLOUT) != 0) {
        rc = mosquitto_loop_write(b->mosq, 8);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_loop_misc(b->mosq);
    }
    return rc;
}

void board_mqtt_poll(struct board_mqtt *b, uint32_t now_ms)
{
    if (b->mosq == NULL) {
        return;
    }
    b->now_ms = now_ms;
    if (!b->connected && !b->connecting && hal_time_reached(now_ms, b->retry_at_ms)) {
        board_mqtt_try_connect(b);
        b->retry_at_ms = now_ms + b->backoff_ms;
        b->backoff_ms = b->backoff_ms * 2u > BOARD_MQTT_BACKOFF_MAX_MS ? BOARD_MQTT_BACKOFF_MAX_MS : b->backoff_ms * 2u;
    }
    if (b->connected || b->connecting) {
        int rc = board_mqtt_io(b);
        if (rc != MOSQ_ERR_SUCCESS) {
            if (b->connected || b->connecting) {
                board_mqtt_on_disconnect(b->mosq, b, rc);
            }
            if (hal_time_reached(now_ms, b->retry_at_ms)) {
                b->retry_at_ms = now_ms + b->backoff_ms;
            }
        }
    }
    api_mqtt_poll(&b->api, now_ms);
    if (b->connected) {
        /* what this pass published goes out now, not a pass later */
        (void)mosquitto_loop_write(b->mosq, 8);
    }
}

void board_mqtt_stop(struct board_mqtt *b)
{
    if (b->mosq == NULL) {
        return;
    }
    if (b->connected) {
        char t[CFG_API_MQTT_TOPIC_MAX];
        const char *wp = NULL;
        api_mqtt_will(&b->api, t, sizeof t, &wp);
        if (mosquitto_publish(b->mosq, NULL, t, (int)strlen(wp), wp, 1, true) == MOSQ_ERR_SUCCESS) {
            b->unacked++;
        }
        /* Wait (1 s at most) for every PUBACK: a broker whose PUBACK finds the socket
         * closed takes the exit for a lost connection and sends the last will too. */
        for (int i = 0; i < 50 && b->unacked > 0; i++) {
            if (mosquitto_loop(b->mosq, 20, 8) != MOSQ_ERR_SUCCESS) {
                break;
            }
        }
        b->connected = false; /* a disconnect we asked for: no "reconnecting" */
        mosquitto_disconnect(b->mosq);
    }
    board_mqtt_dl_close(b);
    mosquitto_destroy(b->mosq);
    b->mosq = NULL;
    if (b->curl_multi != NULL) {
        s_curl.multi_cleanup(b->curl_multi);
        b->curl_multi = NULL;
    }
}
