/*
 * The host boards' libcurl loader: owns the one dlopen() of libcurl.so.4 and the table of
 * the calls the boards use, so the MQTT download and the OCPP firmware jobs share it.
 */
#include "board_curl.h"

#include <dlfcn.h>
#include <stdio.h>

static struct board_curl_fns s_fns;

const struct board_curl_fns *board_curl_load(void)
{
    if (s_fns.tried) {
        return &s_fns;
    }
    s_fns.tried = true;
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(s_fns.error, sizeof s_fns.error, "libcurl.so.4 cannot be loaded (install libcurl4)");
        return &s_fns;
    }
#define BOARD_CURL_SYM(field, name)                                                                    \
    do {                                                                                               \
        *(void **)&s_fns.field = dlsym(h, name);                                                       \
        if (s_fns.field == NULL) {                                                                     \
            snprintf(s_fns.error, sizeof s_fns.error, "libcurl.so.4 lacks %s", name);                  \
            return &s_fns;                                                                             \
        }                                                                                              \
    } while (0)
    BOARD_CURL_SYM(global_init, "curl_global_init");
    BOARD_CURL_SYM(multi_init, "curl_multi_init");
    BOARD_CURL_SYM(multi_cleanup, "curl_multi_cleanup");
    BOARD_CURL_SYM(multi_add_handle, "curl_multi_add_handle");
    BOARD_CURL_SYM(multi_remove_handle, "curl_multi_remove_handle");
    BOARD_CURL_SYM(multi_perform, "curl_multi_perform");
    BOARD_CURL_SYM(multi_info_read, "curl_multi_info_read");
    BOARD_CURL_SYM(easy_init, "curl_easy_init");
    BOARD_CURL_SYM(easy_cleanup, "curl_easy_cleanup");
    BOARD_CURL_SYM(easy_setopt, "curl_easy_setopt");
    BOARD_CURL_SYM(easy_getinfo, "curl_easy_getinfo");
    BOARD_CURL_SYM(easy_strerror, "curl_easy_strerror");
#undef BOARD_CURL_SYM
    if (s_fns.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(s_fns.error, sizeof s_fns.error, "curl_global_init failed");
        return &s_fns;
    }
    s_fns.ok = true; /* the library stays loaded for the life of the process */
    return &s_fns;
}
