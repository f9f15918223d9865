/* HMAC-SHA256 (RFC 2104): owns the key padding around the core's SHA-256. The key pads are
 * built on the stack and wiped, since the GOOSE session key is secret for its session. */
#include "sha256/hmac_sha256.h"

#include <string.h>

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n-- > 0u) {
        *v++ = 0u;
    }
}

void hmac_sha256_init(struct hmac_sha256 *h, const uint8_t *key, size_t key_len)
{
    uint8_t k[64];
    uint8_t ipad[64];
    memset(k, 0, sizeof k);
    if (key_len > sizeof k) {
        sha256_digest(key, key_len, k); /* RFC 2104: a long key is replaced by its hash */
    } else if (key_len > 0u) {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < sizeof k; i++) {
        ipad[i] = (uint8_t)(k[i] ^ 0x36u);
        h->opad[i] = (uint8_t)(k[i] ^ 0x5Cu);
    }
    sha256_init(&h->inner);
    sha256_update(&h->inner, ipad, sizeof ipad);
    wipe(k, sizeof k);
    wipe(ipad, sizeof ipad);
}

void hmac_sha256_update(struct hmac_sha256 *h, const uint8_t *data, size_t len)
{
    sha256_update(&h->inner, data, len);
}

void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_LEN])
{
    uint8_t inner[32];
    struct sha256 outer;
    sha256_final(&h->inner, inner);
    sha256_init(&outer);
    sha256_update(&outer, h->opad, sizeof h->opad);
    sha256_update(&outer, inner, sizeof inner);
    sha256_final(&outer, out);
    wipe(inner, sizeof inner);
    wipe(h, sizeof *h);
}

void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                 uint8_t out[HMAC_SHA256_LEN])
{
    struct hmac_sha256 h;
    hmac_sha256_init(&h, key, key_len);
    hmac_sha256_update(&h, data, len);
    hmac_sha256_final(&h, out);
}

bool hmac_sha256_equal(const uint8_t a[HMAC_SHA256_LEN], const uint8_t b[HMAC_SHA256_LEN])
{
    uint8_t d = 0u;
    for (size_t i = 0; i < HMAC_SHA256_LEN; i++) {
        d = (uint8_t)(d | (a[i] ^ b[i]));
    }
    return d == 0u;
}
