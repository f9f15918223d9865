/*
 * The judge of a recorded plant (see faults_check.h): I1..I3 from consecutive samples,
 * the verdict lines and the timeline SVG. Used by the simulator's scenarios and by the
 * judge of the runs on real transports.
 */
#include "faults_check.h"

#include <string.h>

#include "charger.h"
#include "exi/exi_din.h"

static const char *const s_inv_names[FAULTS_INV] = {
    "I1 current below 2 A before a contactor opens",
    "I2 contactors open before the lock releases",
    "I3 no current / stage on while a contactor is open",
    "I4 no module dropped while it may still deliver",
    "I5 every started transaction stopped and journaled once",
    "I6 stop reason (EV and summary) matches the fault",
    "I7 back to idle, the next car charges",
    "I8 scenario checks (timing, clamps, plant monitor)",
};

enum faults_ev_report faults_check_ev_of(int status, int code)
{
    if (code >= exi_din_responseCodeType_FAILED || status == exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
        status == exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction) {
        return FAULTS_EVR_EMERGENCY;
    }
    if (status == exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown) {
        return FAULTS_EVR_SHUTDOWN;
    }
    return status >= 0 || code >= 0 ? FAULTS_EVR_NORMAL : FAULTS_EVR_NA;
}

const char *faults_check_ev_name(enum faults_ev_report r)
{
    static const char *const names[] = {"nothing (n/a)", "normal (EVSE_Ready)", "EVSE_Shutdown",
                                        "EVSE_EmergencyShutdown / FAILED"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

void faults_check_init(struct faults_check *k, uint32_t tl_every)
{
    memset(k, 0, sizeof *k);
    k->tl_every = tl_every > 0 ? tl_every : 1u;
}

void faults_check_fail(struct faults_check *k, enum faults_inv i, uint32_t now_ms, const char *note)
{
    if (!k->fail[i]) {
        k->fail[i] = true;
        snprintf(k->note[i], sizeof k->note[i], "t=%lu.%03lu s: %s", (unsigned long)(now_ms / 1000u),
                 (unsigned long)(now_ms % 1000u), note);
    }
}

bool faults_check_ok(const struct faults_check *k)
{
    for (int i = 0; i < FAULTS_INV; i++) {
        if (k->fail[i]) {
            return false;
        }
    }
    return true;
}

void faults_check_print(const struct faults_check *k, FILE *f)
{
    for (int i = 0; i < FAULTS_INV; i++) {
        fprintf(f, "  %-4s %s (%lu checks)%s%s\n", k->fail[i] ? "FAIL" : "ok", s_inv_names[i],
                (unsigned long)k->checked[i], k->fail[i] ? ": " : "", k->note[i]);
    }
}

static void faults_check_timeline(struct faults_check *k, const struct faults_sample *s)
{
    int32_t a = s->ma < 0 ? -s->ma : s->ma;
    if (a > k->tl_peak_ma) {
        k->tl_peak_ma = a;
    }
    if (++k->tl_count < k->tl_every) {
        return;
    }
    k->tl_count = 0;
    if (k->ntl == FAULTS_TL) { /* full: keep every other point, sample half as often */
        for (uint32_t i = 0; i < FAULTS_TL / 2u; i++) {
            k->tl[i] = k->tl[2u * i + 1u];
        }
        k->ntl = FAULTS_TL / 2u;
        k->tl_every *= 2u;
    }
    struct faults_sample x = *s;
    x.ma = k->tl_peak_ma;
    k->tl_peak_ma = 0;
    k->tl[k->ntl++] = x;
}

void faults_check_sample(struct faults_check *k, const struct faults_sample *s, unsigned ctx)
{
    const uint16_t path = FAULTS_B_CPOS | FAULTS_B_CNEG;
    bool fired = (ctx & FAULTS_C_FIRED) != 0;
    bool forced_ok = (ctx & FAULTS_C_FORCED_OK) != 0 && fired;
    faults_check_timeline(k, s);
    if (k->have_prev) {
        const struct faults_sample *q = &k->prev;
        bool was_closed = (q->bits & path) == path;
        bool opened = ((q->bits & FAULTS_B_CPOS) && !(s->bits & FAULTS_B_CPOS)) ||
                      ((q->bits & FAULTS_B_CNEG) && !(s->bits & FAULTS_B_CNEG));
        if (opened) {
            k->checked[FAULTS_I_OPEN_UNDER_LOAD]++;
            /* Opening under load is accepted only where the scenario allows it and only
             * once the stage has been commanded off for longer than the power-down timeout. */
            bool forced = forced_ok && (s->bits & FAULTS_B_OFF_LONG) && !(s->bits & FAULTS_B_EXPORT);
            if (was_closed && q->ma > FAULTS_SAFE_MA && !forced && !(s->bits & FAULTS_B_GATE)) {
                char note[96];
                snprintf(note, sizeof note, "a contactor opened with %ld mA flowing", (long)q->ma);
                faults_check_fail(k, FAULTS_I_OPEN_UNDER_LOAD, s->t, note);
            }
        }
        bool contact = (s->bits & path) != 0;
        if ((q->bits & FAULTS_B_LOCKED) && !(s->bits & FAULTS_B_LOCKED)) {
            k->checked[FAULTS_I_LOCK_ORDER]++;
            if (contact || (q->bits & path)) {
                faults_check_fail(k, FAULTS_I_LOCK_ORDER, s->t, "the lock released with a contactor closed");
            }
        }
        /* The lock coil dropping with the supply is physics, not a command: the pin's own
         * release (checked above) must still come after the contacts opened. */
        if ((q->bits & FAULTS_B_LOCKCOIL) && !(s->bits & FAULTS_B_LOCKCOIL) && !(ctx & FAULTS_C_POWER_CUT)) {
            k->checked[FAULTS_I_LOCK_ORDER]++;
            if (contact) {
                faults_check_fail(k, FAULTS_I_LOCK_ORDER, s->t, "unlock commanded with a contactor closed");
            }
        }
    }
    if ((s->bits & path) != path) {
        k->checked[FAULTS_I_NO_CURRENT_OPEN]++;
        if (s->ma > FAULTS_SAFE_MA / 4) {
            faults_check_fail(k, FAULTS_I_NO_CURRENT_OPEN, s->t, "current flows while a contactor is open");
        }
        bool gate = (s->bits & FAULTS_B_GATE) != 0;
        if ((s->bits & FAULTS_B_EXPORT) && !forced_ok && !gate) {
            faults_check_fail(k, FAULTS_I_NO_CURRENT_OPEN, s->t, "power stage commanded on while a contactor is open");
        }
        if ((s->bits & FAULTS_B_STAGE) && !forced_ok && !gate) {
            if (k->stage_open_ms == 0) {
                k->stage_open_ms = s->t != 0 ? s->t : 1u;
            } else if (s->t - k->stage_open_ms >= FAULTS_STAGE_GRACE_MS) {
                faults_check_fail(k, FAULTS_I_NO_CURRENT_OPEN, s->t,
                                  "power stage on while a contactor is open (> 100 ms)");
            }
        } else {
            k->stage_open_ms = 0;
        }
    } else {
        k->stage_open_ms = 0;
    }
    k->prev = *s;
    k->have_prev = true;
}

static const char *const s_state_colors[CHARGER_STATE_COUNT] = {
    "#eeeeee", "#dde", "#dde", "#fc8", "#8d8", "#fb8", "#ccc", "#f66",
    "#cdf", "#bdf", "#adf", "#9cf", "#fd6", "#fe9", "#ec9"};

void faults_check_svg(const struct faults_check *k, FILE *f, bool fired, uint32_t fired_ms)
{
    const double W = 860.0, X0 = 100.0;
    uint32_t n = k->ntl;
    if (n < 2) {
        fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='960' height='20'></svg>\n");
        return;
    }
    double t0 = k->tl[0].t, t1 = k->tl[n - 1].t;
    double span = t1 > t0 ? t1 - t0 : 1.0;
    int32_t vmax = 1, imax = 1;
    for (uint32_t i = 0; i < n; i++) {
        vmax = k->tl[i].mv > vmax ? k->tl[i].mv : vmax;
        imax = k->tl[i].ma > imax ? k->tl[i].ma : imax;
    }
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='250' "
               "font-family='monospace' font-size='10'>\n", X0 + W + 10);
#define FX(tt) (X0 + ((double)(tt) - t0) / span * W)
    /* phase band */
    fprintf(f, "<text x='2' y='14'>phase</text>\n");
    uint32_t i0 = 0;
    for (uint32_t i = 1; i <= n; i++) {
        if (i == n || k->tl[i].cstate != k->tl[i0].cstate) {
            uint8_t st = k->tl[i0].cstate;
            double x = FX(k->tl[i0].t), w = FX(k->tl[i - 1].t) - x + 1;
            fprintf(f, "<rect x='%.1f' y='4' width='%.1f' height='14' fill='%s'><title>%s</title></rect>\n", x,
                    w, s_state_colors[st < CHARGER_STATE_COUNT ? st : 0],
                    charger_state_name((enum charger_state)st));
            if (w > 40) {
                fprintf(f, "<text x='%.1f' y='14'>%s</text>\n", x + 2, charger_state_name((enum charger_state)st));
            }
            i0 = i;
        }
    }
    /* voltage and current */
    const char *lab[2] = {"voltage", "current"};
    for (int row = 0; row < 2; row++) {
        double y0 = row == 0 ? 100.0 : 170.0, h = 60.0;
        fprintf(f, "<text x='2' y='%.0f'>%s</text><text x='2' y='%.0f'>max %.0f %s</text>\n", y0 - 40, lab[row],
                y0 - 28, (row == 0 ? vmax : imax) / 1000.0, row == 0 ? "V" : "A");
        fprintf(f, "<line x1='%.0f' y1='%.0f' x2='%.0f' y2='%.0f' stroke='#999'/>\n", X0, y0, X0 + W, y0);
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1' points='", row == 0 ? "#c00" : "#00c");
        for (uint32_t i = 0; i < n; i++) {
            double v = row == 0 ? k->tl[i].mv : k->tl[i].ma;
            double m = row == 0 ? vmax : imax;
            fprintf(f, "%.1f,%.1f ", FX(k->tl[i].t), y0 - (v < 0 ? 0 : v) / m * h);
        }
        fprintf(f, "'/>\n");
    }
    /* digital rows */
    struct {
        const char *name;
        uint8_t bit;
        const char *color;
    } rows[] = {{"DC+ closed", FAULTS_B_CPOS, "#c60"}, {"DC- closed", FAULTS_B_CNEG, "#c60"},
                {"locked", FAULTS_B_LOCKED, "#060"},   {"stage on", FAULTS_B_STAGE, "#a0a"},
                {"fault", FAULTS_B_FAULT, "#d00"}};
    for (size_t row = 0; row < sizeof rows / sizeof rows[0]; row++) {
        double y = 182.0 + 12.0 * (double)row;
        fprintf(f, "<text x='2' y='%.0f'>%s</text>\n", y + 9, rows[row].name);
        uint32_t s0 = 0;
        for (uint32_t i = 1; i <= n; i++) {
            bool on0 = (k->tl[s0].bits & rows[row].bit) != 0;
            if (i == n || ((k->tl[i].bits & rows[row].bit) != 0) != on0) {
                if (on0) {
                    fprintf(f, "<rect x='%.1f' y='%.0f' width='%.1f' height='9' fill='%s'/>\n", FX(k->tl[s0].t),
                            y, FX(k->tl[i - 1].t) - FX(k->tl[s0].t) + 1, rows[row].color);
                }
                s0 = i;
            }
        }
    }
    fprintf(f, "<text x='%.0f' y='246'>%.1f s</text><text x='%.0f' y='246' text-anchor='end'>%.1f s</text>\n",
            X0, t0 / 1000.0, X0 + W, t1 / 1000.0);
    if (fired) {
        fprintf(f, "<line x1='%.1f' y1='0' x2='%.1f' y2='240' stroke='#d00' stroke-dasharray='3,2'/>\n",
                FX(fired_ms), FX(fired_ms));
    }
#undef FX
    fprintf(f, "</svg>\n");
}

