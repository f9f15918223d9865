#include "an386_hal.h"

#include "hal_unsupported.h"
#include "psu_none.h"

#include <stddef.h>

#include "an386_cpu.h"
#include "semihost.h"

/* ------------------------------------------------------------------ clock */

static uint32_t an386_clock_now_ms(struct hal_clock *clk)
{
    (void)clk;
    return an386_millis();
}

static int an386_clock_wall(struct hal_clock *clk, int64_t *unix_ms)
{
    (void)clk;
    (void)unix_ms;
    return HAL_ENOTSUP; /* the MPS2 has no battery-backed RTC */
}

static int an386_clock_idle(struct hal_clock *clk, uint32_t max_ms)
{
    struct an386_clock *c = (struct an386_clock *)clk;
    uint32_t start = an386_millis();

    for (;;) {
        if (c->io_pending) {
            c->io_pending = false;
            return HAL_OK;
        }
        if (an386_millis() - start >= max_ms) {
            return HAL_ETIMEDOUT;
        }
        /* An interrupt that sets io_pending between the check and WFI is
         * noticed at the next SysTick, 1 ms later at most. */
        an386_idle();
    }
}

static const struct hal_clock_ops s_an386_clock_ops = {
    .now_ms = an386_clock_now_ms,
    .wall = an386_clock_wall,
    .idle = an386_clock_idle,
};

int an386_clock_init(struct an386_clock *clk)
{
    clk->base.ops = &s_an386_clock_ops;
    clk->io_pending = false;
    return an386_systick_start(AN386_CORE_HZ) == 0 ? HAL_OK : HAL_EINVAL;
}

/* ------------------------------------------------------------------ log */

/* Appends s to buf at *pos, keeping room for the final "\n\0". */
static void an386_append(char *buf, size_t size, size_t *pos, const char *s)
{
    while (*s != '\0' && *pos + 2u < size) {
        buf[(*pos)++] = *s++;
    }
}

static void an386_log_write(struct hal_log *log, enum hal_log_level level, uint32_t now_ms,
                            const char *line)
{
    struct an386_log *l = (struct an386_log *)log;
    char out[CFG_HAL_LOG_LINE_MAX + 32];
    char num[11];
    size_t pos = 0;
    size_t n = sizeof num - 1u;

    /* "[   12345] INFO  line": formatted by hand, the sink must not need printf. */
    num[n] = '\0';
    do {
        num[--n] = (char)('0' + now_ms % 10u);
        now_ms /= 10u;
    } while (now_ms != 0u && n > 0u);
    while (n > 2u) {
        num[--n] = ' ';
    }
    an386_append(out, sizeof out, &pos, "[");
    an386_append(out, sizeof out, &pos, &num[n]);
    an386_append(out, sizeof out, &pos, "] ");
    an386_append(out, sizeof out, &pos, hal_log_level_name(level));
    an386_append(out, sizeof out, &pos, level == HAL_LOG_INFO || level == HAL_LOG_WARN ? "  " : " ");
    size_t before = pos;
    an386_append(out, sizeof out, &pos, line);
    if (line[pos - before] != '\0') {
        l->dropped++;
    }
    out[pos++] = '\n';
    out[pos] = '\0';
    semihost_write0(out);
}

static const struct hal_log_ops s_an386_log_ops = {
    .write = an386_log_write,
};

void an386_log_init(struct an386_log *log, enum hal_log_level min_level)
{
    log->base.ops = &s_an386_log_ops;
    log->base.min_level = min_level;
    log->dropped = 0;
}

/* ------------------------------------------------------------------ pilot, GPIO */
/* The MPS2 has no pilot front end, contactors, lock or e-stop: the shared
 * "unsupported" ports answer HAL_ENOTSUP, which the charger reads safely (pilot
 * state E, power path held). */

void an386_pilot_init(struct an386_pilot *p)
{
    hal_unsupported_pilot(&p->base);
}

void an386_gpio_init(struct an386_gpio *g)
{
    hal_unsupported_gpio(&g->base);
}

/* ------------------------------------------------------------------ power stage */
/* No power stage: the shared "none" stage (off always works, export is refused). */

void an386_psu_init(struct an386_psu *p)
{
    psu_none_init(&p->base);
}
