#include "an386_cpu.h"

#include "semihost.h"

#define AN386_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define AN386_SYST_CSR AN386_REG(0xE000E010u)
#define AN386_SYST_RVR AN386_REG(0xE000E014u)
#define AN386_SYST_CVR AN386_REG(0xE000E018u)
#define AN386_SHPR3 AN386_REG(0xE000ED20u)

#define AN386_STACK_PAINT 0xC5AC5AC5u
#define AN386_STACK_GUARD 32u

/* Linker symbols (linker/mps2-an386.ld); only their addresses are meaningful. */
extern uint32_t _sstack[];
extern uint32_t _estack[];
extern char an386_stack_size[];

/* Written by the SysTick interrupt, read by the loop: a single aligned word, so
 * reads are atomic on Cortex-M and no lock is needed. This is board state, not
 * core state; the core only ever sees the value passed down as now_ms. */
static volatile uint32_t s_an386_ms;

void SysTick_Handler(void);

void SysTick_Handler(void)
{
    s_an386_ms++;
}

int an386_systick_start(uint32_t core_hz)
{
    uint32_t reload = core_hz / AN386_TICK_HZ - 1u;

    if (reload == 0u || reload > 0x00FFFFFFu) {
        return -1;
    }
    /* SysTick gets the lowest priority so it never delays a peripheral IRQ. */
    AN386_SHPR3 = (AN386_SHPR3 & 0x00FFFFFFu) | 0xF0000000u;
    AN386_SYST_RVR = reload;
    AN386_SYST_CVR = 0u;
    AN386_SYST_CSR = 0x7u; /* CLKSOURCE = core clock, TICKINT, ENABLE */
    return 0;
}

uint32_t an386_millis(void)
{
    return s_an386_ms;
}

void an386_idle(void)
{
    /* A wake-up lost between the loop's last check and WFI costs at most one
     * tick (1 ms), because SysTick always ends the sleep. */
    __asm__ volatile("dsb\n\twfi" ::: "memory");
}

uint32_t an386_irq_save(void)
{
    uint32_t primask;

    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

void an386_irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

uint32_t an386_stack_capacity(void)
{
    return (uint32_t)(uintptr_t)an386_stack_size;
}

uint32_t an386_stack_used(void)
{
    /* The lowest 32 bytes are the MPU guard and never painted. */
    const uint32_t *p = _sstack + AN386_STACK_GUARD / sizeof(uint32_t);

    while (p < _estack && *p == AN386_STACK_PAINT) {
        p++;
    }
    return (uint32_t)((uintptr_t)_estack - (uintptr_t)p);
}

void an386_report_stack(void)
{
    semihost_write0("stack: ");
    semihost_write_u32(an386_stack_used());
    semihost_write0(" B used of ");
    semihost_write_u32(an386_stack_capacity());
    semihost_write0(" B\n");
}
