/*
 * OCPP 1.6J security whitepaper on the charge point: owns the SecurityProfile key's rule
 * (never lowered over OCPP, A05.FR.01) and the SecurityEventNotification ring: the events we
 * can detect, kept until the CSMS confirmed them, sent after the statuses and the
 * transaction queue. Only with a security profile of the whitepaper (1..3): profile 0 is a
 * lab set-up outside it, and a plain 1.6 CSMS does not know the message.
 */
#include "ocpp/ocpp_sec.h"

#include <stdlib.h>
#include <string.h>

#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_cp.h"

static const char *const k_names[OCPP_SEC_TYPE_COUNT] = {
    "StartupOfTheDevice",
    "ResetOrReboot",
    "SettingSystemTime",
    "FailedToAuthenticateAtCentralSystem",
    "InvalidCentralSystemCertificate",
    "ReconfigurationOfSecurityParameters",
    "InvalidMessages",
    "InvalidChargePointCertificate",
    "InvalidFirmwareSignature",
    "InvalidFirmwareSigningCertificate",
};

const char *ocpp_sec_type_name(enum ocpp_sec_type t)
{
    return (unsigned)t < OCPP_SEC_TYPE_COUNT ? k_names[t] : "?";
}

bool ocpp_sec_critical(enum ocpp_sec_type t)
{
    /* SEC3 §8 (LO's is_critical agrees) */
    return t == OCPP_SEC_STARTUP || t == OCPP_SEC_RESET || t == OCPP_SEC_TIME;
}

static struct ocpp_sec_event *at(struct ocpp_sec_state *s, unsigned i)
{
    return &s->ev[(s->head + i) % CFG_OCPP_SEC_EVENTS];
}

void ocpp_sec_event(struct ocpp_cp *cp, enum ocpp_sec_type t, const char *info, uint32_t now_ms)
{
    struct ocpp_sec_state *s = &cp->sec;
    if ((unsigned)t >= OCPP_SEC_TYPE_COUNT) {
        return;
    }
    hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: security event %s%s%s", k_names[t], info != NULL ? ": " : "",
             info != NULL ? info : "");
    if (s->count == CFG_OCPP_SEC_EVENTS) {
        /* full: the oldest non-critical event makes room (never the head: it may be in flight) */
        unsigned victim = 0;
        for (unsigned i = 1; i < s->count && victim == 0; i++) {
            if (!ocpp_sec_critical((enum ocpp_sec_type)at(s, i)->type)) {
                victim = i;
            }
        }
        if (victim == 0) {
            if (!ocpp_sec_critical(t)) {
                s->dropped++;
                return;
            }
            victim = s->count - 1u; /* all critical: the newest before this one goes */
        }
        for (unsigned i = victim; i + 1u < s->count; i++) {
            *at(s, i) = *at(s, i + 1u);
        }
        s->count--;
        s->dropped++;
    }
    struct ocpp_sec_event *e = at(s, s->count);
    memset(e, 0, sizeof *e);
    e->type = (uint8_t)t;
    e->unix_s = ocpp_cp_unix(cp, now_ms);
    e->at_ms = now_ms;
    if (info != NULL) {
        strncpy(e->info, info, OCPP_SEC_INFO_MAX);
    }
    s->count++;
}

bool ocpp_sec_send(struct ocpp_cp *cp, uint32_t now_ms)
{
    struct ocpp_sec_state *s = &cp->sec;
    int64_t now = ocpp_cp_unix(cp, now_ms);
    if (s->count == 0 || cp->cfg.security_profile < 1 || now == 0) {
        return false; /* no 1970 timestamps: an event waits for the clock */
    }
    struct ocpp_sec_event *e = at(s, 0);
    int64_t when = e->unix_s != 0 ? e->unix_s : now - (int64_t)((uint32_t)(now_ms - e->at_ms) / 1000u);
    struct ocpp_jw w;
    ocpp_jw_init(&w, cp->txbuf, sizeof cp->txbuf);
    if (ocpp_rpc_call(&cp->rpc, &w, "SecurityEventNotification", now_ms) != HAL_OK) {
        return false;
    }
    char t[21];
    ocpp_time_format(when, t);
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "type", k_names[e->type]);
    ocpp_jw_kstr(&w, "timestamp", t);
    if (e->info[0] != '\0') {
        ocpp_jw_kstr(&w, "techInfo", e->info);
    }
    ocpp_jw_obj_end(&w);
    ocpp_rpc_end(&w);
    int n = ocpp_jw_end(&w);
    if (n < 0) {
        ocpp_rpc_reset(&cp->rpc);
        return false;
    }
    cp->txlen = (size_t)n;
    cp->out = OCPP_OUT_SECURITY;
    return true;
}

void ocpp_sec_answer(struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms)
{
    struct ocpp_sec_state *s = &cp->sec;
    if (s->count == 0) {
        return;
    }
    if (m->type == OCPP_CALLERROR) {
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: the backend did not take SecurityEventNotification %s (%s)",
                 k_names[at(s, 0)->type], m->error_text);
    }
    s->head = (uint16_t)((s->head + 1u) % CFG_OCPP_SEC_EVENTS);
    s->count--;
}

const char *ocpp_sec_change_profile(struct ocpp_cp *cp, const char *value, uint32_t now_ms)
{
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || end == NULL || *end != '\0' || v > 3) {
        return "Rejected";
    }
    if ((uint32_t)v <= cp->cfg.security_profile) {
        /* A05.FR.01: never lowered over OCPP (and the same one is no change) */
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: SecurityProfile %ld refused: not above the current %u", v,
                 (unsigned)cp->cfg.security_profile);
        return "Rejected";
    }
    /* A higher profile needs its prerequisites installed (A05.FR.02-04): with certificate
     * management attached they are checked there (ocpp_cert.c), and the board reconnects
     * with the new profile after this answer, falling back to the old one if that fails.
     * Without it nothing installs them over OCPP, so an upgrade is the board's to make. */
    const char *why = cp->cert != NULL ? ocpp_cert_upgrade(cp->cert, cp, (unsigned)v)
                                       : "its prerequisites are the board's configuration, not installed over OCPP";
    if (why != NULL) {
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: SecurityProfile %ld refused: %s", v, why);
        return "Rejected";
    }
    cp->cfg.security_profile = (uint32_t)v;
    hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: SecurityProfile %ld accepted: reconnecting with it", v);
    ocpp_sec_event(cp, OCPP_SEC_RECONFIGURATION, "SecurityProfile raised", now_ms);
    return "Accepted";
}
