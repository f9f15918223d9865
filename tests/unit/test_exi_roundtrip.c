/**
 * @file test_exi_roundtrip.c
 * @brief Property test of every generated codec: random documents built from the
 *        reflection tables; whenever one encodes, decode(encode(doc)) must
 *        succeed and encode it to the very same bytes.
 *
 * Deterministic (fixed xorshift seed). Random documents may violate the schema
 * (a mandatory choice left empty, ...); the encoder must then refuse them with
 * an error, never produce a stream that does not decode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exi/exi_registry.h"
#include "hal_err.h"

#define RT_DOCS 5000
#define RT_MAX_GROUPS 64

static _Alignas(16) uint8_t s_doc[64 * 1024];
static _Alignas(16) uint8_t s_doc2[64 * 1024];
static uint8_t s_out[32 * 1024];
static uint8_t s_out2[32 * 1024];
static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

static uint32_t rnd_below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

static void set_uint(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: { uint8_t t = (uint8_t)v; memcpy(p, &t, 1); break; }
    case 2: { uint16_t t = (uint16_t)v; memcpy(p, &t, 2); break; }
    case 4: { uint32_t t = (uint32_t)v; memcpy(p, &t, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static void gen_struct(const struct exi_meta_type *t, uint8_t *base, int depth);

static void gen_value(const struct exi_meta_field *f, uint8_t *item, int depth)
{
    switch (f->kind) {
    case EXI_MK_STRUCT:
        gen_struct(f->sub, item, depth + 1);
        break;
    case EXI_MK_BOOL:
        *(bool *)(void *)item = (rnd() & 1U) != 0U;
        break;
    case EXI_MK_ENUM:
        *item = (uint8_t)rnd_below(f->nenum);
        break;
    case EXI_MK_INT:
    case EXI_MK_UINT: {
        int64_t lo = f->vmin;
        int64_t hi = f->kind == EXI_MK_INT ? (int64_t)f->vmax : (f->vmax > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)f->vmax);
        int64_t v;
        switch (rnd_below(4)) {
        case 0: v = lo; break;
        case 1: v = hi; break;
        case 2: v = lo + (int64_t)rnd_below(200) > hi ? hi : lo + (int64_t)rnd_below(200); break;
        default: {
            uint64_t span = (uint64_t)hi - (uint64_t)lo;
            uint64_t x = ((uint64_t)rnd() << 32) | rnd();
            v = (int64_t)((uint64_t)lo + (span == UINT64_MAX ? x : x % (span + 1)));
        }
        }
        set_uint(item, f->csize, (uint64_t)v);
        break;
    }
    case EXI_MK_STRING: {
        uint16_t n = (uint16_t)rnd_below((uint32_t)(f->str_cap < 12 ? f->str_cap : 12) + 1U);
        for (uint16_t i = 0; i < n; i++) {
            item[i] = (uint8_t)(0x20 + rnd_below(95));
        }
        memcpy(item + (f->len_off - f->off), &n, 2);
        break;
    }
    case EXI_MK_HEX:
    case EXI_MK_B64: {
        uint16_t n = (uint16_t)rnd_below((uint32_t)(f->str_cap < 20 ? f->str_cap : 20) + 1U);
        for (uint16_t i = 0; i < n; i++) {
            item[i] = (uint8_t)rnd();
        }
        memcpy(item + (f->len_off - f->off), &n, 2);
        break;
    }
    default:
        break;
    }
}

static void gen_struct(const struct exi_meta_type *t, uint8_t *base, int depth)
{
    int chosen[RT_MAX_GROUPS];
    for (int i = 0; i < RT_MAX_GROUPS; i++) {
        chosen[i] = -1;
    }
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        unsigned g = f->group % RT_MAX_GROUPS;
        if (f->group) {
            if (chosen[g] == -1 && (rnd() & 1U)) {
                chosen[g] = f->alt;
            }
            if (chosen[g] != f->alt) {
                continue;
            }
        }
        if (f->flag_off != EXI_META_NONE) {
            if (depth > 6 || rnd_below(10) >= 6) {
                continue;
            }
            *(bool *)(void *)(base + f->flag_off) = true;
        }
        uint16_t n = 1;
        if (f->cnt_off != EXI_META_NONE) {
            uint16_t hi = f->cap < f->max_occ ? f->cap : f->max_occ;
            if (hi > 3) {
                hi = 3;
            }
            if (depth > 6) {
                hi = f->min_occ;
            }
            n = (uint16_t)(f->min_occ + rnd_below((uint32_t)(hi >= f->min_occ ? hi - f->min_occ : 0) + 1U));
            memcpy(base + f->cnt_off, &n, 2);
        }
        for (uint16_t k = 0; k < n; k++) {
            gen_value(f, base + f->off + (size_t)k * f->stride, depth);
        }
    }
}

static void run_codec(const struct exi_codec *c, unsigned *ok_out)
{
    unsigned ok = 0;
    const struct exi_meta_type *dt = c->meta;
    assert_true(c->doc_size <= sizeof s_doc);
    for (unsigned i = 0; i < RT_DOCS; i++) {
        memset(s_doc, 0, c->doc_size);
        const struct exi_meta_field *root = &dt->fields[rnd_below(dt->nfields)];
        *(bool *)(void *)(s_doc + root->flag_off) = true;
        gen_value(root, s_doc + root->off, 0);
        struct exi_writer w;
        exi_writer_init(&w, s_out, sizeof s_out);
        int rc = c->encode(&w, s_doc);
        if (rc != HAL_OK) {
            /* refused: must say why */
            assert_int_not_equal(w.error, EXI_OK);
            continue;
        }
        size_t n = exi_writer_len(&w);
        struct exi_reader r;
        exi_reader_init(&r, s_out, n);
        rc = c->decode(&r, s_doc2);
        if (rc != HAL_OK) {
            fprintf(stderr, "%s doc %u: encoded %zu bytes do not decode: %s at bit %zu\n", c->name, i, n,
                    exi_error_str(r.error), r.bit);
        }
        assert_int_equal(rc, HAL_OK);
        assert_int_equal((r.bit + 7U) / 8U, n);
        exi_writer_init(&w, s_out2, sizeof s_out2);
        assert_int_equal(c->encode(&w, s_doc2), HAL_OK);
        assert_int_equal(exi_writer_len(&w), n);
        assert_memory_equal(s_out2, s_out, n);
        ok++;
    }
    *ok_out = ok;
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < exi_codecs_count; i++) {
        unsigned ok = 0;
        run_codec(&exi_codecs[i], &ok);
        printf("[ INFO     ] %-9s %u of %u random documents encoded and round-tripped\n", exi_codecs[i].name, ok,
               RT_DOCS);
        /* enough valid documents to make the property meaningful */
        assert_true(ok >= RT_DOCS / 20);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
