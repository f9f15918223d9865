/*
 * The simulator board: the charger firmware with in-memory peripherals and a plant
 * model, on a virtual clock that runs as fast as the CPU allows (or in real time).
 * `make sim` runs it; see --help.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charger.h"
#include "plant.h"
#include "psu_infy.h"
#include "sim_infy.h"
#include "sched.h"
#include "superloop.h"

#define SIM_VERSION "0.1.0"
#define SIM_MAX_CONNECTORS 4
/* The EV gives the charger this long to release a held connector before the run ends. */
#define SIM_HELD_LIMIT_MS 5000u

struct sim_clock {
    struct hal_clock base;
    uint32_t now_ms;
    bool realtime;
    struct plant *plants;
    struct sim_infy *modules; /**< per connector, or NULL with the ideal stage */
    int nplants;
};

struct sim_log {
    struct hal_log base;
    struct sim_clock *clock;
};

struct sim {
    struct sim_clock clock;
    struct sim_log log;
    struct sched sched;
    struct plant plants[SIM_MAX_CONNECTORS];
    struct charger chargers[SIM_MAX_CONNECTORS];
    /* The real InfyPower driver per connector, on an in-memory CAN bus to simulated modules. */
    struct sim_infy modules[SIM_MAX_CONNECTORS];
    struct sim_infy_can can[SIM_MAX_CONNECTORS];
    struct psu_infy stage[SIM_MAX_CONNECTORS];
    int n;
    uint32_t max_ms;
};

static uint32_t sim_now(struct hal_clock *base)
{
    return ((struct sim_clock *)base)->now_ms;
}

static int sim_wall(struct hal_clock *base, int64_t *unix_ms)
{
    /* A fixed epoch keeps runs reproducible: 2026-01-01T00:00:00Z plus simulated time. */
    *unix_ms = 1767225600000LL + ((struct sim_clock *)base)->now_ms;
    return HAL_OK;
}

static int sim_idle(struct hal_clock *base, uint32_t max_ms)
{
    struct sim_clock *c = (struct sim_clock *)base;
    if (max_ms == 0) {
        max_ms = 1; /* virtual time must move or the loop would spin on a due task */
    }
    for (uint32_t i = 0; i < max_ms; i++) {
        c->now_ms++;
        for (int k = 0; k < c->nplants; k++) {
            if (c->modules != NULL) {
                sim_infy_tick(&c->modules[k], c->now_ms);
            }
            plant_tick(&c->plants[k], c->now_ms);
        }
    }
    if (c->realtime) {
        struct timespec ts = {.tv_sec = max_ms / 1000u, .tv_nsec = (long)(max_ms % 1000u) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    return HAL_ETIMEDOUT;
}

static const struct hal_clock_ops s_clock_ops = {.now_ms = sim_now, .wall = sim_wall, .idle = sim_idle};

static void sim_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                          const char *line)
{
    (void)base;
    printf("[%5lu.%03lu] %-5s %s\n", (unsigned long)(now_ms / 1000u), (unsigned long)(now_ms % 1000u),
           hal_log_level_name(level), line);
}

static const struct hal_log_ops s_log_ops = {.write = sim_log_write};

static bool sim_should_stop(void *ctx)
{
    struct sim *s = ctx;
    if (s->clock.now_ms >= s->max_ms) {
        return true;
    }
    for (int i = 0; i < s->n; i++) {
        const struct plant *p = &s->plants[i];
        bool held = p->held_since_ms != 0 && s->clock.now_ms - p->held_since_ms >= SIM_HELD_LIMIT_MS;
        bool idle = charger_state(&s->chargers[i]) == CHARGER_IDLE && plant_done(p);
        if (!held && !idle) {
            return false;
        }
    }
    return true;
}

static void sim_usage(FILE *f)
{
    fprintf(f,
            "usage: sim [options]\n"
            "Runs the charger firmware against a simulated EV, contactors, lock and power\n"
            "stage, on a virtual clock (much faster than real time unless --realtime).\n"
            "\n"
            "  --sessions N     sessions per connector (default 1)\n"
            "  --connectors N   chargers in this one process, 1..%d (default 1)\n"
            "  --charge-s S     how long the EV takes power, simulated seconds (default 10)\n"
            "  --psu KIND       infy: the real InfyPower driver over an in-memory CAN bus\n"
            "                   to simulated modules (default); ideal: a simple model\n"
            "  --modules N      power modules per connector with --psu infy, 1..%d (default 4)\n"
            "  --fault NAME     inject a fault 2 s into the first charge: estop, unplug, weld,\n"
            "                   lock, psu-stuck; or diode (from plug-in)\n"
            "  --max-s S        stop after S simulated seconds (default 600)\n"
            "  --realtime       run at wall-clock speed\n"
            "  --quiet          print only the summary\n"
            "  --version        print the version and exit\n"
            "  -h, --help       this text\n"
            "\n"
            "Exit status: 0 when the outcome is the expected one for the scenario and the\n"
            "safety monitor saw no violation; 1 otherwise; 2 for bad arguments.\n",
            SIM_INFY_MAX, SIM_MAX_CONNECTORS);
}

static int sim_number(const char *opt, const char *arg, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = arg != NULL ? strtoul(arg, &end, 10) : 0;
    if (arg == NULL || *arg == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "sim: %s needs a whole number in %lu..%lu, got '%s'\n", opt, lo, hi,
                arg != NULL ? arg : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* What must have happened for the scenario to count as handled correctly. */
static bool sim_expected(const struct charger *c, const struct plant *p, enum plant_fault f,
                         const char **why)
{
    const struct charger_stats *st = charger_stats(c);
    const struct charger_session_record *first = charger_history(c, 0);
    bool back_to_idle = charger_state(c) == CHARGER_IDLE;
    /* Every session after the first must be a clean one: the fault must not linger. */
    bool later_clean = true;
    for (uint32_t i = 1; charger_history(c, i) != NULL; i++) {
        later_clean = later_clean && charger_history(c, i)->stop == CHARGER_STOP_EV;
    }

    switch (f) {
    case PLANT_FAULT_NONE:
        *why = "every session charged and ended by the EV";
        return st->sessions_charged == p->script.sessions && first != NULL &&
               first->stop == CHARGER_STOP_EV && later_clean && back_to_idle;
    case PLANT_FAULT_ESTOP:
        *why = "stopped by the emergency stop, then back to idle";
        return first != NULL && first->fault == INTERLOCK_FAULT_ESTOP && later_clean && back_to_idle;
    case PLANT_FAULT_UNPLUG:
        *why = "unplug under load stopped the session, then back to idle";
        return first != NULL && first->stop == CHARGER_STOP_UNPLUGGED && later_clean && back_to_idle;
    case PLANT_FAULT_WELD:
        *why = "welded contactor detected, connector held locked";
        return st->last_fault == INTERLOCK_FAULT_WELDED && interlock_state(&c->il) == INTERLOCK_HELD &&
               p->locked;
    case PLANT_FAULT_LOCK:
        *why = "lost lock feedback stopped the session, then back to idle";
        return first != NULL && first->fault == INTERLOCK_FAULT_LOCK_LOST && later_clean &&
               back_to_idle;
    case PLANT_FAULT_DIODE:
        *why = "missing diode detected, no power delivered, then back to idle";
        return first != NULL && first->stop == CHARGER_STOP_DIODE_FAULT && first->charge_ms == 0 &&
               later_clean && back_to_idle;
    case PLANT_FAULT_PSU_STUCK:
        *why = "stage ignored 'off': contactors forced open after the timeout";
        return first != NULL && first->fault == INTERLOCK_FAULT_POWER_DOWN_TIMEOUT &&
               p->forced_opens == 1u && later_clean && back_to_idle;
    }
    *why = "";
    return false;
}

/* Connector i's power stage: N simulated 30 kW modules behind a battery-like load,
 * driven by the real InfyPower driver through an in-memory CAN bus. */
static int sim_start_stage(struct sim *s, int i, uint8_t count)
{
    struct sim_infy *m = &s->modules[i];
    struct sim_infy_rating r;
    struct infy_config ic;

    sim_infy_init(m);
    sim_infy_default_rating(&r);
    for (uint8_t a = 0; a < count; a++) {
        if (sim_infy_add(m, a, &r) != HAL_OK) {
            fprintf(stderr, "sim: cannot add module %u\n", a);
            return HAL_EINVAL;
        }
    }
    m->load = SIM_INFY_LOAD_BATTERY;
    m->battery_mv = 380000;
    m->load_mohm = 50;
    sim_infy_can_init(&s->can[i], m);
    infy_default_config(&ic);
    ic.count = count;
    for (uint8_t a = 0; a < count; a++) {
        ic.addresses[a] = a;
    }
    int rc = psu_infy_init(&s->stage[i], &ic, &s->can[i].base, &s->log.base, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: InfyPower driver refused its configuration: %s\n", hal_strerror(rc));
        return rc;
    }
    s->plants[i].psu.inner = &s->stage[i].base;
    s->plants[i].stage = m;
    return HAL_OK;
}

static struct sim s_sim; /* board-level instance: the board owns its objects */

int main(int argc, char **argv)
{
    struct sim *s = &s_sim;
    struct plant_script script = {
        .plug_at_ms = 1000,
        .start_delay_ms = 2000,
        .charge_ms = 10000,
        .unplug_delay_ms = 1000,
        .pause_ms = 2000,
        .sessions = 1,
        .fault = PLANT_FAULT_NONE,
    };
    unsigned long connectors = 1, v = 0, max_s = 600, modules = 4;
    bool quiet = false, realtime = false, ideal = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            sim_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("sim %s\n", SIM_VERSION);
            return 0;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--realtime") == 0) {
            realtime = true;
        } else if (strcmp(a, "--sessions") == 0) {
            if (sim_number(a, next, 1, 1000, &v) != 0) {
                return 2;
            }
            script.sessions = (uint32_t)v;
            i++;
        } else if (strcmp(a, "--connectors") == 0) {
            if (sim_number(a, next, 1, SIM_MAX_CONNECTORS, &connectors) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--charge-s") == 0) {
            if (sim_number(a, next, 1, 86400, &v) != 0) {
                return 2;
            }
            script.charge_ms = (uint32_t)v * 1000u;
            i++;
        } else if (strcmp(a, "--psu") == 0) {
            if (next == NULL || (strcmp(next, "infy") != 0 && strcmp(next, "ideal") != 0)) {
                fprintf(stderr, "sim: --psu needs infy or ideal\n");
                return 2;
            }
            ideal = strcmp(next, "ideal") == 0;
            i++;
        } else if (strcmp(a, "--modules") == 0) {
            if (sim_number(a, next, 1, SIM_INFY_MAX, &modules) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--max-s") == 0) {
            if (sim_number(a, next, 1, 4000000, &max_s) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--fault") == 0) {
            if (next == NULL || plant_fault_parse(next, &script.fault) != HAL_OK) {
                fprintf(stderr, "sim: --fault needs one of: estop unplug weld lock diode psu-stuck\n");
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "sim: unknown option '%s' (try --help)\n", a);
            return 2;
        }
    }

    s->n = (int)connectors;
    s->max_ms = (uint32_t)max_s * 1000u;
    s->clock.base.ops = &s_clock_ops;
    s->clock.realtime = realtime;
    s->clock.plants = s->plants;
    s->clock.modules = ideal ? NULL : s->modules;
    s->clock.nplants = s->n;
    s->log.base.ops = &s_log_ops;
    s->log.base.min_level = quiet ? HAL_LOG_ERROR : HAL_LOG_INFO;
    s->log.clock = &s->clock;
    sched_init(&s->sched);

    for (int i = 0; i < s->n; i++) {
        struct charger_config cfg;
        char name[16];
        charger_default_config(&cfg);
        snprintf(name, sizeof name, "cp%d", i);
        memcpy(cfg.name, name, sizeof cfg.name);
        cfg.export_current_ma = 100000; /* 100 A at 400 V: a 40 kW DC session */
        struct plant_script sc = script;
        sc.plug_at_ms += (uint32_t)i * 700u; /* stagger the cars so their logs interleave */
        plant_init(&s->plants[i], name, &sc, &s->log.base);
        if (!ideal && sim_start_stage(s, i, (uint8_t)modules) != HAL_OK) {
            return 1;
        }
        /* The InfyPower stage proves "off" by reading every module back, one frame slot
         * each; give the interlock room for that before it would force the contactors. */
        cfg.interlock.power_down_timeout_ms = ideal ? 500u : 1500u;
        struct charger_ports ports = {
            .pilot = &s->plants[i].pilot.base,
            .gpio = &s->plants[i].gpio.base,
            .psu = &s->plants[i].psu.base,
            .log = &s->log.base,
        };
        int rc = charger_init(&s->chargers[i], &cfg, &ports, &s->sched, 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: charger %d failed to start: %s\n", i, hal_strerror(rc));
            return 1;
        }
    }

    if (!quiet) {
        printf("sim: %d connector(s), %lu session(s) each, fault: %s, %s\n", s->n,
               (unsigned long)script.sessions, plant_fault_name(script.fault),
               realtime ? "real time" : "virtual time");
    }
    struct superloop loop = {
        .sched = &s->sched, .clock = &s->clock.base, .should_stop = sim_should_stop, .ctx = s};
    clock_t t0 = clock();
    uint32_t passes = superloop_run(&loop);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

    bool ok = s->clock.now_ms < s->max_ms;
    uint32_t violations = 0;
    for (int i = 0; i < s->n; i++) {
        const struct charger *c = &s->chargers[i];
        const struct plant *p = &s->plants[i];
        const struct charger_stats *st = charger_stats(c);
        const char *expect;
        bool good = sim_expected(c, p, script.fault, &expect);
        violations += p->violations;
        ok = ok && good && p->violations == 0;
        printf("sim: [%s] %lu session(s), %lu charged, %.1f s of power, %.3f kWh, last stop: %s%s%s, "
               "power path: %s, safety violations: %lu -> %s (%s)\n",
               p->name, (unsigned long)st->sessions, (unsigned long)st->sessions_charged,
               st->charge_ms_total / 1000.0, p->energy_wh / 1000.0,
               charger_stop_reason_name(st->last_stop),
               st->last_fault != INTERLOCK_FAULT_NONE ? " / " : "",
               st->last_fault != INTERLOCK_FAULT_NONE ? interlock_fault_name(st->last_fault) : "",
               interlock_state_name(interlock_state(&c->il)), (unsigned long)p->violations,
               good ? "as expected" : "NOT as expected", expect);
    }
    if (s->clock.now_ms >= s->max_ms) {
        printf("sim: stopped at the --max-s limit before the scenario finished\n");
    }
    printf("sim: %s: %.1f s simulated in %.3f s CPU (%lu loop passes), %lu safety violation(s)\n",
           ok ? "PASS" : "FAIL", s->clock.now_ms / 1000.0, cpu_s, (unsigned long)passes,
           (unsigned long)violations);
    return ok ? 0 : 1;
}
