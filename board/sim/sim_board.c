/* sim_board.c - owns the simulator board's wiring (struct sim, struct sim_conn): per
 * connector the plant, the real InfyPower driver over an in-memory CAN bus to simulated
 * modules (or, --psu huawei, the real Huawei driver as a dispenser of the one simulated
 * unit over in-memory TCP and GOOSE), the evse_link on an in-memory PLC link, the real Bender and EM580 drivers on
 * simulated Modbus devices, the meter session with its journal, the car in its own scheduler and the charger
 * over all of them; the connectors handed to one station. Also the world's step every
 * simulated ms (plant, modules, scenario, the operator, the cars) and the firmware's
 * power loss and restart that a scenario asks for. */
#include "sim_board.h"
#include "sim_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sim_summary.h"

static int sim_power_up(struct sim *s, uint32_t now_ms);
static void sim_power_down(struct sim *s, uint32_t now_ms);

/* The operator: with the bay empty, or the car held by a locked connector, a person
 * resets a held fault once a second (docs/session.md "Unlock and fault reset"); while
 * its cause is there (e-stop pressed, contactor welded, voltage unknown) the reset is
 * refused and it stays held. */
static void sim_operator(struct sim_conn *x, uint32_t now_ms)
{
    bool bay_empty = x->plant.phase == PLANT_EV_LEFT || x->plant.phase == PLANT_EV_AWAY;
    bool held_locked = interlock_state(&x->charger.il) == INTERLOCK_HELD;
    if ((bay_empty || held_locked) && charger_held_fault(&x->charger) != NULL &&
        now_ms - x->reset_tried_ms >= 1000u) {
        x->reset_tried_ms = now_ms;
        (void)charger_reset(&x->charger, now_ms, NULL);
    }
}

/* One simulated ms of the world outside the firmware (sim_clock's idle calls it). */
static bool sim_world(void *ctx, uint32_t now_ms)
{
    struct sim *s = ctx;
    bool io = false;
    if (s->huawei) {
        sim_huawei_bus_tick(&s->hw_bus, now_ms);
        struct sim_conn *x0 = &s->c[0];
        if (s->hw_export_ms == 0 && x0->plant.psu.mode == PSU_MODE_EXPORT) {
            s->hw_export_ms = now_ms;
        }
        if (s->hw_running_ms == 0 && psu_huawei_state(&x0->hw) == HUAWEI_CS_RUNNING) {
            s->hw_running_ms = now_ms;
        }
    }
    for (int k = 0; k < s->n; k++) {
        struct sim_conn *x = &s->c[k];
        if (!s->ideal && !s->huawei) {
            sim_infy_tick(&x->modules, now_ms);
        }
        if (station_token_waiting(&s->station.st, (uint8_t)k)) {
            plant_go(&x->plant); /* --plug-after-start: the remote start (or card) came */
        }
        plant_tick(&x->plant, now_ms);
        if (k == 0) {
            switch (sim_scenario_tick(&s->scenario, now_ms)) {
            case SIM_SCENARIO_POWER_DOWN:
                sim_power_down(s, now_ms);
                break;
            case SIM_SCENARIO_POWER_UP:
                if (sim_power_up(s, now_ms) != HAL_OK) {
                    fprintf(stderr, "sim: the firmware did not restart after the power loss\n");
                    exit(1);
                }
                io = true; /* run the restarted tasks now */
                break;
            case SIM_SCENARIO_NONE:
                break;
            }
        }
        if (x->plant.evse_stop) {
            x->plant.evse_stop = false;
            charger_request_stop(&x->charger);
        }
        if (!s->mqtt_on) {
            sim_operator(x, now_ms); /* with --mqtt the integrator is the operator (reset) */
        }
    }
    if (!sim_scenario_ev_frozen(&s->scenario)) {
        (void)sched_run(&s->ev_sched, now_ms, true);
    }
    for (int k = 0; k < s->n; k++) {
        io = io || s->c[k].link.io_pending || s->c[k].imd.io_pending || s->c[k].meter.io_pending;
        s->c[k].link.io_pending = false;
        s->c[k].imd.io_pending = false;
        s->c[k].meter.io_pending = false;
    }
    return io;
}

/* Connector i's power stage: N simulated 30 kW modules, driven by the real InfyPower
 * driver through an in-memory CAN bus. */
static int sim_start_stage(struct sim *s, int i, uint8_t count, const struct board_config *bc)
{
    struct sim_conn *x = &s->c[i];
    struct sim_infy_rating r;
    struct infy_config ic;

    sim_infy_init(&x->modules);
    sim_infy_default_rating(&r);
    for (uint8_t a = 0; a < count; a++) {
        if (sim_infy_add(&x->modules, a, &r) != HAL_OK) {
            fprintf(stderr, "sim: cannot add module %u\n", a);
            return HAL_EINVAL;
        }
    }
    x->modules.load = SIM_INFY_LOAD_BATTERY;
    x->modules.connected = false;
    sim_infy_can_init(&x->can, &x->modules);
    infy_default_config(&ic);
    ic.count = count;
    for (uint8_t a = 0; a < count; a++) {
        ic.addresses[a] = a;
    }
    if (bc != NULL) {
        /* The driver's timing from the configuration file (the Linux board's mapping). */
        ic.poll_period_ms = bc->infy_poll_period_ms;
        ic.offline_timeout_ms = bc->infy_offline_timeout_ms;
        ic.safe_current_ma = bc->safe_current_ma;
        ic.power_down_timeout_ms = bc->power_down_timeout_ms;
    }
    x->ic = ic;
    int rc = psu_infy_init(&x->stage, &ic, &x->can.base, &s->log.base, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: InfyPower driver refused its configuration: %s\n", hal_strerror(rc));
        return rc;
    }
    x->plant.psu.inner = &x->stage.base;
    x->plant.stage = &x->modules;
    return HAL_OK;
}

/* What the unit delivers on the connector (the plant models the output from it). */
static bool sim_huawei_grant(void *ctx, uint32_t now_ms, uint32_t *mv, uint32_t *ma)
{
    struct sim_conn *x = ctx;
    return sim_huawei_output(&x->hw_bus->unit, x->hw_global, now_ms, mv, ma);
}

/* Connector i's power stage with --psu huawei: the real driver as a one-connector
 * dispenser (global connector i+1) of the one simulated unit, as the Linux board makes a
 * charger one (board/linux/devices.c); in-memory TCP and GOOSE (sim/sim_huawei_link.c).
 * The unit measures nothing: the plant models the output from what the unit grants. */
static int sim_start_huawei(struct sim *s, int i, bool with_ovm, uint32_t now_ms)
{
    struct sim_conn *x = &s->c[i];
    if (x->hw_port == NULL) {
        x->hw_port = sim_huawei_bus_port(&s->hw_bus);
        if (x->hw_port == NULL) {
            fprintf(stderr, "sim: the Huawei unit takes %d dispensers\n", SIM_HUAWEI_DISP);
            return HAL_EINVAL;
        }
    }
    x->hw_bus = &s->hw_bus;
    x->hw_global = (unsigned)i + 1u;
    struct huawei_disp_config hc;
    huawei_disp_config_default(&hc);
    hc.connectors = 1;
    hc.global_no[0] = (uint16_t)x->hw_global;
    memcpy(hc.mac, x->hw_port->mac, 6);
    snprintf(hc.esn, sizeof hc.esn, "DISP-%02u", x->hw_global);
    struct hal_ip6_endpoint ep;
    (void)hal_ip4_parse("192.0.2.1", 8502, &ep); /* the in-memory network has one host */
    int rc = psu_huawei_unit_init(&x->hw_unit, &hc, &ep, &x->hw_port->net.base, &x->hw_port->eth.base,
                                  &s->log.base, &s->sched, now_ms);
    if (rc == HAL_OK) {
        rc = psu_huawei_init(&x->hw, &x->hw_unit, 1u, with_ovm ? &x->ovm.base : NULL, sim_imd_port(&x->imd));
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: Huawei dispenser %d failed to start: %s\n", i, hal_strerror(rc));
        return rc;
    }
    x->plant.psu.inner = &x->hw.base;
    x->plant.psu.model_output = true;
    x->plant.psu.grant = sim_huawei_grant;
    x->plant.psu.grant_ctx = x;
    x->plant.stage = NULL;
    return HAL_OK;
}

/* The link: evse_link on side 0 of an in-memory PLC segment, behind the stopwatch. */
static int sim_start_link(struct sim *s, int i)
{
    struct sim_conn *x = &s->c[i];
    sim_net_init(&x->link, (unsigned)i);
    evse_link_default_config(&x->lc);
    x->lc.tcp_port = 15118;
    x->lc.slac.use_modem = false; /* no modem in memory: no CM_SET_KEY */
    x->lp = (struct evse_link_ports){
        .eth = &x->link.end[0].eth, .net = &x->link.end[0].net, .rng = &x->link.end[0].rng,
        .log = &s->log.base};
    int rc = evse_link_init(&x->evse, &x->lc, &x->lp, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: EVSE link %d failed to start: %s\n", i, hal_strerror(rc));
        return rc;
    }
    charger_transport_evse_init(&x->adapter, &x->evse);
    sim_meas_init(&x->meas, &x->adapter.base);
    return HAL_OK;
}

/* Isolation monitor (the real Bender driver on the simulated Modbus device),
 * over-voltage monitor, and the meter (the real EM580 driver on the simulated Modbus
 * device) with its journal and session. */
static int sim_start_devices(struct sim *s, int i, const char *name, bool with_ovm)
{
    struct sim_conn *x = &s->c[i];
    sim_imd_init(&x->imd, NULL, &s->log.base, name);
    sim_ovm_init(&x->ovm);
    sim_meter_init(&x->meter, 1000000 + (int64_t)i * 100000, SIM_EPOCH_MS / 1000, &s->log.base, name);
    sim_meter_nvs_init(&x->nvs);
    if (x->jnvs == NULL) {
        x->jnvs = &x->nvs.base;
    }
    if (journal_open(&x->journal, x->jnvs) != HAL_OK) {
        fprintf(stderr, "sim: journal %d failed to open\n", i);
        return HAL_EIO;
    }
    int rc = sim_meter_start(&x->meter, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: meter %d failed to start: %s\n", i, hal_strerror(rc));
        return rc;
    }
    meter_session_init(&x->ms, sim_meter_port(&x->meter), &x->journal, &s->crypto.base);
    rc = sched_add(&s->sched, meter_session_task(&x->ms), 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: scheduler full (meter %d)\n", i);
        return rc;
    }
    rc = sim_imd_start(&x->imd, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: isolation monitor %d failed to start: %s\n", i, hal_strerror(rc));
        return rc;
    }
    x->plant.imd = &x->imd;
    x->plant.ovm = with_ovm ? &x->ovm : NULL;
    x->plant.meter = &x->meter;
    return HAL_OK;
}

/* The car on side 1 of the link, in the cars' own scheduler. */
static int sim_start_car(struct sim *s, int i, const char *name, const struct sim_options *o)
{
    struct sim_conn *x = &s->c[i];
    struct ev_model_config cc = o->car;
    if (o->scenario != NULL && i == 0 && faults_configure(o->scenario, &cc, NULL) != HAL_OK) {
        fprintf(stderr, "sim: scenario %s: unknown car profile\n", o->scenario->name);
        return HAL_EINVAL;
    }
    memcpy(cc.name, name, sizeof cc.name);
    sim_pnc_car(&s->pnc, &cc);
    cc.soc_start = (uint8_t)o->soc_start;
    cc.soc_target = (uint8_t)o->soc_target;
    cc.charge_ms_max = (uint32_t)o->charge_s * 1000u;
    cc.din.evccid[5] = (uint8_t)(0xA0 + i);
    cc.link.slac.use_modem = false;
    struct ev_link_ports ep = {
        .eth = &x->link.end[1].eth, .net = &x->link.end[1].net, .rng = &x->link.end[1].rng,
        .log = &s->log.base};
    if (ev_model_init(&x->car, &cc, &ep, &s->ev_sched, &x->plant.ev, &s->log.base, 0) != HAL_OK) {
        return HAL_EINVAL;
    }
    x->plant.car = &x->car;
    return HAL_OK;
}

/* The charger over the connector's ports. */
static int sim_start_charger(struct sim *s, int i, const char *name, bool with_ovm, const struct sim_options *o)
{
    struct sim_conn *x = &s->c[i];
    struct charger_config cfg;
    charger_default_config(&cfg);
    memcpy(cfg.name, name, sizeof cfg.name);
    cfg.max_current_ma = 200000;
    cfg.max_power_w = 150000;
    /* The InfyPower stage proves "off" by reading every module back, one frame slot
     * each; give the interlock room for that before it would force the contactors. */
    cfg.interlock.power_down_timeout_ms = s->ideal ? 500u : 1500u;
    struct charger_ports ports = {
        .pilot = &x->plant.pilot.base,
        .gpio = &x->plant.gpio.base,
        .psu = &x->plant.psu.base,
        .log = &s->log.base,
        .link = &x->meas.base,
        .rng = &x->link.end[0].rng,
        .isolation = sim_imd_port(&x->imd),
        .meter_session = &x->ms,
        .meter = sim_meter_port(&x->meter),
        .clock = &s->clock.base,
        .ovm = with_ovm ? &x->ovm.base : NULL,
    };
    if (o->config_path != NULL) {
        board_config_apply_connector(&o->bc, &cfg);
        /* v2g.protocols as the Linux board takes it (board/linux/connector.c): a -20 car
         * needs a charger told to offer iso20 (its default stays iso2,din). */
        cfg.hlc.protocols = o->bc.v2g_list;
    }
    if (o->scenario != NULL && i == 0 && faults_configure(o->scenario, NULL, &cfg.hlc) != HAL_OK) {
        fprintf(stderr, "sim: scenario %s: unknown protocol list\n", o->scenario->name);
        return HAL_EINVAL;
    }
    if (o->id_tag_count > 0) {
        cfg.auth = CHARGER_AUTH_EXTERNAL; /* --id-tag: the session waits for the reader's card */
    }
    sim_pnc_charger(&s->pnc, i, &cfg, &ports);
    x->cfg = cfg;
    x->ports = ports;
    int rc = charger_init(&x->charger, &cfg, &ports, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: charger %d failed to start: %s\n", i, hal_strerror(rc));
    }
    return rc;
}

/* The station's events and passes to the MQTT API (--mqtt), after the simulator's log. */
static void sim_board_mqtt_event(void *ctx, const struct station_event *e, uint32_t now_ms)
{
    (void)now_ms;
    struct sim *s = ctx;
    board_mqtt_event(&s->mqtt, e);
}

static void sim_board_mqtt_pass(void *ctx, uint32_t now_ms)
{
    struct sim *s = ctx;
    board_mqtt_poll(&s->mqtt, now_ms);
}

static int sim_start_station(struct sim *s, uint32_t limit_w, uint32_t now_ms)
{
    struct charger *conns[SIM_MAX_CONNECTORS];
    for (int i = 0; i < s->n; i++) {
        conns[i] = &s->c[i].charger;
    }
    return sim_station_start(&s->station, conns, (uint8_t)s->n, limit_w, &s->log.base, now_ms);
}

int sim_board_start(struct sim *s, const struct sim_options *o)
{
    s->n = (int)o->connectors;
    s->ideal = o->ideal;
    s->huawei = o->huawei;
    s->max_ms = (uint32_t)o->max_s * 1000u;
    s->report_ms = 10000u;
    sim_clock_init(&s->clock, o->realtime, sim_world, s);
    if (o->pnc) {
        int prc = sim_pnc_start(&s->pnc, o);
        if (prc != 0) {
            return prc;
        }
    }
    if (o->ocpp_url != NULL || o->pnc) {
        /* --pnc: the test PKI's validity counts from its making, today. Against a real
         * CSMS the firmware's wall clock is the host's: transaction times are today's,
         * and advance across a restart (the fixed epoch would repeat them) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sim_clock_set_epoch(&s->clock, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    }
    sim_log_init(&s->log, o->quiet ? HAL_LOG_ERROR : HAL_LOG_INFO);
    if (o->report_dir != NULL && o->scenario == NULL) {
        s->report_log = sim_report_open_log(o->report_dir);
        if (s->report_log == NULL) {
            return 2;
        }
        sim_log_copy(&s->log, s->report_log);
    }
    sched_init(&s->sched);
    sched_init(&s->ev_sched);
    sim_meter_crypto_init(&s->crypto);
    if (s->huawei) {
        struct sim_huawei_opts ho;
        sim_huawei_default_opts(&ho);
        sim_huawei_bus_init(&s->hw_bus, &ho, &s->log.base);
        s->hw_bus.unit.unix_offset_ms = s->clock.epoch_ms;
    }

    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        char name[16];
        snprintf(name, sizeof name, "cp%d", i);
        struct plant_script sc = o->script;
        sc.plug_at_ms += (uint32_t)i * 700u; /* stagger the cars so their logs interleave */
        plant_init(&x->plant, name, &sc, &s->log.base);
        if (!s->ideal && !s->huawei &&
            sim_start_stage(s, i, (uint8_t)o->modules, o->config_path != NULL ? &o->bc : NULL) != HAL_OK) {
            return 1;
        }
        bool with_ovm = o->config_path == NULL || o->bc.ovm_device == BOARD_OVM_SIM;
        if (o->ocpp_store != NULL) {
            /* the journal on files: a killed simulator started again on the same directory
             * finds what it had not delivered (the store's worker completes on its own
             * thread; journal_poll() takes the completion, the virtual clock never waits) */
            char dir[512];
            snprintf(dir, sizeof dir, "%s/c%d", o->ocpp_store, i);
            if (mkdir(o->ocpp_store, 0700) != 0 && errno != EEXIST) {
                fprintf(stderr, "sim: --ocpp-store %s: %s\n", o->ocpp_store, strerror(errno));
                return 2;
            }
            if (linux_nvs_init(&x->fnvs, dir) != HAL_OK) {
                fprintf(stderr, "sim: --ocpp-store: %s cannot be used as a store\n", dir);
                return 2;
            }
            x->jnvs = &x->fnvs.base;
        }
        if (sim_start_link(s, i) != HAL_OK || sim_start_devices(s, i, name, with_ovm) != HAL_OK ||
            (s->huawei && sim_start_huawei(s, i, with_ovm, 0) != HAL_OK) ||
            sim_start_car(s, i, name, o) != HAL_OK || sim_start_charger(s, i, name, with_ovm, o) != HAL_OK) {
            return 1;
        }
        if (o->scenario != NULL && i == 0) {
            struct faults_target ft = {
                .plant = &x->plant, .charger = &x->charger, .modules = s->ideal || s->huawei ? NULL : &x->modules,
                .can = s->ideal || s->huawei ? NULL : &x->can,
                .driver = s->ideal ? NULL : s->huawei ? &x->hw.base : &x->stage.base,
                .hw_bus = s->huawei ? &s->hw_bus : NULL, .hw_port = x->hw_port,
                .meter = &x->meter, .imd = &x->imd, .journal = &x->journal, .car = &x->car,
                .link = &x->link};
            sim_scenario_setup(&s->scenario, o->scenario, &ft);
            x->meas.faults = &s->scenario.run;
        }
        if (o->out_dir != NULL && sim_capture_open(&x->cap, o->out_dir, name, &x->link, &s->clock.now_ms, o->epoch_s) != 0) {
            return 2;
        }
    }
    /* The station after the connectors: its task reads what their tasks decided. */
    for (uint8_t k = 0; k < o->limit_changes && k < SIM_STATION_CHANGES; k++) {
        s->station.change_at_ms[k] = o->limit_at_ms[k];
        s->station.change_w[k] = o->limit_at_w[k];
    }
    s->station.changes = o->limit_changes;
    int rc = sim_start_station(s, (uint32_t)o->station_limit_w, 0);
    if (rc == HAL_OK && o->ocpp_url != NULL) {
        struct journal *js[SIM_MAX_CONNECTORS];
        for (int i = 0; i < s->n; i++) {
            js[i] = &s->c[i].journal;
        }
        if (sim_ocpp_start(&s->ocpp, o, &s->station.st, js, (uint8_t)s->n, &s->log.base, 0) != 0) {
            return 2;
        }
        s->station.readers[0] = (struct sim_station_reader){sim_ocpp_event, NULL, &s->ocpp};
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: station failed to start: %s\n", hal_strerror(rc));
        return 1;
    }
    if (o->id_tag_count > 0) {
        struct charger *conns[SIM_MAX_CONNECTORS];
        for (int i = 0; i < s->n; i++) {
            conns[i] = &s->c[i].charger;
        }
        sim_reader_init(&s->reader, o, &s->station.st, conns, (uint8_t)s->n, &s->ocpp, &s->log.base);
        s->station.readers[2] = (struct sim_station_reader){sim_reader_event, sim_reader_pass, &s->reader};
    }
    if (o->bc.mqtt.host[0] != '\0') {
        uint32_t sw = o->station_limit_w != 0 ? (uint32_t)o->station_limit_w : STATION_NO_LIMIT;
        rc = board_mqtt_start(&s->mqtt, &o->bc.mqtt, "sim " SIM_VERSION, &s->station.st, STATION_NO_LIMIT, sw,
                              &s->log.base, 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: the MQTT API failed to start: %s\n", hal_strerror(rc));
            return 1;
        }
        s->mqtt_on = true;
        s->station.readers[1] = (struct sim_station_reader){sim_board_mqtt_event, sim_board_mqtt_pass, s};
    }
    return -1;
}

void sim_board_finish(struct sim *s)
{
    sim_pnc_report(&s->pnc); /* the car's new contract (--cert-install/--cert-update) */
    if (s->mqtt_on) {
        board_mqtt_stop(&s->mqtt);
        s->mqtt_on = false;
    }
    /* --ocpp-store: the journal's last marks (delivered, the CSMS's id) reach the files
     * before the process ends, or a run on the same directory would send them again */
    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        if (x->jnvs != &x->fnvs.base) {
            continue;
        }
        for (unsigned k = 0; k < 5000u && journal_poll(&x->journal); k++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        linux_nvs_close(&x->fnvs);
    }
}

/* Power loss of the whole charger (connector 0, scenario power-loss-*): the plant loses
 * its supply (stage off, contactor coils dropped, no PWM), the firmware stops running and
 * its network stack forgets every connection. Kept: the meter (its own supply, its
 * transaction may still be open), the in-memory NVS with the journal, the car, the
 * modules' hardware, the isolation monitor. */
static void sim_power_down(struct sim *s, uint32_t now_ms)
{
    struct sim_conn *x = &s->c[0];
    hal_logf(&s->log.base, HAL_LOG_WARN, now_ms, "[%s] POWER LOSS: the firmware stops (restart in %lu ms)",
             x->plant.name, (unsigned long)SIM_POWER_OFF_MS);
    plant_power_loss(&x->plant);
    sim_net_power_cycle(&x->link, 0);
    if (s->huawei) {
        hal_net_close(&x->hw_port->net.base, 0); /* its connection to the unit dies with it */
    }
    sched_init(&s->sched); /* nothing of the firmware runs any more */
    sim_station_stop(&s->station);
    sim_ocpp_power_down(&s->ocpp); /* the charge point too: its connection dies */
}

/* The firmware starts again from nothing but the kept NVS: power stage driver, link,
 * journal (re-opened), meter session (its recovery closes what the journal has open),
 * charger, station. */
static int sim_power_up(struct sim *s, uint32_t now_ms)
{
    struct sim_conn *x = &s->c[0];
    int rc = HAL_OK;
    /* The driver did not wait: the connector released, the plug is out before the charger
     * is back; the car comes again for its next session. */
    plant_unplug(&x->plant);
    hal_logf(&s->log.base, HAL_LOG_WARN, now_ms, "[%s] power back: the firmware starts", x->plant.name);
    if (s->huawei) {
        rc = sim_start_huawei(s, 0, x->ports.ovm != NULL, now_ms);
    } else if (!s->ideal) {
        rc = psu_infy_init(&x->stage, &x->ic, &x->can.base, &s->log.base, &s->sched, now_ms);
    }
    if (rc == HAL_OK) {
        rc = evse_link_init(&x->evse, &x->lc, &x->lp, &s->sched, now_ms);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    charger_transport_evse_init(&x->adapter, &x->evse);
    x->meas.have = false;
    rc = journal_open(&x->journal, x->jnvs);
    if (rc != HAL_OK) {
        return rc;
    }
    rc = sim_meter_start(&x->meter, &s->sched, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    meter_session_init(&x->ms, sim_meter_port(&x->meter), &x->journal, &s->crypto.base);
    rc = sched_add(&s->sched, meter_session_task(&x->ms), now_ms);
    if (rc == HAL_OK) {
        rc = sim_imd_start(&x->imd, &s->sched, now_ms);
    }
    if (rc == HAL_OK) {
        rc = charger_init(&x->charger, &x->cfg, &x->ports, &s->sched, now_ms);
    }
    if (rc == HAL_OK) {
        rc = sim_start_station(s, s->station.limit_w, now_ms);
    }
    if (rc == HAL_OK) {
        sim_ocpp_power_up(&s->ocpp, now_ms); /* reboots: store, journals, BootNotification */
    }
    return rc;
}

bool sim_board_should_stop(void *ctx)
{
    struct sim *s = ctx;
    if (s->clock.now_ms >= s->next_report_ms) {
        s->next_report_ms = s->clock.now_ms + 1000u - s->clock.now_ms % 1000u;
        sim_summary_progress(s);
    }
    sim_summary_events(s);
    if (s->clock.now_ms >= s->max_ms) {
        return true;
    }
    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        const struct plant *p = &x->plant;
        /* The journal is delivered once the session is recorded: to the CSMS with --ocpp
         * (its confirmation marks it), else here. */
        const struct charger_session_record *r;
        for (uint32_t h = 0; !s->ocpp.on && (r = charger_history(&x->charger, h)) != NULL; h++) {
            if (r->meter_ok && r->meter_seq != 0) {
                (void)journal_delivered(&x->journal, r->meter_seq);
            }
        }
        bool held = p->held_since_ms != 0 && s->clock.now_ms - p->held_since_ms >= SIM_HELD_LIMIT_MS;
        bool idle = charger_state(&x->charger) == CHARGER_IDLE && plant_done(p) &&
                    meter_session_state(&x->ms) == METER_S_IDLE;
        if (!held && !idle) {
            return false;
        }
    }
    return sim_ocpp_drained(&s->ocpp, s->clock.now_ms);
}

void sim_board_pass_done(void *ctx)
{
    struct sim *s = ctx;
    sim_station_pass(&s->station, s->clock.now_ms);
    sim_ocpp_poll(&s->ocpp, s->clock.now_ms);
}
