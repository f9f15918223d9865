/**
 * @file hlc_iso2.h
 * @brief The ISO 15118-2 backend of the neutral V2G layer (hlc.h): what an ISO-2 judge
 *        (the replay tool, the fuzzer, the tests) may read of it. The charger never
 *        includes this header.
 */
#ifndef HLC_ISO2_H
#define HLC_ISO2_H

#include "hlc.h"

#if CFG_HLC_ISO2
/** @brief The ISO-2 machine of @p h (started by the handshake or hlc_start()). */
struct iso2_evse *hlc_iso2_machine(struct hlc *h);
/** @brief What the ISO-2 machine decided for the last request handled. */
const struct iso2_evse_request *hlc_iso2_last(const struct hlc *h);
/** @brief The decoded request / the response document of the last hlc_handle(). */
const struct exi_iso2_document *hlc_iso2_request(const struct hlc *h);
const struct exi_iso2_document *hlc_iso2_response(const struct hlc *h);
/** @brief Neutral status -> ISO-2 status (what the machine is given for every request). */
void hlc_iso2_status(const struct hlc_evse *e, struct iso2_evse_status *st);
#endif

#endif /* HLC_ISO2_H */
