/**
 * @file fuzz_exi.c
 * @brief libFuzzer harness for one generated EXI decoder (clang -fsanitize=fuzzer).
 *
 * Build once per codec with -DFUZZ_EXI_SET=din (apphand din iso2 iso20 iso20_dc
 * iso20_ac), linked with exi_stream.c, exi_<set>_dec.c, exi_<set>_enc.c and
 * hal_err.c only. Any input must decode or fail with a reason, without a
 * sanitizer report; whatever decodes must re-encode, and the re-encoding must
 * decode and encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exi/exi_apphand.h"
#include "exi/exi_din.h"
#include "exi/exi_iso2.h"
#include "exi/exi_iso20.h"
#include "exi/exi_iso20_ac.h"
#include "exi/exi_iso20_dc.h"
#include "hal_err.h"

#ifndef FUZZ_EXI_SET
#define FUZZ_EXI_SET din
#endif
#define FUZZ_CAT2(a, b, c) a##b##c
#define FUZZ_CAT(a, b, c) FUZZ_CAT2(a, b, c)
#define FUZZ_DOC FUZZ_CAT(struct exi_, FUZZ_EXI_SET, _document)
#define FUZZ_DECODE FUZZ_CAT(exi_, FUZZ_EXI_SET, _decode)
#define FUZZ_ENCODE FUZZ_CAT(exi_, FUZZ_EXI_SET, _encode)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FUZZ_DOC s_doc;
static FUZZ_DOC s_doc2;
static uint8_t s_out[64 * 1024];
static uint8_t s_out2[64 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, data, size);
    if (FUZZ_DECODE(&r, &s_doc) != HAL_OK) {
        if (r.error == EXI_OK || r.bit > size * 8U) {
            abort();
        }
        return 0;
    }
    if (r.bit > size * 8U) {
        abort();
    }
    exi_writer_init(&w, s_out, sizeof s_out);
    if (FUZZ_ENCODE(&w, &s_doc) != HAL_OK) {
        /* only an unsupported form may decode but not encode (e.g. empty
         * numeric content is never accepted, so nothing else) */
        abort();
    }
    size_t n = exi_writer_len(&w);
    exi_reader_init(&r, s_out, n);
    if (FUZZ_DECODE(&r, &s_doc2) != HAL_OK) {
        abort();
    }
    exi_writer_init(&w, s_out2, sizeof s_out2);
    if (FUZZ_ENCODE(&w, &s_doc2) != HAL_OK || exi_writer_len(&w) != n || memcmp(s_out, s_out2, n) != 0) {
        abort();
    }
    return 0;
}
