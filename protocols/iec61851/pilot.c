#include "iec61851/pilot.h"

#include <stddef.h>

/* Band edges in mV, half-way between the nominal levels of IEC 61851-1 table A.4
 * (12, 9, 6, 3, 0, -12 V). The standard's tolerance bands (+-1 V) all lie inside
 * these, and a level between two bands is taken as the nearer state rather than as
 * an error, because real front ends drift with temperature and cable length; a level
 * far outside every band (above 13.5 V) is E. */
#define PILOT_MV_MAX 13500
#define PILOT_MV_AB 10500
#define PILOT_MV_BC 7500
#define PILOT_MV_CD 4500
#define PILOT_MV_DE 1500
#define PILOT_MV_EF (-10500)
/* With the EV's diode in place the low phase of the PWM sits at -12 V. Anything
 * above -10.5 V in the low phase while a vehicle is present means no diode. */
#define PILOT_MV_DIODE_OK (-10500)

void pilot_init(struct pilot *p, const struct pilot_config *cfg)
{
    p->cfg.debounce_ms = cfg != NULL ? cfg->debounce_ms : CFG_PILOT_DEBOUNCE_MS;
    p->state = PILOT_STATE_UNKNOWN;
    p->candidate = PILOT_STATE_UNKNOWN;
    p->candidate_since_ms = 0;
    p->candidate_diode_fault = false;
    p->diode_fault = false;
    p->confirmed = false;
    p->duty_permille = HAL_PILOT_DUTY_DC_HIGH;
}

enum pilot_state pilot_classify(const struct hal_pilot_sample *s, bool pwm_running,
                                bool *diode_fault)
{
    enum pilot_state st;
    bool no_diode = false;

    if (s->high_mv > PILOT_MV_MAX) {
        st = PILOT_STATE_E;
    } else if (s->high_mv >= PILOT_MV_AB) {
        st = PILOT_STATE_A;
    } else if (s->high_mv >= PILOT_MV_BC) {
        st = PILOT_STATE_B;
    } else if (s->high_mv >= PILOT_MV_CD) {
        st = PILOT_STATE_C;
    } else if (s->high_mv >= PILOT_MV_DE) {
        st = PILOT_STATE_D;
    } else if (s->high_mv > PILOT_MV_EF) {
        st = PILOT_STATE_E;
    } else {
        st = PILOT_STATE_F;
    }
    if (pwm_running && (st == PILOT_STATE_B || st == PILOT_STATE_C || st == PILOT_STATE_D) &&
        s->low_mv > PILOT_MV_DIODE_OK) {
        no_diode = true;
        st = PILOT_STATE_E;
    }
    if (diode_fault != NULL) {
        *diode_fault = no_diode;
    }
    return st;
}

static bool pilot_pwm_running(uint16_t duty)
{
    return duty != HAL_PILOT_DUTY_DC_HIGH && duty != HAL_PILOT_DUTY_DC_LOW;
}

bool pilot_update(struct pilot *p, const struct hal_pilot_sample *s, uint32_t now_ms,
                  struct pilot_event *ev)
{
    bool no_diode = false;
    enum pilot_state raw = pilot_classify(s, pilot_pwm_running(p->duty_permille), &no_diode);

    if (raw != p->candidate || no_diode != p->candidate_diode_fault) {
        p->candidate = raw;
        p->candidate_diode_fault = no_diode;
        p->candidate_since_ms = now_ms;
    }
    if ((uint32_t)(now_ms - p->candidate_since_ms) < p->cfg.debounce_ms) {
        return false;
    }
    p->confirmed = true;
    if (p->candidate == p->state) {
        return false;
    }
    ev->from = p->state;
    ev->to = p->candidate;
    ev->diode_fault = p->candidate_diode_fault;
    p->state = p->candidate;
    p->diode_fault = p->candidate_diode_fault;
    return true;
}

int pilot_duty_from_current(uint32_t current_da, uint16_t *duty_permille)
{
    if (current_da < 60u || current_da > 800u) {
        return HAL_EINVAL;
    }
    if (current_da <= 510u) {
        /* 6..51 A: duty[%] = I / 0.6, so duty[0.1 %] = I[0.1 A] * 5 / 3 */
        *duty_permille = (uint16_t)(current_da * 5u / 3u);
    } else {
        /* 51..80 A: duty[%] = I / 2.5 + 64. Just above 51 A this formula gives less than
         * 85 %, which an EV reads with the other formula as under 51 A; 85 % (51 A) is
         * the closest announcement that never exceeds the limit. */
        uint32_t d = current_da * 2u / 5u + 640u;
        *duty_permille = (uint16_t)(d < 850u ? 850u : d);
    }
    return HAL_OK;
}

int pilot_current_from_duty(uint16_t duty_permille, uint32_t *current_da)
{
    if (duty_permille >= 30u && duty_permille <= 70u) {
        /* 3..7 %: the nominal 5 % plus the EV-side tolerance of table A.8 */
        *current_da = 0;
        return HAL_OK;
    }
    if (duty_permille < 80u || duty_permille > 970u) {
        return HAL_EINVAL;
    }
    if (duty_permille <= 850u) {
        *current_da = (uint32_t)duty_permille * 3u / 5u;
    } else {
        *current_da = ((uint32_t)duty_permille - 640u) * 5u / 2u;
    }
    return HAL_OK;
}

void pilot_set_duty(struct pilot *p, uint16_t duty_permille)
{
    if (pilot_pwm_running(duty_permille) != pilot_pwm_running(p->duty_permille)) {
        /* Start the debounce afresh: the next sample is the first under the new duty. */
        p->confirmed = false;
        p->candidate = PILOT_STATE_UNKNOWN;
    }
    p->duty_permille = duty_permille;
}

bool pilot_confirmed(const struct pilot *p)
{
    return p->confirmed;
}

enum pilot_state pilot_state(const struct pilot *p)
{
    return p->state;
}

const char *pilot_state_name(enum pilot_state s)
{
    static const char *const names[] = {"?", "A", "B", "C", "D", "E", "F"};
    if ((unsigned)s >= sizeof names / sizeof names[0]) {
        return "?";
    }
    return names[s];
}
