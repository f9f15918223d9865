#include "linux_log.h"

#include <stdio.h>
#include <syslog.h>
#include <time.h>

/* A log line must be placed among other systems' logs (the meter's, the backend's, the
 * journal's), so it carries the wall-clock time in UTC, ISO 8601 with milliseconds, not
 * the loop's seconds since start. @p out gets "" when the clock cannot be read. */
static void linux_log_stamp(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    out[0] = '\0';
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL) {
        return;
    }
    char day[24];
    if (strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        return;
    }
    snprintf(out, cap, "%.19s.%03uZ", day, (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

static void linux_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                            const char *line)
{
    struct linux_log *l = (struct linux_log *)base;
    (void)now_ms; /* the loop's time: monotonic since start, not for people */
    if (l->to_stderr) {
        char stamp[32];
        linux_log_stamp(stamp, sizeof stamp);
        fprintf(stderr, "%s %-5s %s\n", stamp[0] != '\0' ? stamp : "(no-clock)",
                hal_log_level_name(level), line);
    }
    if (l->to_syslog) {
        /* enum hal_log_level uses syslog's numbering on purpose. */
        syslog((int)level, "%s", line);
    }
}

static const struct hal_log_ops s_linux_log_ops = {.write = linux_log_write};

void linux_log_init(struct linux_log *l, enum hal_log_level min_level, bool to_stderr,
                    bool to_syslog, const char *ident)
{
    l->base.ops = &s_linux_log_ops;
    l->base.min_level = min_level;
    l->to_stderr = to_stderr;
    l->to_syslog = to_syslog;
    if (to_syslog) {
        openlog(ident, LOG_PID, LOG_DAEMON);
    }
}

void linux_log_close(struct linux_log *l)
{
    if (l->to_syslog) {
        closelog();
        l->to_syslog = false;
    }
}
