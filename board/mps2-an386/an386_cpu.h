/**
 * @file an386_cpu.h
 * @brief Cortex-M4 core services of the mps2-an386 board: SysTick millisecond
 * counter, idle, interrupt lock, stack high-water mark.
 *
 * Everything here uses only core (SCB/SysTick/MPU) registers, which are the same on
 * every Cortex-M3/M4/M7, so a port to a real MCU can keep this file and change
 * only AN386_CORE_HZ.
 */
#ifndef AN386_CPU_H
#define AN386_CPU_H

#include <stdint.h>

/** Core clock of the AN386 FPGA image (and of QEMU's model): 25 MHz. */
#define AN386_CORE_HZ 25000000u

/** SysTick rate: one tick per millisecond. */
#define AN386_TICK_HZ 1000u

/**
 * @brief Start SysTick on the core clock, interrupting at AN386_TICK_HZ.
 * @param core_hz processor clock in Hz
 * @retval 0 started
 * @retval -1 the reload value does not fit SysTick's 24 bits
 */
int an386_systick_start(uint32_t core_hz);

/** @brief Milliseconds since an386_systick_start(); wraps after 49.7 days. */
uint32_t an386_millis(void);

/** @brief Sleep until the next interrupt (at the latest the next SysTick). */
void an386_idle(void);

/** @brief Mask interrupts; returns the previous PRIMASK for an386_irq_restore(). */
uint32_t an386_irq_save(void);

/** @brief Restore the PRIMASK returned by an386_irq_save(). */
void an386_irq_restore(uint32_t primask);

/**
 * @brief Deepest main-stack use since reset, in bytes.
 *
 * Reset_Handler paints the stack with a pattern; this scans for the lowest
 * overwritten word. The figure is a lower bound of the true worst case (only
 * the paths that ran are measured).
 */
uint32_t an386_stack_used(void);

/** @brief Size of the main stack (linker symbol an386_stack_size), in bytes. */
uint32_t an386_stack_capacity(void);

/** @brief Print "stack: N B used of M B" through semihosting. */
void an386_report_stack(void);

#endif /* AN386_CPU_H */
