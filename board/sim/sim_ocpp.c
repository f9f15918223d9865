/* sim_ocpp.c - owns `sim --ocpp`: the Linux network, TLS and random ports the charge point
 * needs, the URL split into the CSMS endpoint and the charge point identity, and the end of
 * a run waiting until the CSMS has every transaction (or a drain timeout it names). */
#include "sim_ocpp.h"

#include <stdio.h>
#include <string.h>

/* The charge point itself, at the start and again after a Reset or a power loss (a reboot:
 * what it knew in RAM is gone; the store, the journals and the certificates on file stay). */
static int sim_ocpp_cp_start(struct sim_ocpp *so, uint32_t now_ms)
{
    const struct sim_options *o = so->o;
    struct ocpp_cp_info info = {"SimCharger", "DC-sim", "SIM-0001", "sim", "EM580", NULL, so->n};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.security_profile = so->security_profile;
    if (o->ocpp_password != NULL) {
        snprintf(cfg.authorization_key, sizeof cfg.authorization_key, "%s", o->ocpp_password);
    }
    uint32_t seed = 0;
    (void)hal_rng_fill(&so->rng.base, (uint8_t *)&seed, sizeof seed);
    int rc = ocpp_station_init(&so->os, so->st, so->journals, so->n, &info, &cfg, &so->wc, &so->net.base,
                               so->tls_on ? &so->tls.base : NULL, &so->rng.base, so->log, seed, now_ms);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: --ocpp: the charge point does not start (%d)\n", rc);
        return 2;
    }
    so->os.cp.cert = &so->cert; /* its roots and client certificate are files: kept */
    /* --ocpp-fw-dir: Firmware Management, signed firmware and GetLog (board_ocpp_fw.c) */
    if (o->ocpp_fw_dir != NULL) {
        struct board_ocpp_fw_config fc;
        memset(&fc, 0, sizeof fc);
        if (snprintf(fc.dir, sizeof fc.dir, "%s", o->ocpp_fw_dir) >= (int)sizeof fc.dir ||
            snprintf(fc.install_cmd, sizeof fc.install_cmd, "%s", o->ocpp_fw_install ? o->ocpp_fw_install : "") >=
                (int)sizeof fc.install_cmd ||
            snprintf(fc.root, sizeof fc.root, "%s", o->ocpp_fw_root ? o->ocpp_fw_root : "") >= (int)sizeof fc.root ||
            snprintf(fc.diagnostics_cmd, sizeof fc.diagnostics_cmd, "%s", o->ocpp_diag_cmd ? o->ocpp_diag_cmd : "") >=
                (int)sizeof fc.diagnostics_cmd) {
            fprintf(stderr, "sim: --ocpp-fw-*: a path or command longer than %u bytes\n", (unsigned)sizeof fc.dir - 1u);
            return 2;
        }
        board_ocpp_fw_start(&so->fw, &fc, &so->os.cp, so->log);
    }
    /* --ocpp-store: the charge point's state (what the CSMS configured, the local list, the
     * cache, reservations, the queue's values, the profiles, a firmware job) beside the
     * journals, as the Linux board keeps it: read once the journals re-queued their
     * transactions (ocpp_station_init) and Firmware Management is attached, whose lines
     * name them */
    if (o->ocpp_store != NULL) {
        if (board_ocpp_store_open(&so->store, o->ocpp_store, &so->os.cp, so->log, now_ms) != HAL_OK) {
            fprintf(stderr, "sim: --ocpp-store %s: path too long\n", o->ocpp_store);
            return 2;
        }
        ocpp_station_set_store(&so->os, board_ocpp_store_save, &so->store);
    }
    so->phase = SIM_OCPP_RUN;
    return 0;
}

int sim_ocpp_start(struct sim_ocpp *so, const struct sim_options *o, struct station *st,
                   struct journal *const *journals, uint8_t n, struct hal_log *log, uint32_t now_ms)
{
    memset(so, 0, sizeof *so);
    if (o->ocpp_url == NULL) {
        return 0;
    }
    if (n > SIM_MAX_CONNECTORS) {
        return 2;
    }
    so->o = o;
    so->st = st;
    so->n = n;
    so->log = log;
    for (uint8_t i = 0; i < n; i++) {
        so->journals[i] = journals != NULL ? journals[i] : NULL;
    }
    /* the identity is the URL's last path segment (OCPP-J §3.1.1) */
    size_t len = strlen(o->ocpp_url);
    const char *slash = strrchr(o->ocpp_url, '/');
    if (len >= sizeof so->url || slash == NULL || slash[1] == '\0' || slash - o->ocpp_url < 8) {
        fprintf(stderr, "sim: --ocpp needs ws[s]://HOST[:PORT][/PATH]/IDENTITY\n");
        return 2;
    }
    memcpy(so->url, o->ocpp_url, (size_t)(slash - o->ocpp_url));
    /* a run against a live CSMS is watched live: its log goes out line by line */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *identity = slash + 1;
    struct ocpp_ws_config *wc = &so->wc;
    ocpp_ws_default_config(wc);
    const char *why = NULL;
    if (ocpp_ws_target_parse(so->url, identity, &wc->target, &why) != HAL_OK) {
        fprintf(stderr, "sim: --ocpp %s: %s\n", o->ocpp_url, why);
        return 2;
    }
    /* the back-off of a simulator next to its CSMS: 1 s + up to 1 s, doubled 3 times (the
     * firmware's default is 3 s + up to 10 s: many chargers, one CSMS coming back) */
    wc->backoff_min_ms = 1000;
    wc->backoff_range_ms = 1000;
    wc->user = o->ocpp_password != NULL ? identity : NULL;
    wc->password = o->ocpp_password;
    if (linux_net_init(&so->net, "lo", NULL) != HAL_OK) {
        fprintf(stderr, "sim: --ocpp: no loopback interface\n");
        return 2;
    }
    linux_rng_init(&so->rng);
    if (wc->target.tls) {
        if (o->ocpp_ca == NULL) {
            fprintf(stderr, "sim: --ocpp wss:// needs --ocpp-ca FILE\n");
            return 2;
        }
        struct linux_tls_backend b = {o->ocpp_ca, o->ocpp_cert, o->ocpp_key};
        if (linux_tls_init(&so->tls, &so->net.base, log, NULL) != HAL_OK ||
            linux_tls_client_backend(&so->tls, &b) != HAL_OK) {
            fprintf(stderr, "sim: --ocpp: the CA, certificate or key files do not load\n");
            return 2;
        }
        so->tls_on = true;
    }
    /* the whitepaper's profile the options amount to: a client certificate 3, TLS 2, a
     * password 1, none 0 (a lab) */
    so->security_profile = wc->target.tls ? (o->ocpp_cert != NULL ? 3u : 2u) : o->ocpp_password != NULL ? 1u : 0u;
    /* certificate management (security whitepaper): the roots and the client certificate
     * signed over OCPP live in --ocpp-store DIR, the configured CA is a trust anchor */
    linux_crypto_init(&so->crypto);
    ocpp_cert_init(&so->cert, &board_ocpp_cert_ops, &so->bcert, &so->crypto.base, identity);
    if (board_ocpp_cert_open(&so->bcert, &so->cert, o->ocpp_store, so->tls_on ? &so->tls : NULL, o->ocpp_ca,
                             o->ocpp_cert, o->ocpp_key, log, now_ms) != HAL_OK) {
        fprintf(stderr, "sim: --ocpp: the certificate store in %s does not open\n",
                o->ocpp_store != NULL ? o->ocpp_store : "(memory)");
        return 2;
    }
    int rc = sim_ocpp_cp_start(so, now_ms);
    if (rc != 0) {
        return rc;
    }
    so->drain_ms = (uint32_t)o->ocpp_drain_s * 1000u;
    so->on = true;
    return 0;
}

void sim_ocpp_event(void *ctx, const struct station_event *e, uint32_t now_ms)
{
    struct sim_ocpp *so = ctx;
    if (so->on) {
        ocpp_station_event(&so->os, e, now_ms);
    }
}

/* Reset (OCPP 1.6 §5.14): the station stopped every session (reason SoftReset or
 * HardReset, the station's safe stop either way); once they are idle and their Stops are
 * confirmed (ocpp_station_reset_due), the Reset.conf and whatever else is going out leave
 * first, then the link closes (Soft: a close frame, 1001 going away; Hard: dropped), then the
 * charge point starts again in this process as after a reboot. */
static void sim_ocpp_restart(struct sim_ocpp *so, const char *why, uint32_t now_ms)
{
    /* open (a Hard reset): the first queues a close frame, the second drops the link; closing
     * or closed (a Soft reset): the first drops what is left */
    ocpp_ws_close(&so->os.ws, 1001, now_ms);
    ocpp_ws_close(&so->os.ws, 1001, now_ms);
    so->restarts++;
    printf("sim: OCPP: the charge point restarts (%s, restart %lu)\n", why, (unsigned long)so->restarts);
    hal_logf(so->log, HAL_LOG_INFO, now_ms, "ocpp: the charge point restarts (%s)", why);
    if (sim_ocpp_cp_start(so, now_ms) != 0) {
        so->on = false; /* said on stderr; the run goes on without a charge point */
    }
}

void sim_ocpp_poll(struct sim_ocpp *so, uint32_t now_ms)
{
    if (!so->on || so->phase == SIM_OCPP_OFF) {
        return;
    }
    board_ocpp_fw_tick(&so->fw, now_ms);
    ocpp_station_poll(&so->os, now_ms);
    board_ocpp_cert_poll(&so->bcert);
    bool hard = false;
    bool quiet = so->os.cp.txlen == 0 && !ocpp_ws_sending(&so->os.ws);
    switch (so->phase) {
    case SIM_OCPP_RUN:
        if (ocpp_station_reset_due(&so->os, &hard)) {
            so->phase = SIM_OCPP_RESET_FLUSH;
            so->reset_hard = hard;
            so->phase_ms = now_ms;
        }
        break;
    case SIM_OCPP_RESET_FLUSH: /* the Reset.conf and the last frames out (at most 5 s) */
        if (quiet || (uint32_t)(now_ms - so->phase_ms) >= 5000u) {
            if (so->reset_hard) {
                sim_ocpp_restart(so, "Hard reset", now_ms); /* the link just dropped */
                break;
            }
            ocpp_ws_close(&so->os.ws, 1001, now_ms);
            so->phase = SIM_OCPP_RESET_CLOSE;
            so->phase_ms = now_ms;
        }
        break;
    case SIM_OCPP_RESET_CLOSE: /* our close frame out (at most 5 s) */
        if (quiet || (uint32_t)(now_ms - so->phase_ms) >= 5000u) {
            sim_ocpp_restart(so, "Soft reset", now_ms);
        }
        break;
    case SIM_OCPP_OFF:
        break;
    }
}

void sim_ocpp_power_down(struct sim_ocpp *so)
{
    if (so->on) {
        ocpp_ws_close(&so->os.ws, 1001, 0); /* queues a close frame that never goes... */
        ocpp_ws_close(&so->os.ws, 1001, 0); /* ...the connection dies with the power */
        so->phase = SIM_OCPP_OFF;
    }
}

void sim_ocpp_power_up(struct sim_ocpp *so, uint32_t now_ms)
{
    if (so->on && so->phase == SIM_OCPP_OFF) {
        sim_ocpp_restart(so, "power back", now_ms);
    }
}

bool sim_ocpp_drained(struct sim_ocpp *so, uint32_t now_ms)
{
    if (!so->on) {
        return true;
    }
    if (so->phase != SIM_OCPP_RUN || so->os.reset_pending) {
        return false; /* a Reset under way: the run ends after the restart */
    }
    if (so->done_ms == 0) {
        so->done_ms = now_ms == 0 ? 1u : now_ms;
    }
    unsigned left = ocpp_cp_queued(&so->os.cp);
    if (so->os.cp.fw != NULL) {
        left += ocpp_fw_pending(so->os.cp.fw); /* a firmware job and its notifications too */
    }
    bool timeout = (uint32_t)(now_ms - so->done_ms) >= so->drain_ms;
    if ((left == 0 && so->os.cp.reg == OCPP_REG_ACCEPTED && !so->os.cp.rpc.busy) || timeout) {
        if (!so->reported) {
            so->reported = true;
            if (left == 0) {
                printf("sim: OCPP: every transaction delivered (%lu frames sent, %lu received)\n",
                       (unsigned long)so->os.cp.sent, (unsigned long)so->os.cp.received);
            } else {
                printf("sim: OCPP: drain timeout (--ocpp-drain-s %lu): %u message(s) undelivered\n",
                       (unsigned long)(so->drain_ms / 1000u), left);
            }
        }
        return true;
    }
    return false;
}
