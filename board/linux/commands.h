/**
 * @file commands.h
 * @brief The Linux board's runtime commands, carried out through the station API
 *        (firmware/station.h): what `charger --ctl SOCKET COMMAND` sends. No I/O here
 *        (board_ctl.c owns the socket), so the commands are unit-tested on their own.
 *
 * Commands (connector 1, the board's only one; docs/linux-board.md):
 *   status                          ok state=STATE held=FAULT|none status=OCPP_STATUS
 *   reset                           operator reset of a held fault
 *   authorize TOKEN [local|rfid|backend]
 *   stop                            the running session stops (stop reason local)
 *   unlock
 *   available | unavailable [after-session]
 *   limit W | none                  the station's power limit
 *   limit-connector W | none        the connector's own power limit
 * Replies: "ok ...", "refused: REASON" (not in this state, not supported by the protocol,
 * bad argument: ...), "error: ..." for what is not a command.
 */
#ifndef BOARD_COMMANDS_H
#define BOARD_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "station.h"

/** What the commands act on. Only commands.c touches the fields. */
struct board_commands {
    struct station *st;
    const struct charger *conn;  /**< connector 1, read for `status` only */
    uint32_t station_ma;         /**< the station's current limit (config), kept by `limit W` */
    uint32_t station_w;          /**< the station's power limit in force (STATION_NO_LIMIT: none) */
    uint32_t conn_w;             /**< connector 1's own power limit (STATION_NO_LIMIT: none) */
};

/**
 * @brief Act on @p st (connector 1 is @p conn); @p station_ma / @p station_w are the
 *        station's configured limits (0 = none), as given to station_init().
 */
void board_commands_init(struct board_commands *b, struct station *st, const struct charger *conn,
                         uint32_t station_ma, uint32_t station_w);

/**
 * @brief Carry out one command line.
 * @param[out] reply the answer, one line without the newline
 * @retval 0 ok
 * @retval 1 refused (the reason is in @p reply)
 * @retval 2 not a command
 */
int board_commands_execute(struct board_commands *b, const char *line, char *reply, size_t cap);

/** @brief The reason a station command gave (HAL code): "not in this state", ... */
const char *board_commands_reason(int hal_rc);

#endif /* BOARD_COMMANDS_H */
