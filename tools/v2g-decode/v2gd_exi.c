/**
 * @file v2gd_exi.c
 * @brief Message name and key values of a decoded document, from the reflection tables
 *        (exi_meta.h): a depth-first walk over the elements present.
 *
 * The element names are those of the schemas, so the same names find the same values in
 * DIN, ISO 15118-2 and -20 (where the element exists there). A physical value is a
 * struct with Value and Multiplier (DIN, -2: PhysicalValueType) or Exponent (-20:
 * RationalNumberType): value * 10^multiplier.
 */
#include "v2gd_exi.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"

const char *const v2gd_num_names[V2GD_NUMS] = {
    "ev_target_voltage_V", "ev_target_current_A", "evse_present_voltage_V", "evse_present_current_A",
    "evse_max_voltage_V",  "evse_max_current_A",  "evse_max_power_W",       "soc_pct",
};
const char *const v2gd_txt_names[V2GD_TXTS] = {"response_code", "evse_processing", "evse_status"};

/* Element names per value, first match wins; DIN/-2 first, then -20 spellings. */
static const char *const num_elems[V2GD_NUMS][4] = {
    {"EVTargetVoltage", NULL},
    {"EVTargetCurrent", NULL},
    {"EVSEPresentVoltage", NULL},
    {"EVSEPresentCurrent", NULL},
    {"EVSEMaximumVoltageLimit", "EVSEMaximumVoltage", "EVSEMaxVoltage", NULL},
    {"EVSEMaximumCurrentLimit", "EVSEMaximumChargeCurrent", "EVSEMaxCurrent", NULL},
    {"EVSEMaximumPowerLimit", "EVSEMaximumChargePower", NULL},
    {"EVRESSSOC", "PresentSOC", NULL},
};
static const char *const txt_elems[V2GD_TXTS][3] = {
    {"ResponseCode", NULL},
    {"EVSEProcessing", NULL},
    {"EVSEStatusCode", "EVSENotification", NULL},
};

static bool present(const struct exi_meta_field *f, const uint8_t *base)
{
    return f->flag_off == EXI_META_NONE || *(const bool *)(const void *)(base + f->flag_off);
}

static unsigned count_of(const struct exi_meta_field *f, const uint8_t *base)
{
    if (f->cnt_off == EXI_META_NONE) {
        return 1;
    }
    uint16_t n;
    memcpy(&n, base + f->cnt_off, sizeof n);
    return n < f->cap ? n : f->cap;
}

static int64_t int_of(const struct exi_meta_field *f, const uint8_t *p)
{
    switch (f->csize) {
    case 1:
        return f->kind == EXI_MK_INT ? (int64_t) * (const int8_t *)(const void *)p : (int64_t)*p;
    case 2: {
        uint16_t u;
        memcpy(&u, p, 2);
        return f->kind == EXI_MK_INT ? (int64_t)(int16_t)u : (int64_t)u;
    }
    case 4: {
        uint32_t u;
        memcpy(&u, p, 4);
        return f->kind == EXI_MK_INT ? (int64_t)(int32_t)u : (int64_t)u;
    }
    default: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    }
}

const char *v2gd_msg_name(const struct exi_meta_type *t, const void *doc)
{
    const uint8_t *base = doc;
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        if (f->kind != EXI_MK_STRUCT || f->is_attr || !present(f, base) || f->cnt_off != EXI_META_NONE) {
            continue;
        }
        size_t l = strlen(f->name);
        if (l > 3 && (strcmp(f->name + l - 3, "Req") == 0 || strcmp(f->name + l - 3, "Res") == 0)) {
            return f->name;
        }
        /* Down the envelope only (V2G_Message, Body), never into a message's content. */
        if (strcmp(f->name, "V2G_Message") == 0 || strcmp(f->name, "Body") == 0) {
            const char *n = v2gd_msg_name(f->sub, base + f->off);
            if (n != NULL) {
                return n;
            }
        }
    }
    return NULL;
}

/* The physical value of a Value/Multiplier (or Exponent) struct. */
static bool physical(const struct exi_meta_type *t, const uint8_t *base, double *out)
{
    bool hv = false, hm = false;
    int64_t v = 0, m = 0;
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        if (f->kind != EXI_MK_INT && f->kind != EXI_MK_UINT) {
            continue;
        }
        if (f->name != NULL && strcmp(f->name, "Value") == 0 && present(f, base)) {
            v = int_of(f, base + f->off);
            hv = true;
        } else if (f->name != NULL && (strcmp(f->name, "Multiplier") == 0 || strcmp(f->name, "Exponent") == 0) &&
                   present(f, base)) {
            m = int_of(f, base + f->off);
            hm = true;
        }
    }
    if (!hv) {
        return false;
    }
    *out = (double)v * pow(10.0, hm ? (double)m : 0.0);
    return true;
}

static int match(const char *name, const char *const *list)
{
    for (int i = 0; list[i] != NULL; i++) {
        if (strcmp(name, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void walk(const struct exi_meta_type *t, const uint8_t *base, struct v2gd_fields *fl, unsigned depth)
{
    if (depth > 16) {
        return;
    }
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        if (f->name == NULL || !present(f, base)) {
            continue;
        }
        unsigned n = count_of(f, base);
        for (unsigned k = 0; k < n; k++) {
            const uint8_t *p = base + f->off + (size_t)k * f->stride;
            if (f->kind == EXI_MK_STRUCT) {
                bool used = false;
                for (int x = 0; x < V2GD_NUMS && !used; x++) {
                    if (!fl->has[x] && match(f->name, num_elems[x])) {
                        fl->has[x] = physical(f->sub, p, &fl->v[x]);
                        used = true;
                    }
                }
                if (!used) {
                    walk(f->sub, p, fl, depth + 1);
                }
            } else if (f->kind == EXI_MK_ENUM) {
                for (int x = 0; x < V2GD_TXTS; x++) {
                    if (fl->txt[x] == NULL && match(f->name, txt_elems[x]) && *p < f->nenum) {
                        fl->txt[x] = f->enums[*p];
                    }
                }
            } else if (f->kind == EXI_MK_BOOL && fl->ev_ready < 0 && strcmp(f->name, "EVReady") == 0) {
                fl->ev_ready = *(const bool *)(const void *)p ? 1 : 0;
            } else if ((f->kind == EXI_MK_INT || f->kind == EXI_MK_UINT) && !fl->has[V2GD_SOC] &&
                       match(f->name, num_elems[V2GD_SOC])) {
                fl->has[V2GD_SOC] = true; /* an integer percentage */
                fl->v[V2GD_SOC] = (double)int_of(f, p);
            }
        }
    }
}

void v2gd_fields_get(const struct exi_meta_type *t, const void *doc, struct v2gd_fields *f)
{
    memset(f, 0, sizeof *f);
    f->ev_ready = -1;
    walk(t, doc, f, 0);
}

const char *v2gd_schema_of_ns(const char *ns)
{
    if (strcmp(ns, APPHAND_NS_DIN) == 0 || strcmp(ns, APPHAND_NS_TESLA) == 0) {
        return "din"; /* Tesla's namespace is DIN's messages */
    }
    if (strcmp(ns, APPHAND_NS_ISO2) == 0) {
        return "iso2";
    }
    if (strstr(ns, "15118:-20") != NULL) {
        return "iso20";
    }
    return NULL;
}

void v2gd_negotiation_feed(struct v2gd_negotiation *n, const struct exi_apphand_document *a)
{
    if (a->supportedAppProtocolReq_isUsed) {
        const struct exi_apphand_supportedAppProtocolReq *q = &a->supportedAppProtocolReq;
        n->noff = 0;
        for (uint16_t i = 0; i < q->AppProtocol.arrayLen && n->noff < sizeof n->off / sizeof n->off[0]; i++) {
            const struct exi_apphand_AppProtocolType *ap = &q->AppProtocol.array[i];
            size_t l = ap->ProtocolNamespace.charactersLen;
            l = l < sizeof n->off[0].ns - 1 ? l : sizeof n->off[0].ns - 1;
            n->off[n->noff].id = ap->SchemaID;
            memcpy(n->off[n->noff].ns, ap->ProtocolNamespace.characters, l);
            n->off[n->noff].ns[l] = '\0';
            n->noff++;
        }
    } else if (a->supportedAppProtocolRes_isUsed) {
        n->negotiated = true;
        n->schema = NULL;
        for (unsigned k = 0; a->supportedAppProtocolRes.SchemaID_isUsed && k < n->noff; k++) {
            if (n->off[k].id == a->supportedAppProtocolRes.SchemaID) {
                n->schema = v2gd_schema_of_ns(n->off[k].ns);
            }
        }
    }
}
