/**
 * @file hlc_din.h
 * @brief The DIN 70121 backend of the neutral V2G layer (hlc.h): what a DIN-specific judge
 *        (the replay tool, the fuzzer, the benchmark, the simulator's trace) may read of it.
 *        The charger never includes this header.
 */
#ifndef HLC_DIN_H
#define HLC_DIN_H

#include "hlc.h"

#if CFG_HLC_DIN
/** @brief The DIN machine of @p h (started by the handshake or hlc_start()). */
struct din_evse *hlc_din_machine(struct hlc *h);
/** @brief What the DIN machine decided for the last request handled. */
const struct din_evse_request *hlc_din_last(const struct hlc *h);
/** @brief The decoded request / the response document of the last hlc_handle(). */
const struct exi_din_document *hlc_din_request(const struct hlc *h);
const struct exi_din_document *hlc_din_response(const struct hlc *h);
/** @brief Neutral status -> DIN status (what the machine is given for every request). */
void hlc_din_status(const struct hlc_evse *e, struct din_evse_status *st);
/** @brief DC_EVSEStatusCode of a neutral EVSE status. */
uint8_t hlc_din_status_code(enum hlc_evse_status s);
#endif

#endif /* HLC_DIN_H */
