/**
 * @file devices.h
 * @brief What the Linux board's configuration names, built and opened: the loop, log,
 *        store (with its boot counter), random source and OCMF crypto; the power stage on
 *        CAN; the EM580 meter with its journal and meter session; the isolation monitor;
 *        the link to the car with TLS. The connector (connector.h) is wired on top.
 */
#ifndef BOARD_DEVICES_H
#define BOARD_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "board_config.h"
#include "charger_transport.h"
#include "evse_link.h"
#include "isolation_imd.h"
#include "journal.h"
#include "linux_can.h"
#include "linux_capture.h"
#include "linux_crypto.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_modbus.h"
#include "linux_net.h"
#include "linux_nvs.h"
#include "linux_pcap.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "meter.h"
#include "meter_em580.h"
#include "psu_huawei.h"
#include "psu_infy.h"
#include "sched.h"

/** The board's devices and ports. Only devices.c writes the fields; the wiring reads them. */
struct board_devices {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_nvs nvs;
    struct linux_rng rng;
    struct linux_crypto crypto;
    uint32_t boots;          /**< the store's boot counter, this start included */
    struct linux_can can;
    bool have_can;           /**< opened: only with a power stage on CAN */
    struct psu no_psu;       /**< used when psu.type = none */
    struct psu_infy stage;
    /* psu.type = huawei: this charger is one dispenser with one connector of the unit */
    bool have_huawei;
    struct linux_pcap goose_eth;
    struct linux_net unit_net;
    struct linux_tls unit_tls;
    struct psu_huawei_unit unit;
    struct psu_huawei hw;
    struct psu *psu;
    /* meter */
    bool have_meter;
    struct linux_modbus meter_bus;
    struct meter_em580 meter;
    struct journal journal;
    struct meter_session ms;
    /* isolation monitor */
    bool have_imd;
    struct linux_modbus imd_bus;
    struct isolation_imd_bender bender;
    struct isolation_imd_dold dold;
    struct isolation *imd;
    /* link to the car */
    bool have_link, have_tls, have_capture;
    struct linux_capture capture;   /**< --capture / capture.file */
    struct sched_task capture_task; /**< drains the capture beside the loop */
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_tls tls;
    struct evse_link evse;
    struct charger_transport_evse adapter;
};

/**
 * @brief Open and start everything @p cfg names, adding the drivers' tasks to @p s.
 *        @p stop_flag ends the loop's waits (a signal). Explains a failure on stderr.
 * @retval 0 started
 * @retval -1 not (the reason was printed)
 */
int board_devices_start(struct board_devices *d, const struct board_config *cfg, volatile int *stop_flag,
                        struct sched *s);

/** @brief The start-up line: version, boot, and what is wired. */
void board_devices_log_started(struct board_devices *d, const struct board_config *cfg, const char *version,
                               uint32_t now_ms);

/** @brief Close the ports (after the loop: nothing runs any more), the log last. */
void board_devices_close(struct board_devices *d, uint32_t now_ms);

#endif /* BOARD_DEVICES_H */
