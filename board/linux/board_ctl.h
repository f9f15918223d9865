/**
 * @file board_ctl.h
 * @brief The Linux board's runtime commands: a Unix-domain stream socket (`charger
 *        --ctl PATH`) that takes one text command per connection and answers one line,
 *        and the client side (`charger --ctl PATH COMMAND`). docs/linux-board.md.
 *
 * Commands:
 *   status   "ok state=STATE held=FAULT|none"
 *   reset    the operator reset of a held fault (charger_reset()): "ok reset: done",
 *            "ok reset: nothing to reset", "refused: energised: ...", "refused: REASON"
 *   limit W  the station's external power limit in whole watts (charger_set_power_limit()),
 *            "limit none" removes it: "ok limit: W W", "ok limit: none"; an ISO-2 session
 *            is asked to renegotiate when the limit falls below its offered schedule
 * Anything else: "error: ...". The socket is created with mode 0600 (the operator's
 * account only); a stale socket of a dead charger is replaced, a live one is not.
 */
#ifndef BOARD_CTL_H
#define BOARD_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "charger.h"
#include "linux_loop.h"
#include "sched.h"

/** Longest command line accepted (the rest of a longer one is an error). */
#define BOARD_CTL_LINE_MAX 64u
/** Longest answer. */
#define BOARD_CTL_REPLY_MAX 160u
/** A client that connects must send its line within this. */
#define BOARD_CTL_CLIENT_MS 1000u

/** The control socket of one charger. Only board_ctl.c touches the fields. */
struct board_ctl {
    int listen_fd;               /**< -1: closed */
    int client_fd;               /**< the connection being served, -1: none */
    uint32_t client_deadline_ms;
    char line[BOARD_CTL_LINE_MAX];
    size_t len;
    char path[108];              /**< sun_path */
    struct linux_loop *loop;
    struct charger *charger;
    struct hal_log *log;
    struct sched_task task;
};

/**
 * @brief Create the socket at @p path and add its task to @p s.
 * @param err where a failure is explained ("charger: --ctl PATH: why")
 * @retval 0 listening
 * @retval -1 not (path too long, exists and is not a socket, another charger listens
 *         there, cannot bind)
 */
int board_ctl_open(struct board_ctl *c, const char *path, struct linux_loop *loop,
                   struct charger *charger, struct hal_log *log, struct sched *s, uint32_t now_ms,
                   FILE *err);

/** @brief Close the socket and remove its file. */
void board_ctl_close(struct board_ctl *c);

/**
 * @brief Carry out one command line against @p charger.
 * @param[out] reply the answer, one line without the newline
 * @retval 0 ok
 * @retval 1 refused (the reason is in @p reply)
 * @retval 2 not a command
 */
int board_ctl_execute(struct charger *charger, uint32_t now_ms, const char *line, char *reply,
                      size_t cap);

/**
 * @brief The client: send @p command to the charger listening at @p path and print its
 *        answer to @p out.
 * @return the exit status: 0 ok, 1 refused, 2 not a command, 3 no charger answers there
 */
int board_ctl_request(const char *path, const char *command, FILE *out, FILE *err);

#endif /* BOARD_CTL_H */
