#include "linux_rng.h"

#include <errno.h>
#include <sys/random.h>

#include "linux_errno.h"

static int linux_rng_fill(struct hal_rng *base, uint8_t *buf, size_t len)
{
    (void)base;
    size_t done = 0;
    while (done < len) {
        /* GRND_NONBLOCK: early in boot the pool may not be seeded; say "not yet". */
        ssize_t r = getrandom(buf + done, len - done, GRND_NONBLOCK);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return linux_errno_to_hal(errno);
        }
        done += (size_t)r;
    }
    return HAL_OK;
}

static const struct hal_rng_ops s_linux_rng_ops = {.fill = linux_rng_fill};

void linux_rng_init(struct linux_rng *r)
{
    r->base.ops = &s_linux_rng_ops;
}
