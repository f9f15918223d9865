/**
 * @file v2gc_xml.c
 * @brief XML printer and parser over the reflection tables (host tool only).
 */
#include "v2gc_xml.h"
#include "tool_hex.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ buffer */

static void put(struct v2gc_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) {
            nc *= 2;
        }
        char *np = realloc(b->p, nc);
        if (np == NULL) {
            abort();
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct v2gc_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void printf_(struct v2gc_buf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) {
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    }
}

void v2gc_buf_free(struct v2gc_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ values */

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int64_t get_int(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: { int8_t v; memcpy(&v, p, 1); return v; }
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

static uint64_t get_uint(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void put_text(struct v2gc_buf *b, const char *s, size_t n, bool attr)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '&') {
            puts_(b, "&amp;");
        } else if (c == '<') {
            puts_(b, "&lt;");
        } else if (c == '>') {
            puts_(b, "&gt;");
        } else if (c == '"' && attr) {
            puts_(b, "&quot;");
        } else if (c < 0x20) {
            printf_(b, "&#%u;", c);
        } else {
            put(b, (const char *)&s[i], 1);
        }
    }
}

static int put_value(struct v2gc_buf *b, const struct exi_meta_field *f, const uint8_t *item, bool attr)
{
    switch (f->kind) {
    case EXI_MK_BOOL:
        puts_(b, *(const bool *)(const void *)item ? "true" : "false");
        return 0;
    case EXI_MK_ENUM:
        if (*item >= f->nenum) {
            return -1;
        }
        puts_(b, f->enums[*item]);
        return 0;
    case EXI_MK_INT:
        printf_(b, "%" PRId64, get_int(item, f->csize));
        return 0;
    case EXI_MK_UINT:
        printf_(b, "%" PRIu64, get_uint(item, f->csize));
        return 0;
    case EXI_MK_STRING: {
        uint16_t len;
        memcpy(&len, item + (f->len_off - f->off), 2);
        put_text(b, (const char *)item, len, attr);
        return 0;
    }
    case EXI_MK_HEX: {
        uint16_t len;
        memcpy(&len, item + (f->len_off - f->off), 2);
        for (uint16_t i = 0; i < len; i++) {
            printf_(b, "%02X", item[i]);
        }
        return 0;
    }
    case EXI_MK_B64: {
        uint16_t len;
        memcpy(&len, item + (f->len_off - f->off), 2);
        for (uint16_t i = 0; i < len; i += 3) {
            uint32_t v = (uint32_t)item[i] << 16;
            unsigned n = (unsigned)(len - i < 3 ? len - i : 3);
            if (n > 1) {
                v |= (uint32_t)item[i + 1] << 8;
            }
            if (n > 2) {
                v |= item[i + 2];
            }
            char q[4] = {s_b64[(v >> 18) & 63], s_b64[(v >> 12) & 63], n > 1 ? s_b64[(v >> 6) & 63] : '=',
                         n > 2 ? s_b64[v & 63] : '='};
            put(b, q, 4);
        }
        return 0;
    }
    default:
        return -1;
    }
}

/* ------------------------------------------------------------------ printer */

static bool present(const struct exi_meta_field *f, const uint8_t *base)
{
    if (f->flag_off != EXI_META_NONE && !*(const bool *)(const void *)(base + f->flag_off)) {
        return false;
    }
    return true;
}

static uint16_t count(const struct exi_meta_field *f, const uint8_t *base)
{
    uint16_t n = 1;
    if (f->cnt_off != EXI_META_NONE) {
        memcpy(&n, base + f->cnt_off, 2);
        if (n > f->cap) {
            n = f->cap;
        }
    }
    return n;
}

static int print_element(struct v2gc_buf *b, const char *name, const struct exi_meta_field *f, const uint8_t *item);

static int print_struct_body(struct v2gc_buf *b, const char *name, const struct exi_meta_type *t,
                             const uint8_t *base)
{
    struct v2gc_buf inner = {0};
    int rc = 0;
    printf_(b, "<");
    puts_(b, name);
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        if (!f->is_attr || !present(f, base)) {
            continue;
        }
        puts_(b, " ");
        puts_(b, f->name);
        puts_(b, "=\"");
        if (put_value(b, f, base + f->off, true) != 0) {
            rc = -1;
        }
        puts_(b, "\"");
    }
    for (uint16_t i = 0; i < t->nfields && rc == 0; i++) {
        const struct exi_meta_field *f = &t->fields[i];
        if (f->is_attr || !present(f, base)) {
            continue;
        }
        if (f->name == NULL) {
            rc = put_value(&inner, f, base + f->off, false);
            continue;
        }
        uint16_t n = count(f, base);
        for (uint16_t k = 0; k < n && rc == 0; k++) {
            rc = print_element(&inner, f->name, f, base + f->off + (size_t)k * f->stride);
        }
    }
    if (inner.len == 0) {
        puts_(b, "/>");
    } else {
        puts_(b, ">");
        put(b, inner.p, inner.len);
        puts_(b, "</");
        puts_(b, name);
        puts_(b, ">");
    }
    v2gc_buf_free(&inner);
    return rc;
}

static int print_element(struct v2gc_buf *b, const char *name, const struct exi_meta_field *f, const uint8_t *item)
{
    if (f->kind == EXI_MK_STRUCT) {
        return print_struct_body(b, name, f->sub, item);
    }
    struct v2gc_buf v = {0};
    int rc = put_value(&v, f, item, false);
    if (v.len == 0) {
        printf_(b, "<");
        puts_(b, name);
        puts_(b, "/>");
    } else {
        printf_(b, "<");
        puts_(b, name);
        puts_(b, ">");
        put(b, v.p, v.len);
        puts_(b, "</");
        puts_(b, name);
        puts_(b, ">");
    }
    v2gc_buf_free(&v);
    return rc;
}

int v2gc_xml_print(struct v2gc_buf *out, const struct exi_meta_type *doc_type, const void *doc)
{
    const uint8_t *base = doc;
    for (uint16_t i = 0; i < doc_type->nfields; i++) {
        const struct exi_meta_field *f = &doc_type->fields[i];
        if (present(f, base)) {
            return print_element(out, f->name, f, base + f->off);
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ parser */

struct px {
    const char *s;
    char *err;
    size_t errlen;
};

static int perr(struct px *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (x->err[0] == '\0') {
        vsnprintf(x->err, x->errlen, fmt, ap);
    }
    va_end(ap);
    return -1;
}

static void skip_ws(struct px *x)
{
    while (*x->s == ' ' || *x->s == '\t' || *x->s == '\n' || *x->s == '\r') {
        x->s++;
    }
}

static void put_utf8(struct v2gc_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(b, u, n);
}

/* Decode text up to one of the stop characters, resolving entities. */
static int read_text(struct px *x, struct v2gc_buf *b, char stop)
{
    while (*x->s && *x->s != stop && !(stop == '<' && *x->s == '<')) {
        if (*x->s == '&') {
            const char *e = strchr(x->s, ';');
            if (e == NULL) {
                return perr(x, "bad entity");
            }
            size_t n = (size_t)(e - x->s - 1);
            const char *nm = x->s + 1;
            if (n == 3 && strncmp(nm, "amp", 3) == 0) {
                put(b, "&", 1);
            } else if (n == 2 && strncmp(nm, "lt", 2) == 0) {
                put(b, "<", 1);
            } else if (n == 2 && strncmp(nm, "gt", 2) == 0) {
                put(b, ">", 1);
            } else if (n == 4 && strncmp(nm, "quot", 4) == 0) {
                put(b, "\"", 1);
            } else if (n == 4 && strncmp(nm, "apos", 4) == 0) {
                put(b, "'", 1);
            } else if (n > 1 && nm[0] == '#') {
                unsigned long cp = nm[1] == 'x' ? strtoul(nm + 2, NULL, 16) : strtoul(nm + 1, NULL, 10);
                put_utf8(b, (uint32_t)cp);
            } else {
                return perr(x, "unknown entity");
            }
            x->s = e + 1;
        } else {
            put(b, x->s, 1);
            x->s++;
        }
    }
    return 0;
}

static int read_name(struct px *x, char *out, size_t cap)
{
    size_t n = 0;
    while (*x->s && *x->s != ' ' && *x->s != '>' && *x->s != '/' && *x->s != '=' && *x->s != '\t' &&
           *x->s != '\n' && *x->s != '\r') {
        if (n + 1 >= cap) {
            return perr(x, "name too long");
        }
        out[n++] = *x->s++;
    }
    out[n] = '\0';
    return n ? 0 : perr(x, "empty name");
}

static int b64val(char c)
{
    const char *p = strchr(s_b64, c);
    return (c != '\0' && p != NULL) ? (int)(p - s_b64) : -1;
}

static void set_int(uint8_t *p, unsigned size, int64_t v)
{
    switch (size) {
    case 1: { int8_t t = (int8_t)v; memcpy(p, &t, 1); break; }
    case 2: { int16_t t = (int16_t)v; memcpy(p, &t, 2); break; }
    case 4: { int32_t t = (int32_t)v; memcpy(p, &t, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static int parse_value(struct px *x, const struct exi_meta_field *f, uint8_t *item, const char *txt, size_t n)
{
    char *end;
    switch (f->kind) {
    case EXI_MK_BOOL:
        if (strcmp(txt, "true") == 0 || strcmp(txt, "1") == 0) {
            *(bool *)(void *)item = true;
        } else if (strcmp(txt, "false") == 0 || strcmp(txt, "0") == 0) {
            *(bool *)(void *)item = false;
        } else {
            return perr(x, "bad boolean '%s'", txt);
        }
        return 0;
    case EXI_MK_ENUM:
        for (uint16_t i = 0; i < f->nenum; i++) {
            if (strcmp(f->enums[i], txt) == 0) {
                *item = (uint8_t)i;
                return 0;
            }
        }
        return perr(x, "bad enumeration value '%s'", txt);
    case EXI_MK_INT: {
        long long v = strtoll(txt, &end, 10);
        if (n == 0 || *end != '\0' || v < f->vmin || v > (int64_t)f->vmax) {
            return perr(x, "bad integer '%s' for %s", txt, f->name ? f->name : "content");
        }
        set_int(item, f->csize, v);
        return 0;
    }
    case EXI_MK_UINT: {
        unsigned long long v = strtoull(txt, &end, 10);
        if (n == 0 || *end != '\0' || txt[0] == '-' || v > f->vmax || (int64_t)v < f->vmin) {
            return perr(x, "bad unsigned '%s' for %s", txt, f->name ? f->name : "content");
        }
        set_int(item, f->csize, (int64_t)v);
        return 0;
    }
    case EXI_MK_STRING:
        if (n > f->str_cap) {
            return perr(x, "string too long for %s", f->name ? f->name : "content");
        }
        memcpy(item, txt, n);
        {
            uint16_t l = (uint16_t)n;
            memcpy(item + (f->len_off - f->off), &l, 2);
        }
        return 0;
    case EXI_MK_HEX: {
        if (n % 2 || n / 2 > f->str_cap) {
            return perr(x, "bad hexBinary length for %s", f->name);
        }
        for (size_t i = 0; i < n / 2; i++) {
            int a = tool_hex_digit(txt[2 * i]), b = tool_hex_digit(txt[2 * i + 1]);
            if (a < 0 || b < 0) {
                return perr(x, "bad hexBinary for %s", f->name);
            }
            item[i] = (uint8_t)(a * 16 + b);
        }
        uint16_t l = (uint16_t)(n / 2);
        memcpy(item + (f->len_off - f->off), &l, 2);
        return 0;
    }
    case EXI_MK_B64: {
        size_t o = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < n; i++) {
            if (txt[i] == '=' || txt[i] == ' ' || txt[i] == '\n' || txt[i] == '\r' || txt[i] == '\t') {
                continue;
            }
            int v = b64val(txt[i]);
            if (v < 0) {
                return perr(x, "bad base64 for %s", f->name ? f->name : "content");
            }
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                if (o >= f->str_cap) {
                    return perr(x, "base64 value too long for %s", f->name ? f->name : "content");
                }
                item[o++] = (uint8_t)(acc >> bits);
            }
        }
        uint16_t l = (uint16_t)o;
        memcpy(item + (f->len_off - f->off), &l, 2);
        return 0;
    }
    default:
        return perr(x, "bad kind");
    }
}

static void set_flag(const struct exi_meta_field *f, uint8_t *base)
{
    if (f->flag_off != EXI_META_NONE) {
        *(bool *)(void *)(base + f->flag_off) = true;
    }
}

static int parse_struct(struct px *x, const char *name, const struct exi_meta_type *t, uint8_t *base);

/* After the start tag name of a simple element: attributes none, then text. */
static int parse_simple(struct px *x, const char *name, const struct exi_meta_field *f, uint8_t *item)
{
    struct v2gc_buf txt = {0};
    int rc = 0;
    skip_ws(x);
    if (x->s[0] == '/' && x->s[1] == '>') {
        x->s += 2;
        puts_(&txt, "");
    } else if (x->s[0] == '>') {
        x->s++;
        puts_(&txt, "");
        rc = read_text(x, &txt, '<');
        if (rc == 0) {
            char nm[128];
            if (x->s[0] != '<' || x->s[1] != '/') {
                rc = perr(x, "expected </%s>", name);
            } else {
                x->s += 2;
                if (read_name(x, nm, sizeof nm) != 0 || strcmp(nm, name) != 0 || *x->s != '>') {
                    rc = perr(x, "mismatched end tag for %s", name);
                } else {
                    x->s++;
                }
            }
        }
    } else {
        rc = perr(x, "attributes on simple element %s", name);
    }
    if (rc == 0) {
        rc = parse_value(x, f, item, txt.p, txt.len);
    }
    v2gc_buf_free(&txt);
    return rc;
}

static int find_field(const struct exi_meta_type *t, const char *nm, bool attr, uint16_t from)
{
    for (uint16_t pass = 0; pass < 2; pass++) {
        for (uint16_t i = pass ? 0 : from; i < t->nfields; i++) {
            const struct exi_meta_field *f = &t->fields[i];
            if (f->name && (f->is_attr != 0) == attr && strcmp(f->name, nm) == 0) {
                return i;
            }
        }
    }
    return -1;
}

static int parse_child(struct px *x, const struct exi_meta_type *t, uint8_t *base, uint16_t *cur)
{
    char nm[128];
    if (read_name(x, nm, sizeof nm) != 0) {
        return -1;
    }
    int i = find_field(t, nm, false, *cur);
    if (i < 0) {
        return perr(x, "unexpected element %s in %s", nm, t->name);
    }
    const struct exi_meta_field *f = &t->fields[i];
    uint8_t *item = base + f->off;
    if (f->cnt_off != EXI_META_NONE) {
        uint16_t n;
        memcpy(&n, base + f->cnt_off, 2);
        if (n >= f->cap) {
            return perr(x, "too many %s (capacity %u)", nm, f->cap);
        }
        item += (size_t)n * f->stride;
        n++;
        memcpy(base + f->cnt_off, &n, 2);
        *cur = (uint16_t)i;
    } else {
        *cur = (uint16_t)(i + 1);
    }
    set_flag(f, base);
    if (f->kind == EXI_MK_STRUCT) {
        return parse_struct(x, nm, f->sub, item);
    }
    return parse_simple(x, nm, f, item);
}

/* After the start tag name: attributes, content, end tag. */
static int parse_struct(struct px *x, const char *name, const struct exi_meta_type *t, uint8_t *base)
{
    uint16_t cur = 0;
    for (;;) {
        skip_ws(x);
        if (x->s[0] == '/' && x->s[1] == '>') {
            x->s += 2;
            return 0;
        }
        if (x->s[0] == '>') {
            x->s++;
            break;
        }
        char an[128];
        if (read_name(x, an, sizeof an) != 0) {
            return -1;
        }
        if (x->s[0] != '=' || x->s[1] != '"') {
            return perr(x, "bad attribute %s", an);
        }
        x->s += 2;
        struct v2gc_buf v = {0};
        puts_(&v, "");
        int rc = read_text(x, &v, '"');
        if (rc == 0 && *x->s != '"') {
            rc = perr(x, "unterminated attribute");
        }
        x->s++;
        int i = rc == 0 ? find_field(t, an, true, 0) : -1;
        if (rc == 0 && i < 0) {
            const char *colon = strchr(an, ':');
            /* Namespace declarations are ignored. */
            if (strncmp(an, "xmlns", 5) != 0 || (an[5] != '\0' && an[5] != ':')) {
                rc = perr(x, "unknown attribute %s", an);
            }
            (void)colon;
        } else if (rc == 0) {
            set_flag(&t->fields[i], base);
            rc = parse_value(x, &t->fields[i], base + t->fields[i].off, v.p, v.len);
        }
        v2gc_buf_free(&v);
        if (rc != 0) {
            return -1;
        }
    }
    /* content */
    struct v2gc_buf txt = {0};
    puts_(&txt, "");
    for (;;) {
        if (read_text(x, &txt, '<') != 0) {
            v2gc_buf_free(&txt);
            return -1;
        }
        if (*x->s != '<') {
            v2gc_buf_free(&txt);
            return perr(x, "unexpected end in %s", name);
        }
        if (x->s[1] == '/') {
            char nm[128];
            x->s += 2;
            if (read_name(x, nm, sizeof nm) != 0 || strcmp(nm, name) != 0 || *x->s != '>') {
                v2gc_buf_free(&txt);
                return perr(x, "mismatched end tag in %s", name);
            }
            x->s++;
            break;
        }
        x->s++;
        if (parse_child(x, t, base, &cur) != 0) {
            v2gc_buf_free(&txt);
            return -1;
        }
    }
    int rc = 0;
    for (uint16_t i = 0; i < t->nfields; i++) {
        if (t->fields[i].name == NULL && !t->fields[i].is_attr) {
            rc = parse_value(x, &t->fields[i], base + t->fields[i].off, txt.p, txt.len);
        }
    }
    v2gc_buf_free(&txt);
    return rc;
}

int v2gc_xml_parse(const char *xml, const struct exi_meta_type *doc_type, void *doc, char *err, size_t errlen)
{
    struct px x = {xml, err, errlen};
    uint16_t cur = 0;
    err[0] = '\0';
    memset(doc, 0, doc_type->size);
    skip_ws(&x);
    if (strncmp(x.s, "<?xml", 5) == 0) {
        x.s = strstr(x.s, "?>");
        if (x.s == NULL) {
            return perr(&x, "bad XML declaration");
        }
        x.s += 2;
        skip_ws(&x);
    }
    if (*x.s != '<') {
        return perr(&x, "expected '<'");
    }
    x.s++;
    if (parse_child(&x, doc_type, doc, &cur) != 0) {
        return -1;
    }
    skip_ws(&x);
    if (*x.s != '\0') {
        return perr(&x, "trailing text after the document");
    }
    return 0;
}
