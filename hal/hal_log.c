#include "hal_log.h"

#include <stdio.h>
#include <string.h>

void hal_vlogf(struct hal_log *log, enum hal_log_level level, uint32_t now_ms, const char *fmt,
               va_list ap)
{
    char line[CFG_HAL_LOG_LINE_MAX];

    if (log == NULL || level > log->min_level) {
        return;
    }
    int n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof line) {
        /* Mark the cut so a reader never mistakes a truncated value for a whole one. */
        memcpy(&line[sizeof line - 4], "...", 4);
    }
    hal_log_write(log, level, now_ms, line);
}

void hal_logf(struct hal_log *log, enum hal_log_level level, uint32_t now_ms, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hal_vlogf(log, level, now_ms, fmt, ap);
    va_end(ap);
}

const char *hal_log_level_name(enum hal_log_level level)
{
    switch (level) {
    case HAL_LOG_ERROR:
        return "ERROR";
    case HAL_LOG_WARN:
        return "WARN";
    case HAL_LOG_INFO:
        return "INFO";
    case HAL_LOG_DEBUG:
        return "DEBUG";
    }
    return "?";
}
