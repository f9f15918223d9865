#include "linux_log.h"

#include <stdio.h>
#include <syslog.h>

static void linux_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                            const char *line)
{
    struct linux_log *l = (struct linux_log *)base;
    if (l->to_stderr) {
        fprintf(stderr, "[%6lu.%03lu] %-5s %s\n", (unsigned long)(now_ms / 1000u),
                (unsigned long)(now_ms % 1000u), hal_log_level_name(level), line);
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
