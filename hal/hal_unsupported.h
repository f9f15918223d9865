/**
 * @file hal_unsupported.h
 * @brief Ops tables for peripherals a board does not have (yet): every operation
 *        answers HAL_ENOTSUP (or does nothing, for void operations), so the core sees a
 *        clear "not supported" rather than a crash, and treats it safely (an unreadable
 *        pilot is state E, unreadable contactor feedback holds the connector).
 *
 * Shared by every port: the Linux board uses them for the pilot and the power-path
 * GPIO (board-specific hardware with no portable Linux interface), the Cortex-M demo
 * board for everything it lacks. board/template/ is the annotated version to copy.
 */
#ifndef HAL_UNSUPPORTED_H
#define HAL_UNSUPPORTED_H

#include "hal_eth.h"
#include "hal_gpio.h"
#include "hal_modbus.h"
#include "hal_net.h"
#include "hal_pilot.h"
#include "hal_tls.h"

/** @brief Make @p m a Modbus master whose every operation is HAL_ENOTSUP. */
void hal_unsupported_modbus(struct hal_modbus *m);
/** @brief Make @p e a raw Ethernet port whose every operation is HAL_ENOTSUP. */
void hal_unsupported_eth(struct hal_eth *e);
/** @brief Make @p n a network port whose every operation is HAL_ENOTSUP. */
void hal_unsupported_net(struct hal_net *n);
/** @brief Make @p t a TLS port whose every operation is HAL_ENOTSUP. */
void hal_unsupported_tls(struct hal_tls *t);
/** @brief Make @p p a pilot port whose every operation is HAL_ENOTSUP. */
void hal_unsupported_pilot(struct hal_pilot *p);
/** @brief Make @p g a GPIO port whose every operation is HAL_ENOTSUP. */
void hal_unsupported_gpio(struct hal_gpio *g);

#endif /* HAL_UNSUPPORTED_H */
