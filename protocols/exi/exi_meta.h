/**
 * @file exi_meta.h
 * @brief Reflection tables of the generated document structs.
 *
 * Each generated codec publishes exi_<set>_meta_document: the fields of every
 * struct with their XML names, offsets, presence flags, array counters and
 * value kinds. Host tools (v2g-codec's XML conversion, the property tests,
 * the fuzzers) walk these tables; the firmware never needs them, and a linker
 * drops them when nothing references them.
 */
#ifndef EXI_META_H
#define EXI_META_H

#include <stddef.h>
#include <stdint.h>

/** Offset value meaning "no such member". */
#define EXI_META_NONE ((size_t)-1)

/** Value kinds. */
enum exi_meta_kind {
    EXI_MK_STRUCT = 0, /**< nested struct (sub) */
    EXI_MK_BOOL,       /**< bool */
    EXI_MK_ENUM,       /**< uint8_t index into enums */
    EXI_MK_INT,        /**< signed integer of csize bytes */
    EXI_MK_UINT,       /**< unsigned integer of csize bytes */
    EXI_MK_STRING,     /**< UTF-8 characters + uint16_t length */
    EXI_MK_HEX,        /**< hexBinary bytes + uint16_t length */
    EXI_MK_B64         /**< base64Binary bytes + uint16_t length */
};

struct exi_meta_type;

/** One attribute, element or simple content of a struct. */
struct exi_meta_field {
    const char *name;                 /**< XML name ("Id", "ns5:Id"); NULL for simple content */
    const struct exi_meta_type *sub;  /**< EXI_MK_STRUCT: the nested type */
    const char *const *enums;         /**< EXI_MK_ENUM: value names */
    int64_t vmin;                     /**< integer range (schema facets) */
    uint64_t vmax;                    /**< integer range; for signed kinds read as int64_t */
    size_t off;                       /**< value (or characters/bytes) of item 0 */
    size_t len_off;                   /**< charactersLen/bytesLen of item 0 */
    size_t flag_off;                  /**< bool X_isUsed, or EXI_META_NONE */
    size_t cnt_off;                   /**< uint16_t arrayLen, or EXI_META_NONE */
    size_t stride;                    /**< array item size */
    uint16_t cap;                     /**< array capacity (1 if not an array) */
    uint16_t str_cap;                 /**< string/binary capacity */
    uint16_t group;                   /**< choice group (0: none); one alternative per group */
    uint16_t alt;                     /**< alternative index within the group */
    uint16_t min_occ;                 /**< schema minOccurs */
    uint16_t max_occ;                 /**< schema maxOccurs (0xFFFF: unbounded) */
    uint8_t kind;                     /**< enum exi_meta_kind */
    uint8_t is_attr;                  /**< 1 for attributes */
    uint16_t nenum;                   /**< number of enumeration values */
    uint8_t csize;                    /**< size of a scalar value */
};

/** One struct. */
struct exi_meta_type {
    const char *name;                    /**< type name */
    size_t size;                         /**< sizeof the struct */
    uint16_t nfields;                    /**< number of fields */
    const struct exi_meta_field *fields; /**< fields in schema order */
};

#endif /* EXI_META_H */
