/**
 * @file board_config.h
 * @brief The host boards' configuration file (the Linux board's; the simulator reads it
 *        for --config): keys, defaults, loading, and the checks that span several keys
 *        (bus specifications, module lists, the InfyPower driver's own configuration
 *        check, TLS files). Host-only board library (boardlib/, see docs/architecture.md).
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "board_mqtt.h"
#include "board_ocpp.h"
#include "config.h"
#include "hal_crypto.h"
#include "hlc.h"
#include "infypower/infy_driver.h"

/** Longest value of a path or bus key, including the NUL. */
#define BOARD_CONFIG_PATH_MAX 128

/** Power stage kinds (`psu.type`). */
enum board_psu_type { BOARD_PSU_NONE = 0, BOARD_PSU_INFY, BOARD_PSU_HUAWEI };
/** link.tls_client_cert: what an ISO 15118-20 car on TLS 1.3 must present. */
enum board_tls_client_cert { BOARD_TLS_CLIENT_NONE = 0, BOARD_TLS_CLIENT_OPTIONAL, BOARD_TLS_CLIENT_REQUIRED };
/** Over-voltage monitor devices (`ovm.device`). */
enum board_ovm_device { BOARD_OVM_NONE = 0, BOARD_OVM_SIM };
/** Where the pilot and power-path I/O is (`board.io`). */
enum board_io { BOARD_IO_NONE = 0, BOARD_IO_CHARGESOM, BOARD_IO_KERNEL };

/** The `kio.*` keys (board.io = kernel), in this order; their text is kept as read. */
#define BOARD_KIO_KEYS 7

/** The kio.* key names without "kio." (the setting names of linux_kio_set()). */
extern const char *const board_config_kio_names[BOARD_KIO_KEYS];

/** Isolation monitor kinds (`imd.model`). */
enum board_imd_model { BOARD_IMD_NONE = 0, BOARD_IMD_BENDER, BOARD_IMD_DOLD };

/** Everything the Linux board reads from its configuration file. */
struct board_config {
    struct board_mqtt_config mqtt; /**< mqtt.*: the MQTT API (docs/mqtt.md) */
    struct board_ocpp_config ocpp; /**< ocpp.*: the OCPP 1.6J charge point (docs/ocpp.md) */
    char charger_name[16];
    uint32_t export_voltage_v;
    uint32_t export_current_a;
    uint32_t max_voltage_v;
    uint32_t max_current_a;
    uint32_t max_power_kw;
    uint32_t pause_timeout_s;      /**< charger.pause_timeout_s: a paused ISO-2 car must wake within this */
    uint32_t pilot_debounce_ms;
    uint32_t safe_current_ma;
    uint32_t power_down_timeout_ms;
    bool power_down_defaulted; /**< the file left interlock.power_down_timeout_ms to the stage's default */
    uint32_t contactor_timeout_ms;
    uint32_t lock_timeout_ms;
    char can_interface[16];
    uint32_t can_bitrate;
    char store_dir[128];
    int log_level; /**< index into "error", "warn", "info", "debug" */
    bool log_syslog;
    /* power stage */
    int psu_type; /**< enum board_psu_type */
    int infy_addressing; /**< enum infy_addressing */
    char infy_modules[BOARD_CONFIG_PATH_MAX];
    uint32_t infy_group;
    uint32_t infy_controller;
    uint32_t infy_offline_timeout_ms;
    uint32_t infy_poll_period_ms;
    char huawei_host[64];         /**< the unit's IPv4 address (psu.type = huawei) */
    uint32_t huawei_port;
    char huawei_goose_if[16];     /**< raw-Ethernet port of the GOOSE stream */
    uint32_t huawei_vlan;
    uint32_t huawei_connector;    /**< this connector's number at the unit, 1..12 */
    bool huawei_no_hmac;          /**< test aid: GOOSE unsigned both ways */
    char huawei_tls_ca[BOARD_CONFIG_PATH_MAX];   /**< all three: mutual TLS on the link */
    char huawei_tls_cert[BOARD_CONFIG_PATH_MAX];
    char huawei_tls_key[BOARD_CONFIG_PATH_MAX];
    /* meter */
    char meter_bus[BOARD_CONFIG_PATH_MAX];
    uint32_t meter_unit;
    uint32_t meter_timeout_ms;
    char meter_public_key[200];  /**< meter.public_key: hex point or DER SubjectPublicKeyInfo */
    char meter_public_key_file[BOARD_CONFIG_PATH_MAX]; /**< meter.public_key_file: the same hex in a file */
    /* isolation monitor */
    int imd_model; /**< enum board_imd_model */
    char imd_bus[BOARD_CONFIG_PATH_MAX];
    uint32_t imd_unit; /**< 0 = the model's default */
    uint32_t imd_rated_voltage_v;
    bool imd_lab_override; /**< imd.lab_override_no_monitor: LAB ONLY, no monitor fitted */
    /* link to the car */
    char link_interface[16]; /**< "" = no link: pilot-level sessions only */
    uint32_t link_tcp_port;
    uint32_t link_tls_port;
    char link_tls_cert[BOARD_CONFIG_PATH_MAX];
    char link_tls_key[BOARD_CONFIG_PATH_MAX];
    int link_tls_client_cert; /**< enum board_tls_client_cert: mutual TLS of -20 (TLS 1.3) cars */
    char link_tls_client_ca[BOARD_CONFIG_PATH_MAX]; /**< V2G/OEM roots of the cars' certificates */
    char link_tls_ocsp_response[BOARD_CONFIG_PATH_MAX]; /**< DER OCSPResponse stapled for the SECC leaf */
    bool link_modem;
    /* capture of the link (docs/forensics.md) */
    char capture_file[BOARD_CONFIG_PATH_MAX];   /**< "" = no capture */
    uint32_t capture_max_mb;                    /**< one file's size limit, MB (rotation) */
    uint32_t capture_files;                     /**< files kept: FILE, FILE.1 .. */
    char capture_tls_keylog[BOARD_CONFIG_PATH_MAX]; /**< "" = no TLS key log */
    /* over-voltage monitor and the voltage sources it reads (issue 12) */
    int ovm_device;          /**< enum board_ovm_device */
    char ovm_sources[48];    /**< "ovm,imd,meter,stage" (any subset, in any order) */
    uint32_t ovm_stale_ms;   /**< energised without a fresher reading: stop */
    char v2g_protocols[48];  /**< v2g.protocols: priority list, "iso2,din" */
    struct hlc_protocols v2g_list; /**< derived from v2g_protocols */
    bool v2g_iso20_plain_tcp; /**< v2g.iso20_plain_tcp: lab switch, -20 over plain TCP too */
    char pnc_mo_roots[BOARD_CONFIG_PATH_MAX]; /**< pnc.mo_roots: MO roots (file or directory), "" none */
    bool pnc_plain_tcp;       /**< pnc.plain_tcp: lab switch, Contract over plain TCP too */
    /* certificate installation/update (docs/pnc.md "Installation and update") */
    char pnc_cert_provider[8];                 /**< pnc.cert_provider: "" none, "ca" the local CA */
    char pnc_cps_chain[BOARD_CONFIG_PATH_MAX]; /**< CPS leaf then its Sub-CAs (PEM) */
    char pnc_cps_key[BOARD_CONFIG_PATH_MAX];   /**< the CPS leaf's key (PEM) */
    char pnc_contract_ca_chain[BOARD_CONFIG_PATH_MAX]; /**< issuing MO Sub-CA, then the one above */
    char pnc_contract_ca_key[BOARD_CONFIG_PATH_MAX];   /**< the issuing Sub-CA's key (PEM) */
    char pnc_cert_emaid[24];                   /**< the eMAID an installation issues */
    char pnc_oem_chain[BOARD_CONFIG_PATH_MAX]; /**< OEM Sub-CAs above the provisioning leaf, then OEM root(s) */
    /* the station (firmware/station.h): limits shared among its connectors, 0 = none */
    uint32_t station_max_power_w;
    uint32_t station_max_current_a;
    /* board I/O (issue 20): the pilot and power path through a safety co-processor */
    int board_io;                  /**< enum board_io */
    char chargesom_tty[BOARD_CONFIG_PATH_MAX];
    uint32_t chargesom_timeout_ms; /**< host-side: longest gap between ChargeState1 frames */
    uint32_t chargesom_startup_ms; /**< after the co-processor's reset, before the inquiry */
    uint32_t chargesom_timeout_closed_ms; /**< the same gap while a contactor is requested or closed */
    bool chargesom_recover;               /**< leave a link fault by itself (cbsom_recover.h) */
    uint32_t chargesom_recover_holdoff_ms, chargesom_recover_holdoff_max_ms, chargesom_recover_stable_ms;
    char chargesom_reset_gpio[BOARD_CONFIG_PATH_MAX]; /**< CHIP:LINE of nSAFETY_RESET_INT, "" = none */
    uint32_t chargesom_reset_pulse_ms;
    char kio_text[BOARD_KIO_KEYS][96]; /**< kio.* as read ("" = not given); their values are
                                            parsed by the Linux board (hal_linux/linux_kio.h) */
    /* derived by board_config_load() */
    uint8_t meter_pin[HAL_CRYPTO_PUB_MAX]; /**< the pinned meter key (uncompressed point) */
    size_t meter_pin_len;                  /**< 0: no key pinned */
    struct infy_config infy; /**< valid when psu_type == BOARD_PSU_INFY */
    uint8_t ovm_source_mask; /**< bit (1 << enum charger_vsource) per source in ovm_sources */
};

/** Least interlock.power_down_timeout_ms with psu.type = infy (and its default there). */
#define BOARD_INFY_POWER_DOWN_MIN_MS 1500u

/** Largest configuration file accepted. */
#define BOARD_CONFIG_FILE_MAX 16384

/** @brief Fill every field with its default. */
void board_config_defaults(struct board_config *c);

struct charger_config;
/**
 * @brief Apply the file's connector keys (charger.*, pilot.*, interlock.*, ovm.*) to @p cc,
 *        which the caller has filled with charger_default_config() or its own choices
 *        first. The name and the V2G protocol list are left to the board: the simulator
 *        names its connectors cpN and takes its protocols from --protocol.
 */
void board_config_apply_connector(const struct board_config *b, struct charger_config *cc);

/**
 * @brief Read and validate @p path. Prints every problem as "PATH:LINE: KEY: REASON" to
 *        @p err (not only the first), then "PATH: N errors".
 * @retval 0 valid
 * @retval -1 invalid or unreadable (the messages say which and why)
 */
int board_config_load(struct board_config *c, const char *path, FILE *err);

/**
 * @brief `--check`: what a valid file names must also exist on this machine: store.dir (or
 *        the parent it would be created in) a writable directory, serial devices present,
 *        network interfaces present. Call after board_config_load(). Prints every problem.
 * @retval 0 all present
 * @retval -1 something is missing (the messages say what)
 */
int board_config_check_system(const struct board_config *c, const char *path, FILE *err);

/** @brief Print every key with its type, range and meaning (for --help). */
void board_config_describe(FILE *out);

/**
 * @brief Parse a module address list: "0,1,2", "0-3", "0x10-0x13,0x20" (0x00..0x3B).
 * @retval 0 parsed into @p addrs / @p count
 * @retval -1 malformed, out of range, repeated, or more than CFG_INFY_MAX_MODULES;
 *         @p why says which
 */
int board_config_modules(const char *text, uint8_t *addrs, uint8_t *count, const char **why);

#endif /* BOARD_CONFIG_H */
