/**
 * @file hlc_iso20.h
 * @brief The ISO 15118-20 DC backend of the neutral V2G layer (hlc.h): what a -20 judge
 *        (the replay tool, the fuzzer, the tests, the benchmark) may read of it. The
 *        charger never includes this header.
 */
#ifndef HLC_ISO20_H
#define HLC_ISO20_H

#include "hlc.h"

#if CFG_HLC_ISO20
/** @brief The -20 machine of @p h (started by the handshake or hlc_start()). */
struct iso20_evse *hlc_iso20_machine(struct hlc *h);
/** @brief What the -20 machine decided for the last request handled. */
const struct iso20_evse_request *hlc_iso20_last(const struct hlc *h);
/** @brief The decoded request of the last hlc_handle(): the common document, or NULL when
 *         the request was a DC one. */
const struct exi_iso20_document *hlc_iso20_request(const struct hlc *h);
/** @brief ... the DC document, or NULL when the request was a common one. */
const struct exi_iso20_dc_document *hlc_iso20_dc_request(const struct hlc *h);
/** @brief Neutral status -> -20 status (what the machine is given for every request). */
void hlc_iso20_status(const struct hlc_evse *e, struct iso20_evse_status *st);
#endif

#endif /* HLC_ISO20_H */
