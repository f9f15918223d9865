/* sim_pnc.h - `sim --pnc`: ISO 15118-2 Plug & Charge between the simulator's car and
 * charger over the test PKI (see sim_pnc.c, docs/pnc.md "In the simulator"). */
#ifndef SIM_PNC_H
#define SIM_PNC_H

#include <stdbool.h>
#include <stdint.h>

#include "board_certprov.h"
#include "board_pnc.h"
#include "charger.h"
#include "ev_model.h"
#include "linux_crypto.h"
#include "linux_rng.h"
#include "sim_options.h"

/* The test PKI's files, the charger's roots and context per connector, the car's
 * contract. Static storage of the board (a few tens of kB). */
struct sim_pnc {
    char dir[256];                              /* the PKI directory */
    struct linux_crypto crypto;                 /* OpenSSL: chain checks and the car's key */
    struct linux_rng rng;                       /* the GenChallenge */
    struct board_pnc_certs roots;               /* the charger's mobility-operator roots */
    struct board_pnc_car car;                   /* the car's contract */
    struct iso2_evse_pnc ctx[SIM_MAX_CONNECTORS];
    uint8_t secc_buf[SIM_MAX_CONNECTORS][4096]; /* a certificate answer's chain is verified in it */
    bool on;
    /* --cert-install / --cert-update: the charger's local CA provider over the PKI and the
     * car's side (its OEM or contract key, the V2G root, the new contract) */
    bool cert;
    struct board_certprov_setup prov;
    struct iso2_evse_pnc tmpl;                  /* the provider fields every connector gets */
    struct board_pnc_certs v2g_root, oem_leaf;
    uint32_t oem_key;
    struct board_certprov_car take;
    struct iso2_ev_cert evc;
    uint8_t evc_buf[4096];
};

/* After the run: the car's line of its new contract (stderr), when it took one. */
void sim_pnc_report(const struct sim_pnc *p);

/* Makes (or reuses) the test PKI, loads the charger's roots and the car's contract, and
 * points the wall clock at today (the PKI's validity is relative to its making). Returns
 * 0, or 2 with the reason on stderr (a bad file, a key that is not the leaf's). */
int sim_pnc_start(struct sim_pnc *p, const struct sim_options *o);

/* The charger of connector @p i: Contract offered, over the simulator's plain link (the
 * lab switch: it has no TLS), with the roots. */
void sim_pnc_charger(struct sim_pnc *p, int i, struct charger_config *cfg, struct charger_ports *ports);

/* The car: pays with its contract where Contract is offered. */
void sim_pnc_car(struct sim_pnc *p, struct ev_model_config *cfg);

#endif /* SIM_PNC_H */
