/*
 * Integration test of hal_linux/linux_modbus.c against a third-party Modbus server
 * (pymodbus, holding registers 0..1999 = 1000 + i, zero_mode): chunked reads and writes,
 * exceptions, timeouts with retries, the asynchronous contract (EBUSY, ESTATE, EAGAIN),
 * and completion through the eventfd while the caller polls.
 *
 *   meter_modbus_test (rtu:DEV[,BAUD] | tcp:HOST:PORT)
 * Prints PASS/FAIL lines and "N passed, N failed".
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "linux_modbus.h"

static int s_pass, s_fail;

static void check(int ok, const char *name, const char *why)
{
    if (ok) {
        printf("PASS %s\n", name);
        s_pass++;
    } else {
        printf("FAIL %s: %s\n", name, why);
        s_fail++;
    }
    fflush(stdout);
}

static double s_wait_ms;

/* Wait for completion the way the superloop does: poll() on the eventfd. */
static int run(struct linux_modbus *mb, const struct hal_modbus_req *rq, struct hal_modbus_result *res)
{
    int rc = hal_modbus_submit(&mb->base, rq);
    if (rc != HAL_OK) {
        return rc;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 2000; i++) {
        rc = hal_modbus_poll(&mb->base, res);
        if (rc != HAL_EAGAIN) {
            break;
        }
        struct pollfd p = {.fd = linux_modbus_fd(mb), .events = POLLIN};
        poll(&p, 1, 100);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s_wait_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: meter_modbus_test (rtu:DEV [PEER_PID] | tcp:HOST:PORT)\n");
        return 2;
    }
    struct linux_modbus_config cfg;
    if (linux_modbus_parse(argv[1], LINUX_MODBUS_TCP, &cfg) != HAL_OK) {
        fprintf(stderr, "bad bus %s\n", argv[1]);
        return 2;
    }
    const char *t = cfg.kind == LINUX_MODBUS_RTU ? "rtu" : "tcp";
    char name[96];
    cfg.timeout_ms = 300;
    static struct linux_modbus mb;
    check(linux_modbus_init(&mb, &cfg) == HAL_OK, "modbus-init", "init failed");
    struct hal_modbus_result res;
    static uint16_t regs[400];

    check(hal_modbus_poll(&mb.base, &res) == HAL_ESTATE, "modbus-poll-idle", "poll without request");

    struct hal_modbus_req rq = {.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 10, .regs = regs};
    int rc = run(&mb, &rq, &res);
    snprintf(name, sizeof name, "modbus-%s-read10", t);
    check(rc == HAL_OK && res.status == HAL_OK && regs[0] == 1000 && regs[9] == 1009, name,
          "registers 0..9 are not 1000..1009");

    memset(regs, 0, sizeof regs);
    rq.addr = 100;
    rq.count = 300; /* three PDUs: 125 + 125 + 50 */
    rc = run(&mb, &rq, &res);
    int ok = rc == HAL_OK && res.status == HAL_OK;
    for (int i = 0; i < 300 && ok; i++) {
        ok = regs[i] == 1100 + i;
    }
    snprintf(name, sizeof name, "modbus-%s-read300-chunked", t);
    check(ok, name, "a 300-register read did not come back whole");

    for (int i = 0; i < 250; i++) {
        regs[i] = (uint16_t)(40000 + i);
    }
    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_WRITE_MULTIPLE, .addr = 500, .count = 250, .regs = regs};
    rc = run(&mb, &rq, &res);
    static uint16_t back[400];
    struct hal_modbus_req rb = {.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 499, .count = 252, .regs = back};
    int rc2 = run(&mb, &rb, &res);
    ok = rc == HAL_OK && rc2 == HAL_OK && res.status == HAL_OK && back[0] == 1499 && back[251] == 1750;
    for (int i = 0; i < 250 && ok; i++) {
        ok = back[1 + i] == 40000 + i;
    }
    snprintf(name, sizeof name, "modbus-%s-write250-chunked", t);
    check(ok, name, "a 250-register write (123 + 123 + 4) did not land");

    uint16_t one = 4242;
    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_WRITE_SINGLE, .addr = 7, .count = 1, .regs = &one};
    rc = run(&mb, &rq, &res);
    rb = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 7, .count = 1, .regs = back};
    run(&mb, &rb, &res);
    snprintf(name, sizeof name, "modbus-%s-write-single", t);
    check(rc == HAL_OK && back[0] == 4242, name, "FC06 did not land");

    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 5000, .count = 4, .regs = regs};
    rc = run(&mb, &rq, &res);
    snprintf(name, sizeof name, "modbus-%s-exception", t);
    check(rc == HAL_OK && res.status == HAL_EPROTO && res.exception == 2, name,
          "a read past the map must give HAL_EPROTO with exception 2");

    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 1, .regs = regs};
    check(hal_modbus_submit(&mb.base, &rq) == HAL_OK && hal_modbus_submit(&mb.base, &rq) == HAL_EBUSY,
          "modbus-busy", "a second submit while one is in flight must be HAL_EBUSY");
    for (int i = 0; i < 100 && hal_modbus_poll(&mb.base, &res) == HAL_EAGAIN; i++) {
        struct pollfd p = {.fd = linux_modbus_fd(&mb), .events = POLLIN};
        poll(&p, 1, 100);
    }
    check(res.status == HAL_OK, "modbus-busy-completes", "the first request did not complete");

    rq = (struct hal_modbus_req){.unit = 0, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 1, .regs = regs};
    int e1 = hal_modbus_submit(&mb.base, &rq);
    rq.unit = 1;
    rq.count = 0;
    int e2 = hal_modbus_submit(&mb.base, &rq);
    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_WRITE_SINGLE, .addr = 0, .count = 2, .regs = regs};
    int e3 = hal_modbus_submit(&mb.base, &rq);
    rq = (struct hal_modbus_req){.unit = 248, .fn = HAL_MODBUS_READ_INPUT, .addr = 0, .count = 1, .regs = regs};
    int e4 = hal_modbus_submit(&mb.base, &rq);
    check(e1 == HAL_EINVAL && e2 == HAL_EINVAL && e3 == HAL_EINVAL && e4 == HAL_EINVAL,
          "modbus-einval", "broadcast read, count 0, FC06 with 2, unit 248 must be HAL_EINVAL");

    /* a unit nobody answers: timeout, with the retries */
    rq = (struct hal_modbus_req){.unit = 77, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 1,
                                 .regs = regs, .timeout_ms = 200, .retries = 2};
    struct linux_modbus_stats s0 = linux_modbus_get_stats(&mb);
    rc = run(&mb, &rq, &res);
    struct linux_modbus_stats s1 = linux_modbus_get_stats(&mb);
    snprintf(name, sizeof name, "modbus-%s-timeout-retries", t);
    char why[160];
    snprintf(why, sizeof why, "status %d, %u PDUs, %.0f ms", res.status, s1.pdus - s0.pdus, s_wait_ms);
    /* 3 PDUs of 200 ms: at least 550 ms (the timeouts are real). The upper bound only
     * catches a hang: a loaded host (2 busy cores, sanitizers) stretches the wait, so it
     * is 10 s, not the 600 ms an idle machine takes (issue 12 item 17). */
    check(rc == HAL_OK && res.status == HAL_ETIMEDOUT && s1.pdus - s0.pdus == 3 &&
              s_wait_ms >= 550 && s_wait_ms < 10000,
          name, why);
    /* the bus still works afterwards */
    rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 3, .count = 1, .regs = regs};
    rc = run(&mb, &rq, &res);
    snprintf(name, sizeof name, "modbus-%s-after-timeout", t);
    check(rc == HAL_OK && res.status == HAL_OK && regs[0] == 1003, name, "no answer after a timeout");

    if (argc == 3 && cfg.kind == LINUX_MODBUS_RTU) {
        /* A late reply: the peer stalls (SIGSTOP) while a request is on the line, so it is
         * answered only after our timeout. The next answer must be the next question's,
         * not that late reply (RTU has no transaction id). */
        pid_t peer = (pid_t)atol(argv[2]);
        check(peer > 1 && kill(peer, SIGSTOP) == 0, "modbus-rtu-peer-stalled", "cannot stop the peer");
        rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 1,
                                     .regs = regs, .timeout_ms = 300, .retries = 0};
        rc = run(&mb, &rq, &res);
        (void)kill(peer, SIGCONT);
        /* Let the late reply arrive before the next question: the peer is a Python
         * process just continued, which a loaded host may run seconds later. */
        struct timespec ts = {.tv_sec = 3, .tv_nsec = 0};
        nanosleep(&ts, NULL);
        check(rc == HAL_OK && res.status == HAL_ETIMEDOUT, "modbus-rtu-stalled-times-out", "no timeout");
        rq = (struct hal_modbus_req){.unit = 1, .fn = HAL_MODBUS_READ_HOLDING, .addr = 5, .count = 1,
                                     .regs = regs, .timeout_ms = 1000, .retries = 0};
        regs[0] = 0;
        rc = run(&mb, &rq, &res);
        snprintf(why, sizeof why, "status %d, register 5 read as %u (1000 is the late reply to register 0)",
                 res.status, regs[0]);
        check(rc == HAL_OK && res.status == HAL_OK && regs[0] == 1005, "modbus-rtu-late-reply-discarded", why);
    }

    linux_modbus_close(&mb);
    printf("%d passed, %d failed\n", s_pass, s_fail);
    return s_fail == 0 ? 0 : 1;
}
