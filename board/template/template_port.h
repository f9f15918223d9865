/**
 * @file template_port.h
 * @brief A stub port to copy when bringing the firmware to a new board or chip family.
 *
 * Copy the whole folder board/template/ to board/<name>/ (docs/porting.md: it builds
 * there as it is), rename `template_` to your port's prefix, and fill in each operation. Every
 * operation must return at once: anything slow is split into submit and poll. Until an
 * operation is implemented it answers HAL_ENOTSUP, which the core handles safely (an
 * unreadable pilot is state E, unreadable contactor feedback holds the connector).
 *
 * The order that brings a board up fastest: clock (the loop runs), log (you can see
 * it), GPIO (contactors, lock, e-stop), pilot, store, CAN, then the network peripherals.
 */
#ifndef TEMPLATE_PORT_H
#define TEMPLATE_PORT_H

#include "hal_can.h"
#include "hal_clock.h"
#include "hal_eth.h"
#include "hal_gpio.h"
#include "hal_log.h"
#include "hal_modbus.h"
#include "hal_net.h"
#include "hal_nvs.h"
#include "hal_pilot.h"
#include "hal_rng.h"
#include "hal_serial.h"
#include "hal_tls.h"

/** Every peripheral instance of the port. Put your driver state next to each base. */
struct template_port {
    struct hal_clock clock;
    struct hal_log log;
    struct hal_gpio gpio;
    struct hal_pilot pilot;
    struct hal_nvs nvs;
    struct hal_rng rng;
    struct hal_can can;
    struct hal_modbus modbus;
    struct hal_serial serial;
    struct hal_eth eth;
    struct hal_net net;
    struct hal_tls tls;
};

/** @brief Point every instance at its ops table. No I/O happens here. */
void template_port_init(struct template_port *p);

#endif /* TEMPLATE_PORT_H */
