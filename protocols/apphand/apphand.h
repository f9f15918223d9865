/**
 * @file apphand.h
 * @brief SupportedAppProtocol negotiation (the first V2GTP message of every
 *        DIN 70121 / ISO 15118 connection), both roles, on the generated EXI codec.
 *
 * Pure logic: the caller decodes the request, calls apphand_select() and encodes the
 * response. The table of protocols we speak is the caller's, so ISO 15118-2 is one more
 * table entry, not new code. Vendor namespaces the table does not name (Tesla's
 * `urn:tesla:din:2018:MsgDef`) are ignored whatever their priority.
 */
#ifndef APPHAND_H
#define APPHAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_apphand.h"
#include "hal_err.h"

#define APPHAND_NS_DIN "urn:din:70121:2012:MsgDef"
#define APPHAND_NS_ISO2 "urn:iso:15118:2:2013:MsgDef"
#define APPHAND_NS_TESLA "urn:tesla:din:2018:MsgDef"
#define APPHAND_NS_ISO20_DC "urn:iso:std:iso:15118:-20:DC"

/** One protocol an SECC speaks (a row of its table, best first is not required). */
struct apphand_protocol {
    const char *ns;      /**< namespace URI, compared byte for byte */
    uint32_t major;      /**< must equal the EV's VersionNumberMajor */
    uint32_t minor;      /**< a different EV minor gives ..._WithMinorDeviation */
};

/** One entry an EV offers. */
struct apphand_offer {
    const char *ns;
    uint32_t major, minor;
    uint8_t schema_id;   /**< the SchemaID the SECC echoes */
    uint8_t priority;    /**< 1 = preferred ... 20 */
};

/**
 * @brief SECC: choose the protocol and fill the response.
 *
 * Among the EV's entries whose namespace and major version match a row of @p ours, the
 * one the EV ranks best (lowest Priority; on a tie the earlier entry) wins. The
 * response is always filled: OK_SuccessfulNegotiation (same minor),
 * OK_SuccessfulNegotiationWithMinorDeviation (other minor) with the EV's SchemaID, or
 * Failed_NoNegotiation without SchemaID when nothing matches (then close the link).
 * @param req     decoded document; must carry supportedAppProtocolReq
 * @param ours    the protocols we speak, @p n of them
 * @param res     response document, fully overwritten
 * @param chosen  index into @p ours, or -1 when nothing matched
 * @retval HAL_OK     @p res is ready to encode (look at @p chosen)
 * @retval HAL_EINVAL a NULL argument, or @p req is not a supportedAppProtocolReq
 */
int apphand_select(const struct exi_apphand_document *req, const struct apphand_protocol *ours,
                   size_t n, struct exi_apphand_document *res, int *chosen);

/**
 * @brief EV: fill a supportedAppProtocolReq with @p offers, in the given order.
 * @retval HAL_OK     @p req is ready to encode
 * @retval HAL_EINVAL NULL, no offers, more than the codec holds, or a namespace too long
 */
int apphand_offer_fill(struct exi_apphand_document *req, const struct apphand_offer *offers,
                       size_t n);

/**
 * @brief EV: read the SECC's answer.
 * @param chosen index into @p offers of the SchemaID the SECC echoed
 * @retval HAL_OK     positive answer with a SchemaID we offered
 * @retval HAL_EPROTO Failed_NoNegotiation, no SchemaID, an unknown SchemaID, or not a
 *                    supportedAppProtocolRes
 * @retval HAL_EINVAL NULL argument
 */
int apphand_result(const struct exi_apphand_document *res, const struct apphand_offer *offers,
                   size_t n, int *chosen);

/** @brief EV: true when one of the @p n @p offers names namespace @p ns. */
bool apphand_offers_include(const struct apphand_offer *offers, size_t n, const char *ns);

#endif /* APPHAND_H */
