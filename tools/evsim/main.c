/*
 * evsim: a DIN 70121, ISO 15118-2 or ISO 15118-20 DC car as its own process on a real interface.
 * The car model is firmware/ev_model (battery, DIN, ISO-2 or -20 EV machine, EV side of
 * SLAC/SDP/V2GTP, EV side of the pilot), the one the simulator board runs in memory; here its
 * link runs over libpcap and IPv6 sockets (+ OpenSSL TLS as a client: 1.2 for ISO-2/DIN, 1.3
 * with the -20 profile and an optional vehicle certificate for -20) through the Linux port.
 *
 * Pilot and DC contactors are not on any wire between two Linux processes. With
 * --pilot SOCKET the car talks to `charger --sim-plant SOCKET` (a TEST AID of the Linux
 * board, docs/linux-board.md) over a Unix datagram socket that stands for the pilot
 * wire and the DC cable: the car reports its pilot resistors/diode (plugged, S2), its
 * contactors and battery; the charger reports the PWM duty, its contactors, the lock and
 * the output it measured. Without --pilot the car has no pilot at all: it starts SLAC as
 * soon as it is "plugged" and its battery takes what the EVSE says it delivers.
 *
 * Every step is printed with a time stamp (seconds since evsim started); the last line
 * is a summary. Exit 0 when every car ended its session the way it wanted.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "board_certprov.h"
#include "board_pnc.h"
#include "ev_model.h"
#include "linux_crypto.h"
#include "linux_loop.h"
#include "linux_net.h"
#include "linux_pcap.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "sched.h"

#define EVSIM_MAX_CARS 8
#define EVSIM_STEP_MS 10u
#define EVSIM_WIRE_PERIOD_MS 20u
/* The charger's side of the wire silent this long: treated as "no PWM, not locked". Shorter
 * than the charger's limit for a silent car (board/linux/sim_plant.c, 6 s): the charger's
 * plant task sends every 20 ms from a loop that never blocks, while the car's loop stalls
 * in its TLS handshake; and the kill test wants a killed charger noticed soon. */
#define EVSIM_WIRE_STALE_MS 1500u

enum evsim_phase { EVSIM_WAIT, EVSIM_PLUGGED, EVSIM_UNPLUG_WAIT, EVSIM_LEFT };

struct evsim_log {
    struct hal_log base;
    uint32_t t0;
};

struct evsim {
    struct linux_loop loop;
    struct evsim_log log;
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_rng rng;
    struct linux_tls tls;
    bool tls_on;
    struct sched sched[EVSIM_MAX_CARS]; /* one per car: a car that left never runs again */
    struct ev_model car[EVSIM_MAX_CARS];
    struct sched_task task;
    struct pilot_ev cp;
    int ncars, cur;
    enum evsim_phase phase;
    uint32_t phase_ms;
    uint32_t plug_delay_ms, unplug_delay_ms, pause_ms;
    /* the pilot wire */
    int fd;
    char path[108], charger_path[108];
    uint16_t duty;
    bool evse_closed, evse_locked;
    int32_t evse_mv, evse_ma;
    uint32_t wire_rx_ms, wire_tx_ms;
    uint32_t wire_rx, wire_tx;
    int32_t max_ma;
    /* results */
    const char *result[EVSIM_MAX_CARS];
    bool ok[EVSIM_MAX_CARS];
    uint8_t soc0[EVSIM_MAX_CARS], soc1[EVSIM_MAX_CARS];
    long long wh[EVSIM_MAX_CARS];
    uint32_t t_plug[EVSIM_MAX_CARS], t_done[EVSIM_MAX_CARS];
    /* ISO-2: what a test on the real transports asserts. The power the car took once it was
     * back in CurrentDemand after the last renegotiation is what the new schedule allowed;
     * the power before it shows the renegotiation changed something. */
    const char *proto[EVSIM_MAX_CARS];
    uint32_t reneg[EVSIM_MAX_CARS], resumes[EVSIM_MAX_CARS];
    int64_t max_w[EVSIM_MAX_CARS], max_w_renegotiated[EVSIM_MAX_CARS];
    bool cd_left_since_reneg; /* the car now plugged left CurrentDemand after its last renegotiation */
    bool cd_renegotiated;     /* ... and is back in it under the new schedule */
    bool in_cd;               /* the car now plugged is in CurrentDemand */
    uint32_t deadline;
    bool finished;
};

static struct evsim s_ev;
/* --contract-chain/--contract-key: the car's Plug & Charge contract and the OpenSSL port
 * that keeps its key (static: a few kB). */
static struct linux_crypto s_pnc_crypto;
static struct board_pnc_car s_pnc_car;
/* --oem-chain/--oem-key (installation) or --cert-update: the car's certificate request,
 * the V2G root it checks the provider against, and where its new contract goes. */
static struct board_pnc_certs s_oem, s_v2g_root;
static struct board_certprov_car s_take;
static struct iso2_ev_cert s_evc;
static uint8_t s_evc_buf[4096];
static volatile int s_stop;
/* Test faults on the real connection, struck from outside (tools/faults/real.sh). */
static volatile sig_atomic_t s_fault_reset, s_fault_tls;

static void evsim_fault_signal(int sig)
{
    if (sig == SIGUSR1) {
        s_fault_reset = 1;
    } else {
        s_fault_tls = 1;
    }
}

/*
 * Strike a transport fault on every connected TCP socket of this process (the car's V2G
 * connection; evsim has no other). The sockets are found by their descriptors so that the
 * HAL port needs no test-only entry points:
 *  - reset: connect(AF_UNSPEC) disconnects an established TCP socket with a RST, as a
 *    car's stack does when it aborts; the descriptor stays valid (the port still owns it).
 *  - tls: a TLS 1.2 application-data record with a garbage body written under the TLS
 *    layer: the charger's TLS cannot authenticate it (bad_record_mac) and must fail.
 */
static void evsim_strike(struct evsim *e, bool reset, uint32_t now)
{
    int hit = 0;
    for (int fd = 3; fd < 1024; fd++) {
        int type = 0;
        socklen_t tl = sizeof type;
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM ||
            getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || peer.ss_family != AF_INET6) {
            continue;
        }
        if (reset) {
            struct sockaddr unspec = {.sa_family = AF_UNSPEC};
            hit += connect(fd, &unspec, sizeof unspec) == 0 ? 1 : 0;
        } else {
            uint8_t rec[5 + 48] = {0x17, 0x03, 0x03, 0x00, 48};
            memset(rec + 5, 0xA5, 48);
            hit += send(fd, rec, sizeof rec, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof rec ? 1 : 0;
        }
    }
    hal_logf(&e->log.base, HAL_LOG_WARN, now, "evsim: FAULT %s on %d connection(s)",
             reset ? "TCP reset (RST)" : "corrupted TLS record", hit);
}

static void evsim_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void evsim_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms, const char *line)
{
    struct evsim_log *l = (struct evsim_log *)base;
    uint32_t t = now_ms - l->t0;
    printf("[%5lu.%03lu] %-5s %s\n", (unsigned long)(t / 1000u), (unsigned long)(t % 1000u),
           hal_log_level_name(level), line);
    fflush(stdout);
}

static const struct hal_log_ops s_evsim_log_ops = {.write = evsim_log_write};

/* ---------------------------------------------------------------- pilot wire */

static void evsim_wire_send(struct evsim *e, uint32_t now, bool force)
{
    if (e->fd < 0 || (!force && now - e->wire_tx_ms < EVSIM_WIRE_PERIOD_MS)) {
        return;
    }
    const struct ev_model *m = &e->car[e->cur];
    const struct ev_battery *b = ev_model_battery(m);
    char msg[128];
    int n = snprintf(msg, sizeof msg, "ev plugged=%d s2=%d diode=%d closed=%d ocv_mv=%ld r_mohm=%lu",
                     e->cp.plugged ? 1 : 0, e->cp.s2_closed ? 1 : 0, e->cp.diode_missing ? 0 : 1,
                     ev_model_contactors(m) ? 1 : 0, (long)ev_battery_ocv_mv(b),
                     (unsigned long)b->cfg.r_mohm);
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    snprintf(to.sun_path, sizeof to.sun_path, "%s", e->charger_path);
    if (sendto(e->fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) == n) {
        e->wire_tx++;
    }
    e->wire_tx_ms = now;
}

static void evsim_wire_recv(struct evsim *e, uint32_t now)
{
    char buf[128];
    for (int k = 0; k < 32 && e->fd >= 0; k++) {
        ssize_t n = recv(e->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n < 0) {
            break;
        }
        buf[n] = '\0';
        unsigned duty;
        int closed, locked;
        long mv, ma;
        if (sscanf(buf, "evse duty=%u closed=%d locked=%d mv=%ld ma=%ld", &duty, &closed, &locked, &mv,
                   &ma) != 5 ||
            duty > HAL_PILOT_DUTY_DC_HIGH) {
            hal_logf(&e->log.base, HAL_LOG_WARN, now, "evsim: malformed pilot-wire message ignored");
            continue;
        }
        e->wire_rx++;
        e->wire_rx_ms = now;
        e->duty = (uint16_t)duty;
        e->evse_closed = closed != 0;
        e->evse_locked = locked != 0;
        e->evse_mv = (int32_t)mv;
        e->evse_ma = (int32_t)ma;
    }
    if (e->fd >= 0 && now - e->wire_rx_ms > EVSIM_WIRE_STALE_MS) {
        e->duty = HAL_PILOT_DUTY_DC_HIGH; /* nobody drives the pilot: no PWM */
        e->evse_closed = false;
        e->evse_ma = 0;
    }
}

/* ---------------------------------------------------------------- the car's script */

static void evsim_record(struct evsim *e, int i, uint32_t now)
{
    const struct ev_model *m = &e->car[i];
    e->result[i] = ev_model_result(m)[0] ? ev_model_result(m) : "no result";
    e->ok[i] = ev_model_ok(m);
    e->soc0[i] = ev_model_soc_start(m);
    e->soc1[i] = ev_battery_soc(ev_model_battery(m));
    e->wh[i] = ev_model_battery(m)->charged_mwh / 1000;
    e->t_done[i] = now;
    e->proto[i] = ev_model_protocol_name(m);
    ev_model_iso2_counts(m, &e->reneg[i], &e->resumes[i]);
}

/* Follow the ISO-2 counters of the car now plugged: say when the charger asked it to
 * renegotiate or it resumed, and measure the power it takes before and after. */
static void evsim_follow(struct evsim *e, const struct ev_model *m, uint32_t now, int32_t mv, int32_t ma)
{
    int i = e->cur;
    uint32_t reneg = 0, resumes = 0;
    ev_model_iso2_counts(m, &reneg, &resumes);
    if (reneg != e->reneg[i]) {
        hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d renegotiates (%lu so far)", i + 1,
                 (unsigned long)reneg);
        e->reneg[i] = reneg;
        e->cd_left_since_reneg = false;
        e->cd_renegotiated = false;
        e->max_w_renegotiated[i] = 0;
    }
    if (resumes != e->resumes[i]) {
        hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d resumes its paused session (%lu so far)", i + 1,
                 (unsigned long)resumes);
        e->resumes[i] = resumes;
    }
    bool cd = ev_model_in_current_demand(m);
    if (cd != e->in_cd) {
        /* Said for every entry and exit, so a test knows when to act on a running session. */
        hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d %s CurrentDemand (%s)", i + 1,
                 cd ? "in" : "out of", ev_model_protocol_name(m));
        e->in_cd = cd;
    }
    if (reneg != 0 && !cd) {
        e->cd_left_since_reneg = true;
    } else if (reneg != 0 && cd && e->cd_left_since_reneg && !e->cd_renegotiated) {
        e->cd_renegotiated = true;
        hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d back in CurrentDemand after the renegotiation",
                 i + 1);
    }
    int64_t w = (int64_t)mv * ma / 1000000;
    if (w > e->max_w[i]) {
        e->max_w[i] = w;
    }
    if (e->cd_renegotiated && w > e->max_w_renegotiated[i]) {
        e->max_w_renegotiated[i] = w;
    }
}

static void evsim_step(struct sched_task *t, uint32_t now)
{
    struct evsim *e = t->ctx;
    struct ev_model *m = &e->car[e->cur];
    bool wired = e->fd >= 0;
    uint32_t in_phase = now - e->phase_ms;
    if (wired) {
        evsim_wire_recv(e, now);
        (void)pilot_ev_observe(&e->cp, e->duty);
    }
    switch (e->phase) {
    case EVSIM_WAIT:
        if (in_phase >= (e->cur == 0 ? e->plug_delay_ms : e->pause_ms)) {
            hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d of %d plugs in", e->cur + 1, e->ncars);
            e->t_plug[e->cur] = now;
            if (ev_model_plug(m, now) != HAL_OK) {
                e->result[e->cur] = "could not plug in";
                e->phase = EVSIM_LEFT;
                break;
            }
            e->phase = EVSIM_PLUGGED;
            e->phase_ms = now;
            evsim_wire_send(e, now, true);
        }
        break;
    case EVSIM_PLUGGED:
        if (wired) {
            /* The cable: the charger's output while its contactors are closed, else the
             * battery behind the car's own contactors, else nothing. */
            bool evc = ev_model_contactors(m);
            int32_t inlet = e->evse_closed ? e->evse_mv : evc ? ev_battery_ocv_mv(ev_model_battery(m)) : 0;
            int32_t ma = e->evse_closed && evc ? e->evse_ma : 0;
            e->max_ma = ma > e->max_ma ? ma : e->max_ma;
            ev_model_physics(m, now, inlet, ma);
            evsim_follow(e, m, now, inlet, ma);
        }
        if (ev_model_phase(m) == EV_MODEL_DONE) {
            evsim_record(e, e->cur, now);
            hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d session over: %s; waiting for the unlock",
                     e->cur + 1, e->result[e->cur]);
            e->phase = EVSIM_UNPLUG_WAIT;
            e->phase_ms = now;
        } else if (hal_time_reached(now, e->deadline)) {
            evsim_record(e, e->cur, now);
            e->result[e->cur] = "timed out";
            e->ok[e->cur] = false;
            e->phase = EVSIM_UNPLUG_WAIT;
            e->phase_ms = now;
        }
        break;
    case EVSIM_UNPLUG_WAIT:
        /* The plug can only be pulled once the charger has released the lock. */
        if (wired && e->evse_locked && !hal_time_reached(now, e->deadline)) {
            e->phase_ms = now;
            break;
        }
        if (in_phase >= e->unplug_delay_ms) {
            ev_model_unplug(m, now);
            evsim_wire_send(e, now, true);
            hal_logf(&e->log.base, HAL_LOG_INFO, now, "evsim: car %d unplugged", e->cur + 1);
            if (e->cur + 1 < e->ncars) {
                e->cur++;
                e->cd_left_since_reneg = e->cd_renegotiated = e->in_cd = false;
                e->phase = EVSIM_WAIT;
                e->phase_ms = now;
                pilot_ev_init(&e->cp);
            } else {
                e->phase = EVSIM_LEFT;
                e->phase_ms = now;
            }
        }
        break;
    case EVSIM_LEFT:
        /* Keep telling the charger the inlet is empty for a moment, then stop. */
        if (in_phase >= 500u) {
            e->finished = true;
        }
        break;
    }
    evsim_wire_send(e, now, false);
    sched_task_at(t, now + EVSIM_STEP_MS);
}

/* ---------------------------------------------------------------- main */

static void evsim_usage(FILE *f)
{
    fprintf(f,
            "usage: evsim --iface IF [options]\n"
            "A DIN 70121 / ISO 15118-2 / ISO 15118-20 DC car (the firmware's EV model) as its\n"
            "own process: SLAC, SDP, V2GTP (TCP or TLS) on IF, the session from SessionSetup to\n"
            "SessionStop, a battery model.\n"
            "\n"
            "  --iface IF          Ethernet interface to the charger (veth, or a PLC modem)\n"
            "  --profile NAME      standard, tesla, ioniq, polestar, tesla-precharge-stop (DIN\n"
            "                      70121); iso2 (ISO 15118-2 only), iso2-din (ISO-2 first, DIN\n"
            "                      second), iso2-pause (iso2 that pauses after 20 s of charging\n"
            "                      and resumes 5 s later on a new connection); iso20 (ISO\n"
            "                      15118-20 DC only, scheduled control mode), iso20-dynamic\n"
            "                      (dynamic control mode), iso20-pause (iso20 that pauses like\n"
            "                      iso2-pause), iso20-auto (-20 first, ISO-2, DIN), iso20-standby\n"
            "                      (iso20 that stands by 5 s, 10 s into the loop) (default standard)\n"
            "  --protocol P        what the car offers in supportedAppProtocol, over the\n"
            "                      profile's: din (DIN 70121 only), iso2 (ISO 15118-2 only), auto\n"
            "                      (ISO-2 with priority 1, DIN with priority 2: the charger picks),\n"
            "                      iso20 (ISO 15118-20 DC only, docs/iso20_ev.md), auto20 (-20 DC,\n"
            "                      ISO-2, DIN with priorities 1, 2, 3)\n"
            "  --misbehave NAME    TEST AID, ISO-2 or -20 car: break one rule on purpose so the\n"
            "                      charger must answer safely: pause-in-cable-check,\n"
            "                      cd-before-power-delivery, unknown-tuple, profile-above-pmax,\n"
            "                      resume-unknown-id, iso2-after-din (docs/iso2_ev.md); a -20 car\n"
            "                      (--protocol iso20|auto20): wrong-control-mode, unoffered-service,\n"
            "                      renegotiate-in-cable-check, bpt-limits, wrong-namespace,\n"
            "                      wrong-loop-mode, unoffered-detail,\n"
            "                      service-renegotiation-in-cable-check (docs/iso20_ev.md)\n"
            "  --cars N            cars that plug in one after the other, 1..%d (default 1);\n"
            "                      each has its own EVCCID\n"
            "  --soc-start P       state of charge at plug-in, %% (default 30)\n"
            "  --soc-target P      stop charging here, %% (default 80)\n"
            "  --charge-s S        stop after S s of current demand (default 20; 0 = at target)\n"
            "  --request-a A       ask at most this current, A (default: the battery's acceptance)\n"
            "  --plug-delay-ms MS  before the first car plugs in (default 500)\n"
            "  --pause-ms MS       between one car leaving and the next plugging in (default 2000)\n"
            "  --pause-after-s S   ISO-2: end with SessionStop(Pause) after S s of CurrentDemand and\n"
            "                      resume 5 s later on a new connection with the same SessionID (as\n"
            "                      --profile iso2-pause does after 20 s); --charge-s counts again\n"
            "                      from the resumed CurrentDemand\n"
            "  --renegotiate-s S   ISO-2 or -20: ask once for new schedules after S s of charging\n"
            "  --unplug-delay-ms MS  from the unlock to pulling the plug (default 500)\n"
            "  --pilot SOCKET      TEST AID: the pilot wire and DC cable to `charger --sim-plant\n"
            "                      SOCKET` over a Unix datagram socket (docs/linux-board.md);\n"
            "                      without it the car has no pilot and starts SLAC at once\n"
            "  --modem             a PLC modem is attached (send CM_SET_KEY; default: none, veth)\n"
            "  --tls --ca ANCHOR   ask for TLS in SDP and verify the SECC chain against ANCHOR;\n"
            "                      an ISO-2/DIN car speaks TLS 1.2, a -20-only car (--protocol\n"
            "                      iso20) TLS 1.3 only with the -20 profile (secp521r1/x448,\n"
            "                      AES-256-GCM/ChaCha20), a -20-first car (auto20) either, and\n"
            "                      leaves -20 out when the SECC picks TLS 1.2 (docs/iso15118-20.md)\n"
            "  --cert CHAIN --key KEY  the vehicle certificate (PEM chain, leaf first) and its key:\n"
            "                      presented when a -20 SECC asks for it (mutual TLS; needs --tls)\n"
            "  --contract-chain FILE --contract-key FILE  ISO-2 Plug & Charge: pay with this\n"
            "                      contract (chain PEM/DER leaf first, P-256 key PEM) where the SECC\n"
            "                      lists Contract (it does over TLS: use with --tls); the key is\n"
            "                      checked against the leaf at start (docs/pnc.md)\n"
            "  --oem-chain FILE --oem-key FILE  ISO-2: no contract yet; install one through\n"
            "                      CertificateInstallation with this OEM provisioning certificate\n"
            "                      (PEM, leaf first) and key, then pay with it (needs --v2g-root)\n"
            "  --cert-update       with --contract-chain/--contract-key: update the contract first\n"
            "  --v2g-root FILE     the V2G root(s) the provider's chain must end at (PEM/DER)\n"
            "  --contract-out DIR  write the new contract's chain.pem and key.pem there\n"
            "  --tls-required      refuse an SECC that offers only TCP\n"
            "  --tls-keylog FILE   append the TLS secrets (SSLKEYLOGFILE lines) for decrypting a\n"
            "                      capture; warned at start (needs --tls)\n"
            "  --timeout S         give up after S seconds in all (default 180)\n"
            "  --answer-timeout-ms MS  TEST AID for slow hosts (a loaded TCG VM): wait this long\n"
            "                      for every answer, CurrentDemand included, and for the TCP\n"
            "                      connection with its TLS handshake (default: DIN's 2000 ms,\n"
            "                      250 ms for CurrentDemand, 2000 ms for V2GTP, 5000 ms connect)\n"
            "Test faults (the fault-injection harness, docs/faults.md):\n"
            "  SIGUSR1             reset the V2G TCP connection (RST)\n"
            "  SIGUSR2             write a corrupted TLS record under the TLS layer\n"
            "  -h, --help          this text\n"
            "\n"
            "Prints each step with seconds since start; last line:\n"
            "  evsim: summary: cars=N ok=N failed=N max_current_a=A [car K: RESULT soc=A->B wh=E\n"
            "  plug_to_done_s=S proto=din|iso2|iso20|none reneg=N resumes=N max_w=W max_w_renegotiated=W] ...\n"
            "  (ISO-2: renegotiations and resumes of the session; the most power taken, and the most\n"
            "  once back in CurrentDemand after the last renegotiation, 0 without one)\n"
            "Exit status: 0 when every car ended its session the way it wanted (SessionStop);\n"
            "1 otherwise; 2 for bad arguments.\n",
            EVSIM_MAX_CARS);
}

static int evsim_num(const char *opt, const char *arg, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "evsim: %s needs a whole number in %lu..%lu, got '%s'\n", opt, lo, hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct evsim *e = &s_ev;
    const char *iface = NULL, *ca = NULL, *keylog = NULL, *cert = NULL, *key = NULL, *pilot = NULL, *profile = "standard", *protocol = NULL,
               *misbehave = NULL, *contract_chain = NULL, *contract_key = NULL;
    const char *oem_chain = NULL, *oem_key = NULL, *v2g_root = NULL, *contract_out = NULL;
    bool cert_update = false;
    unsigned long cars = 1, soc_start = 30, soc_target = 80, charge_s = 20, timeout = 180, req_a = 0, answer_ms = 0;
    unsigned long plug = 500, pause = 2000, unplug = 500, pause_after_s = 0, reneg_s = 0;
    bool tls = false, tls_required = false, modem = false;
    struct ev_model_config mc;
    static const struct option opts[] = {
        {"iface", required_argument, NULL, 'i'},        {"profile", required_argument, NULL, 'p'},
        {"cars", required_argument, NULL, 'n'},         {"soc-start", required_argument, NULL, 's'},
        {"soc-target", required_argument, NULL, 'S'},   {"charge-s", required_argument, NULL, 'c'},
        {"request-a", required_argument, NULL, 'a'},    {"plug-delay-ms", required_argument, NULL, 'D'},
        {"pause-ms", required_argument, NULL, 'P'},     {"unplug-delay-ms", required_argument, NULL, 'U'},
        {"pilot", required_argument, NULL, 'w'},        {"modem", no_argument, NULL, 'm'},
        {"tls", no_argument, NULL, 'T'},                {"ca", required_argument, NULL, 'A'},
        {"tls-required", no_argument, NULL, 'R'},       {"timeout", required_argument, NULL, 't'},
        {"answer-timeout-ms", required_argument, NULL, 'W'},
        {"protocol", required_argument, NULL, 'o'},    {"misbehave", required_argument, NULL, 'B'},
        {"pause-after-s", required_argument, NULL, 'Z'}, {"tls-keylog", required_argument, NULL, 'K'},
        {"cert", required_argument, NULL, 'C'},         {"key", required_argument, NULL, 'k'},
        {"renegotiate-s", required_argument, NULL, 'G'},
        {"contract-chain", required_argument, NULL, 'Q'}, {"contract-key", required_argument, NULL, 'q'},
        {"oem-chain", required_argument, NULL, 'O'},    {"oem-key", required_argument, NULL, 'y'},
        {"cert-update", no_argument, NULL, 'u'},        {"v2g-root", required_argument, NULL, 'V'},
        {"contract-out", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0}};
    int o, bad = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'i': iface = optarg; break;
        case 'p': profile = optarg; break;
        case 'o': protocol = optarg; break;
        case 'B': misbehave = optarg; break;
        case 'n': bad |= evsim_num("--cars", optarg, 1, EVSIM_MAX_CARS, &cars); break;
        case 's': bad |= evsim_num("--soc-start", optarg, 0, 99, &soc_start); break;
        case 'S': bad |= evsim_num("--soc-target", optarg, 1, 100, &soc_target); break;
        case 'c': bad |= evsim_num("--charge-s", optarg, 0, 86400, &charge_s); break;
        case 'a': bad |= evsim_num("--request-a", optarg, 1, 500, &req_a); break;
        case 'D': bad |= evsim_num("--plug-delay-ms", optarg, 0, 600000, &plug); break;
        case 'P': bad |= evsim_num("--pause-ms", optarg, 0, 600000, &pause); break;
        case 'Z': bad |= evsim_num("--pause-after-s", optarg, 1, 86400, &pause_after_s); break;
        case 'U': bad |= evsim_num("--unplug-delay-ms", optarg, 0, 600000, &unplug); break;
        case 'w': pilot = optarg; break;
        case 'm': modem = true; break;
        case 'T': tls = true; break;
        case 'A': ca = optarg; break;
        case 'R': tls_required = true; break;
        case 'K': keylog = optarg; break;
        case 'C': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'G': bad |= evsim_num("--renegotiate-s", optarg, 1, 86400, &reneg_s); break;
        case 'Q': contract_chain = optarg; break;
        case 'q': contract_key = optarg; break;
        case 'O': oem_chain = optarg; break;
        case 'y': oem_key = optarg; break;
        case 'u': cert_update = true; break;
        case 'V': v2g_root = optarg; break;
        case 'x': contract_out = optarg; break;
        case 't': bad |= evsim_num("--timeout", optarg, 1, 86400, &timeout); break;
        case 'W': bad |= evsim_num("--answer-timeout-ms", optarg, 100, 600000, &answer_ms); break;
        case 'h': evsim_usage(stdout); return 0;
        default: fprintf(stderr, "evsim: try --help\n"); return 2;
        }
    }
    if (bad) {
        return 2;
    }
    if (optind != argc || iface == NULL || (tls && ca == NULL) ||
        ((tls_required || keylog != NULL || cert != NULL || key != NULL) && !tls) || (cert == NULL) != (key == NULL)) {
        fprintf(stderr, "evsim: --iface is required; --tls needs --ca; --tls-required, --tls-keylog and --cert "
                        "need --tls; --cert and --key go together (try --help)\n");
        return 2;
    }
    if (ev_model_profile_parse(profile, &mc) != HAL_OK) {
        fprintf(stderr, "evsim: --profile needs standard, tesla, ioniq, polestar, tesla-precharge-stop, iso2, "
                        "iso2-din, iso2-pause, iso20, iso20-dynamic, iso20-pause, iso20-auto or iso20-standby\n");
        return 2;
    }
    if (protocol != NULL && ev_model_protocol_parse(protocol, &mc) != HAL_OK) {
        fprintf(stderr, "evsim: --protocol needs din, iso2, auto, iso20 or auto20\n");
        return 2;
    }
    bool car20 = mc.protocol == EV_MODEL_PROTO_ISO20 || mc.protocol == EV_MODEL_PROTO_AUTO20;
    if (misbehave != NULL && car20 && iso20_ev_misbehave_parse(misbehave, &mc.iso20.misbehave) == HAL_OK) {
        misbehave = NULL; /* the -20 car's own list (docs/iso20_ev.md) */
    }
    if (misbehave != NULL && (car20 || iso2_ev_misbehave_parse(misbehave, &mc.iso2.misbehave) != HAL_OK ||
                              mc.protocol == EV_MODEL_PROTO_DIN)) {
        fprintf(stderr, "evsim: --misbehave needs an ISO-2 or -20 car (--protocol iso2, auto, iso20 or auto20) and one of the "
                        "names --help lists\n");
        return 2;
    }
    if (pause_after_s != 0) {
        if (mc.protocol == EV_MODEL_PROTO_DIN) {
            fprintf(stderr, "evsim: --pause-after-s needs an ISO-2 or -20 car (--protocol iso2, auto, iso20 or auto20)\n");
            return 2;
        }
        /* The iso2-pause profile's behaviour at another time: a test on a slow host need not
         * charge 20 s before it sees the pause. The resume comes as that profile's. */
        mc.pause_after_ms = (uint32_t)pause_after_s * 1000u;
        if (mc.resume_after_ms == 0) {
            mc.resume_after_ms = 5000;
        }
    }
    if (reneg_s != 0) {
        if (mc.protocol == EV_MODEL_PROTO_DIN) {
            fprintf(stderr, "evsim: --renegotiate-s needs an ISO-2 or -20 car (--protocol iso2, auto, iso20 or auto20)\n");
            return 2;
        }
        mc.renegotiate_after_ms = (uint32_t)reneg_s * 1000u;
    }
    if (contract_chain != NULL || contract_key != NULL) {
        if (contract_chain == NULL || contract_key == NULL ||
            (mc.protocol != EV_MODEL_PROTO_ISO2 && mc.protocol != EV_MODEL_PROTO_AUTO)) {
            fprintf(stderr, "evsim: --contract-chain and --contract-key go together, with an ISO-2 car "
                            "(--protocol iso2 or auto)\n");
            return 2;
        }
        char why[320];
        linux_crypto_init(&s_pnc_crypto);
        if (board_pnc_load_car(&s_pnc_car, &s_pnc_crypto, contract_chain, contract_key, why, sizeof why) != HAL_OK) {
            fprintf(stderr, "evsim: contract: %s\n", why);
            return 2;
        }
        mc.iso2.contract = &s_pnc_car.contract;
    }
    if (oem_chain != NULL || oem_key != NULL || cert_update || v2g_root != NULL || contract_out != NULL) {
        bool install = oem_chain != NULL || oem_key != NULL;
        if ((install && (oem_chain == NULL || oem_key == NULL || contract_chain != NULL || cert_update)) ||
            (cert_update && contract_chain == NULL) || (!install && !cert_update) || v2g_root == NULL ||
            (mc.protocol != EV_MODEL_PROTO_ISO2 && mc.protocol != EV_MODEL_PROTO_AUTO)) {
            fprintf(stderr, "evsim: certificate installation needs --oem-chain and --oem-key (no contract), an update "
                            "--cert-update with --contract-chain/--contract-key; both --v2g-root and an ISO-2 car\n");
            return 2;
        }
        char why[320];
        if (s_pnc_crypto.base.ops == NULL) {
            linux_crypto_init(&s_pnc_crypto);
        }
        if (board_pnc_load_roots(&s_v2g_root, v2g_root, why, sizeof why) != HAL_OK) {
            fprintf(stderr, "evsim: --v2g-root: %s\n", why);
            return 2;
        }
        memset(&s_evc, 0, sizeof s_evc);
        if (install) {
            uint32_t h = 0;
            if (board_pnc_load_file(&s_oem, oem_chain, why, sizeof why) != HAL_OK) {
                fprintf(stderr, "evsim: --oem-chain: %s\n", why);
                return 2;
            }
            if (linux_crypto_add_key_file(&s_pnc_crypto, oem_key, &h) != HAL_OK ||
                board_pnc_key_matches(&s_pnc_crypto.base, h, &s_oem.cert[0]) != HAL_OK) {
                fprintf(stderr, "evsim: --oem-key: %s is not the key of the OEM provisioning certificate in %s\n",
                        oem_key, oem_chain);
                return 2;
            }
            s_evc.oem_key = h;
            s_evc.oem_leaf = s_oem.der[0];
            s_evc.oem_leaf_len = s_oem.len[0];
        }
        if (board_certprov_car_open(&s_take, &s_pnc_crypto, install ? oem_key : contract_key, contract_out, why,
                                    sizeof why) != HAL_OK) {
            fprintf(stderr, "evsim: %s\n", why);
            return 2;
        }
        s_evc.update = cert_update;
        s_evc.crypto = &s_pnc_crypto.base;
        s_evc.v2g_roots = s_v2g_root.cert;
        s_evc.n_v2g_roots = s_v2g_root.n;
        s_evc.now_s = (int64_t)time(NULL);
        s_evc.buf = s_evc_buf;
        s_evc.cap = sizeof s_evc_buf;
        s_evc.take = board_certprov_car_take;
        s_evc.take_ctx = &s_take;
        if (iso2_ev_cert_init(&s_evc) != HAL_OK) {
            fprintf(stderr, "evsim: the certificate request is incomplete (the OEM certificate above 800 bytes?)\n");
            return 2;
        }
        mc.iso2.cert = &s_evc;
    }
    if (soc_target <= soc_start) {
        fprintf(stderr, "evsim: --soc-target must be above --soc-start\n");
        return 2;
    }
    signal(SIGINT, evsim_signal);
    signal(SIGTERM, evsim_signal);
    signal(SIGUSR1, evsim_fault_signal);
    signal(SIGUSR2, evsim_fault_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    linux_loop_init(&e->loop);
    e->loop.stop_flag = &s_stop;
    e->log.base.ops = &s_evsim_log_ops;
    e->log.base.min_level = HAL_LOG_INFO;
    uint32_t now = hal_clock_now_ms(&e->loop.base);
    e->log.t0 = now;
    linux_rng_init(&e->rng);
    int rc = linux_pcap_open(&e->eth, iface);
    if (rc != HAL_OK) {
        fprintf(stderr, "evsim: %s: %s (%s)\n", iface, hal_strerror(rc), e->eth.errbuf);
        return 1;
    }
    (void)linux_loop_watch(&e->loop, linux_pcap_fd(&e->eth), POLLIN);
    if (linux_net_init(&e->net, iface, &e->loop) != HAL_OK) {
        fprintf(stderr, "evsim: %s: no such interface\n", iface);
        return 1;
    }
    if (tls) {
        /* -20 is never offered over TLS 1.2 ([V2G20-1237]): a -20-only car speaks 1.3 only */
        struct linux_tls_v2g_client tc = {.anchor_pem = ca,
                                          .versions = mc.protocol == EV_MODEL_PROTO_ISO20    ? LINUX_TLS_V2G_TLS13
                                                      : mc.protocol == EV_MODEL_PROTO_AUTO20 ? LINUX_TLS_V2G_BOTH
                                                                                             : LINUX_TLS_V2G_TLS12,
                                          .cert_pem = cert,
                                          .key_pem = key};
        if (linux_tls_init(&e->tls, &e->net.base, &e->log.base, &e->loop.base) != HAL_OK ||
            linux_tls_client_v2g(&e->tls, &tc) != HAL_OK) {
            fprintf(stderr, "evsim: TLS: %s\n", e->tls.reason);
            return 1;
        }
        if (keylog != NULL) {
            if (linux_tls_keylog(&e->tls, keylog) != HAL_OK) {
                fprintf(stderr, "evsim: --tls-keylog: %s\n", e->tls.reason);
                return 1;
            }
            fprintf(stderr, "evsim: WARNING: TLS key log %s: anyone who reads it can decrypt these sessions\n", keylog);
        }
        e->tls_on = true;
    }
    e->fd = -1;
    if (pilot != NULL) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(e->charger_path, sizeof e->charger_path, "%s", pilot);
        int n = snprintf(e->path, sizeof e->path, "%s.ev%ld", pilot, (long)getpid());
        if (strlen(pilot) >= sizeof a.sun_path || n < 0 || (size_t)n >= sizeof a.sun_path) {
            fprintf(stderr, "evsim: --pilot: path too long\n");
            return 2;
        }
        memcpy(a.sun_path, e->path, (size_t)n + 1);
        e->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        (void)unlink(e->path);
        if (e->fd < 0 || bind(e->fd, (struct sockaddr *)&a, sizeof a) != 0) {
            fprintf(stderr, "evsim: --pilot: cannot bind %s: %s\n", e->path, strerror(errno));
            return 1;
        }
        (void)linux_loop_watch(&e->loop, e->fd, POLLIN);
    }
    pilot_ev_init(&e->cp);
    e->duty = HAL_PILOT_DUTY_DC_HIGH;
    e->ncars = (int)cars;
    e->plug_delay_ms = (uint32_t)plug;
    e->pause_ms = (uint32_t)pause;
    e->unplug_delay_ms = (uint32_t)unplug;
    e->deadline = now + (uint32_t)timeout * 1000u;
    struct ev_link_ports ports = {.eth = &e->eth.base,
                                  .net = &e->net.base,
                                  .rng = &e->rng.base,
                                  .tls = tls ? &e->tls.base : NULL,
                                  .log = &e->log.base};
    for (int i = 0; i < e->ncars; i++) {
        struct ev_model_config c = mc;
        snprintf(c.name, sizeof c.name, "car%d", i + 1);
        c.soc_start = (uint8_t)soc_start;
        c.soc_target = (uint8_t)soc_target;
        c.charge_ms_max = (uint32_t)charge_s * 1000u;
        c.request_ma = (uint32_t)req_a * 1000u;
        c.din.evccid[5] = (uint8_t)(c.din.evccid[5] + i); /* each car its own identity */
        if (answer_ms != 0) {
            c.din.msg_timeout_ms = (uint32_t)answer_ms;
            c.din.msg_timeout_cd_ms = (uint32_t)answer_ms;
            c.iso20.msg_timeout_ms = (uint32_t)answer_ms;
            c.iso20.msg_timeout_loop_ms = (uint32_t)answer_ms;
            if (c.iso20.msg_timeout_detail_ms < (uint32_t)answer_ms) {
                c.iso20.msg_timeout_detail_ms = (uint32_t)answer_ms;
            }
            c.iso2.msg_timeout_ms = (uint32_t)answer_ms;
            c.iso2.msg_timeout_cd_ms = (uint32_t)answer_ms;
            if (c.iso2.msg_timeout_long_ms < (uint32_t)answer_ms) {
                c.iso2.msg_timeout_long_ms = (uint32_t)answer_ms;
            }
            c.link.v2gtp_timeout_ms = (uint32_t)answer_ms;
            if (c.link.connect_timeout_ms < (uint32_t)answer_ms) {
                c.link.connect_timeout_ms = (uint32_t)answer_ms;
            }
        }
        c.link.slac.use_modem = modem;
        if (tls) {
            c.link.sdp_security = SDP_SEC_TLS;
            c.link.tls_required = tls_required;
        }
        sched_init(&e->sched[i]);
        if (ev_model_init(&e->car[i], &c, &ports, &e->sched[i], pilot != NULL ? &e->cp : NULL, &e->log.base,
                          now) != HAL_OK) {
            fprintf(stderr, "evsim: car %d: bad configuration\n", i + 1);
            return 1;
        }
        e->result[i] = "not run";
    }
    static const char *const proto_names[] = {"DIN 70121", "ISO 15118-2", "ISO 15118-2 or DIN 70121",
                                              "ISO 15118-20 DC", "ISO 15118-20 DC, ISO 15118-2 or DIN 70121"};
    _Static_assert(sizeof proto_names / sizeof proto_names[0] == EV_MODEL_PROTO_AUTO20 + 1, "a name per offer");
    printf("evsim: offers %s\n", proto_names[mc.protocol]);
    printf("evsim: %d car(s), profile %s, SOC %lu %% -> %lu %%, charge %lu s, on %s%s%s%s\n", e->ncars, profile,
           soc_start, soc_target, charge_s, iface, tls ? ", TLS" : ", TCP", pilot != NULL ? ", pilot wire " : ", no pilot",
           pilot != NULL ? pilot : "");
    sched_task_init(&e->task, "evsim", evsim_step, e, true);
    e->phase = EVSIM_WAIT;
    e->phase_ms = now;
    e->wire_rx_ms = now;

    /* The superloop, with the scheduler of the car now plugged in. */
    bool io = true;
    int added = -1;
    while (!s_stop && !e->finished) {
        now = hal_clock_now_ms(&e->loop.base);
        if (s_fault_reset || s_fault_tls) {
            bool reset = s_fault_reset != 0;
            s_fault_reset = s_fault_tls = 0;
            evsim_strike(e, reset, now);
        }
        if (added != e->cur) {
            (void)sched_add(&e->sched[e->cur], &e->task, now);
            added = e->cur;
        }
        uint32_t wait = sched_run(&e->sched[e->cur], now, io);
        if (added != e->cur) {
            continue; /* the next car: move the script task to its scheduler */
        }
        if (hal_time_reached(now, e->deadline + 5000u)) {
            break;
        }
        io = hal_clock_idle(&e->loop.base, wait) == HAL_OK;
    }
    int nok = 0;
    char line[2048];
    size_t pos = 0;
    for (int i = 0; i < e->ncars; i++) {
        nok += e->ok[i] ? 1 : 0;
        int n = snprintf(line + pos, sizeof line - pos,
                         " [car %d: %s soc=%u->%u wh=%lld plug_to_done_s=%.1f proto=%s reneg=%lu resumes=%lu"
                         " max_w=%lld max_w_renegotiated=%lld]",
                         i + 1, e->ok[i] ? "ok" : e->result[i], e->soc0[i], e->soc1[i], e->wh[i],
                         e->t_done[i] != 0 ? (e->t_done[i] - e->t_plug[i]) / 1000.0 : 0.0,
                         e->proto[i] != NULL && e->proto[i][0] != '\0'
                             ? (strcmp(e->proto[i], "ISO 15118-20") == 0 ? "iso20"
                                : e->proto[i][0] == 'I'                ? "iso2" : "din")
                             : "none",
                         (unsigned long)e->reneg[i], (unsigned long)e->resumes[i], (long long)e->max_w[i],
                         (long long)e->max_w_renegotiated[i]);
        if (n > 0 && (size_t)n < sizeof line - pos) {
            pos += (size_t)n;
        }
    }
    printf("evsim: pilot wire: %lu sent, %lu received\n", (unsigned long)e->wire_tx, (unsigned long)e->wire_rx);
    printf("evsim: summary: cars=%d ok=%d failed=%d max_current_a=%.1f%s\n", e->ncars, nok, e->ncars - nok,
           e->max_ma / 1000.0, line);
    linux_net_close_all(&e->net);
    linux_pcap_close(&e->eth);
    if (e->tls_on) {
        linux_tls_free(&e->tls);
    }
    if (e->fd >= 0) {
        close(e->fd);
        (void)unlink(e->path);
    }
    return nok == e->ncars && !s_stop ? 0 : 1;
}
