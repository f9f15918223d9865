/* state_trace.c - TEST AID, owns struct board_state_trace: the charger's state, the EVSE
 * status and the driver's active modules, one line per change, for the fault judge when
 * the plant is outside the charger (see state_trace.h). On change only: what the charger
 * decides moves seldom, and the plant's own trace has the 5 ms resolution. */
#include "state_trace.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "hlc_din.h"

#define STATE_TRACE_PERIOD_MS 5u /* the connector's own period */

/* The line's time on CLOCK_MONOTONIC, as cbsomsim stamps the plant's trace: the judge
 * merges the two by time. The scheduler's now_ms counts from the charger's own start
 * (linux_loop), which put every charger line seconds too early against the plant's
 * record (faults-real: the strike fired as CHARGING began, not 1 s into it, and the
 * judge read the charger's state of seconds later beside each sample). */
static unsigned long state_trace_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long)(uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void state_trace_step(struct sched_task *task, uint32_t now_ms)
{
    struct board_state_trace *t = task->ctx;
    const struct charger *c = t->charger;
    int state = (int)charger_state(c);
    int evse = c->v2g ? (int)hlc_din_status_code(charger_evse_status(c)->status) : 0xFF;
    struct psu_module mods[8];
    size_t n = 0;
    int active = 0;
    if (t->psu != NULL && psu_read_modules(t->psu, mods, sizeof mods / sizeof mods[0], &n) == HAL_OK) {
        for (size_t i = 0; i < n; i++) {
            active += mods[i].active ? 1 : 0;
        }
    }
    if (state != t->state || evse != t->evse || active != t->active) {
        fprintf(t->f, "%lu %d %d %d\n", state_trace_mono_ms(), state, evse, active);
        t->state = state;
        t->evse = evse;
        t->active = active;
    }
    sched_task_at(task, now_ms + STATE_TRACE_PERIOD_MS);
}

int board_state_trace_open(struct board_state_trace *t, const char *path, const struct charger *c,
                           struct psu *psu, struct sched *s, uint32_t now_ms)
{
    memset(t, 0, sizeof *t);
    t->f = fopen(path, "w");
    if (t->f == NULL) {
        fprintf(stderr, "charger: --state-trace: cannot create %s: %s\n", path, strerror(errno));
        return HAL_EIO;
    }
    /* Line-buffered: the fault harness follows it to strike in a given state. */
    setvbuf(t->f, NULL, _IOLBF, 0);
    t->charger = c;
    t->psu = psu;
    t->state = t->evse = t->active = -1;
    sched_task_init(&t->task, "state-trace", state_trace_step, t, true);
    if (sched_add(s, &t->task, now_ms) != HAL_OK) {
        fprintf(stderr, "charger: --state-trace: the scheduler is full\n");
        fclose(t->f);
        t->f = NULL;
        return HAL_EIO;
    }
    return HAL_OK;
}

void board_state_trace_close(struct board_state_trace *t)
{
    if (t->f != NULL) {
        fclose(t->f);
        t->f = NULL;
    }
}
