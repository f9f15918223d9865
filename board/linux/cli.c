/* cli.c - the Linux board's command line: options, --help (every option, command and
 * configuration key), --version, the --ctl client, and the configuration loaded or only
 * checked (--check). Owns struct board_options. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_ctl.h"
#include "chargesom.h"

static void board_cli_usage(FILE *f)
{
    fprintf(f,
            "usage: charger [-c FILE] [--check] [--ctl SOCKET] [--run-for SECONDS] [--sessions N]\n"
            "               [--sim-plant SOCKET [--sim-load FIFO] [--sim-status FILE] [--sim-trace FILE]]\n"
            "               [--state-trace FILE]\n"
            "       charger --ctl SOCKET COMMAND [ARGUMENT...]\n"
            "The DC charger firmware for Linux charger boards.\n"
            "\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "      --check         validate the configuration and exit\n"
            "      --ctl SOCKET    running: take runtime commands on this Unix socket (mode 0600);\n"
            "                      with a COMMAND: send it to the charger listening there, print\n"
            "                      its answer and exit 0 ok, 1 refused, 2 not a command, 3 no answer.\n"
            "                      Commands (through the station API; docs/linux-board.md):\n"
            "                        status       state, held fault, OCPP status\n"
            "                        reset        operator reset of a held fault (refused while\n"
            "                                     energised or while its cause is there)\n"
            "                        authorize TOKEN [local|rfid|backend]  (default local)\n"
            "                        stop         the running session stops (reason local)\n"
            "                        unlock       stop, then unlock in the safe order\n"
            "                        available | unavailable [after-session]\n"
            "                        limit W|none the station's power limit (0: no power)\n"
            "                        limit-connector W|none  the connector's own limit\n"
            "      --capture FILE  write every frame of link.interface (SLAC, SDP, TCP, TLS) as\n"
            "                      pcapng, rotated at capture.max_mb (key capture.file)\n"
            "      --tls-keylog FILE  append the TLS secrets of every V2G session (SSLKEYLOGFILE)\n"
            "                      for decrypting a capture; warned at start (key capture.tls_keylog)\n"
            "      --run-for S     stop safely after S seconds (tests)\n"
            "      --sessions N    stop safely once N sessions have finished (tests)\n"
            "      --version       print the version and exit\n"
            "  -h, --help          this text\n"
            "\n"
            "Test aid (NOT for a real charger; docs/linux-board.md):\n"
            "      --sim-plant SOCKET  simulate the pilot front end, DC contactors and lock in\n"
            "                      memory; the car (evsim --pilot SOCKET) presents its pilot\n"
            "                      resistors, diode and contactors over this Unix datagram socket\n"
            "      --sim-load FIFO  infysim's --ctl FIFO: the plant switches the modules' load to\n"
            "                      the car's battery while both sides' contactors are closed\n"
            "      --sim-status FILE  the plant's safety-monitor counters (key=value), every 1 s\n"
            "                      and at exit\n"
            "      --sim-trace FILE  the plant's state every 5 ms (time, voltage, current, contacts,\n"
            "                      lock, stage, charger state, EVSE status, modules counted), for\n"
            "                      the fault-injection judge (docs/faults.md)\n"
            "      --state-trace FILE  the charger's state, the EVSE status and the modules counted,\n"
            "                      one line per change (time on CLOCK_MONOTONIC, ms), for the\n"
            "                      judge of a plant outside the charger (board.io = chargesom\n"
            "                      with the cbsomsim emulator; docs/faults.md)\n"
            "      --test-stall-hook  SIGUSR2 stalls the loop inside a task until the next\n"
            "                      SIGUSR2 (the systemd watchdog test; docs/deployment.md)\n"
            "\n"
            "Configuration: one 'key = value' per line, '#' starts a comment line.\n"
            "Keys:\n",
            CHARGER_DEFAULT_CONFIG);
    board_config_describe(f);
    fprintf(f, "\nAt exit one line per finished session: 'charger: session N: stop=TOKEN\n"
               "charge_s=S energy_wh=WH meter_ok=0|1 meter_seq=N soc=A->B', then 'charger: loop:\n"
               "passes=N longest_pass_ms=X longest_meter_pass_ms=Y' (the longest superloop pass,\n"
               "and the longest while a meter transaction started or stopped).\n"
               "Exit status: 0 after a clean stop or a valid --check; 1 for an invalid\n"
               "configuration or a failed start; 2 for bad arguments (--ctl SOCKET COMMAND: above).\n");
}

int board_cli_parse(struct board_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->config = CHARGER_DEFAULT_CONFIG;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"check", no_argument, NULL, 'k'},
        {"run-for", required_argument, NULL, 'r'},   {"version", no_argument, NULL, 'V'},
        {"sessions", required_argument, NULL, 'n'},  {"sim-plant", required_argument, NULL, 'P'},
        {"sim-load", required_argument, NULL, 'L'},  {"sim-status", required_argument, NULL, 'S'},
        {"sim-trace", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
        {"ctl", required_argument, NULL, 'C'},       {"capture", required_argument, NULL, 'W'},
        {"tls-keylog", required_argument, NULL, 'K'}, {"test-stall-hook", no_argument, NULL, 'X'},
        {"state-trace", required_argument, NULL, 'Y'},
        {NULL, 0, NULL, 0}};
    int ch;

    while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'k':
            o->check_only = true;
            break;
        case 'r':
        case 'n': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 4000000) {
                fprintf(stderr, "charger: --%s needs a whole number 1..4000000\n",
                        ch == 'r' ? "run-for" : "sessions");
                return 2;
            }
            if (ch == 'r') {
                o->run_for_s = v;
            } else {
                o->sessions_max = (uint32_t)v;
            }
            break;
        }
        case 'P':
            o->sim.wire = optarg;
            break;
        case 'L':
            o->sim.load = optarg;
            break;
        case 'S':
            o->sim.status = optarg;
            break;
        case 'Y':
            o->sim.state_trace = optarg;
            break;
        case 'T':
            o->sim.trace = optarg;
            break;
        case 'C':
            o->ctl_path = optarg;
            break;
        case 'W':
            o->capture = optarg;
            break;
        case 'K':
            o->tls_keylog = optarg;
            break;
        case 'X':
            o->test_stall_hook = true;
            break;
        case 'V':
            printf("charger %s\n", CHARGER_VERSION);
            return 0;
        case 'h':
            board_cli_usage(stdout);
            return 0;
        default:
            fprintf(stderr, "charger: try --help\n");
            return 2;
        }
    }
    if (o->ctl_path != NULL && optind < argc) {
        /* The client: one command to a running charger, nothing else. Its words may come
         * as one argument or several ("limit 7400"); option parsing stopped at the first
         * ("+" above), so "limit -1" reaches the station to be refused with its reason. */
        char line[2 * BOARD_CTL_LINE_MAX]; /* longer than a command: the request refuses it */
        size_t n = 0;
        for (int i = optind; i < argc; i++) {
            int w = snprintf(line + n, sizeof line - n, "%s%s", i > optind ? " " : "", argv[i]);
            if (w < 0 || (size_t)w >= sizeof line - n) {
                fprintf(stderr, "charger: the command is too long\n");
                return 2;
            }
            n += (size_t)w;
        }
        return board_ctl_request(o->ctl_path, line, stdout, stderr);
    }
    if (optind != argc) {
        fprintf(stderr, "charger: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if ((o->sim.load != NULL || o->sim.status != NULL || o->sim.trace != NULL) && o->sim.wire == NULL) {
        fprintf(stderr, "charger: --sim-load, --sim-status and --sim-trace need --sim-plant\n");
        return 2;
    }
    return -1;
}

int board_cli_config(struct board_config *cfg, const struct board_options *o)
{
    board_config_defaults(cfg);
    if (board_config_load(cfg, o->config, stderr) != 0) {
        fprintf(stderr, o->check_only ? "charger: invalid configuration\n"
                                      : "charger: invalid configuration, not starting\n");
        return 1;
    }
    /* The options name files for this run only; they win over the file's keys. */
    const char *opt[2] = {o->capture, o->tls_keylog};
    char *key[2] = {cfg->capture_file, cfg->capture_tls_keylog};
    for (int k = 0; k < 2; k++) {
        if (opt[k] == NULL) {
            continue;
        }
        if (opt[k][0] == '\0' || strlen(opt[k]) >= BOARD_CONFIG_PATH_MAX) {
            fprintf(stderr, "charger: --%s: the file name is empty or too long\n", k == 0 ? "capture" : "tls-keylog");
            return 1;
        }
        memcpy(key[k], opt[k], strlen(opt[k]) + 1);
    }
    if (cfg->capture_file[0] != '\0' && cfg->link_interface[0] == '\0') {
        fprintf(stderr, "charger: --capture: there is no link.interface to capture\n");
        return 1;
    }
    if (cfg->ovm_device == BOARD_OVM_SIM) {
        /* The key is shared with the simulator (sim --config); no such device exists here. */
        fprintf(stderr, "%s: ovm.device: sim is the simulator's monitor; this board has none (use none)\n",
                o->config);
        fprintf(stderr, "charger: invalid configuration, not starting\n");
        return 1;
    }
    struct linux_kio_config kio;
    if (cfg->board_io == BOARD_IO_KERNEL && board_kio_config(cfg, &kio, o->config, stderr) != 0) {
        fprintf(stderr, "charger: invalid configuration, not starting\n");
        return 1;
    }
    if (o->check_only) {
        /* --check also asks this machine: what the file names must be there. */
        if (board_config_check_system(cfg, o->config, stderr) != 0) {
            fprintf(stderr, "charger: the configuration is valid, but this machine lacks what it names\n");
            return 1;
        }
        printf("%s: configuration valid\n", o->config);
        printf("%s: interlock.power_down_timeout_ms = %lu%s\n", o->config,
               (unsigned long)cfg->power_down_timeout_ms,
               cfg->psu_type == BOARD_PSU_INFY ? " (psu.type = infy: at least 1500)" : "");
        if (cfg->imd_lab_override) {
            printf("%s: WARNING: imd.lab_override_no_monitor = true: LAB ONLY, insulation is NOT "
                   "measured (the cable check passes unmeasured; the car is told Warning)\n",
                   o->config);
        }
        return 0;
    }
    return -1;
}
