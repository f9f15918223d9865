/**
 * @file linux_log.h
 * @brief Log sink to stderr and, optionally, syslog. Each stderr line starts with the
 *        wall-clock time in UTC, ISO 8601 with milliseconds ("2026-12-05T06:30:01.123Z"),
 *        then the level; syslog adds its own time. When stderr is systemd's journal stream
 *        (JOURNAL_STREAM names it), each line also starts with the level as "<N>"
 *        (sd-daemon(3)), so journald keeps the priority (journalctl -p warning).
 */
#ifndef LINUX_LOG_H
#define LINUX_LOG_H

#include <stdbool.h>

#include "hal_log.h"

/** The Linux log port. */
struct linux_log {
    struct hal_log base;
    bool to_stderr;
    bool to_syslog;
    bool journal_prefix; /**< stderr goes to journald: "<N>" priority prefixes */
};

/**
 * @brief Set up the sink. With @p to_syslog the process opens syslog under @p ident.
 * @param min_level lines less severe than this are dropped
 */
void linux_log_init(struct linux_log *l, enum hal_log_level min_level, bool to_stderr,
                    bool to_syslog, const char *ident);

/** @brief Close syslog if it was opened. */
void linux_log_close(struct linux_log *l);

#endif /* LINUX_LOG_H */
