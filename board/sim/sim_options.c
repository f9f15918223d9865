/* sim_options.c - owns the simulator's command line (struct sim_options): --help, parsing,
 * the Linux board's configuration file read with that board's own reader, and the checks
 * that turn a bad request into exit status 2 before anything starts. */
#include "sim_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_capture.h"
#include "sim_infy.h"
#include "sim_scenario.h"

static void sim_usage(FILE *f)
{
    fprintf(f,
            "usage: sim [options]\n"
            "Runs the charger firmware against simulated DIN 70121 / ISO 15118-2 / -20 cars,\n"
            "contactors, lock, power modules, isolation monitor and meter, on a virtual clock\n"
            "(much faster than real time unless --realtime). Each session goes plug-in, SLAC,\n"
            "SDP, V2GTP, SessionSetup .. SessionStop, cable check, pre-charge, current demand,\n"
            "welding detection, unlock, unplug. The charger speaks iso2,din (v2g.protocols of --config). The connectors form one station (docs/station.md):\n"
            "its events (status in OCPP terms, sessions, errors, EV information) are logged.\n"
            "\n"
            "  --connectors N   chargers in this one process, 1..%d (default 1)\n"
            "  --sessions N     sessions per connector (default 1)\n"
            "  --station-limit-w W  the station's power limit in W, shared among the\n"
            "                   connectors that draw power (docs/station.md; default: none)\n"
            "  --station-limit-at T:W  at T s (simulated) set the station's limit to W (up to 4,\n"
            "                   ascending T): an ISO-2 car is asked to renegotiate its schedule\n"
            "  --profile NAME   car: standard, tesla, ioniq, polestar, tesla-precharge-stop\n"
            "                   (DIN 70121); iso2 (ISO 15118-2 only), iso2-din (ISO-2 first,\n"
            "                   DIN second), iso2-pause (iso2 that pauses with SessionStop(Pause)\n"
            "                   after 20 s of charging and resumes 5 s later on a new connection);\n"
            "                   iso20 (ISO 15118-20 DC only, scheduled control mode),\n"
            "                   iso20-dynamic (dynamic control mode), iso20-pause (iso20 that\n"
            "                   pauses like iso2-pause), iso20-auto (-20 first, then ISO-2, DIN),\n"
            "                   iso20-standby (iso20 that stands by 5 s, 10 s into the loop)\n"
            "                   (default standard)\n"
            "  --renegotiate-s S  the car (ISO-2, -20) asks once for new schedules after S s of\n"
            "                   charging (PowerDelivery Renegotiate / ScheduleRenegotiation)\n"
            "  --resume-s S     a pausing car (iso2-pause) comes back after S s paused; 0 = never\n"
            "                   (the charger ends the session after its pause timeout, 300 s)\n"
            "  --protocol P     what the car offers: din (DIN 70121 only), iso2 (ISO 15118-2\n"
            "                   only), auto (both, ISO-2 first: the charger picks ISO-2), iso20\n"
            "                   (ISO 15118-20 DC only; the control mode is the profile's) or\n"
            "                   auto20 (-20 DC, ISO-2, DIN in that order of priority);\n"
            "                   default: the profile's (DIN for the DIN profiles)\n"
            "  --soc-start P    state of charge at plug-in, %% (default 30)\n"
            "  --soc-target P   the car stops at this state of charge, %% (default 80)\n"
            "  --charge-s S     the car stops after S s of current demand (default 60;\n"
            "                   0 = only at the target)\n"
            "  --modules N      30 kW power modules per connector, 1..%d (default 4)\n"
            "  --psu KIND       infy: the real InfyPower driver over an in-memory CAN bus\n"
            "                   (default); ideal: a simple model; huawei: the real Huawei\n"
            "                   FusionCharge driver, each connector a dispenser of one\n"
            "                   simulated unit (Modbus over in-memory TCP, GOOSE with HMAC;\n"
            "                   the output is what the unit grants; docs/huawei.md)\n"
            "  --fault NAME     estop, unplug, weld, lock, psu-stuck, psu-hot, evse-stop (2 s\n"
            "                   into the first current demand); diode, isolation, imd, meter\n"
            "                   (from the first plug-in)\n"
            "  --scenario NAME  run one fault-injection scenario (docs/faults.md): one connector,\n"
            "                   the faulty session then a clean one, invariants checked from the\n"
            "                   plant state every ms; exit 0 only when every invariant held\n"
            "  --list-scenarios print the scenario names and exit\n"
            "  --report-dir DIR with --scenario: write DIR/NAME.txt and DIR/NAME.svg; without:\n"
            "                   a session report per connector, DIR/cpN.html (plot, phases\n"
            "                   against the standard's limits, log lines, stop reason) with\n"
            "                   DIR/cpN.svg, .png, made by the v2g-report tool (found beside this\n"
            "                   program's tree, or $V2G_REPORT) from DIR/cpN.csv, DIR/cpN.pcapng\n"
            "                   (unless --out) and DIR/sim.log; DIR is created (exit 2 when it\n"
            "                   cannot be); a page that cannot be made: exit 1\n"
            "  --out DIR        per connector: a capture of every layer of the link (pcapng:\n"
            "                   HomePlug/SLAC, SDP, TCP with its handshake, V2GTP) and a time\n"
            "                   series (csv: a row each second and one per event: EV request,\n"
            "                   EVSE limits, setpoints, pilot, contactors, lock); default\n"
            "                   build/sim, created; exit 2 when it cannot be; '-' = none\n"
            "  --epoch S        Unix time of simulated time 0 in the capture (default %lu =\n"
            "                   2026-01-01T00:00:00Z; written in the pcapng's header comment)\n"
            "  --config FILE    read the Linux board's configuration file (charger --help lists\n"
            "                   the keys), validated the same way (FILE:LINE: KEY: REASON, exit 2).\n"
            "                   Used: charger.* (not .name: connectors are cp0..cp3), pilot.*,\n"
            "                   interlock.*, ovm.*, infy.poll_period_ms, infy.offline_timeout_ms;\n"
            "                   checked but not used (the simulator has its own): can.*, store.*,\n"
            "                   psu.type, infy.modules/addressing/group/controller, meter.*,\n"
            "                   imd.*, link.*, log.*. Without it: the defaults, and a simulated\n"
            "                   over-voltage monitor fitted (ovm.device = sim)\n"
            "  --mqtt HOST:PORT the MQTT API (docs/mqtt.md) on that broker, in real time (implies\n"
            "                   --realtime); the file's mqtt.* keys (--config) give TLS, user,\n"
            "                   client id, base topic, dead-band, interval, installer; a held fault\n"
            "                   then waits for the integrator's reset command\n"
            "  --max-s S        stop after S simulated seconds (default 900)\n"
            "  --realtime       run at wall-clock speed\n"
            "  --plug-after-start  the first car plugs in only once a token waits for it (a\n"
            "                   remote start from the CSMS first, as a driver starting from an app)\n"
            "  --pnc            ISO 15118-2 Plug & Charge (implies --protocol iso2): the car pays with\n"
            "                   a contract certificate, the charger validates its chain against\n"
            "                   the mobility-operator roots and checks its signature; the eMAID\n"
            "                   is the session's token. The test PKI is made by\n"
            "                   the test PKI script of v2g-pki (openssl) into build/pnc-pki, or reused.\n"
            "                   The in-memory link has no TLS: Contract is offered over it by the\n"
            "                   lab switch (docs/pnc.md). The charger's roots: pnc.mo_roots of\n"
            "                   --config, else the PKI's MO root\n"
            "  --pki DIR        the test PKI's directory (made there when it holds none)\n"
            "  --contract-chain FILE, --contract-key FILE  the car's contract chain (PEM/DER,\n"
            "                   leaf first) and its P-256 key (PEM) instead of the PKI's good one\n"
            "  --cert-install   with --pnc: the car has no contract, only the PKI's OEM provisioning\n"
            "                   certificate; it installs one through CertificateInstallation (the\n"
            "                   charger's local CA provider, pnc.cert_provider = ca over the PKI)\n"
            "                   and pays with it in the same session (docs/pnc.md)\n"
            "  --cert-update    with --pnc: the car updates its contract first (CertificateUpdate)\n"
            "  --id-tag TAG[,TAG...]  a token reader: each session's car waits for its token (the\n"
            "                   k-th session of the run the k-th, the last one again after the list;\n"
            "                   at most 8, 1..19 characters), presented as the car plugs in. With\n"
            "                   --ocpp it goes through the charge point's authorisation (local list,\n"
            "                   cache, LocalPreAuthorize, Authorize, the offline rules): Accepted\n"
            "                   starts the transaction with it, anything else refuses the session\n"
            "                   (no transaction, no power); without, the station accepts it\n"
            "  --ocpp URL       run against a real OCPP 1.6J CSMS (implies --realtime): URL is\n"
            "                   ws[s]://HOST[:PORT][/PATH]/IDENTITY; the simulator ends once its\n"
            "                   transactions are delivered or after --ocpp-drain-s S (60)\n"
            "  --ocpp-password P  Basic authentication (security profiles 1, 2)\n"
            "  --ocpp-ca FILE   PEM CA of the CSMS's certificate (wss://, profile 2)\n"
            "  --ocpp-cert FILE, --ocpp-key FILE  client certificate and key (profile 3)\n"
            "  --ocpp-store DIR  keep each connector's meter journal in DIR/cN on disk (default:\n"
            "                   in memory): a simulator killed and started again on the same\n"
            "                   DIR delivers what the CSMS has not confirmed, once; what the\n"
            "                   CSMS configured (keys, local list, cache, reservations,\n"
            "                   charging profiles), queued MeterValues and firmware jobs are\n"
            "                   kept in DIR/ocpp.store; the roots it installs and the client\n"
            "                   certificate it signs (with its key) in DIR too\n"
            "  --ocpp-fw-dir DIR  answer UpdateFirmware, GetDiagnostics and GetLog: the image\n"
            "                   and the upload files go to DIR (docs/ocpp.md \"Firmware\")\n"
            "  --ocpp-fw-install CMD  run CMD IMAGE to install (exit 0 Installed, 3\n"
            "                   InstallVerificationFailed, else InstallationFailed)\n"
            "  --ocpp-fw-root FILE  manufacturer root (PEM): SignedUpdateFirmware only\n"
            "  --ocpp-diag-cmd CMD  run CMD FILE LOGTYPE FROM TO to write the upload file\n"
            "  --quiet          print only the summary\n"
            "  --version        print the version and exit\n"
            "  -h, --help       this text\n"
            "\n"
            "Last lines: one 'session N: ok|FAIL stop=... energy_wh=... soc=A->B duration_s=...'\n"
            "per session ('fault-injected' for the session a --scenario strikes: the scenario's\n"
            "own lines judge it), a figure line and PASS/FAIL. Exit status: 0 when every\n"
            "session ended as the scenario expects and the plant's safety monitor saw no\n"
            "violation; 1 otherwise; 2 for bad arguments, an invalid --config file or an output\n"
            "directory that cannot be made.\n",
            SIM_MAX_CONNECTORS, SIM_INFY_MAX, SIM_CAPTURE_EPOCH_DEFAULT);
}

static int sim_number(const char *opt, const char *arg, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = arg != NULL ? strtoul(arg, &end, 10) : 0;
    if (arg == NULL || *arg == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "sim: %s needs a whole number in %lu..%lu, got '%s'\n", opt, lo, hi,
                arg != NULL ? arg : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* One option (and its argument, *i moved past it). Returns -1 to go on, or the exit status. */
static int sim_option(struct sim_options *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
    unsigned long v = 0, resume = 0;
    /* options with a number: name, bounds, where it goes */
    const struct {
        const char *name;
        unsigned long lo, hi;
        unsigned long *out;
    } nums[] = {
        {"--connectors", 1, SIM_MAX_CONNECTORS, &o->connectors},
        {"--charge-s", 0, 86400, &o->charge_s},
        {"--soc-start", 0, 99, &o->soc_start},
        {"--soc-target", 1, 100, &o->soc_target},
        {"--modules", 1, SIM_INFY_MAX, &o->modules},
        {"--max-s", 1, 4000000, &o->max_s},
        {"--station-limit-w", 1, 4000000000ul, &o->station_limit_w},
        {"--epoch", 0, 4102444800ul, &o->epoch_s},
        {"--sessions", 1, 1000, &v},
        {"--resume-s", 0, 86400, &resume},
        {"--renegotiate-s", 1, 86400, &o->renegotiate_s},
        {"--ocpp-drain-s", 1, 86400, &o->ocpp_drain_s},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (strcmp(a, nums[k].name) == 0) {
            if (sim_number(a, next, nums[k].lo, nums[k].hi, nums[k].out) != 0) {
                return 2;
            }
            if (nums[k].out == &v) {
                o->script.sessions = (uint32_t)v;
            }
            if (nums[k].out == &resume) {
                o->resume_s = (long)resume;
            }
            o->charge_set = o->charge_set || nums[k].out == &o->charge_s;
            (*i)++;
            return -1;
        }
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        sim_usage(stdout);
        return 0;
    } else if (strcmp(a, "--version") == 0) {
        printf("sim %s\n", SIM_VERSION);
        return 0;
    } else if (strcmp(a, "--quiet") == 0) {
        o->quiet = true;
        return -1;
    } else if (strcmp(a, "--realtime") == 0) {
        o->realtime = true;
        return -1;
    } else if (strcmp(a, "--plug-after-start") == 0) {
        o->script.wait_for_go = true;
        return -1;
    } else if (strcmp(a, "--list-scenarios") == 0) {
        faults_list(stdout);
        return 0;
    } else if (strcmp(a, "--profile") == 0) {
        if (next == NULL || ev_model_profile_parse(next, &o->car) != HAL_OK) {
            fprintf(stderr, "sim: --profile needs standard, tesla, ioniq, polestar, "
                            "tesla-precharge-stop, iso2, iso2-din, iso2-pause, iso20, iso20-dynamic, "
                            "iso20-pause, iso20-auto or iso20-standby\n");
            return 2;
        }
        o->profile = next;
    } else if (strcmp(a, "--station-limit-at") == 0) {
        char *end = NULL;
        unsigned long t = next != NULL ? strtoul(next, &end, 10) : 0;
        unsigned long w = end != NULL && *end == ':' ? strtoul(end + 1, &end, 10) : 0;
        uint8_t k = o->limit_changes;
        if (next == NULL || end == NULL || *end != '\0' || w == 0 || w > 4000000000ul || t > 4000000ul ||
            k >= 4 || (k > 0 && t * 1000u < o->limit_at_ms[k - 1])) {
            fprintf(stderr, "sim: --station-limit-at needs T:W (seconds:watts, W > 0, at most 4, "
                            "ascending T)\n");
            return 2;
        }
        o->limit_at_ms[k] = (uint32_t)(t * 1000u);
        o->limit_at_w[k] = (uint32_t)w;
        o->limit_changes++;
    } else if (strcmp(a, "--protocol") == 0) {
        struct ev_model_config probe;
        ev_model_default_config(&probe, DIN_EV_PROFILE_STANDARD);
        if (next == NULL || ev_model_protocol_parse(next, &probe) != HAL_OK) {
            fprintf(stderr, "sim: --protocol needs din, iso2, auto, iso20 or auto20\n");
            return 2;
        }
        o->protocol = next;
    } else if (strcmp(a, "--psu") == 0) {
        if (next == NULL || (strcmp(next, "infy") != 0 && strcmp(next, "ideal") != 0 &&
                             strcmp(next, "huawei") != 0)) {
            fprintf(stderr, "sim: --psu needs infy, ideal or huawei\n");
            return 2;
        }
        o->ideal = strcmp(next, "ideal") == 0;
        o->huawei = strcmp(next, "huawei") == 0;
    } else if (strcmp(a, "--out") == 0) {
        if (next == NULL) {
            fprintf(stderr, "sim: --out needs a directory or '-'\n");
            return 2;
        }
        o->out_dir = next;
        o->out_set = true;
    } else if (strncmp(a, "--ocpp", 6) == 0 && (strcmp(a, "--ocpp") == 0 || strcmp(a, "--ocpp-password") == 0 ||
                                                  strcmp(a, "--ocpp-ca") == 0 || strcmp(a, "--ocpp-cert") == 0 ||
                                                  strcmp(a, "--ocpp-key") == 0 || strcmp(a, "--ocpp-store") == 0)) {
        if (next == NULL) {
            fprintf(stderr, "sim: %s needs a value\n", a);
            return 2;
        }
        const char **dst = strcmp(a, "--ocpp") == 0            ? &o->ocpp_url
                           : strcmp(a, "--ocpp-password") == 0 ? &o->ocpp_password
                           : strcmp(a, "--ocpp-ca") == 0       ? &o->ocpp_ca
                           : strcmp(a, "--ocpp-cert") == 0     ? &o->ocpp_cert
                           : strcmp(a, "--ocpp-store") == 0    ? &o->ocpp_store
                                                               : &o->ocpp_key;
        *dst = next;
        o->realtime = o->realtime || dst == &o->ocpp_url; /* a real CSMS lives in real time */
    } else if (strcmp(a, "--ocpp-fw-dir") == 0 || strcmp(a, "--ocpp-fw-install") == 0 ||
               strcmp(a, "--ocpp-fw-root") == 0 || strcmp(a, "--ocpp-diag-cmd") == 0) {
        /* Firmware Management (board_ocpp_fw.c) */
        if (next == NULL || next[0] == '\0') {
            fprintf(stderr, "sim: %s needs a value\n", a);
            return 2;
        }
        const char **dst = strcmp(a, "--ocpp-fw-dir") == 0       ? &o->ocpp_fw_dir
                           : strcmp(a, "--ocpp-fw-install") == 0 ? &o->ocpp_fw_install
                           : strcmp(a, "--ocpp-fw-root") == 0    ? &o->ocpp_fw_root
                                                                 : &o->ocpp_diag_cmd;
        *dst = next;
    } else if (strcmp(a, "--id-tag") == 0) {
        /* TAG[,TAG...]: printable tokens without spaces, each 1..19 characters (the station's
         * token, within OCPP's idTag of 20) */
        o->id_tag_count = 0;
        const char *p = next != NULL ? next : "";
        bool bad = next == NULL || next[0] == '\0';
        while (!bad && *p != '\0') {
            size_t n = strcspn(p, ",");
            bad = n == 0 || n >= SIM_ID_TAG_MAX || o->id_tag_count >= SIM_ID_TAGS;
            for (size_t k = 0; k < n && !bad; k++) {
                bad = p[k] <= ' ' || p[k] > '~';
            }
            if (!bad) {
                memcpy(o->id_tags[o->id_tag_count], p, n);
                o->id_tags[o->id_tag_count][n] = '\0';
                o->id_tag_count++;
            }
            p += n;
            if (*p == ',') {
                p++;
                bad = bad || *p == '\0';
            }
        }
        if (bad) {
            fprintf(stderr, "sim: --id-tag needs TAG[,TAG...]: at most %u tokens of 1..%u printable characters\n",
                    (unsigned)SIM_ID_TAGS, (unsigned)SIM_ID_TAG_MAX - 1u);
            o->id_tag_count = 0;
            return 2;
        }
    } else if (strcmp(a, "--pnc") == 0) {
        o->pnc = true;
        return -1;
    } else if (strcmp(a, "--cert-install") == 0 || strcmp(a, "--cert-update") == 0) {
        *(strcmp(a, "--cert-install") == 0 ? &o->cert_install : &o->cert_update) = true;
        return -1;
    } else if (strcmp(a, "--pki") == 0 || strcmp(a, "--contract-chain") == 0 || strcmp(a, "--contract-key") == 0) {
        if (next == NULL || next[0] == '\0') {
            fprintf(stderr, "sim: %s needs a %s\n", a, strcmp(a, "--pki") == 0 ? "directory" : "file");
            return 2;
        }
        *(strcmp(a, "--pki") == 0 ? &o->pki_dir : strcmp(a, "--contract-chain") == 0 ? &o->contract_chain
                                                                                       : &o->contract_key) = next;
    } else if (strcmp(a, "--config") == 0) {
        if (next == NULL) {
            fprintf(stderr, "sim: --config needs a file (the Linux board's format)\n");
            return 2;
        }
        o->config_path = next;
    } else if (strcmp(a, "--mqtt") == 0) {
        const char *colon = next != NULL ? strrchr(next, ':') : NULL;
        char *end = NULL;
        unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
        if (colon == NULL || colon == next || (size_t)(colon - next) >= sizeof o->bc.mqtt.host || end == colon + 1 ||
            *end != '\0' || port == 0 || port > 65535) {
            fprintf(stderr, "sim: --mqtt needs HOST:PORT (port 1..65535)\n");
            return 2;
        }
        o->mqtt = next;
        o->realtime = true;
    } else if (strcmp(a, "--scenario") == 0) {
        o->scenario = next != NULL ? faults_find(next) : NULL;
        if (o->scenario == NULL) {
            fprintf(stderr, "sim: --scenario needs a name from --list-scenarios\n");
            return 2;
        }
    } else if (strcmp(a, "--report-dir") == 0) {
        if (next == NULL) {
            fprintf(stderr, "sim: --report-dir needs a directory\n");
            return 2;
        }
        o->report_dir = next;
    } else if (strcmp(a, "--fault") == 0) {
        if (next == NULL || plant_fault_parse(next, &o->script.fault) != HAL_OK) {
            fprintf(stderr, "sim: --fault needs one of: estop unplug weld lock diode psu-stuck "
                            "isolation imd meter psu-hot evse-stop\n");
            return 2;
        }
    } else {
        fprintf(stderr, "sim: unknown option '%s' (try --help)\n", a);
        return 2;
    }
    (*i)++;
    return -1;
}

/* The checks after parsing: configuration file, scenario settings, output directories. */
static int sim_options_check(struct sim_options *o)
{
    if (ev_model_profile_parse(o->profile, &o->car) != HAL_OK) {
        return 2;
    }
    if (o->resume_s >= 0) {
        /* 0: never (about 49 days of simulated time: past any --max-s) */
        o->car.resume_after_ms = o->resume_s > 0 ? (uint32_t)o->resume_s * 1000u : 0xF0000000u;
    }
    o->car.renegotiate_after_ms = (uint32_t)o->renegotiate_s * 1000u;
    if (o->protocol != NULL) {
        (void)ev_model_protocol_parse(o->protocol, &o->car); /* checked when parsed */
        if (o->car.pause_after_ms != 0 && o->car.protocol == EV_MODEL_PROTO_DIN) {
            fprintf(stderr, "sim: --profile %s pauses the session: DIN 70121 has no pause (use "
                            "--protocol iso2, auto, iso20 or auto20)\n", o->profile);
            return 2;
        }
    }
    if ((o->pki_dir != NULL || o->contract_chain != NULL || o->contract_key != NULL) && !o->pnc) {
        fprintf(stderr, "sim: --pki, --contract-chain and --contract-key go with --pnc\n");
        return 2;
    }
    if ((o->cert_install || o->cert_update) && !o->pnc) {
        fprintf(stderr, "sim: --cert-install and --cert-update go with --pnc\n");
        return 2;
    }
    if (o->cert_install && o->cert_update) {
        fprintf(stderr, "sim: --cert-install or --cert-update, not both\n");
        return 2;
    }
    if (o->pnc) {
        if (o->protocol == NULL) {
            (void)ev_model_protocol_parse("iso2", &o->car); /* Plug & Charge is ISO 15118-2's */
        } else if (o->car.protocol != EV_MODEL_PROTO_ISO2 && o->car.protocol != EV_MODEL_PROTO_AUTO) {
            fprintf(stderr, "sim: --pnc needs an ISO 15118-2 car (--protocol iso2 or auto)\n");
            return 2;
        }
        if (o->scenario != NULL || o->ocpp_url != NULL) {
            fprintf(stderr, "sim: --pnc does not go with --scenario or --ocpp\n");
            return 2;
        }
    }
    if (o->renegotiate_s != 0 && o->car.protocol == EV_MODEL_PROTO_DIN) {
        fprintf(stderr, "sim: --renegotiate-s needs an ISO-2 or -20 car (--protocol iso2, auto, iso20 or auto20)\n");
        return 2;
    }
    /* The same reader and checks as the Linux board (boardlib/board_config.c). */
    board_config_defaults(&o->bc);
    if (o->config_path != NULL && board_config_load(&o->bc, o->config_path, stderr) != 0) {
        fprintf(stderr, "sim: invalid configuration, not starting\n");
        return 2;
    }
    if (o->mqtt != NULL) {
        /* --mqtt names the broker; the file's other mqtt.* keys stay */
        const char *colon = strrchr(o->mqtt, ':');
        snprintf(o->bc.mqtt.host, sizeof o->bc.mqtt.host, "%.*s", (int)(colon - o->mqtt), o->mqtt);
        o->bc.mqtt.port = (uint32_t)strtoul(colon + 1, NULL, 10);
    } else {
        o->bc.mqtt.host[0] = '\0'; /* the simulator speaks MQTT only when asked with --mqtt */
    }
    if (o->scenario != NULL) {
        /* One connector, the faulty session then a clean one (a welded contactor holds
         * the connector: one session). */
        o->connectors = 1;
        o->script.sessions = (o->scenario->flags & FAULTS_F_HELD) ? 1u : 2u;
        o->script.fault = PLANT_FAULT_NONE;
        o->ideal = (o->scenario->flags & FAULTS_F_IDEAL) != 0;
        o->huawei = (o->scenario->flags & FAULTS_F_HUAWEI) != 0;
        if (!o->charge_set) {
            o->charge_s = 20;
        }
        if (o->max_s == 900) {
            o->max_s = 600;
        }
        o->out_dir = "-";
        if (o->scenario->kind == FAULTS_CONFIG && sim_scenario_config_check() != 0) {
            return 1;
        }
    }
    /* The simulator's stage is its own (--psu), not the file's psu.type: the power-down
     * rule of the Linux board applies to the stage that runs. A file that leaves the wait
     * to the default gets the InfyPower default; one that sets a shorter wait is refused,
     * as `charger --check` refuses it with psu.type = infy. */
    if (o->config_path != NULL && !o->ideal && !o->huawei && o->bc.power_down_timeout_ms < BOARD_INFY_POWER_DOWN_MIN_MS) {
        if (!o->bc.power_down_defaulted) {
            fprintf(stderr,
                    "%s: interlock.power_down_timeout_ms: %lu ms is below the %u ms the simulator's "
                    "InfyPower stage needs (its \"off\" is proven by reading each module back); "
                    "raise it or run --psu ideal\n",
                    o->config_path, (unsigned long)o->bc.power_down_timeout_ms, BOARD_INFY_POWER_DOWN_MIN_MS);
            fprintf(stderr, "sim: invalid configuration, not starting\n");
            return 2;
        }
        o->bc.power_down_timeout_ms = BOARD_INFY_POWER_DOWN_MIN_MS;
    }
    if (o->soc_target <= o->soc_start) {
        fprintf(stderr, "sim: --soc-target must be above --soc-start\n");
        return 2;
    }
    o->tesla_stop = strcmp(o->profile, "tesla-precharge-stop") == 0;
    if (o->report_dir != NULL && o->scenario == NULL) {
        /* A session report: its inputs (capture, time series, log) go beside the pages. */
        if (o->out_set && strcmp(o->out_dir, "-") == 0) {
            fprintf(stderr, "sim: --report-dir makes its pages from the time series: not with --out -\n");
            return 2;
        }
        if (!o->out_set) {
            o->out_dir = o->report_dir;
        }
    }
    if (strcmp(o->out_dir, "-") == 0) {
        o->out_dir = NULL;
    } else if (sim_make_dirs("--out", o->out_dir) != 0) {
        return 2;
    }
    if (o->report_dir != NULL && sim_make_dirs("--report-dir", o->report_dir) != 0) {
        return 2;
    }
    for (int k = 0; o->report_dir != NULL && o->scenario != NULL && k < 2; k++) {
        /* An old report must not pass for this run's: the check after the run looks for them. */
        char path[512];
        snprintf(path, sizeof path, "%s/%s.%s", o->report_dir, o->scenario->name, k == 0 ? "txt" : "svg");
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "sim: --report-dir: cannot replace %s: %s\n", path, strerror(errno));
            return 2;
        }
    }
    return -1;
}

int sim_options_parse(struct sim_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->script = (struct plant_script){
        .plug_at_ms = 1000,
        .start_delay_ms = 2000,
        .charge_ms = 10000,
        .unplug_delay_ms = 1000,
        .pause_ms = 3000,
        .sessions = 1,
        .fault = PLANT_FAULT_NONE,
    };
    o->connectors = 1;
    o->max_s = 900;
    o->ocpp_drain_s = 60;
    o->modules = 4;
    o->soc_start = 30;
    o->soc_target = 80;
    o->charge_s = 60;
    o->out_dir = "build/sim";
    o->epoch_s = SIM_CAPTURE_EPOCH_DEFAULT;
    o->profile = "standard";
    o->resume_s = -1;
    for (int i = 1; i < argc; i++) {
        int rc = sim_option(o, argc, argv, &i);
        if (rc >= 0) {
            return rc;
        }
    }
    return sim_options_check(o);
}
