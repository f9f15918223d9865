#include "fake_rng.h"

static int fake_rng_fill(struct hal_rng *base, uint8_t *buf, size_t len)
{
    struct fake_rng *r = (struct fake_rng *)base;
    r->calls++;
    if (r->rc != HAL_OK) {
        return r->rc;
    }
    for (size_t i = 0; i < len; i++) {
        /* xorshift32: different every call, the same for the same seed */
        r->state ^= r->state << 13;
        r->state ^= r->state >> 17;
        r->state ^= r->state << 5;
        buf[i] = (uint8_t)(r->state >> 24);
    }
    return HAL_OK;
}

static const struct hal_rng_ops s_fake_rng_ops = {.fill = fake_rng_fill};

void fake_rng_init(struct fake_rng *r, uint32_t seed)
{
    r->base.ops = &s_fake_rng_ops;
    r->state = seed != 0 ? seed : 0x9e3779b9u;
    r->calls = 0;
    r->rc = HAL_OK;
}
