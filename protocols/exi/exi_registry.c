/**
 * @file exi_registry.c
 * @brief Type-erased table of the generated codecs.
 */
#include "exi/exi_registry.h"

#include <string.h>

#include "exi/exi_apphand.h"
#include "exi/exi_din.h"
#include "exi/exi_iso2.h"
#include "exi/exi_iso20.h"
#include "exi/exi_iso20_dc.h"
#include "exi/exi_iso20_ac.h"

static int dec_apphand(struct exi_reader *r, void *doc)
{
    return exi_apphand_decode(r, doc);
}

static int enc_apphand(struct exi_writer *w, const void *doc)
{
    return exi_apphand_encode(w, doc);
}

static int dec_din(struct exi_reader *r, void *doc)
{
    return exi_din_decode(r, doc);
}

static int enc_din(struct exi_writer *w, const void *doc)
{
    return exi_din_encode(w, doc);
}

static int dec_iso2(struct exi_reader *r, void *doc)
{
    return exi_iso2_decode(r, doc);
}

static int enc_iso2(struct exi_writer *w, const void *doc)
{
    return exi_iso2_encode(w, doc);
}

static int dec_iso20(struct exi_reader *r, void *doc)
{
    return exi_iso20_decode(r, doc);
}

static int enc_iso20(struct exi_writer *w, const void *doc)
{
    return exi_iso20_encode(w, doc);
}

static int dec_iso20_dc(struct exi_reader *r, void *doc)
{
    return exi_iso20_dc_decode(r, doc);
}

static int enc_iso20_dc(struct exi_writer *w, const void *doc)
{
    return exi_iso20_dc_encode(w, doc);
}

static int dec_iso20_ac(struct exi_reader *r, void *doc)
{
    return exi_iso20_ac_decode(r, doc);
}

static int enc_iso20_ac(struct exi_writer *w, const void *doc)
{
    return exi_iso20_ac_encode(w, doc);
}

const struct exi_codec exi_codecs[] = {
    {"appHand", sizeof(struct exi_apphand_document), &exi_apphand_meta_document, dec_apphand, enc_apphand},
    {"din", sizeof(struct exi_din_document), &exi_din_meta_document, dec_din, enc_din},
    {"iso2", sizeof(struct exi_iso2_document), &exi_iso2_meta_document, dec_iso2, enc_iso2},
    {"iso20", sizeof(struct exi_iso20_document), &exi_iso20_meta_document, dec_iso20, enc_iso20},
    {"iso20_dc", sizeof(struct exi_iso20_dc_document), &exi_iso20_dc_meta_document, dec_iso20_dc, enc_iso20_dc},
    {"iso20_ac", sizeof(struct exi_iso20_ac_document), &exi_iso20_ac_meta_document, dec_iso20_ac, enc_iso20_ac},
};

const size_t exi_codecs_count = sizeof exi_codecs / sizeof exi_codecs[0];

const struct exi_codec *exi_codec_find(const char *name)
{
    for (size_t i = 0; i < exi_codecs_count; i++) {
        if (strcmp(exi_codecs[i].name, name) == 0) {
            return &exi_codecs[i];
        }
    }
    return NULL;
}
