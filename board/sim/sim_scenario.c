/* sim_scenario.c - owns the fault-scenario driver of the simulator (struct sim_scenario):
 * the run of board/sim/faults.c on connector 0, the power-loss timing it asks the board
 * for, the config-corrupt start-up check, and the verdict with its report files. */
#include "sim_scenario.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

/* The connector's settings as the board would keep them in its configuration record. */
struct sim_settings {
    uint32_t max_current_a, max_power_kw, power_down_timeout_ms;
};

static const struct config_key s_sim_keys[] = {
    {"charger.max_current_a", CONFIG_U32, true, offsetof(struct sim_settings, max_current_a), 0, 1, 500,
     NULL, "connector current rating, A"},
    {"charger.max_power_kw", CONFIG_U32, true, offsetof(struct sim_settings, max_power_kw), 0, 1, 400, NULL,
     "connector power rating, kW"},
    {"interlock.power_down_timeout_ms", CONFIG_U32, false,
     offsetof(struct sim_settings, power_down_timeout_ms), 0, 100, 5000, NULL, "power-down bound, ms"},
};

/* The stored configuration is damaged (a flipped byte makes "200" read "2\x300"; a later
 * write left "max_power_kw = 1500"). */
int sim_scenario_config_check(void)
{
    static const char good[] = "charger.max_current_a = 200\ncharger.max_power_kw = 150\n"
                               "interlock.power_down_timeout_ms = 1500\n";
    static const char *const bad[] = {
        "charger.max_current_a = 2\x30" "0x\ncharger.max_power_kw = 150\n",
        "charger.max_current_a = 200\ncharger.max_power_kw = 1500\n",
        "charger.max_current_a = 200\n",
        "charger.max_current_a = 200\ncharger.max_pow\xff_kw = 150\n",
    };
    struct sim_settings st;
    struct config_error e;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&st, 0, sizeof st);
        if (config_parse(s_sim_keys, sizeof s_sim_keys / sizeof s_sim_keys[0], &st, bad[k], strlen(bad[k]),
                         &e) == HAL_OK) {
            printf("sim: FAIL: corrupted configuration %zu was accepted\n", k + 1);
            return 1;
        }
        printf("sim: corrupted configuration %zu refused at start-up: config:%u: %s: %s\n", k + 1, e.line,
               e.key[0] ? e.key : "-", e.reason);
    }
    memset(&st, 0, sizeof st);
    if (config_parse(s_sim_keys, sizeof s_sim_keys / sizeof s_sim_keys[0], &st, good, strlen(good), &e) !=
            HAL_OK ||
        st.max_current_a != 200 || st.max_power_kw != 150) {
        printf("sim: FAIL: the intact configuration was refused: %s: %s\n", e.key, e.reason);
        return 1;
    }
    printf("sim: the intact configuration is accepted; starting\n");
    return 0;
}

void sim_scenario_setup(struct sim_scenario *s, const struct faults_scenario *sc, const struct faults_target *t)
{
    s->sc = sc;
    faults_setup(&s->run, sc, t);
    s->on = true;
}

enum sim_scenario_action sim_scenario_tick(struct sim_scenario *s, uint32_t now_ms)
{
    if (!s->on) {
        return SIM_SCENARIO_NONE;
    }
    faults_tick(&s->run, now_ms);
    if (s->run.power_loss_now) {
        s->run.power_loss_now = false;
        s->power_up_at = now_ms + SIM_POWER_OFF_MS;
        return SIM_SCENARIO_POWER_DOWN;
    }
    if (s->power_up_at != 0 && now_ms >= s->power_up_at) {
        s->power_up_at = 0;
        return SIM_SCENARIO_POWER_UP;
    }
    return SIM_SCENARIO_NONE;
}

bool sim_scenario_ev_frozen(const struct sim_scenario *s)
{
    return s->on && s->run.ev_frozen;
}

bool sim_scenario_judges_first(const struct sim_scenario *s)
{
    /* A power loss takes the injected session's record with the charger's RAM: every
     * record left is a later car's. */
    return s->sc != NULL && s->on && s->run.fired && s->sc->kind != FAULTS_POWER_LOSS;
}

bool sim_scenario_finish(struct sim_scenario *s, const char *report_dir, bool at_max_s)
{
    bool held_end = (s->sc->flags & FAULTS_F_HELD) != 0;
    bool ok = faults_finish(&s->run, report_dir, at_max_s && !held_end);
    if (report_dir != NULL) {
        /* faults_finish skips a report it cannot open: the user asked for it. */
        for (int k = 0; k < 2; k++) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s.%s", report_dir, s->sc->name, k == 0 ? "txt" : "svg");
            struct stat st;
            if (stat(path, &st) != 0 || st.st_size == 0) {
                fprintf(stderr, "sim: --report-dir: %s was not written\n", path);
                ok = false;
            }
        }
    }
    return ok;
}
