#include "semihost.h"

/* ADP_Stopped_* reason codes of SYS_EXIT / SYS_EXIT_EXTENDED. */
#define SEMIHOST_ADP_APPLICATION_EXIT 0x20026u
#define SEMIHOST_ADP_RUNTIME_ERROR 0x20023u

int32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads and may write the block behind r1. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

void semihost_write0(const char *s)
{
    (void)semihost_call(SEMIHOST_SYS_WRITE0, s);
}

void semihost_write(const char *buf, size_t len)
{
    /* SYS_WRITE needs an open ":tt" handle; chunking through SYS_WRITE0 avoids
     * the extra state and costs one trap per 64 bytes instead of one per byte. */
    char chunk[65];
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\0') {
            chunk[n++] = buf[i];
        }
        if (n == sizeof chunk - 1u || (i + 1u == len && n > 0u)) {
            chunk[n] = '\0';
            semihost_write0(chunk);
            n = 0;
        }
    }
}

void semihost_write_u32(uint32_t v)
{
    char out[11];
    size_t i = sizeof out - 1u;

    out[i] = '\0';
    do {
        out[--i] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u);
    semihost_write0(&out[i]);
}

void semihost_write_hex32(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char out[11];

    out[0] = '0';
    out[1] = 'x';
    for (unsigned i = 0; i < 8u; i++) {
        out[2u + i] = digits[(v >> (28u - 4u * i)) & 0xFu];
    }
    out[10] = '\0';
    semihost_write0(out);
}

int32_t semihost_clock_cs(void)
{
    return semihost_call(SEMIHOST_SYS_CLOCK, 0);
}

void semihost_exit(int code)
{
    uint32_t block[2] = {SEMIHOST_ADP_APPLICATION_EXIT, (uint32_t)code};

    (void)semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    /* Still here: the host has no SYS_EXIT_EXTENDED. On AArch32, SYS_EXIT takes
     * the reason in r1 directly; keep failure distinguishable from success. */
    (void)semihost_call(SEMIHOST_SYS_EXIT,
                        (const void *)(uintptr_t)(code == 0 ? SEMIHOST_ADP_APPLICATION_EXIT
                                                            : SEMIHOST_ADP_RUNTIME_ERROR));
    for (;;) {
        __asm__ volatile("bkpt 0");
    }
}
