#include "fake_power.h"

#include <stddef.h>
#include <string.h>

static void fake_power_note(struct fake_power *f, enum fake_power_event ev)
{
    if (f->njournal < FAKE_POWER_JOURNAL) {
        f->journal[f->njournal] = ev;
        f->journal_ms[f->njournal] = f->now_ms;
        f->njournal++;
    }
}

static int fake_gpio_write(struct hal_gpio *g, enum hal_gpio_out out, bool on)
{
    struct fake_power *f = (struct fake_power *)((char *)g - offsetof(struct fake_power, gpio));
    if ((unsigned)out >= HAL_GPIO_OUT_COUNT) {
        return HAL_EINVAL;
    }
    if (f->coil[out] == on) {
        return HAL_OK;
    }
    f->coil[out] = on;
    if (out == HAL_GPIO_OUT_LOCK) {
        if (!on && (f->fb_pos || f->fb_neg)) {
            f->breach_unlock_while_closed++;
        }
        fake_power_note(f, on ? FAKE_LOCK : FAKE_UNLOCK);
        return HAL_OK;
    }
    if (on && !f->fb_lock) {
        f->breach_close_unlocked++;
    }
    if (!on && f->current_ma > 2000 && !f->current_stuck) {
        f->breach_open_under_load++;
    }
    /* Both coils move together in the code under test; journal the pair once. */
    if (out == HAL_GPIO_OUT_CONTACTOR_POS) {
        fake_power_note(f, on ? FAKE_CONTACTORS_CLOSE : FAKE_CONTACTORS_OPEN);
    }
    return HAL_OK;
}

static int fake_gpio_read(struct hal_gpio *g, enum hal_gpio_in in, bool *on)
{
    struct fake_power *f = (struct fake_power *)((char *)g - offsetof(struct fake_power, gpio));
    if (f->io_error) {
        return HAL_EIO;
    }
    switch (in) {
    case HAL_GPIO_IN_CONTACTOR_POS_FB:
        *on = f->fb_pos;
        return HAL_OK;
    case HAL_GPIO_IN_CONTACTOR_NEG_FB:
        *on = f->fb_neg;
        return HAL_OK;
    case HAL_GPIO_IN_LOCK_FB:
        *on = f->fb_lock && !f->lock_fb_lost;
        return HAL_OK;
    case HAL_GPIO_IN_ESTOP:
        if (f->no_estop_input) {
            return HAL_ENOTSUP;
        }
        *on = f->estop;
        return HAL_OK;
    case HAL_GPIO_IN_COUNT:
        break;
    }
    return HAL_EINVAL;
}

static const struct hal_gpio_ops s_fake_gpio_ops = {.write = fake_gpio_write, .read = fake_gpio_read};

static int fake_psu_mode(struct psu *p, enum psu_mode m, uint32_t now_ms)
{
    (void)now_ms; /* the journal keeps the fake's own tick time */
    struct fake_power *f = (struct fake_power *)((char *)p - offsetof(struct fake_power, psu));
    /* Every "off" is journaled, even a repeated one: the order check needs the command. */
    if (m == f->mode && m != PSU_MODE_OFF) {
        return HAL_OK;
    }
    if (m == PSU_MODE_EXPORT && !(f->fb_pos && f->fb_neg)) {
        f->breach_export_open++;
    }
    f->mode = m;
    fake_power_note(f, m == PSU_MODE_OFF ? FAKE_PSU_OFF : FAKE_PSU_EXPORT);
    return HAL_OK;
}

static int fake_psu_export(struct psu *p, uint32_t mv, uint32_t ma, uint32_t now_ms)
{
    (void)now_ms;
    struct fake_power *f = (struct fake_power *)((char *)p - offsetof(struct fake_power, psu));
    f->set_mv = mv;
    f->set_ma = ma;
    return HAL_OK;
}

static int fake_psu_read(struct psu *p, struct psu_output *out, uint32_t now_ms)
{
    (void)now_ms;
    struct fake_power *f = (struct fake_power *)((char *)p - offsetof(struct fake_power, psu));
    if (f->psu_unreadable) {
        out->valid = false;
        return HAL_EIO;
    }
    out->voltage_mv = f->mode == PSU_MODE_EXPORT ? 400000 : f->off_mv;
    out->current_ma = f->current_ma;
    out->valid = true;
    return HAL_OK;
}

static const struct psu_ops s_fake_psu_ops = {
    .set_mode = fake_psu_mode, .set_export = fake_psu_export, .read_output = fake_psu_read};

void fake_power_init(struct fake_power *f)
{
    memset(f, 0, sizeof *f);
    f->gpio.ops = &s_fake_gpio_ops;
    f->psu.ops = &s_fake_psu_ops;
    f->mode = PSU_MODE_OFF;
}

void fake_power_tick(struct fake_power *f, uint32_t now_ms)
{
    f->now_ms = now_ms;
    bool pos = f->coil[HAL_GPIO_OUT_CONTACTOR_POS];
    if (!(f->weld_pos && f->fb_pos) && !(f->pos_never_closes && pos)) {
        f->fb_pos = pos;
    }
    f->fb_neg = f->coil[HAL_GPIO_OUT_CONTACTOR_NEG];
    if (!f->lock_stuck) {
        f->fb_lock = f->coil[HAL_GPIO_OUT_LOCK];
    }
    bool path = f->fb_pos && f->fb_neg;
    if (!path) {
        f->current_ma = 0;
    } else if (f->mode == PSU_MODE_EXPORT) {
        f->current_ma = 100000;
    } else if (!f->current_stuck) {
        f->current_ma = 0;
    }
}

int fake_power_find(const struct fake_power *f, enum fake_power_event ev, int from)
{
    for (int i = from < 0 ? 0 : from; i < f->njournal; i++) {
        if (f->journal[i] == ev) {
            return i;
        }
    }
    return -1;
}
