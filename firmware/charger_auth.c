/*
 * charger_auth.c - authorisation of a session: autostart, the EVCCID allow-list
 * (autocharge) or an external decision (RFID, backend: charger_authorize()). A contract
 * certificate (ISO 15118 Plug & Charge) would be one more source decided here.
 */
#include "charger_priv.h"

#include <string.h>

void charger_auth_decide(struct charger *c, bool ok, const char *how, uint32_t now_ms)
{
    c->auth_decided = true;
    c->auth_ok = ok;
    c->auth_pending = false;
    /* The meter's start window counts from this decision, not from the request: an RFID
     * reader or a backend may well take longer than the meter's timeout. */
    c->auth_decided_ms = now_ms;
    charger_log(c, ok ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms, ok ? "authorised" : "authorisation refused",
                how);
    if (!ok) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_AUTH_REJECTED, ERRORS_SEV_MEDIUM,
                      "authorisation refused", now_ms);
    } else {
        uint32_t dev = 0;
        c->tx_since_ms = now_ms;
        if (c->io.meter_dev != NULL && meter_status(c->io.meter_dev, &dev) == HAL_OK) {
            charger_meter_start(c, now_ms);
        }
    }
}

void charger_auth_begin(struct charger *c, uint32_t now_ms)
{
    if (c->auth_started) {
        return;
    }
    c->auth_started = true;
    c->auth_since_ms = now_ms;
    switch (c->cfg.auth) {
    case CHARGER_AUTH_AUTOSTART:
        charger_auth_decide(c, true, "autostart", now_ms);
        break;
    case CHARGER_AUTH_ALLOWLIST: {
        bool ok = false;
        for (unsigned i = 0; i < CFG_CHARGER_AUTH_IDS && !ok; i++) {
            ok = c->cfg.auth_ids[i][0] != '\0' && strcmp(c->cfg.auth_ids[i], c->current.evccid) == 0;
        }
        charger_auth_decide(c, ok, ok ? "EVCCID on the allow-list" : "EVCCID not on the allow-list",
                            now_ms);
        break;
    }
    case CHARGER_AUTH_EXTERNAL:
        charger_log(c, HAL_LOG_INFO, now_ms, "authorisation", "waiting for the external authoriser");
        break;
    }
}
