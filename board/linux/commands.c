/* commands.c - the Linux board's runtime commands (the text of `charger --ctl SOCKET
 * COMMAND`): parses one line and carries it out through the station API, which owns every
 * rule about what is allowed when. Owns only the limits the commands set (the station keeps
 * no getter for them). */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_err.h"

/* Connector 1 of the station (the board has one). */
#define BOARD_CONN 0u

#define BOARD_CMD_WORDS 4

void board_commands_init(struct board_commands *b, struct station *st, const struct charger *conn,
                         uint32_t station_ma, uint32_t station_w)
{
    b->st = st;
    b->conn = conn;
    b->station_ma = station_ma != 0 ? station_ma : STATION_NO_LIMIT;
    b->station_w = station_w != 0 ? station_w : STATION_NO_LIMIT;
    b->conn_w = STATION_NO_LIMIT;
}

const char *board_commands_reason(int hal_rc)
{
    switch (hal_rc) {
    case HAL_ESTATE:
        return "not in this state";
    case HAL_ENOTSUP:
        return "not supported by the protocol";
    case HAL_EINVAL:
        return "bad argument";
    default:
        return hal_strerror(hal_rc);
    }
}

/* A station command's result as the reply: "ok WHAT" or "refused: REASON". */
static int board_commands_result(int rc, const char *what, char *reply, size_t cap)
{
    if (rc == HAL_OK) {
        snprintf(reply, cap, "ok %s", what);
        return 0;
    }
    snprintf(reply, cap, "refused: %s", board_commands_reason(rc));
    return 1;
}

static int board_commands_bad(const char *why, char *reply, size_t cap)
{
    snprintf(reply, cap, "refused: bad argument: %s", why);
    return 1;
}

/* "none" or a whole number of watts 0..4000000000 (0 gives nothing: SuspendedEVSE). */
static int board_commands_watts(const char *s, uint32_t *w)
{
    if (strcmp(s, "none") == 0) {
        *w = STATION_NO_LIMIT;
        return 0;
    }
    if (*s < '0' || *s > '9' || strlen(s) > 10) {
        return -1;
    }
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v > 4000000000ull) {
        return -1;
    }
    *w = (uint32_t)v;
    return 0;
}

static int board_commands_status(struct board_commands *b, char *reply, size_t cap)
{
    const char *held = charger_held_fault(b->conn);
    /* the fields of before first: scripts that read them keep working */
    snprintf(reply, cap, "ok state=%s held=%s status=%s", charger_state_name(charger_state(b->conn)),
             held != NULL ? held : "none", station_status_name(station_status(b->st, BOARD_CONN)));
    return 0;
}

static int board_commands_reset(struct board_commands *b, char *reply, size_t cap)
{
    const char *why = "";
    int rc = station_reset_fault(b->st, BOARD_CONN, &why);
    if (rc == HAL_OK) {
        /* the connector names why nothing was done ("nothing is held"); a reset says nothing */
        snprintf(reply, cap, "ok reset: %s", why != NULL && why[0] != '\0' ? "nothing to reset" : "done");
        return 0;
    }
    /* the connector's own reason says what keeps the fault (e-stop, contactor, voltage) */
    snprintf(reply, cap, "refused: %s", why != NULL && why[0] != '\0' ? why : board_commands_reason(rc));
    return 1;
}

static int board_commands_authorize(struct board_commands *b, char **w, int n, char *reply, size_t cap)
{
    static const struct {
        const char *name;
        enum station_token_source src;
    } sources[] = {{"local", STATION_TOKEN_LOCAL}, {"rfid", STATION_TOKEN_RFID}, {"backend", STATION_TOKEN_BACKEND}};
    if (n < 2 || n > 3) {
        return board_commands_bad("authorize TOKEN [local|rfid|backend]", reply, cap);
    }
    if (strlen(w[1]) >= STATION_TOKEN_MAX) {
        return board_commands_bad("the token is longer than 19 characters", reply, cap);
    }
    enum station_token_source src = STATION_TOKEN_LOCAL;
    if (n == 3) {
        size_t k = 0;
        while (k < sizeof sources / sizeof sources[0] && strcmp(w[2], sources[k].name) != 0) {
            k++;
        }
        if (k == sizeof sources / sizeof sources[0]) {
            return board_commands_bad("the source must be local, rfid or backend", reply, cap);
        }
        src = sources[k].src;
    }
    int rc = station_authorize(b->st, BOARD_CONN, w[1], src);
    char what[64];
    snprintf(what, sizeof what, "authorize: %s (%s)", w[1], station_token_source_name(src));
    return board_commands_result(rc, what, reply, cap);
}

static int board_commands_limit(struct board_commands *b, char **w, int n, char *reply, size_t cap)
{
    bool station = strcmp(w[0], "limit") == 0;
    uint32_t watts = 0;
    if (n != 2 || board_commands_watts(w[1], &watts) != 0) {
        return board_commands_bad(station ? "limit W (0..4000000000, or none)"
                                          : "limit-connector W (0..4000000000, or none)",
                                  reply, cap);
    }
    int rc = station ? station_set_limit(b->st, STATION_ALL, b->station_ma, watts)
                     : station_set_limit(b->st, BOARD_CONN, STATION_NO_LIMIT, watts);
    if (rc == HAL_OK) {
        if (station) {
            b->station_w = watts;
        } else {
            b->conn_w = watts;
        }
    }
    char what[64];
    if (watts == STATION_NO_LIMIT) {
        snprintf(what, sizeof what, "%s: none", w[0]);
    } else {
        snprintf(what, sizeof what, "%s: %lu W", w[0], (unsigned long)watts);
    }
    return board_commands_result(rc, what, reply, cap);
}

int board_commands_execute(struct board_commands *b, const char *line, char *reply, size_t cap)
{
    char buf[96];
    char *w[BOARD_CMD_WORDS + 1];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *p = strtok(buf, " \t"); p != NULL; p = strtok(NULL, " \t")) {
        if (n == BOARD_CMD_WORDS) {
            return board_commands_bad("too many words", reply, cap);
        }
        w[n++] = p;
    }
    if (n == 0) {
        snprintf(reply, cap, "error: empty command");
        return 2;
    }
    const char *c = w[0];
    bool bare = n == 1;
    if (strcmp(c, "status") == 0 && bare) {
        return board_commands_status(b, reply, cap);
    }
    if (strcmp(c, "reset") == 0 && bare) {
        return board_commands_reset(b, reply, cap);
    }
    if (strcmp(c, "authorize") == 0) {
        return board_commands_authorize(b, w, n, reply, cap);
    }
    if (strcmp(c, "stop") == 0 && bare) {
        return board_commands_result(station_remote_stop(b->st, BOARD_CONN), "stop: requested", reply, cap);
    }
    if (strcmp(c, "unlock") == 0 && bare) {
        return board_commands_result(station_unlock(b->st, BOARD_CONN), "unlock", reply, cap);
    }
    if (strcmp(c, "available") == 0 && bare) {
        return board_commands_result(station_set_availability(b->st, STATION_ALL, STATION_OPERATIVE, false),
                                     "available", reply, cap);
    }
    if (strcmp(c, "unavailable") == 0) {
        bool after = n == 2 && strcmp(w[1], "after-session") == 0;
        if (n > 2 || (n == 2 && !after)) {
            return board_commands_bad("unavailable [after-session]", reply, cap);
        }
        return board_commands_result(
            station_set_availability(b->st, STATION_ALL, STATION_INOPERATIVE, after),
            after ? "unavailable: after the session" : "unavailable", reply, cap);
    }
    if (strcmp(c, "limit") == 0 || strcmp(c, "limit-connector") == 0) {
        return board_commands_limit(b, w, n, reply, cap);
    }
    if (strcmp(c, "status") == 0 || strcmp(c, "reset") == 0 || strcmp(c, "stop") == 0 ||
        strcmp(c, "unlock") == 0 || strcmp(c, "available") == 0) {
        return board_commands_bad("this command takes no argument", reply, cap);
    }
    snprintf(reply, cap, "error: unknown command (status, reset, authorize, stop, unlock, available, "
                         "unavailable, limit, limit-connector)");
    return 2;
}
