/* an386_irq.c - the RAM vector table and NVIC enables of the mps2-an386 board
 * (an386_irq.h). Owns the RAM copy of the table. */
#include "an386_irq.h"

#include <stdbool.h>
#include <stdint.h>

#define AN386_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define AN386_SCB_VTOR AN386_REG(0xE000ED08u)
#define AN386_NVIC_ISER0 AN386_REG(0xE000E100u)
#define AN386_NVIC_ICPR0 AN386_REG(0xE000E280u)

#define AN386_IRQS 32u /* as startup.c's table */
#define AN386_VECTORS (16u + AN386_IRQS)

/* VTOR wants the table aligned to its size rounded up to a power of two: 48 words -> 256 B. */
static uint32_t s_ram_vectors[AN386_VECTORS] __attribute__((aligned(256)));
static bool s_in_ram;

void an386_irq_vectors_to_ram(void)
{
    const volatile uint32_t *src = (const volatile uint32_t *)(uintptr_t)AN386_SCB_VTOR;
    for (unsigned i = 0; i < AN386_VECTORS; i++) {
        s_ram_vectors[i] = src[i];
    }
    __asm__ volatile("dsb" ::: "memory");
    AN386_SCB_VTOR = (uint32_t)(uintptr_t)s_ram_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    s_in_ram = true;
}

int an386_irq_attach(unsigned irq, void (*handler)(void))
{
    if (irq >= AN386_IRQS || !s_in_ram || handler == 0) {
        return -1;
    }
    s_ram_vectors[16u + irq] = (uint32_t)(uintptr_t)handler;
    __asm__ volatile("dsb" ::: "memory");
    AN386_NVIC_ICPR0 = 1u << irq;
    AN386_NVIC_ISER0 = 1u << irq;
    return 0;
}
