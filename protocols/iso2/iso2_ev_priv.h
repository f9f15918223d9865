/* iso2_ev_priv.h - what the files of the ISO-2 EV machine share and nobody else uses: the
 * state moves of iso2_ev.c that the response handling (iso2_ev_receive.c) drives, and the
 * request builder (iso2_ev_build.c) that iso2_ev_next() encodes. Not part of the API:
 * include iso2/iso2_ev.h from outside the machine. */
#ifndef ISO2_EV_PRIV_H
#define ISO2_EV_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "iso2/iso2_ev.h"

/** Safe shutdown (CP B, own contactors open) and FAILED with @p why (static text). */
void iso2_ev_fail(struct iso2_ev *ev, const char *why);
/** Next state @p s, its request not before @p delay ms from @p now_ms. */
void iso2_ev_goto(struct iso2_ev *ev, enum iso2_ev_state s, uint32_t now_ms, uint32_t delay);
/** @p s sends no more requests (idle, done, paused, DIN chosen, failed). */
bool iso2_ev_state_over(enum iso2_ev_state s);
/** Fill ev->doc.iso2 with the request of the current state. */
void iso2_ev_build(struct iso2_ev *ev, uint32_t now_ms);

#endif /* ISO2_EV_PRIV_H */
