/* Benchmark of the journal on the Linux store (release build): how long one superloop pass
 * takes while the OCMF record of a meter stop is stored, with the store as the loop uses it
 * (submit, then poll on later passes while the worker writes, fsyncs and renames) and, for
 * comparison, with the write done inside the pass (what the loop did before the store was
 * asynchronous). Runs in a directory on the same medium as the build (or $BENCH_STORE_DIR).
 * Prints figures; asserts nothing about speed. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "linux_nvs.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct linux_nvs s_nvs;
static struct journal s_j;
static char s_rec[CFG_OCMF_MAX_LEN];
static double s_pass[4096]; /* every timed pass, for the distribution */
static unsigned s_npass;

static double bench_pass(double t0, double t1, double worst)
{
    if (s_npass < sizeof s_pass / sizeof s_pass[0]) {
        s_pass[s_npass++] = t1 - t0;
    }
    return t1 - t0 > worst ? t1 - t0 : worst;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One transaction stored the way the meter session does it; returns the longest pass. */
static double bench_async_tx(unsigned i, double *total_ms)
{
    char id[32];
    uint32_t seq, q;
    int status;
    snprintf(id, sizeof id, "bench-%u", i);
    double worst = 0, t_start = now_ms();
    for (int phase = 0; phase < 2; phase++) {
        double t0 = now_ms();
        int rc = phase == 0 ? journal_begin(&s_j, id, 1000, 0, &seq)
                            : journal_close(&s_j, seq, 2000, 0, JOURNAL_END_NORMAL, s_rec,
                                            strlen(s_rec), true);
        double t1 = now_ms();
        if (rc != HAL_OK) {
            fprintf(stderr, "bench_store: queue failed: %s\n", hal_strerror(rc));
            exit(1);
        }
        worst = bench_pass(t0, t1, worst);
        for (;;) {
            /* the loop's idle: poll() on the store's descriptor */
            struct pollfd p = {.fd = linux_nvs_fd(&s_nvs), .events = POLLIN};
            (void)poll(&p, 1, 1000);
            t0 = now_ms();
            rc = journal_done(&s_j, &q, &status);
            t1 = now_ms();
            worst = bench_pass(t0, t1, worst);
            if (rc == HAL_OK) {
                break;
            }
        }
        if (status != HAL_OK) {
            fprintf(stderr, "bench_store: store failed: %s\n", hal_strerror(status));
            exit(1);
        }
    }
    /* the delivered mark runs in the background */
    (void)journal_delivered(&s_j, seq);
    while (journal_poll(&s_j)) {
        struct pollfd p = {.fd = linux_nvs_fd(&s_nvs), .events = POLLIN};
        (void)poll(&p, 1, 1000);
        double t0 = now_ms();
        (void)journal_poll(&s_j);
        double t1 = now_ms();
        worst = bench_pass(t0, t1, worst);
    }
    *total_ms = now_ms() - t_start;
    return worst;
}

/* The same record written inside one pass: submit and wait for the worker. */
static double bench_sync_write(void)
{
    size_t len = strlen(s_rec);
    double t0 = now_ms();
    int status = HAL_EIO;
    if (hal_nvs_submit_write(&s_nvs.base, "sync-ref", (const uint8_t *)s_rec, len) == HAL_OK) {
        (void)linux_nvs_wait(&s_nvs, &status);
    }
    double t1 = now_ms();
    if (status != HAL_OK) {
        fprintf(stderr, "bench_store: store failed: %s\n", hal_strerror(status));
        exit(1);
    }
    return t1 - t0;
}

int main(void)
{
    const char *base = getenv("BENCH_STORE_DIR");
    char dir[LINUX_NVS_DIR_MAX];
    snprintf(dir, sizeof dir, "%s/bench-store.XXXXXX", base != NULL ? base : "build");
    if (mkdtemp(dir) == NULL || linux_nvs_init(&s_nvs, dir) != HAL_OK ||
        journal_open(&s_j, &s_nvs.base) != HAL_OK) {
        fprintf(stderr, "bench_store: cannot use %s\n", dir);
        return 1;
    }
    /* an OCMF record of the usual EM580 size */
    memset(s_rec, 'x', 1100);
    memcpy(s_rec, "OCMF|", 5);
    const unsigned n = 30;
    double worst_async = 0, sum_async = 0, worst_sync = 0, sum_sync = 0, worst_tx = 0;
    for (unsigned i = 0; i < n; i++) {
        double tx_ms;
        double w = bench_async_tx(i, &tx_ms);
        worst_async = w > worst_async ? w : worst_async;
        sum_async += w;
        worst_tx = tx_ms > worst_tx ? tx_ms : worst_tx;
        double s = bench_sync_write();
        worst_sync = s > worst_sync ? s : worst_sync;
        sum_sync += s;
    }
    printf("bench_store: %u transactions (begin + close with a %zu-byte OCMF record) in %s\n", n,
           strlen(s_rec), dir);
    printf("bench_store: longest loop pass, store asynchronous: %.3f ms (mean of the per-tx "
           "longest %.3f ms)\n", worst_async, sum_async / n);
    qsort(s_pass, s_npass, sizeof s_pass[0], bench_cmp);
    printf("bench_store: %u passes: median %.3f ms, 99th percentile %.3f ms (a loaded machine "
           "preempts the loop now and then: the maximum includes that)\n", s_npass,
           s_pass[s_npass / 2], s_pass[(s_npass * 99u) / 100u]);
    printf("bench_store: one record written inside the pass (before): %.3f ms worst, %.3f ms "
           "mean\n", worst_sync, sum_sync / n);
    printf("bench_store: begin to durable close, wall time: %.3f ms worst\n", worst_tx);
    linux_nvs_close(&s_nvs);
    char cmd[LINUX_NVS_DIR_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
