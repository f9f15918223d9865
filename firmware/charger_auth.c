/*
 * charger_auth.c - authorisation of a session: autostart, the EVCCID allow-list
 * (autocharge), an external decision (RFID, backend: charger_authorize()), or a contract
 * the car proved (ISO 15118-2 Plug & Charge: chain and signature checked by the protocol
 * machine), whose eMAID is then the session's token.
 */
#include "charger_priv.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"

/* The session's transaction: its id from the connector name, the session number and the
 * wall clock (<= 36 characters: name (15) - session (<= 10) - Unix seconds (10 until
 * 2286)); its token the one the session was authorised with. */
void charger_start_transaction(struct charger *c, uint32_t now_ms)
{
    if (c->io.meter_session == NULL || c->tx.state != CHARGER_TX_NONE) {
        return;
    }
    int64_t wall_ms = 0;
    if (c->io.clock == NULL || hal_clock_wall(c->io.clock, &wall_ms) != HAL_OK) {
        wall_ms = 0;
    }
    meter_session_set_wall(c->io.meter_session, wall_ms / 1000);
    char txid[sizeof c->tx.id];
    snprintf(txid, sizeof txid, "%.15s-%lu-%lu", c->cfg.name, (unsigned long)(c->current.number % 100000u),
             (unsigned long)(uint32_t)(wall_ms / 1000));
    charger_tx_start(c, txid, c->auth.token.id, now_ms);
}

/* The token of this session: the eMAID of a proved contract, else the EV's EVCCID, unless
 * an external authoriser named one. */
static void charger_auth_token(struct charger *c, enum charger_token_source src, const char *id)
{
    if ((id == NULL || id[0] == '\0') && c->auth.contract[0] != '\0') {
        src = CHARGER_TOKEN_CONTRACT;
        id = c->auth.contract;
    }
    c->auth.token.source = src;
    snprintf(c->auth.token.id, sizeof c->auth.token.id, "%s", id != NULL && id[0] ? id : c->current.evccid);
}

void charger_auth_decide(struct charger *c, bool ok, const char *how, uint32_t now_ms)
{
    c->auth.step = ok ? CHARGER_AUTH_STEP_ACCEPTED : CHARGER_AUTH_STEP_REFUSED;
    c->auth.pending = CHARGER_AUTH_STEP_NONE;
    /* The meter's start window counts from this decision, not from the request: an RFID
     * reader or a backend may well take longer than the meter's timeout. */
    c->auth.decided_ms = now_ms;
    charger_log(c, ok ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms, ok ? "authorised" : "authorisation refused",
                how);
    if (!ok) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_AUTH_REJECTED, ERRORS_SEV_MEDIUM,
                      "authorisation refused", now_ms);
    } else {
        uint32_t dev = 0;
        if (c->tx.state == CHARGER_TX_NONE) {
            c->tx.since_ms = now_ms; /* else it times the last session's stop */
        }
        if (c->io.meter != NULL && meter_status(c->io.meter, &dev) == HAL_OK) {
            charger_start_transaction(c, now_ms);
        }
    }
}

void charger_auth_begin(struct charger *c, uint32_t now_ms)
{
    if (c->auth.step != CHARGER_AUTH_STEP_NONE) {
        return;
    }
    c->auth.step = CHARGER_AUTH_STEP_WAITING;
    c->auth.since_ms = now_ms;
    if (c->auth.contract[0] != '\0' && c->cfg.auth != CHARGER_AUTH_EXTERNAL) {
        /* A contract chain to a configured mobility-operator root and the car's signature
         * over our challenge are the authorisation (the operator chose those roots). With
         * an external authoriser (OCPP) the eMAID waits for its word like any token. */
        charger_auth_token(c, CHARGER_TOKEN_CONTRACT, NULL);
        charger_auth_decide(c, true, "contract (Plug & Charge)", now_ms);
        return;
    }
    switch (c->cfg.auth) {
    case CHARGER_AUTH_AUTOSTART:
        charger_auth_token(c, CHARGER_TOKEN_AUTOSTART, NULL);
        charger_auth_decide(c, true, "autostart", now_ms);
        break;
    case CHARGER_AUTH_ALLOWLIST: {
        bool ok = false;
        for (unsigned i = 0; i < CFG_CHARGER_AUTH_IDS && !ok; i++) {
            ok = c->cfg.auth_ids[i][0] != '\0' && strcmp(c->cfg.auth_ids[i], c->current.evccid) == 0;
        }
        charger_auth_token(c, CHARGER_TOKEN_EVCCID, NULL);
        charger_auth_decide(c, ok, ok ? "EVCCID on the allow-list" : "EVCCID not on the allow-list",
                            now_ms);
        break;
    }
    case CHARGER_AUTH_EXTERNAL:
        charger_log(c, HAL_LOG_INFO, now_ms, "authorisation", "waiting for the external authoriser");
        break;
    }
}

/* An external decision noted between passes (charger_authorize_id), or its timeout. */
void charger_auth_poll(struct charger *c, uint32_t now_ms)
{
    bool waiting = c->auth.step == CHARGER_AUTH_STEP_WAITING;
    if (c->auth.pending != CHARGER_AUTH_STEP_NONE && waiting) {
        /* charger_authorize() came between passes: decided now, with this pass's time. */
        charger_auth_token(c, CHARGER_TOKEN_EXTERNAL, c->auth.pending_id);
        charger_auth_decide(c, c->auth.pending == CHARGER_AUTH_STEP_ACCEPTED, "external authoriser",
                            now_ms);
    } else if (c->cfg.auth == CHARGER_AUTH_EXTERNAL &&
               (waiting || c->auth.step == CHARGER_AUTH_STEP_NONE) &&
               now_ms - c->auth.since_ms >= c->cfg.auth_timeout_ms) {
        charger_auth_decide(c, false, "external authorisation timed out", now_ms);
    }
}
