/*
 * meter-ctl - bring-up tool for a Carlo Gavazzi EM580/EM300 meter, and the host harness
 * that runs the real firmware meter stack (linux_modbus + em580 + meter session + journal
 * on linux_nvs) in a superloop.
 *
 *   meter-ctl (--rtu DEV[,BAUD[,8N1]] | --tcp HOST:PORT) [--slave N] COMMAND
 *     read            model, identification, live values, public key
 *     start ID        begin a signed transaction with id ID
 *     stop [ID]       end it (no ID: whatever is open), print and verify the OCMF record
 *     pubkey          the public key (uncompressed point, hex)
 *     verify FILE     verify the OCMF record in FILE against the meter's key
 *                     (or --pubkey HEX without a meter: point or DER SubjectPublicKeyInfo)
 *     session N       run transactions through the journal (--journal DIR) until it holds N;
 *                     prints ACK lines, stop-to-verified times and the largest loop pass
 *     journal         list the journal (--journal DIR), verifying records with --pubkey
 *     load SECONDS    driver traffic only (transactions back to back): longest loop pass
 * Exit status 0 on success; 1 with a reason on any failure; 2 for bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "em580/em580.h"
#include "journal.h"
#include "linux_crypto.h"
#include "linux_loop.h"
#include "linux_modbus.h"
#include "linux_nvs.h"
#include "tool_args.h"
#include "meter.h"
#include "meter_em580.h"
#include "ocmf/ocmf.h"
#include "sched.h"

struct ctl {
    struct linux_loop loop;
    struct linux_modbus mb;
    struct meter_em580 m;
    struct sched sched;
    struct linux_crypto crypto;
    struct linux_nvs nvs;
    struct journal j;
    struct meter_session sess;
    struct journal_entry e;
    bool have_bus;
    uint64_t max_pass_ns;     /**< wall time of the longest pass (includes preemption) */
    uint64_t max_pass_cpu_ns; /**< CPU time of the main thread in its longest pass */
    uint64_t passes;
    uint32_t timeout_ms;
    uint32_t charge_ms;
    const char *pubkey_hex;
    const char *journal_dir;
    const char *evse_id;
    bool quiet;
    bool crypto_in_loop;      /**< --crypto-in-loop: no crypto worker (the MCU way) */
};

static struct ctl s_ctl;
static volatile int s_stop;

static void ctl_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint64_t ctl_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ctl_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One superloop pass; the work part (everything but the idle) is timed. */
static void ctl_pass(struct ctl *c)
{
    uint64_t t0 = ctl_ns();
    uint64_t c0 = ctl_cpu_ns();
    uint32_t now = hal_clock_now_ms(&c->loop.base);
    static bool io;
    uint32_t wait = sched_run(&c->sched, now, io);
    uint64_t dt = ctl_ns() - t0;
    uint64_t dc = ctl_cpu_ns() - c0;
    if (dt > c->max_pass_ns) {
        c->max_pass_ns = dt;
    }
    if (dc > c->max_pass_cpu_ns) {
        c->max_pass_cpu_ns = dc;
    }
    c->passes++;
    io = hal_clock_idle(&c->loop.base, wait) == HAL_OK;
}

typedef bool (*ctl_pred)(struct ctl *c);

static bool ctl_run_until(struct ctl *c, ctl_pred done, uint32_t max_ms)
{
    uint32_t start = hal_clock_now_ms(&c->loop.base);
    while (!s_stop) {
        if (done(c)) {
            return true;
        }
        if (hal_clock_now_ms(&c->loop.base) - start > max_ms) {
            return false;
        }
        ctl_pass(c);
    }
    return false;
}

static bool ctl_detected(struct ctl *c)
{
    return em580_phase(&c->m.em) != EM580_PH_DETECT && c->m.em.live_valid;
}

static bool ctl_failed_or_ready(struct ctl *c)
{
    return em580_phase(&c->m.em) == EM580_PH_FAILED || ctl_detected(c);
}

static struct em580_result s_res;
static bool ctl_result(struct ctl *c)
{
    return em580_result(&c->m.em, &s_res) == HAL_OK;
}

static int ctl_wait_meter(struct ctl *c)
{
    if (!ctl_run_until(c, ctl_failed_or_ready, 15000) || em580_phase(&c->m.em) != EM580_PH_READY) {
        fprintf(stderr, "meter-ctl: no meter: %s\n", em580_strerror(em580_error(&c->m.em)));
        return 1;
    }
    return 0;
}

static int ctl_job(struct ctl *c, int rc, const char *what)
{
    if (rc != HAL_OK) {
        fprintf(stderr, "meter-ctl: %s refused: %s\n", what, hal_strerror(rc));
        return 1;
    }
    sched_task_at(&c->m.task, hal_clock_now_ms(&c->loop.base)); /* run the job now */
    if (!ctl_run_until(c, ctl_result, 20000)) {
        fprintf(stderr, "meter-ctl: %s: no result\n", what);
        return 1;
    }
    if (s_res.status != HAL_OK) {
        fprintf(stderr, "meter-ctl: %s failed: %s (%s", what, hal_strerror(s_res.status),
                em580_strerror(s_res.error));
        if (s_res.exception != 0) {
            fprintf(stderr, ", exception %u", s_res.exception);
        }
        fprintf(stderr, ")\n");
        return 1;
    }
    return 0;
}

static void ctl_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02X", p[i]);
    }
    printf("\n");
}

static int ctl_key(struct ctl *c, uint8_t *pub, size_t *len)
{
    if (c->pubkey_hex != NULL) {
        if (ocmf_pubkey_from_hex(c->pubkey_hex, strlen(c->pubkey_hex), pub, HAL_CRYPTO_PUB_MAX,
                                 len) != HAL_OK) {
            fprintf(stderr, "meter-ctl: --pubkey is not a point or a DER public key\n");
            return 1;
        }
        return 0;
    }
    if (!c->have_bus) {
        fprintf(stderr, "meter-ctl: no key: give --pubkey or a meter\n");
        return 1;
    }
    enum hal_crypto_curve curve;
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    if (em580_pubkey(&c->m.em, pub, HAL_CRYPTO_PUB_MAX, len, &curve) != HAL_OK) {
        fprintf(stderr, "meter-ctl: the meter has no public key (%s)\n",
                em580_model(&c->m.em) == EM580_MODEL_EM300 ? "EM300/ET300" : "not Eichrecht-ready");
        return 1;
    }
    return 0;
}

static int ctl_verify_text(struct ctl *c, const char *text, size_t len)
{
    static struct ocmf_record rec;
    if (ocmf_parse(&rec, text, len) != HAL_OK) {
        printf("verify: FAILED (malformed record: %s at byte %u)\n", ocmf_strerror(rec.err),
               (unsigned)rec.err_at);
        return 1;
    }
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pl;
    if (ctl_key(c, pub, &pl) != 0) {
        return 1;
    }
    int rc = ocmf_verify(&rec, &c->crypto.base, pub, pl);
    if (rc == HAL_OK) {
        printf("verify: OK (%s)\n", linux_crypto_curve_name(rec.curve));
        return 0;
    }
    printf("verify: FAILED (%s)\n", rc == HAL_EPROTO ? "signature does not match the record"
                                    : rc == HAL_EINVAL ? "key does not fit the record's curve"
                                                       : hal_strerror(rc));
    return 1;
}

static int ctl_read(struct ctl *c)
{
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    struct em580 *em = &c->m.em;
    printf("model: %s (identification code %u)\n",
           em580_model(em) == EM580_MODEL_EM300 ? "EM300/ET300" : "EM580", em->ident);
    if (em580_model(em) == EM580_MODEL_EM580) {
        printf("serial: %s\n", em->serial);
    }
    struct em580_live lv;
    em580_live(em, &lv);
    printf("voltage: %.1f %.1f %.1f V\n", lv.v_dv[0] / 10.0, lv.v_dv[1] / 10.0, lv.v_dv[2] / 10.0);
    printf("current: %.3f %.3f %.3f A\n", lv.i_ma[0] / 1000.0, lv.i_ma[1] / 1000.0,
           lv.i_ma[2] / 1000.0);
    printf("power: %.1f W\n", lv.p_total_dw / 10.0);
    printf("frequency: %.1f Hz\n", lv.freq_dhz / 10.0);
    printf("import: %lld Wh\nexport: %lld Wh\n", (long long)lv.import_wh, (long long)lv.export_wh);
    printf("state: %s\n", em580_strerror(em580_error(em)));
    printf("transaction: %s%s\n", em580_tx_active(em) ? "open " : "none", em580_txid(em));
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pl;
    enum hal_crypto_curve curve;
    if (em580_pubkey(em, pub, sizeof pub, &pl, &curve) == HAL_OK) {
        printf("pubkey (%s): ", linux_crypto_curve_name(curve));
        ctl_hex(pub, pl);
    }
    return 0;
}

static int ctl_start(struct ctl *c, const char *id)
{
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    struct em580_tx tx = {.txid = id, .evse_id = c->evse_id, .id_data = "04A1B2C3D4E5F6",
                          .tariff_text = "0.39 EUR/kWh", .assigned = true, .type = 10};
    if (ctl_job(c, em580_start(&c->m.em, &tx), "start") != 0) {
        return 1;
    }
    printf("started %s%s\n", id, s_res.tt_truncated ? " (tariff text truncated)" : "");
    return 0;
}

static int ctl_stop(struct ctl *c, const char *id)
{
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    if (ctl_job(c, em580_stop(&c->m.em, id), "stop") != 0) {
        return 1;
    }
    size_t len = 0;
    const char *rec = em580_ocmf(&c->m.em, &len);
    if (rec == NULL) {
        printf("no transaction was open\n");
        return 0;
    }
    printf("%.*s\n", (int)len, rec);
    int v = ctl_verify_text(c, rec, len);
    if (ctl_job(c, em580_confirm(&c->m.em), "confirm") != 0) {
        return 1;
    }
    return v;
}

static int ctl_verify_file(struct ctl *c, const char *path)
{
    static char text[CFG_OCMF_MAX_LEN + 2];
    if (tool_must_exist("meter-ctl", "OCMF file", path) != 0) {
        return 1;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "meter-ctl: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        n--;
    }
    text[n] = '\0';
    return ctl_verify_text(c, text, n);
}

static const char *ctl_end_name(enum journal_end e)
{
    static const char *n[] = {"none", "normal", "recovered", "aborted", "failed"};
    return (unsigned)e < 5 ? n[e] : "?";
}

static int ctl_journal_open(struct ctl *c)
{
    if (c->journal_dir == NULL) {
        fprintf(stderr, "meter-ctl: --journal DIR is needed\n");
        return 1;
    }
    if (linux_nvs_init(&c->nvs, c->journal_dir) != HAL_OK ||
        journal_open(&c->j, &c->nvs.base) != HAL_OK) {
        fprintf(stderr, "meter-ctl: cannot open the journal in %s\n", c->journal_dir);
        return 1;
    }
    /* Journal writes complete on the store's worker: wake the loop for them. */
    (void)linux_loop_watch(&c->loop, linux_nvs_fd(&c->nvs), POLLIN);
    /* The session checks each stop record beside the loop, as the charger does; without
     * the worker the check runs inside a pass (slower passes, same verdicts). */
    if (!c->crypto_in_loop && linux_crypto_start_worker(&c->crypto) == HAL_OK) {
        (void)linux_loop_watch(&c->loop, linux_crypto_fd(&c->crypto), POLLIN);
    }
    return 0;
}

static int ctl_journal(struct ctl *c)
{
    /* A read: the directory must be there already (opening the store would create it). */
    if (c->journal_dir != NULL && tool_dir_must_exist("meter-ctl", "journal directory", c->journal_dir) != 0) {
        return 1;
    }
    if (ctl_journal_open(c) != 0) {
        return 1;
    }
    int bad = 0;
    uint32_t q = 0;
    printf("discarded %u\n", journal_discarded(&c->j));
    while (journal_next(&c->j, q, JOURNAL_FREE, &q) == HAL_OK) {
        if (journal_get(&c->j, q, &c->e) != HAL_OK) {
            printf("seq=%u unreadable\n", q);
            bad = 1;
            continue;
        }
        const char *v = "-";
        if (c->e.ocmf_len > 0 && c->pubkey_hex != NULL) {
            static struct ocmf_record rec;
            uint8_t pub[HAL_CRYPTO_PUB_MAX];
            size_t pl;
            v = ocmf_parse(&rec, c->e.ocmf, c->e.ocmf_len) == HAL_OK &&
                        ocmf_pubkey_from_hex(c->pubkey_hex, strlen(c->pubkey_hex), pub, sizeof pub,
                                             &pl) == HAL_OK &&
                        ocmf_verify(&rec, &c->crypto.base, pub, pl) == HAL_OK
                    ? "ok"
                    : "BAD";
        }
        char tt[64] = "";
        if (c->e.ocmf_len > 0) {
            static struct ocmf_record rec;
            if (ocmf_parse(&rec, c->e.ocmf, c->e.ocmf_len) == HAL_OK) {
                ocmf_txid(&rec, tt, sizeof tt);
            }
        }
        printf("seq=%u txid=%s state=%s end=%s start_wh=%lld stop_wh=%lld ocmf=%u record_txid=%s "
               "verified=%d check=%s\n",
               c->e.seq, c->e.txid, c->e.state == JOURNAL_CLOSED ? "closed" : "started",
               ctl_end_name(c->e.end), (long long)c->e.start_wh, (long long)c->e.stop_wh,
               c->e.ocmf_len, tt[0] ? tt : "-", c->e.verified, v);
    }
    return bad;
}

static struct meter_event s_ev;
static bool ctl_event(struct ctl *c)
{
    return meter_session_event(&c->sess, &s_ev) == HAL_OK;
}
static bool ctl_session_settled(struct ctl *c)
{
    enum meter_session_state st = meter_session_state(&c->sess);
    return st == METER_S_IDLE || st == METER_S_ACTIVE;
}
static uint32_t s_until;
static bool ctl_time(struct ctl *c)
{
    return hal_time_reached(hal_clock_now_ms(&c->loop.base), s_until);
}

static void ctl_print_event(const struct meter_event *ev, const char *txid)
{
    static const char *k[] = {"NONE", "STARTED", "START-FAILED", "STOPPED", "STOP-FAILED",
                              "RECOVERED"};
    printf("EVENT %s seq=%u status=%s verify=%s txid=%s\n", k[ev->kind], ev->seq,
           hal_strerror(ev->status), hal_strerror(ev->verify), txid);
    fflush(stdout);
}

static int ctl_session(struct ctl *c, unsigned target)
{
    if (ctl_journal_open(c) != 0) {
        return 1;
    }
    meter_session_init(&c->sess, &c->m.base, &c->j, &c->crypto.base);
    sched_add(&c->sched, meter_session_task(&c->sess), hal_clock_now_ms(&c->loop.base));
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    unsigned failures = 0;
    double worst_stop_ms = 0, sum_stop_ms = 0;
    unsigned nstops = 0;
    static char txid[JOURNAL_TXID_MAX];
    while (!s_stop) {
        if (!ctl_run_until(c, ctl_session_settled, 60000)) {
            fprintf(stderr, "meter-ctl: session stuck in state %d\n", meter_session_state(&c->sess));
            return 1;
        }
        while (ctl_event(c)) {
            ctl_print_event(&s_ev, "-");
        }
        unsigned count = 0;
        uint32_t q = 0;
        while (journal_next(&c->j, q, JOURNAL_FREE, &q) == HAL_OK) {
            count++;
        }
        if (count >= target) {
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        meter_session_set_wall(&c->sess, ts.tv_sec);
        snprintf(txid, sizeof txid, "%08lx-%04x-4000-8000-%012llx", (unsigned long)ts.tv_sec,
                 (unsigned)getpid() & 0xffffu, (unsigned long long)ts.tv_nsec);
        struct meter_tx_req req = {.txid = txid, .evse_id = c->evse_id, .id_data = "04A1B2C3",
                                   .tariff_text = "0.39 EUR/kWh", .assigned = true, .type = 10};
        int rc = meter_session_start(&c->sess, &req, hal_clock_now_ms(&c->loop.base));
        if (rc != HAL_OK) {
            fprintf(stderr, "meter-ctl: start refused: %s\n", hal_strerror(rc));
            if (rc != HAL_EAGAIN && ++failures > 5) {
                return 1;
            }
            s_until = hal_clock_now_ms(&c->loop.base) + 500;
            ctl_run_until(c, ctl_time, 1000);
            continue;
        }
        if (!ctl_run_until(c, ctl_event, 20000)) {
            fprintf(stderr, "meter-ctl: no start event\n");
            return 1;
        }
        ctl_print_event(&s_ev, txid);
        if (s_ev.kind != METER_EV_STARTED) {
            if (++failures > 5) {
                return 1;
            }
            continue;
        }
        printf("ACK-START %s\n", txid);
        fflush(stdout);
        s_until = hal_clock_now_ms(&c->loop.base) + c->charge_ms;
        ctl_run_until(c, ctl_time, c->charge_ms + 1000);
        uint64_t t0 = ctl_ns();
        rc = meter_session_stop(&c->sess, hal_clock_now_ms(&c->loop.base));
        if (rc != HAL_OK) {
            fprintf(stderr, "meter-ctl: stop refused: %s\n", hal_strerror(rc));
            return 1;
        }
        if (!ctl_run_until(c, ctl_event, 20000)) {
            fprintf(stderr, "meter-ctl: no stop event\n");
            return 1;
        }
        double ms = (double)(ctl_ns() - t0) / 1e6;
        ctl_print_event(&s_ev, txid);
        if (s_ev.kind == METER_EV_STOPPED) {
            printf("ACK-STOP %s verify=%s stop_to_verified_ms=%.1f\n", txid,
                   s_ev.verify == HAL_OK ? "OK" : hal_strerror(s_ev.verify), ms);
            fflush(stdout);
            if (s_ev.verify != HAL_OK) {
                failures++;
            }
            sum_stop_ms += ms;
            nstops++;
            if (ms > worst_stop_ms) {
                worst_stop_ms = ms;
            }
        } else if (++failures > 5) {
            return 1;
        }
    }
    ctl_run_until(c, ctl_session_settled, 5000);
    while (ctl_event(c)) {
        ctl_print_event(&s_ev, "-");
    }
    struct linux_modbus_stats st = linux_modbus_get_stats(&c->mb);
    printf("SUMMARY sessions=%u stop_to_verified_ms_avg=%.1f worst=%.1f loop_passes=%llu "
           "loop_max_pass_us=%.1f (cpu %.1f) modbus_requests=%u pdus=%u timeouts=%u orphans=%u\n",
           nstops, nstops ? sum_stop_ms / nstops : 0.0, worst_stop_ms,
           (unsigned long long)c->passes, (double)c->max_pass_ns / 1000.0,
           (double)c->max_pass_cpu_ns / 1000.0, st.requests, st.pdus,
           st.timeouts, meter_session_orphans(&c->sess));
    return failures > 0 ? 1 : 0;
}

/* Modbus traffic without the journal or the signature check: the driver's live reads
 * plus back-to-back transactions (start, stop, file read, confirm) for @p secs seconds.
 * Reports the longest superloop pass, i.e. the longest the loop was not idle. */
static int ctl_load(struct ctl *c, unsigned secs)
{
    if (ctl_wait_meter(c) != 0) {
        return 1;
    }
    c->max_pass_ns = 0;
    c->passes = 0;
    uint64_t end = ctl_ns() + (uint64_t)secs * 1000000000ull;
    unsigned n = 0;
    static char id[40];
    while (ctl_ns() < end && !s_stop) {
        snprintf(id, sizeof id, "load-%u", n);
        struct em580_tx tx = {.txid = id, .evse_id = c->evse_id, .type = 10};
        if (ctl_job(c, em580_start(&c->m.em, &tx), "start") != 0 ||
            ctl_job(c, em580_stop(&c->m.em, id), "stop") != 0 ||
            ctl_job(c, em580_confirm(&c->m.em), "confirm") != 0) {
            return 1;
        }
        n++;
    }
    struct linux_modbus_stats st = linux_modbus_get_stats(&c->mb);
    printf("LOAD transactions=%u loop_passes=%llu loop_max_pass_us=%.1f (cpu %.1f) "
           "modbus_requests=%u pdus=%u\n",
           n, (unsigned long long)c->passes, (double)c->max_pass_ns / 1000.0,
           (double)c->max_pass_cpu_ns / 1000.0, st.requests, st.pdus);
    return 0;
}

static void ctl_usage(FILE *f)
{
    fprintf(f, "usage: meter-ctl (--rtu DEV[,BAUD[,8N1]] | --tcp [HOST:]PORT) [--slave N]\n"
               "                 [--timeout-ms MS] [--pubkey HEX] [--journal DIR] [--evse ID]\n"
               "                 [--charge-ms MS] [--crypto-in-loop]\n"
               "                 (read | start ID | stop [ID] | pubkey | verify FILE | session N | journal |\n"
               "                  load SECONDS)\n"
               "  --tcp [HOST:]PORT  Modbus TCP meter (HOST default 127.0.0.1, PORT 1..65535; HOST alone: 502)\n"
               "  journal            list the journal in --journal DIR (must exist; nothing is created)\n"
               "  session N          N metered transactions, kept in the journal in DIR (created)\n"
               "  --crypto-in-loop   check each record inside a loop pass, without the crypto worker\n"
               "                     (as a port without submit/poll does; compare loop_max_pass_us)\n"
               "Exit status: 0 done, 1 the meter or a file failed, 2 bad arguments.\n");
}

int main(int argc, char **argv)
{
    struct ctl *c = &s_ctl;
    const char *rtu = NULL, *tcp = NULL;
    long slave = 1, v = 0;
    c->timeout_ms = 1000;
    c->charge_ms = 300;
    c->evse_id = "DE*DCF*E0001*1";
    static const struct option opts[] = {
        {"rtu", required_argument, 0, 'r'},     {"tcp", required_argument, 0, 't'},
        {"slave", required_argument, 0, 's'},   {"timeout-ms", required_argument, 0, 'T'},
        {"pubkey", required_argument, 0, 'p'},  {"journal", required_argument, 0, 'j'},
        {"evse", required_argument, 0, 'E'},    {"charge-ms", required_argument, 0, 'C'},
        {"crypto-in-loop", no_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'r': rtu = optarg; break;
        case 't': tcp = optarg; break;
        case 's':
            if (tool_number("meter-ctl", "--slave", optarg, 1, 247, &slave) != 0) {
                return 2;
            }
            break;
        case 'T':
            if (tool_number("meter-ctl", "--timeout-ms", optarg, 1, 60000, &v) != 0) {
                return 2;
            }
            c->timeout_ms = (uint32_t)v;
            break;
        case 'p': c->pubkey_hex = optarg; break;
        case 'j': c->journal_dir = optarg; break;
        case 'E': c->evse_id = optarg; break;
        case 'C':
            if (tool_number("meter-ctl", "--charge-ms", optarg, 0, 86400000L, &v) != 0) {
                return 2;
            }
            c->charge_ms = (uint32_t)v;
            break;
        case 'L': c->crypto_in_loop = true; break;
        case 'h': ctl_usage(stdout); return 0;
        default: ctl_usage(stderr); return 2;
        }
    }
    if (optind >= argc || (rtu != NULL && tcp != NULL)) {
        ctl_usage(stderr);
        return 2;
    }
    /* Check the bus argument here, so a typo is named as such and never reported as a
     * meter that does not answer. */
    char spec[TOOL_HOST_MAX + 16];
    if (tcp != NULL) {
        char addr[TOOL_HOST_MAX];
        int port = 0;
        if (tool_host_port("meter-ctl", "--tcp", tcp, "127.0.0.1", 502, addr, &port) != 0) {
            return 2;
        }
        snprintf(spec, sizeof spec, "%s:%d", addr, port);
        tcp = spec;
    } else if (rtu != NULL) {
        char dev[256];
        snprintf(dev, sizeof dev, "%s", rtu);
        dev[strcspn(dev, ",")] = '\0';
        if (tool_must_exist("meter-ctl", "serial device", dev) != 0) {
            return 1;
        }
    }
    const char *cmd = argv[optind];
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    signal(SIGINT, ctl_on_signal);
    signal(SIGTERM, ctl_on_signal);
    linux_loop_init(&c->loop);
    linux_crypto_init(&c->crypto);
    sched_init(&c->sched);
    if (rtu != NULL || tcp != NULL) {
        struct linux_modbus_config cfg;
        if (linux_modbus_parse(rtu != NULL ? rtu : tcp, rtu != NULL ? LINUX_MODBUS_RTU : LINUX_MODBUS_TCP,
                               &cfg) != HAL_OK) {
            fprintf(stderr, "meter-ctl: bad bus '%s' (--rtu DEV[,BAUD[,8N1]], BAUD 1..4000000)\n",
                    rtu != NULL ? rtu : tcp);
            return 2;
        }
        cfg.timeout_ms = c->timeout_ms;
        if (linux_modbus_init(&c->mb, &cfg) != HAL_OK) {
            fprintf(stderr, "meter-ctl: cannot open the bus\n");
            return 1;
        }
        linux_loop_watch(&c->loop, linux_modbus_fd(&c->mb), POLLIN);
        struct em580_config ec;
        em580_config_default(&ec);
        ec.unit = (uint8_t)slave; /* 1..247, checked above */
        ec.timeout_ms = c->timeout_ms;
        ec.fail_pause_ms = 2000;
        if (meter_em580_init(&c->m, &c->mb.base, &ec) != HAL_OK) {
            fprintf(stderr, "meter-ctl: bad meter configuration (retry budget >= 4.5 s?)\n");
            return 2;
        }
        sched_add(&c->sched, meter_em580_task(&c->m), hal_clock_now_ms(&c->loop.base));
        c->have_bus = true;
    }
    int rc;
    bool need_bus = strcmp(cmd, "verify") != 0 && strcmp(cmd, "journal") != 0;
    if (need_bus && !c->have_bus) {
        fprintf(stderr, "meter-ctl: %s needs --rtu or --tcp\n", cmd);
        rc = 2;
    } else if (strcmp(cmd, "read") == 0) {
        rc = ctl_read(c);
    } else if (strcmp(cmd, "start") == 0 && arg != NULL) {
        rc = ctl_start(c, arg);
    } else if (strcmp(cmd, "stop") == 0) {
        rc = ctl_stop(c, arg != NULL ? arg : "");
    } else if (strcmp(cmd, "pubkey") == 0) {
        uint8_t pub[HAL_CRYPTO_PUB_MAX];
        size_t pl;
        rc = ctl_key(c, pub, &pl);
        if (rc == 0) {
            ctl_hex(pub, pl);
        }
    } else if (strcmp(cmd, "verify") == 0 && arg != NULL) {
        rc = ctl_verify_file(c, arg);
    } else if (strcmp(cmd, "session") == 0 && arg != NULL) {
        rc = tool_number("meter-ctl", "session N", arg, 0, 1000000, &v) != 0 ? 2 : ctl_session(c, (unsigned)v);
    } else if (strcmp(cmd, "load") == 0 && arg != NULL) {
        rc = tool_number("meter-ctl", "load SECONDS", arg, 1, 1000000, &v) != 0 ? 2 : ctl_load(c, (unsigned)v);
    } else if (strcmp(cmd, "journal") == 0) {
        rc = ctl_journal(c);
    } else {
        ctl_usage(stderr);
        rc = 2;
    }
    if (c->have_bus) {
        linux_modbus_close(&c->mb);
    }
    return rc;
}
