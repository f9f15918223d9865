/* board_ocpp_store.c - owns the host boards' file of the OCPP charge point's persistent
 * state (configuration changed by the CSMS, local list, cache, reservations, the queued
 * Starts' reservations and a transaction's MeterValues, charging profiles): read at start,
 * each line through the core's checks, and rewritten atomically whenever it changed, so a
 * power cut leaves either the old file or the new one. */
#include "board_ocpp_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first line: a file of another format (or another program's) is not read. */
static const char k_magic[] = "ocpp-store 1\n";

int board_ocpp_store_open(struct board_ocpp_store *s, const char *dir, struct ocpp_cp *cp, struct hal_log *log,
                          uint32_t now_ms)
{
    memset(s, 0, sizeof *s);
    s->log = log;
    int n = snprintf(s->path, sizeof s->path, "%s/ocpp.store", dir);
    if (n < 0 || (size_t)n >= sizeof s->path - 4u) { /* room for ".tmp" */
        hal_logf(log, HAL_LOG_ERROR, now_ms, "ocpp: store path under %s too long", dir);
        s->path[0] = '\0';
        return HAL_EINVAL;
    }
    FILE *f = fopen(s->path, "r");
    if (f == NULL) {
        if (errno != ENOENT) {
            hal_logf(log, HAL_LOG_WARN, now_ms, "ocpp: %s cannot be read (%s): the configured values hold", s->path,
                     strerror(errno));
        }
        return HAL_OK;
    }
    char line[OCPP_STORE_LINE_MAX + 1u]; /* a line, its '\n' and the NUL */
    unsigned no = 0, taken = 0, refused = 0;
    bool ok_format = fgets(line, sizeof line, f) != NULL && strcmp(line, k_magic) == 0;
    while (ok_format && fgets(line, sizeof line, f) != NULL) {
        no++;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1u] != '\n') {
            /* too long for any line we write, or cut short by a crash: skip the rest of it */
            int c;
            while (len == sizeof line - 1u && (c = fgetc(f)) != EOF && c != '\n') {
            }
            hal_logf(log, HAL_LOG_WARN, now_ms, "ocpp: %s line %u refused: too long or unterminated", s->path, no + 1u);
            refused++;
            continue;
        }
        line[len - 1u] = '\0';
        const char *why = NULL;
        if (ocpp_cp_store_line(cp, line, &why) != HAL_OK) {
            hal_logf(log, HAL_LOG_WARN, now_ms, "ocpp: %s line %u refused: %s", s->path, no + 1u,
                     why != NULL ? why : "?");
            refused++;
        } else {
            taken++;
        }
    }
    fclose(f);
    if (!ok_format) {
        hal_logf(log, HAL_LOG_WARN, now_ms, "ocpp: %s is not an OCPP store (first line): ignored", s->path);
        return HAL_OK;
    }
    hal_logf(log, HAL_LOG_INFO, now_ms, "ocpp: state read from %s (%u entries, %u refused)", s->path, taken, refused);
    return HAL_OK;
}

struct sink {
    FILE *f;
    bool err;
};

static void put(void *ctx, const char *text, size_t len)
{
    struct sink *k = ctx;
    if (!k->err && fwrite(text, 1, len, k->f) != len) {
        k->err = true;
    }
}

void board_ocpp_store_save(void *ctx, const struct ocpp_cp *cp)
{
    struct board_ocpp_store *s = ctx;
    if (s->path[0] == '\0') {
        return;
    }
    char tmp[BOARD_OCPP_STORE_PATH_MAX + 8u];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->path);
    /* 0600: the file names the operator's tags */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    struct sink k = {fd >= 0 ? fdopen(fd, "w") : NULL, false};
    if (k.f == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        k.err = true;
    } else {
        put(&k, k_magic, sizeof k_magic - 1u);
        ocpp_cp_store_export(cp, put, &k);
        k.err = k.err || fflush(k.f) != 0 || fsync(fileno(k.f)) != 0;
        k.err = fclose(k.f) != 0 || k.err;
    }
    if (k.err || rename(tmp, s->path) != 0) {
        s->failures++;
        hal_logf(s->log, HAL_LOG_ERROR, 0, "ocpp: %s cannot be written (%s): the change holds until a reboot", s->path,
                 strerror(errno));
        (void)unlink(tmp);
        return;
    }
    s->saves++;
}
