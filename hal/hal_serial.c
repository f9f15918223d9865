/*
 * hal_serial.c - the line-settings check of the serial contract (hal_serial.h), once for
 * every port and the fake.
 */
#include "hal_serial.h"

int hal_serial_config_check(const struct hal_serial_config *cfg)
{
    if (cfg == NULL || cfg->baud == 0u) {
        return HAL_EINVAL;
    }
    uint8_t data = cfg->data_bits == 0u ? 8u : cfg->data_bits;
    uint8_t stop = cfg->stop_bits == 0u ? 1u : cfg->stop_bits;
    if (data < 5u || data > 8u || stop > 2u) {
        return HAL_EINVAL;
    }
    switch (cfg->parity) {
    case HAL_SERIAL_PARITY_NONE:
    case HAL_SERIAL_PARITY_EVEN:
    case HAL_SERIAL_PARITY_ODD:
        return HAL_OK;
    }
    return HAL_EINVAL;
}
