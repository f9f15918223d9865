/**
 * @file hlc_dc.h
 * @brief What the DC backends of the neutral V2G layer (hlc_din.c, hlc_iso2.c) share: the
 *        neutral charger status and EV values mapped onto the protocol-neutral part of
 *        the machines' own structs (protocols/v2g/v2g_dc.h), and the neutral enums
 *        mapped onto the DC codes that DIN 70121 and ISO 15118-2 number alike.
 *        Only the backends include it; the charger uses hlc.h.
 */
#ifndef HLC_DC_H
#define HLC_DC_H

#include <stdint.h>

#include "hlc.h"
#include "v2g/v2g_dc.h"

/** @brief Neutral status -> the machines' shared values (limits, present values, processing). */
void hlc_dc_status(const struct hlc_evse *e, struct v2g_dc_evse *dc);

/** @brief The machines' shared EV values -> neutral (clears @p e first: the backend adds
 *         what is its own, such as the EVCCID). */
void hlc_dc_ev(const struct v2g_dc_ev *d, struct hlc_ev *e);

/** @brief DC_EVSEStatusCode of @p s (EVSE_Malfunction when out of range). */
uint8_t hlc_dc_status_code(enum hlc_evse_status s);

/** @brief isolationLevelType of @p i (Invalid when out of range). */
uint8_t hlc_dc_isolation(enum hlc_isolation i);

/** @brief EVSENotificationType of @p n (StopCharging when out of range). */
uint8_t hlc_dc_notification(enum hlc_notification n);

/** @brief The neutral error of a DC_EVErrorCode (reserved and unknown codes: other). */
enum hlc_ev_error hlc_dc_ev_error(uint8_t code);

#endif /* HLC_DC_H */
