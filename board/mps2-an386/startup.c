/*
 * startup.c - vector table, reset and fault handling for the mps2-an386 board
 * (Cortex-M4F). No CMSIS: the few core registers are named below.
 *
 * Must be compiled with -fno-tree-loop-distribute-patterns: otherwise GCC turns
 * the .data/.bss loops into memcpy/memset calls, which would run before .data
 * and .bss (and so the C library's own state) exist.
 *
 * Exit codes seen by the host (qemu-system-arm's exit status):
 *   main()'s return value, clamped to 0..255 (a non-zero multiple of 256 becomes 255)
 *   100 + exception number for a fault: 102 NMI, 103 HardFault, 104 MemManage
 *   (includes stack overflow into the MPU guard), 105 BusFault, 106 UsageFault,
 *   and 107 for any other exception without a handler (its number is printed).
 *   All stay clear of 124/137, which tools/cortexm-run uses for a timeout.
 */
#include <stdint.h>

#include "an386_cpu.h"
#include "semihost.h"

#define AN386_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define AN386_SCB_VTOR AN386_REG(0xE000ED08u)
#define AN386_SCB_CCR AN386_REG(0xE000ED14u)
#define AN386_SCB_SHCSR AN386_REG(0xE000ED24u)
#define AN386_SCB_CFSR AN386_REG(0xE000ED28u)
#define AN386_SCB_HFSR AN386_REG(0xE000ED2Cu)
#define AN386_SCB_MMFAR AN386_REG(0xE000ED34u)
#define AN386_SCB_BFAR AN386_REG(0xE000ED38u)
#define AN386_SCB_CPACR AN386_REG(0xE000ED88u)
#define AN386_MPU_CTRL AN386_REG(0xE000ED94u)
#define AN386_MPU_RNR AN386_REG(0xE000ED98u)
#define AN386_MPU_RBAR AN386_REG(0xE000ED9Cu)
#define AN386_MPU_RASR AN386_REG(0xE000EDA0u)

#define AN386_STACK_PAINT 0xC5AC5AC5u /* same as an386_cpu.c */
#define AN386_STACK_GUARD 32u         /* bytes of MPU guard at _sstack */
#define AN386_NUM_IRQS 32u            /* QEMU's mps2-an386 has 32 external IRQs */

/* Linker symbols (linker/mps2-an386.ld). */
extern uint32_t _sstack[], _estack[], _sidata[], _sdata[], _edata[], _sbss[], _ebss[];

int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SysTick_Handler(void); /* an386_cpu.c */
void an386_fault_entry(void);
void an386_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
    __attribute__((noreturn, used));

typedef void (*an386_vector)(void);

/* A table of function pointers plus the initial stack pointer, which is not a
 * function: the union keeps the types honest instead of casting it. */
union an386_vector_entry {
    uint32_t *sp;
    an386_vector handler;
};

__attribute__((section(".isr_vector"), used))
const union an386_vector_entry an386_vectors[16u + AN386_NUM_IRQS] = {
    [0] = {.sp = _estack},
    [1] = {.handler = Reset_Handler},
    [2] = {.handler = NMI_Handler},
    [3] = {.handler = HardFault_Handler},
    [4] = {.handler = MemManage_Handler},
    [5] = {.handler = BusFault_Handler},
    [6] = {.handler = UsageFault_Handler},
    /* 7..10 reserved (zero) */
    [11] = {.handler = Default_Handler}, /* SVCall */
    [12] = {.handler = Default_Handler}, /* DebugMonitor */
    /* 13 reserved */
    [14] = {.handler = Default_Handler}, /* PendSV */
    [15] = {.handler = SysTick_Handler},
    /* External interrupts of the AN386 image (QEMU hw/arm/mps2.c): 0..5 UART0..2
     * RX/TX, 6/7 GPIO0/1 combined, 8/9 Timer0/1, 10 dual timer, 11 SPI, 12 UART
     * overflow, 13 Ethernet, ... None is used yet; a driver that enables one
     * puts its handler here (no weak symbols, DESIGN.md 10). */
    [16 ... 16u + AN386_NUM_IRQS - 1u] = {.handler = Default_Handler},
};

static void an386_mpu_stack_guard(void)
{
    /* Region 0: the lowest 32 bytes of the stack, no access, never executable.
     * The rest of the map keeps the default attributes (PRIVDEFENA), so the
     * only effect is that a stack overflow ends in a MemManage fault. */
    AN386_MPU_RNR = 0u;
    AN386_MPU_RBAR = (uint32_t)(uintptr_t)_sstack; /* 32-byte aligned by the linker script */
    AN386_MPU_RASR = (1u << 28) /* XN */ | (0u << 24) /* AP: no access */ |
                     (4u << 1) /* SIZE: 2^(4+1) = 32 B */ | 1u /* ENABLE */;
    AN386_MPU_CTRL = (1u << 2) /* PRIVDEFENA */ | 1u /* ENABLE */;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

void Reset_Handler(void)
{
    /* The FPU first: with -mfloat-abi=hard any later code may use s-registers. */
    AN386_SCB_CPACR |= 0xFu << 20; /* CP10, CP11 full access */
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    AN386_SCB_VTOR = (uint32_t)(uintptr_t)an386_vectors;

    for (uint32_t *s = _sidata, *d = _sdata; d < _edata;) {
        *d++ = *s++;
    }
    for (uint32_t *d = _sbss; d < _ebss;) {
        *d++ = 0u;
    }

    /* Paint the unused stack for an386_stack_used(); stop well below the
     * current frame. */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = _sstack + AN386_STACK_GUARD / sizeof(uint32_t); p < sp - 16; p++) {
        *p = AN386_STACK_PAINT;
    }

    /* Separate MemManage/BusFault/UsageFault handlers give a precise report;
     * divide-by-zero traps instead of silently giving 0. */
    AN386_SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);
    AN386_SCB_CCR |= 1u << 4; /* DIV_0_TRP */
    an386_mpu_stack_guard();

    int rc = main();

    semihost_exit((rc < 0 || rc > 255) ? 255 : rc);
}

/*
 * All fault handlers take one path: note which exception (IPSR), find the
 * stacked frame, switch off the MPU and move SP back to the top of the stack
 * (the fault may be a stack overflow, so the current SP is unusable), then
 * report in C and exit. Naked, because no C prologue may touch the stack first.
 */
__attribute__((naked)) void an386_fault_entry(void)
{
    __asm__ volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov   r1, lr\n\t"
        "mrs   r2, ipsr\n\t"
        "movw  r3, #0xED94\n\t"
        "movt  r3, #0xE000\n\t"
        "movs  r12, #0\n\t"
        "str   r12, [r3]\n\t" /* MPU_CTRL = 0 */
        "dsb\n\t"
        "isb\n\t"
        "movw  r3, #:lower16:_estack\n\t"
        "movt  r3, #:upper16:_estack\n\t"
        "mov   sp, r3\n\t"
        "b     an386_fault_report\n\t");
}

__attribute__((naked)) void NMI_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}
__attribute__((naked)) void MemManage_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}
__attribute__((naked)) void BusFault_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}
__attribute__((naked)) void UsageFault_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}
__attribute__((naked)) void Default_Handler(void)
{
    __asm__ volatile("b an386_fault_entry");
}

static const char *an386_exception_name(uint32_t n)
{
    switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage fault (stack overflow into the guard, or MPU violation)";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return n >= 16u ? "IRQ without a handler" : "reserved exception";
    }
}

void an386_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
{
    uint32_t n = ipsr & 0x1FFu;

    semihost_write0("\n*** FAULT: ");
    semihost_write0(an386_exception_name(n));
    semihost_write0(" (exception ");
    semihost_write_u32(n);
    semihost_write0(")\n");

    /* Read the frame only if it lies inside the stack: after a stacking fault
     * it may not, and reading outside RAM would fault again. */
    if (frame >= _sstack && frame + 8 <= _estack) {
        semihost_write0("  pc=");
        semihost_write_hex32(frame[6]);
        semihost_write0(" lr=");
        semihost_write_hex32(frame[5]);
        semihost_write0(" xpsr=");
        semihost_write_hex32(frame[7]);
        semihost_write0(" r0=");
        semihost_write_hex32(frame[0]);
        semihost_write0("\n");
    } else {
        semihost_write0("  sp=");
        semihost_write_hex32((uint32_t)(uintptr_t)frame);
        semihost_write0(" outside the stack (overflow?)\n");
    }
    semihost_write0("  CFSR=");
    semihost_write_hex32(AN386_SCB_CFSR);
    semihost_write0(" HFSR=");
    semihost_write_hex32(AN386_SCB_HFSR);
    semihost_write0(" MMFAR=");
    semihost_write_hex32(AN386_SCB_MMFAR);
    semihost_write0(" BFAR=");
    semihost_write_hex32(AN386_SCB_BFAR);
    semihost_write0(" EXC_RETURN=");
    semihost_write_hex32(exc_return);
    semihost_write0("\n  (addr2line -e <elf> <pc> names the line)\n");

    semihost_exit((int)(100u + ((n >= 2u && n <= 6u) ? n : 7u)));
}
