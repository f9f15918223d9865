/* em580_priv.h - what the files of the EM580 driver share and nobody else uses: the op
 * transitions of em580.c that the job file (em580_jobs.c) drives. Not part of the API. */
#ifndef EM580_PRIV_H
#define EM580_PRIV_H

#include <stdint.h>

#include "em580/em580.h"

/** The caller's job ends with @p status; a device condition @p err is kept in em->error. */
void em580_finish(struct em580 *em, int status, enum em580_error err);
/** Next op @p op, not before @p delay ms from @p now, with a fresh attempt count. */
void em580_goto(struct em580 *em, enum em580_op op, uint32_t now, uint32_t delay);
/** The reply of a job op (start, stop, confirm, sync) arrived: decide the next op. */
void em580_job_done(struct em580 *em, uint32_t now);

#endif /* EM580_PRIV_H */
