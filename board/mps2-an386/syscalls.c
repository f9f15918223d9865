/*
 * syscalls.c - the few newlib(-nano) system hooks this board needs, instead of
 * librdimon/libnosys.
 *
 * The core uses memcpy/memset/str* and vsnprintf (hal_log.c) from the C
 * library, which need none of these. They are here for the unit-test images
 * (vsnprintf in the cmocka shim, assert()) and so that a stray printf links and
 * prints rather than failing the build in an obscure way.
 *
 * The names are fixed by newlib, hence the leading underscores (DESIGN.md 9
 * allows no other exception).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "semihost.h"

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _lseek(int fd, int offset, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
void *_sbrk(ptrdiff_t incr);
void _exit(int code) __attribute__((noreturn));
int _kill(int pid, int sig);
int _getpid(void);
void __assert_func(const char *file, int line, const char *func, const char *expr)
    __attribute__((noreturn));

int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    if (len > 0) {
        semihost_write(buf, (size_t)len);
    }
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return 0; /* end of file: the board has no console input */
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR; /* a terminal: stdio buffers by line, or not at all */
    return 0;
}

int _isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

/* Heap bounds from the linker script: empty for the firmware (DESIGN.md 5: the
 * core never allocates), so every malloc fails there and newlib's stdio falls
 * back to unbuffered output. Test images may reserve one for test code. */
extern char an386_heap_start[];
extern char an386_heap_end[];
static char *s_heap_brk;

void *_sbrk(ptrdiff_t incr)
{
    char *brk = s_heap_brk != NULL ? s_heap_brk : an386_heap_start;

    if (incr < 0 ? (an386_heap_start - brk) > incr : (an386_heap_end - brk) < incr) {
        errno = ENOMEM;
        return (void *)-1;
    }
    s_heap_brk = brk + incr;
    return brk;
}

void _exit(int code)
{
    semihost_exit(code);
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}

/* assert() failure: report without stdio (newlib's version would pull fiprintf)
 * and exit like abort() on a host (134 = 128 + SIGABRT). */
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
    semihost_write0("assertion failed: ");
    semihost_write0(expr != NULL ? expr : "?");
    semihost_write0(" at ");
    semihost_write0(file != NULL ? file : "?");
    semihost_write0(":");
    semihost_write_u32((uint32_t)line);
    if (func != NULL) {
        semihost_write0(" in ");
        semihost_write0(func);
    }
    semihost_write0("\n");
    semihost_exit(134);
}
