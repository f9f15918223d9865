/* libFuzzer harness for the OCMF parser and the helpers that read parsed fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ocmf/ocmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ocmf_record r;
    static char text[CFG_OCMF_MAX_LEN + 16];
    if (size > sizeof text) {
        size = sizeof text;
    }
    memcpy(text, data, size);
    if (ocmf_parse(&r, text, size) == HAL_OK) {
        char out[64];
        int64_t v;
        ocmf_txid(&r, out, sizeof out);
        ocmf_copy(&r, r.ms, out, sizeof out);
        for (unsigned i = 0; i < r.nreadings; i++) {
            ocmf_reading_wh(&r, i, &v);
        }
    }
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pl;
    ocmf_pubkey_from_hex(text, size, pub, sizeof pub, &pl);
    ocmf_pubkey_from_bytes(data, size, pub, sizeof pub, &pl);
    return 0;
}
