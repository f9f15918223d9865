/**
 * @file fake_can.h
 * @brief Test fake of a CAN port: a journal of every frame sent (with the time the test
 *        set), a queue of frames to receive, and injectable results and states.
 */
#ifndef FAKE_CAN_H
#define FAKE_CAN_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_can.h"

#define FAKE_CAN_TX_MAX 512
#define FAKE_CAN_RX_MAX 256

struct fake_can {
    struct hal_can base; /**< must stay first */
    uint32_t now_ms;     /**< stamped on every sent frame; the test sets it */
    /* sent frames */
    struct hal_can_frame tx[FAKE_CAN_TX_MAX];
    uint32_t tx_ms[FAKE_CAN_TX_MAX];
    int ntx;      /**< frames in the journal (capped at FAKE_CAN_TX_MAX) */
    int tx_total; /**< frames sent, including those past the journal */
    /* frames waiting to be received */
    struct hal_can_frame rx[FAKE_CAN_RX_MAX];
    int rx_head, rx_count;
    /* injection */
    int send_rc;                /**< returned by send instead of queueing (HAL_OK = work) */
    int recv_rc;                /**< returned by recv when the queue is empty (HAL_EAGAIN) */
    bool bus_off;               /**< send and (empty) recv answer HAL_ECLOSED, state BUS_OFF */
    bool state_unsupported;     /**< get_state answers HAL_ENOTSUP (vcan) */
    bool iface_down;            /**< the interface is down: send and (empty) recv answer HAL_ECLOSED, state unchanged */
    bool restart_clears;        /**< restart() brings the bus back */
    int restarts;               /**< restart() calls */
    int opens;
    /* receive filters (hal_can_set_filters): applied when a frame arrives, as a kernel or a
     * controller does, so fake_can_push() drops what does not pass */
    struct hal_can_filter filters[HAL_CAN_MAX_FILTERS];
    size_t nfilters;
    int filtered; /**< frames pushed but dropped by the filters */
};

/** @brief Empty journal and queue, everything working. */
void fake_can_init(struct fake_can *c);

/** @brief A frame arrives: queued for recv if it passes the filters (else counted in
 *         `filtered`, still HAL_OK). @retval HAL_ENOMEM queue full */
int fake_can_push(struct fake_can *c, const struct hal_can_frame *f);

/** @brief Queue an extended frame with 8 data bytes. */
int fake_can_push_ext(struct fake_can *c, uint32_t id, const uint8_t data[8]);

/** @brief Forget the journal of sent frames. */
void fake_can_clear_tx(struct fake_can *c);

#endif /* FAKE_CAN_H */
