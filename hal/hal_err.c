#include "hal_err.h"

/* Indexed by -code; kept next to the enum so a new code cannot be forgotten
 * (the static assertion below fails if the table and HAL_ERR_COUNT disagree). */
static const char *const s_err_text[] = {
    "ok",
    "invalid argument or value out of range",
    "try again: not ready yet",
    "out of memory: fixed pool or buffer full",
    "timed out: no answer in time",
    "input/output error",
    "not supported by this port",
    "protocol error: malformed or unexpected data",
    "busy: a request is already in progress",
    "no such item",
    "not allowed in the current state",
    "does not fit the destination",
    "connection or bus closed",
};

_Static_assert(sizeof s_err_text / sizeof s_err_text[0] == HAL_ERR_COUNT,
               "hal_strerror table out of step with enum hal_err");

const char *hal_strerror(int err)
{
    if (err > 0 || err <= -HAL_ERR_COUNT) {
        return "unknown error";
    }
    return s_err_text[-err];
}
