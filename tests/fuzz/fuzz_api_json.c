/* libFuzzer harness for the MQTT API's JSON (firmware/api_json.c): every command payload
 * comes from whoever can publish on the broker. Parse; when an object is accepted, write
 * each member back with the writer and parse that again: it must be accepted with the same
 * members (the writer's escaping and fixed point agree with the parser). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "hal_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct api_json_obj o, again;
    static char out[CFG_API_JSON_KEYS * (CFG_API_JSON_STR_MAX * 6 + 64)];
    const char *why = NULL;
    if (api_json_parse((const char *)data, size, &o, &why) != HAL_OK) {
        if (why == NULL || why[0] == '\0') {
            abort(); /* a refusal always has a reason */
        }
        return 0;
    }
    struct api_json_out w;
    api_json_begin(&w, out, sizeof out);
    for (uint8_t i = 0; i < o.n; i++) {
        const struct api_json_member *m = &o.m[i];
        switch (m->type) {
        case API_JSON_STRING: api_json_str(&w, m->key, m->str); break;
        case API_JSON_NUMBER: api_json_milli(&w, m->key, m->milli); break;
        case API_JSON_BOOL: api_json_bool(&w, m->key, m->b); break;
        case API_JSON_NULL: api_json_null(&w, m->key); break;
        }
    }
    size_t n = api_json_end(&w);
    if (n == 0 || api_json_parse(out, n, &again, &why) != HAL_OK || again.n != o.n) {
        abort();
    }
    for (uint8_t i = 0; i < o.n; i++) {
        const struct api_json_member *a = &o.m[i], *b = &again.m[i];
        if (strcmp(a->key, b->key) != 0 || a->type != b->type ||
            (a->type == API_JSON_STRING && strcmp(a->str, b->str) != 0) ||
            (a->type == API_JSON_NUMBER && a->milli != b->milli) || (a->type == API_JSON_BOOL && a->b != b->b)) {
            abort();
        }
    }
    return 0;
}
