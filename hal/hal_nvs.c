#include "hal_nvs.h"

#include <string.h>

int hal_nvs_key_check(const char *key)
{
    if (key == NULL) {
        return HAL_EINVAL;
    }
    size_t n = 0;
    while (n < HAL_NVS_KEY_MAX && key[n] != '\0') {
        n++;
    }
    /* The name becomes a file name on Linux: no separators, no dot-only names,
     * so a hostile or mistaken key can never escape the store directory. */
    if (n == 0 || n >= HAL_NVS_KEY_MAX || strcmp(key, ".") == 0 || strcmp(key, "..") == 0) {
        return HAL_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                 c == '-';
        if (!ok) {
            return HAL_EINVAL;
        }
    }
    return HAL_OK;
}
