/**
 * @file v2gc_xml.h
 * @brief XML <-> document struct conversion driven by the generated reflection tables.
 *
 * The XML form is the canonical one of shared/vectors/exi_catalog.jsonl: no
 * namespace prefixes or declarations on elements, qualified attributes as
 * nsN:name (N = EXI URI partition id), hexBinary upper-case, base64Binary with
 * padding, empty elements as <X/>.
 */
#ifndef V2GC_XML_H
#define V2GC_XML_H

#include <stddef.h>

#include "exi/exi_meta.h"

/** Growable output string. */
struct v2gc_buf {
    char *p;     /**< NUL-terminated text */
    size_t len;  /**< length */
    size_t cap;  /**< allocated */
};

/**
 * @brief Append the XML of a decoded document to @p out.
 * @param out output buffer (initialise to all zero)
 * @param doc_type reflection table of the document struct
 * @param doc the document
 * @return 0, or -1 when a value cannot be printed (unknown enum index)
 */
int v2gc_xml_print(struct v2gc_buf *out, const struct exi_meta_type *doc_type, const void *doc);

/**
 * @brief Parse one XML document into a document struct.
 * @param xml NUL-terminated text
 * @param doc_type reflection table of the document struct
 * @param doc destination, doc_type->size bytes; zeroed first
 * @param err receives a reason on failure
 * @param errlen size of err
 * @return 0 or -1
 */
int v2gc_xml_parse(const char *xml, const struct exi_meta_type *doc_type, void *doc, char *err, size_t errlen);

/** @brief Free the buffer. @param b buffer */
void v2gc_buf_free(struct v2gc_buf *b);

#endif /* V2GC_XML_H */
