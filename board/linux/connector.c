/* connector.c - the Linux board's connector: its charger configured from the board's
 * configuration over the devices, its pilot and power-path GPIO (unsupported on Linux, or
 * the --sim-plant test aid), and the station that holds it. Owns struct board_connector. */
#include "connector.h"

#include <stdio.h>
#include <string.h>

#include "hal_unsupported.h"

static void board_connector_config(const struct board_config *b, struct charger_config *cc)
{
    charger_default_config(cc);
    memcpy(cc->name, b->charger_name, sizeof cc->name);
    board_config_apply_connector(b, cc);
    cc->hlc.protocols = b->v2g_list;
#if CFG_HLC_ISO20
    cc->hlc.iso20_plain_tcp = b->v2g_iso20_plain_tcp;
#endif
#if CFG_HLC_ISO2
    cc->hlc.iso2_pnc_plain_tcp = b->pnc_plain_tcp;
#endif
}

/* pnc.mo_roots: read and checked now, so a bad file is said at start; the charger then
 * runs without Contract (EIM sessions are unaffected). */
static void board_connector_pnc(struct board_connector *k, const struct board_config *cfg, struct board_devices *d,
                                struct charger_config *cc, uint32_t now_ms)
{
    if (cfg->pnc_mo_roots[0] == '\0') {
        return;
    }
    char why[256];
    int rc = board_pnc_load_roots(&k->mo_roots, cfg->pnc_mo_roots, why, sizeof why);
    if (rc != HAL_OK) {
        hal_logf(&d->log.base, HAL_LOG_ERROR, now_ms, "pnc.mo_roots: %s: Contract payment is not offered", why);
        return;
    }
    k->pnc = (struct iso2_evse_pnc){.crypto = &d->crypto.base,
                                    .rng = &d->rng.base,
                                    .roots = k->mo_roots.cert,
                                    .nroots = k->mo_roots.n,
                                    .buf = k->pnc_buf,
                                    .cap = sizeof k->pnc_buf};
    iso2_evse_pnc_init(&k->pnc); /* the checks: linked by the board that makes a context */
    /* CertificateInstallation/Update: a bad key is said now and only that service is lost */
    char cw[320];
    int crc = board_certprov_setup(&k->cert, cfg, &k->pnc, cw, sizeof cw);
    if (cw[0] != '\0') {
        hal_logf(&d->log.base, crc == HAL_OK ? HAL_LOG_INFO : HAL_LOG_ERROR, now_ms, "%s%s", cw,
                 crc == HAL_OK ? "" : ": certificate installation/update is not offered");
    }
    k->have_pnc = true;
    cc->hlc.iso2.offer_contract = true;
    hal_logf(&d->log.base, HAL_LOG_INFO, now_ms, "pnc: %zu mobility-operator root(s) from %s; Contract offered over %s",
             k->mo_roots.n, cfg->pnc_mo_roots, cfg->pnc_plain_tcp ? "TLS and plain TCP (LAB ONLY)" : "TLS");
    if (cfg->link_tls_cert[0] == '\0' && !cfg->pnc_plain_tcp) {
        /* said at start: otherwise the operator would wonder why no car ever pays so */
        hal_logf(&d->log.base, HAL_LOG_WARN, now_ms,
                 "pnc: no TLS configured (link.tls_cert): Contract will not be offered to any car");
    }
}

int board_connector_start(struct board_connector *k, const struct board_config *cfg, struct board_devices *d,
                          const struct board_sim_options *sim, struct sched *s, uint32_t now_ms)
{
    struct hal_pilot *pilot = &k->pilot;
    struct hal_gpio *gpio = &k->gpio;
    struct psu *psu = d->psu;
    if (sim->wire != NULL && cfg->board_io != BOARD_IO_NONE) {
        fprintf(stderr, "charger: --sim-plant and board.io = %s both drive the pilot: choose one\n",
                cfg->board_io == BOARD_IO_KERNEL ? "kernel" : "chargesom");
        return -1;
    }
    if (cfg->board_io == BOARD_IO_CHARGESOM) {
        if (board_chargesom_start(&k->chargesom, cfg, &d->loop, s, &d->log.base, now_ms) != 0) {
            return -1;
        }
        k->have_chargesom = true;
        pilot = &k->chargesom.host.pilot;
        gpio = &k->chargesom.host.gpio;
    } else if (cfg->board_io == BOARD_IO_KERNEL) {
        if (board_kio_start(&k->kio, cfg, s, now_ms) != 0) {
            return -1;
        }
        k->have_kio = true;
        pilot = &k->kio.kio.pilot;
        gpio = &k->kio.kio.gpio;
    } else if (sim->wire != NULL) {
        int rc = sim_plant_init(&k->plant, sim->wire, sim->load, d->psu, cfg->safe_current_ma,
                                cfg->power_down_timeout_ms, &d->loop, s, &d->log.base, now_ms);
        if (rc != HAL_OK) {
            return -1;
        }
        k->have_plant = true;
        /* the Huawei unit measures nothing at the output and its emulator has no physics:
         * the plant models the output from the setpoints (the ideal stage's model) */
        k->plant.plant.psu.model_output = cfg->psu_type == BOARD_PSU_HUAWEI;
        if (sim->trace != NULL && sim_plant_trace_open(&k->plant, sim->trace, &k->charger) != HAL_OK) {
            return -1;
        }
        pilot = &k->plant.plant.pilot.base;
        gpio = &k->plant.plant.gpio.base;
        psu = &k->plant.plant.psu.base;
    } else {
        /* No portable Linux interface exists for the pilot and the power-path GPIO: until
         * a board names its hardware these report "not supported", which the interlock
         * treats as unreadable feedback and the pilot as state E: nothing is energised. */
        hal_unsupported_pilot(&k->pilot);
        hal_unsupported_gpio(&k->gpio);
    }
    struct charger_config cc;
    board_connector_config(cfg, &cc);
    board_connector_pnc(k, cfg, d, &cc, now_ms);
    struct charger_ports ports = {.pilot = pilot,
                                  .gpio = gpio,
                                  .psu = psu,
                                  .log = &d->log.base,
                                  .link = d->have_link ? &d->adapter.base : NULL,
                                  .rng = &d->rng.base,
                                  .isolation = d->imd,
                                  .meter_session = d->have_meter ? &d->ms : NULL,
                                  .meter = d->have_meter ? &d->meter.base : NULL,
                                  .clock = &d->loop.base,
                                  .pnc = k->have_pnc ? &k->pnc : NULL,
                                  /* The co-processor closes them only in C/D (its own gate). */
                                  .contactor_gate = cfg->board_io == BOARD_IO_CHARGESOM};
    int rc = charger_init(&k->charger, &cc, &ports, s, now_ms);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot start the charger: %s\n", hal_strerror(rc));
        return -1;
    }
    if (k->have_chargesom) {
        board_chargesom_attach(&k->chargesom, &k->charger);
    }
    if (sim->state_trace != NULL) {
        if (board_state_trace_open(&k->state_trace, sim->state_trace, &k->charger, d->psu, s, now_ms) != HAL_OK) {
            return -1;
        }
        k->have_state_trace = true;
    }
    /* The station after the connector: its pass reads what the connector's pass decided
     * (events.c runs it, see struct board_connector). */
    struct station_config sc;
    station_default_config(&sc);
    sc.max_power_w = cfg->station_max_power_w;
    sc.max_current_ma = cfg->station_max_current_a * 1000u;
    struct charger *conns[1] = {&k->charger};
    sched_init(&k->station_sched);
    rc = station_init(&k->station, &sc, conns, 1, &k->station_sched, now_ms);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot start the station: %s\n", hal_strerror(rc));
        return -1;
    }
    return 0;
}
