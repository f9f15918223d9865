/* sim_meas.c - owns the measuring link (struct sim_meas_link): a charger_transport that
 * forwards to the real one (evse_link through its adapter) and times each request to its
 * answer on the wall clock; only CurrentDemandRes (DIN, ISO-2) and DC_ChargeLoopRes
 * (ISO 15118-20) are counted. A fault scenario watching
 * the connector sees (and may alter) the requests and sees every response here. */
#include "sim_meas.h"

#include "din/din.h"
#include "iso2/iso2_evse.h"
#include "v2gtp/v2gtp.h"

static enum charger_transport_state sim_meas_state(struct charger_transport *b)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    return m->inner->ops->state(m->inner);
}

static int sim_meas_recv(struct charger_transport *b, uint16_t *type, const uint8_t **p, uint32_t *len)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    int rc = m->inner->ops->recv(m->inner, type, p, len);
    if (rc == HAL_OK && m->faults != NULL && *type == V2GTP_PT_EXI) {
        (void)faults_filter_request(m->faults, *p, *len, p, len);
    }
    if (rc == HAL_OK && !m->have) {
        clock_gettime(CLOCK_MONOTONIC, &m->t0);
        m->have = true;
    }
    return rc;
}

static void sim_meas_consume(struct charger_transport *b, uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    m->inner->ops->consume(m->inner, now_ms);
}

static int sim_meas_send(struct charger_transport *b, uint16_t type, const uint8_t *p, uint32_t len,
                         uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    int rc = m->inner->ops->send(m->inner, type, p, len, now_ms);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (m->faults != NULL) {
        faults_saw_response(m->faults, type, p, len); /* decoded there, in the negotiated protocol */
    }
    if (m->have) {
        m->have = false;
        /* Classified after the clock stopped: only CurrentDemandRes are counted, of either
         * protocol (the link does not know which one was negotiated: DIN is tried first),
         * and -20's DC_ChargeLoopRes, told apart by its payload type. */
        struct exi_reader r;
        exi_reader_init(&r, p, len);
        bool cd;
        if (type == 0x8004u) {
            /* ISO 15118-20 DC: the payload type names the grammar; its loop counts. */
            cd = exi_iso20_dc_decode(&r, &m->dc20) == HAL_OK && m->dc20.DC_ChargeLoopRes_isUsed;
        } else {
            cd = exi_din_decode(&r, &m->doc) == HAL_OK && din_response_kind(&m->doc) == DIN_MSG_CURRENT_DEMAND;
        }
        if (!cd && type != 0x8004u) {
            exi_reader_init(&r, p, len);
            cd = exi_iso2_decode(&r, &m->iso2) == HAL_OK &&
                 iso2_response_kind(&m->iso2) == ISO2_MSG_CURRENT_DEMAND;
        }
        if (cd && m->n < SIM_LAT_MAX) {
            int64_t ns = (int64_t)(t1.tv_sec - m->t0.tv_sec) * 1000000000LL + (t1.tv_nsec - m->t0.tv_nsec);
            m->ns[m->n++] = (uint32_t)(ns > 0 ? ns : 0);
        }
    }
    return rc;
}

static int sim_meas_restart(struct charger_transport *b, uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    m->have = false;
    return m->inner->ops->restart(m->inner, now_ms);
}

static const char *sim_meas_reason(struct charger_transport *b)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    return m->inner->ops->reason(m->inner);
}

static const struct charger_transport_ops s_meas_ops = {
    .state = sim_meas_state, .recv = sim_meas_recv, .consume = sim_meas_consume,
    .send = sim_meas_send, .restart = sim_meas_restart, .reason = sim_meas_reason};

void sim_meas_init(struct sim_meas_link *m, struct charger_transport *inner)
{
    m->base.ops = &s_meas_ops;
    m->inner = inner;
}
