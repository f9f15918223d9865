/**
 * @file linux_unsupported.h
 * @brief Ops tables for peripherals the Linux port does not drive yet: every operation
 *        answers HAL_ENOTSUP (or does nothing, for void operations), so the core sees a
 *        clear "not supported" rather than a crash.
 *
 * Modbus (libmodbus), raw Ethernet (libpcap), sockets and TLS (OpenSSL) replace these
 * as they arrive. Pilot and GPIO stay here until a board names its hardware: they are
 * board-specific (a co-processor, the GPIO character device) and have no portable
 * Linux interface.
 */
#ifndef LINUX_UNSUPPORTED_H
#define LINUX_UNSUPPORTED_H

#include "hal_eth.h"
#include "hal_gpio.h"
#include "hal_modbus.h"
#include "hal_net.h"
#include "hal_pilot.h"
#include "hal_tls.h"

/** @brief Make @p m a Modbus master whose every operation is HAL_ENOTSUP. */
void linux_unsupported_modbus(struct hal_modbus *m);
/** @brief Make @p e a raw Ethernet port whose every operation is HAL_ENOTSUP. */
void linux_unsupported_eth(struct hal_eth *e);
/** @brief Make @p n a network port whose every operation is HAL_ENOTSUP. */
void linux_unsupported_net(struct hal_net *n);
/** @brief Make @p t a TLS port whose every operation is HAL_ENOTSUP. */
void linux_unsupported_tls(struct hal_tls *t);
/** @brief Make @p p a pilot port whose every operation is HAL_ENOTSUP. */
void linux_unsupported_pilot(struct hal_pilot *p);
/** @brief Make @p g a GPIO port whose every operation is HAL_ENOTSUP. */
void linux_unsupported_gpio(struct hal_gpio *g);

#endif /* LINUX_UNSUPPORTED_H */
