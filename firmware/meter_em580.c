/* The Carlo Gavazzi EM580/EM300 driver (protocols/em580) behind the meter interface: owns its
 * scheduler task and maps live values, jobs and results. */
#include "meter_em580.h"

#include <string.h>

static void meter_em580_step(struct sched_task *t, uint32_t now_ms)
{
    struct meter_em580 *m = t->ctx;
    sched_task_at(t, em580_step(&m->em, now_ms));
}

/* A job was accepted: run the driver on the next pass instead of at its next live read. */
static int meter_em580_kick(struct meter_em580 *m, int rc, uint32_t now_ms)
{
    if (rc == HAL_OK) {
        sched_task_at(&m->task, now_ms);
    }
    return rc;
}

static int meter_em580_live(struct meter *base, struct meter_live *out)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    struct em580_live lv;
    int rc = em580_live(&m->em, &lv);
    if (rc != HAL_OK && rc != HAL_ETIMEDOUT) {
        return rc;
    }
    out->import_wh = lv.import_wh;
    out->export_wh = lv.export_wh;
    for (unsigned i = 0; i < 3; i++) {
        out->voltage_dv[i] = lv.v_dv[i];
        out->current_ma[i] = lv.i_ma[i];
    }
    out->power_dw = lv.p_total_dw;
    out->at_ms = lv.at_ms;
    out->dc_valid = false; /* L1..L3 phase voltages: nothing for the DC over-voltage monitor */
    out->dc_voltage_mv = 0;
    return rc;
}

static int meter_em580_start(struct meter *base, const struct meter_tx_req *req, uint32_t now_ms)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    struct em580_tx tx = {
        .txid = req->txid,
        .evse_id = req->evse_id,
        .id_data = req->id_data,
        .tariff_text = req->tariff_text,
        .assigned = req->assigned,
        .level = req->level,
        .type = req->type,
        .modality = 0,
    };
    memcpy(tx.flags, req->flags, sizeof tx.flags);
    return meter_em580_kick(m, em580_start(&m->em, &tx), now_ms);
}

static int meter_em580_stop(struct meter *base, const char *txid, uint32_t now_ms)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    return meter_em580_kick(m, em580_stop(&m->em, txid), now_ms);
}

static int meter_em580_confirm(struct meter *base, uint32_t now_ms)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    return meter_em580_kick(m, em580_confirm(&m->em), now_ms);
}

static int meter_em580_result(struct meter *base, struct meter_done *out)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    struct em580_result r;
    int rc = em580_result(&m->em, &r);
    if (rc != HAL_OK) {
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->status = r.status;
    out->error = (uint32_t)r.error;
    out->recovered = r.recovered;
    out->orphan = r.orphan;
    out->confirm_pending = r.confirm_pending;
    /* NOT_READY at a stop of a named transaction: the meter forgot it (no record pending). */
    out->lost = r.job == EM580_JOB_STOP && r.error == EM580_ERR_NO_TRANSACTION;
    if ((r.job == EM580_JOB_STOP && r.status == HAL_OK) || r.orphan) {
        out->ocmf = em580_ocmf(&m->em, &out->ocmf_len);
    }
    return HAL_OK;
}

static int meter_em580_pubkey(struct meter *base, uint8_t *pub, size_t cap, size_t *len,
                              enum hal_crypto_curve *curve)
{
    return em580_pubkey(&((struct meter_em580 *)base)->em, pub, cap, len, curve);
}

static int meter_em580_status(struct meter *base, uint32_t *device_error)
{
    struct meter_em580 *m = (struct meter_em580 *)base;
    enum em580_error e = em580_error(&m->em);
    *device_error = (uint32_t)e;
    switch (em580_phase(&m->em)) {
    case EM580_PH_DETECT:
        return HAL_EAGAIN;
    case EM580_PH_FAILED:
        return HAL_ETIMEDOUT;
    case EM580_PH_READY:
        break;
    }
    return e == EM580_ERR_NONE || e == EM580_ERR_NO_KEY ? HAL_OK : HAL_EIO;
}

static const struct meter_ops s_meter_em580_ops = {
    .live = meter_em580_live,
    .start = meter_em580_start,
    .stop = meter_em580_stop,
    .confirm = meter_em580_confirm,
    .result = meter_em580_result,
    .pubkey = meter_em580_pubkey,
    .status = meter_em580_status,
};

int meter_em580_init(struct meter_em580 *m, struct hal_modbus *mb, const struct em580_config *cfg)
{
    m->base.ops = &s_meter_em580_ops;
    int rc = em580_init(&m->em, mb, cfg);
    if (rc != HAL_OK) {
        return rc;
    }
    sched_task_init(&m->task, "meter_em580", meter_em580_step, m, true);
    return HAL_OK;
}

struct sched_task *meter_em580_task(struct meter_em580 *m)
{
    return &m->task;
}
