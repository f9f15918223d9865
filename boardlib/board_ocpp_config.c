/* board_ocpp_config.c - owns the ocpp.* keys' defaults and checks (board_ocpp.h), among them
 * the security profile's rules of the OCPP 1.6 security whitepaper: apart from board_ocpp.c
 * so that the configuration reader links without the network and TLS ports (--check, the
 * configuration fuzz harness). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "board_ocpp.h"

void board_ocpp_defaults(struct board_ocpp_config *c)
{
    memset(c, 0, sizeof *c);
    c->security_profile = 1;
    c->heartbeat_s = 300;
    c->meter_sample_s = 60;
    c->ping_s = 60;
    c->tx_attempts = 3;
    c->tx_retry_s = 10;
    snprintf(c->vendor, sizeof c->vendor, "dcfc");
    snprintf(c->model, sizeof c->model, "DC");
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int board_ocpp_check(const struct board_ocpp_config *c, const char **key, const char **why)
{
    *key = "";
    *why = "";
    if (c->url[0] == '\0') {
        return 0;
    }
    bool tls = has_prefix(c->url, "wss://");
    size_t il = strlen(c->identity);
    if (!tls && !has_prefix(c->url, "ws://")) {
        *key = "ocpp.url";
        *why = "must start with ws:// or wss://";
    } else if (c->url[strlen(c->url) - 1] == '/') {
        *key = "ocpp.url";
        *why = "the base URL without a trailing '/' (the identity is added)";
    } else if (il == 0) {
        *key = "ocpp.identity";
        *why = "required with ocpp.url";
    } else if (strspn(c->identity, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*") != il) {
        *key = "ocpp.identity";
        *why = "letters, digits and -_.* only";
    } else if (c->security_profile > 3) {
        *key = "ocpp.security_profile";
        *why = "must be 0 (none, lab only), 1, 2 or 3";
    } else if (c->security_profile <= 1 && tls) {
        /* profiles 0 and 1 are unencrypted: a wss:// URL means the operator wants 2 or 3 */
        *key = "ocpp.security_profile";
        *why = "wss:// is profile 2 or 3";
    } else if (c->security_profile >= 2 && !tls) {
        *key = "ocpp.url";
        *why = "profiles 2 and 3 need wss:// (TLS)";
    } else if (c->security_profile >= 1 && c->security_profile <= 2 && c->password_file[0] == '\0') {
        *key = "ocpp.password_file";
        *why = "profiles 1 and 2 authenticate with the AuthorizationKey: required";
    } else if (c->security_profile == 0 && c->password_file[0] != '\0') {
        *key = "ocpp.password_file";
        *why = "profile 0 sends no password: set ocpp.security_profile 1 or 2";
    } else if (c->tls_url[0] != '\0' && (tls || !has_prefix(c->tls_url, "wss://"))) {
        *key = "ocpp.tls_url";
        *why = tls ? "only beside a ws:// ocpp.url (an upgrade from profile 1)" : "must start with wss://";
    } else if (c->tls_url[0] != '\0' && c->tls_url[strlen(c->tls_url) - 1] == '/') {
        *key = "ocpp.tls_url";
        *why = "the base URL without a trailing '/' (the identity is added)";
    } else if ((tls || c->tls_url[0] != '\0') && c->ca[0] == '\0') {
        *key = "ocpp.ca";
        *why = "wss:// checks the CSMS's certificate against this CA: required";
    } else if (c->security_profile == 3 && (c->client_cert[0] == '\0' || c->client_key[0] == '\0')) {
        *key = c->client_cert[0] == '\0' ? "ocpp.client_cert" : "ocpp.client_key";
        *why = "profile 3 authenticates with a client certificate and its key: required";
    } else if (c->security_profile != 3 && (c->client_cert[0] != '\0' || c->client_key[0] != '\0')) {
        *key = c->client_cert[0] != '\0' ? "ocpp.client_cert" : "ocpp.client_key";
        *why = "a client certificate is profile 3";
    } else if (c->tx_attempts == 0) {
        *key = "ocpp.tx_attempts";
        *why = "at least 1";
    } else if (c->fw.dir[0] == '\0' &&
               (c->fw.install_cmd[0] != '\0' || c->fw.root[0] != '\0' || c->fw.diagnostics_cmd[0] != '\0')) {
        *key = "ocpp.firmware_dir";
        *why = "required with ocpp.firmware_install_cmd, ocpp.firmware_root or ocpp.diagnostics_cmd";
    }
    return (*key)[0] == '\0' ? 0 : -1;
}

int board_ocpp_check_files(const struct board_ocpp_config *c, const char **key, const char **why)
{
    *key = "";
    *why = "";
    if (c->url[0] == '\0') {
        return 0;
    }
    const struct {
        const char *key, *path;
    } files[] = {{"ocpp.ca", c->ca}, {"ocpp.client_cert", c->client_cert}, {"ocpp.client_key", c->client_key}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (files[i].path[0] != '\0' && access(files[i].path, R_OK) != 0) {
            *key = files[i].key;
            *why = "the file cannot be read";
            return -1;
        }
    }
    if (c->password_file[0] != '\0') {
        FILE *f = fopen(c->password_file, "r");
        char line[64] = "";
        bool got = f != NULL && fgets(line, sizeof line, f) != NULL;
        if (f != NULL) {
            fclose(f);
        }
        line[strcspn(line, "\r\n")] = '\0';
        size_t n = strlen(line);
        *key = "ocpp.password_file";
        if (!got && f == NULL) {
            *why = "the password file cannot be read";
            return -1;
        }
        if (n < 16 || n > 40) {
            /* OCPP 1.6 security whitepaper: AuthorizationKey 16..40 bytes */
            *why = "the password (first line) must be 16 to 40 characters";
            return -1;
        }
        *key = "";
    }
    return 0;
}
