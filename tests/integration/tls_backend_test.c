/* TLS client options for backends (hal_tls_set_server_name, linux_tls_client_backend)
 * against a real `openssl s_server` on loopback, started by tls_backend_test.sh with
 * certificates it generated: a good server name passes (DNS name and IP literal), a wrong
 * one fails with a clear reason, a server that requires a client certificate accepts ours
 * and refuses a client without one, bad set-ups are refused at configuration, and the key
 * log (linux_tls_keylog) gets the session's secrets in the SSLKEYLOGFILE form, mode 0600.
 * And the V2G server the other way round (linux_tls_server, issue 16): `openssl s_client`
 * offering TLS 1.3 gets TLS 1.3 with the ISO 15118-20 suite, one offering only TLS 1.2
 * gets the ISO 15118-2 profile unchanged, one offering only P-256 (the D20 lab car) is
 * served, one offering only suites outside the -20 profile is refused (over [::1]: the
 * port listens on IPv6 only). Mutual TLS for -20 (linux_tls_server_client_auth): a TLS 1.3
 * client without a certificate is refused with the reason, one with a certificate under the
 * roots is served, a TLS 1.2 client is never asked. The ISO-2 suites the server offers
 * ([V2G2-602]: ECDHE-ECDSA-AES128-SHA256; the static-ECDH one OpenSSL 3 lacks), and OCSP
 * stapling (linux_tls_server_ocsp, issue 15): responses `openssl ocsp` made for srv.pem
 * stapled to TLS 1.2 and 1.3 clients that send status_request, a renewed file stapled at
 * the next handshake, bad files refused at set-up, a file turned bad keeps the last good one.
 * Environment: TLS_DIR (ca.pem, cli.pem, cli.key, srv.pem, srv.key, ocsp.der, ocsp2.der),
 * PORT_OPEN, PORT_MTLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "linux_net.h"
#include "linux_tls.h"

static char s_ca[256], s_cli[256], s_cli_key[256], s_srv[256], s_srv_key[256];
static uint16_t s_port_open, s_port_mtls;
static uint16_t s_version; /* what hal_tls_version() said after serve_one()'s handshake */

static struct linux_net s_net;
static struct linux_tls s_tls;

struct conn {
    int sock, sess;
};

/* Connect by name, start a client session with @p server_name (NULL: none) and drive the
 * handshake; returns its result. */
static int open_session(const char *host, uint16_t port, const char *server_name, struct conn *c)
{
    c->sock = hal_net_tcp_connect_name(&s_net.base, host, port);
    assert_true(c->sock >= 0);
    c->sess = hal_tls_start(&s_tls.base, c->sock, 0);
    assert_true(c->sess >= 0);
    if (server_name != NULL) {
        assert_int_equal(hal_tls_set_server_name(&s_tls.base, c->sess, server_name), HAL_OK);
    }
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 5000 && rc == HAL_EAGAIN; i++) {
        rc = hal_tls_handshake(&s_tls.base, c->sess);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    return rc;
}

static void close_session(struct conn *c)
{
    hal_tls_close(&s_tls.base, c->sess);
    hal_net_close(&s_net.base, c->sock);
}

/* One HTTP request to s_server -www; returns the result of the first receive that is
 * not "wait", with the bytes in @p out. */
static int get_page(struct conn *c, char *out, size_t cap)
{
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    size_t sent = 0;
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 5000 && rc == HAL_EAGAIN; i++) {
        rc = hal_tls_send(&s_tls.base, c->sess, (const uint8_t *)req, sizeof req - 1u, &sent);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    if (rc != HAL_OK) {
        return rc;
    }
    size_t len = 0;
    rc = HAL_EAGAIN;
    for (int i = 0; i < 5000 && rc == HAL_EAGAIN; i++) {
        rc = hal_tls_recv(&s_tls.base, c->sess, (uint8_t *)out, cap - 1u, &len);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    out[rc == HAL_OK ? len : 0] = '\0';
    return rc;
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(linux_net_init(&s_net, "lo", NULL), HAL_OK);
    assert_int_equal(linux_tls_init(&s_tls, &s_net.base, NULL, NULL), HAL_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    linux_tls_free(&s_tls);
    linux_net_close_all(&s_net);
    return 0;
}

static void test_good_name(void **state)
{
    (void)state;
    struct linux_tls_backend b = {s_ca, NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &b), HAL_OK);
    struct conn c;
    assert_int_equal(open_session("localhost", s_port_open, "localhost", &c), HAL_OK);
    /* too late for a name once the handshake has begun */
    assert_int_equal(hal_tls_set_server_name(&s_tls.base, c.sess, "localhost"), HAL_EINVAL);
    char page[512];
    assert_int_equal(get_page(&c, page, sizeof page), HAL_OK);
    assert_non_null(strstr(page, "200 ok"));
    close_session(&c);

    /* an IP literal is checked against the IP subjectAltName */
    assert_int_equal(open_session("127.0.0.1", s_port_open, "127.0.0.1", &c), HAL_OK);
    close_session(&c);
}

static void test_wrong_name(void **state)
{
    (void)state;
    struct linux_tls_backend b = {s_ca, NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &b), HAL_OK);
    struct conn c;
    assert_int_equal(open_session("localhost", s_port_open, "csms.wrong.example", &c), HAL_EPROTO);
    assert_non_null(strstr(s_tls.reason, "hostname mismatch"));
    close_session(&c);
    assert_int_equal(open_session("127.0.0.1", s_port_open, "127.0.0.2", &c), HAL_EPROTO);
    assert_non_null(strstr(s_tls.reason, "IP address mismatch"));
    close_session(&c);
}

static void test_client_certificate(void **state)
{
    (void)state;
    struct linux_tls_backend with = {s_ca, s_cli, s_cli_key};
    assert_int_equal(linux_tls_client_backend(&s_tls, &with), HAL_OK);
    struct conn c;
    char page[512];
    assert_int_equal(open_session("localhost", s_port_mtls, "localhost", &c), HAL_OK);
    assert_int_equal(get_page(&c, page, sizeof page), HAL_OK);
    assert_non_null(strstr(page, "200 ok"));
    close_session(&c);

    /* Without one: TLS 1.3 lets the client finish its handshake and the server's alert
     * comes with the first read, so the refusal shows there or in the handshake. */
    struct linux_tls_backend without = {s_ca, NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &without), HAL_OK);
    int rc = open_session("localhost", s_port_mtls, "localhost", &c);
    if (rc == HAL_OK) {
        rc = get_page(&c, page, sizeof page);
    }
    assert_int_equal(rc, HAL_EPROTO);
    assert_non_null(strstr(s_tls.reason, "certificate required"));
    close_session(&c);
}

static int count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void test_keylog(void **state)
{
    (void)state;
    char path[] = "/tmp/tls-keylog.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* the port creates it, with its own mode */
    assert_int_equal(linux_tls_keylog(&s_tls, "/nonexistent/dir/keys.log"), HAL_ENOENT);
    assert_int_equal(linux_tls_keylog(&s_tls, path), HAL_OK);
    struct linux_tls_backend b = {s_ca, NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &b), HAL_OK);
    struct conn c;
    assert_int_equal(open_session("localhost", s_port_open, "localhost", &c), HAL_OK);
    char page[512];
    assert_int_equal(get_page(&c, page, sizeof page), HAL_OK);
    close_session(&c);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* TLS 1.3 (the backend profile's default with s_server): the traffic secrets; TLS 1.2
     * would give one CLIENT_RANDOM line */
    int lines = count_lines(path, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ") + count_lines(path, "CLIENT_RANDOM ");
    assert_true(lines >= 1);
    int all = count_lines(path, "");
    /* stopped: a further session adds nothing */
    assert_int_equal(linux_tls_keylog(&s_tls, NULL), HAL_OK);
    assert_int_equal(open_session("localhost", s_port_open, "localhost", &c), HAL_OK);
    close_session(&c);
    assert_int_equal(count_lines(path, ""), all);
    unlink(path);
}

static void test_bad_setup(void **state)
{
    (void)state;
    struct linux_tls_backend missing = {"/nonexistent/ca.pem", NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &missing), HAL_ENOENT);
    struct linux_tls_backend half = {s_ca, s_cli, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &half), HAL_EINVAL);
    struct linux_tls_backend mismatch = {s_ca, s_cli, s_srv_key};
    assert_int_equal(linux_tls_client_backend(&s_tls, &mismatch), HAL_EINVAL);
    struct linux_tls_backend not_pem = {s_cli_key, NULL, NULL}; /* a key is no CA */
    assert_int_equal(linux_tls_client_backend(&s_tls, &not_pem), HAL_EINVAL);
    /* a name on a bad session, an empty name */
    assert_int_equal(hal_tls_set_server_name(&s_tls.base, 3, "localhost"), HAL_EINVAL);
    struct linux_tls_backend b = {s_ca, NULL, NULL};
    assert_int_equal(linux_tls_client_backend(&s_tls, &b), HAL_OK);
    int sock = hal_net_tcp_connect_name(&s_net.base, "localhost", s_port_open);
    int sess = hal_tls_start(&s_tls.base, sock, 0);
    assert_int_equal(hal_tls_set_server_name(&s_tls.base, sess, ""), HAL_EINVAL);
    hal_tls_close(&s_tls.base, sess);
    hal_net_close(&s_net.base, sock);
}

/* Our V2G server against one `openssl s_client @p args` run: the handshake's result and
 * what s_client printed (-brief unless @p full: only the full output shows the OCSP response). */
static int serve_cmd(bool full, const char *args, char *out, size_t cap)
{
    assert_int_equal(linux_tls_server(&s_tls, s_srv, s_srv_key), HAL_OK);
    int l = hal_net_tcp_listen(&s_net.base, 0);
    assert_true(l >= 0);
    uint16_t port = 0;
    assert_int_equal(hal_net_local_port(&s_net.base, l, &port), HAL_OK);
    char cmd[384];
    snprintf(cmd, sizeof cmd, "openssl s_client -connect [::1]:%u %s %s </dev/null 2>&1", (unsigned)port,
             full ? "" : "-brief", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int sock = HAL_EAGAIN;
    for (int i = 0; i < 10000 && sock < 0; i++) {
        sock = hal_net_tcp_accept(&s_net.base, l, NULL);
        if (sock < 0) {
            usleep(1000);
        }
    }
    assert_true(sock >= 0);
    int sess = hal_tls_start(&s_tls.base, sock, 1);
    assert_true(sess >= 0);
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 10000 && rc == HAL_EAGAIN; i++) {
        rc = hal_tls_handshake(&s_tls.base, sess);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    s_version = hal_tls_version(&s_tls.base, sess);
    hal_tls_close(&s_tls.base, sess);
    hal_net_close(&s_net.base, sock);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    pclose(p);
    hal_net_close(&s_net.base, l);
    return rc;
}

static int serve_one(const char *args, char *out, size_t cap)
{
    return serve_cmd(false, args, out, cap);
}

static void test_server_tls13_and_tls12(void **state)
{
    (void)state;
    char out[4096];
    /* A TLS 1.3 client (-20): TLS 1.3, Table 6's first suite, Table 7's group. */
    assert_int_equal(serve_one("-tls1_3 -groups P-521", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "Protocol version: TLSv1.3"));
    assert_non_null(strstr(out, "Ciphersuite: TLS_AES_256_GCM_SHA384"));
    assert_int_equal(s_version, 0x0304); /* what the charger asks before it offers -20 */
    assert_int_equal(serve_one("-tls1_3 -groups X448", out, sizeof out), HAL_OK);
    /* X25519 is not in Table 7: no common group, no handshake. */
    assert_int_not_equal(serve_one("-tls1_3 -groups X25519", out, sizeof out), HAL_OK);
    /* The D20 lab car offers only P-256: served (interop), not left with a retry it cannot take. */
    assert_int_equal(serve_one("-tls1_3 -groups P-256", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "Protocol version: TLSv1.3"));
    /* A client that offers both versions gets 1.3. */
    assert_int_equal(serve_one("", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "Protocol version: TLSv1.3"));
    /* ISO-2: TLS 1.2 only: the profile of [V2G2-602] as before. */
    assert_int_equal(serve_one("-tls1_2", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "Protocol version: TLSv1.2"));
    assert_non_null(strstr(out, "ECDHE-ECDSA-AES128-SHA256"));
    assert_int_equal(s_version, 0x0303);
    /* Suites outside Table 6 only: refused. */
    assert_int_not_equal(serve_one("-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256", out, sizeof out), HAL_OK);
}

static void test_server_client_auth(void **state)
{
    (void)state;
    char out[4096], args[640];
    assert_int_equal(linux_tls_server_client_auth(&s_tls, "/nonexistent/roots.pem", LINUX_TLS_CLIENT_CERT_REQUIRED),
                     HAL_ENOENT);
    assert_int_equal(linux_tls_server_client_auth(&s_tls, s_cli_key, LINUX_TLS_CLIENT_CERT_REQUIRED), HAL_EINVAL);
    assert_int_equal(linux_tls_server_client_auth(&s_tls, s_ca, LINUX_TLS_CLIENT_CERT_REQUIRED), HAL_OK);
    /* A -20 car (TLS 1.3) without a certificate: refused, and the reason says why. */
    assert_int_not_equal(serve_one("-tls1_3 -groups P-521", out, sizeof out), HAL_OK);
    assert_non_null(strstr(s_tls.reason, "the client presented no certificate"));
    /* With a certificate under the roots: served over TLS 1.3. */
    snprintf(args, sizeof args, "-tls1_3 -groups P-521 -cert %s -key %s", s_cli, s_cli_key);
    assert_int_equal(serve_one(args, out, sizeof out), HAL_OK);
    assert_int_equal(s_version, 0x0304);
    /* An ISO-2 car (TLS 1.2 only) without one: never asked, served as before. */
    assert_int_equal(serve_one("-tls1_2", out, sizeof out), HAL_OK);
    assert_int_equal(s_version, 0x0303);
    /* The policy is set before the server context (linux_tls_server applies it). */
    assert_int_equal(linux_tls_server_client_auth(&s_tls, s_ca, LINUX_TLS_CLIENT_CERT_OPTIONAL), HAL_ESTATE);
}

/* The ISO-2 suites of [V2G2-602] as the server context has them: the ECDHE one offered
 * and negotiated; the static-ECDH one is not in OpenSSL 3 (asked for, silently absent). */
static void test_server_iso2_suites(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(linux_tls_server(&s_tls, s_srv, s_srv_key), HAL_OK);
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers((SSL_CTX *)s_tls.server_ctx);
    bool ecdhe = false, ecdh = false;
    for (int i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++) {
        const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
        ecdhe = ecdhe || strcmp(n, "ECDHE-ECDSA-AES128-SHA256") == 0;
        ecdh = ecdh || strcmp(n, "ECDH-ECDSA-AES128-SHA256") == 0;
    }
    assert_true(ecdhe);
    assert_false(ecdh);
    assert_int_equal(serve_one("-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "Ciphersuite: ECDHE-ECDSA-AES128-SHA256"));
    /* A TLS 1.2 client with only suites outside [V2G2-602]: refused. */
    assert_int_not_equal(serve_one("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256", out, sizeof out), HAL_OK);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[1300];
    /* cp then mv: the server sees the new file whole (a new inode) */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", from, to, to, to);
    assert_int_equal(system(cmd), 0);
}

/* OCSP stapling (linux_tls_server_ocsp): responses made by `openssl ocsp` for srv.pem. */
static void test_server_ocsp(void **state)
{
    (void)state;
    char out[16384], ocsp[300], ocsp2[300], live[300];
    snprintf(ocsp, sizeof ocsp, "%s/ocsp.der", getenv("TLS_DIR"));
    snprintf(ocsp2, sizeof ocsp2, "%s/ocsp2.der", getenv("TLS_DIR"));
    snprintf(live, sizeof live, "%s/live.der", getenv("TLS_DIR"));
    /* Refused at set-up with the reason: no file, a PEM certificate, garbage after it. */
    assert_int_equal(linux_tls_server_ocsp(&s_tls, "/nonexistent/ocsp.der"), HAL_ENOENT);
    assert_int_equal(linux_tls_server_ocsp(&s_tls, s_srv), HAL_EINVAL);
    assert_non_null(strstr(s_tls.reason, "not a DER OCSPResponse"));
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", ocsp, ocsp, live);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(linux_tls_server_ocsp(&s_tls, live), HAL_EINVAL);
    assert_non_null(strstr(s_tls.reason, "bytes after the OCSPResponse"));

    /* Without a response: a client that asks gets none. */
    assert_int_equal(serve_cmd(true, "-tls1_2 -status", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "OCSP response: no response sent"));

    copy_file(ocsp, live);
    assert_int_equal(linux_tls_server_ocsp(&s_tls, live), HAL_OK);
    /* TLS 1.2 (ISO-2) and TLS 1.3 (-20): stapled when asked. */
    assert_int_equal(serve_cmd(true, "-tls1_2 -status", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "OCSP Response Status: successful"));
    assert_non_null(strstr(out, "Cert Status: good"));
    assert_int_equal(serve_cmd(true, "-tls1_3 -groups P-521 -status", out, sizeof out), HAL_OK);
    assert_non_null(strstr(out, "OCSP Response Status: successful"));
    /* Not asked: not sent. */
    assert_int_equal(serve_cmd(true, "-tls1_2", out, sizeof out), HAL_OK);
    assert_null(strstr(out, "OCSP Response Status"));

    /* The file renewed (another response, longer validity): the next handshake staples it. */
    char before[64] = "", after[64] = "";
    assert_int_equal(serve_cmd(true, "-tls1_2 -status", out, sizeof out), HAL_OK);
    const char *nu = strstr(out, "Next Update:");
    assert_non_null(nu);
    snprintf(before, sizeof before, "%.40s", nu);
    copy_file(ocsp2, live);
    assert_int_equal(serve_cmd(true, "-tls1_2 -status", out, sizeof out), HAL_OK);
    nu = strstr(out, "Next Update:");
    assert_non_null(nu);
    snprintf(after, sizeof after, "%.40s", nu);
    assert_string_not_equal(before, after);
    /* Replaced by garbage: the last good response is still stapled. */
    copy_file(s_srv, live);
    assert_int_equal(serve_cmd(true, "-tls1_2 -status", out, sizeof out), HAL_OK);
    nu = strstr(out, "Next Update:");
    assert_non_null(nu);
    assert_memory_equal(nu, after, strlen(after));
    assert_int_equal(linux_tls_server_ocsp(&s_tls, NULL), HAL_OK);
}

int main(void)
{
    const char *dir = getenv("TLS_DIR");
    const char *po = getenv("PORT_OPEN");
    const char *pm = getenv("PORT_MTLS");
    if (dir == NULL || po == NULL || pm == NULL) {
        fprintf(stderr, "tls_backend_test: run through tests/integration/tls_backend_test.sh\n");
        return 2;
    }
    snprintf(s_ca, sizeof s_ca, "%s/ca.pem", dir);
    snprintf(s_cli, sizeof s_cli, "%s/cli.pem", dir);
    snprintf(s_cli_key, sizeof s_cli_key, "%s/cli.key", dir);
    snprintf(s_srv_key, sizeof s_srv_key, "%s/srv.key", dir);
    snprintf(s_srv, sizeof s_srv, "%s/srv.pem", dir);
    s_port_open = (uint16_t)atoi(po);
    s_port_mtls = (uint16_t)atoi(pm);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keylog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_setup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_tls13_and_tls12, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_client_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_iso2_suites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_ocsp, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
