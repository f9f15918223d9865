/**
 * @file fuzz_config.c
 * @brief libFuzzer harness for the configuration reader (firmware/config.c).
 *
 * Any text is parsed against a table holding every value type (bool, ranged u32,
 * string, enum), required and optional keys. Checked: no sanitizer report; on success
 * every value lies inside its definition (u32 in range, enum index valid, string
 * terminated and not empty, required keys present); on failure the message is
 * terminated and names a line inside the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_config_dst {
    bool flag;
    uint32_t small;
    uint32_t wide;
    char name[16];
    char path[64];
    int level;
};

static const char *const s_levels[] = {"error", "warn", "info", "debug", NULL};

static const struct config_key s_keys[] = {
    {"a.flag", CONFIG_BOOL, false, offsetof(struct fuzz_config_dst, flag), 0, 0, 0, NULL, "b"},
    {"a.small", CONFIG_U32, true, offsetof(struct fuzz_config_dst, small), 0, 5, 500, NULL, "u"},
    {"b.wide", CONFIG_U32, false, offsetof(struct fuzz_config_dst, wide), 0, 0, UINT32_MAX, NULL, "u"},
    {"b.name", CONFIG_STRING, false, offsetof(struct fuzz_config_dst, name),
     sizeof ((struct fuzz_config_dst *)0)->name, 0, 0, NULL, "s"},
    {"c.path", CONFIG_STRING, true, offsetof(struct fuzz_config_dst, path),
     sizeof ((struct fuzz_config_dst *)0)->path, 0, 0, NULL, "s"},
    {"log.level", CONFIG_ENUM, false, offsetof(struct fuzz_config_dst, level), 0, 0, 0, s_levels, "e"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_config_dst d;
    memset(&d, 0, sizeof d);
    d.small = 7;
    d.level = 2;
    memcpy(d.name, "dflt", 5);
    struct config_error err;
    memset(&err, 0xA5, sizeof err); /* the parser must terminate what it reports */
    /* The text is passed with its length and is never NUL-terminated here, as in a file. */
    int rc = config_parse(s_keys, sizeof s_keys / sizeof s_keys[0], &d, (const char *)data, size, &err);
    if (rc == HAL_OK) {
        if (d.small < 5 || d.small > 500 || d.level < 0 || d.level > 3 ||
            memchr(d.name, '\0', sizeof d.name) == NULL || d.name[0] == '\0' ||
            memchr(d.path, '\0', sizeof d.path) == NULL || d.path[0] == '\0') {
            abort();
        }
    } else if (rc == HAL_EINVAL) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) {
            lines += data[i] == '\n';
        }
        if (memchr(err.key, '\0', sizeof err.key) == NULL ||
            memchr(err.reason, '\0', sizeof err.reason) == NULL || err.reason[0] == '\0' ||
            err.line > lines) {
            abort();
        }
    } else {
        abort();
    }
    return 0;
}
