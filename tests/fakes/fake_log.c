#include "fake_log.h"

#include <stdio.h>
#include <string.h>

static void fake_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                           const char *line)
{
    struct fake_log *l = (struct fake_log *)base;
    snprintf(l->last, sizeof l->last, "%s", line);
    l->count++;
    l->errors += level == HAL_LOG_ERROR;
    l->warnings += level == HAL_LOG_WARN;
    l->watched += l->watch != NULL && strstr(line, l->watch) != NULL;
    if (l->echo) {
        printf("  [%lu] %s\n", (unsigned long)now_ms, line);
    }
}

static const struct hal_log_ops s_fake_log_ops = {.write = fake_log_write};

void fake_log_init(struct fake_log *l)
{
    memset(l, 0, sizeof *l);
    l->base.ops = &s_fake_log_ops;
    l->base.min_level = HAL_LOG_DEBUG;
}
