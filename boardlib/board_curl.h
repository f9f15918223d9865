/**
 * @file board_curl.h
 * @brief libcurl for the host boards, loaded with dlopen() on first use (not linked: it drags
 *        36 shared libraries into a charger that rarely downloads anything). Shared by the
 *        MQTT API's firmware download (board_mqtt.c) and the OCPP firmware jobs
 *        (board_ocpp_fw.c).
 */
#ifndef BOARD_CURL_H
#define BOARD_CURL_H

#include <stdbool.h>

#include <curl/curl.h>

/** The calls the boards make, resolved from libcurl.so.4. */
struct board_curl_fns {
    bool tried, ok;
    char error[96]; /**< why it cannot be loaded (ok false) */
    CURLcode (*global_init)(long flags);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *m);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *e);
    CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode rc);
};

/** Load libcurl once (later calls return the same); ok false and error say why it failed. */
const struct board_curl_fns *board_curl_load(void);

#endif /* BOARD_CURL_H */
