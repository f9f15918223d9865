/* Benchmark of Plug & Charge chain validation (release build, OpenSSL crypto port): parse of
 * a contract certificate, and x509_chain_validate() of the 3-certificate contract chain of
 * the test PKI (leaf, MO Sub-CA 2, MO Sub-CA 1) to the MO root: three ECDSA P-256
 * verifications and three SHA-256 of a TBS. Prints figures; asserts nothing about speed.
 * Usage: bench_x509 PKI_DIR (made by tools/v2g-pki/make-pki.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linux_crypto.h"
#include "x509/x509.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint8_t s_der[4][CFG_X509_DER_MAX];
static size_t s_len[4];

static int load(const char *dir, const char *name, unsigned i)
{
    char path[512];
    snprintf(path, sizeof path, "%s/der/%s.der", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_x509: %s: cannot open (run tools/v2g-pki/make-pki.sh %s)\n", path, dir);
        return -1;
    }
    s_len[i] = fread(s_der[i], 1, sizeof s_der[i], f);
    fclose(f);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_x509 PKI_DIR\n");
        return 2;
    }
    static const char *const names[4] = {"contract", "mo-sub2", "mo-sub1", "mo-root"};
    for (unsigned i = 0; i < 4; i++) {
        if (load(argv[1], names[i], i) != 0) {
            return 2;
        }
    }
    static struct x509_cert chain[3], root;
    const int np = 100000;
    double t0 = now_us();
    for (int i = 0; i < np; i++) {
        if (x509_parse(&chain[0], s_der[0], s_len[0]) != X509_OK) {
            fprintf(stderr, "bench_x509: contract certificate does not parse\n");
            return 1;
        }
    }
    double parse_us = (now_us() - t0) / np;
    for (unsigned i = 1; i < 3; i++) {
        x509_parse(&chain[i], s_der[i], s_len[i]);
    }
    x509_parse(&root, s_der[3], s_len[3]);
    static struct linux_crypto lc;
    linux_crypto_init(&lc);
    char emaid[64] = "";
    {
        char path[512];
        snprintf(path, sizeof path, "%s/emaid", argv[1]);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(emaid, sizeof emaid, f) != NULL) {
                emaid[strcspn(emaid, "\r\n")] = '\0';
            }
            fclose(f);
        }
    }
    enum { N = 2000 };
    static double t[N];
    struct x509_verdict v;
    int64_t clock_s = (int64_t)time(NULL);
    for (int i = 0; i < N; i++) {
        double a = now_us();
        enum x509_reason r = x509_chain_validate(&lc.base, X509_ROLE_CONTRACT, chain, 3, &root, 1,
                                                 clock_s, emaid, &v);
        t[i] = now_us() - a;
        if (r != X509_OK) {
            fprintf(stderr, "bench_x509: chain refused: %s\n", x509_reason_text(r));
            return 1;
        }
    }
    qsort(t, N, sizeof t[0], cmp);
    printf("x509 parse (contract certificate, %zu bytes): %.2f us\n", s_len[0], parse_us);
    printf("x509 chain validation (3 certificates to the MO root, 3 ECDSA P-256 verifications, "
           "OpenSSL port): p50 %.0f us, p99 %.0f us (%d runs)\n",
           t[N / 2], t[N * 99 / 100], N);
    linux_crypto_close(&lc);
    return 0;
}
