#include "board_config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const char *const s_levels[] = {"error", "warn", "info", "debug", NULL};

#define U32(k, field, lo, hi, req, text)                                                         \
    {.name = k, .type = CONFIG_U32, .required = req, .offset = offsetof(struct board_config, field), \
     .min = lo, .max = hi, .help = text}
#define STR(k, field, req, text)                                                                 \
    {.name = k, .type = CONFIG_STRING, .required = req,                                          \
     .offset = offsetof(struct board_config, field),                                            \
     .size = sizeof(((struct board_config *)0)->field), .help = text}

static const struct config_key s_keys[] = {
    STR("charger.name", charger_name, false, "connector name used in logs (default cp0)"),
    U32("charger.export_voltage_v", export_voltage_v, 50, 1000, false,
        "output voltage setpoint while charging, V (default 400)"),
    U32("charger.export_current_a", export_current_a, 1, 500, false,
        "output current limit while charging, A (default 10)"),
    U32("pilot.debounce_ms", pilot_debounce_ms, 5, 1000, false,
        "a new pilot state must hold this long, ms (default 30)"),
    U32("interlock.safe_current_ma", safe_current_ma, 100, 10000, false,
        "contactors may open below this current, mA (default 2000)"),
    U32("interlock.power_down_timeout_ms", power_down_timeout_ms, 50, 5000, false,
        "longest wait for the current to fall before opening anyway, ms (default 500)"),
    U32("interlock.contactor_timeout_ms", contactor_timeout_ms, 20, 2000, false,
        "contactor feedback must follow within, ms (default 200)"),
    U32("interlock.lock_timeout_ms", lock_timeout_ms, 100, 10000, false,
        "lock feedback must follow within, ms (default 1500)"),
    STR("can.interface", can_interface, true, "SocketCAN interface of the power modules (required)"),
    U32("can.bitrate", can_bitrate, 10000, 1000000, false,
        "CAN bit rate, bit/s; ignored by vcan (default 125000)"),
    STR("store.dir", store_dir, true, "directory of the non-volatile store (required)"),
    {.name = "log.level", .type = CONFIG_ENUM, .offset = offsetof(struct board_config, log_level),
     .names = s_levels, .help = "error, warn, info or debug (default info)"},
    {.name = "log.syslog", .type = CONFIG_BOOL, .offset = offsetof(struct board_config, log_syslog),
     .help = "also log to syslog: true or false (default false)"},
};

void board_config_defaults(struct board_config *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->charger_name, "cp0", 4);
    c->export_voltage_v = 400;
    c->export_current_a = 10;
    c->pilot_debounce_ms = 30;
    c->safe_current_ma = 2000;
    c->power_down_timeout_ms = 500;
    c->contactor_timeout_ms = 200;
    c->lock_timeout_ms = 1500;
    c->can_bitrate = 125000;
    c->log_level = 2;
    c->log_syslog = false;
}

int board_config_load(struct board_config *c, const char *path, FILE *err)
{
    /* static: the board owns this buffer; it is too large for a small stack. */
    static char text[BOARD_CONFIG_FILE_MAX + 1];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(text, 1, sizeof text, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error) {
        fprintf(err, "%s: read error\n", path);
        return -1;
    }
    if (n > BOARD_CONFIG_FILE_MAX) {
        fprintf(err, "%s: file larger than %d bytes\n", path, BOARD_CONFIG_FILE_MAX);
        return -1;
    }
    struct config_error e;
    if (config_parse(s_keys, sizeof s_keys / sizeof s_keys[0], c, text, n, &e) != HAL_OK) {
        if (e.line != 0) {
            fprintf(err, "%s:%u: ", path, e.line);
        } else {
            fprintf(err, "%s: ", path);
        }
        if (e.key[0] != '\0') {
            fprintf(err, "%s: ", e.key);
        }
        fprintf(err, "%s\n", e.reason);
        return -1;
    }
    return 0;
}

void board_config_describe(FILE *out)
{
    for (size_t i = 0; i < sizeof s_keys / sizeof s_keys[0]; i++) {
        const struct config_key *k = &s_keys[i];
        fprintf(out, "  %-34s %s\n", k->name, k->help);
    }
}
