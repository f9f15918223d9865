/*
 * an386_ocpp.c - the OCPP 1.6J charge point wired as a port would wire it, for the
 * firmware-ocpp.elf image whose flash and RAM `make board-ocpp-size` reports.
 *
 * Why an image and not a sum of object sizes: --gc-sections keeps only what the client
 * really reaches (handlers through the dispatch tables, the JSON writer, the WebSocket), and
 * the instances are the static structs a port allocates. The MPS2 has a LAN9220 but this
 * port has no driver for it, so the network answers "not supported" (the client then backs
 * off, as with a cable pulled), the random source is not seeded, and the certificate and
 * firmware hooks are absent (their handlers answer Rejected / Failed): the image is the
 * client's cost, not a charger that can reach a CSMS.
 */
#include "an386_ocpp.h"

#include <stddef.h>

#include "hal_err.h"
#include "hal_net.h"
#include "hal_rng.h"
#include "hal_unsupported.h"
#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_fw.h"
#include "ocpp_station.h"
#include "station.h"

static int rng_unseeded(struct hal_rng *rng, uint8_t *buf, size_t len)
{
    (void)rng;
    (void)buf;
    (void)len;
    return HAL_EAGAIN;
}

static const struct hal_rng_ops k_rng_ops = {.fill = rng_unseeded};

static struct hal_net s_net;
static struct hal_rng s_rng = {&k_rng_ops};
static struct station s_station;
static struct ocpp_station s_ocpp;
static struct ocpp_cert s_cert;
static struct ocpp_fw s_fw;
static const struct ocpp_cert_ops k_cert_ops; /* no certificate store on this port */
static const struct ocpp_fw_ops k_fw_ops;     /* no download or install hooks */
static struct sched_task s_task;

/* The board's reader of the station's event ring: every event to the charge point. */
static void ocpp_step(struct sched_task *t, uint32_t now_ms)
{
    struct station_event e;
    while (station_event_pop(&s_station, &e) == HAL_OK) {
        ocpp_station_event(&s_ocpp, &e, now_ms);
    }
    ocpp_station_poll(&s_ocpp, now_ms);
    sched_task_at(t, now_ms + 10u);
}

int an386_ocpp_start(struct charger *c, struct sched *s, struct hal_log *log, uint32_t now_ms)
{
    hal_unsupported_net(&s_net);
    struct station_config sc;
    station_default_config(&sc);
    struct charger *const conns[1] = {c};
    int rc = station_init(&s_station, &sc, conns, 1u, s, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    struct ocpp_ws_config wc;
    ocpp_ws_default_config(&wc);
    const char *why = NULL;
    rc = ocpp_ws_target_parse("ws://192.0.2.1:8180/ocpp", "AN386-0001", &wc.target, &why);
    if (rc != HAL_OK) {
        return rc;
    }
    const struct ocpp_cp_info info = {"Example", "DC-M4", "AN386-0001", "m4", NULL, NULL, 1u};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    rc = ocpp_station_init(&s_ocpp, &s_station, NULL, 1u, &info, &cfg, &wc, &s_net, NULL, &s_rng, log, 1u, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    ocpp_cert_init(&s_cert, &k_cert_ops, NULL, NULL, "AN386-0001");
    s_ocpp.cp.cert = &s_cert;
    ocpp_fw_init(&s_fw, &k_fw_ops, NULL);
    s_ocpp.cp.fw = &s_fw;
    sched_task_init(&s_task, "ocpp", ocpp_step, NULL, true);
    return sched_add(s, &s_task, now_ms);
}
