/*
 * sim_pnc.c - owns `sim --pnc`: the test PKI made by tools/v2g-pki/make-pki.sh into
 * build/pnc-pki (or --pki DIR, reused when it holds one), the charger's mobility-operator
 * roots (pnc.mo_roots of --config, else the PKI's MO root), the car's contract chain and key
 * (--contract-chain/--contract-key, else the PKI's good contract), both through the Linux
 * crypto port. The simulator's link is plain TCP in memory: the charger offers Contract
 * there by the documented lab switch (hlc_config.iso2_pnc_plain_tcp).
 */
#include "sim_pnc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool sim_pnc_exists(const char *dir, const char *rel)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return stat(path, &st) == 0;
}

/* The build directory beside the binary (build/bin/sim -> build), else "build". */
static void sim_pnc_default_dir(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1u);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            slash = strrchr(exe, '/');
            if (slash != NULL && (strcmp(slash, "/bin") == 0)) {
                *slash = '\0'; /* build/bin or build/san/bin -> build or build/san */
                if ((size_t)snprintf(out, cap, "%s/pnc-pki", exe) < cap) {
                    return;
                }
            }
        }
    }
    snprintf(out, cap, "build/pnc-pki");
}

/* make-pki.sh: beside the sources the binary was built from, else from the working directory. */
static void sim_pnc_script(char *out, size_t cap)
{
    static const char *const tries[] = {"tools/v2g-pki/make-pki.sh", "../tools/v2g-pki/make-pki.sh",
                                        "../../tools/v2g-pki/make-pki.sh"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1u);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            for (int up = 0; up < 3; up++) {
                int n2 = snprintf(out, cap, "%s/%.*s/tools/v2g-pki/make-pki.sh", exe, up * 3, "../../../");
                if (n2 > 0 && (size_t)n2 < cap && access(out, R_OK) == 0) {
                    return;
                }
            }
        }
    }
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        if (access(tries[i], R_OK) == 0) {
            snprintf(out, cap, "%s", tries[i]);
            return;
        }
    }
    snprintf(out, cap, "%s", tries[0]);
}

/* Runs make-pki.sh DIR (no shell: the directory is passed as one argument). */
static int sim_pnc_make(const char *dir)
{
    char script[PATH_MAX + 64];
    sim_pnc_script(script, sizeof script);
    fprintf(stderr, "sim: --pnc: making the test PKI in %s (%s)\n", dir, script);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "sim: --pnc: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            (void)dup2(devnull, 1); /* its progress lines would mix with the run's log */
        }
        execlp("bash", "bash", script, dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sim: --pnc: %s %s failed (exit %d): is openssl installed (tools/deps)?\n", script, dir,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

/* --cert-install / --cert-update: the charger's provider from the PKI (pnc.* of --config
 * win where given), the car's OEM leaf and key or its contract key, the V2G root. */
static int sim_pnc_cert_start(struct sim_pnc *p, const struct sim_options *o)
{
    static struct board_config bc; /* a copy: the provider's keys default to the PKI's files */
    bc = o->bc;
    struct {
        char *dst;
        size_t cap;
        const char *rel;
    } const dflt[] = {
        {bc.pnc_cps_chain, sizeof bc.pnc_cps_chain, "ok/cps/chain.pem"},
        {bc.pnc_cps_key, sizeof bc.pnc_cps_key, "keys/cps.key"},
        {bc.pnc_contract_ca_chain, sizeof bc.pnc_contract_ca_chain, "ok/contract/subs.pem"},
        {bc.pnc_contract_ca_key, sizeof bc.pnc_contract_ca_key, "keys/mo-sub2.key"},
        {bc.pnc_oem_chain, sizeof bc.pnc_oem_chain, "oem-chain.pem"},
    };
    char path[512], why[400];
    /* the OEM chain the charger checks against: Sub-CAs, then the root, in one file */
    snprintf(path, sizeof path, "%s/oem-chain.pem", p->dir);
    FILE *out = fopen(path, "w");
    const char *parts[] = {"ok/oem/subs.pem", "roots/oem/root.pem"};
    for (size_t i = 0; out != NULL && i < 2; i++) {
        char src[512];
        snprintf(src, sizeof src, "%s/%s", p->dir, parts[i]);
        FILE *in = fopen(src, "r");
        char buf[4096];
        size_t n;
        while (in != NULL && (n = fread(buf, 1, sizeof buf, in)) > 0) {
            (void)fwrite(buf, 1, n, out);
        }
        if (in != NULL) {
            (void)fclose(in);
        }
    }
    if (out == NULL || fclose(out) != 0) {
        fprintf(stderr, "sim: --pnc: cannot write %s\n", path);
        return 2;
    }
    for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++) {
        if (dflt[i].dst[0] == '\0') {
            snprintf(dflt[i].dst, dflt[i].cap, "%s/%s", p->dir, dflt[i].rel);
        }
    }
    if (bc.pnc_cert_provider[0] == '\0') {
        snprintf(bc.pnc_cert_provider, sizeof bc.pnc_cert_provider, "ca");
    }
    if (bc.pnc_cert_emaid[0] == '\0') {
        snprintf(bc.pnc_cert_emaid, sizeof bc.pnc_cert_emaid, "%s", p->car.contract.emaid);
    }
    memset(&p->tmpl, 0, sizeof p->tmpl);
    if (board_certprov_setup(&p->prov, &bc, &p->tmpl, why, sizeof why) != HAL_OK || !p->prov.have_prov) {
        fprintf(stderr, "sim: --pnc: %s\n", why);
        return 2;
    }
    fprintf(stderr, "sim: %s\n", why);
    /* the car */
    snprintf(path, sizeof path, "%s/roots/v2g/root.pem", p->dir);
    if (board_pnc_load_roots(&p->v2g_root, path, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "sim: --pnc: the car's V2G root: %s\n", why);
        return 2;
    }
    char kp[512];
    if (o->cert_install) {
        snprintf(path, sizeof path, "%s/ok/oem/leaf.pem", p->dir);
        snprintf(kp, sizeof kp, "%s/keys/oem.key", p->dir);
        if (board_pnc_load_file(&p->oem_leaf, path, why, sizeof why) != HAL_OK ||
            linux_crypto_add_key_file(&p->crypto, kp, &p->oem_key) != HAL_OK ||
            board_pnc_key_matches(&p->crypto.base, p->oem_key, &p->oem_leaf.cert[0]) != HAL_OK) {
            fprintf(stderr, "sim: --pnc: the car's OEM provisioning certificate and key (%s, %s) do not load "
                            "or do not match\n", path, kp);
            return 2;
        }
    } else {
        snprintf(kp, sizeof kp, "%s", o->contract_key != NULL ? o->contract_key : "");
        if (kp[0] == '\0') {
            snprintf(kp, sizeof kp, "%s/keys/contract.key", p->dir);
        }
    }
    if (board_certprov_car_open(&p->take, &p->crypto, kp, NULL, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "sim: --pnc: %s\n", why);
        return 2;
    }
    memset(&p->evc, 0, sizeof p->evc);
    p->evc.update = o->cert_update;
    p->evc.crypto = &p->crypto.base;
    p->evc.oem_key = p->oem_key;
    p->evc.oem_leaf = p->oem_leaf.der[0];
    p->evc.oem_leaf_len = p->oem_leaf.len[0];
    p->evc.v2g_roots = p->v2g_root.cert;
    p->evc.n_v2g_roots = p->v2g_root.n;
    p->evc.now_s = (int64_t)time(NULL);
    p->evc.buf = p->evc_buf;
    p->evc.cap = sizeof p->evc_buf;
    p->evc.take = board_certprov_car_take;
    p->evc.take_ctx = &p->take;
    if (iso2_ev_cert_init(&p->evc) != HAL_OK) {
        fprintf(stderr, "sim: --pnc: the car's certificate request is incomplete\n");
        return 2;
    }
    p->cert = true;
    return 0;
}

void sim_pnc_report(const struct sim_pnc *p)
{
    (void)fflush(stdout); /* after the log lines of the run */
    if (p->cert && p->evc.note[0] != '\0') {
        fprintf(stderr, "sim: car: %s\n", p->evc.note);
    }
    if (p->cert && p->take.line[0] != '\0') {
        fprintf(stderr, "sim: %s\n", p->take.line);
    }
}

int sim_pnc_start(struct sim_pnc *p, const struct sim_options *o)
{
    memset(p, 0, sizeof *p);
    if (o->pki_dir != NULL) {
        snprintf(p->dir, sizeof p->dir, "%s", o->pki_dir);
    } else {
        sim_pnc_default_dir(p->dir, sizeof p->dir);
    }
    /* reused when complete: the PKI costs seconds of CPU, a run a fraction of one */
    if (!sim_pnc_exists(p->dir, "ok/contract/chain.pem") || !sim_pnc_exists(p->dir, "roots/mo/root.pem") ||
        !sim_pnc_exists(p->dir, "keys/contract.key")) {
        if (sim_pnc_make(p->dir) != 0) {
            return 2;
        }
    }
    linux_crypto_init(&p->crypto);
    linux_rng_init(&p->rng);
    if (p->crypto.selftest != HAL_OK) {
        fprintf(stderr, "sim: --pnc: OpenSSL ECDSA P-256 known-answer test failed\n");
        return 2;
    }
    char path[512], why[320];
    /* The charger's roots: what --config says (as the Linux board takes them), else the PKI's. */
    if (o->bc.pnc_mo_roots[0] != '\0') {
        snprintf(path, sizeof path, "%s", o->bc.pnc_mo_roots);
    } else {
        snprintf(path, sizeof path, "%s/roots/mo/root.pem", p->dir);
    }
    if (board_pnc_load_roots(&p->roots, path, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "sim: --pnc: pnc.mo_roots: %s\n", why);
        return 2;
    }
    /* The car's contract: leaf first, then its Sub-CAs; its key checked against the leaf. */
    char kp[512];
    if (o->contract_chain != NULL) {
        snprintf(path, sizeof path, "%s", o->contract_chain);
    } else {
        snprintf(path, sizeof path, "%s/ok/contract/chain.pem", p->dir);
    }
    if (o->contract_key != NULL) {
        snprintf(kp, sizeof kp, "%s", o->contract_key);
    } else {
        snprintf(kp, sizeof kp, "%s/keys/contract.key", p->dir);
    }
    if (board_pnc_load_car(&p->car, &p->crypto, path, kp, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "sim: --pnc: the car's contract: %s\n", why);
        return 2;
    }
    p->on = true;
    return o->cert_install || o->cert_update ? sim_pnc_cert_start(p, o) : 0;
}

void sim_pnc_charger(struct sim_pnc *p, int i, struct charger_config *cfg, struct charger_ports *ports)
{
    if (!p->on) {
        return;
    }
    struct iso2_evse_pnc *c = &p->ctx[i];
    memset(c, 0, sizeof *c);
    c->crypto = &p->crypto.base;
    c->rng = &p->rng.base;
    c->roots = p->roots.cert;
    c->nroots = p->roots.n;
    c->buf = p->secc_buf[i];
    c->cap = sizeof p->secc_buf[i];
    iso2_evse_pnc_init(c);
    if (p->cert) {
        c->oem_roots = p->tmpl.oem_roots;
        c->n_oem_roots = p->tmpl.n_oem_roots;
        c->oem_subs = p->tmpl.oem_subs;
        c->n_oem_subs = p->tmpl.n_oem_subs;
        c->cert_provider = p->tmpl.cert_provider;
        c->cert_ctx = p->tmpl.cert_ctx;
        iso2_evse_cert_init(c);
    }
    cfg->hlc.iso2.offer_contract = true;
    cfg->hlc.iso2_pnc_plain_tcp = true; /* LAB: the in-memory link has no TLS */
    ports->pnc = c;
}

void sim_pnc_car(struct sim_pnc *p, struct ev_model_config *cfg)
{
    if (p->on) {
        cfg->iso2.contract = &p->car.contract;
    }
    if (p->cert) {
        cfg->iso2.cert = &p->evc;
        if (!p->evc.update) {
            cfg->iso2.contract = NULL; /* it comes to get one */
        }
    }
}
