/**
 * @file hal_can.h
 * @brief Classic CAN controller contract (11- and 29-bit identifiers, up to 8 data bytes).
 *
 * A port embeds `struct hal_can` as the first member of its own instance struct and
 * fills in `ops`. All operations return at once.
 */
#ifndef HAL_CAN_H
#define HAL_CAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HAL_CAN_FLAG_EXT 0x01u /**< 29-bit identifier; the flag is never part of `id` */
#define HAL_CAN_FLAG_RTR 0x02u /**< remote transmission request */

#define HAL_CAN_STD_ID_MASK 0x7FFu
#define HAL_CAN_EXT_ID_MASK 0x1FFFFFFFu
#define HAL_CAN_MAX_DLC 8u

/** One classic CAN frame. `id` holds only the arbitration field. */
struct hal_can_frame {
    uint32_t id;      /**< 11 or 29 bit identifier, without any flag bits */
    uint8_t flags;    /**< HAL_CAN_FLAG_* */
    uint8_t dlc;      /**< 0..8 */
    uint8_t data[8];  /**< payload; bytes past dlc are zero on receive */
};

/** Most receive filters one port holds (a controller's filter banks; SocketCAN has more). */
#define HAL_CAN_MAX_FILTERS 16u

/**
 * One receive filter: a frame passes when `(frame.id & mask) == (id & mask)` and its
 * identifier format equals the filter's (HAL_CAN_FLAG_EXT set: 29-bit frames only; clear:
 * 11-bit frames only). mask 0 passes every frame of that format. RTR frames are not told
 * apart from data frames.
 */
struct hal_can_filter {
    uint32_t id;   /**< identifier bits to match, without flag bits */
    uint32_t mask; /**< which bits of `id` must match; within the format's id mask */
    uint8_t flags; /**< HAL_CAN_FLAG_EXT or 0; no other flag */
};

/** Controller state, as far as the controller can tell. */
enum hal_can_state {
    HAL_CAN_STATE_ACTIVE = 0, /**< error active: normal operation */
    HAL_CAN_STATE_WARNING,    /**< an error counter passed 96 */
    HAL_CAN_STATE_PASSIVE,    /**< an error counter passed 127 */
    HAL_CAN_STATE_BUS_OFF,    /**< transmit errors passed 255: the controller left the bus */
    HAL_CAN_STATE_STOPPED,    /**< the interface is down */
};

struct hal_can;

/** Operations of a CAN port. */
struct hal_can_ops {
    /** @see hal_can_open */
    int (*open)(struct hal_can *can, uint32_t bitrate);
    /** @see hal_can_send */
    int (*send)(struct hal_can *can, const struct hal_can_frame *frame);
    /** @see hal_can_recv */
    int (*recv)(struct hal_can *can, struct hal_can_frame *frame);
    /** @see hal_can_get_state */
    int (*get_state)(struct hal_can *can, enum hal_can_state *state);
    /** @see hal_can_restart */
    int (*restart)(struct hal_can *can);
    /** @see hal_can_close */
    void (*close)(struct hal_can *can);
    /** @see hal_can_set_filters (optional: NULL answers HAL_ENOTSUP) */
    int (*set_filters)(struct hal_can *can, const struct hal_can_filter *filters, size_t count);
};

/** A CAN instance. Ports extend it; the core only sees this part. */
struct hal_can {
    const struct hal_can_ops *ops;
};

/**
 * @brief Bring the controller onto the bus.
 * @param bitrate bits per second; 0 keeps whatever the interface is set to
 * @retval HAL_OK on the bus (a bit rate the interface cannot set, as on vcan, is not an error)
 * @retval HAL_ENOENT no such interface
 * @retval HAL_EINVAL bit rate not supported by the controller
 * @retval HAL_EIO the controller could not be started (on Linux also: no CAN in the kernel)
 *
 * Opening an open port closes it first and starts from scratch.
 */
static inline int hal_can_open(struct hal_can *can, uint32_t bitrate)
{
    return can->ops->open(can, bitrate);
}

/**
 * @brief Queue one frame for transmission.
 * @retval HAL_OK queued
 * @retval HAL_EINVAL dlc > 8, the id does not fit its 11/29-bit field, or unknown flag bits
 * @retval HAL_EAGAIN the transmit queue is full; try on a later pass
 * @retval HAL_ECLOSED the controller is bus-off or stopped
 * @retval HAL_EIO any other transmit failure
 */
static inline int hal_can_send(struct hal_can *can, const struct hal_can_frame *frame)
{
    return can->ops->send(can, frame);
}

/**
 * @brief Take one received frame, if any.
 * Frames received before a bus-off are still delivered; HAL_ECLOSED comes once they
 * have all been taken.
 * @retval HAL_OK a frame was copied to @p frame
 * @retval HAL_EAGAIN nothing received
 * @retval HAL_ECLOSED the controller is bus-off or stopped
 * @retval HAL_EIO receive failure
 */
static inline int hal_can_recv(struct hal_can *can, struct hal_can_frame *frame)
{
    return can->ops->recv(can, frame);
}

/**
 * @brief Read the controller's error state.
 * @retval HAL_OK @p state is valid (a closed port reports HAL_CAN_STATE_STOPPED)
 * @retval HAL_ENOTSUP the interface has no error state (vcan); treat as active
 * @retval HAL_EIO could not be read
 */
static inline int hal_can_get_state(struct hal_can *can, enum hal_can_state *state)
{
    return can->ops->get_state(can, state);
}

/**
 * @brief Restart a controller after bus-off.
 * @retval HAL_OK restart started (the state is read again later), or nothing to do
 *         because the controller is not bus-off or restarts by itself
 * @retval HAL_ENOTSUP the interface cannot be restarted this way (vcan); nothing was done
 * @retval HAL_EIO the restart request failed
 */
static inline int hal_can_restart(struct hal_can *can)
{
    return can->ops->restart(can);
}

/** @brief Leave the bus and release the port's resources. Safe to call twice. */
static inline void hal_can_close(struct hal_can *can)
{
    can->ops->close(can);
}

/**
 * @brief Receive only frames that pass at least one of @p count filters, so several
 *        drivers can share one bus without each seeing the others' traffic (the board
 *        gives the union of their identifier ranges). count 0 receives everything again.
 *
 * The list is kept by the port: it applies at once when the port is open and again on
 * every later hal_can_open(). Frames already received stay queued. Error handling and
 * bus-off reporting are not affected. A port whose controller has fewer filter banks
 * may filter in software with hal_can_filter_match().
 * @retval HAL_OK in effect
 * @retval HAL_EINVAL count > HAL_CAN_MAX_FILTERS, filters NULL with count > 0, an id or a
 *         mask beyond its format's range, or a flag other than HAL_CAN_FLAG_EXT
 * @retval HAL_ENOTSUP the port cannot filter (then every frame is received)
 * @retval HAL_EIO the controller refused the list
 */
static inline int hal_can_set_filters(struct hal_can *can, const struct hal_can_filter *filters,
                                      size_t count)
{
    if (can->ops->set_filters == NULL) {
        return HAL_ENOTSUP;
    }
    return can->ops->set_filters(can, filters, count);
}

/** @brief Check a filter list as hal_can_set_filters() does. @retval HAL_OK @retval HAL_EINVAL */
int hal_can_filters_check(const struct hal_can_filter *filters, size_t count);

/** @brief Whether @p frame passes the list (count 0 passes everything). */
bool hal_can_filter_match(const struct hal_can_filter *filters, size_t count,
                          const struct hal_can_frame *frame);

#endif /* HAL_CAN_H */
