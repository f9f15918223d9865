/*
 * link_vectors DIR - the HomePlug frames of the real sessions in DIR/ *.jsonl (read in
 * place, never copied): every frame through the codec (decode, and re-encode identical
 * for SLAC messages), then the car-side frames of each session fed, with their recorded
 * times, to the EVSE SLAC machine, which must answer well-formed and reach the state the
 * real exchange reached (matched or not). Host-only. Ends with "N passed, N failed".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slac/slac_evse.h"

#define MAXF 4096

struct rec {
    uint32_t t_ms;
    uint16_t type;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t len;
};

static struct rec s_recs[MAXF];
static int s_pass, s_fail;

static bool field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (p == NULL) {
        return false;
    }
    p += strlen(pat);
    if (*p == '"') {
        p++;
    }
    size_t n = 0;
    while (*p && *p != '"' && *p != ',' && *p != '}' && n + 1 < cap) {
        out[n++] = *p++;
    }
    out[n] = 0;
    return true;
}

static bool parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        m[i] = (uint8_t)v[i];
    }
    return true;
}

static int load(const char *path, double *t0)
{
    static char line[16384];
    FILE *f = fopen(path, "r");
    int n = 0;
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL && n < MAXF) {
        char v[8192];
        if (strstr(line, "\"p\":\"HPAV\"") == NULL) {
            continue;
        }
        struct rec *r = &s_recs[n];
        field(line, "t", v, sizeof v);
        double t = atof(v);
        if (n == 0) {
            *t0 = t;
        }
        r->t_ms = (uint32_t)((t - *t0) * 1000.0 + 0.5);
        field(line, "dst", v, sizeof v);
        parse_mac(v, r->f);
        field(line, "src", v, sizeof v);
        parse_mac(v, &r->f[6]);
        r->f[12] = 0x88;
        r->f[13] = 0xE1;
        field(line, "mmtype", v, sizeof v);
        r->type = (uint16_t)strtoul(v, NULL, 16);
        field(line, "hex", v, sizeof v);
        size_t h = strlen(v) / 2;
        if (h + 14 > HOMEPLUG_FRAME_MAX) {
            continue;
        }
        for (size_t i = 0; i < h; i++) {
            unsigned b;
            sscanf(&v[2 * i], "%2x", &b);
            r->f[14 + i] = (uint8_t)b;
        }
        r->len = 14 + h;
        n++;
    }
    fclose(f);
    return n;
}

static void check_codec(const char *name, int n)
{
    int ok = 0, ignored = 0, bad = 0, differ = 0;
    for (int i = 0; i < n; i++) {
        struct homeplug_msg m;
        enum homeplug_reason why;
        int rc = homeplug_decode(s_recs[i].f, s_recs[i].len, &m, &why);
        if (rc == HAL_ENOTSUP) {
            ignored++;
            continue;
        }
        if (rc != HAL_OK) {
            bad++;
            printf("  %s: frame %d type 0x%04x refused: %s\n", name, i, s_recs[i].type,
                   homeplug_reason_str(why));
            continue;
        }
        ok++;
        if (m.mmtype >= 0xA000u) {
            continue; /* vendor frames carry undocumented tails; decoding is the check */
        }
        uint8_t e[HOMEPLUG_FRAME_MAX];
        size_t el;
        if (homeplug_encode(&m, e, sizeof e, &el) != HAL_OK) {
            differ++;
            continue;
        }
        size_t cmp = el < s_recs[i].len ? el : s_recs[i].len;
        if (memcmp(e, s_recs[i].f, cmp) != 0) {
            differ++;
            printf("  %s: frame %d (%s) re-encodes differently\n", name, i,
                   homeplug_mmtype_name(m.mmtype));
        }
    }
    if (bad == 0 && differ == 0 && ok > 0) {
        printf("PASS codec %s: %d frames decoded (re-encoded identical), %d of other types ignored\n",
               name, ok, ignored);
        s_pass++;
    } else if (ok + bad > 0) {
        printf("FAIL codec %s: %d refused, %d re-encoded differently\n", name, bad, differ);
        s_fail++;
    }
}

static bool is_car_side(uint16_t t)
{
    return t == HOMEPLUG_CM_SLAC_PARM_REQ || t == HOMEPLUG_CM_START_ATTEN_CHAR_IND ||
           t == HOMEPLUG_CM_MNBC_SOUND_IND || t == HOMEPLUG_CM_ATTEN_PROFILE_IND ||
           t == HOMEPLUG_CM_ATTEN_CHAR_RSP || t == HOMEPLUG_CM_SLAC_MATCH_REQ;
}

static void replay(const char *name, int n)
{
    static struct slac_evse e;
    struct slac_config c;
    uint8_t evse_mac[6], nmk[16] = {1, 2, 3};
    bool have_evse = false, real_matched = false;
    int reqs = 0;
    for (int i = 0; i < n; i++) {
        if (s_recs[i].type == HOMEPLUG_CM_SLAC_PARM_CNF && !have_evse) {
            memcpy(evse_mac, &s_recs[i].f[6], 6);
            have_evse = true;
        }
    }
    int nreq = 0;
    for (int i = 0; i < n; i++) {
        nreq += s_recs[i].type == HOMEPLUG_CM_SLAC_PARM_REQ;
    }
    if (!have_evse || nreq == 0) {
        printf("  replay %s: no CM_SLAC_PARM.REQ/.CNF pair in the capture, nothing to replay\n", name);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (s_recs[i].type == HOMEPLUG_CM_SLAC_MATCH_CNF && memcmp(&s_recs[i].f[6], evse_mac, 6) == 0) {
            real_matched = true;
        }
    }
    slac_config_default(&c);
    c.use_modem = false;
    c.tt_evse_slac_init_ms = 0;
    c.c_conn_max_match = 255;
    slac_evse_init(&e, &c, evse_mac);
    slac_evse_set_key(&e, nmk, 0, 0);
    slac_evse_start(&e, s_recs[0].t_ms);
    unsigned cnf = 0, match_cnf = 0, malformed = 0, runid_bad = 0;
    for (int i = 0; i <= n; i++) {
        uint32_t now = i < n ? s_recs[i].t_ms : s_recs[n - 1].t_ms + 20000u;
        slac_evse_tick(&e, now);
        if (i < n && is_car_side(s_recs[i].type) && memcmp(&s_recs[i].f[6], evse_mac, 6) != 0 &&
            (memcmp(s_recs[i].f, evse_mac, 6) == 0 ||
             memcmp(s_recs[i].f, homeplug_mac_broadcast, 6) == 0)) {
            reqs += s_recs[i].type == HOMEPLUG_CM_SLAC_PARM_REQ;
            (void)slac_evse_input(&e, s_recs[i].f, s_recs[i].len, now);
            /* the EV's first IP packet (not in these HomePlug lines) follows the match */
            slac_evse_link_up(&e);
        }
        uint8_t f[HOMEPLUG_FRAME_MAX];
        size_t len;
        while (slac_evse_pop(&e, f, sizeof f, &len) == HAL_OK) {
            struct homeplug_msg m;
            if (homeplug_decode(f, len, &m, NULL) != HAL_OK) {
                malformed++;
                continue;
            }
            if (m.mmtype == HOMEPLUG_CM_SLAC_PARM_CNF) {
                cnf++;
                /* the RunID must be that of the PARM.REQ just fed (P1) */
                if (i >= n || memcmp(m.u.parm_cnf.run_id, &s_recs[i].f[14 + 7], 8) != 0) {
                    runid_bad++;
                }
            }
            match_cnf += m.mmtype == HOMEPLUG_CM_SLAC_MATCH_CNF;
        }
    }
    bool ok = malformed == 0 && runid_bad == 0 && cnf > 0 && (match_cnf > 0) == real_matched;
    printf("%s replay %s: %d PARM.REQ fed, %u PARM.CNF, %u MATCH.CNF sent (real exchange %s)%s\n",
           ok ? "PASS" : "FAIL", name, reqs, cnf, match_cnf, real_matched ? "matched" : "did not match",
           runid_bad ? ", RunID not echoed" : "");
    ok ? s_pass++ : s_fail++;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/vectors/sessions";
    DIR *d = opendir(dir);
    static char names[64][256];
    char *list[64];
    int k = 0;
    if (d == NULL) {
        printf("SKIP link_vectors: %s not found (set SHARED to the shared material)\n", dir);
        printf("0 passed, 0 failed\n");
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && k < 64) {
        if (strstr(de->d_name, ".jsonl") != NULL) {
            snprintf(names[k], sizeof names[k], "%s", de->d_name);
            list[k] = names[k];
            k++;
        }
    }
    closedir(d);
    qsort(list, (size_t)k, sizeof list[0], cmp);
    for (int i = 0; i < k; i++) {
        char path[600];
        double t0 = 0;
        snprintf(path, sizeof path, "%s/%s", dir, list[i]);
        int n = load(path, &t0);
        if (n == 0) {
            continue;
        }
        char *dot = strstr(list[i], ".pcap");
        if (dot != NULL) {
            *dot = 0;
        }
        check_codec(list[i], n);
        replay(list[i], n);
    }
    printf("%d passed, %d failed\n", s_pass, s_fail);
    return s_fail == 0 && s_pass > 0 ? 0 : 1;
}
