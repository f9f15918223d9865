/* kio_test.c - the kernel-interface board port (hal_linux/linux_kio.c) against a fake
 * sysfs tree under a temporary root (PWM chip and channel, IIO device) and a GPIO fake
 * behind the port's ops table that answers the uAPI v2 ioctls as the kernel does (the
 * Debian kernels have no gpio-sim, spec linux-board-io.md §8.1). Bad input of issue 20:
 * sysfs files missing or returning garbage, ADC readings outside every band, GPIO lines
 * missing or busy, feedback that disagrees with the command. cmocka. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux_kio.h"

/* ------------------------------------------------------------------ the GPIO fake */

#define FK_LINES 9
static const char *const k_names[FK_LINES] = {"unused", "RELAY_POS", "RELAY_NEG", "LOCK_MOTOR", "PEAK_RST",
                                              "RELAY_POS_FB", "RELAY_NEG_FB", "LOCK_FB", "ESTOP_N"};
struct fake_gpio {
    bool phys[FK_LINES];       /* physical levels */
    bool requested[FK_LINES];
    bool active_low[FK_LINES];
    bool output[FK_LINES];
    uint32_t req_offsets[2][64];
    unsigned req_n[2];
    int busy_line;             /* -1: none */
    unsigned sets;             /* SET_VALUES calls */
    char log[256];             /* "R1 R0 ..." peak-reset edges */
};
static struct fake_gpio g_fk;

static int fk_open(void *ctx, const char *path)
{
    (void)ctx;
    if (strstr(path, "/gpiochip0") == NULL) {
        errno = ENOENT;
        return -1;
    }
    return 100;
}

static void fk_close(void *ctx, int fd)
{
    (void)ctx;
    if (fd == 101 || fd == 102) {
        for (unsigned i = 0; i < g_fk.req_n[fd - 101]; i++) {
            g_fk.requested[g_fk.req_offsets[fd - 101][i]] = false;
        }
    }
}

static int fk_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    (void)ctx;
    if (fd == 100 && req == GPIO_GET_CHIPINFO_IOCTL) {
        struct gpiochip_info *i = arg;
        snprintf(i->name, sizeof i->name, "gpiochip0");
        i->lines = FK_LINES;
        return 0;
    }
    if (fd == 100 && req == GPIO_V2_GET_LINEINFO_IOCTL) {
        struct gpio_v2_line_info *li = arg;
        if (li->offset >= FK_LINES) {
            errno = EINVAL;
            return -1;
        }
        snprintf(li->name, sizeof li->name, "%s", k_names[li->offset]);
        return 0;
    }
    if (fd == 100 && req == GPIO_V2_GET_LINE_IOCTL) {
        struct gpio_v2_line_request *r = arg;
        bool out = (r->config.flags & GPIO_V2_LINE_FLAG_OUTPUT) != 0;
        bool in = (r->config.flags & GPIO_V2_LINE_FLAG_INPUT) != 0;
        if (out == in || r->num_lines == 0 || r->num_lines > 64) {
            errno = EINVAL;
            return -1;
        }
        for (unsigned i = 0; i < r->num_lines; i++) {
            if (r->offsets[i] >= FK_LINES || g_fk.requested[r->offsets[i]] || (int)r->offsets[i] == g_fk.busy_line) {
                errno = EBUSY;
                return -1;
            }
        }
        unsigned k = out ? 0 : 1;
        g_fk.req_n[k] = r->num_lines;
        for (unsigned i = 0; i < r->num_lines; i++) {
            uint32_t o = r->offsets[i];
            g_fk.req_offsets[k][i] = o;
            g_fk.requested[o] = true;
            g_fk.output[o] = out;
            g_fk.active_low[o] = false;
            for (unsigned a = 0; a < r->config.num_attrs; a++) {
                const struct gpio_v2_line_config_attribute *at = &r->config.attrs[a];
                if ((at->mask >> i & 1u) == 0) {
                    continue;
                }
                if (at->attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS) {
                    g_fk.active_low[o] = (at->attr.flags & GPIO_V2_LINE_FLAG_ACTIVE_LOW) != 0;
                }
            }
            for (unsigned a = 0; a < r->config.num_attrs; a++) {
                const struct gpio_v2_line_config_attribute *at = &r->config.attrs[a];
                if (out && at->attr.id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES && (at->mask >> i & 1u) != 0) {
                    bool logical = (at->attr.values >> i & 1u) != 0;
                    g_fk.phys[o] = logical != g_fk.active_low[o];
                }
            }
        }
        r->fd = out ? 101 : 102;
        return 0;
    }
    if ((fd == 101 || fd == 102) &&
        (req == GPIO_V2_LINE_SET_VALUES_IOCTL || req == GPIO_V2_LINE_GET_VALUES_IOCTL)) {
        struct gpio_v2_line_values *v = arg;
        unsigned k = (unsigned)(fd - 101);
        if (req == GPIO_V2_LINE_SET_VALUES_IOCTL && k == 1) {
            errno = EPERM; /* setting an input */
            return -1;
        }
        uint64_t bits = 0;
        for (unsigned i = 0; i < g_fk.req_n[k]; i++) {
            uint32_t o = g_fk.req_offsets[k][i];
            if ((v->mask >> i & 1u) == 0) {
                continue;
            }
            if (req == GPIO_V2_LINE_SET_VALUES_IOCTL) {
                bool logical = (v->bits >> i & 1u) != 0;
                g_fk.phys[o] = logical != g_fk.active_low[o];
                if (o == 4) {
                    strncat(g_fk.log, logical ? "R1 " : "R0 ", sizeof g_fk.log - strlen(g_fk.log) - 1);
                }
            } else if (g_fk.phys[o] != g_fk.active_low[o]) {
                bits |= 1ull << i;
            }
        }
        if (req == GPIO_V2_LINE_SET_VALUES_IOCTL) {
            g_fk.sets++;
        } else {
            v->bits = bits;
        }
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

static const struct linux_kio_gpio_ops k_fake_ops = {fk_open, fk_ioctl, fk_close, NULL};

/* ------------------------------------------------------------------ the sysfs tree */

static char g_root[64];

static void put(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void get(const char *rel, char *out, size_t cap)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_root, rel);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void mk(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_root, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

#define PWM "class/pwm/pwmchip0/pwm0/"
#define IIO "bus/iio/devices/iio:device0/"

static int setup(void **state)
{
    (void)state;
    snprintf(g_root, sizeof g_root, "/tmp/kio.XXXXXX");
    assert_non_null(mkdtemp(g_root));
    mk("class");
    mk("class/pwm");
    mk("class/pwm/pwmchip0");
    put("class/pwm/pwmchip0/npwm", "2\n");
    put("class/pwm/pwmchip0/export", "");
    mk("class/pwm/pwmchip0/pwm0");
    put(PWM "period", "0\n");
    put(PWM "duty_cycle", "0\n");
    put(PWM "enable", "0\n");
    put(PWM "polarity", "normal\n");
    mk("bus");
    mk("bus/iio");
    mk("bus/iio/devices");
    mk("bus/iio/devices/iio:device0");
    put(IIO "name", "ads1015\n");
    put(IIO "in_voltage0_raw", "1125\n");
    put(IIO "in_voltage1_raw", "0\n");
    put(IIO "in_voltage2_raw", "1250\n");
    put(IIO "in_voltage_scale", "2.0\n"); /* shared: mV per count */
    memset(&g_fk, 0, sizeof g_fk);
    g_fk.busy_line = -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    return system(cmd);
}

static void config(struct linux_kio_config *c)
{
    linux_kio_default_config(c);
    snprintf(c->sys_root, sizeof c->sys_root, "%s", g_root);
    snprintf(c->dev_root, sizeof c->dev_root, "%s/dev", g_root);
    c->pwm_inverted = true;
    /* front end: ADC 0..3000 mV for pilot -12..+12 V */
    c->cp_mul = 8;
    c->cp_div = 1;
    c->cp_offset_mv = -12000;
    c->pp_channel = 2;
    c->pp_pullup_ohm = 330;
    c->pp_vref_mv = 5000;
    static const char *const lines[LINUX_KIO_LINES] = {"RELAY_POS", "RELAY_NEG", "LOCK_MOTOR", "",
                                                       "RELAY_POS_FB", "RELAY_NEG_FB", "LOCK_FB", "ESTOP_N"};
    for (unsigned l = 0; l < LINUX_KIO_LINES; l++) {
        snprintf(c->line[l], sizeof c->line[l], "%s", lines[l]);
    }
    c->active_low[LINUX_KIO_ESTOP] = true; /* the e-stop loop opens: low = pressed */
}

static struct linux_kio g_k;
static char g_why[160];

static void test_pwm_setup_and_duty(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    char b[32];
    get(PWM "period", b, sizeof b);
    assert_string_equal(b, "1000000\n");
    get(PWM "enable", b, sizeof b);
    assert_string_equal(b, "0\n");
    get(PWM "polarity", b, sizeof b);
    assert_string_equal(b, "inversed\n");
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 50), HAL_OK);
    get(PWM "duty_cycle", b, sizeof b);
    assert_string_equal(b, "50000\n");
    get(PWM "enable", b, sizeof b);
    assert_string_equal(b, "1\n");
    uint32_t writes = g_k.cnt.pwm_writes;
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 50), HAL_OK);
    assert_int_equal(g_k.cnt.pwm_writes, writes); /* no write without a change */
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 1000), HAL_OK);
    get(PWM "duty_cycle", b, sizeof b);
    assert_string_equal(b, "1000000\n"); /* shorter digits would leave stale ones: none */
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 7), HAL_OK);
    get(PWM "duty_cycle", b, sizeof b);
    assert_string_equal(b, "7000\n");
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 1001), HAL_EINVAL);
    linux_kio_close(&g_k);
    get(PWM "enable", b, sizeof b);
    assert_string_equal(b, "0\n");
}

static void test_adc_plateaus_and_pp(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    struct hal_pilot_sample s;
    linux_kio_step(&g_k, 0);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EAGAIN); /* no duty yet */
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 50), HAL_OK);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EAGAIN); /* since the change */
    linux_kio_step(&g_k, 25);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 6000); /* 1125 counts x 2 mV x 8 - 12 V: C */
    assert_int_equal(s.low_mv, -12000);
    put(IIO "in_voltage0_raw", "1312\n"); /* 9 V: B, read at the next sample only */
    linux_kio_step(&g_k, 30);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 6000);
    linux_kio_step(&g_k, 45);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 8992);
    /* A per-channel scale and an offset win over the shared scale. */
    put(IIO "in_voltage1_scale", "1.0\n");
    put(IIO "in_voltage1_offset", "10\n");
    linux_kio_step(&g_k, 65);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.low_mv, 10 * 8 - 12000);
    uint32_t ohms;
    assert_int_equal(hal_pilot_read_proximity(&g_k.pilot, &ohms), HAL_OK);
    assert_int_equal(ohms, 330); /* 2500 mV of 5000 over a 330 ohm pull-up */
    put(IIO "in_voltage2_raw", "2500\n");
    assert_int_equal(hal_pilot_read_proximity(&g_k.pilot, &ohms), HAL_OK);
    assert_int_equal(ohms, UINT32_MAX); /* at the reference: no plug */
    put(IIO "in_voltage2_raw", "4000\n"); /* 8 V from a 5 V divider: broken */
    assert_int_equal(hal_pilot_read_proximity(&g_k.pilot, &ohms), HAL_EIO);
    linux_kio_close(&g_k);
}

static void test_adc_bad_input(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 1000), HAL_OK);
    struct hal_pilot_sample s;
    /* Outside every band: 3500 counts = 7 V at the ADC = 44 V of pilot. */
    put(IIO "in_voltage0_raw", "3500\n");
    linux_kio_step(&g_k, 0);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EIO);
    assert_int_equal(g_k.cnt.adc_out_of_range, 1);
    /* Garbage in the file. */
    put(IIO "in_voltage0_raw", "12ab\n");
    linux_kio_step(&g_k, 20);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EIO);
    /* An empty file, then a missing one (the driver went away). */
    put(IIO "in_voltage0_raw", "");
    linux_kio_step(&g_k, 40);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EIO);
    char p[256];
    snprintf(p, sizeof p, "%s/" IIO "in_voltage0_raw", g_root);
    assert_int_equal(unlink(p), 0);
    linux_kio_step(&g_k, 60);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EIO);
    /* Back: readings again. */
    put(IIO "in_voltage0_raw", "1500\n");
    linux_kio_step(&g_k, 80);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 12000);
    linux_kio_close(&g_k);
}

static void test_sysfs_missing(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    /* A channel that was never exported: the export of a plain file makes no pwm1. */
    c.pwm_channel = 1;
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_ENOENT);
    assert_non_null(strstr(g_why, "channel 1 not available"));
    config(&c);
    snprintf(c.pwm_chip, sizeof c.pwm_chip, "pwmchip7");
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_ENOENT);
    assert_non_null(strstr(g_why, "pwmchip7"));
    config(&c);
    c.cp_neg_channel = 5;
    assert_int_not_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    assert_non_null(strstr(g_why, "iio"));
    /* A period the PWM cannot take (a read-only attribute stands for the driver's error). */
    config(&c);
    char p[256];
    snprintf(p, sizeof p, "%s/" PWM "period", g_root);
    assert_int_equal(chmod(p, 0444), 0);
    if (geteuid() != 0) { /* root writes read-only files anyway */
        assert_int_not_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
        assert_non_null(strstr(g_why, "set-up failed"));
    }
    assert_int_equal(chmod(p, 0644), 0);
}

static void test_gpio_lines(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    /* Lines by name: outputs RELAY_POS(1) RELAY_NEG(2) LOCK_MOTOR(3), inputs 5..8. */
    assert_int_equal(g_fk.req_n[0], 3);
    assert_int_equal(g_fk.req_offsets[0][0], 1);
    assert_int_equal(g_fk.req_n[1], 4);
    assert_int_equal(g_fk.req_offsets[1][3], 8);
    assert_true(g_fk.active_low[8]);
    assert_false(g_fk.active_low[5]);
    assert_false(g_fk.phys[1] || g_fk.phys[2] || g_fk.phys[3]); /* start inactive */
    assert_int_equal(hal_gpio_write(&g_k.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    assert_true(g_fk.phys[1]);
    assert_false(g_fk.phys[2]);
    bool v = true;
    /* Feedback that disagrees with the command is reported as it is (the interlock judges). */
    assert_int_equal(hal_gpio_read(&g_k.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &v), HAL_OK);
    assert_false(v);
    g_fk.phys[5] = true;
    assert_int_equal(hal_gpio_read(&g_k.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &v), HAL_OK);
    assert_true(v);
    /* E-stop active-low: a low line is pressed. */
    g_fk.phys[8] = true;
    assert_int_equal(hal_gpio_read(&g_k.gpio, HAL_GPIO_IN_ESTOP, &v), HAL_OK);
    assert_false(v);
    g_fk.phys[8] = false;
    assert_int_equal(hal_gpio_read(&g_k.gpio, HAL_GPIO_IN_ESTOP, &v), HAL_OK);
    assert_true(v);
    linux_kio_close(&g_k);
    assert_false(g_fk.phys[1]); /* closed: outputs left inactive */
    assert_false(g_fk.requested[1] || g_fk.requested[5]);

    /* A board without an e-stop line: ENOTSUP (the interlock then ignores it). */
    c.line[LINUX_KIO_ESTOP][0] = '\0';
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    assert_int_equal(hal_gpio_read(&g_k.gpio, HAL_GPIO_IN_ESTOP, &v), HAL_ENOTSUP);
    linux_kio_close(&g_k);
}

static void test_gpio_bad(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    snprintf(c.line[LINUX_KIO_LOCK_FB], sizeof c.line[0], "NO_SUCH_LINE");
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_ENOENT);
    assert_non_null(strstr(g_why, "no line named 'NO_SUCH_LINE'"));
    config(&c);
    g_fk.busy_line = 2;
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_EBUSY);
    assert_non_null(strstr(g_why, "in use"));
    g_fk.busy_line = -1;
    config(&c);
    snprintf(c.gpio_chip, sizeof c.gpio_chip, "gpiochip9");
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_ENOENT);
    assert_non_null(strstr(g_why, "gpiochip9"));
}

static void test_peak_detector_sequence(void **state)
{
    (void)state;
    struct linux_kio_config c;
    config(&c);
    snprintf(c.line[LINUX_KIO_PEAK_RESET], sizeof c.line[0], "PEAK_RST");
    c.peak_reset_ms = 1;
    c.settle_ms = 5;
    assert_int_equal(linux_kio_open(&g_k, &c, &k_fake_ops, 0, g_why, sizeof g_why), HAL_OK);
    assert_int_equal(hal_pilot_set_duty(&g_k.pilot, 50), HAL_OK);
    struct hal_pilot_sample s;
    uint32_t reads = g_k.cnt.adc_reads;
    linux_kio_step(&g_k, 0); /* reset on */
    assert_string_equal(g_fk.log, "R1 ");
    linux_kio_step(&g_k, 0); /* not due yet */
    linux_kio_step(&g_k, 1); /* reset off */
    assert_string_equal(g_fk.log, "R1 R0 ");
    linux_kio_step(&g_k, 3); /* settling: no read */
    assert_int_equal(g_k.cnt.adc_reads, reads);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_EAGAIN);
    linux_kio_step(&g_k, 6); /* read */
    assert_true(g_k.cnt.adc_reads > reads);
    assert_int_equal(hal_pilot_read(&g_k.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 6000);
    linux_kio_step(&g_k, 7); /* and over again */
    assert_string_equal(g_fk.log, "R1 R0 R1 ");
    linux_kio_close(&g_k);
}

static void test_settings_as_text(void **state)
{
    (void)state;
    struct linux_kio_config c;
    char why[160];
    linux_kio_default_config(&c);
    assert_int_equal(linux_kio_set(&c, "pwm", "pwmchip2:3:inv", why, sizeof why), HAL_OK);
    assert_string_equal(c.pwm_chip, "pwmchip2");
    assert_int_equal(c.pwm_channel, 3);
    assert_true(c.pwm_inverted);
    assert_int_equal(linux_kio_set(&c, "pwm", "pwmchip2:3", why, sizeof why), HAL_OK);
    assert_false(c.pwm_inverted);
    assert_int_equal(linux_kio_set(&c, "iio", "iio:device1:4,5,6", why, sizeof why), HAL_OK);
    assert_string_equal(c.iio_device, "iio:device1");
    assert_int_equal(c.cp_pos_channel, 4);
    assert_int_equal(c.cp_neg_channel, 5);
    assert_int_equal(c.pp_channel, 6);
    assert_int_equal(linux_kio_set(&c, "iio", "iio:device1:4", why, sizeof why), HAL_OK);
    assert_int_equal(c.cp_neg_channel, -1);
    assert_int_equal(linux_kio_set(&c, "cp_scale", "8/1/-12000", why, sizeof why), HAL_OK);
    assert_int_equal(c.cp_offset_mv, -12000);
    assert_int_equal(linux_kio_set(&c, "lines", "pos=RELAY_1,estop=ESTOP_N:low", why, sizeof why), HAL_OK);
    assert_string_equal(c.line[LINUX_KIO_CONTACTOR_POS], "RELAY_1");
    assert_string_equal(c.line[LINUX_KIO_ESTOP], "ESTOP_N");
    assert_true(c.active_low[LINUX_KIO_ESTOP]);
    assert_false(c.active_low[LINUX_KIO_CONTACTOR_POS]);
    /* Bad values say what was expected; nothing half-set is trusted by the caller. */
    static const char *const bad[][2] = {{"pwm", "pwmchip0"}, {"pwm", "pwmchip0:x"}, {"pwm", ":1"},
                                         {"iio", "iio:device0:0,1,2,3"}, {"iio", "iio:device0:99"},
                                         {"cp_scale", "8/0/0"}, {"cp_scale", "8/1"}, {"pp_divider", "330"},
                                         {"lines", "pos"}, {"lines", "fan=X"}, {"lines", "pos=A B"},
                                         {"lines", "pos=:low"}, {"sys_root", ""}, {"pwm_inverted", "yes"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(linux_kio_set(&c, bad[i][0], bad[i][1], why, sizeof why), HAL_EINVAL);
        assert_true(strlen(why) > 10);
    }
    assert_int_equal(linux_kio_set(&c, "no_such", "1", why, sizeof why), HAL_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pwm_setup_and_duty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adc_plateaus_and_pp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adc_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sysfs_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpio_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpio_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peak_detector_sequence, setup, teardown),
        cmocka_unit_test(test_settings_as_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
