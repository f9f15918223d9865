/* events.c - the station's event ring read into the board's log: one line per event, in the
 * terms OCPP and MQTT will use, so an integrator sees on a Linux charger what a backend
 * would be told. Owns the task that runs the station's pass (with the connector's period)
 * and reads its events, and the count of dropped events already reported. */
#include "events.h"

#include <stdio.h>

#include "errors.h"
#include "fw_config.h"

/* The connector's own period: the station's pass then the log follow each connector pass
 * (same due time, added after it) without waking the loop once more. */
#define BOARD_EVENTS_PERIOD_MS CFG_INTERLOCK_PERIOD_MS

static const char *board_event_token(const char *t)
{
    return t[0] != '\0' ? t : "none";
}

enum hal_log_level board_event_text(const struct station_event *ev, const char *name, char *out, size_t cap)
{
    switch (ev->kind) {
    case STATION_EV_STATUS:
        snprintf(out, cap, "station: %s status %s -> %s", name, station_status_name(ev->u.status.from),
                 station_status_name(ev->u.status.to));
        return HAL_LOG_INFO;
    case STATION_EV_SESSION_STARTED:
        snprintf(out, cap, "station: %s session %lu started, token %s (%s)", name,
                 (unsigned long)ev->u.started.number, board_event_token(ev->u.started.token),
                 ev->u.started.token[0] != '\0' ? station_token_source_name(ev->u.started.source) : "-");
        return HAL_LOG_INFO;
    case STATION_EV_SESSION_STOPPED: {
        const struct charger_session_record *r = &ev->u.stopped.record;
        snprintf(out, cap, "station: %s session %lu stopped: stop=%s energy_wh=%lld charge_s=%.1f soc=%ld->%ld token=%s",
                 name, (unsigned long)r->number, charger_stop_reason_token(r->stop), (long long)r->energy_wh,
                 r->charge_ms / 1000.0, (long)r->soc_start, (long)(r->soc_end >= 0 ? r->soc_end : r->soc_start),
                 board_event_token(ev->u.stopped.token));
        return HAL_LOG_INFO;
    }
    case STATION_EV_MEASUREMENT: {
        const struct station_measurement *m = &ev->u.meas;
        snprintf(out, cap, "station: %s measured %.1f V %.1f A %ld W energy_wh=%lld soc=%d limit_w=%lu", name,
                 m->voltage_mv / 1000.0, m->current_ma / 1000.0, (long)m->power_w, (long long)m->energy_wh,
                 (int)m->soc, (unsigned long)m->limit_w);
        return HAL_LOG_DEBUG;
    }
    case STATION_EV_ERROR_RAISED:
        snprintf(out, cap, "station: %s error raised: %s %lu %s: %s", name, errors_source_name(ev->u.error.source),
                 (unsigned long)ev->u.error.code, errors_severity_name(ev->u.error.severity),
                 ev->u.error.text != NULL ? ev->u.error.text : "");
        return HAL_LOG_WARN;
    case STATION_EV_ERROR_CLEARED:
        snprintf(out, cap, "station: %s error cleared: %s %lu", name, errors_source_name(ev->u.error.source),
                 (unsigned long)ev->u.error.code);
        return HAL_LOG_INFO;
    case STATION_EV_EV_INFO: {
        const struct station_ev_info *v = &ev->u.ev;
        snprintf(out, cap, "station: %s EV: protocol=%s soc=%d max_v=%ld max_a=%ld max_w=%ld evccid=%s", name,
                 v->protocol != NULL ? v->protocol : "?", (int)v->soc,
                 (long)(v->max_voltage_mv < 0 ? -1 : v->max_voltage_mv / 1000),
                 (long)(v->max_current_ma < 0 ? -1 : v->max_current_ma / 1000), (long)v->max_power_w,
                 v->evccid[0] != '\0' ? v->evccid : "none");
        return HAL_LOG_INFO;
    }
    default:
        snprintf(out, cap, "station: %s event %s", name, station_event_kind_name(ev->kind));
        return HAL_LOG_INFO;
    }
}

void board_events_drain(struct board_events *e, uint32_t now_ms)
{
    struct station_event ev;
    char line[CFG_HAL_LOG_LINE_MAX];
    while (station_event_pop(e->st, &ev) == HAL_OK) {
        enum hal_log_level lvl = board_event_text(&ev, e->name, line, sizeof line);
        hal_logf(e->log, lvl, now_ms, "%s", line);
        if (e->on_event != NULL) {
            e->on_event(e->hook_ctx, &ev);
        }
    }
    uint32_t dropped = station_events_dropped(e->st);
    if (dropped != e->dropped_seen) {
        hal_logf(e->log, HAL_LOG_WARN, now_ms, "station: %lu events dropped (the log read them too late)",
                 (unsigned long)(dropped - e->dropped_seen));
        e->dropped_seen = dropped;
    }
}

static void board_events_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_events *e = t->ctx;
    station_poll(e->st, now_ms);
    board_events_drain(e, now_ms);
    if (e->on_pass != NULL) {
        e->on_pass(e->hook_ctx, now_ms);
    }
    sched_task_at(t, now_ms + BOARD_EVENTS_PERIOD_MS);
}

int board_events_init(struct board_events *e, struct station *st, struct hal_log *log, const char *name,
                      struct sched *s, uint32_t now_ms)
{
    e->st = st;
    e->log = log;
    e->name = name;
    e->dropped_seen = station_events_dropped(st);
    e->on_event = NULL;
    e->on_pass = NULL;
    e->hook_ctx = NULL;
    sched_task_init(&e->task, "events", board_events_step, e, false);
    return sched_add(s, &e->task, now_ms);
}
