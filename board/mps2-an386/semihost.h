/**
 * @file semihost.h
 * @brief Raw Arm semihosting (`bkpt 0xab`) for the mps2-an386 board under QEMU.
 *
 * Semihosting only works with a debugger or an emulator attached: on a real
 * MCU running free, `bkpt` escalates to a HardFault. A port to real hardware
 * replaces these calls with a UART log sink and a reset (see docs/cortex-m.md).
 *
 * QEMU needs `-semihosting-config enable=on,target=native,chardev=ID` with a
 * stdio chardev so SYS_WRITE0 output reaches stdout (tools/cortexm-run).
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/** Semihosting operation numbers (Arm "Semihosting for AArch32 and AArch64"). */
enum semihost_op {
    SEMIHOST_SYS_WRITEC = 0x03,        /**< write one character */
    SEMIHOST_SYS_WRITE0 = 0x04,        /**< write a NUL-terminated string */
    SEMIHOST_SYS_CLOCK = 0x10,         /**< centiseconds since the program started */
    SEMIHOST_SYS_EXIT = 0x18,          /**< stop, with a reason code only */
    SEMIHOST_SYS_EXIT_EXTENDED = 0x20, /**< stop, with reason and exit code */
    SEMIHOST_SYS_ELAPSED = 0x30,       /**< 64-bit target tick count */
    SEMIHOST_SYS_TICKFREQ = 0x31,      /**< ticks per second of SYS_ELAPSED */
};

/**
 * @brief Issue one semihosting call.
 * @param op  an enum semihost_op value
 * @param arg the call's parameter (a pointer to a block, or a value)
 * @return the host's result in r0 (meaning depends on @p op)
 */
int32_t semihost_call(uint32_t op, const void *arg);

/** @brief Write a NUL-terminated string to the host console (stdout). */
void semihost_write0(const char *s);

/** @brief Write @p len bytes (embedded NULs are dropped) to the host console. */
void semihost_write(const char *buf, size_t len);

/** @brief Write @p v as unsigned decimal (no libc needed). */
void semihost_write_u32(uint32_t v);

/** @brief Write @p v as 0x%08x (no libc needed). */
void semihost_write_hex32(uint32_t v);

/**
 * @brief Centiseconds since the program started (host clock), or -1 when the
 * host does not provide it.
 */
int32_t semihost_clock_cs(void);

/**
 * @brief Stop the program; @p code becomes the exit status of qemu-system-arm.
 *
 * Uses SYS_EXIT_EXTENDED; where the host lacks it, falls back to SYS_EXIT with
 * "application exit" for 0 and "run-time error" (qemu exits with 1) otherwise.
 * Never returns.
 */
void semihost_exit(int code) __attribute__((noreturn));

#endif /* SEMIHOST_H */
