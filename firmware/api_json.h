/**
 * @file api_json.h
 * @brief The JSON the MQTT API speaks: a bounded parser for one flat object (the commands
 *        an integrator sends: string, number, true/false/null values, no nesting) and a
 *        bounded writer for the payloads the API publishes. No heap: the parsed object lives
 *        in the caller's struct, the writer writes into the caller's buffer.
 *
 * Numbers are kept as fixed point (value x 1000, "milli"), so 12.5 A becomes 12500 mA and
 * 7400 W becomes 7 400 000 mW without floating point on a small MCU. Exponents are refused:
 * no command needs them, and refusing is simpler than bounding them.
 */
#ifndef API_JSON_H
#define API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Keys one command object may hold. */
#ifndef CFG_API_JSON_KEYS
#define CFG_API_JSON_KEYS 8
#endif
/** Longest key plus its NUL. */
#define API_JSON_KEY_MAX 24u
/** Longest string value plus its NUL (a firmware URL is the longest). */
#ifndef CFG_API_JSON_STR_MAX
#define CFG_API_JSON_STR_MAX 256
#endif
_Static_assert(CFG_API_JSON_KEYS >= 4 && CFG_API_JSON_KEYS <= 32, "CFG_API_JSON_KEYS must be 4..32");
_Static_assert(CFG_API_JSON_STR_MAX >= 32 && CFG_API_JSON_STR_MAX <= 4096, "CFG_API_JSON_STR_MAX must be 32..4096");

/** Largest magnitude of a number (in units, before the x 1000): 10^12. */
#define API_JSON_NUM_MAX 1000000000000ll

enum api_json_type {
    API_JSON_STRING = 0,
    API_JSON_NUMBER,
    API_JSON_BOOL,
    API_JSON_NULL,
};

/** One member of the object. */
struct api_json_member {
    char key[API_JSON_KEY_MAX];
    enum api_json_type type;
    char str[CFG_API_JSON_STR_MAX]; /**< API_JSON_STRING, unescaped (\\uXXXX above 0x7f refused) */
    int64_t milli;                  /**< API_JSON_NUMBER: value x 1000 (more decimals refused) */
    bool b;                         /**< API_JSON_BOOL */
};

/** A parsed flat object. */
struct api_json_obj {
    struct api_json_member m[CFG_API_JSON_KEYS];
    uint8_t n;
};

/**
 * @brief Parse @p len bytes holding one JSON object with flat members.
 * @param[out] why on failure, a static reason ("expected a string key", ...)
 * @retval HAL_OK @p out filled
 * @retval HAL_EPROTO not such an object (see @p why); @p out is then undefined
 */
int api_json_parse(const char *text, size_t len, struct api_json_obj *out, const char **why);

/** @brief The member named @p key, or NULL. */
const struct api_json_member *api_json_get(const struct api_json_obj *o, const char *key);

/** A writer over a caller's buffer; `overflow` once something did not fit. */
struct api_json_out {
    char *buf;
    size_t cap, len;
    bool overflow;
    bool first; /**< no member written yet in the object */
};

/** @brief Start an object in @p buf (cap >= 3). */
void api_json_begin(struct api_json_out *w, char *buf, size_t cap);
/** @brief Close the object; @return its length, or 0 when something did not fit. */
size_t api_json_end(struct api_json_out *w);
/** @brief A string member (escaped); NULL writes null. */
void api_json_str(struct api_json_out *w, const char *key, const char *val);
/** @brief An integer member. */
void api_json_int(struct api_json_out *w, const char *key, int64_t val);
/** @brief A fixed-point member: @p milli / 1000 with up to 3 decimals ("12.5"). */
void api_json_milli(struct api_json_out *w, const char *key, int64_t milli);
/** @brief A boolean member. */
void api_json_bool(struct api_json_out *w, const char *key, bool val);
/** @brief A null member. */
void api_json_null(struct api_json_out *w, const char *key);
/** @brief A member whose value the caller formatted (an array, a nested object). */
void api_json_raw(struct api_json_out *w, const char *key, const char *json);

#endif /* API_JSON_H */
