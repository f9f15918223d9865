/**
 * @file linux_kio.h
 * @brief Linux port of the pilot (hal_pilot) and power-path GPIO (hal_gpio) over the
 *        kernel's own interfaces, for boards without a safety co-processor (chargebyte
 *        Charge Control C, a Raspberry Pi with a pilot front end): sysfs PWM for the pilot
 *        generator, IIO ADC channels for the pilot's high and low plateaus and proximity
 *        (with an optional peak-detector reset line), GPIO character-device lines found
 *        by name (uAPI v2 ioctls, no libgpiod) for contactors, feedback, lock and e-stop.
 *        Spec ../shared/spec/linux-board-io.md §4, §7, §8.
 *
 * Every path comes from the configuration: the sysfs and /dev roots (a test points them
 * at a temporary tree), the PWM chip and channel, the IIO device and channels, the ADC ->
 * pilot scaling, the GPIO chip and line names with their polarity. GPIO calls go through
 * an ops table (struct linux_kio_gpio_ops) so a test can stand in for the kernel (the
 * Debian kernels have no gpio-sim).
 *
 * Sampling is a deadline state machine driven by linux_kio_step(): with a peak-detector
 * reset line, reset for `peak_reset_ms`, release, wait `settle_ms`, read; without one,
 * read every `sample_ms`. An IIO read is one conversion inside read(): bounded by that
 * rate, never in the pilot read itself. A reading outside -13.5..13.5 V is an ADC fault
 * (HAL_EIO), never a pilot state.
 */
#ifndef LINUX_KIO_H
#define LINUX_KIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_gpio.h"
#include "hal_pilot.h"

#define LINUX_KIO_NAME_MAX 32u
#define LINUX_KIO_PATH_MAX 96u

/** GPIO functions, outputs first. */
enum linux_kio_line {
    LINUX_KIO_CONTACTOR_POS = 0,
    LINUX_KIO_CONTACTOR_NEG,
    LINUX_KIO_LOCK,
    LINUX_KIO_PEAK_RESET,
    LINUX_KIO_FB_POS, /* first input */
    LINUX_KIO_FB_NEG,
    LINUX_KIO_LOCK_FB,
    LINUX_KIO_ESTOP,
    LINUX_KIO_LINES
};
#define LINUX_KIO_FIRST_INPUT LINUX_KIO_FB_POS

struct linux_kio_config {
    char sys_root[LINUX_KIO_PATH_MAX]; /**< "/sys" */
    char dev_root[LINUX_KIO_PATH_MAX]; /**< "/dev" */
    char pwm_chip[LINUX_KIO_NAME_MAX]; /**< "pwmchip0" */
    uint32_t pwm_channel;
    uint32_t period_ns;                /**< 1000000 (1 kHz) */
    bool pwm_inverted;                 /**< polarity "inversed" (the front end inverts) */
    char iio_device[LINUX_KIO_NAME_MAX]; /**< "iio:device0" */
    int cp_pos_channel;                /**< in_voltageN of the high plateau */
    int cp_neg_channel;                /**< of the low plateau; -1: none (low = high) */
    int pp_channel;                    /**< -1: no proximity input */
    int32_t cp_mul, cp_div, cp_offset_mv; /**< pilot mV = ADC mV * mul / div + offset */
    uint32_t pp_pullup_ohm, pp_vref_mv;   /**< PP divider: R = pullup * V / (vref - V) */
    uint32_t sample_ms;                /**< without a peak-detector reset line (20) */
    uint32_t peak_reset_ms, settle_ms; /**< with one (1, 5) */
    char gpio_chip[LINUX_KIO_NAME_MAX]; /**< "gpiochip0" */
    char line[LINUX_KIO_LINES][LINUX_KIO_NAME_MAX]; /**< line names; "" = not fitted */
    bool active_low[LINUX_KIO_LINES];
};

/** The GPIO syscalls, replaceable by a test. */
struct linux_kio_gpio_ops {
    int (*open)(void *ctx, const char *path);
    int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
    void (*close)(void *ctx, int fd);
    void *ctx;
};

struct linux_kio_counters {
    uint32_t pwm_writes, adc_reads, adc_errors, adc_out_of_range, gpio_errors;
};

struct linux_kio {
    struct hal_pilot pilot;
    struct hal_gpio gpio;
    struct linux_kio_config cfg;
    struct linux_kio_gpio_ops ops;
    int chip_fd, out_fd, in_fd;
    int slot[LINUX_KIO_LINES]; /**< index in its request, -1 not fitted */
    uint64_t out_bits;         /**< logical output values */
    uint16_t duty;             /**< last applied, 0xFFFF before the first */
    bool have_sample, adc_failed;
    struct hal_pilot_sample sample;
    int phase;                 /**< sampling state machine */
    uint32_t due_ms;
    struct linux_kio_counters cnt;
};

/** @brief Defaults: /sys, /dev, pwmchip0/0 at 1 kHz, iio:device0 channels 0/1, no PP,
 *         x1 scaling, gpiochip0, no lines. */
void linux_kio_default_config(struct linux_kio_config *cfg);

/**
 * @brief Set one setting from text, as the configuration file and board-ctl name them:
 *        sys_root, dev_root, gpio_chip (paths, names); pwm "CHIP:CH[:inv]" (:inv: polarity
 *        inversed); pwm_inverted "true"/"false"; iio "DEV:POS[,NEG[,PP]]"; cp_scale
 *        "MUL/DIV/OFFSET_MV" (pilot mV = ADC mV * MUL / DIV + OFFSET); pp_divider
 *        "PULLUP_OHM/VREF_MV"; line.FUNC "NAME[:low]" with FUNC one of pos neg lock peak
 *        pos_fb neg_fb lock_fb estop; lines "FUNC=NAME[:low],..." (several line.FUNC).
 * @retval HAL_OK  @retval HAL_ENOENT no such setting  @retval HAL_EINVAL a bad value
 *         (@p why says what was expected)
 */
int linux_kio_set(struct linux_kio_config *cfg, const char *name, const char *value, char *why, size_t why_len);

/** @brief The kernel's own GPIO syscalls. */
void linux_kio_real_ops(struct linux_kio_gpio_ops *ops);

/**
 * @brief Export and set up the PWM (disabled until the first duty), check the IIO
 *        channels, find the GPIO lines by name and request them (outputs inactive).
 * @param why a reason on failure ("sysfs: /sys/class/pwm/pwmchip0/export: ...")
 * @retval HAL_OK
 * @retval HAL_ENOENT a file, chip or line named in @p cfg does not exist
 * @retval HAL_EBUSY a line is held by another consumer
 * @retval HAL_EIO any other failure
 */
int linux_kio_open(struct linux_kio *k, const struct linux_kio_config *cfg, const struct linux_kio_gpio_ops *ops,
                   uint32_t now_ms, char *why, size_t why_len);

/** @brief Sampling: call every few ms. */
void linux_kio_step(struct linux_kio *k, uint32_t now_ms);

/** @brief Outputs inactive, PWM disabled, lines released. */
void linux_kio_close(struct linux_kio *k);

#endif /* LINUX_KIO_H */
