/*
 * OCPP 1.6J security whitepaper on the charge point: owns the SecurityProfile key's rule
 * (never lowered over OCPP, A05.FR.01) and the SecurityEventNotification ring: the events we
 * can detect, kept until the CSMS confirmed them, sent after the statuses and the
 * transaction queue. Only with a security profile of the whitepaper (1..3): profile 0 is a
 * lab set-up outside it, and a plain 1.6 CSMS does not know the message.
 */
#include "ocpp/ocpp_sec.h"

#include <stdio.h>
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
    if (cp->sec.switch_to != 0u) {
        /* the answer of the first one has not gone out yet: one switch at a time */
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: SecurityProfile %ld refused: a switch to %u is under way", v,
                 (unsigned)cp->sec.switch_to);
        return "Rejected";
    }
    /* A higher profile needs its prerequisites installed (A05.FR.02-04): with certificate
     * management attached they are checked there (ocpp_cert.c), and the board says whether
     * its link can connect with it. Without it nothing installs them over OCPP. */
    const char *why = cp->cert != NULL ? ocpp_cert_upgrade(cp->cert, cp, (unsigned)v)
                                       : "its prerequisites are the board's configuration, not installed over OCPP";
    if (why != NULL) {
        hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: SecurityProfile %ld refused: %s", v, why);
        return "Rejected";
    }
    /* the profile in cfg stays the old one until a connection with the new one opens: a
     * failed switch falls back to it, and a reboot meanwhile comes up with it */
    cp->sec.switch_to = (uint8_t)v;
    cp->sec.switch_fails = 0;
    cp->sec.relink = true;
    hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: SecurityProfile %ld accepted: reconnecting with it", v);
    return "Accepted";
}

void ocpp_sec_key_changed(struct ocpp_cp *cp, uint32_t now_ms)
{
    cp->sec.key_stored = true;
    ocpp_sec_event(cp, OCPP_SEC_RECONFIGURATION, "AuthorizationKey changed", now_ms);
    /* A01: the key is Basic authentication's password on profiles 1 and 2 only (a switch
     * under way reconnects anyway) */
    unsigned p = ocpp_sec_link_profile(cp);
    if (p == 1u || p == 2u) {
        cp->sec.relink = true;
        hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: AuthorizationKey changed: reconnecting with it");
    }
}

unsigned ocpp_sec_link_profile(const struct ocpp_cp *cp)
{
    return cp->sec.switch_to != 0u ? cp->sec.switch_to : (unsigned)cp->cfg.security_profile;
}

bool ocpp_sec_link_relink(struct ocpp_cp *cp)
{
    bool r = cp->sec.relink;
    cp->sec.relink = false;
    return r;
}

static void changed(struct ocpp_cp *cp)
{
    cp->store_gen++;
    if (cp->ops != NULL && cp->ops->persist != NULL) {
        cp->ops->persist(cp->ctx);
    }
}

void ocpp_sec_link_opened(struct ocpp_cp *cp, uint32_t now_ms)
{
    struct ocpp_sec_state *s = &cp->sec;
    if (s->switch_to == 0u) {
        return;
    }
    /* A05: the new profile works: it is the profile from now on, stored before anything
     * else goes over the link, so lower ones are never used again (also after a restart) */
    unsigned from = (unsigned)cp->cfg.security_profile;
    cp->cfg.security_profile = s->switch_to;
    s->profile_stored = true;
    s->switch_to = 0;
    s->switch_fails = 0;
    changed(cp);
    char info[OCPP_SEC_INFO_MAX + 48u]; /* the event keeps its first 63 */
    snprintf(info, sizeof info, "SecurityProfile raised from %u to %u", from, (unsigned)cp->cfg.security_profile);
    hal_logf(cp->log, HAL_LOG_INFO, now_ms, "ocpp: connected with SecurityProfile %u: kept", 
             (unsigned)cp->cfg.security_profile);
    ocpp_sec_event(cp, OCPP_SEC_RECONFIGURATION, info, now_ms);
}

void ocpp_sec_link_failed(struct ocpp_cp *cp, const char *why, uint32_t now_ms)
{
    struct ocpp_sec_state *s = &cp->sec;
    if (s->switch_to == 0u) {
        return;
    }
    s->switch_fails++;
    hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: SecurityProfile %u: connect %u of %u failed (%s)",
             (unsigned)s->switch_to, (unsigned)s->switch_fails, (unsigned)CFG_OCPP_SEC_SWITCH_ATTEMPTS,
             why != NULL ? why : "?");
    if (s->switch_fails < CFG_OCPP_SEC_SWITCH_ATTEMPTS) {
        return;
    }
    /* A05 (SHOULD): back to the profile that worked; the CSMS hears why once connected */
    char info[OCPP_SEC_INFO_MAX + 48u]; /* the event keeps its first 63 */
    snprintf(info, sizeof info, "SecurityProfile %u failed (%.20s): back to %u", (unsigned)s->switch_to,
             why != NULL ? why : "?", (unsigned)cp->cfg.security_profile);
    hal_logf(cp->log, HAL_LOG_WARN, now_ms, "ocpp: %s", info);
    s->switch_to = 0;
    s->switch_fails = 0;
    s->relink = true;
    ocpp_sec_event(cp, OCPP_SEC_RECONFIGURATION, info, now_ms);
}

void ocpp_sec_store_export(const struct ocpp_cp *cp, void (*put)(void *ctx, const char *text, size_t len),
                           void *ctx)
{
    char line[OCPP_SEC_INFO_MAX + 64u];
    int n;
    if (cp->sec.profile_stored) {
        /* A00.FR.005 forbids lowering over OCPP only: a profile the operator configured
         * and never raised over OCPP is not written, so a configuration may lower it */
        n = snprintf(line, sizeof line, "sec SecurityProfile %u\n", (unsigned)cp->cfg.security_profile);
        put(ctx, line, (size_t)n);
    }
    if (cp->sec.key_stored) {
        /* the store file is the board's secret file (mode 0600); the key is printable
         * (ocpp_cp.c refuses others), so it stays one line */
        n = snprintf(line, sizeof line, "sec AuthorizationKey %s\n", cp->cfg.authorization_key);
        put(ctx, line, (size_t)n);
    }
}

int ocpp_sec_store_line(struct ocpp_cp *cp, const char *line, const char **why)
{
    static const char k_prof[] = "sec SecurityProfile ", k_key[] = "sec AuthorizationKey ";
    if (strncmp(line, k_prof, sizeof k_prof - 1u) == 0) {
        const char *v = line + sizeof k_prof - 1u;
        if (v[0] < '0' || v[0] > '3' || v[1] != '\0') {
            *why = "SecurityProfile not 0..3";
            return HAL_EINVAL;
        }
        /* no-downgrade across a restart: the stored profile raises the configured one,
         * never lowers it (a configuration raised by hand wins) */
        if ((uint32_t)(v[0] - '0') > cp->cfg.security_profile) {
            cp->cfg.security_profile = (uint32_t)(v[0] - '0');
        }
        cp->sec.profile_stored = true;
        return HAL_OK;
    }
    if (strncmp(line, k_key, sizeof k_key - 1u) == 0) {
        const char *v = line + sizeof k_key - 1u;
        size_t n = strlen(v);
        if (n < 16u || n >= sizeof cp->cfg.authorization_key) {
            *why = "AuthorizationKey not 16..40 characters";
            return HAL_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)v[i] < 0x20u || v[i] == 0x7f) {
                *why = "AuthorizationKey with a control character"; /* as over OCPP */
                return HAL_EINVAL;
            }
        }
        memcpy(cp->cfg.authorization_key, v, n + 1u);
        cp->sec.key_stored = true;
        return HAL_OK;
    }
    *why = "unknown sec line";
    return HAL_EINVAL;
}
