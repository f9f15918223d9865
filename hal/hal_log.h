/**
 * @file hal_log.h
 * @brief Log sink: where finished log lines go (stderr/syslog, a UART, semihosting, a ring).
 */
#ifndef HAL_LOG_H
#define HAL_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include "hal_err.h"

/** Severity of a log line, most severe first (syslog order). */
enum hal_log_level {
    HAL_LOG_ERROR = 3,
    HAL_LOG_WARN = 4,
    HAL_LOG_INFO = 6,
    HAL_LOG_DEBUG = 7,
};

/** Longest line hal_logf() formats; longer lines are cut and end in "...". */
#ifndef CFG_HAL_LOG_LINE_MAX
#define CFG_HAL_LOG_LINE_MAX 160
#endif
_Static_assert(CFG_HAL_LOG_LINE_MAX >= 32, "log lines shorter than 32 bytes are useless");

struct hal_log;

/** Operations of a log port. */
struct hal_log_ops {
    /** @see hal_log_write */
    void (*write)(struct hal_log *log, enum hal_log_level level, uint32_t now_ms, const char *line);
};

/** A log sink instance. `min_level` filters before formatting. */
struct hal_log {
    const struct hal_log_ops *ops;
    enum hal_log_level min_level; /**< lines less severe than this are dropped */
};

/**
 * @brief Hand one finished line (no trailing newline) to the sink.
 *
 * Never fails from the caller's view: a sink that cannot write drops the line,
 * because logging must never stop the charger.
 */
static inline void hal_log_write(struct hal_log *log, enum hal_log_level level, uint32_t now_ms,
                                 const char *line)
{
    log->ops->write(log, level, now_ms, line);
}

/**
 * @brief Format a line printf-style into a bounded stack buffer and write it.
 * @param log sink; NULL drops the line
 * @param now_ms monotonic time stamp of the event
 */
void hal_logf(struct hal_log *log, enum hal_log_level level, uint32_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** @brief va_list form of hal_logf(). */
void hal_vlogf(struct hal_log *log, enum hal_log_level level, uint32_t now_ms, const char *fmt,
               va_list ap);

/** @brief Short upper-case name of a level ("ERROR", "WARN", "INFO", "DEBUG"). */
const char *hal_log_level_name(enum hal_log_level level);

#endif /* HAL_LOG_H */
