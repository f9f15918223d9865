/* board_mqtt_config.c - owns the mqtt.* keys' defaults and checks (board_mqtt.h): apart
 * from board_mqtt.c so that the configuration reader links without libmosquitto and
 * libcurl (the configuration fuzz harness, --check). */
#include <string.h>
#include <unistd.h>

#include "board_mqtt.h"
#include "hal_err.h"

void board_mqtt_defaults(struct board_mqtt_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = 1883;
    snprintf(c->client_id, sizeof c->client_id, "station");
    snprintf(c->base_topic, sizeof c->base_topic, "dcfc");
    c->deadband_pct = 1;
    c->min_interval_ms = 1000;
    snprintf(c->update_file, sizeof c->update_file, "/tmp/dcfc-update.bin");
    snprintf(c->installer, sizeof c->installer, "rauc install");
}

void board_mqtt_api_config(const struct board_mqtt_config *c, struct api_mqtt_config *a, const char *version)
{
    api_mqtt_default_config(a);
    snprintf(a->prefix, sizeof a->prefix, "%s", c->base_topic);
    snprintf(a->station_id, sizeof a->station_id, "%s", c->client_id);
    a->deadband_pct = c->deadband_pct;
    a->min_interval_ms = c->min_interval_ms;
    a->version = version;
}

int board_mqtt_check(const struct board_mqtt_config *c, const char **key, const char **why)
{
    struct api_mqtt_config a;
    const char *w = NULL;
    *key = "";
    *why = "";
    board_mqtt_api_config(c, &a, "x");
    if (api_mqtt_check_config(&a, &w) != HAL_OK) {
        *key = strstr(w, "base topic") != NULL  ? "mqtt.base_topic"
               : strstr(w, "client id") != NULL ? "mqtt.client_id"
               : strstr(w, "dead-band") != NULL ? "mqtt.deadband_pct"
                                                : "mqtt.min_interval_ms";
        *why = w;
        return -1;
    }
    if (c->host[0] == '\0') {
        return 0;
    }
    if (c->port == 0 || c->port > 65535u) {
        *key = "mqtt.port";
        *why = "must be 1..65535";
    } else if (c->password_file[0] != '\0' && c->user[0] == '\0') {
        *key = "mqtt.password_file";
        *why = "needs mqtt.user";
    } else if (c->installer[0] == '\0') {
        *key = "mqtt.installer";
        *why = "must not be empty";
    } else if (c->update_file[0] == '\0') {
        *key = "mqtt.update_file";
        *why = "must not be empty";
    }
    return (*key)[0] == '\0' ? 0 : -1;
}

int board_mqtt_check_files(const struct board_mqtt_config *c, const char **key, const char **why)
{
    *key = "";
    *why = "";
    if (c->host[0] == '\0') {
        return 0;
    }
    if (c->tls_ca[0] != '\0' && access(c->tls_ca, R_OK) != 0) {
        *key = "mqtt.tls_ca";
        *why = "the CA file cannot be read";
    } else if (c->password_file[0] != '\0' && access(c->password_file, R_OK) != 0) {
        *key = "mqtt.password_file";
        *why = "the password file cannot be read";
    }
    return (*key)[0] == '\0' ? 0 : -1;
}
