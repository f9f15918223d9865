#include "slac/slac.h"

#include <string.h>

#include "hal_clock.h"

void slac_config_default(struct slac_config *c)
{
    memset(c, 0, sizeof *c);
    c->tt_match_response_ms = 200;
    c->c_match_retry = 2;
    c->tt_match_join_ms = 12000;
    c->set_key_timeout_ms = 1000;
    c->set_key_retries = 2;
    c->use_modem = true;
    c->c_conn_max_match = 3;
    c->num_sounds = 10;
    c->sound_time_out = 6;
    c->tt_evse_slac_init_ms = 40000;
    c->tt_match_sequence_ms = 400;
    c->tt_evse_match_session_ms = 10000;
    c->profile_grace_ms = 50;
    c->fallback_atten_db = 10;
    c->tp_batch_ms = 20;
    c->c_start_atten = 3;
    c->tt_ev_atten_results_ms = 1200;
    c->tt_matching_rate_ms = 400;
    c->parm_retries = 2;
}

int slac_outbox_put(struct slac_outbox *o, const struct homeplug_msg *m)
{
    if (o->count >= CFG_SLAC_OUTBOX) {
        o->dropped++;
        return HAL_ENOMEM;
    }
    struct slac_frame *f = &o->f[(o->head + o->count) % CFG_SLAC_OUTBOX];
    size_t n = 0;
    if (homeplug_encode(m, f->data, sizeof f->data, &n) != HAL_OK) {
        return HAL_EINVAL;
    }
    f->len = (uint16_t)n;
    o->count++;
    return HAL_OK;
}

int slac_outbox_pop(struct slac_outbox *o, uint8_t *buf, size_t cap, size_t *len)
{
    if (o->count == 0) {
        return HAL_EAGAIN;
    }
    const struct slac_frame *f = &o->f[o->head];
    if (f->len > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, f->data, f->len);
    *len = f->len;
    o->head = (uint8_t)((o->head + 1u) % CFG_SLAC_OUTBOX);
    o->count--;
    return HAL_OK;
}

bool slac_due(bool armed, uint32_t due, uint32_t now)
{
    return armed && hal_time_reached(now, due);
}
