#include "linux_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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
        if (l->journal_prefix) {
            /* enum hal_log_level uses syslog's numbering, which is journald's too. */
            fprintf(stderr, "<%d>", (int)level);
        }
        fprintf(stderr, "%s %-5s %s\n", stamp[0] != '\0' ? stamp : "(no-clock)",
                hal_log_level_name(level), line);
    }
    if (l->to_syslog) {
        /* enum hal_log_level uses syslog's numbering on purpose. */
        syslog((int)level, "%s", line);
    }
}

/* systemd sets JOURNAL_STREAM=DEV:INODE for the stream it connected to the journal
 * (systemd.exec(5)); only when that is our stderr (not a pipe a wrapper put in between) do
 * the "<N>" prefixes mean anything to the reader. */
static bool linux_log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0) {
        return false;
    }
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const struct hal_log_ops s_linux_log_ops = {.write = linux_log_write};

void linux_log_init(struct linux_log *l, enum hal_log_level min_level, bool to_stderr,
                    bool to_syslog, const char *ident)
{
    l->base.ops = &s_linux_log_ops;
    l->base.min_level = min_level;
    l->to_stderr = to_stderr;
    l->to_syslog = to_syslog;
    l->journal_prefix = to_stderr && linux_log_stderr_is_journal();
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
