/**
 * @file exi_registry.h
 * @brief Table of the generated codecs by catalog schema name (host tools, tests, fuzzers).
 */
#ifndef EXI_REGISTRY_H
#define EXI_REGISTRY_H

#include <stddef.h>

#include "exi/exi_meta.h"
#include "exi/exi_stream.h"

/** One schema set's codec behind a type-erased interface. */
struct exi_codec {
    const char *name;                                       /**< appHand din iso2 iso20 iso20_dc iso20_ac */
    size_t doc_size;                                        /**< sizeof its document struct */
    const struct exi_meta_type *meta;                       /**< reflection table of the document */
    int (*decode)(struct exi_reader *r, void *doc);         /**< exi_<set>_decode() */
    int (*encode)(struct exi_writer *w, const void *doc);   /**< exi_<set>_encode() */
};

/** All codecs, in catalog order. */
extern const struct exi_codec exi_codecs[];
/** Number of entries of exi_codecs. */
extern const size_t exi_codecs_count;

/**
 * @brief Find a codec by its catalog schema name.
 * @param name schema name
 * @return the codec, or NULL when unknown
 */
const struct exi_codec *exi_codec_find(const char *name);

#endif /* EXI_REGISTRY_H */
