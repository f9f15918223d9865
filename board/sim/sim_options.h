/* sim_options.h - the simulator's command line (see sim_options.c). */
#ifndef SIM_OPTIONS_H
#define SIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "board_config.h"
#include "ev_model.h"
#include "faults.h"
#include "plant.h"

#define SIM_VERSION "0.2.0"
#define SIM_MAX_CONNECTORS 4
#define SIM_ID_TAGS 8      /**< --id-tag: tokens at most */
#define SIM_ID_TAG_MAX 20  /**< one token and its NUL (OCPP's idTag: 20; the station's: 19) */

/* What a run is asked to do, after parsing and checking. */
struct sim_options {
    struct plant_script script;        /**< the cars' timing, sessions and --fault */
    struct ev_model_config car;        /**< the --profile */
    unsigned long connectors, max_s, modules, soc_start, soc_target, charge_s;
    unsigned long station_limit_w;     /**< --station-limit-w, 0 = none */
    unsigned long epoch_s;             /**< --epoch: Unix time of simulated time 0 in captures */
    uint32_t limit_at_ms[4], limit_at_w[4]; /**< --station-limit-at T:W, ascending */
    uint8_t limit_changes;
    bool quiet, realtime, ideal, charge_set, tesla_stop;
    bool huawei;                       /**< --psu huawei: the real Huawei driver, the unit model of sim/ */
    const char *out_dir;               /**< NULL: no capture files */
    bool out_set;                      /**< --out given (else a session report puts them in its dir) */
    const char *profile;
    const char *protocol;              /**< --protocol din|iso2|auto, NULL: the profile's */
    long resume_s;                     /**< --resume-s: a pausing car resumes after S s (-1: the
                                            profile's; 0: never) */
    unsigned long renegotiate_s;       /**< --renegotiate-s: the car asks for new schedules once after
                                            S s of charging (0: never) */
    const struct faults_scenario *scenario; /**< --scenario, or NULL */
    const char *report_dir;
    const char *config_path;           /**< --config, or NULL */
    const char *mqtt;                  /**< --mqtt HOST:PORT, or NULL (implies --realtime) */
    struct board_config bc;            /**< the Linux board's configuration (defaults without --config) */
    /* --ocpp URL (base + "/" + identity) and its security options (docs/ocpp.md) */
    const char *ocpp_url, *ocpp_password, *ocpp_ca, *ocpp_cert, *ocpp_key;
    const char *ocpp_store;            /**< --ocpp-store DIR: the journals on files (a restart continues) */
    unsigned long ocpp_drain_s;        /**< --ocpp-drain-s: wait this long for the queue at the end */
    /* Firmware Management (boardlib/board_ocpp_fw.h): --ocpp-fw-dir, --ocpp-fw-install,
     * --ocpp-fw-root, --ocpp-diag-cmd */
    const char *ocpp_fw_dir, *ocpp_fw_install, *ocpp_fw_root, *ocpp_diag_cmd;
    /* --pnc: ISO 15118-2 Plug & Charge over the test PKI (docs/pnc.md "In the simulator") */
    bool pnc;
    const char *pki_dir;               /**< --pki DIR, NULL: build/pnc-pki beside the binary */
    const char *contract_chain, *contract_key; /**< the car's, NULL: the PKI's good contract */
    bool cert_install, cert_update;    /**< --cert-install / --cert-update: the car gets its contract first */
    /* --id-tag TAG[,TAG...]: the token reader; the k-th session of the run presents the
     * k-th token (the last one again after the list), the chargers wait for it */
    char id_tags[SIM_ID_TAGS][SIM_ID_TAG_MAX];
    uint8_t id_tag_count;
};

/* Parses and checks the command line into @p o. Returns -1 to run, or the exit status
 * (0 after --help, --version, --list-scenarios; 2 for a bad argument, an invalid --config
 * file or an output directory that cannot be made, said on stderr). */
int sim_options_parse(struct sim_options *o, int argc, char **argv);

#endif /* SIM_OPTIONS_H */
