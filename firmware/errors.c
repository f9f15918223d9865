/*
 * errors.c - one connector's error table: raise, clear, the worst active entry that
 * decides both the reaction and the stop reason, and the names of sources and severities.
 * The code spaces per source are listed with enum errors_source (errors.h).
 */
#include "errors.h"

#include <stddef.h>
#include <string.h>

void errors_init(struct errors *e)
{
    memset(e, 0, sizeof *e);
}

static int errors_find(const struct errors *e, enum errors_source src, uint32_t code)
{
    for (int i = 0; i < e->count; i++) {
        if (e->active[i].source == src && e->active[i].code == code) {
            return i;
        }
    }
    return -1;
}

bool errors_raise(struct errors *e, enum errors_source src, uint32_t code,
                  enum errors_severity sev, const char *text, uint32_t now_ms)
{
    int i = errors_find(e, src, code);
    struct errors_entry ent = {.source = src, .code = code, .severity = sev,
                               .text = text != NULL ? text : "", .since_ms = now_ms};
    if (i >= 0) {
        /* Only ever raised in severity while active: a warning that becomes a fault
         * must stop the session even though the entry already exists. */
        if (sev > e->active[i].severity) {
            e->active[i].severity = sev;
            e->active[i].text = ent.text;
        } else {
            /* Still active from before this session: it is this session's cause too. */
            if (e->active[i].severity >= ERRORS_SEV_MEDIUM && !e->have_first) {
                e->first = e->active[i];
                e->have_first = true;
            }
            return false;
        }
    } else if (e->count < CFG_ERRORS_MAX) {
        e->active[e->count++] = ent;
        e->raised++;
    } else {
        e->dropped++;
    }
    if (sev >= ERRORS_SEV_MEDIUM && !e->have_first) {
        e->first = ent;
        e->have_first = true;
    }
    return true;
}

bool errors_clear(struct errors *e, enum errors_source src, uint32_t code)
{
    int i = errors_find(e, src, code);
    if (i < 0) {
        return false;
    }
    e->active[i] = e->active[e->count - 1];
    e->count--;
    return true;
}

void errors_clear_source(struct errors *e, enum errors_source src)
{
    for (int i = e->count - 1; i >= 0; i--) {
        if (e->active[i].source == src) {
            e->active[i] = e->active[e->count - 1];
            e->count--;
        }
    }
}

bool errors_active(const struct errors *e, enum errors_source src, uint32_t code)
{
    return errors_find(e, src, code) >= 0;
}

bool errors_worst(const struct errors *e, enum errors_severity *out)
{
    if (e->count == 0) {
        return false;
    }
    enum errors_severity w = ERRORS_SEV_LOW;
    for (int i = 0; i < e->count; i++) {
        w = e->active[i].severity > w ? e->active[i].severity : w;
    }
    *out = w;
    return true;
}

const struct errors_entry *errors_worst_entry(const struct errors *e)
{
    const struct errors_entry *w = NULL;
    for (int i = 0; i < e->count; i++) {
        const struct errors_entry *a = &e->active[i];
        /* The oldest of the worst: removal reorders the table, so the time decides. */
        if (w == NULL || a->severity > w->severity ||
            (a->severity == w->severity && (int32_t)(a->since_ms - w->since_ms) < 0)) {
            w = a;
        }
    }
    /* The session's first stopping error keeps its claim while nothing worse is active:
     * a device poll may have cleared it (or a full table dropped it) before the session
     * reacted, and its reaction is still due. */
    if (e->have_first && (w == NULL || e->first.severity >= w->severity)) {
        w = &e->first;
    }
    return w;
}

bool errors_any(const struct errors *e, enum errors_source src, enum errors_severity min)
{
    for (int i = 0; i < e->count; i++) {
        if (e->active[i].source == src && e->active[i].severity >= min) {
            return true;
        }
    }
    return false;
}

const struct errors_entry *errors_first(const struct errors *e)
{
    return e->have_first ? &e->first : NULL;
}

void errors_session_begin(struct errors *e)
{
    e->have_first = false;
    memset(&e->first, 0, sizeof e->first);
}

const char *errors_source_name(enum errors_source s)
{
    static const char *const names[ERRORS_SRC_COUNT] = {
        "psu", "meter", "imd", "link", "v2g", "ev", "power-path", "pilot", "session"};
    return (unsigned)s < ERRORS_SRC_COUNT ? names[s] : "?";
}

const char *errors_severity_name(enum errors_severity s)
{
    static const char *const names[] = {"low", "medium", "high"};
    return (unsigned)s < 3u ? names[s] : "?";
}
