/**
 * @file v2gd_exi.h
 * @brief What v2g-decode shows of a decoded V2G message: its name and the values that
 *        matter (targets, present values, limits, SoC, codes), found by walking the
 *        codec's reflection tables, so one walk serves DIN, ISO-2 and every ISO-20 part.
 */
#ifndef V2GD_EXI_H
#define V2GD_EXI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_meta.h"

/** The numeric values, in the order of the JSON schema (SI units, multiplier applied). */
enum v2gd_num {
    V2GD_EV_TARGET_V,
    V2GD_EV_TARGET_A,
    V2GD_EVSE_PRESENT_V,
    V2GD_EVSE_PRESENT_A,
    V2GD_EVSE_MAX_V,
    V2GD_EVSE_MAX_A,
    V2GD_EVSE_MAX_W,
    V2GD_SOC,
    V2GD_NUMS
};

/** The text values. */
enum v2gd_txt { V2GD_RESPONSE_CODE, V2GD_EVSE_PROCESSING, V2GD_EVSE_STATUS, V2GD_TXTS };

struct v2gd_fields {
    bool has[V2GD_NUMS];
    double v[V2GD_NUMS];
    const char *txt[V2GD_TXTS]; /**< NULL when absent */
    int ev_ready;               /**< -1 absent, 0 false, 1 true */
};

/** JSON/CSV names of the numbers and texts ("ev_target_voltage_V", ...). */
extern const char *const v2gd_num_names[V2GD_NUMS];
extern const char *const v2gd_txt_names[V2GD_TXTS];

/**
 * @brief Name of the message a decoded document holds: the first element present whose
 *        name ends in "Req" or "Res" ("CurrentDemandReq", "supportedAppProtocolRes").
 * @return the name (static, from the tables), or NULL when there is none
 */
const char *v2gd_msg_name(const struct exi_meta_type *doc_type, const void *doc);

/** @brief The values that matter of a decoded document (first occurrence of each). */
void v2gd_fields_get(const struct exi_meta_type *doc_type, const void *doc, struct v2gd_fields *f);

struct exi_apphand_document;

/** One protocol a car offered in its supportedAppProtocolReq. */
struct v2gd_offer {
    uint8_t id;     /**< SchemaID */
    char ns[96];    /**< namespace (longer ones cut) */
};

/** What one V2GTP connection negotiated, followed from its handshake (decoder and plugin). */
struct v2gd_negotiation {
    bool negotiated;    /**< supportedAppProtocolRes seen */
    const char *schema; /**< codec of the negotiated protocol ("din", "iso2", "iso20"), NULL if none */
    unsigned noff;
    struct v2gd_offer off[8];
};

/** @brief The codec of a protocol namespace (Tesla's is DIN's messages), or NULL. */
const char *v2gd_schema_of_ns(const char *ns);

/** @brief Follow a decoded handshake message: the car's offers, then the charger's choice. */
void v2gd_negotiation_feed(struct v2gd_negotiation *n, const struct exi_apphand_document *a);

#endif /* V2GD_EXI_H */
