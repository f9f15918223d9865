/*
 * hal_can.c - the receive-filter rules of the CAN contract (hal_can.h), once for every
 * port: the check of a filter list and the match of one frame against it, for ports
 * that filter in software and for the fake.
 */
#include "hal_can.h"

int hal_can_filters_check(const struct hal_can_filter *filters, size_t count)
{
    if (count > HAL_CAN_MAX_FILTERS || (count > 0u && filters == NULL)) {
        return HAL_EINVAL;
    }
    for (size_t i = 0; i < count; i++) {
        const struct hal_can_filter *f = &filters[i];
        uint32_t range = (f->flags & HAL_CAN_FLAG_EXT) != 0u ? HAL_CAN_EXT_ID_MASK : HAL_CAN_STD_ID_MASK;
        if ((f->flags & (uint8_t)~HAL_CAN_FLAG_EXT) != 0u || (f->id & ~range) != 0u ||
            (f->mask & ~range) != 0u) {
            return HAL_EINVAL;
        }
    }
    return HAL_OK;
}

bool hal_can_filter_match(const struct hal_can_filter *filters, size_t count,
                          const struct hal_can_frame *frame)
{
    if (count == 0u) {
        return true;
    }
    uint8_t fmt = frame->flags & HAL_CAN_FLAG_EXT;
    for (size_t i = 0; i < count; i++) {
        const struct hal_can_filter *f = &filters[i];
        if ((f->flags & HAL_CAN_FLAG_EXT) == fmt && (frame->id & f->mask) == (f->id & f->mask)) {
            return true;
        }
    }
    return false;
}
