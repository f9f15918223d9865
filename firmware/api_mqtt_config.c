/* api_mqtt_config.c - owns the MQTT API's configuration rules: the defaults and the check
 * of every field. Apart from api_mqtt.c so that a board's configuration reader (and its
 * fuzz harness) can check the mqtt.* keys without linking the station. */
#include <stdio.h>
#include <string.h>

#include "api_mqtt.h"
#include "hal_err.h"

void api_mqtt_default_config(struct api_mqtt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->prefix, sizeof cfg->prefix, "dcfc");
    snprintf(cfg->station_id, sizeof cfg->station_id, "station");
    cfg->deadband_pct = 1;
    cfg->min_interval_ms = 1000;
    cfg->heartbeat_ms = 10000;
    cfg->version = "unknown";
}

/* A topic element: no '/', '+', '#' (they would change the scheme), nothing exotic. */
static bool api_mqtt_element_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 24u) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.')) {
            return false;
        }
    }
    return true;
}

int api_mqtt_check_config(const struct api_mqtt_config *cfg, const char **why)
{
    const char *w = NULL;
    if (!api_mqtt_element_ok(cfg->prefix)) {
        w = "the base topic must be 1..23 characters of A-Z a-z 0-9 _ . -";
    } else if (!api_mqtt_element_ok(cfg->station_id)) {
        w = "the client id must be 1..23 characters of A-Z a-z 0-9 _ . -";
    } else if (cfg->deadband_pct > 50u) {
        w = "the dead-band must be 0..50 %";
    } else if (cfg->min_interval_ms > 60000u) {
        w = "the minimum interval must be 0..60000 ms";
    } else if (cfg->heartbeat_ms < 1000u || cfg->heartbeat_ms > 3600000u) {
        w = "the heartbeat must be 1..3600 s";
    }
    if (why != NULL) {
        *why = w != NULL ? w : "";
    }
    return w == NULL ? HAL_OK : HAL_EINVAL;
}
