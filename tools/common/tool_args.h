/**
 * @file tool_args.h
 * @brief Command-line arguments of the host tools, checked the same way in every tool:
 *        numbers in range, ports 1..65535, [HOST:]PORT with host names resolved up front
 *        (so "unknown host" is never reported as "no answer"), and files or devices that
 *        must exist named as "not found". Host tools only. Each function prints its own
 *        message on stderr, prefixed "WHO: ", and returns -1 on a bad argument.
 */
#ifndef TOOL_ARGS_H
#define TOOL_ARGS_H

#include <stddef.h>

/** Longest host tool_host_port() accepts and writes, with its terminating zero. */
#define TOOL_HOST_MAX 128

/**
 * @brief A whole number in @p lo .. @p hi (decimal, or 0x hex).
 * @return 0, or -1 after "WHO: OPT needs a whole number in LO..HI, got 'ARG'"
 */
int tool_number(const char *who, const char *opt, const char *arg, long lo, long hi, long *out);

/**
 * @brief "PORT", "HOST:PORT", "[IPV6]:PORT" or, when @p default_port > 0, "HOST".
 *
 * The port is checked to be 1..65535 and the host (default @p default_host when the
 * argument is a port alone) is resolved with getaddrinfo() once, so a name that does not
 * resolve is reported as such before anything connects; @p addr receives the host
 * without brackets.
 * @return 0, or -1 after a message that says which part is wrong ("unknown host" for a
 *         name that does not resolve)
 */
int tool_host_port(const char *who, const char *opt, const char *arg, const char *default_host, int default_port,
                   char addr[TOOL_HOST_MAX], int *port);

/**
 * @brief A file or device that must exist before it is opened (a read never creates it).
 * @return 0, or -1 after "WHO: WHAT PATH: not found" (or the system's reason)
 */
int tool_must_exist(const char *who, const char *what, const char *path);

/**
 * @brief A directory that must exist and be a directory (read commands never create one).
 * @return 0, or -1 after "WHO: WHAT PATH: not found" / "is not a directory"
 */
int tool_dir_must_exist(const char *who, const char *what, const char *path);

#endif /* TOOL_ARGS_H */
