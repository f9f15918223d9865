/* board_ocpp.c - owns the host boards' OCPP run: the ocpp.* configuration turned into the
 * charge point's and the WebSocket's settings, the Linux network, TLS and random ports it
 * uses, and the station's events and passes handed to firmware/ocpp_station.c. */
#include "board_ocpp.h"

#include <stdio.h>
#include <string.h>

static int cert_open(struct board_ocpp *bo, const char *dir, uint32_t now_ms)
{
    int rc = board_ocpp_cert_open(&bo->bcert, &bo->cert, dir, bo->tls.base.ops != NULL ? &bo->tls : NULL,
                                  bo->ca[0] ? bo->ca : NULL, bo->client_cert[0] ? bo->client_cert : NULL,
                                  bo->client_key[0] ? bo->client_key : NULL, bo->os.log, now_ms);
    if (rc != HAL_OK) {
        hal_logf(bo->os.log, HAL_LOG_ERROR, now_ms, "ocpp: the certificate store in %s does not open",
                 dir != NULL ? dir : "(memory)");
    }
    bo->bcert.link = &bo->link; /* which profiles an upgrade can reach */
    return rc;
}

int board_ocpp_start(struct board_ocpp *bo, const struct board_ocpp_config *c, const char *serial,
                     const char *firmware, struct station *st, struct journal *const *journals, uint8_t n,
                     struct hal_log *log, uint32_t now_ms)
{
    memset(bo, 0, sizeof *bo);
    if (c->url[0] == '\0') {
        return HAL_OK;
    }
    const char *key, *why;
    if (board_ocpp_check(c, &key, &why) != 0 || board_ocpp_check_files(c, &key, &why) != 0) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: %s: %s", key, why);
        return HAL_EINVAL;
    }
    snprintf(bo->base, sizeof bo->base, "%s", c->url);
    struct ocpp_ws_config wc;
    ocpp_ws_default_config(&wc);
    const char *w = NULL;
    if (ocpp_ws_target_parse(bo->base, c->identity, &wc.target, &w) != HAL_OK) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: ocpp.url %s: %s", c->url, w);
        return HAL_EINVAL;
    }
    if (c->password_file[0] != '\0') {
        FILE *f = fopen(c->password_file, "r");
        if (f == NULL || fgets(bo->password, sizeof bo->password, f) == NULL) {
            if (f != NULL) {
                fclose(f);
            }
            hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: ocpp.password_file cannot be read");
            return HAL_EINVAL;
        }
        fclose(f);
        bo->password[strcspn(bo->password, "\r\n")] = '\0';
        wc.user = c->identity;
        wc.password = bo->password;
    }
    wc.ping_interval_ms = c->ping_s * 1000u;
    if (linux_net_init(&bo->net, "lo", NULL) != HAL_OK) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: no network");
        return HAL_EINVAL;
    }
    linux_rng_init(&bo->rng);
    struct hal_tls *tls = NULL;
    /* a TLS client for a wss:// url, or for the ocpp.tls_url a profile upgrade goes to */
    if (wc.target.tls || c->tls_url[0] != '\0') {
        struct linux_tls_backend b = {c->ca, c->client_cert[0] ? c->client_cert : NULL,
                                      c->client_key[0] ? c->client_key : NULL};
        if (linux_tls_init(&bo->tls, &bo->net.base, log, NULL) != HAL_OK ||
            linux_tls_client_backend(&bo->tls, &b) != HAL_OK) {
            hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: the CA, certificate or key files do not load");
            return HAL_EINVAL;
        }
        tls = &bo->tls.base;
    }
    struct ocpp_cp_info info = {c->vendor, c->model, serial, firmware, NULL, NULL, n};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.heartbeat_interval_s = c->heartbeat_s;
    cfg.meter_sample_interval_s = c->meter_sample_s;
    cfg.ws_ping_interval_s = c->ping_s;
    cfg.tx_attempts = c->tx_attempts;
    cfg.tx_retry_interval_s = c->tx_retry_s;
    cfg.security_profile = c->security_profile;
    snprintf(cfg.authorization_key, sizeof cfg.authorization_key, "%s", bo->password);
    uint32_t seed = 0;
    (void)hal_rng_fill(&bo->rng.base, (uint8_t *)&seed, sizeof seed);
    int rc = ocpp_station_init(&bo->os, st, journals, n, &info, &cfg, &wc, &bo->net.base, tls, &bo->rng.base, log,
                               seed, now_ms);
    if (rc != HAL_OK) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: the charge point does not start (%s)", hal_strerror(rc));
        return rc;
    }
    /* certificate management: the configured CA is an anchor; the roots and a certificate
     * signed over OCPP come from store.dir once board_ocpp_store_dir names it */
    snprintf(bo->ca, sizeof bo->ca, "%s", c->ca);
    snprintf(bo->client_cert, sizeof bo->client_cert, "%s", c->client_cert);
    snprintf(bo->client_key, sizeof bo->client_key, "%s", c->client_key);
    snprintf(bo->identity, sizeof bo->identity, "%s", c->identity);
    snprintf(bo->tls_url, sizeof bo->tls_url, "%s", c->tls_url);
    if (board_ocpp_link_init(&bo->link, bo->base, bo->tls_url, bo->identity, tls, log, &w) != HAL_OK) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: ocpp.tls_url %s: %s", c->tls_url, w);
        return HAL_EINVAL;
    }
    (void)board_ocpp_link_apply(&bo->link, &bo->os, now_ms);
    linux_crypto_init(&bo->crypto);
    ocpp_cert_init(&bo->cert, &board_ocpp_cert_ops, &bo->bcert, &bo->crypto.base, bo->identity);
    rc = cert_open(bo, NULL, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    bo->os.cp.cert = &bo->cert;
    board_ocpp_fw_start(&bo->fw, &c->fw, &bo->os.cp, log); /* nothing without ocpp.firmware_dir */
    hal_logf(log, HAL_LOG_INFO, now_ms, "ocpp: charge point %s of %s, security profile %u", c->identity, c->url,
             (unsigned)c->security_profile);
    bo->on = true;
    return HAL_OK;
}

int board_ocpp_store_dir(struct board_ocpp *bo, const char *dir, uint32_t now_ms)
{
    if (!bo->on) {
        return HAL_OK;
    }
    int rc = board_ocpp_store_open(&bo->store, dir, &bo->os.cp, bo->os.log, now_ms);
    if (rc == HAL_OK) {
        ocpp_station_set_store(&bo->os, board_ocpp_store_save, &bo->store);
        rc = cert_open(bo, dir, now_ms);
        /* the store may hold a profile an upgrade reached (never lower) or a key the CSMS set */
        (void)board_ocpp_link_apply(&bo->link, &bo->os, now_ms);
    }
    return rc;
}

void board_ocpp_event(struct board_ocpp *bo, const struct station_event *e, uint32_t now_ms)
{
    if (bo->on) {
        ocpp_station_event(&bo->os, e, now_ms);
    }
}

void board_ocpp_poll(struct board_ocpp *bo, uint32_t now_ms)
{
    if (bo->on) {
        board_ocpp_fw_tick(&bo->fw, now_ms);
        ocpp_station_poll(&bo->os, now_ms);
        board_ocpp_link_poll(&bo->link, &bo->os, now_ms);
        board_ocpp_cert_poll(&bo->bcert);
    }
}

bool board_ocpp_restart_due(struct board_ocpp *bo, uint32_t now_ms, bool *hard)
{
    if (!bo->on || !ocpp_station_reset_due(&bo->os, hard)) {
        return false;
    }
    if (!bo->reset_flushing) {
        bo->reset_flushing = true;
        bo->reset_ms = now_ms;
    }
    bool quiet = bo->os.cp.txlen == 0 && !ocpp_ws_sending(&bo->os.ws);
    if (!quiet && (uint32_t)(now_ms - bo->reset_ms) < 5000u) {
        return false;
    }
    ocpp_ws_close(&bo->os.ws, 1001, now_ms); /* going away: back after the restart */
    return true;
}

unsigned board_ocpp_queued(const struct board_ocpp *bo)
{
    return bo->on ? ocpp_cp_queued(&bo->os.cp) : 0u;
}
