/* iso20_ev_priv.h - what the files of the ISO 15118-20 EV machine share and nobody else
 * uses: the state moves of iso20_ev.c that the response handling (iso20_ev_receive.c)
 * drives, the request builder (iso20_ev_build.c) and the RationalNumber conversions. Not
 * part of the API: include iso20/iso20_ev.h from outside the machine. */
#ifndef ISO20_EV_PRIV_H
#define ISO20_EV_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "iso20/iso20_ev.h"

/** Safe shutdown (CP B, own contactors open) and FAILED with @p why (static text). */
void iso20_ev_fail(struct iso20_ev *ev, const char *why);
/** Next state @p s, its request not before @p delay ms from @p now_ms. */
void iso20_ev_goto(struct iso20_ev *ev, enum iso20_ev_state s, uint32_t now_ms, uint32_t delay);
/** @p s sends no more requests (idle, done, paused, other protocol chosen, failed). */
bool iso20_ev_state_over(enum iso20_ev_state s);
/** The V2GTP payload type of the request state @p s sends. */
uint16_t iso20_ev_pt_of(enum iso20_ev_state s);
/** Fill the common (0x8002) or DC (0x8004) document with the request of the current state. */
void iso20_ev_build(struct iso20_ev *ev, uint32_t now_ms);

/** A RationalNumber (Value x 10^Exponent units) in milli-units, saturated to int32. */
int32_t iso20_ev_rn_milli(int16_t value, int8_t exponent);
/** @p milli milli-units as a RationalNumber with |Value| <= 32767. */
void iso20_ev_rn_set(int64_t milli, int16_t *value, int8_t *exponent);

#endif /* ISO20_EV_PRIV_H */
