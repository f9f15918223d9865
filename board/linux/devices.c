/* devices.c - the Linux board's devices built from its configuration: the loop, log, store
 * (boot counter), random source and OCMF crypto; the InfyPower stage on SocketCAN; the EM580
 * meter (libmodbus) with its journal and meter session; the Bender or Dold isolation monitor;
 * the link to the car (libpcap, IPv6 sockets, OpenSSL TLS). Owns struct board_devices. */
#include "devices.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "psu_none.h"

/* A Modbus bus from a validated spec; the Bender's default framing is 8E1 at 19200. */
static int board_modbus(struct board_devices *d, struct linux_modbus *mb, const char *spec, bool bender,
                        uint32_t timeout_ms, const char *key)
{
    struct linux_modbus_config mc;
    if (linux_modbus_parse(spec, LINUX_MODBUS_RTU, &mc) != HAL_OK) {
        fprintf(stderr, "charger: %s '%s': malformed\n", key, spec);
        return -1;
    }
    if (bender && mc.kind == LINUX_MODBUS_RTU) {
        const char *c1 = strchr(spec + 4, ',');
        if (c1 == NULL) {
            mc.baud = 19200;
        }
        if (c1 == NULL || strchr(c1 + 1, ',') == NULL) {
            mc.parity = 'E';
        }
    }
    mc.timeout_ms = timeout_ms;
    int rc = linux_modbus_init(mb, &mc);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: %s '%s': %s\n", key, spec, hal_strerror(rc));
        return -1;
    }
    (void)linux_loop_watch(&d->loop, linux_modbus_fd(mb), POLLIN);
    return 0;
}

static int board_start_meter(struct board_devices *d, const struct board_config *cfg, struct sched *s, uint32_t now)
{
    if (strcmp(cfg->meter_bus, "none") == 0) {
        return 0;
    }
    if (board_modbus(d, &d->meter_bus, cfg->meter_bus, false, cfg->meter_timeout_ms, "meter.bus") != 0) {
        return -1;
    }
    struct em580_config ec;
    em580_config_default(&ec);
    ec.unit = (uint8_t)cfg->meter_unit;
    ec.timeout_ms = cfg->meter_timeout_ms;
    int rc = meter_em580_init(&d->meter, &d->meter_bus.base, &ec);
    if (rc == HAL_OK) {
        rc = sched_add(s, meter_em580_task(&d->meter), now);
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter: %s\n", hal_strerror(rc));
        return -1;
    }
    rc = journal_open(&d->journal, &d->nvs.base);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter journal in store.dir '%s': %s\n", cfg->store_dir, hal_strerror(rc));
        return -1;
    }
    meter_session_init(&d->ms, &d->meter.base, &d->journal, &d->crypto.base);
    if (cfg->meter_pin_len != 0) {
        /* Validated by board_config_load(): a refusal here is a programming error. */
        if (meter_session_pin_key(&d->ms, cfg->meter_pin, cfg->meter_pin_len) != HAL_OK) {
            fprintf(stderr, "charger: meter.public_key: not an uncompressed point\n");
            return -1;
        }
        hal_logf(&d->log.base, HAL_LOG_INFO, now,
                 "meter: public key pinned (%u bytes, %02x%02x%02x%02x...): records are verified "
                 "against it and a meter reporting another key gets no transaction",
                 (unsigned)cfg->meter_pin_len, cfg->meter_pin[1], cfg->meter_pin[2],
                 cfg->meter_pin[3], cfg->meter_pin[4]);
    }
    rc = sched_add(s, meter_session_task(&d->ms), now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter session: %s\n", hal_strerror(rc));
        return -1;
    }
    d->have_meter = true;
    return 0;
}

static int board_start_imd(struct board_devices *d, const struct board_config *cfg, struct sched *s, uint32_t now)
{
    if (cfg->imd_model == BOARD_IMD_NONE) {
        return 0;
    }
    bool bender = cfg->imd_model == BOARD_IMD_BENDER;
    if (board_modbus(d, &d->imd_bus, cfg->imd_bus, bender, 500, "imd.bus") != 0) {
        return -1;
    }
    struct isolation_limits lim;
    isolation_limits_default(&lim);
    lim.rated_voltage_v = cfg->imd_rated_voltage_v;
    int rc;
    if (bender) {
        struct imd_bender_config ic;
        imd_bender_config_default(&ic);
        if (cfg->imd_unit != 0) {
            ic.unit = (uint8_t)cfg->imd_unit;
        }
        rc = isolation_imd_bender_init(&d->bender, &d->imd_bus.base, &ic, &lim);
        d->imd = &d->bender.base;
        if (rc == HAL_OK) {
            rc = sched_add(s, isolation_imd_bender_task(&d->bender), now);
        }
    } else {
        struct imd_dold_config ic;
        imd_dold_config_default(&ic);
        if (cfg->imd_unit != 0) {
            ic.unit = (uint8_t)cfg->imd_unit;
        }
        rc = isolation_imd_dold_init(&d->dold, &d->imd_bus.base, &ic, &lim);
        d->imd = &d->dold.base;
        if (rc == HAL_OK) {
            rc = sched_add(s, isolation_imd_dold_task(&d->dold), now);
        }
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: isolation monitor: %s\n", hal_strerror(rc));
        return -1;
    }
    d->have_imd = true;
    return 0;
}

/* The capture's frames are written each pass the loop wakes for them, and at least every
 * 100 ms (a frame the wake-up missed waits no longer). */
static void board_capture_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_devices *d = t->ctx;
    bool failed = d->capture.write_failed;
    (void)linux_capture_poll(&d->capture);
    if (!failed && d->capture.write_failed) {
        hal_logf(&d->log.base, HAL_LOG_ERROR, now_ms, "capture stopped: %s", d->capture.errbuf);
    }
    sched_task_at(t, now_ms + 100u);
}

/* Before the link's own port: the capture then holds the first SLAC frame too. */
static int board_start_capture(struct board_devices *d, const struct board_config *cfg, struct sched *s, uint32_t now)
{
    if (cfg->capture_file[0] == '\0') {
        return 0;
    }
    if (linux_capture_open(&d->capture, cfg->link_interface, cfg->capture_file,
                           (uint64_t)cfg->capture_max_mb * 1000000u, cfg->capture_files) != 0) {
        fprintf(stderr, "charger: capture of '%s' to '%s': %s\n", cfg->link_interface, cfg->capture_file,
                d->capture.errbuf);
        return -1;
    }
    (void)linux_loop_watch(&d->loop, linux_capture_fd(&d->capture), POLLIN);
    sched_task_init(&d->capture_task, "capture", board_capture_step, d, true);
    if (sched_add(s, &d->capture_task, now) != HAL_OK) {
        fprintf(stderr, "charger: capture: the scheduler is full\n");
        linux_capture_close(&d->capture);
        return -1;
    }
    d->have_capture = true;
    hal_logf(&d->log.base, HAL_LOG_INFO, now, "capture: every frame of %s to %s (pcapng; %lu MB per file, %lu files)",
             cfg->link_interface, cfg->capture_file, (unsigned long)cfg->capture_max_mb,
             (unsigned long)cfg->capture_files);
    return 0;
}

static int board_start_link(struct board_devices *d, const struct board_config *cfg, struct sched *s, uint32_t now)
{
    const char *ifn = cfg->link_interface;
    if (ifn[0] == '\0') {
        return 0;
    }
    if (board_start_capture(d, cfg, s, now) != 0) {
        return -1;
    }
    int rc = linux_pcap_open(&d->eth, ifn);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: link.interface '%s': %s (%s)\n", ifn, hal_strerror(rc), d->eth.errbuf);
        return -1;
    }
    (void)linux_loop_watch(&d->loop, linux_pcap_fd(&d->eth), POLLIN);
    if (linux_net_init(&d->net, ifn, &d->loop) != HAL_OK) {
        fprintf(stderr, "charger: link.interface '%s': no such interface\n", ifn);
        return -1;
    }
    if (cfg->link_tls_cert[0] != '\0') {
        static const enum linux_tls_client_auth auth[] = {LINUX_TLS_CLIENT_CERT_NONE, LINUX_TLS_CLIENT_CERT_OPTIONAL,
                                                          LINUX_TLS_CLIENT_CERT_REQUIRED};
        int mode = cfg->link_tls_client_cert;
        if (linux_tls_init(&d->tls, &d->net.base, &d->log.base, &d->loop.base) != HAL_OK ||
            linux_tls_server_client_auth(&d->tls, cfg->link_tls_client_ca,
                                         auth[mode >= 0 && mode <= 2 ? mode : 0]) != HAL_OK) {
            fprintf(stderr, "charger: link.tls_client_cert/link.tls_client_ca: %s\n", d->tls.reason);
            return -1;
        }
        if (linux_tls_server(&d->tls, cfg->link_tls_cert, cfg->link_tls_key) != HAL_OK) {
            fprintf(stderr, "charger: link.tls_cert/link.tls_key: %s\n", d->tls.reason);
            return -1;
        }
        if (cfg->link_tls_ocsp_response[0] != '\0') {
            /* Checked here, not at the first car: a file that is no OCSP response stops the start. */
            if (linux_tls_server_ocsp(&d->tls, cfg->link_tls_ocsp_response) != HAL_OK) {
                fprintf(stderr, "charger: link.tls_ocsp_response: %s\n", d->tls.reason);
                return -1;
            }
            hal_logf(&d->log.base, HAL_LOG_INFO, now, "TLS: OCSP response %s stapled when a car asks (status_request)",
                     cfg->link_tls_ocsp_response);
        }
        if (mode != BOARD_TLS_CLIENT_NONE) {
            hal_logf(&d->log.base, HAL_LOG_INFO, now, "TLS: ISO 15118-20 cars (TLS 1.3) are asked for a certificate "
                     "under %s (%s)", cfg->link_tls_client_ca, mode == BOARD_TLS_CLIENT_REQUIRED ? "required" : "optional");
        }
        d->have_tls = true;
        if (cfg->capture_tls_keylog[0] != '\0') {
            if (linux_tls_keylog(&d->tls, cfg->capture_tls_keylog) != HAL_OK) {
                fprintf(stderr, "charger: --tls-keylog/capture.tls_keylog: %s\n", d->tls.reason);
                return -1;
            }
            fprintf(stderr, "charger: WARNING: TLS key log %s: anyone who reads it can decrypt the V2G "
                            "sessions it covers (diagnosis only)\n",
                    cfg->capture_tls_keylog);
        }
    } else if (cfg->capture_tls_keylog[0] != '\0') {
        hal_logf(&d->log.base, HAL_LOG_WARN, now, "TLS key log %s not written: no TLS (link.tls_cert) configured",
                 cfg->capture_tls_keylog);
    }
    struct evse_link_config lc;
    evse_link_default_config(&lc);
    lc.tcp_port = (uint16_t)cfg->link_tcp_port;
    lc.tls_port = (uint16_t)cfg->link_tls_port;
    lc.offer_tls = d->have_tls;
    lc.slac.use_modem = cfg->link_modem;
    struct evse_link_ports lp = {.eth = &d->eth.base,
                                 .net = &d->net.base,
                                 .rng = &d->rng.base,
                                 .tls = d->have_tls ? &d->tls.base : NULL,
                                 .log = &d->log.base};
    rc = evse_link_init(&d->evse, &lc, &lp, s, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: link on '%s' failed to start: %s\n", ifn, hal_strerror(rc));
        return -1;
    }
    charger_transport_evse_init(&d->adapter, &d->evse);
    d->have_link = true;
    return 0;
}

/* psu.type = huawei: the link to the unit (TCP, optionally mutual TLS; GOOSE on its own
 * port) with this charger as a one-connector dispenser. After the isolation monitor: the
 * unit measures no voltage, so the stage reads the upstream voltage from it. */
static int board_start_huawei(struct board_devices *d, const struct board_config *cfg, struct sched *s,
                              uint32_t now)
{
    if (cfg->psu_type != BOARD_PSU_HUAWEI) {
        return 0;
    }
    struct huawei_disp_config hc;
    huawei_disp_config_default(&hc);
    hc.connectors = 1;
    hc.global_no[0] = (uint16_t)cfg->huawei_connector;
    hc.vlan_id = (uint16_t)cfg->huawei_vlan;
    hc.send_secure = !cfg->huawei_no_hmac;
    hc.verify_hmac = !cfg->huawei_no_hmac;
    /* the ESN is unique per dispenser: the connector number makes it so on one unit */
    snprintf(hc.esn, sizeof hc.esn, "DISP-%02u", (unsigned)cfg->huawei_connector);
    struct hal_ip6_endpoint ep;
    if (hal_ip4_parse(cfg->huawei_host, (uint16_t)cfg->huawei_port, &ep) != HAL_OK) {
        fprintf(stderr, "charger: huawei.host '%s': not an IPv4 address\n", cfg->huawei_host);
        return -1;
    }
    struct hal_eth_binding b = {HAL_ETH_TYPE_GOOSE, 0u, false};
    if (linux_pcap_open_binding(&d->goose_eth, cfg->huawei_goose_if, &b) != HAL_OK) {
        fprintf(stderr, "charger: huawei.goose_if '%s': %s\n", cfg->huawei_goose_if, d->goose_eth.errbuf);
        return -1;
    }
    (void)linux_loop_watch(&d->loop, linux_pcap_fd(&d->goose_eth), POLLIN);
    (void)hal_eth_mac(&d->goose_eth.base, hc.mac);
    /* a unit on this host is reached over loopback; otherwise over the GOOSE port's network */
    const char *tcp_if = strncmp(cfg->huawei_host, "127.", 4) == 0 ? "lo" : cfg->huawei_goose_if;
    if (linux_net_init(&d->unit_net, tcp_if, &d->loop) != HAL_OK) {
        fprintf(stderr, "charger: huawei: no interface '%s' for the unit link\n", tcp_if);
        return -1;
    }
    int rc = psu_huawei_unit_init(&d->unit, &hc, &ep, &d->unit_net.base, &d->goose_eth.base, &d->log.base, s, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: Huawei unit link: %s\n", hal_strerror(rc));
        return -1;
    }
    if (cfg->huawei_tls_ca[0] != '\0') {
        struct linux_tls_backend tb = {cfg->huawei_tls_ca, cfg->huawei_tls_cert, cfg->huawei_tls_key};
        if (linux_tls_init(&d->unit_tls, &d->unit_net.base, &d->log.base, &d->loop.base) != HAL_OK ||
            linux_tls_client_backend(&d->unit_tls, &tb) != HAL_OK) {
            fprintf(stderr, "charger: huawei TLS: %s\n", d->unit_tls.reason);
            return -1;
        }
        psu_huawei_unit_use_tls(&d->unit, &d->unit_tls.base);
    }
    rc = psu_huawei_init(&d->hw, &d->unit, 1u, NULL, d->imd);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: Huawei connector: %s\n", hal_strerror(rc));
        return -1;
    }
    d->psu = &d->hw.base;
    d->have_huawei = true;
    return 0;
}

int board_devices_start(struct board_devices *d, const struct board_config *cfg, volatile int *stop_flag,
                        struct sched *s)
{
    uint32_t now = 0;
    uint8_t boot_raw[4] = {0};
    size_t len = 0;

    static const enum hal_log_level levels[] = {HAL_LOG_ERROR, HAL_LOG_WARN, HAL_LOG_INFO,
                                                HAL_LOG_DEBUG};
    linux_log_init(&d->log, levels[cfg->log_level], true, cfg->log_syslog, "charger");
    linux_loop_init(&d->loop);
    d->loop.stop_flag = stop_flag;
    linux_rng_init(&d->rng);
    linux_crypto_init(&d->crypto);
    if (d->crypto.selftest != HAL_OK) {
        /* OCMF records would be judged by a library that fails a known answer. */
        fprintf(stderr, "charger: OpenSSL ECDSA P-256 known-answer test failed (%s): not starting\n",
                hal_strerror(d->crypto.selftest));
        return -1;
    }
    /* OCMF records are checked beside the loop: a Brainpool verification costs 2 ms. */
    if (linux_crypto_start_worker(&d->crypto) == HAL_OK) {
        (void)linux_loop_watch(&d->loop, linux_crypto_fd(&d->crypto), POLLIN);
    } else {
        fprintf(stderr, "charger: no crypto worker: OCMF checks run inside loop passes\n");
    }

    int rc = linux_nvs_init(&d->nvs, cfg->store_dir);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: store.dir '%s': %s\n", cfg->store_dir, hal_strerror(rc));
        return -1;
    }
    /* The store's worker signals completions here: the task waiting for them wakes at once. */
    (void)linux_loop_watch(&d->loop, linux_nvs_fd(&d->nvs), POLLIN);
    /* A boot counter shows the store works end to end and tells restarts apart in logs. */
    d->boots = 0;
    if (hal_nvs_read(&d->nvs.base, "boot_count", boot_raw, sizeof boot_raw, &len) == HAL_OK &&
        len == sizeof boot_raw) {
        d->boots = (uint32_t)boot_raw[0] | (uint32_t)boot_raw[1] << 8 | (uint32_t)boot_raw[2] << 16 |
                (uint32_t)boot_raw[3] << 24;
    }
    d->boots++;
    for (unsigned i = 0; i < 4; i++) {
        boot_raw[i] = (uint8_t)(d->boots >> (8 * i));
    }
    /* Start-up, before the loop runs: waiting for the store here stalls no supervision. */
    rc = hal_nvs_submit_write(&d->nvs.base, "boot_count", boot_raw, sizeof boot_raw);
    if (rc == HAL_OK && linux_nvs_wait(&d->nvs, &rc) != HAL_OK) {
        rc = HAL_EIO;
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot write to store.dir '%s': %s\n", cfg->store_dir,
                hal_strerror(rc));
        return -1;
    }

    /* CAN carries only the power stage: without one (psu.type = none) there is nothing to
     * open, and a charger computer without a CAN interface starts. */
    if (cfg->psu_type == BOARD_PSU_INFY) {
        linux_can_init(&d->can, cfg->can_interface);
        rc = hal_can_open(&d->can.base, cfg->can_bitrate);
        if (rc != HAL_OK) {
            fprintf(stderr, "charger: can.interface '%s': %s\n", cfg->can_interface, hal_strerror(rc));
            return -1;
        }
        (void)linux_loop_watch(&d->loop, linux_can_fd(&d->can), POLLIN);
        d->have_can = true;
    } else if (cfg->can_interface[0] != '\0') {
        hal_logf(&d->log.base, HAL_LOG_WARN, 0, "can.interface '%s' not opened: psu.type is none",
                 cfg->can_interface);
    }
    now = hal_clock_now_ms(&d->loop.base);

    psu_none_init(&d->no_psu);
    d->psu = &d->no_psu;
    if (cfg->psu_type == BOARD_PSU_INFY) {
        rc = psu_infy_init(&d->stage, &cfg->infy, &d->can.base, &d->log.base, s, now);
        if (rc != HAL_OK) {
            fprintf(stderr, "charger: InfyPower stage: %s\n", hal_strerror(rc));
            return -1;
        }
        d->psu = &d->stage.base;
    }
    if (board_start_meter(d, cfg, s, now) != 0 || board_start_imd(d, cfg, s, now) != 0 ||
        board_start_huawei(d, cfg, s, now) != 0 || board_start_link(d, cfg, s, now) != 0) {
        return -1;
    }
    return 0;
}

void board_devices_log_started(struct board_devices *d, const struct board_config *cfg, const char *version,
                               uint32_t now_ms)
{
    hal_logf(&d->log.base, HAL_LOG_INFO, now_ms,
             "charger %s started (boot %lu), CAN %s, store %s, stage %s, meter %s, IMD %s, link %s%s",
             version, (unsigned long)d->boots, d->have_can ? cfg->can_interface : "none", cfg->store_dir,
             cfg->psu_type == BOARD_PSU_INFY ? "InfyPower" : cfg->psu_type == BOARD_PSU_HUAWEI ? "Huawei" : "none",
             cfg->meter_bus,
             cfg->imd_model == BOARD_IMD_BENDER ? "Bender" : cfg->imd_model == BOARD_IMD_DOLD ? "Dold" : "none",
             d->have_link ? cfg->link_interface : "none", d->have_tls ? " (TCP + TLS)" : "");
}

void board_devices_close(struct board_devices *d, uint32_t now_ms)
{
    if (d->have_capture) {
        linux_loop_unwatch(&d->loop, linux_capture_fd(&d->capture));
        linux_capture_close(&d->capture);
        hal_logf(&d->log.base, HAL_LOG_INFO, now_ms, "capture: %lu frame(s) written, %lu rotation(s)",
                 (unsigned long)d->capture.packets, (unsigned long)d->capture.rotations);
    }
    if (d->have_huawei) {
        linux_net_close_all(&d->unit_net);
        linux_pcap_close(&d->goose_eth);
    }
    if (d->have_link) {
        linux_net_close_all(&d->net);
        linux_pcap_close(&d->eth);
        if (d->have_tls) {
            linux_tls_free(&d->tls);
        }
    }
    if (d->have_meter) {
        linux_modbus_close(&d->meter_bus);
    }
    if (d->have_imd) {
        linux_modbus_close(&d->imd_bus);
    }
    linux_loop_unwatch(&d->loop, linux_nvs_fd(&d->nvs));
    linux_nvs_close(&d->nvs);
    if (linux_crypto_fd(&d->crypto) >= 0) {
        linux_loop_unwatch(&d->loop, linux_crypto_fd(&d->crypto));
    }
    linux_crypto_close(&d->crypto);
    hal_logf(&d->log.base, HAL_LOG_INFO, now_ms, "stopped cleanly");
    if (d->have_can) {
        hal_can_close(&d->can.base);
    }
    linux_log_close(&d->log);
}
