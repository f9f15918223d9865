/* sim_ocpp.h - `sim --ocpp URL`: the simulated station as an OCPP 1.6J charge point of a
 * real CSMS, over the Linux network and TLS ports (firmware/ocpp_station.c does the work). */
#ifndef SIM_OCPP_H
#define SIM_OCPP_H

#include <stdbool.h>
#include <stdint.h>

#include "board_ocpp_cert.h"
#include "board_ocpp_fw.h"
#include "board_ocpp_store.h"
#include "linux_crypto.h"
#include "linux_net.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "ocpp_station.h"
#include "sim_options.h"

struct sim_ocpp {
    bool on;
    struct ocpp_station os;
    struct linux_net net;
    struct linux_tls tls;
    struct linux_rng rng;
    bool tls_on;
    char url[OCPP_WS_HOST_MAX + OCPP_WS_PATH_MAX + 16];
    uint32_t drain_ms;   /**< --ocpp-drain-s */
    uint32_t done_ms;    /**< when the sessions were over (0: not yet) */
    bool reported;
    struct board_ocpp_store store; /**< --ocpp-store: DIR/ocpp.store */
    struct ocpp_cert cert;         /**< certificate management (roots, CSR, client certificate) */
    struct board_ocpp_cert bcert;  /**< its files in --ocpp-store DIR and the TLS rebuild */
    struct linux_crypto crypto;    /**< signature checks of a CertificateSigned chain */
    struct board_ocpp_fw fw;       /**< --ocpp-fw-dir: Firmware Management */
    /* what the charge point is started with again after a Reset or a power loss */
    const struct sim_options *o;
    struct station *st;
    struct journal *journals[SIM_MAX_CONNECTORS];
    uint8_t n;
    struct hal_log *log;
    struct ocpp_ws_config wc;
    uint8_t security_profile;
    /* a Reset the backend asked for: the answer and the Stops out, the link closed, then the
     * charge point starts again (sim_ocpp.c "Reset") */
    enum { SIM_OCPP_RUN = 0, SIM_OCPP_RESET_FLUSH, SIM_OCPP_RESET_CLOSE, SIM_OCPP_OFF } phase;
    bool reset_hard;
    uint32_t phase_ms;
    uint32_t restarts;
};

/* Starts the charge point when --ocpp was given (else does nothing and returns 0); 2 with
 * the reason on stderr for a bad URL or certificate files. */
int sim_ocpp_start(struct sim_ocpp *so, const struct sim_options *o, struct station *st,
                   struct journal *const *journals, uint8_t n, struct hal_log *log, uint32_t now_ms);
/* A station event (the station's hook). */
void sim_ocpp_event(void *ctx, const struct station_event *e, uint32_t now_ms);
void sim_ocpp_poll(struct sim_ocpp *so, uint32_t now_ms);
/* The simulated power loss: the charge point stops at once (its connection dies with it);
 * sim_ocpp_power_up() starts it again as after a reboot (store, journals, BootNotification). */
void sim_ocpp_power_down(struct sim_ocpp *so);
void sim_ocpp_power_up(struct sim_ocpp *so, uint32_t now_ms);
/* The sessions are over: true once every transaction is delivered, or the drain time
 * passed (said on stdout with what is left). */
bool sim_ocpp_drained(struct sim_ocpp *so, uint32_t now_ms);

#endif /* SIM_OCPP_H */
