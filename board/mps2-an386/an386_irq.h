/**
 * @file an386_irq.h
 * @brief Interrupt handlers installed at run time: the vector table copied to RAM and an
 *        external IRQ's handler set there and enabled in the NVIC.
 *
 * startup.c's table in flash sends every external IRQ to the reporting handler and names no
 * driver, so the default firmware image links no driver it does not use. An image with
 * drivers (the co-processor, coproc.c) moves the table to RAM once at start and attaches its
 * handlers; a real MCU port may instead list them in its flash table.
 */
#ifndef AN386_IRQ_H
#define AN386_IRQ_H

/** @brief Copy the active vector table to RAM and point VTOR at the copy. Call once, early. */
void an386_irq_vectors_to_ram(void);

/**
 * @brief Set external interrupt @p irq (0..31) to @p handler, clear it if pending and
 *        enable it in the NVIC.
 * @retval 0 done
 * @retval -1 @p irq out of range or the table is not in RAM yet
 */
int an386_irq_attach(unsigned irq, void (*handler)(void));

#endif /* AN386_IRQ_H */
