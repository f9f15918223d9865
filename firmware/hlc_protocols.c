/*
 * hlc_protocols.c - the V2G protocol priority list (`v2g.protocols`): the names, which of
 * them have a backend in this build, the default list and the parser with its reasons.
 * Kept apart from hlc.c so that a configuration reader (and its fuzzer) can check a list
 * without linking any protocol machine.
 */
#include "hlc.h"

#include <stdio.h>
#include <string.h>

static const char *const s_names[HLC_PROTO_COUNT] = {
    [HLC_PROTO_DIN] = "din",
    [HLC_PROTO_ISO2] = "iso2",
    [HLC_PROTO_ISO20] = "iso20",
};

/* Which protocols have a backend compiled in (hlc.c links them). */
static const bool s_enabled[HLC_PROTO_COUNT] = {
    [HLC_PROTO_DIN] = CFG_HLC_DIN != 0,
    [HLC_PROTO_ISO2] = CFG_HLC_ISO2 != 0,
    [HLC_PROTO_ISO20] = CFG_HLC_ISO20 != 0,
};

const char *hlc_protocol_name(enum hlc_protocol p)
{
    return (unsigned)p < HLC_PROTO_COUNT ? s_names[p] : "?";
}

bool hlc_protocol_enabled(enum hlc_protocol p)
{
    return (unsigned)p < HLC_PROTO_COUNT && s_enabled[p];
}

/* ISO-2 before DIN (issue 14): most cars offer both and newer ones prefer -2, which every
 * renegotiation and pause feature needs; a DIN-only car still gets DIN, since the EV's
 * priority decides among the protocols we speak. Compiled-out protocols drop out. */
void hlc_default_protocols(struct hlc_protocols *out)
{
    static const enum hlc_protocol s_default[] = {HLC_PROTO_ISO2, HLC_PROTO_DIN};
    memset(out, 0, sizeof *out);
    for (size_t k = 0; k < sizeof s_default / sizeof s_default[0]; k++) {
        if (s_enabled[s_default[k]]) {
            out->list[out->count++] = s_default[k];
        }
    }
    for (unsigned p = 0; out->count == 0 && p < HLC_PROTO_COUNT; p++) {
        if (s_enabled[p]) {
            out->list[out->count++] = (enum hlc_protocol)p; /* DIN compiled out: the first other */
        }
    }
}

static int hlc_refuse(char *reason, size_t cap, const char *fmt, const char *what)
{
    if (reason != NULL && cap > 0) {
        snprintf(reason, cap, fmt, what);
    }
    return HAL_EINVAL;
}

int hlc_parse_protocols(const char *text, struct hlc_protocols *out, char *reason, size_t cap)
{
    struct hlc_protocols l;
    memset(&l, 0, sizeof l);
    if (text == NULL || out == NULL) {
        return hlc_refuse(reason, cap, "%s", "no list");
    }
    const char *s = text;
    for (;;) {
        s += strspn(s, ", \t");
        if (*s == '\0') {
            break;
        }
        size_t n = strcspn(s, ", \t");
        char name[16];
        if (n >= sizeof name) {
            return hlc_refuse(reason, cap, "%s", "a protocol name longer than 15 characters");
        }
        memcpy(name, s, n);
        name[n] = '\0';
        s += n;
        unsigned p = 0;
        while (p < HLC_PROTO_COUNT && strcmp(s_names[p], name) != 0) {
            p++;
        }
        if (p == HLC_PROTO_COUNT) {
            return hlc_refuse(reason, cap, "unknown protocol \"%s\" (known: din, iso2, iso20)", name);
        }
        if (!s_enabled[p]) {
            return hlc_refuse(reason, cap, "protocol \"%s\" is not enabled in this build", name);
        }
        for (uint8_t k = 0; k < l.count; k++) {
            if (l.list[k] == (enum hlc_protocol)p) {
                return hlc_refuse(reason, cap, "protocol \"%s\" named twice", name);
            }
        }
        if (l.count >= HLC_PROTOCOLS_MAX) {
            return hlc_refuse(reason, cap, "%s", "more protocols than the list holds");
        }
        l.list[l.count++] = (enum hlc_protocol)p;
    }
    if (l.count == 0) {
        return hlc_refuse(reason, cap, "%s", "no protocol named");
    }
    *out = l;
    if (reason != NULL && cap > 0) {
        reason[0] = '\0';
    }
    return HAL_OK;
}
