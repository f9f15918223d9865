/**
 * @file config.h
 * @brief Reader of the `key = value` configuration format, driven by a table of keys.
 *
 * The format (docs/configuration.md): one `key = value` per line; `#` starts a
 * comment line; blank lines are ignored; values are booleans (true/false), decimal
 * integers, enum names or strings (optionally in double quotes). Every key must be
 * known, may appear once, and must have the right type and range; required keys
 * must be present. config_parse() stops at the first problem and reports it with its
 * line, key and reason; config_parse_all() reports every problem. The reader works on a buffer, so a board reads the file (or a
 * flash record) itself.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Longest line accepted, without the line end. */
#define CONFIG_LINE_MAX 255u
/** Most keys one table may have: duplicate detection keeps the line of each key on the stack
 *  (4 bytes a key). The Linux board's table has 72 with the MQTT, capture and board I/O keys. */
#define CONFIG_KEYS_MAX 128u

/** Type of a value. */
enum config_type {
    CONFIG_BOOL = 0, /**< bool */
    CONFIG_U32,      /**< uint32_t within [min, max] */
    CONFIG_STRING,   /**< char[size], NUL-terminated, 1..size-1 characters */
    CONFIG_ENUM,     /**< int: index into `names` */
};

/** One key of a table. */
struct config_key {
    const char *name;          /**< e.g. "can.bitrate" */
    enum config_type type;
    bool required;
    size_t offset;             /**< where the value goes in the destination struct */
    size_t size;               /**< CONFIG_STRING: size of the char array */
    uint32_t min, max;         /**< CONFIG_U32: inclusive range */
    const char *const *names;  /**< CONFIG_ENUM: NULL-terminated list of names */
    const char *help;          /**< one line for --help and the docs */
};

/** Where and why a parse failed. */
struct config_error {
    unsigned line;    /**< 1-based; 0 when the problem is not on one line */
    char key[48];     /**< the key concerned, or "" */
    char reason[112]; /**< what is wrong, for a person */
};

/**
 * @brief Called for each problem config_parse_all() finds.
 * @return true to stop at this problem, false to go on reading for the others
 */
typedef bool (*config_error_fn)(void *ctx, const struct config_error *e);

/**
 * @brief Parse @p text into @p dst and report every problem, not only the first: a bad
 *        line is skipped and the reading goes on (a text that is not text at all, an
 *        empty one, stops at once). A UTF-8 byte order mark is named as such.
 * @param on_error called once per problem, in file order (may be NULL: just count)
 * @return the number of problems reported; 0 = valid (@p dst filled as config_parse())
 */
unsigned config_parse_all(const struct config_key *keys, size_t nkeys, void *dst, const char *text,
                          size_t len, config_error_fn on_error, void *ctx);

/**
 * @brief Parse @p text into @p dst. Fields whose keys are absent keep what @p dst had,
 *        so fill it with defaults first.
 * @retval HAL_OK every line was valid and every required key present
 * @retval HAL_EINVAL the text is invalid; @p err says where and why; @p dst may be
 *         partly written and must not be used
 */
int config_parse(const struct config_key *keys, size_t nkeys, void *dst, const char *text,
                 size_t len, struct config_error *err);

#endif /* CONFIG_H */
