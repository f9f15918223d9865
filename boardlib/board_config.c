/* board_config.c - the host boards' configuration file (the Linux board's, also read by
 * the simulator's --config): every key with its type, range, default and help text,
 * loading with every problem reported, the checks across keys, and --check's look at this
 * machine. In boardlib/ so that both boards use it without one including the other. */
#include "board_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/if.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charger.h"
#include "hal_net.h"
#include "linux_modbus.h"
#include "ocmf/ocmf.h"

static const char *const s_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const s_psu_types[] = {"none", "infy", "huawei", NULL};
static const char *const s_addressing[] = {"fixed", "group", NULL};
static const char *const s_imd_models[] = {"none", "bender", "dold", NULL};
static const char *const s_board_io[] = {"none", "chargesom", "kernel", NULL};
static const char *const s_tls_client_cert[] = {"none", "optional", "required", NULL};
/* The kio.* keys, their setting names in linux_kio_set() and their fields in kio_text. */
const char *const board_config_kio_names[BOARD_KIO_KEYS] = {"sys_root", "pwm", "iio", "cp_scale",
                                                            "pp_divider", "gpio_chip", "lines"};
#define KIO(i, k, text) STR("kio." k, kio_text[i], false, text)
static const char *const s_ovm_devices[] = {"none", "sim", NULL};

#define U32(k, field, lo, hi, req, text)                                                         \
    {.name = k, .type = CONFIG_U32, .required = req, .offset = offsetof(struct board_config, field), \
     .min = lo, .max = hi, .help = text}
#define STR(k, field, req, text)                                                                 \
    {.name = k, .type = CONFIG_STRING, .required = req,                                          \
     .offset = offsetof(struct board_config, field),                                            \
     .size = sizeof(((struct board_config *)0)->field), .help = text}
#define BOOL(k, field, text)                                                                     \
    {.name = k, .type = CONFIG_BOOL, .offset = offsetof(struct board_config, field), .help = text}
#define ENUM(k, field, list, text)                                                               \
    {.name = k, .type = CONFIG_ENUM, .offset = offsetof(struct board_config, field), .names = list, \
     .help = text}

static const struct config_key s_keys[] = {
    STR("charger.name", charger_name, false, "connector name used in logs (default cp0)"),
    U32("charger.export_voltage_v", export_voltage_v, 50, 1000, false,
        "pilot-level session (no link): output voltage while charging, V (default 400)"),
    U32("charger.export_current_a", export_current_a, 1, 500, false,
        "pilot-level session (no link): output current limit, A (default 10)"),
    U32("charger.max_voltage_v", max_voltage_v, 50, 1000, false,
        "connector/cable voltage rating, V (default 1000)"),
    U32("charger.max_current_a", max_current_a, 1, 500, false,
        "connector/cable current rating, A (default 200)"),
    U32("charger.max_power_kw", max_power_kw, 1, 1000, false,
        "connector power limit, kW (default 150)"),
    U32("charger.pause_timeout_s", pause_timeout_s, 10, 86400, false,
        "ISO 15118-2 pause: a car that has not woken within this ends its session, s\n"
        "                                     (default 300)"),
    U32("pilot.debounce_ms", pilot_debounce_ms, 5, 1000, false,
        "a new pilot state must hold this long, ms (default 30)"),
    U32("interlock.safe_current_ma", safe_current_ma, 100, 10000, false,
        "contactors may open below this current, mA (default 2000)"),
    U32("interlock.power_down_timeout_ms", power_down_timeout_ms, 50, 5000, false,
        "longest wait for the current to fall before opening anyway, ms (default 1500 with\n"
        "                                     psu.type = infy, which refuses less; 500 with none)"),
    U32("interlock.contactor_timeout_ms", contactor_timeout_ms, 20, 2000, false,
        "contactor feedback must follow within, ms (default 200)"),
    U32("interlock.lock_timeout_ms", lock_timeout_ms, 100, 10000, false,
        "lock feedback must follow within, ms (default 1500)"),
    STR("can.interface", can_interface, false,
        "SocketCAN interface of the power modules (required with psu.type = infy; with\n"
        "                                     psu.type = none the charger starts without CAN)"),
    U32("can.bitrate", can_bitrate, 10000, 1000000, false,
        "CAN bit rate, bit/s; ignored by vcan (default 125000)"),
    STR("store.dir", store_dir, true,
        "directory of the non-volatile store and the meter journal (required)"),
    ENUM("psu.type", psu_type, s_psu_types,
         "power stage: none (nothing energises), infy (InfyPower modules on can.interface)\n"
         "                                     or huawei (a FusionCharge unit: huawei.*)\n"
         "                                     (default none)"),
    STR("huawei.host", huawei_host, false,
        "psu.type = huawei: the power unit's IPv4 address (its Modbus-TCP server; required)"),
    U32("huawei.port", huawei_port, 1, 65535, false, "the unit's TCP port (default 502)"),
    STR("huawei.goose_if", huawei_goose_if, false,
        "psu.type = huawei: the Ethernet interface of the GOOSE power requests (required)"),
    U32("huawei.vlan", huawei_vlan, 0, 4094, false, "802.1Q VLAN of the GOOSE frames (default 0)"),
    U32("huawei.connector", huawei_connector, 1, 12, false,
        "this connector's number at the unit, unique across its dispensers (default 1)"),
    BOOL("huawei.no_hmac", huawei_no_hmac, "test aid: GOOSE without HMAC both ways (default false)"),
    STR("huawei.tls_ca", huawei_tls_ca, false, "mutual TLS on the unit link: the unit's CA (PEM)"),
    STR("huawei.tls_cert", huawei_tls_cert, false, "... our client certificate (PEM)"),
    STR("huawei.tls_key", huawei_tls_key, false, "... its private key (PEM)"),
    ENUM("infy.addressing", infy_addressing, s_addressing,
         "fixed (infy.modules lists the dialled addresses) or group (infy.group) (default fixed)"),
    STR("infy.modules", infy_modules, false,
        "fixed addressing: module addresses, e.g. 0,1,2 or 0-3 or 0x10-0x13 (0x00..0x3B)"),
    U32("infy.group", infy_group, 0, 63, false, "group addressing: the dialled group number (default 0)"),
    U32("infy.controller", infy_controller, 240, 247, false,
        "our CAN source address, 240..247 = 0xF0..0xF7 (default 240)"),
    U32("infy.offline_timeout_ms", infy_offline_timeout_ms, 1000, 600000, false,
        "a silent module is dropped after this, ms; must be above the modules' own 10 s\n"
        "                                     watchdog (default 15000)"),
    U32("infy.poll_period_ms", infy_poll_period_ms, 100, 1000, false,
        "every module is polled once per period, ms (default 900)"),
    STR("meter.bus", meter_bus, false,
        "EM580 meter: rtu:DEV,BAUD,8N1 or tcp:HOST:PORT or none (default none)"),
    U32("meter.unit", meter_unit, 1, 247, false, "meter Modbus unit id (default 1)"),
    U32("meter.timeout_ms", meter_timeout_ms, 100, 1000, false,
        "meter reply timeout per attempt, ms; 3 attempts stay under 4.5 s (default 1000)"),
    ENUM("imd.model", imd_model, s_imd_models,
         "isolation monitor: none, bender (isoCHA425HV) or dold (RN5893) (default none)"),
    STR("imd.bus", imd_bus, false,
        "isolation monitor bus: rtu:DEV,BAUD,8E1 or tcp:HOST:PORT (required with a model)"),
    U32("imd.unit", imd_unit, 0, 247, false,
        "isolation monitor unit id; 0 = the model's default (Bender 3, Dold 1) (default 0)"),
    U32("imd.rated_voltage_v", imd_rated_voltage_v, 50, 1500, false,
        "rated voltage for the Ohm/V thresholds, V (default 1000)"),
    STR("link.interface", link_interface, false,
        "Ethernet interface to the car's PLC modem (SLAC, SDP, V2GTP); absent = no link,\n"
        "                                     pilot-level sessions only"),
    U32("link.tcp_port", link_tcp_port, 0, 65535, false,
        "plain V2GTP port announced in SDP; 0 = ephemeral (default 15118)"),
    U32("link.tls_port", link_tls_port, 0, 65535, false,
        "TLS V2GTP port (with link.tls_cert); 0 = ephemeral (default 15119)"),
    STR("link.tls_cert", link_tls_cert, false,
        "PEM chain of the SECC (leaf first); with link.tls_key enables TLS 1.2"),
    STR("link.tls_key", link_tls_key, false, "PEM private key of the SECC leaf certificate"),
    ENUM("link.tls_client_cert", link_tls_client_cert, s_tls_client_cert,
         "mutual TLS for ISO 15118-20 cars (TLS 1.3 only; ISO-2 never asked):\n"
         "                                     none, optional (ask; a bad certificate is refused) or\n"
         "                                     required (no valid certificate: refused) (default none)"),
    STR("link.tls_client_ca", link_tls_client_ca, false,
        "PEM roots (V2G, OEM) a car's certificate must chain to; named in the\n"
        "                                     CertificateRequest (with link.tls_client_cert)"),
    STR("link.tls_ocsp_response", link_tls_ocsp_response, false,
        "DER OCSPResponse for the SECC leaf, stapled when a car asks (status_request);\n"
        "                                     read again when the file changes (with link.tls_cert)"),
    BOOL("link.modem", link_modem,
         "a QCA PLC modem is attached (CM_SET_KEY is sent): true or false (default true;\n"
         "                                     false for a bare Ethernet/veth link)"),
    /* capture of the link (issue 22): docs/forensics.md; --capture and --tls-keylog override */
    STR("capture.file", capture_file, false,
        "write every frame of link.interface (SLAC, SDP, TCP, TLS) to this\n"
        "                                     pcapng file (default: none)"),
    U32("capture.max_mb", capture_max_mb, 1, 100000, false,
        "size limit of one capture file, MB: above it FILE becomes FILE.1\n"
        "                                     (default 100)"),
    U32("capture.files", capture_files, 1, 100, false,
        "capture files kept (FILE, FILE.1, ...; the oldest overwritten) (default 5)"),
    STR("capture.tls_keylog", capture_tls_keylog, false,
        "append the TLS secrets of every V2G session (SSLKEYLOGFILE lines, mode 0600) to\n"
        "                                     this file, for a capture's decryption; warned at start\n"
        "                                     (default: none)"),
    /* over-voltage monitor (issue 12): docs/configuration.md, docs/session.md */
    ENUM("ovm.device", ovm_device, s_ovm_devices,
         "over-voltage monitor device: none, or sim (the simulator's 1 ms monitor; the\n"
         "                                     Linux board refuses it) (default none)"),
    STR("ovm.sources", ovm_sources, false,
        "voltage sources the over-voltage monitor may read, freshest first: any of\n"
        "                                     ovm,imd,meter,stage (default ovm,imd,meter,stage)"),
    STR("v2g.protocols", v2g_protocols, false,
        "V2G protocols offered in supportedAppProtocol, best first: names of the\n"
        "                                     protocols enabled in this build (default iso2,din)"),
    BOOL("v2g.iso20_plain_tcp", v2g_iso20_plain_tcp,
         "lab switch: offer ISO 15118-20 over plain TCP too (the standard: TLS 1.3 only;\n"
         "                                     docs/iso15118-20.md) (default false)"),
    STR("pnc.mo_roots", pnc_mo_roots, false,
        "ISO 15118-2 Plug & Charge: the mobility-operator roots contract chains must end at,\n"
        "                                     a PEM/DER file or a directory of them; Contract is\n"
        "                                     offered over TLS only (default: none, no Contract)"),
    BOOL("pnc.plain_tcp", pnc_plain_tcp,
         "LAB ONLY: offer Contract over plain TCP too (the standard: TLS only; docs/pnc.md)\n"
         "                                     (default false)"),
    STR("pnc.cert_provider", pnc_cert_provider, false,
        "CertificateInstallation/Update: \"ca\" = the local CA provider (lab and tests: it\n"
        "                                     issues under pnc.contract_ca_*, signs with pnc.cps_*)\n"
        "                                     (default none: the Certificate service is not offered)"),
    STR("pnc.cps_chain", pnc_cps_chain, false,
        "the certificate provisioning (CPS) leaf, then its Sub-CAs, PEM (default none)"),
    STR("pnc.cps_key", pnc_cps_key, false, "the CPS leaf's private key, PEM (default none)"),
    STR("pnc.contract_ca_chain", pnc_contract_ca_chain, false,
        "the MO Sub-CA that issues contract certificates, then the Sub-CA above it, PEM\n"
        "                                     (default none)"),
    STR("pnc.contract_ca_key", pnc_contract_ca_key, false, "the issuing MO Sub-CA's private key, PEM (default none)"),
    STR("pnc.cert_emaid", pnc_cert_emaid, false,
        "the eMAID a CertificateInstallation issues (an update keeps the car's) (default none)"),
    STR("pnc.oem_chain", pnc_oem_chain, false,
        "OEM Sub-CAs above the car's provisioning leaf, then the OEM root(s), PEM: the\n"
        "                                     installation request's chain is checked against them\n"
        "                                     (default none: left to the provider, logged)"),
    U32("ovm.stale_ms", ovm_stale_ms, 10, 10000, false,
        "energised with no source fresher than this: stop (no-voltage), ms (default 1500;\n"
        "                                     above the slowest source's period)"),
    /* the station: docs/station.md "Power sharing"; the control socket's `limit W` changes it */
    U32("station.max_power_w", station_max_power_w, 0, 10000000, false,
        "the station's supply limit shared among its connectors, W; 0 = none (default 0)"),
    U32("station.max_current_a", station_max_current_a, 0, 5000, false,
        "the station's limit on the sum of the connectors' DC currents, A; 0 = none\n"
        "                                     (default 0)"),
    /* Safety overrides and identity pins: each one changes what the charger may trust. */
    BOOL("imd.lab_override_no_monitor", imd_lab_override,
         "LAB ONLY: no isolation monitor is fitted; the cable check passes UNMEASURED and the\n"
         "                                     car is told Warning, never Valid; warned at start, at\n"
         "                                     every session and by --check (default false)"),
    STR("meter.public_key", meter_public_key, false,
        "the meter's OCMF public key, pinned: hex of the point (04...) or of a DER\n"
        "                                     SubjectPublicKeyInfo; a meter reporting another key\n"
        "                                     gets no transaction (default: none, the meter's own)"),
    STR("meter.public_key_file", meter_public_key_file, false,
        "a file holding that hex (for keys too long for one line)"),
    /* the MQTT API (docs/mqtt.md) */
    STR("mqtt.host", mqtt.host, false, "MQTT broker host name or address; absent = no MQTT API"),
    U32("mqtt.port", mqtt.port, 1, 65535, false, "MQTT broker port (default 1883; 8883 is usual with TLS)"),
    STR("mqtt.tls_ca", mqtt.tls_ca, false, "CA certificate file (PEM): TLS to the broker when set"),
    STR("mqtt.user", mqtt.user, false, "MQTT user name (with mqtt.password_file)"),
    STR("mqtt.password_file", mqtt.password_file, false, "a file whose first line is the MQTT password"),
    STR("mqtt.client_id", mqtt.client_id, false,
        "MQTT client id, also the station's topic element (default station)"),
    STR("mqtt.base_topic", mqtt.base_topic, false,
        "first topic element: topics are BASE/v1/CLIENT_ID/... (default dcfc)"),
    U32("mqtt.deadband_pct", mqtt.deadband_pct, 0, 50, false,
        "telemetry is published when a value moved this many % (default 1)"),
    U32("mqtt.min_interval_ms", mqtt.min_interval_ms, 0, 60000, false,
        "at most one telemetry message per topic this often, ms (default 1000)"),
    STR("mqtt.update_file", mqtt.update_file, false,
        "where a firmware download goes (default /tmp/dcfc-update.bin)"),
    STR("mqtt.installer", mqtt.installer, false,
        "command that installs the file or .raucb URL given as its last argument\n"
        "                                     (default rauc install)"),
    /* the OCPP 1.6J charge point (docs/ocpp.md) */
    STR("ocpp.url", ocpp.url, false,
        "CSMS base URL ws://HOST[:PORT][/PATH] or wss://...; the identity is added as\n"
        "                                     the last segment; absent = no OCPP"),
    STR("ocpp.identity", ocpp.identity, false,
        "charge point identity (letters, digits, -_.*; required with ocpp.url)"),
    U32("ocpp.security_profile", ocpp.security_profile, 0, 3, false,
        "OCPP security profile: 1 ws:// + password, 2 wss:// + password, 3 wss:// +\n"
        "                                     client certificate; 0 none (lab only) (default 1)"),
    STR("ocpp.password_file", ocpp.password_file, false,
        "a file whose first line is the AuthorizationKey, 16..40 characters (profiles 1, 2)"),
    STR("ocpp.ca", ocpp.ca, false, "PEM CA the CSMS's certificate must chain to (wss://, required)"),
    STR("ocpp.client_cert", ocpp.client_cert, false, "PEM client certificate (profile 3)"),
    STR("ocpp.client_key", ocpp.client_key, false, "PEM key of ocpp.client_cert (profile 3)"),
    U32("ocpp.heartbeat_s", ocpp.heartbeat_s, 0, 86400, false,
        "HeartbeatInterval until the CSMS sets one, s (default 300)"),
    U32("ocpp.meter_sample_s", ocpp.meter_sample_s, 0, 86400, false,
        "MeterValueSampleInterval, s; 0 = none (default 60)"),
    U32("ocpp.ping_s", ocpp.ping_s, 0, 3600, false,
        "WebSocketPingInterval, s; 0 = no pings (default 60)"),
    U32("ocpp.tx_attempts", ocpp.tx_attempts, 1, 100, false,
        "TransactionMessageAttempts (default 3)"),
    U32("ocpp.tx_retry_s", ocpp.tx_retry_s, 1, 3600, false,
        "TransactionMessageRetryInterval, s (default 10)"),
    STR("ocpp.vendor", ocpp.vendor, false, "chargePointVendor in BootNotification (default dcfc)"),
    STR("ocpp.model", ocpp.model, false, "chargePointModel in BootNotification (default DC)"),
    STR("ocpp.firmware_dir", ocpp.fw.dir, false,
        "directory of the firmware image and the upload files; set: UpdateFirmware, GetDiagnostics, GetLog"),
    STR("ocpp.firmware_install_cmd", ocpp.fw.install_cmd, false,
        "command run with the image path to install it (no shell; exit 0 ok, 3 verification failed)"),
    STR("ocpp.firmware_root", ocpp.fw.root, false,
        "manufacturer root certificate (PEM): set, only SignedUpdateFirmware is offered"),
    STR("ocpp.diagnostics_cmd", ocpp.fw.diagnostics_cmd, false,
        "command run with FILE LOGTYPE FROM TO to write the upload file (default: a short summary)"),
    ENUM("board.io", board_io, s_board_io,
         "pilot, contactors and e-stop: none (not supported, or the --sim-plant test aid),\n"
         "                                     chargesom (a Charge SOM safety controller on\n"
         "                                     chargesom.tty) or kernel (sysfs PWM, IIO, GPIO:\n"
         "                                     kio.*) (default none)"),
    STR("chargesom.tty", chargesom_tty, false,
        "the safety controller's UART, e.g. /dev/ttyLP2 (required with board.io = chargesom)"),
    U32("chargesom.timeout_ms", chargesom_timeout_ms, 200, 5000, false,
        "no ChargeState1 for this long is a fault that ends the session, ms (default 1000)"),
    U32("chargesom.timeout_closed_ms", chargesom_timeout_closed_ms, 200, 5000, false,
        "the same while a contactor is requested or closed, ms (default 350: a rebooting\n"
        "                                     controller is silent for its 300 ms start-up)"),
    U32("chargesom.startup_ms", chargesom_startup_ms, 0, 5000, false,
        "wait after the controller's reset before asking its version, ms (default 300)"),
    BOOL("chargesom.recover", chargesom_recover,
         "leave a fault of the controller's link by itself once the session ended: hold-off,\n"
         "                                     reset pulse, restart (default true; false: latched\n"
         "                                     until the charger is restarted)"),
    U32("chargesom.recover_holdoff_ms", chargesom_recover_holdoff_ms, 100, 3600000, false,
        "first hold-off after the session ended, ms; doubles with each fault again (default 10000)"),
    U32("chargesom.recover_holdoff_max_ms", chargesom_recover_holdoff_max_ms, 100, 3600000, false,
        "the doubling stops here, ms (default 600000)"),
    U32("chargesom.recover_stable_ms", chargesom_recover_stable_ms, 100, 3600000, false,
        "a link running this long puts the hold-off back to the first, ms (default 300000)"),
    STR("chargesom.reset_gpio", chargesom_reset_gpio, false,
        "the controller's reset line (nSAFETY_RESET_INT, active-low) as CHIP:LINE, LINE a\n"
        "                                     name or an offset, e.g. /dev/gpiochip2:nSAFETY_RESET_INT\n"
        "                                     (default none: a safe state is left only by other means)"),
    U32("chargesom.reset_pulse_ms", chargesom_reset_pulse_ms, 5, 1000, false,
        "reset line asserted this long, ms (default 100)"),
    KIO(0, "sys_root", "board.io = kernel: the sysfs root (default /sys; GPIO chips under /dev)"),
    KIO(1, "pwm", "the pilot PWM as CHIP:CHANNEL[:inv] (default pwmchip0:0), 1 kHz; :inv\n"
                  "                                     when the front end inverts"),
    KIO(2, "iio", "the pilot ADC as DEVICE:POS[,NEG[,PP]] channels (default iio:device0:0,1)"),
    KIO(3, "cp_scale", "pilot mV = ADC mV * MUL / DIV + OFFSET, as MUL/DIV/OFFSET (default 1/1/0)"),
    KIO(4, "pp_divider", "PP pull-up and reference as OHM/MV (default 330/5000)"),
    KIO(5, "gpio_chip", "the GPIO chip (default gpiochip0)"),
    KIO(6, "lines", "GPIO lines by name, FUNC=NAME[:low],... FUNC: pos neg (contactor coils),\n"
                    "                                     lock, peak (ADC peak-detector reset), pos_fb neg_fb\n"
                    "                                     lock_fb (feedback), estop"),
    ENUM("log.level", log_level, s_levels, "error, warn, info or debug (default info)"),
    BOOL("log.syslog", log_syslog, "also log to syslog: true or false (default false)"),
};
_Static_assert(sizeof s_keys / sizeof s_keys[0] <= CONFIG_KEYS_MAX,
               "the key table outgrows the parser's CONFIG_KEYS_MAX (firmware/config.h)");

void board_config_defaults(struct board_config *c)
{
    memset(c, 0, sizeof *c);
    board_mqtt_defaults(&c->mqtt);
    board_ocpp_defaults(&c->ocpp);
    memcpy(c->charger_name, "cp0", 4);
    c->export_voltage_v = 400;
    c->export_current_a = 10;
    c->max_voltage_v = 1000;
    c->max_current_a = 200;
    c->max_power_kw = 150;
    c->pause_timeout_s = 300;
    c->pilot_debounce_ms = 30;
    c->safe_current_ma = 2000;
    c->power_down_timeout_ms = 0; /* by the stage, once psu.type is known (board_config_check) */
    c->contactor_timeout_ms = 200;
    c->lock_timeout_ms = 1500;
    c->can_bitrate = 125000;
    c->log_level = 2;
    c->log_syslog = false;
    c->psu_type = BOARD_PSU_NONE;
    c->infy_addressing = INFY_ADDRESSING_FIXED;
    c->infy_controller = 0xF0;
    c->infy_offline_timeout_ms = 15000;
    c->infy_poll_period_ms = 900;
    c->huawei_port = 502;
    c->huawei_connector = 1;
    memcpy(c->meter_bus, "none", 5);
    c->meter_unit = 1;
    c->meter_timeout_ms = 1000;
    c->imd_model = BOARD_IMD_NONE;
    c->imd_rated_voltage_v = 1000;
    c->link_tcp_port = 15118;
    c->link_tls_port = 15119;
    c->link_modem = true;
    c->capture_max_mb = 100;
    c->capture_files = 5;
    c->ovm_device = BOARD_OVM_NONE;
    memcpy(c->ovm_sources, "ovm,imd,meter,stage", 20);
    c->ovm_stale_ms = 1500;
    memcpy(c->v2g_protocols, "iso2,din", 9);
    hlc_default_protocols(&c->v2g_list);
    c->board_io = BOARD_IO_NONE;
    c->chargesom_timeout_ms = 1000;
    c->chargesom_startup_ms = 300;
    c->chargesom_timeout_closed_ms = 350;
    c->chargesom_recover = true;
    c->chargesom_recover_holdoff_ms = 10000;
    c->chargesom_recover_holdoff_max_ms = 600000;
    c->chargesom_recover_stable_ms = 300000;
    c->chargesom_reset_pulse_ms = 100;
}

/* ovm.sources: a comma-separated subset of the source names, each at most once. */
static const char *board_config_ovm_sources(const char *text, uint8_t *mask)
{
    static const enum charger_vsource sources[] = {CHARGER_VSRC_OVM, CHARGER_VSRC_IMD, CHARGER_VSRC_METER,
                                                   CHARGER_VSRC_STAGE};
    *mask = 0;
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof sources / sizeof sources[0]; k++) {
            const char *name = charger_vsource_name(sources[k]);
            if (strlen(name) == n && strncmp(p, name, n) == 0) {
                bit = 1u << sources[k];
            }
        }
        if (bit == 0) {
            return "expected a list of ovm, imd, meter, stage (e.g. ovm,stage)";
        }
        if (*mask & bit) {
            return "a source is listed twice";
        }
        *mask = (uint8_t)(*mask | bit);
        p += n;
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                return "trailing comma";
            }
        }
    }
    return *mask == 0 ? "at least one source is needed" : NULL;
}

static int board_config_number(const char *s, char **end, unsigned long *v)
{
    errno = 0;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    *v = strtoul(s, end, 0);
    return errno != 0 ? -1 : 0;
}

int board_config_modules(const char *text, uint8_t *addrs, uint8_t *count, const char **why)
{
    const char *p = text;
    *count = 0;
    while (*p != '\0') {
        unsigned long lo, hi;
        char *end = NULL;
        if (board_config_number(p, &end, &lo) != 0) {
            *why = "expected module addresses like 0,1,2 or 0-3";
            return -1;
        }
        hi = lo;
        if (*end == '-') {
            if (board_config_number(end + 1, &end, &hi) != 0 || hi < lo) {
                *why = "a range must be LOW-HIGH with LOW <= HIGH";
                return -1;
            }
        }
        if (hi > INFY_ADDR_MODULE_MAX) {
            *why = "module addresses must be 0x00..0x3B (0..59)";
            return -1;
        }
        for (unsigned long a = lo; a <= hi; a++) {
            if (*count >= CFG_INFY_MAX_MODULES) {
                *why = "too many modules";
                return -1;
            }
            for (unsigned k = 0; k < *count; k++) {
                if (addrs[k] == a) {
                    *why = "a module address is listed twice";
                    return -1;
                }
            }
            addrs[(*count)++] = (uint8_t)a;
        }
        if (*end == ',') {
            end++;
            if (*end == '\0') {
                *why = "trailing comma";
                return -1;
            }
        } else if (*end != '\0') {
            *why = "expected module addresses like 0,1,2 or 0-3";
            return -1;
        }
        p = end;
    }
    if (*count == 0) {
        *why = "no module address given";
        return -1;
    }
    return 0;
}

/* The line on which KEY is set (for errors found after the parse), 0 if absent. */
static unsigned board_config_line_of(const char *text, size_t len, const char *key)
{
    unsigned line = 1;
    size_t klen = strlen(key);
    size_t i = 0;
    while (i < len) {
        size_t s = i;
        while (s < len && (text[s] == ' ' || text[s] == '\t')) {
            s++;
        }
        if (len - s > klen && memcmp(text + s, key, klen) == 0 &&
            (text[s + klen] == ' ' || text[s + klen] == '\t' || text[s + klen] == '=')) {
            return line;
        }
        while (i < len && text[i] != '\n') {
            i++;
        }
        i++;
        line++;
    }
    return 0;
}

static void board_config_fail(FILE *err, const char *path, const char *text, size_t len,
                              const char *key, const char *reason)
{
    unsigned line = board_config_line_of(text, len, key);
    if (line != 0) {
        fprintf(err, "%s:%u: %s: %s\n", path, line, key, reason);
    } else {
        fprintf(err, "%s: %s: %s\n", path, key, reason);
    }
}

/* A Modbus bus spec: "rtu:DEV[,BAUD[,8N1]]" or "tcp:HOST:PORT". */
static const char *board_config_bus(const char *spec)
{
    struct linux_modbus_config mc;
    if (strncmp(spec, "rtu:", 4) != 0 && strncmp(spec, "tcp:", 4) != 0) {
        return "expected rtu:DEV,BAUD,8N1 or tcp:HOST:PORT or none";
    }
    if (linux_modbus_parse(spec, LINUX_MODBUS_RTU, &mc) != HAL_OK) {
        return strncmp(spec, "rtu:", 4) == 0
                   ? "bad serial bus: expected rtu:DEV,BAUD,8N1 (baud 1..4000000, framing 8N1, 8E1, 7O2, ...)"
                   : "bad TCP bus: expected tcp:HOST:PORT with PORT 1..65535";
    }
    if (mc.kind == LINUX_MODBUS_TCP && strrchr(spec + 4, ':') == NULL) {
        return "bad TCP bus: expected tcp:HOST:PORT with PORT 1..65535";
    }
    if (mc.kind == LINUX_MODBUS_RTU && mc.device[0] != '/') {
        return "bad serial bus: the device must be an absolute path such as /dev/ttyUSB0";
    }
    return NULL;
}

/* meter.public_key / meter.public_key_file: one of them, with a meter, and a key. */
static int board_config_meter_key(struct board_config *c, const char *path, const char *text,
                                  size_t len, FILE *err)
{
    char hex[1024];
    const char *key = c->meter_public_key[0] != '\0' ? "meter.public_key" : "meter.public_key_file";
    c->meter_pin_len = 0;
    if (c->meter_public_key[0] == '\0' && c->meter_public_key_file[0] == '\0') {
        return 0;
    }
    if (c->meter_public_key[0] != '\0' && c->meter_public_key_file[0] != '\0') {
        board_config_fail(err, path, text, len, "meter.public_key_file",
                          "give meter.public_key or meter.public_key_file, not both");
        return -1;
    }
    if (strcmp(c->meter_bus, "none") == 0) {
        board_config_fail(err, path, text, len, key, "given, but meter.bus is none");
        return -1;
    }
    size_t n = 0;
    if (c->meter_public_key[0] != '\0') {
        n = strlen(c->meter_public_key);
        memcpy(hex, c->meter_public_key, n + 1u);
    } else {
        FILE *f = fopen(c->meter_public_key_file, "r");
        if (f == NULL) {
            char msg[112];
            snprintf(msg, sizeof msg, "cannot read '%.60s': %s", c->meter_public_key_file, strerror(errno));
            board_config_fail(err, path, text, len, key, msg);
            return -1;
        }
        /* Hex with any whitespace (line breaks of a pasted key) between the digits. */
        int ch;
        while ((ch = fgetc(f)) != EOF && n < sizeof hex - 1u) {
            if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                hex[n++] = (char)ch;
            }
        }
        bool too_long = ch != EOF;
        fclose(f);
        hex[n] = '\0';
        if (too_long) {
            board_config_fail(err, path, text, len, key, "the file holds more than a public key");
            return -1;
        }
    }
    if (ocmf_pubkey_from_hex(hex, n, c->meter_pin, sizeof c->meter_pin, &c->meter_pin_len) != HAL_OK) {
        c->meter_pin_len = 0;
        board_config_fail(err, path, text, len, key,
                          "not a public key: expected the hex of an uncompressed point (04...) or of a "
                          "DER SubjectPublicKeyInfo");
        return -1;
    }
    return 0;
}

/* The certificate's public key must be the key's: else every TLS handshake fails later. */
static int board_config_tls_pair(const char *cert_path, const char *key_path, const char **key_name,
                                 char *why, size_t cap)
{
    *key_name = "link.tls_key";
    int rc = -1;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    FILE *f = fopen(cert_path, "r");
    if (f != NULL) {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    f = fopen(key_path, "r");
    if (f != NULL) {
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (cert == NULL) {
        *key_name = "link.tls_cert";
        snprintf(why, cap, "'%.60s' holds no PEM certificate", cert_path);
    } else if (key == NULL) {
        snprintf(why, cap, "'%.60s' holds no PEM private key (or it is encrypted)", key_path);
    } else if (X509_check_private_key(cert, key) != 1) {
        snprintf(why, cap, "the private key does not match the certificate in link.tls_cert");
    } else {
        rc = 0;
    }
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* The file being validated, for naming the line of a key in errors found after the parse. */
struct board_config_ctx {
    FILE *err;
    const char *path;
    const char *text;
    size_t len;
    unsigned errors;
};

static void board_config_bad(struct board_config_ctx *x, const char *key, const char *reason)
{
    board_config_fail(x->err, x->path, x->text, x->len, key, reason);
    x->errors++;
}

/* Checks that span several keys or need more than a type and a range. Every problem is
 * reported; a check whose input is already known to be wrong is skipped. */
static void board_config_check(struct board_config *c, struct board_config_ctx *x)
{
    const char *why = NULL;
    char msg[160];
    const char *mkey = NULL;
    if (board_mqtt_check(&c->mqtt, &mkey, &why) != 0) {
        board_config_bad(x, mkey, why);
    }
    if (board_ocpp_check(&c->ocpp, &mkey, &why) != 0) {
        board_config_bad(x, mkey, why);
    }
    if ((why = board_config_ovm_sources(c->ovm_sources, &c->ovm_source_mask)) != NULL) {
        board_config_bad(x, "ovm.sources", why);
    }
    char v2g_why[96];
    if (hlc_parse_protocols(c->v2g_protocols, &c->v2g_list, v2g_why, sizeof v2g_why) != HAL_OK) {
        board_config_bad(x, "v2g.protocols", v2g_why);
    }
    /* InfyPower proves "off" by reading every module back, one module per poll (up to
     * 1 s apart), and the modules need some 500 ms to ramp down: below 1.5 s the
     * interlock would open the contactors under load in an ordinary stop. */
    if (c->power_down_timeout_ms == 0) {
        c->power_down_timeout_ms = c->psu_type == BOARD_PSU_INFY ? BOARD_INFY_POWER_DOWN_MIN_MS : 500u;
        c->power_down_defaulted = true;
    } else if (c->psu_type == BOARD_PSU_INFY && c->power_down_timeout_ms < BOARD_INFY_POWER_DOWN_MIN_MS) {
        board_config_bad(x, "interlock.power_down_timeout_ms",
                         "below 1500 ms with psu.type = infy: the modules' \"off\" is proven by reading "
                         "each one back (one poll, up to 1 s) after a ramp-down of some 500 ms; a shorter "
                         "wait opens the contactors under load");
    }
    if (board_config_meter_key(c, x->path, x->text, x->len, x->err) != 0) {
        x->errors++;
    }
    if (c->board_io == BOARD_IO_CHARGESOM && c->chargesom_tty[0] == '\0') {
        board_config_bad(x, "chargesom.tty", "required when board.io is chargesom");
    } else if (c->board_io != BOARD_IO_CHARGESOM && c->chargesom_tty[0] != '\0') {
        board_config_bad(x, "chargesom.tty", "given, but board.io is not chargesom");
    }
    if (c->chargesom_recover_holdoff_max_ms < c->chargesom_recover_holdoff_ms) {
        board_config_bad(x, "chargesom.recover_holdoff_max_ms", "below chargesom.recover_holdoff_ms");
    }
    if (c->chargesom_reset_gpio[0] != '\0' && strchr(c->chargesom_reset_gpio, ':') == NULL) {
        board_config_bad(x, "chargesom.reset_gpio", "expected CHIP:LINE, e.g. /dev/gpiochip2:nSAFETY_RESET_INT");
    } else if (c->chargesom_reset_gpio[0] != '\0' && c->board_io != BOARD_IO_CHARGESOM) {
        board_config_bad(x, "chargesom.reset_gpio", "given, but board.io is not chargesom");
    }
    /* Their values are the Linux board's to parse (linux_kio_set): here only whether they
     * belong to the chosen backend. */
    for (unsigned i = 0; i < BOARD_KIO_KEYS; i++) {
        char key[32];
        if (c->kio_text[i][0] != '\0' && c->board_io != BOARD_IO_KERNEL) {
            snprintf(key, sizeof key, "kio.%s", board_config_kio_names[i]);
            board_config_bad(x, key, "given, but board.io is not kernel");
        }
    }
    if (c->imd_lab_override && c->imd_model != BOARD_IMD_NONE) {
        board_config_bad(x, "imd.lab_override_no_monitor",
                         "true, but imd.model names a monitor: the override is only for a charger "
                         "without one");
    }
    if (strcmp(c->meter_bus, "none") != 0 && (why = board_config_bus(c->meter_bus)) != NULL) {
        board_config_bad(x, "meter.bus", why);
    }
    if (c->imd_model != BOARD_IMD_NONE) {
        if (c->imd_bus[0] == '\0' || strcmp(c->imd_bus, "none") == 0) {
            board_config_bad(x, "imd.bus", "required when imd.model is bender or dold");
        } else if ((why = board_config_bus(c->imd_bus)) != NULL) {
            board_config_bad(x, "imd.bus", why);
        }
    } else if (c->imd_bus[0] != '\0' && strcmp(c->imd_bus, "none") != 0) {
        board_config_bad(x, "imd.bus", "given, but imd.model is none");
    }
    if ((c->link_tls_cert[0] == '\0') != (c->link_tls_key[0] == '\0')) {
        board_config_bad(x, c->link_tls_cert[0] ? "link.tls_key" : "link.tls_cert",
                         "link.tls_cert and link.tls_key go together");
    }
    if (c->capture_file[0] != '\0' && c->link_interface[0] == '\0') {
        board_config_bad(x, "capture.file", "a capture needs link.interface");
    }
    if (c->link_tls_cert[0] != '\0' && c->link_interface[0] == '\0') {
        board_config_bad(x, "link.tls_cert", "TLS needs link.interface");
    }
    if (c->link_tls_cert[0] != '\0' && c->link_tls_port != 0 && c->link_tls_port == c->link_tcp_port) {
        board_config_bad(x, "link.tls_port", "must differ from link.tcp_port");
    }
    if (c->link_tls_client_cert != BOARD_TLS_CLIENT_NONE &&
        (c->link_tls_cert[0] == '\0' || c->link_tls_client_ca[0] == '\0')) {
        board_config_bad(x, "link.tls_client_cert",
                         "asking cars for a certificate needs TLS (link.tls_cert) and their roots (link.tls_client_ca)");
    }
    if (c->link_tls_ocsp_response[0] != '\0' && c->link_tls_cert[0] == '\0') {
        board_config_bad(x, "link.tls_ocsp_response", "given, but there is no TLS (link.tls_cert)");
    }
    if (c->link_tls_client_ca[0] != '\0' && c->link_tls_client_cert == BOARD_TLS_CLIENT_NONE) {
        board_config_bad(x, "link.tls_client_ca", "given, but link.tls_client_cert is none");
    }
    const char *files[3][2] = {{"link.tls_cert", c->link_tls_cert},
                               {"link.tls_key", c->link_tls_key},
                               {"link.tls_client_ca", c->link_tls_client_ca}};
    bool files_ok = c->link_tls_cert[0] != '\0' && c->link_tls_key[0] != '\0';
    for (int i = 0; i < 3; i++) {
        if (files[i][1][0] != '\0') {
            FILE *f = fopen(files[i][1], "r");
            if (f == NULL) {
                snprintf(msg, sizeof msg, "cannot read '%.60s': %s", files[i][1], strerror(errno));
                board_config_bad(x, files[i][0], msg);
                files_ok = files_ok && i == 2; /* the pair check needs only the first two */
                continue;
            }
            fclose(f);
        }
    }
    const char *bad_key;
    if (files_ok && board_config_tls_pair(c->link_tls_cert, c->link_tls_key, &bad_key, msg, sizeof msg) != 0) {
        board_config_bad(x, bad_key, msg);
    }
    /* What the pilot-level session exports must fit the connector it goes through. */
    if (c->export_voltage_v > c->max_voltage_v) {
        snprintf(msg, sizeof msg, "%lu V is above the connector rating charger.max_voltage_v = %lu V",
                 (unsigned long)c->export_voltage_v, (unsigned long)c->max_voltage_v);
        board_config_bad(x, "charger.export_voltage_v", msg);
    }
    if (c->export_current_a > c->max_current_a) {
        snprintf(msg, sizeof msg, "%lu A is above the connector rating charger.max_current_a = %lu A",
                 (unsigned long)c->export_current_a, (unsigned long)c->max_current_a);
        board_config_bad(x, "charger.export_current_a", msg);
    }

    /* The power stage: CAN, the module list, then the driver's own configuration check.
     * The driver's reason does not name a key, so each key is tried alone against the
     * defaults to find the one it refers to. */
    struct infy_config *ic = &c->infy;
    infy_default_config(ic);
    if (c->psu_type == BOARD_PSU_HUAWEI) {
        struct hal_ip6_endpoint ep;
        if (c->huawei_host[0] == '\0') {
            board_config_bad(x, "huawei.host", "required with psu.type = huawei");
        } else if (hal_ip4_parse(c->huawei_host, (uint16_t)c->huawei_port, &ep) != HAL_OK) {
            board_config_bad(x, "huawei.host", "not an IPv4 address");
        }
        if (c->huawei_goose_if[0] == '\0') {
            board_config_bad(x, "huawei.goose_if", "required with psu.type = huawei");
        }
        bool a = c->huawei_tls_ca[0] != '\0', b = c->huawei_tls_cert[0] != '\0', k = c->huawei_tls_key[0] != '\0';
        if ((a || b || k) && !(a && b && k)) {
            board_config_bad(x, !a ? "huawei.tls_ca" : !b ? "huawei.tls_cert" : "huawei.tls_key",
                             "mutual TLS needs all three of huawei.tls_ca, tls_cert and tls_key");
        }
    }
    if (c->psu_type != BOARD_PSU_INFY) {
        return;
    }
    if (c->can_interface[0] == '\0') {
        board_config_bad(x, "can.interface", "required with psu.type = infy");
    }
    if (c->infy_addressing == INFY_ADDRESSING_FIXED) {
        if (c->infy_modules[0] == '\0') {
            board_config_bad(x, "infy.modules", "required with psu.type = infy and fixed addressing");
            return;
        }
        if (board_config_modules(c->infy_modules, ic->addresses, &ic->count, &why) != 0) {
            board_config_bad(x, "infy.modules", why);
            return;
        }
    } else if (c->infy_modules[0] != '\0') {
        board_config_bad(x, "infy.modules", "given, but infy.addressing is group");
        return;
    }
    ic->addressing = (enum infy_addressing)c->infy_addressing;
    ic->group = (uint8_t)c->infy_group;
    ic->controller = (uint8_t)c->infy_controller;
    ic->offline_timeout_ms = c->infy_offline_timeout_ms;
    ic->poll_period_ms = c->infy_poll_period_ms;
    ic->safe_current_ma = c->safe_current_ma;
    ic->power_down_timeout_ms = c->power_down_timeout_ms;
    if (infy_config_check(ic, &why) != HAL_OK) {
        static const char *const names[] = {"infy.offline_timeout_ms", "infy.poll_period_ms",
                                            "infy.controller", "infy.group", "infy.modules"};
        const char *key = "psu.type";
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            struct infy_config t;
            infy_default_config(&t);
            t.count = 1; /* a valid base: one module at address 0 */
            if (k == 0) {
                t.offline_timeout_ms = ic->offline_timeout_ms;
            } else if (k == 1) {
                t.poll_period_ms = ic->poll_period_ms;
            } else if (k == 2) {
                t.controller = ic->controller;
            } else if (k == 3) {
                t.addressing = ic->addressing;
                t.group = ic->group;
            } else {
                memcpy(t.addresses, ic->addresses, sizeof t.addresses);
                t.count = ic->count;
            }
            if (infy_config_check(&t, NULL) != HAL_OK) {
                key = names[k];
                break;
            }
        }
        board_config_bad(x, key, why);
    }
}

/* A problem found by the parser, printed as it comes; the parse goes on. */
static bool board_config_parse_error(void *ctx, const struct config_error *e)
{
    struct board_config_ctx *x = ctx;
    if (e->line != 0) {
        fprintf(x->err, "%s:%u: ", x->path, e->line);
    } else {
        fprintf(x->err, "%s: ", x->path);
    }
    if (e->key[0] != '\0') {
        fprintf(x->err, "%s: ", e->key);
    }
    fprintf(x->err, "%s\n", e->reason);
    return false;
}

/* The file as read (static: the board owns it; too large for a small stack). Kept for
 * board_config_check_system(), which names lines too. */
static char s_text[BOARD_CONFIG_FILE_MAX + 1];
static size_t s_text_len;

int board_config_load(struct board_config *c, const char *path, FILE *err)
{
    s_text_len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(s_text, 1, sizeof s_text, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error) {
        fprintf(err, "%s: read error\n", path);
        return -1;
    }
    if (n > BOARD_CONFIG_FILE_MAX) {
        fprintf(err, "%s: file larger than %d bytes\n", path, BOARD_CONFIG_FILE_MAX);
        return -1;
    }
    s_text_len = n;
    struct board_config_ctx x = {.err = err, .path = path, .text = s_text, .len = n};
    x.errors = config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], c, s_text, n,
                                board_config_parse_error, &x);
    /* The checks across keys run even after a bad line: a person fixing the file wants
     * every problem at once. Keys that failed to parse keep their defaults here. */
    board_config_check(c, &x);
    if (x.errors != 0) {
        fprintf(err, "%s: %u error%s\n", path, x.errors, x.errors == 1 ? "" : "s");
    }
    return x.errors == 0 ? 0 : -1;
}

/* The device behind a serial bus spec exists and is a character device. */
static void board_config_serial(struct board_config_ctx *x, const char *key, const char *spec)
{
    struct linux_modbus_config mc;
    if (strncmp(spec, "rtu:", 4) != 0 || linux_modbus_parse(spec, LINUX_MODBUS_RTU, &mc) != HAL_OK) {
        return;
    }
    struct stat st;
    char msg[160];
    if (stat(mc.device, &st) != 0) {
        snprintf(msg, sizeof msg, "serial device '%.60s': %s", mc.device, strerror(errno));
        board_config_bad(x, key, msg);
    } else if (!S_ISCHR(st.st_mode)) {
        snprintf(msg, sizeof msg, "'%.60s' is not a serial (character) device", mc.device);
        board_config_bad(x, key, msg);
    }
}

static void board_config_netif(struct board_config_ctx *x, const char *key, const char *name)
{
    if (name[0] != '\0' && if_nametoindex(name) == 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "no network interface '%.20s' on this machine", name);
        board_config_bad(x, key, msg);
    }
}

/* The store directory, or the nearest existing parent it would be created in, must be a
 * writable directory: the journal must be able to record a transaction. */
static void board_config_store(struct board_config_ctx *x, const char *dir)
{
    char p[sizeof ((struct board_config *)0)->store_dir];
    char msg[200];
    snprintf(p, sizeof p, "%s", dir);
    struct stat st;
    while (stat(p, &st) != 0) {
        char *slash = strrchr(p, '/');
        if (errno != ENOENT || slash == NULL) {
            snprintf(msg, sizeof msg, "'%.60s': %s", p, strerror(errno));
            board_config_bad(x, "store.dir", msg);
            return;
        }
        if (slash == p) {
            slash[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(msg, sizeof msg, "'%.60s' is not a directory", p);
        board_config_bad(x, "store.dir", msg);
    } else if (access(p, W_OK | X_OK) != 0) {
        snprintf(msg, sizeof msg, "'%.60s' is not writable: %s", p, strerror(errno));
        board_config_bad(x, "store.dir", msg);
    }
}

int board_config_check_system(const struct board_config *c, const char *path, FILE *err)
{
    struct board_config_ctx x = {.err = err, .path = path, .text = s_text, .len = s_text_len};
    board_config_store(&x, c->store_dir);
    if (strcmp(c->meter_bus, "none") != 0) {
        board_config_serial(&x, "meter.bus", c->meter_bus);
    }
    if (c->imd_model != BOARD_IMD_NONE) {
        board_config_serial(&x, "imd.bus", c->imd_bus);
    }
    if (c->psu_type == BOARD_PSU_INFY) {
        board_config_netif(&x, "can.interface", c->can_interface);
    }
    if (c->psu_type == BOARD_PSU_HUAWEI) {
        board_config_netif(&x, "huawei.goose_if", c->huawei_goose_if);
    }
    if (c->board_io == BOARD_IO_CHARGESOM && access(c->chargesom_tty, R_OK | W_OK) != 0) {
        board_config_bad(&x, "chargesom.tty", strerror(errno));
    }
    board_config_netif(&x, "link.interface", c->link_interface);
    const char *mkey = NULL, *mwhy = NULL;
    if (board_mqtt_check_files(&c->mqtt, &mkey, &mwhy) != 0) {
        board_config_bad(&x, mkey, mwhy);
    }
    if (board_ocpp_check_files(&c->ocpp, &mkey, &mwhy) != 0) {
        board_config_bad(&x, mkey, mwhy);
    }
    if (x.errors != 0) {
        fprintf(err, "%s: %u problem%s on this machine\n", path, x.errors, x.errors == 1 ? "" : "s");
    }
    return x.errors == 0 ? 0 : -1;
}

void board_config_describe(FILE *out)
{
    for (size_t i = 0; i < sizeof s_keys / sizeof s_keys[0]; i++) {
        const struct config_key *k = &s_keys[i];
        fprintf(out, "  %-34s %s\n", k->name, k->help);
    }
}

void board_config_apply_connector(const struct board_config *b, struct charger_config *cc)
{
    cc->export_voltage_mv = b->export_voltage_v * 1000u;
    cc->export_current_ma = b->export_current_a * 1000u;
    cc->max_voltage_mv = b->max_voltage_v * 1000u;
    cc->max_current_ma = b->max_current_a * 1000u;
    cc->max_power_w = b->max_power_kw * 1000u;
    cc->pause_timeout_ms = b->pause_timeout_s * 1000u;
    cc->imd_lab_override = b->imd_lab_override;
    cc->pilot.debounce_ms = b->pilot_debounce_ms;
    cc->interlock.safe_current_ma = b->safe_current_ma;
    cc->interlock.power_down_timeout_ms = b->power_down_timeout_ms;
    cc->interlock.contactor_timeout_ms = b->contactor_timeout_ms;
    cc->interlock.lock_timeout_ms = b->lock_timeout_ms;
    /* The over-voltage monitor reads the freshest of the allowed sources (the isolation
     * monitor's voltage, the meter's, the stage's read-back, an OVM device). */
    cc->voltage_sources = b->ovm_source_mask;
    cc->voltage_stale_ms = b->ovm_stale_ms;
}
