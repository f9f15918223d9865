/* The absent power stage: never exports, always reads "unknown" (a board without a stage). */
#include "psu_none.h"

static int psu_none_set_mode(struct psu *p, enum psu_mode mode, uint32_t now_ms)
{
    (void)p;
    (void)now_ms;
    return mode == PSU_MODE_OFF ? HAL_OK : HAL_ESTATE;
}

static int psu_none_set_export(struct psu *p, uint32_t voltage_mv, uint32_t current_ma, uint32_t now_ms)
{
    (void)p;
    (void)now_ms;
    (void)voltage_mv;
    (void)current_ma;
    return HAL_ESTATE;
}

static int psu_none_read_output(struct psu *p, struct psu_output *out, uint32_t now_ms)
{
    (void)p;
    (void)now_ms;
    out->voltage_mv = 0;
    out->current_ma = 0;
    out->valid = false;
    return HAL_EIO;
}

/* Nothing is fitted, so no current can flow: the interlock's power-down needs no
 * read-back (which psu_none cannot give). The voltage stays unknown. */
static bool psu_none_never_exports(const struct psu *p)
{
    (void)p;
    return true;
}

static const struct psu_ops s_psu_none_ops = {
    .set_mode = psu_none_set_mode,
    .set_export = psu_none_set_export,
    .read_output = psu_none_read_output,
    .never_exports = psu_none_never_exports,
};

void psu_none_init(struct psu *p)
{
    p->ops = &s_psu_none_ops;
}
