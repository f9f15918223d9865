/* Tests of the Linux port's own peripherals on the real OS: the file store (atomic
 * replace, bounds, hostile names, a crash left-over), the random source, the poll()
 * idle, the errno mapping, the OpenSSL verifier with its worker, the serial port on a
 * pty pair, and TCP to IPv4 literals and host names on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "linux_crypto.h"
#include "linux_errno.h"
#include "linux_loop.h"
#include "linux_nvs.h"
#include "linux_rng.h"
#include "linux_net.h"
#include "linux_serial.h"

static char s_dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/nvs-test.XXXXXX");
    return mkdtemp(s_dir) != NULL ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Submit and wait for the worker: what the start-up code does (the loop polls instead). */
static int nvs_write(struct linux_nvs *n, const char *key, const uint8_t *data, size_t len)
{
    int rc = hal_nvs_submit_write(&n->base, key, data, len);
    if (rc == HAL_OK) {
        assert_int_equal(linux_nvs_wait(n, &rc), HAL_OK);
    }
    return rc;
}

static int nvs_erase(struct linux_nvs *n, const char *key)
{
    int rc = hal_nvs_submit_erase(&n->base, key);
    if (rc == HAL_OK) {
        assert_int_equal(linux_nvs_wait(n, &rc), HAL_OK);
    }
    return rc;
}

static void test_nvs_roundtrip(void **state)
{
    (void)state;
    struct linux_nvs n;
    uint8_t buf[16];
    size_t len = 99;
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_ENOENT);
    assert_int_equal(nvs_write(&n, "rec", (const uint8_t *)"hello", 5), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(nvs_write(&n, "rec", (const uint8_t *)"bye", 3), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_OK);
    assert_int_equal(len, 3);
    /* exactly full buffer is fine, one byte short is an overflow */
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, 3, &len), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, 2, &len), HAL_EOVERFLOW);
    assert_int_equal(len, 0);
    assert_int_equal(nvs_write(&n, "empty", NULL, 0), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "empty", buf, sizeof buf, &len), HAL_OK);
    assert_int_equal(len, 0);
    assert_int_equal(nvs_erase(&n, "rec"), HAL_OK);
    assert_int_equal(nvs_erase(&n, "rec"), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_ENOENT);
    linux_nvs_close(&n);
}

static void test_nvs_hostile_names(void **state)
{
    (void)state;
    struct linux_nvs n;
    uint8_t buf[4];
    size_t len;
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(nvs_write(&n, "../escape", buf, 1), HAL_EINVAL);
    assert_int_equal(nvs_write(&n, "a/b", buf, 1), HAL_EINVAL);
    assert_int_equal(hal_nvs_read(&n.base, "..", buf, sizeof buf, &len), HAL_EINVAL);
    assert_int_equal(nvs_erase(&n, ""), HAL_EINVAL);
    char path[128];
    snprintf(path, sizeof path, "%s/../escape", s_dir);
    assert_int_equal(access(path, F_OK), -1);
    linux_nvs_close(&n);
}

static void test_nvs_crash_leftover_keeps_old_record(void **state)
{
    (void)state;
    struct linux_nvs n;
    uint8_t buf[16];
    size_t len;
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(nvs_write(&n, "cfg", (const uint8_t *)"old", 3), HAL_OK);
    /* a power loss after the temporary file was written but before the rename */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/.tmp.cfg", s_dir);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    fputs("half-writ", f);
    fclose(f);
    assert_int_equal(hal_nvs_read(&n.base, "cfg", buf, sizeof buf, &len), HAL_OK);
    assert_memory_equal(buf, "old", 3);
    /* the next write replaces the left-over and the record */
    assert_int_equal(nvs_write(&n, "cfg", (const uint8_t *)"new", 3), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "cfg", buf, sizeof buf, &len), HAL_OK);
    assert_memory_equal(buf, "new", 3);
    assert_int_equal(access(tmp, F_OK), -1);
    linux_nvs_close(&n);
}

/* The asynchronous contract on the real worker: submit returns at once, completion wakes
 * the descriptor the loop watches, the outcome is reported once, one operation at a time,
 * operations land in submit order, and a failing medium is an outcome, not a hang. */
static void test_nvs_async_contract(void **state)
{
    (void)state;
    struct linux_nvs n;
    uint8_t buf[16];
    size_t len;
    int status = 99;
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(hal_nvs_poll(&n.base, &status), HAL_ESTATE);
    static const uint8_t one[] = "one";
    assert_int_equal(hal_nvs_submit_write(&n.base, "rec", one, 3), HAL_OK);
    /* busy until the completion is taken, even when the worker is already done */
    assert_int_equal(hal_nvs_submit_write(&n.base, "rec", one, 3), HAL_EBUSY);
    assert_int_equal(hal_nvs_submit_erase(&n.base, "rec"), HAL_EBUSY);
    struct pollfd pfd = {.fd = linux_nvs_fd(&n), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 60000), 1); /* generous: only a hang fails it */
    assert_int_equal(hal_nvs_poll(&n.base, &status), HAL_OK);
    assert_int_equal(status, HAL_OK);
    assert_int_equal(hal_nvs_poll(&n.base, &status), HAL_ESTATE);
    assert_int_equal(poll(&pfd, 1, 0), 0); /* the wake-up was consumed */
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_OK);
    assert_memory_equal(buf, "one", 3);
    /* order: write two, then erase: the erase lands last */
    static const uint8_t two[] = "two";
    assert_int_equal(nvs_write(&n, "rec", two, 3), HAL_OK);
    assert_int_equal(hal_nvs_submit_erase(&n.base, "rec"), HAL_OK);
    int rc;
    do {
        assert_int_equal(poll(&pfd, 1, 60000), 1);
        rc = hal_nvs_poll(&n.base, &status);
    } while (rc == HAL_EAGAIN);
    assert_int_equal(rc, HAL_OK);
    assert_int_equal(status, HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "rec", buf, sizeof buf, &len), HAL_ENOENT);
    /* bad names are refused at submit: nothing reaches the worker */
    assert_int_equal(hal_nvs_submit_write(&n.base, "../x", one, 3), HAL_EINVAL);
    assert_int_equal(hal_nvs_poll(&n.base, &status), HAL_ESTATE);
    /* the medium fails (the directory is gone): the outcome says so, the old state holds */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(nvs_write(&n, "rec", one, 3), HAL_EIO);
    assert_int_equal(mkdir(s_dir, 0700), 0);
    linux_nvs_close(&n);
    /* close finishes an accepted write before the worker ends */
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(hal_nvs_submit_write(&n.base, "last", two, 3), HAL_OK);
    linux_nvs_close(&n);
    assert_int_equal(linux_nvs_init(&n, s_dir), HAL_OK);
    assert_int_equal(hal_nvs_read(&n.base, "last", buf, sizeof buf, &len), HAL_OK);
    assert_memory_equal(buf, "two", 3);
    linux_nvs_close(&n);
}

static void test_nvs_bad_dir(void **state)
{
    (void)state;
    struct linux_nvs n;
    char file[128];
    snprintf(file, sizeof file, "%s/plainfile", s_dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(linux_nvs_init(&n, file), HAL_EIO);
    assert_int_equal(linux_nvs_init(&n, ""), HAL_EINVAL);
}

static void test_rng(void **state)
{
    (void)state;
    struct linux_rng r;
    uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
    linux_rng_init(&r);
    assert_int_equal(hal_rng_fill(&r.base, a, sizeof a), HAL_OK);
    assert_int_equal(hal_rng_fill(&r.base, b, sizeof b), HAL_OK);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(hal_rng_fill(&r.base, a, 0), HAL_OK);
}

static void test_loop_wakes_on_io(void **state)
{
    (void)state;
    struct linux_loop l;
    int fds[2];
    linux_loop_init(&l);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(linux_loop_watch(&l, fds[0], POLLIN), HAL_OK);
    assert_int_equal(linux_loop_watch(&l, -1, POLLIN), HAL_EINVAL);
    uint32_t t0 = hal_clock_now_ms(&l.base);
    assert_int_equal(hal_clock_idle(&l.base, 5), HAL_ETIMEDOUT);
    assert_true(hal_time_reached(hal_clock_now_ms(&l.base), t0));
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(hal_clock_idle(&l.base, 10000), HAL_OK);
    linux_loop_unwatch(&l, fds[0]);
    assert_int_equal(hal_clock_idle(&l.base, 1), HAL_ETIMEDOUT); /* no longer watched */
    close(fds[0]);
    close(fds[1]);
    for (int i = 0; i < CFG_LINUX_LOOP_MAX_FDS; i++) {
        assert_int_equal(linux_loop_watch(&l, 0, POLLIN), HAL_OK);
    }
    assert_int_equal(linux_loop_watch(&l, 0, POLLIN), HAL_ENOMEM);
    int64_t ms = 0;
    assert_int_equal(hal_clock_wall(&l.base, &ms), HAL_OK);
    assert_true(ms > 1577836800000LL);
}

/* The serial port on a pty pair: line settings reach termios, bytes pass both ways
 * without blocking, RS-485 is refused on a device without it, a hang-up is "closed". */
static void test_serial_pty(void **state)
{
    (void)state;
    int master = -1, slave = -1;
    char name[64];
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    struct linux_serial s;
    assert_int_equal(linux_serial_init(&s, name), HAL_OK);
    struct hal_serial_config cfg = {19200, 8, HAL_SERIAL_PARITY_ODD, 2, false};
    assert_int_equal(hal_serial_open(&s.base, &cfg), HAL_OK);
    assert_true(linux_serial_fd(&s) >= 0);

    struct termios t;
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_int_equal(cfgetospeed(&t), B19200);
    /* The pty driver forces CS8 without parity on whatever is set (there is no wire),
     * so only the speed, the stop bits and raw mode can be read back here. */
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_true(t.c_cflag & CSTOPB);
    assert_true(t.c_iflag & INPCK); /* parity checked on input, as asked */
    assert_int_equal(t.c_lflag & (ICANON | ECHO), 0); /* raw: bytes, not lines */

    uint8_t buf[32];
    size_t n = 99;
    assert_int_equal(hal_serial_read(&s.base, buf, sizeof buf, &n), HAL_EAGAIN);
    assert_int_equal(n, 0);
    /* device -> us: raw bytes, including what a line discipline would eat */
    const uint8_t in[] = {0x01, 0x03, 0x00, 0x0A, '\n', 0x03, 0x7F};
    assert_int_equal(write(master, in, sizeof in), (ssize_t)sizeof in);
    struct pollfd p = {.fd = linux_serial_fd(&s), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 1000), 1);
    size_t got = 0;
    for (int i = 0; i < 100 && got < sizeof in; i++) {
        int rc = hal_serial_read(&s.base, buf + got, sizeof buf - got, &n);
        if (rc == HAL_OK) {
            got += n;
        } else {
            assert_int_equal(rc, HAL_EAGAIN);
            usleep(1000);
        }
    }
    assert_int_equal(got, sizeof in);
    assert_memory_equal(buf, in, sizeof in);
    /* us -> device */
    assert_int_equal(hal_serial_write(&s.base, (const uint8_t *)"\x11\x22\r\n", 4, &n), HAL_OK);
    assert_int_equal(n, 4);
    uint8_t out[8];
    assert_int_equal(read(master, out, sizeof out), 4);
    assert_memory_equal(out, "\x11\x22\r\n", 4);

    /* a baud rate termios cannot make; a pty has no RS-485 driver: refused, left closed */
    struct hal_serial_config odd = {12345, 8, HAL_SERIAL_PARITY_NONE, 1, false};
    assert_int_equal(hal_serial_open(&s.base, &odd), HAL_EINVAL);
    struct hal_serial_config rs = {9600, 8, HAL_SERIAL_PARITY_EVEN, 1, true};
    assert_int_equal(hal_serial_open(&s.base, &rs), HAL_ENOTSUP);
    assert_int_equal(linux_serial_fd(&s), -1);

    /* the other end hangs up */
    assert_int_equal(hal_serial_open(&s.base, &cfg), HAL_OK);
    close(master);
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 1000 && rc == HAL_EAGAIN; i++) { /* the hang-up is delivered by a work queue */
        rc = hal_serial_read(&s.base, buf, sizeof buf, &n);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    assert_int_equal(rc, HAL_ECLOSED);
    hal_serial_close(&s.base);
    hal_serial_close(&s.base);
    assert_int_equal(hal_serial_write(&s.base, buf, 1, &n), HAL_ECLOSED);
    close(slave);

    struct linux_serial missing;
    assert_int_equal(linux_serial_init(&missing, "/dev/no-such-tty"), HAL_OK);
    assert_int_equal(hal_serial_open(&missing.base, &cfg), HAL_ENOENT);
    assert_int_equal(linux_serial_init(&missing, ""), HAL_EINVAL);
}

/* TCP to IPv4 and names on loopback: one dual-stack listener (IPv6 socket taking IPv4 as
 * mapped), reached as "127.0.0.1", "::1" and "localhost" through tcp_connect_name and as
 * an IPv4-mapped endpoint through tcp_connect. */
static void net_roundtrip(struct linux_net *n, int lfd, int c, const char *what)
{
    if (c < 0) {
        fail_msg("%s: connect rc=%d", what, c);
    }
    size_t sent = 0;
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 5000 && rc == HAL_EAGAIN; i++) { /* resolving, then connecting */
        rc = hal_net_tcp_send(&n->base, c, (const uint8_t *)"x", 1, &sent);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    if (rc != HAL_OK) {
        fail_msg("%s: send rc=%d", what, rc);
    }
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    int a = accept(lfd, NULL, NULL);
    assert_true(a >= 0);
    char b = 0;
    assert_int_equal(read(a, &b, 1), 1);
    assert_int_equal(b, 'x');
    close(a);
    hal_net_close(&n->base, c);
}

static void test_net_ipv4_and_names(void **state)
{
    (void)state;
    int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    int zero = 0;
    assert_int_equal(setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero), 0);
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_any;
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 4), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    uint16_t port = ntohs(sa.sin6_port);

    static struct linux_net n;
    assert_int_equal(linux_net_init(&n, "lo", NULL), HAL_OK);
    net_roundtrip(&n, lfd, hal_net_tcp_connect_name(&n.base, "127.0.0.1", port), "127.0.0.1");
    net_roundtrip(&n, lfd, hal_net_tcp_connect_name(&n.base, "::1", port), "::1");
    net_roundtrip(&n, lfd, hal_net_tcp_connect_name(&n.base, "localhost", port), "localhost");
    struct hal_ip6_endpoint ep;
    assert_int_equal(hal_ip4_parse("127.0.0.1", port, &ep), HAL_OK);
    net_roundtrip(&n, lfd, hal_net_tcp_connect(&n.base, &ep), "tcp_connect ::ffff:127.0.0.1");

    /* a name closed while it is still being resolved frees its handle */
    int c = hal_net_tcp_connect_name(&n.base, "localhost", port);
    assert_true(c >= 0);
    hal_net_close(&n.base, c);
    assert_int_equal(n.pend[c], 0);
    /* nobody listens on the port any more: refused, through the name too */
    close(lfd);
    c = hal_net_tcp_connect_name(&n.base, "localhost", port);
    size_t sent = 0;
    int rc = HAL_EAGAIN;
    for (int i = 0; i < 5000 && rc == HAL_EAGAIN; i++) {
        rc = hal_net_tcp_send(&n.base, c, (const uint8_t *)"x", 1, &sent);
        if (rc == HAL_EAGAIN) {
            usleep(1000);
        }
    }
    assert_int_equal(rc, HAL_ECLOSED);
    hal_net_close(&n.base, c);
    assert_int_equal(hal_net_tcp_connect_name(&n.base, "", port), HAL_EINVAL);
    linux_net_close_all(&n);
}

static void test_errno_mapping(void **state)
{
    (void)state;
    assert_int_equal(linux_errno_to_hal(EAGAIN), HAL_EAGAIN);
    assert_int_equal(linux_errno_to_hal(ENOENT), HAL_ENOENT);
    assert_int_equal(linux_errno_to_hal(ENODEV), HAL_ENOENT);
    assert_int_equal(linux_errno_to_hal(EDOM), HAL_EINVAL);
    assert_int_equal(linux_errno_to_hal(ECONNRESET), HAL_ECLOSED);
    assert_int_equal(linux_errno_to_hal(ETIMEDOUT), HAL_ETIMEDOUT);
    assert_int_equal(linux_errno_to_hal(EPERM), HAL_EIO);
    assert_int_not_equal(linux_errno_to_hal(0), HAL_OK);
}

/* A fresh Brainpool P-256 key (the EM580's curve) signs a digest; the port must give the
 * same verdicts in the loop and beside it, copy what was submitted, refuse a second job,
 * wake the loop through its descriptor and stop cleanly. */
static void sign_digest(EVP_PKEY *k, const uint8_t d[32], uint8_t sig[64])
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
    uint8_t der[128];
    size_t der_len = sizeof der;
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    assert_int_equal(EVP_PKEY_sign(ctx, der, &der_len, d, 32), 1);
    EVP_PKEY_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    assert_non_null(es);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32), 32);
    ECDSA_SIG_free(es);
}

static int crypto_wait(struct linux_crypto *c)
{
    int rc;
    for (int i = 0; i < 1000; i++) {
        rc = hal_crypto_ecdsa_poll(&c->base);
        if (rc != HAL_EAGAIN) {
            return rc;
        }
        struct pollfd pfd = {.fd = linux_crypto_fd(c), .events = POLLIN};
        (void)poll(&pfd, 1, 100); /* the worker's eventfd wakes us; a hang guard only */
    }
    return rc;
}

static void test_crypto_worker(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
    assert_non_null(k);
    uint8_t pub[65];
    size_t pub_len = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, "pub", pub, sizeof pub, &pub_len), 1);
    assert_int_equal(pub_len, 65);
    uint8_t d[32], sig[64];
    for (unsigned i = 0; i < 32u; i++) {
        d[i] = (uint8_t)(i * 7u + 1u);
    }
    sign_digest(k, d, sig);

    static struct linux_crypto c;
    linux_crypto_init(&c);
    assert_int_equal(c.selftest, HAL_OK);
    /* without the worker the port is synchronous only */
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_ENOTSUP);
    assert_int_equal(linux_crypto_fd(&c), -1);
    assert_int_equal(hal_crypto_ecdsa_verify(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_OK);

    assert_int_equal(linux_crypto_start_worker(&c), HAL_OK);
    assert_true(linux_crypto_fd(&c) >= 0);
    assert_int_equal(hal_crypto_ecdsa_poll(&c.base), HAL_ESTATE);
    uint8_t dcopy[32], scopy[64];
    memcpy(dcopy, d, 32);
    memcpy(scopy, sig, 64);
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, dcopy,
                                             32, scopy, 64), HAL_OK);
    /* the caller's buffers are free at once: the port works on its copies */
    memset(dcopy, 0, sizeof dcopy);
    memset(scopy, 0, sizeof scopy);
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_EBUSY);
    assert_int_equal(crypto_wait(&c), HAL_OK);
    assert_int_equal(hal_crypto_ecdsa_poll(&c.base), HAL_ESTATE); /* given once */

    /* a changed digest: the same EPROTO as in the loop */
    d[5] ^= 1u;
    assert_int_equal(hal_crypto_ecdsa_verify(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_EPROTO);
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_OK);
    assert_int_equal(crypto_wait(&c), HAL_EPROTO);
    /* a point off the curve: EINVAL from the worker too */
    uint8_t bad[65];
    memcpy(bad, pub, 65);
    bad[64] ^= 1u;
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, bad, 65, d, 32,
                                             sig, 64), HAL_OK);
    assert_int_equal(crypto_wait(&c), HAL_EINVAL);
    /* lengths are refused at submit, nothing runs */
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 64, d, 32,
                                             sig, 64), HAL_EINVAL);
    assert_int_equal(hal_crypto_ecdsa_poll(&c.base), HAL_ESTATE);
    /* a job still running at close is finished, then the thread ends */
    d[5] ^= 1u;
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_OK);
    linux_crypto_close(&c);
    assert_int_equal(linux_crypto_fd(&c), -1);
    assert_int_equal(hal_crypto_ecdsa_submit(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_ENOTSUP);
    assert_int_equal(hal_crypto_ecdsa_verify(&c.base, HAL_CRYPTO_BRAINPOOL256R1, pub, 65, d, 32,
                                             sig, 64), HAL_OK);
    linux_crypto_close(&c);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nvs_roundtrip, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_nvs_hostile_names, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_nvs_crash_leftover_keeps_old_record, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_nvs_bad_dir, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_nvs_async_contract, make_dir, remove_dir),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_loop_wakes_on_io),
        cmocka_unit_test(test_errno_mapping),
        cmocka_unit_test(test_crypto_worker),
        cmocka_unit_test(test_serial_pty),
        cmocka_unit_test(test_net_ipv4_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
