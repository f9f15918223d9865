/**
 * @file psu_none.h
 * @brief The power stage of a board that has none (yet): "off" always works, "export"
 *        is refused, and the output reads as unknown, so the interlock treats it as
 *        possibly live and never proves it dead on a guess.
 */
#ifndef PSU_NONE_H
#define PSU_NONE_H

#include "psu.h"

/** @brief Point @p p at the "no power stage" operations. */
void psu_none_init(struct psu *p);

#endif /* PSU_NONE_H */
