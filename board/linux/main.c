/*
 * The Linux board: the charger firmware on a Linux charger computer (Raspberry Pi,
 * Charge Control M). Wiring only: the command line (cli.c), the devices the configuration
 * names (devices.c), the connector and the station that holds it (connector.c), the
 * station's events in the log (events.c), the control socket (board_ctl.c, commands.c),
 * the MQTT API (boardlib/board_mqtt.c, docs/mqtt.md), the OCPP charge point
 * (boardlib/board_ocpp.c, docs/ocpp.md) and the run with its safe shutdown
 * (run.c). docs/linux-board.md.
 *
 * Pilot and power-path GPIO have no portable Linux interface: they answer "not
 * supported" (nothing energises) unless the test aid --sim-plant puts a simulated pilot,
 * contactors and lock under the firmware (board/linux/sim_plant.h).
 */
#include <stdio.h>

#include "board_config.h"
#include "board_ctl.h"
#include "board_mqtt.h"
#include "board_ocpp.h"
#include "cli.h"
#include "commands.h"
#include "connector.h"
#include "devices.h"
#include "events.h"
#include "run.h"
#include "sched.h"
#include "service.h"

/* Everything the board owns, in one place (static: no part of it lives on the stack). */
struct board {
    struct board_options opt;
    struct board_config cfg;
    struct sched sched;
    struct board_devices dev;
    struct board_connector conn;
    struct board_events events;
    struct board_commands cmds;
    struct board_ctl ctl;
    bool have_ctl;
    struct board_mqtt mqtt;
    bool have_mqtt;
    struct board_ocpp ocpp;
    struct board_run run;
    struct board_service service;
};

/* The station's events and passes to the MQTT API and the OCPP charge point, after the
 * log: each consumer gets every event. */
static void board_on_event(void *ctx, const struct station_event *ev)
{
    struct board *b = ctx;
    if (b->have_mqtt) {
        board_mqtt_event(&b->mqtt, ev);
    }
    board_ocpp_event(&b->ocpp, ev, hal_clock_now_ms(&b->dev.loop.base));
}

static void board_on_pass(void *ctx, uint32_t now_ms)
{
    struct board *b = ctx;
    if (b->have_mqtt) {
        board_mqtt_poll(&b->mqtt, now_ms);
    }
    board_ocpp_poll(&b->ocpp, now_ms);
    bool hard = false;
    if (board_ocpp_restart_due(&b->ocpp, now_ms, &hard)) {
        board_run_request_restart(&b->run, hard ? "OCPP Reset Hard" : "OCPP Reset Soft");
    }
}

static struct board s_board;

static int board_start(struct board *b)
{
    sched_init(&b->sched);
    if (board_devices_start(&b->dev, &b->cfg, board_run_stop_flag(), &b->sched) != 0) {
        return -1;
    }
    struct hal_log *log = &b->dev.log.base;
    struct hal_clock *clock = &b->dev.loop.base;
    uint32_t now = hal_clock_now_ms(clock);
    if (board_connector_start(&b->conn, &b->cfg, &b->dev, &b->opt.sim, &b->sched, now) != 0) {
        return -1;
    }
    /* The event log after the station: it reads what the station's pass pushed. */
    if (board_events_init(&b->events, &b->conn.station, log, b->cfg.charger_name, &b->sched, now) != HAL_OK) {
        fprintf(stderr, "charger: the scheduler is full\n");
        return -1;
    }
    board_devices_log_started(&b->dev, &b->cfg, CHARGER_VERSION, now);
    if (b->cfg.mqtt.host[0] != '\0') {
        uint32_t ma = b->cfg.station_max_current_a != 0 ? b->cfg.station_max_current_a * 1000u : STATION_NO_LIMIT;
        uint32_t w = b->cfg.station_max_power_w != 0 ? b->cfg.station_max_power_w : STATION_NO_LIMIT;
        if (board_mqtt_start(&b->mqtt, &b->cfg.mqtt, "charger " CHARGER_VERSION, &b->conn.station, ma, w, log, now) !=
            HAL_OK) {
            fprintf(stderr, "charger: the MQTT API failed to start\n");
            return -1;
        }
        b->have_mqtt = true;
    }
    /* The journal is the OCPP transaction queue: what a restart finds undelivered goes out. */
    struct journal *js[1] = {b->dev.have_meter ? &b->dev.journal : NULL};
    if (board_ocpp_start(&b->ocpp, &b->cfg.ocpp, b->cfg.charger_name, CHARGER_VERSION, &b->conn.station, js, 1,
                         log, now) != HAL_OK) {
        fprintf(stderr, "charger: the OCPP charge point failed to start (see the log)\n");
        return -1;
    }
    /* what the CSMS changed (configuration, local list, cache, reservations) beside the journal */
    if (b->cfg.store_dir[0] != '\0') {
        (void)board_ocpp_store_dir(&b->ocpp, b->cfg.store_dir, now);
    }
    if (b->have_mqtt || b->ocpp.on) {
        b->events.on_event = board_on_event;
        b->events.on_pass = board_on_pass;
        b->events.hook_ctx = b;
    }
    if (!b->conn.have_plant && !b->conn.have_chargesom && !b->conn.have_kio) {
        hal_logf(log, HAL_LOG_WARN, now,
                 "pilot and power-path GPIO are not configured for this board: no session will energise");
    }
    board_commands_init(&b->cmds, &b->conn.station, &b->conn.charger, b->cfg.station_max_current_a * 1000u,
                        b->cfg.station_max_power_w);
    if (b->opt.ctl_path != NULL) {
        if (board_ctl_open(&b->ctl, b->opt.ctl_path, &b->dev.loop, &b->cmds, log, &b->sched,
                           hal_clock_now_ms(clock), stderr) != 0) {
            return -1;
        }
        b->have_ctl = true;
    }
    board_service_init(&b->service, log, &b->sched, hal_clock_now_ms(clock));
    if (b->opt.test_stall_hook &&
        board_service_add_stall_hook(&b->service, &b->sched, board_run_stop_flag(), hal_clock_now_ms(clock)) != HAL_OK) {
        fprintf(stderr, "charger: the scheduler is full\n");
        return -1;
    }
    b->run = (struct board_run){.sched = &b->sched,
                                .clock = clock,
                                .log = log,
                                .charger = &b->conn.charger,
                                .ms = b->dev.have_meter ? &b->dev.ms : NULL,
                                .plant = b->conn.have_plant ? &b->conn.plant : NULL,
                                .sim_status = b->opt.sim.status,
                                .service = &b->service,
                                .sessions_max = b->opt.sessions_max};
    return 0;
}

static void board_stop(struct board *b)
{
    uint32_t now = hal_clock_now_ms(&b->dev.loop.base);
    /* The station's last pass reports what the loop's last passes did (the session's end). */
    station_poll(&b->conn.station, now);
    board_events_drain(&b->events, now);
    board_run_summary(&b->run);
    if (b->have_mqtt) {
        board_mqtt_poll(&b->mqtt, now); /* the session's end goes out before "offline" */
        board_mqtt_stop(&b->mqtt);
    }
    if (b->conn.have_plant) {
        if (b->opt.sim.status != NULL) {
            (void)sim_plant_write_status(&b->conn.plant, b->opt.sim.status);
        }
        sim_plant_close(&b->conn.plant);
    }
    if (b->conn.have_state_trace) {
        board_state_trace_close(&b->conn.state_trace);
    }
    if (b->conn.have_chargesom) {
        board_chargesom_close(&b->conn.chargesom, now);
    }
    if (b->conn.have_kio) {
        board_kio_close(&b->conn.kio);
    }
    if (b->have_ctl) {
        board_ctl_close(&b->ctl);
    }
    board_devices_close(&b->dev, now);
}

int main(int argc, char **argv)
{
    struct board *b = &s_board;
    int rc = board_cli_parse(&b->opt, argc, argv);
    if (rc < 0) {
        rc = board_cli_config(&b->cfg, &b->opt);
    }
    if (rc >= 0) {
        return rc; /* answered, checked, or refused */
    }
    board_run_signals();
    if (board_start(b) != 0) {
        return 1;
    }
    /* Start-up done (devices, station, control socket): systemd may order what needs us. */
    board_service_ready(&b->service, CHARGER_VERSION);
    board_run(&b->run, b->opt.run_for_s);
    board_service_stopping(&b->service);
    board_stop(b);
    return b->run.restart_why != NULL ? BOARD_EXIT_RESTART : 0;
}
