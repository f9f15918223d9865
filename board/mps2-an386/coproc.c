/*
 * coproc.c - the mps2-an386 board as a chargebyte Charge SOM safety co-processor (the
 * `board-coproc` image, build/mps2-an386/coproc.elf): the core's superloop runs the
 * controller's own rules (protocols/chargesom/cbsom_device.c) over UART0, where a Linux
 * board's charger (board.io = chargesom) is the host. It keeps the interlock on its own:
 * contactors close only while the host asks, CP is C or D and no e-stop is tripped, and
 * they open, with the safe state (CP F, reason 2), when the host's cyclic ChargeControl1
 * stops for 300 ms (spec linux-board-io.md §3.5, §3.12, §8.3).
 *
 * The MPS2 has no pilot front end or contactor outputs, so the plant (the car's CP state,
 * its diode, the e-stop inputs) is a model driven by text commands on UART1, the same verbs
 * as tools/cbsomsim (protocols/chargesom/cbsom_plant.c: car A..D, diode, estop, reboot,
 * reset, garbage, status, quit). UART1 also carries the event lines, each stamped with the
 * image's own millisecond tick: "coproc 12345: contactor 1 open (cp F)". On a real MCU the
 * model is replaced by the measured CP plateaus and the e-stop inputs, and the contactor
 * outputs follow d->closed[]; see docs/cortex-m.md.
 *
 * Semihosting prints one start line; `quit` on UART1 ends the image with exit status 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "an386_cpu.h"
#include "an386_hal.h"
#include "an386_irq.h"
#include "an386_uart.h"
#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_plant.h"
#include "sched.h"
#include "semihost.h"
#include "superloop.h"

#define COPROC_BAUD 115200u  /* the Charge SOM's line (spec §3.1); QEMU's pty ignores it */
#define COPROC_LINE_MAX 96u   /* longest command line */

static struct an386_clock s_clock;
static struct an386_uart s_host; /* UART0: the Charge SOM protocol to the Linux board */
static struct an386_uart s_ctl;  /* UART1: plant commands in, event lines out */
static struct cbsom_device s_dev;
static struct cbsom_watch s_watch;
static struct sched s_sched;
static struct sched_task s_task;
static char s_line[COPROC_LINE_MAX];
static size_t s_line_len;
static bool s_line_long;     /* the line being received is over COPROC_LINE_MAX: dropped */
static uint32_t s_noise_left; /* bytes of a `garbage` command still to send */
static uint32_t s_noise_seed = 0x2545F491u;
static uint32_t s_events_lost; /* event bytes that did not fit UART1's ring */
static bool s_quit;
static uint32_t s_now; /* the tick of the pass: every event line of one pass carries it */

static void coproc_host_rx(void)
{
    an386_uart_rx_isr(&s_host);
}
static void coproc_host_tx(void)
{
    an386_uart_tx_isr(&s_host);
}
static void coproc_ctl_rx(void)
{
    an386_uart_rx_isr(&s_ctl);
}
static void coproc_ctl_tx(void)
{
    an386_uart_tx_isr(&s_ctl);
}

/* One event line on UART1 with the tick of the pass it happened in. A line that does not fit the ring
 * is counted, not waited for: the controller never stalls on its reporting. */
static void coproc_emit(void *ctx, const char *line)
{
    (void)ctx;
    char out[CBSOM_PLANT_LINE_MAX + 24];
    int n = snprintf(out, sizeof out, "coproc %lu: %s\n", (unsigned long)s_now, line);
    if (n <= 0) {
        return;
    }
    size_t len = (size_t)n < sizeof out ? (size_t)n : sizeof out - 1u;
    size_t w = 0;
    if (hal_serial_write(&s_ctl.base, (const uint8_t *)out, len, &w) != HAL_OK || w != len) {
        s_events_lost += (uint32_t)(len - w);
    }
}

static void coproc_command(const char *line, uint32_t now)
{
    struct cbsom_plant_cmd c;
    switch (cbsom_plant_command(&s_dev, line, now, &c)) {
    case CBSOM_PLANT_EMPTY:
        return;
    case CBSOM_PLANT_GARBAGE:
        s_noise_left += c.garbage;
        (void)snprintf(c.reply, sizeof c.reply, "sending %lu bytes of noise", (unsigned long)c.garbage);
        break;
    case CBSOM_PLANT_QUIT:
        s_quit = true;
        (void)snprintf(c.reply, sizeof c.reply, "quit");
        break;
    case CBSOM_PLANT_DONE:
    case CBSOM_PLANT_BAD:
        break;
    }
    if (c.reply[0] != '\0') {
        coproc_emit(NULL, c.reply);
    }
    (void)cbsom_watch_poll(&s_watch, &s_dev, c.why, coproc_emit, NULL);
}

static void coproc_read_commands(uint32_t now)
{
    uint8_t buf[32];
    size_t n = 0;
    while (hal_serial_read(&s_ctl.base, buf, sizeof buf, &n) == HAL_OK) {
        for (size_t i = 0; i < n; i++) {
            char ch = (char)buf[i];
            if (ch == '\n' || ch == '\r') {
                s_line[s_line_len] = '\0';
                if (s_line_long) {
                    coproc_emit(NULL, "command line too long: dropped");
                } else {
                    coproc_command(s_line, now);
                }
                s_line_len = 0;
                s_line_long = false;
            } else if (s_line_len + 1u < sizeof s_line) {
                s_line[s_line_len++] = ch;
            } else {
                s_line_long = true;
            }
        }
    }
}

/* `garbage N`: noise on the host line, as much as the transmit ring takes per pass. */
static void coproc_send_noise(void)
{
    while (s_noise_left > 0u) {
        uint8_t junk[32];
        size_t len = s_noise_left < sizeof junk ? s_noise_left : sizeof junk;
        for (size_t k = 0; k < len; k++) {
            s_noise_seed ^= s_noise_seed << 13;
            s_noise_seed ^= s_noise_seed >> 17;
            s_noise_seed ^= s_noise_seed << 5;
            junk[k] = (uint8_t)s_noise_seed;
        }
        size_t w = 0;
        if (hal_serial_write(&s_host.base, junk, len, &w) != HAL_OK || w == 0u) {
            return;
        }
        s_noise_left -= (uint32_t)w;
    }
}

/* The controller's pass, every millisecond and whenever a UART received something. */
static void coproc_step(struct sched_task *t, uint32_t now)
{
    s_now = now;
    coproc_read_commands(now);
    coproc_send_noise();
    cbsom_device_step(&s_dev, now);
    (void)cbsom_watch_poll(&s_watch, &s_dev, NULL, coproc_emit, NULL);
    sched_task_at(t, now + 1u);
}

static bool coproc_should_stop(void *ctx)
{
    (void)ctx;
    return s_quit;
}

static int coproc_open(struct an386_uart *u, uintptr_t regs, unsigned rx_irq, void (*rx)(void), void (*tx)(void))
{
    struct hal_serial_config sc = {.baud = COPROC_BAUD};
    an386_uart_init(u, regs, AN386_UART_PCLK_HZ, &s_clock.io_pending, an386_irq_save, an386_irq_restore);
    int rc = hal_serial_open(&u->base, &sc);
    if (rc == HAL_OK && (an386_irq_attach(rx_irq, rx) != 0 || an386_irq_attach(rx_irq + 1u, tx) != 0)) {
        rc = HAL_EIO;
    }
    return rc;
}

int main(void)
{
    an386_irq_vectors_to_ram();
    if (an386_clock_init(&s_clock) != HAL_OK) {
        semihost_write0("coproc: SysTick cannot run at 1 kHz\n");
        return 1;
    }
    if (coproc_open(&s_host, AN386_UART0_BASE, AN386_UART0_RX_IRQ, coproc_host_rx, coproc_host_tx) != HAL_OK ||
        coproc_open(&s_ctl, AN386_UART1_BASE, AN386_UART1_RX_IRQ, coproc_ctl_rx, coproc_ctl_tx) != HAL_OK) {
        semihost_write0("coproc: UART0/UART1 do not open\n");
        return 1;
    }
    struct cbsom_device_config dc;
    cbsom_device_default_config(&dc);
    uint32_t now = an386_millis();
    if (cbsom_device_init(&s_dev, &dc, &s_host.base, now) != HAL_OK) {
        semihost_write0("coproc: controller does not start\n");
        return 1;
    }
    cbsom_watch_init(&s_watch, &s_dev);
    sched_init(&s_sched);
    sched_task_init(&s_task, "cbsom-device", coproc_step, NULL, true);
    (void)sched_add(&s_sched, &s_task, now);

    char banner[128];
    (void)snprintf(banner, sizeof banner,
                   "coproc: Charge SOM safety controller, firmware %u.%u.%u, host timeout %lu ms, "
                   "host on UART0, plant and events on UART1\n",
                   dc.version.major, dc.version.minor, dc.version.build, (unsigned long)dc.timeout_ms);
    semihost_write0(banner);
    s_now = now;
    coproc_emit(NULL, "ready");

    const struct superloop loop = {
        .sched = &s_sched,
        .clock = &s_clock.base,
        .kick = NULL, /* no watchdog driver yet (the CMSDK watchdog is at 0x40008000) */
        .should_stop = coproc_should_stop,
        .ctx = NULL,
    };
    (void)superloop_run(&loop);

    char summary[200];
    (void)snprintf(summary, sizeof summary,
                   "coproc: stopped at %lu ms: %lu control, %lu inquiries, %lu other frames; %lu bad CRC, "
                   "%lu bad frames; %lu sent, %lu lost; %lu safe-state entries; %lu bytes dropped on UART0, "
                   "%lu event bytes lost\n",
                   (unsigned long)an386_millis(), (unsigned long)s_dev.rx_cc, (unsigned long)s_dev.rx_inquiry,
                   (unsigned long)s_dev.rx_other, (unsigned long)s_dev.parser.bad_crc,
                   (unsigned long)s_dev.parser.bad_frame, (unsigned long)s_dev.tx_frames,
                   (unsigned long)s_dev.tx_lost, (unsigned long)s_dev.safe_entries, (unsigned long)s_host.rx_dropped,
                   (unsigned long)s_events_lost);
    semihost_write0(summary);
    an386_report_stack();
    return 0;
}
