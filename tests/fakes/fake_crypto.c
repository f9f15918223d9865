#include "fake_crypto.h"

#include <string.h>

static int fake_crypto_answer(struct hal_crypto *base, enum hal_crypto_curve curve,
                              const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                              size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    struct fake_crypto *c = (struct fake_crypto *)base;
    c->calls++;
    c->last_curve = curve;
    c->last_pub_len = pub_len;
    if (pub_len <= sizeof c->last_pub) {
        memcpy(c->last_pub, pub, pub_len);
    }
    if (digest_len == 32) {
        memcpy(c->last_digest, digest, 32);
    }
    if (c->force != 0) {
        return c->force;
    }
    size_t fb = hal_crypto_curve_bytes(curve);
    if (pub_len != 1u + 2u * fb || sig_len != 2u * fb) {
        return HAL_EINVAL;
    }
    if (digest_len == 32 && memcmp(digest, c->good_digest, 32) == 0 &&
        sig_len == c->good_sig_len && memcmp(sig, c->good_sig, sig_len) == 0) {
        return HAL_OK;
    }
    return HAL_EPROTO;
}

static int fake_crypto_verify(struct hal_crypto *base, enum hal_crypto_curve curve,
                              const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                              size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    ((struct fake_crypto *)base)->sync_calls++;
    return fake_crypto_answer(base, curve, pub, pub_len, digest, digest_len, sig, sig_len);
}

static int fake_crypto_submit(struct hal_crypto *base, enum hal_crypto_curve curve,
                              const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                              size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    struct fake_crypto *c = (struct fake_crypto *)base;
    if (c->in_flight) {
        return HAL_EBUSY;
    }
    c->submits++;
    c->pending = fake_crypto_answer(base, curve, pub, pub_len, digest, digest_len, sig, sig_len);
    c->polls_left = c->poll_delay;
    c->in_flight = true;
    return HAL_OK;
}

static int fake_crypto_poll(struct hal_crypto *base)
{
    struct fake_crypto *c = (struct fake_crypto *)base;
    if (!c->in_flight) {
        return HAL_ESTATE;
    }
    if (c->polls_left > 0) {
        c->polls_left--;
        return HAL_EAGAIN;
    }
    c->in_flight = false;
    return c->pending;
}

static const struct hal_crypto_ops s_fake_crypto_ops = {.ecdsa_verify = fake_crypto_verify};
static const struct hal_crypto_ops s_fake_crypto_async_ops = {
    .ecdsa_verify = fake_crypto_verify,
    .ecdsa_submit = fake_crypto_submit,
    .ecdsa_poll = fake_crypto_poll,
};

void fake_crypto_set_async(struct fake_crypto *c, unsigned poll_delay)
{
    c->base.ops = &s_fake_crypto_async_ops;
    c->poll_delay = poll_delay;
}

void fake_crypto_init(struct fake_crypto *c)
{
    memset(c, 0, sizeof *c);
    c->base.ops = &s_fake_crypto_ops;
}
