/*
 * fault-judge: the verdict of one fault-injection scenario run on REAL transports
 * (tools/faults/real.sh: the Linux board on vcan, veth and ptys; the plant is cbsomsim outside it).
 *
 * I1..I3 are judged by the simulator's own rules (board/sim/faults_check.c) from a plant
 * trace: by default the one cbsomsim wrote OUTSIDE the charger (--trace: every 5 ms the
 * simulated Charge SOM controller's contactors and pilot, the stage's output as infysim
 * reports it; "t mv ma bits") merged by time with the charger's own --state-trace ("t
 * state evse active", on change) given as --state; or, without --state, the trace of
 * `charger --sim-plant --sim-trace` (the plant inside the charger, every field in one
 * line). I4 from the modules the driver counted;
 * I5 from the journal as the store holds it (`meter-ctl journal` listing, signatures
 * checked against the meter's key); I6/I7 from the charger's session records and the
 * EVSE status in the trace; I8 from the plant's own safety monitor (cbsomsim --status, or
 * charger --sim-status).
 * Writes DIR/NAME.txt and DIR/NAME.svg in the simulator scenarios' format; exit 0 = pass.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charger.h"
#include "faults_check.h"

struct judge_session {
    bool seen;
    char stop[32];
    double charge_s;
    int meter_ok;
    unsigned long meter_seq;
};

struct judge {
    const char *name, *what, *at, *trace, *status, *sessions, *journal, *evsim, *dir, *state;
    long delay_ms, fired_ms;
    const char *expect_stop;
    enum faults_ev_report expect_ev;
    bool forced_ok, charged, no_power, ocmf_bad;
    struct faults_check chk;
    enum faults_ev_report ev_worst;
    struct judge_session s[4];
    uint8_t last_state, prev_active;
    bool have_active;
    unsigned long samples;
    int32_t max_ma_after;
    char obs[640];
    uint32_t end_ms; /**< the last sample's time: verdicts at the end carry it */
};

static struct judge s_j; /* the timeline ring is large: not on the stack */

/* The charger's side of a split record (--state): its changes, in time order. */
struct judge_state {
    unsigned long t;
    unsigned cstate, evse, active;
};
#define JUDGE_STATES 65536u
static struct judge_state s_states[JUDGE_STATES];
static size_t s_nstates;

static int judge_load_states(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fault-judge: cannot read the state trace %s\n", path);
        return -1;
    }
    char line[96];
    while (fgets(line, sizeof line, f) != NULL && s_nstates < JUDGE_STATES) {
        struct judge_state x;
        if (sscanf(line, "%lu %u %u %u", &x.t, &x.cstate, &x.evse, &x.active) == 4 && x.cstate < CHARGER_STATE_COUNT) {
            s_states[s_nstates++] = x;
        }
    }
    fclose(f);
    return 0;
}

static void judge_fail(struct judge *j, enum faults_inv i, const char *note)
{
    faults_check_fail(&j->chk, i, j->end_ms, note);
}

static int judge_trace(struct judge *j)
{
    FILE *f = fopen(j->trace, "r");
    if (f == NULL) {
        fprintf(stderr, "fault-judge: cannot read the trace %s\n", j->trace);
        return -1;
    }
    char line[160];
    unsigned long bad = 0;
    size_t si = 0; /* the charger's record in force (split record) */
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long t;
        long mv, ma;
        unsigned bits, cs = CHARGER_IDLE, evse = 0xFFu, active = 0;
        if (j->state != NULL) {
            if (sscanf(line, "%lu %ld %ld %u", &t, &mv, &ma, &bits) != 4) {
                bad++;
                continue;
            }
            while (si < s_nstates && s_states[si].t <= t) {
                si++;
            }
            if (si > 0) { /* before the charger's first line: idle, nothing told, none counted */
                cs = s_states[si - 1].cstate;
                evse = s_states[si - 1].evse;
                active = s_states[si - 1].active;
            }
        } else if (sscanf(line, "%lu %ld %ld %u %u %u %u", &t, &mv, &ma, &bits, &cs, &evse, &active) != 7 ||
                   cs >= CHARGER_STATE_COUNT) {
            bad++;
            continue;
        }
        bool fired = j->fired_ms > 0 && (long)t >= j->fired_ms;
        struct faults_sample s = {.t = (uint32_t)t, .mv = (int32_t)mv, .ma = (int32_t)ma,
                                  .bits = (uint16_t)(bits | (fired ? FAULTS_B_FAULT : 0u)),
                                  .cstate = (uint8_t)cs, .evse = (uint8_t)evse, .active = (uint8_t)active};
        faults_check_sample(&j->chk, &s, (fired ? FAULTS_C_FIRED : 0u) | (j->forced_ok ? FAULTS_C_FORCED_OK : 0u));
        /* I4 on a real bus: the driver's count of modules may fall only when no current
         * flows through the path (a module that may still deliver stays counted). */
        if (j->have_active) {
            j->chk.checked[FAULTS_I_MODULES]++;
            if (s.active < j->prev_active && (s.ma > FAULTS_SAFE_MA || j->chk.prev.ma > FAULTS_SAFE_MA)) {
                char note[96];
                snprintf(note, sizeof note, "the driver dropped a module (%u -> %u) while %ld mA flowed",
                         j->prev_active, s.active, (long)s.ma);
                faults_check_fail(&j->chk, FAULTS_I_MODULES, s.t, note);
            }
        }
        j->prev_active = s.active;
        j->have_active = true;
        if (fired) {
            /* 0xFF: no DIN session, nothing told */
            enum faults_ev_report e = faults_check_ev_of(s.evse != 0xFFu ? s.evse : -1, -1);
            j->ev_worst = e > j->ev_worst ? e : j->ev_worst;
            j->max_ma_after = s.ma > j->max_ma_after ? s.ma : j->max_ma_after;
        }
        j->last_state = s.cstate;
        j->end_ms = s.t;
        j->samples++;
    }
    fclose(f);
    if (j->samples < 100 || bad > 2) { /* a torn last line at a kill is tolerated */
        char note[96];
        snprintf(note, sizeof note, "the trace is unusable (%lu samples, %lu malformed lines)", j->samples, bad);
        judge_fail(j, FAULTS_I_SCENARIO, note);
    }
    return 0;
}

static void judge_sessions(struct judge *j)
{
    FILE *f = fopen(j->sessions, "r");
    if (f == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned n;
        char stop[32];
        double cs;
        long long wh;
        int mok;
        unsigned long seq;
        if (sscanf(line, "charger: session %u: stop=%31s charge_s=%lf energy_wh=%lld meter_ok=%d meter_seq=%lu", &n,
                   stop, &cs, &wh, &mok, &seq) == 6 &&
            n >= 1 && n <= 4) {
            struct judge_session *s = &j->s[n - 1];
            s->seen = true;
            snprintf(s->stop, sizeof s->stop, "%s", stop);
            s->charge_s = cs;
            s->meter_ok = mok;
            s->meter_seq = seq;
        }
    }
    fclose(f);
}

/* I5 from the journal listing: every record closed, each transaction once, the records
 * of the metered sessions all there, every signature verified (unless corrupted on purpose). */
static unsigned judge_journal(struct judge *j)
{
    FILE *f = fopen(j->journal, "r");
    unsigned nrec = 0;
    j->chk.checked[FAULTS_I_METER]++;
    if (f == NULL) {
        judge_fail(j, FAULTS_I_METER, "no journal listing");
        return 0;
    }
    char line[1024], seen[8][64];
    while (fgets(line, sizeof line, f) != NULL) {
        char txid[64] = "", state[24] = "", check[24] = "";
        const char *p = strstr(line, "txid=");
        const char *q = strstr(line, " state=");
        const char *r = strstr(line, " check=");
        if (strncmp(line, "seq=", 4) != 0 || p == NULL || q == NULL || r == NULL) {
            continue;
        }
        (void)sscanf(p, "txid=%63s", txid);
        (void)sscanf(q, " state=%23s", state);
        (void)sscanf(r, " check=%23s", check);
        if (strcmp(state, "closed") != 0) {
            char note[120];
            snprintf(note, sizeof note, "transaction %.40s left %s in the journal", txid, state);
            judge_fail(j, FAULTS_I_METER, note);
        }
        for (unsigned k = 0; k < nrec && k < 8u; k++) {
            if (strcmp(seen[k], txid) == 0) {
                judge_fail(j, FAULTS_I_METER, "a transaction is journaled twice");
            }
        }
        if (nrec < 8u) {
            snprintf(seen[nrec], sizeof seen[nrec], "%s", txid);
        }
        if (strcmp(check, "ok") != 0 && !(j->ocmf_bad && nrec == 0)) {
            char note[120];
            snprintf(note, sizeof note, "the OCMF record of %.40s does not verify (check=%s)", txid, check);
            judge_fail(j, FAULTS_I_METER, note);
        }
        nrec++;
    }
    fclose(f);
    unsigned nsess = 0;
    for (int i = 0; i < 4; i++) {
        nsess += j->s[i].seen && j->s[i].meter_seq != 0 ? 1u : 0u;
    }
    if (nrec != nsess) {
        char note[96];
        snprintf(note, sizeof note, "%u journal records for %u sessions with a transaction", nrec, nsess);
        judge_fail(j, FAULTS_I_METER, note);
    }
    return nrec;
}

static void judge_final(struct judge *j)
{
    judge_sessions(j);
    unsigned nrec = judge_journal(j);
    const struct judge_session *s0 = &j->s[0], *s1 = &j->s[1];

    j->chk.checked[FAULTS_I_STOP_REASON]++;
    if (j->fired_ms <= 0) {
        judge_fail(j, FAULTS_I_STOP_REASON, "the fault never struck (phase not reached)");
    }
    if (!s0->seen || strcmp(s0->stop, j->expect_stop) != 0) {
        char note[120];
        snprintf(note, sizeof note, "summary says '%s', expected '%s'", s0->seen ? s0->stop : "(no session)",
                 j->expect_stop);
        judge_fail(j, FAULTS_I_STOP_REASON, note);
    }
    if (j->expect_ev != FAULTS_EVR_NA && j->ev_worst != j->expect_ev) {
        char note[120];
        snprintf(note, sizeof note, "the EV was told %s, expected %s", faults_check_ev_name(j->ev_worst),
                 faults_check_ev_name(j->expect_ev));
        judge_fail(j, FAULTS_I_STOP_REASON, note);
    }

    j->chk.checked[FAULTS_I_NEXT_CAR]++;
    if (!s1->seen || strcmp(s1->stop, "ev") != 0 || s1->charge_s <= 0.0 || !s1->meter_ok) {
        judge_fail(j, FAULTS_I_NEXT_CAR, "the second car did not charge cleanly");
    }
    if (j->s[2].seen) {
        judge_fail(j, FAULTS_I_NEXT_CAR, "more sessions than cars");
    }
    if (j->last_state != CHARGER_IDLE) {
        char note[96];
        snprintf(note, sizeof note, "the charger ended in %s, not idle",
                 charger_state_name((enum charger_state)j->last_state));
        judge_fail(j, FAULTS_I_NEXT_CAR, note);
    }
    FILE *e = j->evsim != NULL ? fopen(j->evsim, "r") : NULL;
    bool car2 = false;
    if (e != NULL) {
        char line[1024];
        while (fgets(line, sizeof line, e) != NULL) {
            car2 = car2 || (strncmp(line, "evsim: summary:", 15) == 0 && strstr(line, "[car 2: ok ") != NULL);
        }
        fclose(e);
    }
    if (!car2) {
        judge_fail(j, FAULTS_I_NEXT_CAR, "the car simulator does not report car 2 as charged");
    }

    j->chk.checked[FAULTS_I_SCENARIO]++;
    FILE *st = fopen(j->status, "r");
    long viol = -1, forced = -1;
    if (st != NULL) {
        char line[128];
        while (fgets(line, sizeof line, st) != NULL) {
            (void)sscanf(line, "violations=%ld", &viol);
            (void)sscanf(line, "forced_opens=%ld", &forced);
        }
        fclose(st);
    }
    if (viol != 0) {
        judge_fail(j, FAULTS_I_SCENARIO, viol < 0 ? "no plant monitor status" : "the plant's own safety monitor saw a violation");
    }
    if (forced != 0 && !j->forced_ok) {
        judge_fail(j, FAULTS_I_SCENARIO, "the plant saw a contactor opened under load after the timeout");
    }
    if (j->charged && (!s0->seen || s0->charge_s <= 0.0)) {
        judge_fail(j, FAULTS_I_SCENARIO, "the first session should have charged before the fault");
    }
    if (j->no_power && s0->seen && s0->charge_s > 0.0) {
        judge_fail(j, FAULTS_I_SCENARIO, "power was delivered although the fault struck before");
    }
    snprintf(j->obs, sizeof j->obs,
             "first session: stop=%s charged=%.1f s metered=%s; EVSE status after the fault: %s; second session: stop=%s "
             "charged=%.1f s metered=%s; journal records=%u; end state=%s; max I after fault=%.1f A; "
             "plant monitor: violations=%ld forced_opens=%ld; %lu samples",
             s0->seen ? s0->stop : "-", s0->charge_s, s0->meter_ok ? "yes" : "no", faults_check_ev_name(j->ev_worst),
             s1->seen ? s1->stop : "-", s1->charge_s, s1->meter_ok ? "yes" : "no", nrec,
             charger_state_name((enum charger_state)j->last_state), j->max_ma_after / 1000.0, viol, forced,
             j->samples);
}

static void judge_write(struct judge *j, FILE *f, bool ok)
{
    fprintf(f, "scenario %s: %s\n", j->name, ok ? "PASS" : "FAIL");
    fprintf(f, "  fault:    %s\n", j->what);
    fprintf(f, "  strikes:  %s + %ld ms (real transports, Linux board)\n", j->at, j->delay_ms);
    if (j->fired_ms > 0) {
        fprintf(f, "  struck:   t=%.3f s (charger clock)\n", (double)j->fired_ms / 1000.0);
    }
    fprintf(f, "  expected: stop=%s, EV told %s, then a clean second session\n", j->expect_stop,
            faults_check_ev_name(j->expect_ev));
    fprintf(f, "  observed: %s\n", j->obs);
    faults_check_print(&j->chk, f);
}

static void judge_usage(FILE *f)
{
    fprintf(f, "usage: fault-judge --name N --what TEXT --at STATE --delay-ms MS --fired-ms T\n"
               "                   --trace F [--state F] --status F --sessions F --journal F --evsim F\n"
               "                   --stop TOKEN --ev na|normal|shutdown|emergency\n"
               "                   [--forced-ok] [--charged] [--no-power] [--ocmf-bad] [--report-dir DIR]\n"
               "Judges one real-transport fault scenario (docs/faults.md); exit 0 when it passed.\n"
               "--trace: the plant's record; with --state it is cbsomsim's (t mv ma bits) and --state\n"
               "the charger's --state-trace (t state evse active, on change), merged by time; without,\n"
               "the 7-field trace of charger --sim-plant --sim-trace.\n");
}

int main(int argc, char **argv)
{
    struct judge *j = &s_j;
    static const struct option opts[] = {
        {"name", 1, NULL, 'n'},      {"what", 1, NULL, 'w'},     {"at", 1, NULL, 'a'},
        {"delay-ms", 1, NULL, 'd'},  {"fired-ms", 1, NULL, 'f'}, {"trace", 1, NULL, 't'},
        {"status", 1, NULL, 's'},    {"sessions", 1, NULL, 'S'}, {"journal", 1, NULL, 'j'},
        {"evsim", 1, NULL, 'e'},     {"stop", 1, NULL, 'x'},     {"ev", 1, NULL, 'v'},
        {"forced-ok", 0, NULL, 'F'}, {"charged", 0, NULL, 'C'},  {"no-power", 0, NULL, 'N'},
        {"ocmf-bad", 0, NULL, 'O'},  {"report-dir", 1, NULL, 'r'}, {"help", 0, NULL, 'h'},
        {"state", 1, NULL, 'T'},
        {NULL, 0, NULL, 0}};
    int o;
    faults_check_init(&j->chk, 4); /* 5 ms samples: a timeline point every 20 ms at first */
    j->fired_ms = -1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': j->name = optarg; break;
        case 'w': j->what = optarg; break;
        case 'a': j->at = optarg; break;
        case 'd': j->delay_ms = strtol(optarg, NULL, 10); break;
        case 'f': j->fired_ms = strtol(optarg, NULL, 10); break;
        case 't': j->trace = optarg; break;
        case 's': j->status = optarg; break;
        case 'S': j->sessions = optarg; break;
        case 'j': j->journal = optarg; break;
        case 'e': j->evsim = optarg; break;
        case 'x': j->expect_stop = optarg; break;
        case 'v':
            j->expect_ev = strcmp(optarg, "normal") == 0      ? FAULTS_EVR_NORMAL
                           : strcmp(optarg, "shutdown") == 0  ? FAULTS_EVR_SHUTDOWN
                           : strcmp(optarg, "emergency") == 0 ? FAULTS_EVR_EMERGENCY
                                                              : FAULTS_EVR_NA;
            break;
        case 'F': j->forced_ok = true; break;
        case 'C': j->charged = true; break;
        case 'N': j->no_power = true; break;
        case 'O': j->ocmf_bad = true; break;
        case 'r': j->dir = optarg; break;
        case 'T': j->state = optarg; break;
        case 'h': judge_usage(stdout); return 0;
        default: judge_usage(stderr); return 2;
        }
    }
    if (j->name == NULL || j->what == NULL || j->at == NULL || j->trace == NULL || j->status == NULL ||
        j->sessions == NULL || j->journal == NULL || j->expect_stop == NULL || optind != argc) {
        judge_usage(stderr);
        return 2;
    }
    if (j->state != NULL && judge_load_states(j->state) != 0) {
        return 2;
    }
    if (judge_trace(j) != 0) {
        return 2;
    }
    judge_final(j);
    bool ok = faults_check_ok(&j->chk);
    judge_write(j, stdout, ok);
    if (j->dir != NULL) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.txt", j->dir, j->name);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            judge_write(j, f, ok);
            fclose(f);
        }
        snprintf(path, sizeof path, "%s/%s.svg", j->dir, j->name);
        f = fopen(path, "w");
        if (f != NULL) {
            faults_check_svg(&j->chk, f, j->fired_ms > 0, j->fired_ms > 0 ? (uint32_t)j->fired_ms : 0u);
            fclose(f);
        }
    }
    return ok ? 0 : 1;
}
