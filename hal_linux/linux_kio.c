/* linux_kio.c - pilot and power-path GPIO over sysfs PWM, IIO and the GPIO character
 * device (linux_kio.h). Owns struct linux_kio: the PWM channel's files, the ADC sampling
 * state machine and the two GPIO line requests. */
#include "linux_kio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINUX_KIO_MV_LIMIT 13500 /* beyond +-13.5 V no pilot state exists: an ADC fault */

enum { KIO_PH_START = 0, KIO_PH_RESET, KIO_PH_SETTLE };

static struct linux_kio *linux_kio_of_pilot(struct hal_pilot *p)
{
    return (struct linux_kio *)(void *)((char *)p - offsetof(struct linux_kio, pilot));
}

static struct linux_kio *linux_kio_of_gpio(struct hal_gpio *g)
{
    return (struct linux_kio *)(void *)((char *)g - offsetof(struct linux_kio, gpio));
}

void linux_kio_default_config(struct linux_kio_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->sys_root, sizeof cfg->sys_root, "/sys");
    snprintf(cfg->dev_root, sizeof cfg->dev_root, "/dev");
    snprintf(cfg->pwm_chip, sizeof cfg->pwm_chip, "pwmchip0");
    cfg->period_ns = 1000000u;
    snprintf(cfg->iio_device, sizeof cfg->iio_device, "iio:device0");
    cfg->cp_pos_channel = 0;
    cfg->cp_neg_channel = 1;
    cfg->pp_channel = -1;
    cfg->cp_mul = 1;
    cfg->cp_div = 1;
    cfg->pp_pullup_ohm = 330;
    cfg->pp_vref_mv = 5000;
    cfg->sample_ms = 20;
    cfg->peak_reset_ms = 1;
    cfg->settle_ms = 5;
    snprintf(cfg->gpio_chip, sizeof cfg->gpio_chip, "gpiochip0");
}

static int linux_kio_sys_open(void *ctx, const char *path)
{
    (void)ctx;
    return open(path, O_RDWR | O_CLOEXEC);
}
static int linux_kio_sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    (void)ctx;
    return ioctl(fd, req, arg);
}
static void linux_kio_sys_close(void *ctx, int fd)
{
    (void)ctx;
    (void)close(fd);
}

void linux_kio_real_ops(struct linux_kio_gpio_ops *ops)
{
    ops->open = linux_kio_sys_open;
    ops->ioctl = linux_kio_sys_ioctl;
    ops->close = linux_kio_sys_close;
    ops->ctx = NULL;
}

/* ------------------------------------------------------------------ settings as text */

static int linux_kio_copy(char *dst, size_t cap, const char *v, char *why, size_t why_len)
{
    size_t n = strlen(v);
    if (n == 0 || n >= cap || strpbrk(v, " \t") != NULL) {
        snprintf(why, why_len, "expected a name or path of 1..%zu characters without blanks", cap - 1);
        return HAL_EINVAL;
    }
    memcpy(dst, v, n + 1);
    return HAL_OK;
}

static bool linux_kio_int(const char **p, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (end == *p || errno != 0 || v < lo || v > hi) {
        return false;
    }
    *p = end;
    *out = v;
    return true;
}

int linux_kio_set(struct linux_kio_config *cfg, const char *name, const char *v, char *why, size_t why_len)
{
    static const char *const funcs[LINUX_KIO_LINES] = {"pos", "neg", "lock", "peak",
                                                       "pos_fb", "neg_fb", "lock_fb", "estop"};
    const char *p = v;
    long a, b, c;
    why[0] = '\0';
    if (strcmp(name, "sys_root") == 0) {
        return linux_kio_copy(cfg->sys_root, sizeof cfg->sys_root, v, why, why_len);
    }
    if (strcmp(name, "dev_root") == 0) {
        return linux_kio_copy(cfg->dev_root, sizeof cfg->dev_root, v, why, why_len);
    }
    if (strcmp(name, "gpio_chip") == 0) {
        return linux_kio_copy(cfg->gpio_chip, sizeof cfg->gpio_chip, v, why, why_len);
    }
    if (strcmp(name, "pwm_inverted") == 0) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            snprintf(why, why_len, "expected true or false");
            return HAL_EINVAL;
        }
        cfg->pwm_inverted = strcmp(v, "true") == 0;
        return HAL_OK;
    }
    if (strcmp(name, "lines") == 0) {
        /* FUNC=NAME[:low] items separated by commas */
        char item[LINUX_KIO_NAME_MAX + 16], key[24];
        while (*p != '\0') {
            size_t n = strcspn(p, ",");
            const char *eq = memchr(p, '=', n);
            if (n >= sizeof item || eq == NULL || (size_t)(eq - p) > 12) {
                snprintf(why, why_len, "expected FUNC=NAME[:low],... with FUNC one of pos neg lock peak pos_fb "
                                       "neg_fb lock_fb estop");
                return HAL_EINVAL;
            }
            snprintf(key, sizeof key, "line.%.*s", (int)(eq - p), p);
            memcpy(item, eq + 1, n - (size_t)(eq - p) - 1);
            item[n - (size_t)(eq - p) - 1] = '\0';
            int rc = linux_kio_set(cfg, key, item, why, why_len);
            if (rc != HAL_OK) {
                if (rc == HAL_ENOENT) {
                    snprintf(why, why_len, "'%.*s' is not a line function (pos neg lock peak pos_fb neg_fb "
                                           "lock_fb estop)", (int)(eq - p), p);
                }
                return HAL_EINVAL;
            }
            p += n;
            if (*p == ',') {
                p++;
            }
        }
        return HAL_OK;
    }
    char pwmbuf[LINUX_KIO_NAME_MAX + 16];
    if (strcmp(name, "pwm") == 0) {
        size_t n = strlen(v);
        cfg->pwm_inverted = n > 4 && strcmp(v + n - 4, ":inv") == 0;
        if (cfg->pwm_inverted && n - 4 < sizeof pwmbuf) {
            memcpy(pwmbuf, v, n - 4);
            pwmbuf[n - 4] = '\0';
            v = pwmbuf;
        }
    }
    if (strcmp(name, "pwm") == 0 || strcmp(name, "iio") == 0) {
        const char *colon = strrchr(v, ':');
        bool pwm = name[0] == 'p';
        char dev[LINUX_KIO_NAME_MAX];
        if (colon == NULL || colon == v || (size_t)(colon - v) >= sizeof dev) {
            snprintf(why, why_len, pwm ? "expected CHIP:CHANNEL[:inv], e.g. pwmchip0:0"
                                       : "expected DEVICE:POS[,NEG[,PP]], e.g. iio:device0:0,1");
            return HAL_EINVAL;
        }
        memcpy(dev, v, (size_t)(colon - v));
        dev[colon - v] = '\0';
        p = colon + 1;
        a = 0;
        b = c = -1;
        bool ok = linux_kio_int(&p, 0, pwm ? 1023 : 63, &a);
        if (ok && !pwm && *p == ',') {
            p++;
            ok = linux_kio_int(&p, 0, 63, &b);
            if (ok && *p == ',') {
                p++;
                ok = linux_kio_int(&p, 0, 63, &c);
            }
        }
        if (!ok || *p != '\0') {
            snprintf(why, why_len, pwm ? "expected CHIP:CHANNEL[:inv] with CHANNEL 0..1023"
                                       : "expected DEVICE:POS[,NEG[,PP]] with channels 0..63");
            return HAL_EINVAL;
        }
        if (pwm) {
            memcpy(cfg->pwm_chip, dev, strlen(dev) + 1);
            cfg->pwm_channel = (uint32_t)a;
        } else {
            memcpy(cfg->iio_device, dev, strlen(dev) + 1);
            cfg->cp_pos_channel = (int)a;
            cfg->cp_neg_channel = (int)b;
            cfg->pp_channel = (int)c;
        }
        return HAL_OK;
    }
    if (strcmp(name, "cp_scale") == 0) {
        if (!linux_kio_int(&p, -100000, 100000, &a) || *p++ != '/' || !linux_kio_int(&p, 1, 100000, &b) ||
            *p++ != '/' || !linux_kio_int(&p, -100000, 100000, &c) || *p != '\0' || a == 0) {
            snprintf(why, why_len, "expected MUL/DIV/OFFSET_MV (pilot mV = ADC mV * MUL / DIV + OFFSET), e.g. 8/1/-12000");
            return HAL_EINVAL;
        }
        cfg->cp_mul = (int32_t)a;
        cfg->cp_div = (int32_t)b;
        cfg->cp_offset_mv = (int32_t)c;
        return HAL_OK;
    }
    if (strcmp(name, "pp_divider") == 0) {
        if (!linux_kio_int(&p, 1, 1000000, &a) || *p++ != '/' || !linux_kio_int(&p, 100, 100000, &b) || *p != '\0') {
            snprintf(why, why_len, "expected PULLUP_OHM/VREF_MV, e.g. 330/5000");
            return HAL_EINVAL;
        }
        cfg->pp_pullup_ohm = (uint32_t)a;
        cfg->pp_vref_mv = (uint32_t)b;
        return HAL_OK;
    }
    if (strncmp(name, "line.", 5) == 0) {
        for (unsigned l = 0; l < LINUX_KIO_LINES; l++) {
            if (strcmp(name + 5, funcs[l]) != 0) {
                continue;
            }
            const char *low = strstr(v, ":low");
            bool is_low = low != NULL && low[4] == '\0';
            size_t n = is_low ? (size_t)(low - v) : strlen(v);
            if (n == 0 || n >= LINUX_KIO_NAME_MAX || memchr(v, ':', n) != NULL || strpbrk(v, " \t") != NULL) {
                snprintf(why, why_len, "expected a GPIO line name of 1..%u characters, then :low if active-low",
                         LINUX_KIO_NAME_MAX - 1u);
                return HAL_EINVAL;
            }
            memcpy(cfg->line[l], v, n);
            cfg->line[l][n] = '\0';
            cfg->active_low[l] = is_low;
            return HAL_OK;
        }
    }
    snprintf(why, why_len, "no such setting");
    return HAL_ENOENT;
}

/* ------------------------------------------------------------------ sysfs */

static int linux_kio_err(int e)
{
    return e == ENOENT ? HAL_ENOENT : e == EBUSY ? HAL_EBUSY : HAL_EIO;
}

/* One value per write, from offset 0 and truncated: a plain file (a test tree) then
 * holds exactly the value, as the kernel's attribute would. */
static int linux_kio_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        return linux_kio_err(errno);
    }
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = errno;
    (void)close(fd);
    return w == (ssize_t)n ? HAL_OK : linux_kio_err(e);
}

static int linux_kio_read_long(const char *path, double *v)
{
    char buf[48];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return linux_kio_err(errno);
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = errno;
    (void)close(fd);
    if (n <= 0) {
        return n == 0 ? HAL_EIO : linux_kio_err(e);
    }
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end == buf || errno != 0 || (*end != '\0' && *end != '\n')) {
        return HAL_EIO;
    }
    *v = d;
    return HAL_OK;
}

static int linux_kio_pwm_path(const struct linux_kio *k, const char *attr, char *out, size_t cap)
{
    int n = attr[0] == '\0' ? snprintf(out, cap, "%s/class/pwm/%s", k->cfg.sys_root, k->cfg.pwm_chip)
                            : snprintf(out, cap, "%s/class/pwm/%s/pwm%" PRIu32 "/%s", k->cfg.sys_root,
                                       k->cfg.pwm_chip, k->cfg.pwm_channel, attr);
    return n > 0 && (size_t)n < cap ? HAL_OK : HAL_EINVAL;
}

static int linux_kio_pwm_write(struct linux_kio *k, const char *attr, uint64_t v)
{
    char path[LINUX_KIO_PATH_MAX + 96];
    char text[24];
    if (linux_kio_pwm_path(k, attr, path, sizeof path) != HAL_OK) {
        return HAL_EINVAL;
    }
    snprintf(text, sizeof text, "%" PRIu64 "\n", v);
    k->cnt.pwm_writes++;
    return linux_kio_write_file(path, text);
}

/* mV of channel @p ch: (raw + offset) * scale, with the per-channel scale or the shared
 * one (spec §7.2); the offset file is optional. */
static int linux_kio_adc_mv(struct linux_kio *k, int ch, double *mv)
{
    char path[LINUX_KIO_PATH_MAX + 96];
    double raw, scale, offset = 0.0;
    const char *dev = k->cfg.iio_device;
    snprintf(path, sizeof path, "%s/bus/iio/devices/%s/in_voltage%d_raw", k->cfg.sys_root, dev, ch);
    int rc = linux_kio_read_long(path, &raw);
    k->cnt.adc_reads++;
    if (rc != HAL_OK) {
        return rc;
    }
    snprintf(path, sizeof path, "%s/bus/iio/devices/%s/in_voltage%d_scale", k->cfg.sys_root, dev, ch);
    if (linux_kio_read_long(path, &scale) != HAL_OK) {
        snprintf(path, sizeof path, "%s/bus/iio/devices/%s/in_voltage_scale", k->cfg.sys_root, dev);
        if ((rc = linux_kio_read_long(path, &scale)) != HAL_OK) {
            return rc;
        }
    }
    snprintf(path, sizeof path, "%s/bus/iio/devices/%s/in_voltage%d_offset", k->cfg.sys_root, dev, ch);
    if (linux_kio_read_long(path, &offset) != HAL_OK) {
        snprintf(path, sizeof path, "%s/bus/iio/devices/%s/in_voltage_offset", k->cfg.sys_root, dev);
        if (linux_kio_read_long(path, &offset) != HAL_OK) {
            offset = 0.0;
        }
    }
    *mv = (raw + offset) * scale;
    return HAL_OK;
}

static int linux_kio_pilot_mv(struct linux_kio *k, int ch, int32_t *out)
{
    double mv;
    int rc = linux_kio_adc_mv(k, ch, &mv);
    if (rc != HAL_OK) {
        return rc;
    }
    double p = mv * (double)k->cfg.cp_mul / (double)k->cfg.cp_div + (double)k->cfg.cp_offset_mv;
    if (p > LINUX_KIO_MV_LIMIT || p < -LINUX_KIO_MV_LIMIT) {
        k->cnt.adc_out_of_range++;
        return HAL_EIO;
    }
    *out = (int32_t)p;
    return HAL_OK;
}

/* ------------------------------------------------------------------ GPIO */

static int linux_kio_line_set(struct linux_kio *k, enum linux_kio_line l, bool active)
{
    if (k->slot[l] < 0) {
        return HAL_ENOTSUP;
    }
    uint64_t bit = 1ull << (unsigned)k->slot[l];
    struct gpio_v2_line_values v = {.bits = active ? bit : 0, .mask = bit};
    if (k->ops.ioctl(k->ops.ctx, k->out_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) != 0) {
        k->cnt.gpio_errors++;
        return HAL_EIO;
    }
    k->out_bits = active ? (k->out_bits | bit) : (k->out_bits & ~bit);
    return HAL_OK;
}

static int linux_kio_line_get(struct linux_kio *k, enum linux_kio_line l, bool *active)
{
    if (k->slot[l] < 0) {
        return HAL_ENOTSUP;
    }
    uint64_t bit = 1ull << (unsigned)k->slot[l];
    struct gpio_v2_line_values v = {.bits = 0, .mask = bit};
    if (k->ops.ioctl(k->ops.ctx, k->in_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) != 0) {
        k->cnt.gpio_errors++;
        return HAL_EIO;
    }
    *active = (v.bits & bit) != 0; /* logical: the kernel applied ACTIVE_LOW */
    return HAL_OK;
}

/* One request for the lines [first, last) that are fitted: their offsets, direction and
 * the active-low ones by an attribute; outputs start inactive. */
static int linux_kio_request(struct linux_kio *k, const uint32_t *offsets, unsigned first, unsigned last, bool out,
                             int *fd_out)
{
    struct gpio_v2_line_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.consumer, sizeof req.consumer, "charger");
    uint64_t low_mask = 0;
    for (unsigned l = first; l < last; l++) {
        if (k->cfg.line[l][0] == '\0') {
            k->slot[l] = -1;
            continue;
        }
        k->slot[l] = (int)req.num_lines;
        if (k->cfg.active_low[l]) {
            low_mask |= 1ull << req.num_lines;
        }
        req.offsets[req.num_lines++] = offsets[l];
    }
    *fd_out = -1;
    if (req.num_lines == 0) {
        return HAL_OK;
    }
    req.config.flags = out ? GPIO_V2_LINE_FLAG_OUTPUT : GPIO_V2_LINE_FLAG_INPUT;
    unsigned a = 0;
    if (low_mask != 0) {
        req.config.attrs[a].attr.id = GPIO_V2_LINE_ATTR_ID_FLAGS;
        req.config.attrs[a].attr.flags = req.config.flags | GPIO_V2_LINE_FLAG_ACTIVE_LOW;
        req.config.attrs[a].mask = low_mask;
        a++;
    }
    if (out) {
        req.config.attrs[a].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        req.config.attrs[a].attr.values = 0; /* every output inactive */
        req.config.attrs[a].mask = (req.num_lines >= 64 ? ~0ull : (1ull << req.num_lines) - 1u);
        a++;
    }
    req.config.num_attrs = a;
    if (k->ops.ioctl(k->ops.ctx, k->chip_fd, GPIO_V2_GET_LINE_IOCTL, &req) != 0) {
        return linux_kio_err(errno);
    }
    *fd_out = req.fd;
    return HAL_OK;
}

static int linux_kio_gpio_open(struct linux_kio *k, char *why, size_t why_len)
{
    bool any = false;
    for (unsigned l = 0; l < LINUX_KIO_LINES; l++) {
        k->slot[l] = -1;
        any = any || k->cfg.line[l][0] != '\0';
    }
    if (!any) {
        return HAL_OK;
    }
    char path[LINUX_KIO_PATH_MAX + LINUX_KIO_NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", k->cfg.dev_root, k->cfg.gpio_chip);
    k->chip_fd = k->ops.open(k->ops.ctx, path);
    if (k->chip_fd < 0) {
        snprintf(why, why_len, "gpio: %s: %s", path, strerror(errno));
        return linux_kio_err(errno);
    }
    struct gpiochip_info info;
    memset(&info, 0, sizeof info);
    if (k->ops.ioctl(k->ops.ctx, k->chip_fd, GPIO_GET_CHIPINFO_IOCTL, &info) != 0) {
        snprintf(why, why_len, "gpio: %s: not a GPIO chip: %s", path, strerror(errno));
        return HAL_EIO;
    }
    uint32_t offsets[LINUX_KIO_LINES];
    for (unsigned l = 0; l < LINUX_KIO_LINES; l++) {
        if (k->cfg.line[l][0] == '\0') {
            continue;
        }
        bool found = false;
        for (uint32_t o = 0; o < info.lines && !found; o++) {
            struct gpio_v2_line_info li;
            memset(&li, 0, sizeof li);
            li.offset = o;
            if (k->ops.ioctl(k->ops.ctx, k->chip_fd, GPIO_V2_GET_LINEINFO_IOCTL, &li) != 0) {
                snprintf(why, why_len, "gpio: %s line %" PRIu32 ": %s", path, o, strerror(errno));
                return HAL_EIO;
            }
            li.name[sizeof li.name - 1] = '\0';
            if (strcmp(li.name, k->cfg.line[l]) == 0) {
                offsets[l] = o;
                found = true;
            }
        }
        if (!found) {
            snprintf(why, why_len, "gpio: %s has no line named '%s'", path, k->cfg.line[l]);
            return HAL_ENOENT;
        }
    }
    int rc = linux_kio_request(k, offsets, 0, LINUX_KIO_FIRST_INPUT, true, &k->out_fd);
    if (rc == HAL_OK) {
        rc = linux_kio_request(k, offsets, LINUX_KIO_FIRST_INPUT, LINUX_KIO_LINES, false, &k->in_fd);
    }
    if (rc != HAL_OK) {
        snprintf(why, why_len, "gpio: %s: line request refused: %s", path,
                 rc == HAL_EBUSY ? "a line is in use by another consumer" : strerror(errno));
    }
    return rc;
}

/* ------------------------------------------------------------------ pilot port */

static int linux_kio_set_duty(struct hal_pilot *p, uint16_t duty)
{
    struct linux_kio *k = linux_kio_of_pilot(p);
    if (duty > 1000u) {
        return HAL_EINVAL;
    }
    if (duty == k->duty) {
        return HAL_OK; /* sysfs writes only on a change */
    }
    uint64_t ns = (uint64_t)k->cfg.period_ns * duty / 1000u;
    int rc = linux_kio_pwm_write(k, "duty_cycle", ns);
    if (rc == HAL_OK && k->duty == 0xFFFFu) {
        rc = linux_kio_pwm_write(k, "enable", 1);
    }
    if (rc != HAL_OK) {
        return HAL_EIO;
    }
    k->duty = duty;
    k->have_sample = false; /* what was measured belongs to the old output */
    return HAL_OK;
}

static int linux_kio_read(struct hal_pilot *p, struct hal_pilot_sample *s)
{
    struct linux_kio *k = linux_kio_of_pilot(p);
    if (k->adc_failed) {
        return HAL_EIO;
    }
    if (!k->have_sample) {
        return HAL_EAGAIN;
    }
    *s = k->sample;
    return HAL_OK;
}

static int linux_kio_read_pp(struct hal_pilot *p, uint32_t *ohms)
{
    struct linux_kio *k = linux_kio_of_pilot(p);
    if (k->cfg.pp_channel < 0) {
        return HAL_ENOTSUP;
    }
    double mv;
    if (linux_kio_adc_mv(k, k->cfg.pp_channel, &mv) != HAL_OK || mv < -100.0 ||
        mv > (double)k->cfg.pp_vref_mv + 100.0) {
        k->cnt.adc_errors++;
        return HAL_EIO;
    }
    if (mv >= (double)k->cfg.pp_vref_mv) {
        *ohms = UINT32_MAX; /* open: no plug */
        return HAL_OK;
    }
    if (mv < 0.0) {
        mv = 0.0;
    }
    double r = (double)k->cfg.pp_pullup_ohm * mv / ((double)k->cfg.pp_vref_mv - mv);
    *ohms = r >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)r;
    return HAL_OK;
}

static const struct hal_pilot_ops linux_kio_pilot_ops = {
    .set_duty = linux_kio_set_duty, .read = linux_kio_read, .read_proximity = linux_kio_read_pp};

static int linux_kio_gpio_write(struct hal_gpio *g, enum hal_gpio_out out, bool active)
{
    struct linux_kio *k = linux_kio_of_gpio(g);
    switch (out) {
    case HAL_GPIO_OUT_CONTACTOR_POS:
        return linux_kio_line_set(k, LINUX_KIO_CONTACTOR_POS, active);
    case HAL_GPIO_OUT_CONTACTOR_NEG:
        return linux_kio_line_set(k, LINUX_KIO_CONTACTOR_NEG, active);
    case HAL_GPIO_OUT_LOCK:
        return linux_kio_line_set(k, LINUX_KIO_LOCK, active);
    default:
        return HAL_EINVAL;
    }
}

static int linux_kio_gpio_read(struct hal_gpio *g, enum hal_gpio_in in, bool *active)
{
    struct linux_kio *k = linux_kio_of_gpio(g);
    switch (in) {
    case HAL_GPIO_IN_CONTACTOR_POS_FB:
        return linux_kio_line_get(k, LINUX_KIO_FB_POS, active);
    case HAL_GPIO_IN_CONTACTOR_NEG_FB:
        return linux_kio_line_get(k, LINUX_KIO_FB_NEG, active);
    case HAL_GPIO_IN_LOCK_FB:
        return linux_kio_line_get(k, LINUX_KIO_LOCK_FB, active);
    case HAL_GPIO_IN_ESTOP:
        return linux_kio_line_get(k, LINUX_KIO_ESTOP, active);
    default:
        return HAL_EINVAL;
    }
}

static const struct hal_gpio_ops linux_kio_gpio_ops = {.write = linux_kio_gpio_write, .read = linux_kio_gpio_read};

/* ------------------------------------------------------------------ life cycle */

int linux_kio_open(struct linux_kio *k, const struct linux_kio_config *cfg, const struct linux_kio_gpio_ops *ops,
                   uint32_t now_ms, char *why, size_t why_len)
{
    memset(k, 0, sizeof *k);
    k->pilot.ops = &linux_kio_pilot_ops;
    k->gpio.ops = &linux_kio_gpio_ops;
    k->cfg = *cfg;
    k->ops = *ops;
    k->chip_fd = k->out_fd = k->in_fd = -1;
    k->duty = 0xFFFFu;
    k->due_ms = now_ms;
    why[0] = '\0';
    if (cfg->period_ns == 0 || cfg->cp_div == 0 || cfg->sample_ms == 0 || cfg->cp_pos_channel < 0) {
        snprintf(why, why_len, "bad settings (period, scaling divisor, sample period or CP channel)");
        return HAL_EINVAL;
    }
    char path[LINUX_KIO_PATH_MAX + 96], chan[16];
    struct stat st;
    if (linux_kio_pwm_path(k, "", path, sizeof path) != HAL_OK || stat(path, &st) != 0) {
        snprintf(why, why_len, "pwm: %s: %s", path, strerror(errno));
        return HAL_ENOENT;
    }
    (void)linux_kio_pwm_path(k, "period", path, sizeof path);
    if (stat(path, &st) != 0) {
        /* Not exported yet: export it (EBUSY: exported already, or claimed by a driver). */
        char exp[LINUX_KIO_PATH_MAX + 96];
        snprintf(exp, sizeof exp, "%s/class/pwm/%s/export", cfg->sys_root, cfg->pwm_chip);
        snprintf(chan, sizeof chan, "%" PRIu32 "\n", cfg->pwm_channel);
        int rc = linux_kio_write_file(exp, chan);
        if ((rc != HAL_OK && rc != HAL_EBUSY) || stat(path, &st) != 0) {
            snprintf(why, why_len, "pwm: %s: channel %" PRIu32 " not available", exp, cfg->pwm_channel);
            return rc == HAL_OK ? HAL_ENOENT : rc;
        }
    }
    /* Disabled, duty 0 before the period (duty <= period at every step), then polarity,
     * which drivers take only while disabled. */
    int rc = linux_kio_pwm_write(k, "enable", 0);
    if (rc == HAL_OK) {
        rc = linux_kio_pwm_write(k, "duty_cycle", 0);
    }
    if (rc == HAL_OK) {
        rc = linux_kio_pwm_write(k, "period", cfg->period_ns);
    }
    if (rc == HAL_OK) {
        (void)linux_kio_pwm_path(k, "polarity", path, sizeof path);
        rc = linux_kio_write_file(path, cfg->pwm_inverted ? "inversed\n" : "normal\n");
    }
    if (rc != HAL_OK) {
        snprintf(why, why_len, "pwm: %s/class/pwm/%s/pwm%" PRIu32 ": set-up failed", cfg->sys_root, cfg->pwm_chip,
                 cfg->pwm_channel);
        return rc;
    }
    double mv;
    if ((rc = linux_kio_adc_mv(k, cfg->cp_pos_channel, &mv)) != HAL_OK ||
        (cfg->cp_neg_channel >= 0 && (rc = linux_kio_adc_mv(k, cfg->cp_neg_channel, &mv)) != HAL_OK) ||
        (cfg->pp_channel >= 0 && (rc = linux_kio_adc_mv(k, cfg->pp_channel, &mv)) != HAL_OK)) {
        snprintf(why, why_len, "iio: %s/bus/iio/devices/%s: a configured channel cannot be read", cfg->sys_root,
                 cfg->iio_device);
        return rc;
    }
    return linux_kio_gpio_open(k, why, why_len);
}

static void linux_kio_sample(struct linux_kio *k)
{
    int32_t hi = 0, lo = 0;
    int rc = linux_kio_pilot_mv(k, k->cfg.cp_pos_channel, &hi);
    if (rc == HAL_OK && k->cfg.cp_neg_channel >= 0) {
        rc = linux_kio_pilot_mv(k, k->cfg.cp_neg_channel, &lo);
    } else {
        lo = hi;
    }
    if (rc != HAL_OK) {
        k->cnt.adc_errors++;
        k->adc_failed = true;
        return;
    }
    k->adc_failed = false;
    k->sample.high_mv = hi;
    k->sample.low_mv = lo;
    k->have_sample = k->duty != 0xFFFFu;
}

void linux_kio_step(struct linux_kio *k, uint32_t now_ms)
{
    if ((int32_t)(now_ms - k->due_ms) < 0) {
        return;
    }
    if (k->slot[LINUX_KIO_PEAK_RESET] < 0) {
        linux_kio_sample(k);
        k->due_ms = now_ms + k->cfg.sample_ms;
        return;
    }
    /* Peak detectors: discharge (reset active), release, let them charge to the new
     * plateaus over a few PWM periods, read, start over. */
    switch (k->phase) {
    case KIO_PH_START:
        (void)linux_kio_line_set(k, LINUX_KIO_PEAK_RESET, true);
        k->phase = KIO_PH_RESET;
        k->due_ms = now_ms + k->cfg.peak_reset_ms;
        break;
    case KIO_PH_RESET:
        (void)linux_kio_line_set(k, LINUX_KIO_PEAK_RESET, false);
        k->phase = KIO_PH_SETTLE;
        k->due_ms = now_ms + k->cfg.settle_ms;
        break;
    default:
        linux_kio_sample(k);
        k->phase = KIO_PH_START;
        k->due_ms = now_ms;
        break;
    }
}

void linux_kio_close(struct linux_kio *k)
{
    if (k->out_fd >= 0) {
        for (unsigned l = 0; l < LINUX_KIO_FIRST_INPUT; l++) {
            (void)linux_kio_line_set(k, (enum linux_kio_line)l, false);
        }
        k->ops.close(k->ops.ctx, k->out_fd);
    }
    if (k->in_fd >= 0) {
        k->ops.close(k->ops.ctx, k->in_fd);
    }
    if (k->chip_fd >= 0) {
        k->ops.close(k->ops.ctx, k->chip_fd);
    }
    k->out_fd = k->in_fd = k->chip_fd = -1;
    if (k->duty != 0xFFFFu) {
        (void)linux_kio_pwm_write(k, "enable", 0);
    }
}
