/*
 * charger_transport.c - the session manager's V2GTP transport over evse_link (SLAC, SDP, TCP or
 * TLS): the struct charger_transport operations the session uses, so that tests can put a fake
 * transport in its place.
 */
#include "charger_transport.h"

static enum charger_transport_state charger_transport_evse_state(struct charger_transport *base)
{
    struct evse_link *l = ((struct charger_transport_evse *)base)->l;
    switch (l->state) {
    case EVSE_LINK_CONNECTED:
        return CHARGER_TRANSPORT_CONNECTED;
    case EVSE_LINK_FAILED:
        return CHARGER_TRANSPORT_FAILED;
    case EVSE_LINK_SLAC:
    case EVSE_LINK_WAIT_TCP:
        break;
    }
    return CHARGER_TRANSPORT_MATCHING;
}

static int charger_transport_evse_recv(struct charger_transport *base, uint16_t *type, const uint8_t **payload,
                                  uint32_t *len)
{
    return evse_link_recv(((struct charger_transport_evse *)base)->l, type, payload, len);
}

static void charger_transport_evse_consume(struct charger_transport *base, uint32_t now_ms)
{
    evse_link_consume(((struct charger_transport_evse *)base)->l, now_ms);
}

static int charger_transport_evse_send(struct charger_transport *base, uint16_t type, const uint8_t *payload,
                                  uint32_t len, uint32_t now_ms)
{
    struct evse_link *l = ((struct charger_transport_evse *)base)->l;
    int rc = evse_link_send(l, type, payload, len);
    if (rc == HAL_OK) {
        /* Flush now rather than on the link's next pass: the answer is due within 25 ms. */
        evse_link_step(l, now_ms);
    }
    return rc;
}

static int charger_transport_evse_restart(struct charger_transport *base, uint32_t now_ms)
{
    return evse_link_restart(((struct charger_transport_evse *)base)->l, now_ms);
}

static const char *charger_transport_evse_reason(struct charger_transport *base)
{
    struct evse_link *l = ((struct charger_transport_evse *)base)->l;
    if (l->state == EVSE_LINK_FAILED && l->slac.reason != NULL) {
        return l->slac.reason;
    }
    return l->reason != NULL ? l->reason : "";
}

static enum hlc_transport charger_transport_evse_transport(struct charger_transport *base)
{
    uint16_t v = evse_link_security(((struct charger_transport_evse *)base)->l);
    return v == 0u        ? HLC_TRANSPORT_TCP
           : v == 0x0304u ? HLC_TRANSPORT_TLS13
           : v == 0x0303u ? HLC_TRANSPORT_TLS12
                          : HLC_TRANSPORT_UNKNOWN;
}

static const struct charger_transport_ops s_ops = {
    .transport = charger_transport_evse_transport,
    .state = charger_transport_evse_state,
    .recv = charger_transport_evse_recv,
    .consume = charger_transport_evse_consume,
    .send = charger_transport_evse_send,
    .restart = charger_transport_evse_restart,
    .reason = charger_transport_evse_reason,
};

void charger_transport_evse_init(struct charger_transport_evse *a, struct evse_link *l)
{
    a->base.ops = &s_ops;
    a->l = l;
}
