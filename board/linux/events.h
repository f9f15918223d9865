/**
 * @file events.h
 * @brief The station's events written to the board's log, so an integrator sees what OCPP
 *        or MQTT would send: status changes in OCPP terms, sessions started and stopped
 *        (energy, stop reason), errors raised and cleared and what the EV said at INFO;
 *        measurements at DEBUG.
 */
#ifndef BOARD_EVENTS_H
#define BOARD_EVENTS_H

#include <stddef.h>

#include "hal_log.h"
#include "sched.h"
#include "station.h"

/** The task that reads the station's event ring. Only events.c touches the fields. */
struct board_events {
    struct station *st;
    struct hal_log *log;
    const char *name;        /**< connector 1's name, for the lines */
    uint32_t dropped_seen;   /**< station_events_dropped() already reported */
    struct sched_task task;
    /* Another reader of the events (the MQTT API: the ring has one reader, this task) and
     * a call after each pass; NULL: none. */
    void (*on_event)(void *ctx, const struct station_event *ev);
    void (*on_pass)(void *ctx, uint32_t now_ms);
    void *hook_ctx;
};

/** @brief Run @p st's pass and read its events into @p log every connector period (add
 *         after the connector's task). */
int board_events_init(struct board_events *e, struct station *st, struct hal_log *log, const char *name,
                      struct sched *s, uint32_t now_ms);

/** @brief Write every event waiting (the task does; also once at exit). */
void board_events_drain(struct board_events *e, uint32_t now_ms);

/**
 * @brief One event as a log line (without the time stamp) and its level.
 * @return the level: HAL_LOG_DEBUG for measurements, HAL_LOG_WARN for errors raised,
 *         HAL_LOG_INFO otherwise
 */
enum hal_log_level board_event_text(const struct station_event *ev, const char *name, char *out,
                                    size_t cap);

#endif /* BOARD_EVENTS_H */
