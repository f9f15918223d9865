/* sim_reader.c - owns the simulated token reader (`sim --id-tag`): the k-th session of the
 * run takes the k-th token as its car plugs in (the last one again after the list) and the
 * reader presents it to the station, through the OCPP charge point when there is one (its
 * local list, cache, LocalPreAuthorize, Authorize and offline rules decide, and a refusal
 * ends the session without a transaction), else straight to the station.
 *
 * Why the token is held before it goes: against a CSMS the car plugs in about a second after
 * the start, often before the BootNotification is accepted; presented then, the charge point
 * would decide offline. A driver taps the card while the car talks to the charger (SLAC, the
 * protocol handshake), so the reader waits for the registration, but not past the moment the
 * session asks for authorisation: then it goes, and offline is offline. */
#include "sim_reader.h"

#include <string.h>

void sim_reader_init(struct sim_reader *r, const struct sim_options *o, struct station *st,
                     struct charger *const *conns, uint8_t n, struct sim_ocpp *ocpp, struct hal_log *log)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->st = st;
    for (uint8_t i = 0; i < n && i < SIM_MAX_CONNECTORS; i++) {
        r->conns[i] = conns[i];
    }
    r->ocpp = ocpp != NULL && ocpp->on ? ocpp : NULL;
    r->log = log;
}

void sim_reader_event(void *ctx, const struct station_event *e, uint32_t now_ms)
{
    struct sim_reader *r = ctx;
    if (r->o->id_tag_count == 0 || e->kind != STATION_EV_SESSION_STARTED || e->connector >= SIM_MAX_CONNECTORS ||
        r->conns[e->connector] == NULL) {
        return;
    }
    uint32_t k = r->presented < r->o->id_tag_count ? r->presented : r->o->id_tag_count - 1u;
    r->presented++;
    memcpy(r->pending[e->connector], r->o->id_tags[k], SIM_ID_TAG_MAX);
    hal_logf(r->log, HAL_LOG_INFO, now_ms, "[%s] token reader: card %s (session %lu)",
             charger_config_of(r->conns[e->connector])->name, r->pending[e->connector],
             (unsigned long)e->u.started.number);
}

void sim_reader_pass(void *ctx, uint32_t now_ms)
{
    struct sim_reader *r = ctx;
    for (uint8_t i = 0; i < SIM_MAX_CONNECTORS; i++) {
        char *tag = r->pending[i];
        if (tag[0] == '\0' || r->conns[i] == NULL) {
            continue;
        }
        enum charger_state s = charger_state(r->conns[i]);
        const char *name = charger_config_of(r->conns[i])->name;
        if (s != CHARGER_LINK && s != CHARGER_NEGOTIATING && s != CHARGER_AUTHORIZING) {
            hal_logf(r->log, HAL_LOG_WARN, now_ms, "[%s] token reader: card %s not presented: the session is %s", name,
                     tag, charger_state_name(s));
            tag[0] = '\0';
            continue;
        }
        int rc;
        if (r->ocpp != NULL) {
            const struct ocpp_cp *cp = &r->ocpp->os.cp;
            if (!(cp->online && cp->reg == OCPP_REG_ACCEPTED) && s != CHARGER_AUTHORIZING) {
                continue; /* the charge point is not registered yet: held (see the top) */
            }
            rc = ocpp_station_authorize(&r->ocpp->os, i, tag);
            if (rc == HAL_EBUSY) {
                continue; /* another Authorize is out: next pass */
            }
        } else {
            rc = station_authorize(r->st, i, tag, STATION_TOKEN_RFID);
        }
        /* HAL_ESTATE: refused (the charge point said why) */
        hal_logf(r->log, rc == HAL_OK || rc == HAL_ESTATE ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms,
                 "[%s] token reader: card %s presented%s%s", name, tag, rc == HAL_OK || rc == HAL_ESTATE ? "" : ": ",
                 rc == HAL_OK || rc == HAL_ESTATE ? "" : hal_strerror(rc));
        tag[0] = '\0';
    }
}
