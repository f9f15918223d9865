/**
 * @file fuzz_board_config.c
 * @brief libFuzzer harness for the Linux board's configuration file reader
 *        (boardlib/board_config.c: key table, cross-checks, bus specs, module lists).
 *
 * board_config_load() reads a path, so each input is written to one temporary file
 * (created once per process under $TMPDIR, removed at exit) and loaded from there; the
 * reader is used exactly as the charger uses it. Messages go to /dev/null. Checked: no
 * sanitizer report; an accepted file gives values inside the documented ranges. The
 * module-list parser is also fed the raw input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[256];
static FILE *s_null;
static struct board_config s_cfg;

static void fuzz_board_config_cleanup(void)
{
    if (s_path[0] != '\0') {
        unlink(s_path);
    }
}

static void fuzz_board_config_setup(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(s_path, sizeof s_path, "%s/fuzz_board_config.XXXXXX", dir != NULL ? dir : "/tmp");
    int fd = mkstemp(s_path);
    s_null = fopen("/dev/null", "w");
    if (fd < 0 || s_null == NULL) {
        abort();
    }
    close(fd);
    atexit(fuzz_board_config_cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_null == NULL) {
        fuzz_board_config_setup();
    }
    FILE *f = fopen(s_path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }
    board_config_defaults(&s_cfg);
    if (board_config_load(&s_cfg, s_path, s_null) == 0) {
        if (memchr(s_cfg.charger_name, '\0', sizeof s_cfg.charger_name) == NULL ||
            memchr(s_cfg.meter_bus, '\0', sizeof s_cfg.meter_bus) == NULL ||
            memchr(s_cfg.store_dir, '\0', sizeof s_cfg.store_dir) == NULL ||
            s_cfg.log_level < 0 || s_cfg.log_level > 3) {
            abort();
        }
    }
    /* The module list parser on the raw bytes, as one NUL-terminated string. */
    char text[128];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint8_t addrs[64];
    uint8_t count = 0;
    const char *why = NULL;
    if (board_config_modules(text, addrs, &count, &why) != 0 && why == NULL) {
        abort(); /* a refusal always says why */
    }
    return 0;
}
