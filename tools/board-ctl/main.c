/* board-ctl - bring-up tool for a charger board's I/O, through its safety co-processor
 * (chargebyte Charge SOM protocol, protocols/chargesom host side over hal_linux's
 * serial port) or through the kernel (hal_linux/linux_kio: sysfs PWM, IIO, GPIO
 * chardev): drive the pilot, switch a contactor, read the pilot state, e-stops,
 * temperatures and the firmware version, keeping the cyclic ChargeControl1 (or the
 * outputs) alive for --hold-s seconds. Refuses a contactor order outside CP state C/D
 * unless --force.
 *
 *   board-ctl --sysfs ROOT [--dev ROOT] [--pwm CHIP:CH[:inv]] [--iio DEV:POS,NEG[,PP]]
 *             [--cp-scale MUL/DIV/OFFSET_MV] [--gpio CHIP] [--line FUNC=NAME[:low]]...
 *             [--hold-s S] [--force] VERB...
 *   (FUNC: pos, neg, lock, peak, pos_fb, neg_fb, lock_fb, estop)
 *
 *   board-ctl --chargesom TTY [--hold-s S] [--force] VERB [ARGS] [VERB [ARGS]...]
 *   (verbs run in order in one session, e.g. `pwm 5 contactor 1 on`: each process has
 *   its own cyclic frame, and the co-processor falls safe between two processes)
 *   verbs: state | version | pwm PERCENT | x1 | f | off | contactor N on|off | estop | lock | unlock
 *
 * Exit status: 0 done, 1 refused (unsafe order, or the co-processor would not do it),
 * 2 usage, 3 the co-processor failed (silent, safe state, unsupported firmware).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chargesom/cbsom_host.h"
#include "iec61851/pilot.h"
#include "linux_kio.h"
#include "linux_serial.h"

static volatile sig_atomic_t s_stop;

static void bc_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint32_t bc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint64_t bc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct bc {
    struct linux_serial ser;
    struct cbsom_host h;
};

static void bc_pass(struct bc *b)
{
    struct pollfd p = {linux_serial_fd(&b->ser), POLLIN, 0};
    (void)poll(&p, 1, 5);
    cbsom_host_step(&b->h, bc_now());
}

/* Step until @p done says so, the host fails, or @p ms pass. */
static bool bc_until(struct bc *b, bool (*done)(const struct bc *), uint32_t ms)
{
    uint32_t t0 = bc_now();
    while (!s_stop && bc_now() - t0 < ms) {
        bc_pass(b);
        if (b->h.phase == CBSOM_HOST_FAULT) {
            return false;
        }
        if (done != NULL && done(b)) {
            return true;
        }
    }
    return done == NULL;
}

static bool bc_running_with_state(const struct bc *b)
{
    return b->h.phase == CBSOM_HOST_RUNNING && cbsom_host_state(&b->h) != NULL;
}

static bool bc_echoed(const struct bc *b)
{
    const struct cbsom_state *s = cbsom_host_state(&b->h);
    return s != NULL && !b->h.echo_wait && s->pwm_active == b->h.ctl.pwm_active &&
           (!s->pwm_active || s->duty == b->h.ctl.duty);
}

static unsigned s_want_idx;
static bool s_want_closed;
static bool bc_contactor_follows(const struct bc *b)
{
    const struct cbsom_state *s = cbsom_host_state(&b->h);
    return s != NULL && (s->contactor[s_want_idx] == CBSOM_CONT_CLOSED) == s_want_closed;
}

static void bc_print_state(const struct bc *b)
{
    const struct cbsom_state *s = cbsom_host_state(&b->h);
    if (s == NULL) {
        printf("state: no report from the co-processor\n");
        return;
    }
    static const char *const cont[] = {"undefined", "open", "closed", "unused"};
    static const char *const es[] = {"ok", "tripped", "reserved", "unused"};
    printf("state: cp %s%s%s, pwm %s %u.%u %%, contactors %s %s %s, hv_ready %d, e-stops %s %s %s, "
           "safe state %u (reason %u), pp %u\n",
           cbsom_cp_name(s->cp), s->cp_short ? " (short)" : "", s->diode_fault ? " (diode missing)" : "",
           s->pwm_active ? "on" : "off", s->duty / 10u, s->duty % 10u, cont[s->contactor[0]], cont[s->contactor[1]],
           cont[s->contactor[2]], s->hv_ready, es[s->estop[0]], es[s->estop[1]], es[s->estop[2]], s->safe_state,
           s->reason, s->pp);
    const struct cbsom_temps *t = cbsom_host_temps(&b->h);
    if (t != NULL) {
        printf("temperatures:");
        for (unsigned i = 0; i < CBSOM_TEMPS; i++) {
            if (t->used[i]) {
                printf(" %u: %d.%d C", i + 1, t->deci_c[i] / 10, abs(t->deci_c[i] % 10));
            }
        }
        printf("\n");
    }
}

static int bc_fail(struct bc *b, const char *what);
static int bc_check(int argc, char **argv);
/* ------------------------------------------------------------------ --sysfs */

static bool s_kio_on;
static struct linux_kio_config s_kc;

static int kio_option(const char *opt, const char *val)
{
    if (!s_kio_on && strcmp(opt, "--sysfs") != 0) {
        fprintf(stderr, "board-ctl: %s needs --sysfs ROOT first\n", opt);
        return -1;
    }
    if (strcmp(opt, "--sysfs") == 0) {
        linux_kio_default_config(&s_kc);
        s_kc.cp_neg_channel = -1;
        s_kio_on = true;
    }
    /* The options are the configuration file's kio.* settings (linux_kio_set). */
    char name[24], why[160];
    const char *v = val;
    if (strcmp(opt, "--line") == 0) {
        const char *eq = strchr(val, '=');
        if (eq == NULL || (size_t)(eq - val) > 12) {
            fprintf(stderr, "board-ctl: --line FUNC=NAME[:low], got '%s'\n", val);
            return -1;
        }
        snprintf(name, sizeof name, "line.%.*s", (int)(eq - val), val);
        v = eq + 1;
    } else {
        static const char *const map[][2] = {{"--sysfs", "sys_root"}, {"--dev", "dev_root"}, {"--iio", "iio"}, {"--pwm", "pwm"},
                                             {"--cp-scale", "cp_scale"}, {"--gpio", "gpio_chip"}};
        name[0] = '\0';
        for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
            if (strcmp(opt, map[k][0]) == 0) {
                snprintf(name, sizeof name, "%s", map[k][1]);
            }
        }
    }
    if (linux_kio_set(&s_kc, name, v, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "board-ctl: %s %s: %s\n", opt, val, why);
        return -1;
    }
    return 0;
}

static struct linux_kio s_k;

static void kio_run_for(uint32_t ms)
{
    uint32_t t0 = bc_now();
    while (!s_stop && bc_now() - t0 < ms) {
        linux_kio_step(&s_k, bc_now());
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void kio_print_state(void)
{
    struct hal_pilot_sample smp;
    int rc = hal_pilot_read(&s_k.pilot, &smp);
    if (rc != HAL_OK) {
        printf("state: pilot %s\n", rc == HAL_EAGAIN ? "not measured (set a duty first)" : "ADC failed or out of range");
    } else {
        bool nd = false;
        enum pilot_state st = pilot_classify(&smp, s_k.duty != 0 && s_k.duty != 1000, &nd);
        printf("state: cp %s%s, high %d mV, low %d mV, duty %u.%u %%\n", pilot_state_name(st), nd ? " (diode missing)" : "",
               (int)smp.high_mv, (int)smp.low_mv, s_k.duty / 10u, s_k.duty % 10u);
    }
    static const enum hal_gpio_in ins[] = {HAL_GPIO_IN_CONTACTOR_POS_FB, HAL_GPIO_IN_CONTACTOR_NEG_FB,
                                           HAL_GPIO_IN_LOCK_FB, HAL_GPIO_IN_ESTOP};
    static const char *const names[] = {"contactor 1 feedback", "contactor 2 feedback", "lock feedback", "e-stop"};
    for (size_t k = 0; k < 4; k++) {
        bool v = false;
        rc = hal_gpio_read(&s_k.gpio, ins[k], &v);
        printf("%s: %s\n", names[k], rc == HAL_ENOTSUP ? "not fitted" : rc != HAL_OK ? "unreadable" : v ? "active" : "inactive");
    }
    uint32_t ohms;
    rc = hal_pilot_read_proximity(&s_k.pilot, &ohms);
    if (rc == HAL_OK) {
        printf("proximity: %s%lu ohm\n", ohms == UINT32_MAX ? "open, " : "", (unsigned long)(ohms == UINT32_MAX ? 0 : ohms));
    }
}

/* One verb over the kernel interfaces: 0 done, 1 refused, 3 the I/O failed. */
static int kio_verb(char **argv, bool force)
{
    const char *verb = argv[0];
    if (strcmp(verb, "state") == 0 || strcmp(verb, "estop") == 0) {
        kio_print_state();
        return 0;
    }
    if (strcmp(verb, "version") == 0) {
        printf("version: the kernel backend has no firmware\n");
        return 0;
    }
    if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0) {
        int rc = hal_gpio_write(&s_k.gpio, HAL_GPIO_OUT_LOCK, strcmp(verb, "lock") == 0);
        printf("%s: %s\n", verb, rc == HAL_OK ? "done" : rc == HAL_ENOTSUP ? "no lock line (--line lock=NAME)" : "failed");
        return rc == HAL_OK ? 0 : rc == HAL_ENOTSUP ? 1 : 3;
    }
    if (strcmp(verb, "contactor") == 0) {
        unsigned idx = (unsigned)(argv[1][0] - '1');
        bool on = strcmp(argv[2], "on") == 0;
        if (idx > 1) {
            printf("refused: the kernel backend drives contactors 1 and 2\n");
            return 1;
        }
        struct hal_pilot_sample smp;
        bool nd = false;
        enum pilot_state st = hal_pilot_read(&s_k.pilot, &smp) == HAL_OK
                                  ? pilot_classify(&smp, s_k.duty != 0 && s_k.duty != 1000, &nd)
                                  : PILOT_STATE_E;
        if (on && st != PILOT_STATE_C && st != PILOT_STATE_D && !force) {
            printf("refused: contactor %u on needs CP state C or D (now %s); --force sends it anyway\n", idx + 1,
                   pilot_state_name(st));
            return 1;
        }
        int rc = hal_gpio_write(&s_k.gpio, idx == 0 ? HAL_GPIO_OUT_CONTACTOR_POS : HAL_GPIO_OUT_CONTACTOR_NEG, on);
        if (rc != HAL_OK) {
            printf("contactor %u: %s\n", idx + 1, rc == HAL_ENOTSUP ? "no line (--line pos=NAME / neg=NAME)" : "write failed");
            return rc == HAL_ENOTSUP ? 1 : 3;
        }
        kio_run_for(200);
        bool fb = false;
        rc = hal_gpio_read(&s_k.gpio, idx == 0 ? HAL_GPIO_IN_CONTACTOR_POS_FB : HAL_GPIO_IN_CONTACTOR_NEG_FB, &fb);
        printf("contactor %u %s; feedback %s\n", idx + 1, on ? "on" : "off",
               rc == HAL_ENOTSUP ? "not fitted" : rc != HAL_OK ? "unreadable" : fb == on ? "agrees" : "DISAGREES");
        return rc == HAL_OK && fb != on ? 1 : 0;
    }
    uint16_t duty = strcmp(verb, "x1") == 0 ? 1000
                    : strcmp(verb, "f") == 0 || strcmp(verb, "off") == 0 ? 0
                                                                         : (uint16_t)(strtod(argv[1], NULL) * 10.0 + 0.5);
    if (hal_pilot_set_duty(&s_k.pilot, duty) != HAL_OK) {
        printf("pilot %s: the PWM write failed\n", verb);
        return 3;
    }
    kio_run_for(100); /* a few samples of the new output */
    printf("pilot %s: duty %u.%u %%\n", verb, duty / 10u, duty % 10u);
    return 0;
}

static int kio_main(int argc, char **argv, uint32_t hold_s, bool force)
{
    struct linux_kio_gpio_ops ops;
    linux_kio_real_ops(&ops);
    char why[200];
    int rc = linux_kio_open(&s_k, &s_kc, &ops, bc_now(), why, sizeof why);
    if (rc != HAL_OK) {
        fprintf(stderr, "board-ctl: --sysfs %s: %s\n", s_kc.sys_root, why);
        return 3;
    }
    int status = 0;
    for (int i = 0; i < argc && status == 0;) {
        int used = bc_check(argc - i, &argv[i]);
        status = kio_verb(&argv[i], force);
        i += used;
    }
    if (hold_s > 0 && status == 0) {
        printf("holding for %u s\n", hold_s);
        fflush(stdout);
        kio_run_for(hold_s * 1000u);
    }
    kio_print_state();
    linux_kio_close(&s_k); /* outputs inactive, PWM disabled */
    return status;
}


static int bc_usage(void)
{
    fprintf(stderr,
            "usage: board-ctl --chargesom TTY [--hold-s S] [--force] VERB [ARGS] [VERB [ARGS]...]\n"
            "       board-ctl --sysfs ROOT [--dev ROOT] [--pwm CHIP:CH[:inv]] [--iio DEV:POS,NEG[,PP]]\n"
            "                 [--cp-scale MUL/DIV/OFFSET_MV] [--gpio CHIP] [--line FUNC=NAME[:low]]...\n"
            "                 [--hold-s S] [--force] VERB...   (FUNC: pos neg lock peak pos_fb neg_fb lock_fb estop)\n"
            "  verbs: state | version | pwm PERCENT (0.1..99.9) | x1 | f | off\n"
            "         contactor N on|off (N 1..3) | estop | lock | unlock\n"
            "  --hold-s S   keep the cyclic frame (and what was set) alive S seconds (0..3600)\n"
            "  --force      send a contactor order outside CP state C/D (the co-processor still gates it)\n"
            "  exit: 0 done, 1 refused, 2 usage, 3 co-processor failed\n");
    return 2;
}

static int bc_fail(struct bc *b, const char *what)
{
    const struct cbsom_state *s = cbsom_host_state(&b->h);
    fprintf(stderr, "board-ctl: %s: %s (phase %s", what, cbsom_host_fault_name(b->h.fault),
            cbsom_host_phase_name(b->h.phase));
    if (s != NULL && s->safe_state == 1) {
        fprintf(stderr, ", safe-state reason %u: reset the co-processor", s->reason);
    }
    fprintf(stderr, ")\n");
    return 3;
}

/* Arguments one verb takes, -1 when it is not a verb or its arguments are wrong, -2 for
 * an order this backend cannot carry out. */
static int bc_check(int argc, char **argv)
{
    const char *verb = argv[0];
    if (strcmp(verb, "pwm") == 0) {
        char *end = NULL;
        double pct = argc >= 2 ? strtod(argv[1], &end) : -1.0;
        if (argc < 2 || *end != '\0' || pct < 0.1 || pct > 99.9) {
            fprintf(stderr, "board-ctl: pwm PERCENT: 0.1..99.9 (x1, f, off for the DC levels)\n");
            return -1;
        }
        return 2;
    }
    if (strcmp(verb, "contactor") == 0) {
        if (argc < 3 || strlen(argv[1]) != 1 || argv[1][0] < '1' || argv[1][0] > '3' ||
            (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
            fprintf(stderr, "board-ctl: contactor N on|off, N 1..3\n");
            return -1;
        }
        return 3;
    }
    if ((strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0) && s_kio_on) {
        return 1;
    }
    if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0) {
        fprintf(stderr, "board-ctl: %s: the Charge SOM protocol has no connector lock (a DC CCS board locks in "
                        "the car's inlet)\n", verb);
        return -2;
    }
    static const char *const plain[] = {"state", "version", "estop", "x1", "f", "off"};
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++) {
        if (strcmp(verb, plain[k]) == 0) {
            return 1;
        }
    }
    return -1;
}

/* Carry out one checked verb: 0 done, 1 refused, 3 the co-processor failed. */
static int bc_run(struct bc *b, char **argv, bool force, uint32_t rtt)
{
    const char *verb = argv[0];
    if (strcmp(verb, "version") == 0) {
        const struct cbsom_version *v = cbsom_host_version(&b->h);
        printf("version: %u.%u.%u platform 0x%02X application %u; inquiry round trip %u us\n", v->major, v->minor,
               v->build, v->platform, v->application, rtt);
        return 0;
    }
    if (strcmp(verb, "state") == 0) {
        bc_print_state(b);
        return 0;
    }
    if (strcmp(verb, "estop") == 0) {
        bool e = false;
        int rc = hal_gpio_read(&b->h.gpio, HAL_GPIO_IN_ESTOP, &e);
        printf("estop: %s\n", rc != HAL_OK ? "unreadable" : e ? "tripped" : "not tripped");
        return 0;
    }
    if (strcmp(verb, "contactor") == 0) {
        unsigned cidx = (unsigned)(argv[1][0] - '1');
        bool con = strcmp(argv[2], "on") == 0;
        enum cbsom_cp cp = cbsom_host_state(&b->h)->cp;
        if (con && cp != CBSOM_CP_C && cp != CBSOM_CP_D && !force) {
            printf("refused: contactor %u on needs CP state C or D (now %s); --force sends it anyway\n", cidx + 1,
                   cbsom_cp_name(cp));
            return 1;
        }
        (void)cbsom_host_set_contactor(&b->h, cidx, con);
        uint32_t t1 = bc_now();
        s_want_idx = cidx;
        s_want_closed = con;
        if (bc_until(b, bc_contactor_follows, 1000)) {
            printf("contactor %u %s after %u ms\n", cidx + 1, con ? "closed" : "open", bc_now() - t1);
            return 0;
        }
        if (b->h.phase == CBSOM_HOST_FAULT) {
            return bc_fail(b, "contactor");
        }
        printf("refused: the co-processor did not %s contactor %u (cp %s)\n", con ? "close" : "open", cidx + 1,
               cbsom_cp_name(cbsom_host_state(&b->h)->cp));
        return 1;
    }
    if (strcmp(verb, "off") == 0) {
        cbsom_host_pilot_off(&b->h);
    } else {
        uint16_t duty = strcmp(verb, "x1") == 0 ? CBSOM_DUTY_MAX
                        : strcmp(verb, "f") == 0 ? 0
                                                 : (uint16_t)(strtod(argv[1], NULL) * 10.0 + 0.5);
        (void)hal_pilot_set_duty(&b->h.pilot, duty);
    }
    uint32_t t1 = bc_now();
    if (!bc_until(b, bc_echoed, 2000)) {
        return bc_fail(b, "pilot");
    }
    printf("pilot %s: echoed by the co-processor after %u ms\n", verb, bc_now() - t1);
    /* Let the car's answer to the new pilot arrive before the next verb reads it. */
    (void)bc_until(b, NULL, 250);
    return 0;
}

int main(int argc, char **argv)
{
    const char *tty = NULL;
    unsigned long hold_s = 0;
    bool force = false;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            (void)bc_usage();
            return 0;
        }
        if (strcmp(argv[i], "--chargesom") == 0 && i + 1 < argc) {
            tty = argv[++i];
        } else if (strcmp(argv[i], "--hold-s") == 0 && i + 1 < argc) {
            char *end;
            hold_s = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || hold_s > 3600) {
                fprintf(stderr, "board-ctl: --hold-s: 0..3600, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else if (strcmp(argv[i], "--sysfs") == 0 || strcmp(argv[i], "--dev") == 0 ||
                   strcmp(argv[i], "--pwm") == 0 || strcmp(argv[i], "--iio") == 0 ||
                   strcmp(argv[i], "--cp-scale") == 0 || strcmp(argv[i], "--gpio") == 0 ||
                   strcmp(argv[i], "--line") == 0) {
            if (i + 1 >= argc || kio_option(argv[i], argv[i + 1]) != 0) {
                return 2;
            }
            i++;
        } else {
            return bc_usage();
        }
    }
    if ((tty == NULL) == !s_kio_on || i >= argc) {
        return bc_usage();
    }
    /* Check every order before touching the line. */
    for (int k = i; k < argc;) {
        int used = bc_check(argc - k, &argv[k]);
        if (used < 0) {
            return used == -1 ? bc_usage() : 1;
        }
        k += used;
    }
    if (s_kio_on) {
        return kio_main(argc - i, &argv[i], (uint32_t)hold_s, force);
    }
    static struct bc b;
    if (linux_serial_init(&b.ser, tty) != HAL_OK) {
        fprintf(stderr, "board-ctl: --chargesom: bad path '%s'\n", tty);
        return 2;
    }
    struct hal_serial_config sc = {.baud = 115200};
    int rc = hal_serial_open(&b.ser.base, &sc);
    if (rc != HAL_OK) {
        fprintf(stderr, "board-ctl: --chargesom %s: %s\n", tty, hal_strerror(rc));
        return 3;
    }
    signal(SIGTERM, bc_on_signal);
    signal(SIGINT, bc_on_signal);
    struct cbsom_host_config cfg;
    cbsom_host_default_config(&cfg);
    cfg.startup_ms = 0; /* no reset line here: the co-processor is already up */
    (void)cbsom_host_init(&b.h, &cfg, &b.ser.base, bc_now());
    uint64_t t0 = bc_now_us();
    cbsom_host_step(&b.h, bc_now());
    /* The inquiry round trip: written at once, answered without a cycle to wait for. */
    while (b.h.phase == CBSOM_HOST_INQUIRE && !s_stop) {
        struct pollfd p = {linux_serial_fd(&b.ser), POLLIN, 0};
        (void)poll(&p, 1, 5);
        cbsom_host_step(&b.h, bc_now());
    }
    if (b.h.phase != CBSOM_HOST_RUNNING) {
        return bc_fail(&b, "handshake");
    }
    uint32_t rtt = (uint32_t)(bc_now_us() - t0);
    if (!bc_until(&b, bc_running_with_state, 2000)) {
        return bc_fail(&b, "first report");
    }
    int status = 0;
    while (i < argc && status == 0) {
        int used = bc_check(argc - i, &argv[i]);
        status = bc_run(&b, &argv[i], force, rtt);
        i += used;
    }
    if (status == 3) {
        return 3;
    }
    if (hold_s > 0 && status == 0) {
        printf("holding for %lu s\n", hold_s);
        fflush(stdout);
        (void)bc_until(&b, NULL, (uint32_t)hold_s * 1000u);
        if (b.h.phase == CBSOM_HOST_FAULT) {
            status = bc_fail(&b, "hold");
        }
    }
    bc_print_state(&b);
    /* Leave it safe: contactors open (the pilot stays as set until the co-processor's
     * timeout takes it to its safe state). */
    for (unsigned k = 0; k < CBSOM_CONTACTORS; k++) {
        (void)cbsom_host_set_contactor(&b.h, k, false);
    }
    cbsom_host_step(&b.h, bc_now());
    printf("frames: %u sent, %u received, %u bad CRC, %u bad frames, %u unknown ids\n", b.h.cnt.tx_frames,
           b.h.cnt.rx_frames, b.h.cnt.bad_crc, b.h.cnt.bad_frame, b.h.cnt.unknown_id);
    hal_serial_close(&b.ser.base);
    return status;
}
