/* Checked command-line arguments of the host tools: see tool_args.h. */
#include "tool_args.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

int tool_number(const char *who, const char *opt, const char *arg, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = arg != NULL ? strtol(arg, &end, 0) : 0;
    if (arg == NULL || *arg == '\0' || end == NULL || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "%s: %s needs a whole number in %ld..%ld, got '%s'\n", who, opt, lo, hi,
                arg != NULL ? arg : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int all_digits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

int tool_host_port(const char *who, const char *opt, const char *arg, const char *default_host, int default_port,
                   char addr[TOOL_HOST_MAX], int *port)
{
    char host[256];
    const char *port_text = NULL;
    if (arg == NULL || *arg == '\0') {
        fprintf(stderr, "%s: %s needs [HOST:]PORT\n", who, opt);
        return -1;
    }
    if (arg[0] == '[') { /* [IPv6]:PORT */
        const char *close = strchr(arg, ']');
        if (close == NULL || (close[1] != ':' && close[1] != '\0') || (size_t)(close - arg - 1) >= sizeof host) {
            fprintf(stderr, "%s: %s '%s': expected [IPV6]:PORT\n", who, opt, arg);
            return -1;
        }
        memcpy(host, arg + 1, (size_t)(close - arg - 1));
        host[close - arg - 1] = '\0';
        port_text = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strrchr(arg, ':');
        if (colon != NULL && strchr(arg, ':') != colon) {
            fprintf(stderr, "%s: %s '%s': write an IPv6 address as [ADDR]:PORT\n", who, opt, arg);
            return -1;
        }
        if (colon == NULL && all_digits(arg)) {
            snprintf(host, sizeof host, "%s", default_host);
            port_text = arg;
        } else {
            size_t n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
            if (n == 0 || n >= sizeof host) {
                fprintf(stderr, "%s: %s '%s': the host name is %s\n", who, opt, arg, n == 0 ? "empty" : "too long");
                return -1;
            }
            memcpy(host, arg, n);
            host[n] = '\0';
            port_text = colon != NULL ? colon + 1 : NULL;
        }
    }
    long p = default_port;
    if (port_text == NULL) {
        if (default_port <= 0) {
            fprintf(stderr, "%s: %s '%s': the port is missing (HOST:PORT)\n", who, opt, arg);
            return -1;
        }
    } else {
        char *end = NULL;
        errno = 0;
        p = strtol(port_text, &end, 10);
        if (!all_digits(port_text) || errno != 0 || p < 1 || p > 65535) {
            fprintf(stderr, "%s: %s '%s': the port must be a number in 1..65535, got '%s'\n", who, opt, arg,
                    port_text);
            return -1;
        }
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        fprintf(stderr, "%s: %s '%s': unknown host '%s' (%s)\n", who, opt, arg, host,
                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    freeaddrinfo(res);
    /* The name itself goes on (libmodbus resolves it again and tries every address, so
     * "localhost" works whether it lists ::1 or 127.0.0.1 first). */
    if (strlen(host) >= TOOL_HOST_MAX) {
        fprintf(stderr, "%s: %s '%s': host name longer than %d characters\n", who, opt, arg, TOOL_HOST_MAX - 1);
        return -1;
    }
    memcpy(addr, host, strlen(host) + 1);
    *port = (int)p;
    return 0;
}

int tool_must_exist(const char *who, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        return 0;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
        fprintf(stderr, "%s: %s %s: not found\n", who, what, path);
    } else {
        fprintf(stderr, "%s: %s %s: %s\n", who, what, path, strerror(errno));
    }
    return -1;
}

int tool_dir_must_exist(const char *who, const char *what, const char *path)
{
    if (tool_must_exist(who, what, path) != 0) {
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: is not a directory\n", who, what, path);
        return -1;
    }
    return 0;
}
