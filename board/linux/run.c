/* run.c - the Linux board's run: SIGINT/SIGTERM, the superloop and its pass timing, the
 * safe shutdown (stop the session, then leave only with the power path at rest and no
 * meter transaction half-way) and the exit summary. Owns struct board_run. */
#include "run.h"

#include <stdio.h>

#include "superloop.h"

static volatile sig_atomic_t s_signalled;

static void board_on_signal(int sig)
{
    (void)sig;
    s_signalled = 1;
}

volatile int *board_run_stop_flag(void)
{
    return (volatile int *)&s_signalled;
}

void board_run_signals(void)
{
    signal(SIGINT, board_on_signal);
    signal(SIGTERM, board_on_signal);
    signal(SIGPIPE, SIG_IGN);
}

/* The superloop asks should_stop before a pass and kicks after it: the time between is
 * the pass, everything the loop did while no supervision could run. */
static void board_on_kick(void *ctx)
{
    struct board_run *r = ctx;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t ns = (uint64_t)(t.tv_sec - r->pass_start.tv_sec) * 1000000000u +
                  (uint64_t)t.tv_nsec - (uint64_t)r->pass_start.tv_nsec;
    r->passes++;
    if (ns > r->longest_pass_ns) {
        r->longest_pass_ns = ns;
    }
    enum meter_session_state ms = r->ms != NULL ? meter_session_state(r->ms) : METER_S_IDLE;
    if (ms != METER_S_IDLE && ms != METER_S_ACTIVE && ns > r->longest_meter_pass_ns) {
        r->longest_meter_pass_ns = ns;
    }
    if (r->service != NULL) {
        board_service_pass(r->service, r->sched, hal_clock_now_ms(r->clock), (uint32_t)(ns / 1000000u));
    }
}

static bool board_should_stop(void *ctx)
{
    struct board_run *r = ctx;
    clock_gettime(CLOCK_MONOTONIC, &r->pass_start);
    uint32_t now = hal_clock_now_ms(r->clock);
    if (r->plant != NULL && r->sim_status != NULL && hal_time_reached(now, r->status_at_ms)) {
        (void)sim_plant_write_status(r->plant, r->sim_status);
        r->status_at_ms = now + 1000u;
    }
    bool enough = r->sessions_max != 0 && charger_stats(r->charger)->sessions >= r->sessions_max &&
                  charger_history_count(r->charger) >= r->sessions_max;
    if (!r->stopping && (s_signalled || enough || r->restart_why != NULL ||
                         (r->run_until_ms != 0 && now >= r->run_until_ms))) {
        r->stopping = true;
        hal_logf(r->log, HAL_LOG_INFO, now, "shutting down: stopping the session safely");
        charger_request_stop(r->charger);
    }
    /* Leave only with the power path at rest (idle, finished or latched in a fault) and
     * no meter transaction half-way. */
    enum charger_state st = charger_state(r->charger);
    bool meter_idle = r->ms == NULL || meter_session_state(r->ms) == METER_S_IDLE;
    return r->stopping && (st == CHARGER_IDLE || st == CHARGER_FINISHED || st == CHARGER_FAULT) &&
           (meter_idle || s_signalled);
}

void board_run_request_restart(struct board_run *r, const char *why)
{
    if (r->restart_why == NULL) {
        r->restart_why = why;
        hal_logf(r->log, HAL_LOG_INFO, hal_clock_now_ms(r->clock),
                 "%s: the charger restarts (exit status %d: the service manager starts it again)", why,
                 BOARD_EXIT_RESTART);
    }
}

void board_run(struct board_run *r, long run_for_s)
{
    r->run_until_ms = run_for_s > 0 ? hal_clock_now_ms(r->clock) + (uint32_t)run_for_s * 1000u : 0;
    struct superloop loop = {
        .sched = r->sched, .clock = r->clock, .kick = board_on_kick, .should_stop = board_should_stop, .ctx = r};
    superloop_run(&loop);
}

void board_run_summary(const struct board_run *r)
{
    for (uint32_t h = 0; charger_history(r->charger, h) != NULL; h++) {
        const struct charger_session_record *s = charger_history(r->charger, h);
        printf("charger: session %lu: stop=%s charge_s=%.1f energy_wh=%lld meter_ok=%d meter_seq=%lu "
               "soc=%ld->%ld%s%s\n",
               (unsigned long)s->number, charger_stop_reason_token(s->stop), s->charge_ms / 1000.0,
               (long long)s->energy_wh, s->meter_ok ? 1 : 0, (unsigned long)s->meter_seq, (long)s->soc_start,
               (long)(s->soc_end >= 0 ? s->soc_end : s->soc_start),
               s->detail != NULL && s->detail[0] ? " detail=" : "", s->detail != NULL ? s->detail : "");
    }
    printf("charger: loop: passes=%llu longest_pass_ms=%.3f longest_meter_pass_ms=%.3f\n",
           (unsigned long long)r->passes, (double)r->longest_pass_ns / 1e6,
           (double)r->longest_meter_pass_ns / 1e6);
    fflush(stdout);
}
