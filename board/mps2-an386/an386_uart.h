/**
 * @file an386_uart.h
 * @brief hal_serial port on the CMSDK APB UART of the MPS2 AN386 image (and of QEMU's
 *        mps2-an386 machine): interrupt-driven, with a static receive ring filled by the RX
 *        interrupt and a static transmit ring drained by the TX interrupt, so no operation
 *        ever waits.
 *
 * The UART (Arm CMSDK APB UART, AN386 application note, QEMU hw/char/cmsdk-apb-uart.c) is
 * always 8N1, has a one-byte buffer each way and no flow control. Registers:
 *   0x00 DATA      read: the received byte (clears RXFULL); write: send a byte
 *   0x04 STATE     bit0 TX full, bit1 RX full, bit2 TX overrun, bit3 RX overrun (W1C)
 *   0x08 CTRL      bit0 TX enable, bit1 RX enable, bit2 TX int, bit3 RX int,
 *                  bit4 TX overrun int, bit5 RX overrun int
 *   0x0C INTSTATUS bit0 TX, bit1 RX, bit2 TX overrun, bit3 RX overrun (write 1 to clear)
 *   0x10 BAUDDIV   PCLK / baud, at least 16
 * The AN386 has five: UART0..4 at 0x40004000, 0x40005000, 0x40006000, 0x40007000,
 * 0x40009000, RX interrupt 0, 2, 4, 18, 20 (TX: one more); PCLK 25 MHz.
 */
#ifndef AN386_UART_H
#define AN386_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_serial.h"

#define AN386_UART0_BASE 0x40004000u
#define AN386_UART1_BASE 0x40005000u
#define AN386_UART0_RX_IRQ 0u
#define AN386_UART1_RX_IRQ 2u
/** PCLK of the AN386 peripherals (and of QEMU's model): 25 MHz. */
#define AN386_UART_PCLK_HZ 25000000u

/* Register offsets and bits. */
#define AN386_UART_DATA 0x00u
#define AN386_UART_STATE 0x04u
#define AN386_UART_CTRL 0x08u
#define AN386_UART_INTSTATUS 0x0Cu
#define AN386_UART_BAUDDIV 0x10u
#define AN386_UART_STATE_TXFULL 0x01u
#define AN386_UART_STATE_RXFULL 0x02u
#define AN386_UART_STATE_TXOVR 0x04u
#define AN386_UART_STATE_RXOVR 0x08u
#define AN386_UART_CTRL_TXEN 0x01u
#define AN386_UART_CTRL_RXEN 0x02u
#define AN386_UART_CTRL_TXINT 0x04u
#define AN386_UART_CTRL_RXINT 0x08u
#define AN386_UART_INT_TX 0x01u
#define AN386_UART_INT_RX 0x02u

/** Ring sizes (powers of two). RX: 1 s of a Charge SOM host's traffic several times over;
 *  TX: a burst of event lines or a round of reports. */
#define AN386_UART_RX_RING 256u
#define AN386_UART_TX_RING 1024u

/** One UART. Fields after `base` belong to the driver. */
struct an386_uart {
    struct hal_serial base;       /**< first: the core sees only this */
    uintptr_t regs;               /**< register block address */
    uint32_t pclk_hz;
    volatile bool *wake;          /**< set by the RX interrupt (the clock's io_pending); may be NULL */
    uint32_t (*lock)(void);       /**< mask interrupts (NULL on the host test) */
    void (*unlock)(uint32_t prev);
    bool open;
    uint8_t rx[AN386_UART_RX_RING];
    volatile uint32_t rx_head;    /**< written by the RX interrupt */
    uint32_t rx_tail;             /**< written by the loop */
    uint8_t tx[AN386_UART_TX_RING];
    uint32_t tx_head;             /**< written by the loop */
    volatile uint32_t tx_tail;    /**< written by the TX pump (loop with interrupts masked, or TX interrupt) */
    volatile uint32_t rx_dropped; /**< bytes lost: ring full or the UART's own overrun */
    uint32_t tx_refused;          /**< writes refused for want of room */
};

/**
 * @brief Bind @p u to the UART at @p regs (closed until hal_serial_open).
 * @param wake flag the RX interrupt sets so the loop's idle ends (NULL: none)
 * @param lock,unlock interrupt mask around the loop's TX kick (an386_irq_save/restore);
 *        NULL when nothing can interrupt (the host test)
 */
void an386_uart_init(struct an386_uart *u, uintptr_t regs, uint32_t pclk_hz, volatile bool *wake,
                     uint32_t (*lock)(void), void (*unlock)(uint32_t));

/** @brief RX interrupt: move every byte the UART holds into the ring. */
void an386_uart_rx_isr(struct an386_uart *u);

/** @brief TX interrupt: refill the UART from the ring. */
void an386_uart_tx_isr(struct an386_uart *u);

#endif /* AN386_UART_H */
