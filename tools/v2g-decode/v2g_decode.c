/**
 * @file v2g_decode.c
 * @brief v2g-decode: a capture (pcap, pcapng, the project's session JSONL or a live
 *        interface) as a timestamped, direction-tagged conversation: HomePlug AV/SLAC
 *        frames, SDP, every V2GTP message decoded with our EXI codecs (the schema from the
 *        handshake of its connection), TLS decrypted with a key log. Text, XML, JSON lines
 *        or CSV; the last line is always `messages=N errors=E`.
 *
 * The capture reader (TCP reassembly, link types, pcapng blocks) is v2g-replay's
 * (tools/v2g-replay/v2g_pcap.c) with hooks; TLS is v2gd_tls.c; the message summaries are
 * v2gd_exi.c. Host tool: heap allowed.
 */
#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../v2g-codec/v2gc_xml.h"
#include "../v2g-replay/v2g_pcap.h"
#include "apphand/apphand.h"
#include "exi/exi_registry.h"
#include "exi/exi_stream.h"
#include "homeplug/homeplug.h"
#include "sdp/sdp.h"
#include "tool_jsonl.h"
#include "v2gd_exi.h"
#include "v2gd_tls.h"

#define MAX_V2GTP (1u * 1024u * 1024u)

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

/* One TCP connection as the decoder sees it. */
struct conn {
    struct v2gd_negotiation neg; /* the handshake followed */
    bool handshake_seen;    /* any appHand message */
    bool tls_used, tls_announced;
    struct v2gd_tls tls;
    uint8_t *plain[2];      /* decrypted bytes not yet a whole V2GTP message ([1]: EV) */
    size_t plen[2], pcap[2];
};

struct dec {
    enum fmt fmt;
    bool xml;
    FILE *out;
    struct v2gd_keylog keys;
    bool collect_keys;      /* this pass adds in-band keys (the first pass of a file) */
    struct conn *conns;
    size_t nconns;
    unsigned long messages, errors, by_layer[3];
    void *doc;
    size_t doc_cap;
    struct v2gc_buf xb;
    /* fields of the line being built */
    char fj[1024], ft[1024], fo[512]; /* JSON, text, CSV "info" column */
    size_t fjl, ftl, fol;
    char csv[V2GD_NUMS + V2GD_TXTS + 1][128];
    double t_cur;
};

enum { L_SLAC, L_SDP, L_V2GTP };

/* ------------------------------------------------------------------ output */

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fprintf(o, "\\%c", c);
        } else if (c == '\n') {
            fputs("\\n", o);
        } else if (c < 0x20) {
            fprintf(o, "\\u%04x", c);
        } else {
            fputc(c, o);
        }
    }
    fputc('"', o);
}

static void csv_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s != '\0'; s++) {
        if (*s == '"') {
            fputc('"', o);
        }
        fputc(*s == '\n' ? ' ' : *s, o);
    }
    fputc('"', o);
}

static void fields_reset(struct dec *d)
{
    d->fjl = d->ftl = d->fol = 0;
    d->fj[0] = d->ft[0] = d->fo[0] = '\0';
    memset(d->csv, 0, sizeof d->csv);
}

static void app(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap - 1) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
    }
}

static void fld_num(struct dec *d, const char *k, double v, int csv_col)
{
    char num[32];
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(num, sizeof num, "%.0f", v);
    } else {
        snprintf(num, sizeof num, "%.6g", v);
    }
    app(d->fj, sizeof d->fj, &d->fjl, "%s\"%s\":%s", d->fjl ? "," : "", k, num);
    app(d->ft, sizeof d->ft, &d->ftl, " %s=%s", k, num);
    if (csv_col >= 0) {
        snprintf(d->csv[csv_col], sizeof d->csv[0], "%s", num);
    } else {
        app(d->fo, sizeof d->fo, &d->fol, "%s%s=%s", d->fol ? " " : "", k, num);
    }
}

static void fld_str(struct dec *d, const char *k, const char *v, int csv_col)
{
    /* Values are names, hex and addresses: nothing to escape but to be safe, refuse quotes. */
    char clean[128];
    size_t n = 0;
    for (; *v != '\0' && n + 1 < sizeof clean; v++) {
        clean[n++] = (*v == '"' || *v == '\\' || (unsigned char)*v < 0x20) ? '?' : *v;
    }
    clean[n] = '\0';
    app(d->fj, sizeof d->fj, &d->fjl, "%s\"%s\":\"%s\"", d->fjl ? "," : "", k, clean);
    app(d->ft, sizeof d->ft, &d->ftl, " %s=%s", k, clean);
    if (csv_col >= 0) {
        snprintf(d->csv[csv_col], sizeof d->csv[0], "%s", clean);
    } else {
        app(d->fo, sizeof d->fo, &d->fol, "%s%s=%s", d->fol ? " " : "", k, clean);
    }
}

static void fld_bool(struct dec *d, const char *k, bool v, int csv_col)
{
    app(d->fj, sizeof d->fj, &d->fjl, "%s\"%s\":%s", d->fjl ? "," : "", k, v ? "true" : "false");
    app(d->ft, sizeof d->ft, &d->ftl, " %s=%s", k, v ? "true" : "false");
    if (csv_col >= 0) {
        snprintf(d->csv[csv_col], sizeof d->csv[0], "%s", v ? "true" : "false");
    } else {
        app(d->fo, sizeof d->fo, &d->fol, "%s%s=%s", d->fol ? " " : "", k, v ? "true" : "false");
    }
}

static void csv_header(FILE *o)
{
    fputs("t,layer,dir,schema,msg", o);
    for (int i = 0; i < V2GD_NUMS; i++) {
        fprintf(o, ",%s", v2gd_num_names[i]);
    }
    for (int i = 0; i < V2GD_TXTS; i++) {
        fprintf(o, ",%s", v2gd_txt_names[i]);
    }
    fputs(",ev_ready,info,error\n", o);
}

/* One message line (the fields built since fields_reset). */
static void emit_line(struct dec *d, double t, const char *layer, const char *dir, const char *schema,
                      const char *msg, bool tls, const char *error, const char *xml, bool is_msg)
{
    FILE *o = d->out;
    d->messages += is_msg;
    d->errors += error != NULL;
    switch (d->fmt) {
    case FMT_JSON:
        fprintf(o, "{\"t\":%.6f,\"layer\":\"%s\",\"dir\":\"%s\"", t, layer, dir);
        if (schema != NULL) {
            fprintf(o, ",\"schema\":\"%s\"", schema);
        }
        fputs(",\"msg\":", o);
        json_str(o, msg);
        if (tls) {
            fputs(",\"tls\":true", o);
        }
        fprintf(o, ",\"fields\":{%s}", d->fj);
        if (error != NULL) {
            fputs(",\"error\":", o);
            json_str(o, error);
        }
        if (xml != NULL) {
            fputs(",\"xml\":", o);
            json_str(o, xml);
        }
        fputs("}\n", o);
        break;
    case FMT_CSV:
        fprintf(o, "%.6f,%s,%s,%s,", t, layer, dir, schema != NULL ? schema : "");
        csv_str(o, msg);
        for (int i = 0; i < V2GD_NUMS + V2GD_TXTS + 1; i++) {
            fprintf(o, ",%s", d->csv[i]);
        }
        fputc(',', o);
        csv_str(o, d->fo);
        fputc(',', o);
        csv_str(o, error != NULL ? error : "");
        fputc('\n', o);
        break;
    default:
        fprintf(o, "%.6f %-8s %-5s %-8s %s%s%s", t, dir, layer, schema != NULL ? schema : "-", msg,
                tls ? " [tls]" : "", d->ft);
        if (error != NULL) {
            fprintf(o, " UNDECODABLE: %s", error);
        }
        fputc('\n', o);
        if (xml != NULL) {
            fprintf(o, "%s\n", xml);
        }
        break;
    }
    fields_reset(d);
}

static void emit(struct dec *d, double t, const char *layer, const char *dir, const char *schema, const char *msg,
                 bool tls, const char *error, const char *xml)
{
    emit_line(d, t, layer, dir, schema, msg, tls, error, xml, true);
}

/* Something that is not a message: a gap, a skipped block, a TLS session. */
static void emit_note(struct dec *d, double t, const char *layer, const char *text)
{
    FILE *o = d->out;
    switch (d->fmt) {
    case FMT_JSON:
        fprintf(o, "{\"t\":%.6f,\"layer\":\"%s\",\"dir\":\"?\",\"msg\":\"note\",\"note\":", t, layer);
        json_str(o, text);
        fputs("}\n", o);
        break;
    case FMT_CSV:
        fprintf(o, "%.6f,%s,?,,note", t, layer);
        for (int i = 0; i < V2GD_NUMS + V2GD_TXTS + 1; i++) {
            fputc(',', o);
        }
        fputc(',', o);
        csv_str(o, text);
        fputs(",\n", o);
        break;
    default:
        fprintf(o, "%.6f ?        %-5s note: %s\n", t, layer, text);
        break;
    }
}

/* An error that is not one message's: it counts as an error. */
static void emit_error(struct dec *d, double t, const char *layer, const char *dir, const char *what,
                       const char *reason)
{
    fields_reset(d);
    emit_line(d, t, layer, dir, NULL, what, false, reason, NULL, false);
}

/* ------------------------------------------------------------------ V2GTP and EXI */

static struct conn *conn_get(struct dec *d, unsigned id)
{
    if (id >= d->nconns) {
        size_t n = id + 16u;
        struct conn *c = realloc(d->conns, n * sizeof *c);
        if (c == NULL) {
            fprintf(stderr, "v2g-decode: out of memory\n");
            exit(2);
        }
        memset(c + d->nconns, 0, (n - d->nconns) * sizeof *c);
        d->conns = c;
        d->nconns = n;
    }
    return &d->conns[id];
}

static int try_decode(struct dec *d, const struct exi_codec *c, const uint8_t *p, size_t n, const char **why)
{
    if (c->doc_size > d->doc_cap) {
        void *b = realloc(d->doc, c->doc_size);
        if (b == NULL) {
            *why = "out of memory";
            return -1;
        }
        d->doc = b;
        d->doc_cap = c->doc_size;
    }
    struct exi_reader r;
    exi_reader_init(&r, p, n);
    if (c->decode(&r, d->doc) != 0) {
        *why = exi_error_str(r.error);
        return -1;
    }
    return 0;
}

static void handshake(struct conn *c, const struct exi_apphand_document *a)
{
    c->handshake_seen = true;
    v2gd_negotiation_feed(&c->neg, a);
}

static void v2gtp_msg(struct dec *d, struct conn *c, double t, bool ev_to_evse, uint16_t pt, const uint8_t *p,
                      size_t n, bool tls, const char *forced_schema)
{
    const char *dir = ev_to_evse ? "EV->EVSE" : "EVSE->EV";
    const char *schema = NULL, *why = NULL;
    char msgbuf[48];
    fields_reset(d);
    d->by_layer[L_V2GTP]++;
    if (pt >= 0x8002 && pt <= 0x8004) {
        static const char *const s20[] = {"iso20", "iso20_ac", "iso20_dc"};
        schema = s20[pt - 0x8002];
    } else if (pt != 0x8001) {
        snprintf(msgbuf, sizeof msgbuf, "payload type 0x%04x", pt);
        emit(d, t, "v2gtp", dir, NULL, msgbuf, tls, "V2GTP payload type carries no EXI message", NULL);
        return;
    } else if (forced_schema != NULL) {
        schema = forced_schema;
    } else if (!c->neg.negotiated) {
        schema = "appHand";
    } else if (c->neg.schema != NULL) {
        schema = c->neg.schema;
    } else {
        emit(d, t, "v2gtp", dir, NULL, "?", tls, "the handshake chose no protocol this decoder knows", NULL);
        return;
    }
    const struct exi_codec *codec = exi_codec_find(schema);
    int rc = codec != NULL ? try_decode(d, codec, p, n, &why) : -1;
    if (rc != 0 && codec == NULL) {
        why = "no codec for this schema";
    }
    if (rc != 0 && forced_schema == NULL && strcmp(schema, "appHand") == 0 && !c->handshake_seen) {
        /* The capture starts after the handshake: the first codec that takes it. */
        static const char *const guess[] = {"din", "iso2"};
        for (size_t i = 0; i < 2 && rc != 0; i++) {
            const char *w2 = NULL;
            const struct exi_codec *g = exi_codec_find(guess[i]);
            if (try_decode(d, g, p, n, &w2) == 0) {
                codec = g;
                schema = guess[i];
                rc = 0;
                c->neg.negotiated = true;
                c->handshake_seen = true;
                c->neg.schema = guess[i];
            }
        }
    }
    if (rc != 0) {
        emit(d, t, "v2gtp", dir, schema, "undecodable", tls, why, NULL);
        return;
    }
    if (strcmp(schema, "appHand") == 0) {
        handshake(c, d->doc);
    }
    const char *name = v2gd_msg_name(codec->meta, d->doc);
    struct v2gd_fields f;
    v2gd_fields_get(codec->meta, d->doc, &f);
    for (int i = 0; i < V2GD_NUMS; i++) {
        if (f.has[i]) {
            fld_num(d, v2gd_num_names[i], f.v[i], i);
        }
    }
    for (int i = 0; i < V2GD_TXTS; i++) {
        if (f.txt[i] != NULL) {
            fld_str(d, v2gd_txt_names[i], f.txt[i], V2GD_NUMS + i);
        }
    }
    if (f.ev_ready >= 0) {
        fld_bool(d, "ev_ready", f.ev_ready == 1, V2GD_NUMS + V2GD_TXTS);
    }
    if (strcmp(schema, "appHand") == 0) {
        const struct exi_apphand_document *a = d->doc;
        if (a->supportedAppProtocolReq_isUsed) {
            for (unsigned k = 0; k < c->neg.noff; k++) {
                char key[16];
                snprintf(key, sizeof key, "protocol_%u", c->neg.off[k].id);
                fld_str(d, key, c->neg.off[k].ns, -1);
            }
        } else if (a->supportedAppProtocolRes_isUsed) {
            if (c->neg.schema != NULL) {
                fld_str(d, "negotiated", c->neg.schema, -1);
            }
        }
    }
    const char *xml = NULL;
    if (d->xml) {
        d->xb.len = 0;
        if (d->xb.p != NULL) {
            d->xb.p[0] = '\0';
        }
        if (v2gc_xml_print(&d->xb, codec->meta, d->doc) == 0) {
            xml = d->xb.p;
        }
    }
    emit(d, t, "v2gtp", dir, schema, name != NULL ? name : "?", tls, name != NULL ? NULL : "no message in the document",
         xml);
}

/* ------------------------------------------------------------------ SLAC, SDP */

static void mac_str(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void hex_str(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
}

static double atten_avg(const uint8_t *aag, unsigned n)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++) {
        sum += aag[i];
    }
    return n ? (double)sum / n : 0.0;
}

/* The SLAC run id (8 bytes) as its hex field: every SLAC message of a pairing carries it. */
static void fld_run_id(struct dec *d, const uint8_t *run_id)
{
    char hex[17];
    hex_str(run_id, 8, hex);
    fld_str(d, "run_id", hex, -1);
}

static void slac_frame(struct dec *d, double t, const uint8_t dst[6], const uint8_t src[6], const uint8_t *pl,
                       size_t n, bool vlan)
{
    fields_reset(d);
    d->by_layer[L_SLAC]++;
    uint8_t frame[1600];
    if (n > sizeof frame - 14) {
        n = sizeof frame - 14;
    }
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    frame[12] = 0x88;
    frame[13] = 0xE1;
    memcpy(frame + 14, pl, n);
    uint16_t mmtype = (uint16_t)(n >= 3 ? pl[1] | pl[2] << 8 : 0);
    char a[18], b[18], hex[64];
    mac_str(src, a);
    mac_str(dst, b);
    fld_str(d, "src", a, -1);
    fld_str(d, "dst", b, -1);
    if (vlan) {
        fld_bool(d, "vlan", true, -1); /* 802.1Q-tagged: the lab's multi-EVSE set-up */
    }
    static struct homeplug_msg m;
    enum homeplug_reason why = HOMEPLUG_R_OK;
    int rc = homeplug_decode(frame, n + 14, &m, &why);
    const char *name = homeplug_mmtype_name(mmtype);
    char namebuf[32];
    if (strcmp(name, "?") == 0) {
        snprintf(namebuf, sizeof namebuf, "%s 0x%04X", mmtype >= 0xA000 && mmtype <= 0xBFFF ? "VS" : "MME", mmtype);
        name = namebuf;
    }
    const char *dir = "?";
    if (rc == HAL_OK) {
        switch (m.mmtype) {
        case HOMEPLUG_CM_SLAC_PARM_REQ:
            dir = "EV->EVSE";
            fld_run_id(d, m.u.parm_req.run_id);
            break;
        case HOMEPLUG_CM_SLAC_PARM_CNF:
            dir = "EVSE->EV";
            fld_run_id(d, m.u.parm_cnf.run_id);
            fld_num(d, "num_sounds", m.u.parm_cnf.num_sounds, -1);
            break;
        case HOMEPLUG_CM_START_ATTEN_CHAR_IND:
            dir = "EV->EVSE";
            fld_run_id(d, m.u.start_atten.run_id);
            break;
        case HOMEPLUG_CM_MNBC_SOUND_IND:
            dir = "EV->EVSE";
            fld_run_id(d, m.u.sound.run_id);
            fld_num(d, "count", m.u.sound.cnt, -1);
            break;
        case HOMEPLUG_CM_ATTEN_CHAR_IND:
            dir = "EVSE->EV";
            fld_run_id(d, m.u.atten_ind.run_id);
            fld_num(d, "num_sounds", m.u.atten_ind.num_sounds, -1);
            fld_num(d, "groups", m.u.atten_ind.num_groups, -1);
            fld_num(d, "atten_avg_dB", round(atten_avg(m.u.atten_ind.aag, m.u.atten_ind.num_groups) * 10) / 10, -1);
            break;
        case HOMEPLUG_CM_ATTEN_CHAR_RSP:
            dir = "EV->EVSE";
            fld_run_id(d, m.u.atten_rsp.run_id);
            fld_num(d, "result", m.u.atten_rsp.result, -1);
            break;
        case HOMEPLUG_CM_ATTEN_PROFILE_IND:
            mac_str(m.u.profile.pev_mac, a);
            fld_str(d, "pev_mac", a, -1);
            fld_num(d, "groups", m.u.profile.num_groups, -1);
            fld_num(d, "atten_avg_dB", round(atten_avg(m.u.profile.aag, m.u.profile.num_groups) * 10) / 10, -1);
            break;
        case HOMEPLUG_CM_VALIDATE_REQ:
            dir = "EV->EVSE";
            break;
        case HOMEPLUG_CM_VALIDATE_CNF:
            dir = "EVSE->EV";
            break;
        case HOMEPLUG_CM_SLAC_MATCH_REQ:
        case HOMEPLUG_CM_SLAC_MATCH_CNF:
            dir = m.mmtype == HOMEPLUG_CM_SLAC_MATCH_REQ ? "EV->EVSE" : "EVSE->EV";
            fld_run_id(d, m.u.match.run_id);
            mac_str(m.u.match.pev_mac, a);
            mac_str(m.u.match.evse_mac, b);
            fld_str(d, "pev_mac", a, -1);
            fld_str(d, "evse_mac", b, -1);
            if (m.mmtype == HOMEPLUG_CM_SLAC_MATCH_CNF) {
                hex_str(m.u.match.nid, 7, hex);
                fld_str(d, "nid", hex, -1);
                fld_bool(d, "nmk_present", !homeplug_all_zero(m.u.match.nmk, HOMEPLUG_NMK_LEN), -1);
            }
            break;
        case HOMEPLUG_CM_SET_KEY_REQ:
            hex_str(m.u.set_key_req.nid, 7, hex);
            fld_str(d, "nid", hex, -1);
            fld_bool(d, "nmk_present", !homeplug_all_zero(m.u.set_key_req.new_key, HOMEPLUG_NMK_LEN), -1);
            break;
        default:
            break;
        }
    } else if (rc != HAL_ENOTSUP) {
        /* Shown, not an error: modems send fragments and vendor variants our codec refuses. */
        fld_str(d, "not_decoded", homeplug_reason_str(why), -1);
    }
    emit(d, t, "slac", dir, NULL, name, false, NULL, NULL);
}

static void sdp_datagram(struct dec *d, double t, const uint8_t *p, size_t n)
{
    fields_reset(d);
    d->by_layer[L_SDP]++;
    uint16_t type = (uint16_t)(n >= 4 ? p[2] << 8 | p[3] : 0);
    if (type == 0x9000) {
        struct sdp_request q;
        if (sdp_request_parse(p, n, &q) != HAL_OK) {
            emit(d, t, "sdp", "EV->EVSE", NULL, "SECCDiscoveryReq", false, "malformed SDP request", NULL);
            return;
        }
        fld_str(d, "security", q.security == SDP_SEC_TLS ? "TLS" : "none", -1);
        fld_str(d, "transport", q.transport == SDP_TRANSPORT_TCP ? "TCP" : "UDP", -1);
        emit(d, t, "sdp", "EV->EVSE", NULL, "SECCDiscoveryReq", false, NULL, NULL);
    } else if (type == 0x9001) {
        struct sdp_response r;
        if (sdp_response_parse(p, n, &r) != HAL_OK) {
            emit(d, t, "sdp", "EVSE->EV", NULL, "SECCDiscoveryRes", false, "malformed SDP response", NULL);
            return;
        }
        char ip[48];
        size_t o = 0;
        for (int i = 0; i < 16; i += 2) {
            o += (size_t)snprintf(ip + o, sizeof ip - o, "%s%x", i ? ":" : "", r.addr[i] << 8 | r.addr[i + 1]);
        }
        fld_str(d, "secc_ip", ip, -1);
        fld_num(d, "secc_port", r.port, -1);
        fld_str(d, "security", r.security == SDP_SEC_TLS ? "TLS" : "none", -1);
        fld_str(d, "transport", r.transport == SDP_TRANSPORT_TCP ? "TCP" : "UDP", -1);
        emit(d, t, "sdp", "EVSE->EV", NULL, "SECCDiscoveryRes", false, NULL, NULL);
    } else {
        char name[32];
        snprintf(name, sizeof name, "SDP type 0x%04x", type);
        emit(d, t, "sdp", "?", NULL, name, false, n >= 2 && p[0] == 0x01 && p[1] == 0xFE ? NULL : "not V2GTP", NULL);
    }
}

/* ------------------------------------------------------------------ reader hooks */

static int on_msg(void *ctx, const struct v2g_pcap_msg *m)
{
    struct dec *d = ctx;
    d->t_cur = m->t;
    v2gtp_msg(d, conn_get(d, m->conn), m->t, m->ev_to_evse, m->payload_type, m->payload, m->len, false, NULL);
    return 0;
}

static int on_l2(void *ctx, const struct v2g_pcap_l2 *f)
{
    struct dec *d = ctx;
    d->t_cur = f->t;
    if (f->ethertype == 0x88E1) {
        slac_frame(d, f->t, f->dst, f->src, f->payload, f->len, f->vlan);
    }
    return 0;
}

static int on_udp(void *ctx, const struct v2g_pcap_udp *u)
{
    struct dec *d = ctx;
    d->t_cur = u->t;
    if (v2gd_keylog_looks_like(u->payload, u->len)) {
        if (d->collect_keys && v2gd_keylog_add(&d->keys, (const char *)u->payload, u->len) < 0) {
            return 1;
        }
        return 0;
    }
    if (u->sport == SDP_PORT || u->dport == SDP_PORT) {
        sdp_datagram(d, u->t, u->payload, u->len);
    }
    return 0;
}

static int on_secrets(void *ctx, uint32_t type, const uint8_t *data, size_t len)
{
    struct dec *d = ctx;
    if (type == 0x544c534bu && d->collect_keys) { /* "TLSK": an NSS key log */
        return v2gd_keylog_add(&d->keys, (const char *)data, len) < 0;
    }
    return 0;
}

static int on_note(void *ctx, unsigned long frame, double t, const char *what)
{
    struct dec *d = ctx;
    char text[200];
    snprintf(text, sizeof text, "frame %lu: %s", frame, what);
    emit_note(d, t != 0.0 ? t : d->t_cur, strncmp(what, "TCP", 3) == 0 ? "tcp" : "file", text);
    return 0;
}

struct tls_ctx {
    struct dec *d;
    struct conn *c;
    double t;
};

static int tls_plain(void *ctx, bool from_client, const uint8_t *p, size_t n)
{
    struct tls_ctx *x = ctx;
    struct conn *c = x->c;
    int s = from_client ? 1 : 0;
    if (n == 0) {
        return 0;
    }
    if (c->plen[s] + n > MAX_V2GTP + 8u) {
        return 1;
    }
    if (c->plen[s] + n > c->pcap[s]) {
        size_t cap = c->pcap[s] ? c->pcap[s] : 4096;
        while (cap < c->plen[s] + n) {
            cap *= 2;
        }
        uint8_t *b = realloc(c->plain[s], cap);
        if (b == NULL) {
            return 1;
        }
        c->plain[s] = b;
        c->pcap[s] = cap;
    }
    memcpy(c->plain[s] + c->plen[s], p, n);
    c->plen[s] += n;
    size_t off = 0;
    while (c->plen[s] - off >= 8) {
        const uint8_t *h = c->plain[s] + off;
        uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        if (h[0] != 0x01 || h[1] != 0xFE || len > MAX_V2GTP) {
            emit_error(x->d, x->t, "tls", from_client ? "EV->EVSE" : "EVSE->EV", "not V2GTP",
                       "decrypted data is not a V2GTP message: the rest of this direction is dropped");
            c->plen[s] = 0;
            return 0;
        }
        if (c->plen[s] - off < 8u + len) {
            break;
        }
        v2gtp_msg(x->d, c, x->t, from_client, (uint16_t)(h[2] << 8 | h[3]), h + 8, len, true, NULL);
        off += 8u + len;
    }
    memmove(c->plain[s], c->plain[s] + off, c->plen[s] - off);
    c->plen[s] -= off;
    return 0;
}

static int on_tls(void *ctx, const struct v2g_pcap_stream *s)
{
    struct dec *d = ctx;
    struct conn *c = conn_get(d, s->conn);
    c->tls_used = true;
    struct tls_ctx x = {.d = d, .c = c, .t = s->t};
    char err[200];
    int rc = v2gd_tls_feed(&c->tls, &d->keys, s->ev_to_evse, s->data, s->len, tls_plain, &x, err, sizeof err);
    if (!c->tls_announced && c->tls.have_server_hello) {
        char text[160], b[8];
        snprintf(text, sizeof text, "connection %u: TLS %s, %s", s->conn, c->tls.version == 0x0304 ? "1.3" : "1.2",
                 v2gd_tls_suite_name(c->tls.suite, b));
        emit_note(d, s->t, "tls", text);
        c->tls_announced = true;
    }
    if (rc == 1) {
        emit_error(d, s->t, "tls", s->ev_to_evse ? "EV->EVSE" : "EVSE->EV", "undecryptable", err);
    }
    return rc == 1 ? 0 : rc;
}

static const struct v2g_pcap_hooks hooks = {
    .l2 = on_l2, .udp = on_udp, .tls = on_tls, .secrets = on_secrets, .note = on_note, .reorder = true,
};

/* First pass over a file: only the key log lines carried in it. */
static int keys_msg(void *ctx, const struct v2g_pcap_msg *m)
{
    (void)ctx;
    (void)m;
    return 0;
}
static int keys_udp(void *ctx, const struct v2g_pcap_udp *u)
{
    struct dec *d = ctx;
    if (v2gd_keylog_looks_like(u->payload, u->len)) {
        return v2gd_keylog_add(&d->keys, (const char *)u->payload, u->len) < 0;
    }
    return 0;
}
static const struct v2g_pcap_hooks key_hooks = {.udp = keys_udp, .secrets = on_secrets};

/* ------------------------------------------------------------------ JSONL input */

static void parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6] = {0};
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
        for (int i = 0; i < 6; i++) {
            m[i] = (uint8_t)v[i];
        }
    } else {
        memset(m, 0, 6);
    }
}

static int read_jsonl(struct dec *d, FILE *in, const char *path)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    struct conn *c = conn_get(d, 0); /* the file has no connection ids: one handshake state */
    while ((got = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (line[0] != '{') {
            continue;
        }
        const char *tp = tool_jsonl_field(line, "t");
        double t = tp != NULL ? strtod(tp, NULL) : 0.0;
        d->t_cur = t;
        char p[16] = "", s[64] = "", s2[64] = "";
        size_t n = 0;
        if (!tool_jsonl_str(line, "p", p, sizeof p)) {
            fprintf(stderr, "v2g-decode: %s:%lu: no \"p\" key\n", path, lineno);
            emit_error(d, t, "file", "?", "bad line", "a JSONL line without its \"p\" key");
            continue;
        }
        if (strcmp(p, "HPAV") == 0) {
            uint8_t *b = tool_jsonl_hex(line, "hex", &n);
            uint8_t src[6], dst[6];
            tool_jsonl_str(line, "src", s, sizeof s);
            tool_jsonl_str(line, "dst", s2, sizeof s2);
            parse_mac(s, src);
            parse_mac(s2, dst);
            if (b == NULL) {
                emit_error(d, t, "slac", "?", "bad line", "HPAV line without a valid \"hex\"");
                continue;
            }
            slac_frame(d, t, dst, src, b, n, false);
            free(b);
        } else if (strcmp(p, "SDP") == 0) {
            uint8_t *b = tool_jsonl_hex(line, "hex", &n);
            if (b == NULL) {
                emit_error(d, t, "sdp", "?", "bad line", "SDP line without a valid \"hex\"");
                continue;
            }
            sdp_datagram(d, t, b, n);
            free(b);
        } else if (strcmp(p, "V2GTP") == 0) {
            uint8_t *b = tool_jsonl_hex(line, "exi", &n);
            char dir[16] = "", pt[16] = "", schema[16] = "";
            tool_jsonl_str(line, "dir", dir, sizeof dir);
            tool_jsonl_str(line, "pt", pt, sizeof pt);
            bool have_schema = tool_jsonl_str(line, "schema", schema, sizeof schema);
            if (b == NULL) {
                emit_error(d, t, "v2gtp", "?", "bad line", "V2GTP line without a valid \"exi\"");
                continue;
            }
            unsigned long ptv = strtoul(pt, NULL, 16);
            bool tls = strstr(line, "\"tls\":true") != NULL;
            v2gtp_msg(d, c, t, strcmp(dir, "EVSE->EV") != 0, ptv ? (uint16_t)ptv : 0x8001, b, n, tls,
                      have_schema ? schema : NULL);
            free(b);
        } else {
            char text[80];
            snprintf(text, sizeof text, "line %lu: %s in the recording", lineno, p);
            emit_note(d, t, "tcp", text);
        }
    }
    free(line);
    return 0;
}

/* ------------------------------------------------------------------ live */

static volatile sig_atomic_t stop_live;
static void on_signal(int sig)
{
    (void)sig;
    stop_live = 1;
}

static int listen_live(struct dec *d, const char *iface)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_live(iface, 65535, 1, 100, ebuf);
    if (p == NULL) {
        fprintf(stderr, "v2g-decode: cannot listen on %s: %s\n", iface, ebuf);
        return -1;
    }
    int lt = pcap_datalink(p);
    struct v2g_pcap_stats st;
    char err[200];
    d->collect_keys = true;
    struct v2g_pcap_reader *r = v2g_pcap_open(on_msg, &hooks, d, &st, err, sizeof err);
    if (r == NULL) {
        pcap_close(p);
        return -1;
    }
    /* Non-blocking, waited on with poll(): on Linux a blocking read of an idle interface
     * does not return at its timeout (TPACKET_V3 times out per filled block), so Ctrl-C on
     * a quiet link would never be seen. The 100 ms poll lets the loop check the flag. */
    int fd = pcap_setnonblock(p, 1, ebuf) == 0 ? pcap_get_selectable_fd(p) : -1;
    if (fd < 0) {
        fprintf(stderr, "v2g-decode: %s: no pollable descriptor: %s\n", iface, ebuf);
        v2g_pcap_close(r);
        pcap_close(p);
        return -1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "v2g-decode: listening on %s (link type %d); Ctrl-C ends\n", iface, lt);
    int rc = 0;
    while (!stop_live) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0) {
            continue; /* nothing yet, or a signal: look at the flag again */
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int got = pcap_next_ex(p, &h, &data);
        if (got == 0) {
            continue;
        }
        if (got < 0) {
            fprintf(stderr, "v2g-decode: %s: %s\n", iface, pcap_geterr(p));
            rc = -1;
            break;
        }
        double t = (double)h->ts.tv_sec + (double)h->ts.tv_usec * 1e-6;
        d->t_cur = t;
        if (v2g_pcap_frame(r, (uint16_t)lt, data, h->caplen, t) < 0) {
            fprintf(stderr, "v2g-decode: %s: %s\n", iface, err);
            rc = -1;
            break;
        }
        fflush(d->out);
    }
    v2g_pcap_close(r);
    pcap_close(p);
    return rc;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *to)
{
    fputs("usage: v2g-decode [--json | --csv] [--xml] [--keylog FILE] CAPTURE\n"
          "       v2g-decode [--json | --csv] [--xml] [--keylog FILE] --listen IFACE\n"
          "\n"
          "Decode a V2G session: pcap, pcapng (any byte order; Ethernet, Linux SLL/SLL2 or raw IP)\n"
          "or the session JSONL of the shared vectors (\"-\": standard input). Shows HomePlug AV /\n"
          "SLAC frames, SDP, and every V2GTP message decoded with the project's EXI codecs\n"
          "(supportedAppProtocol, DIN 70121, ISO 15118-2, ISO 15118-20 common/AC/DC; the schema\n"
          "comes from the handshake of each TCP connection). TCP is reassembled per connection\n"
          "(out-of-order segments put in order; gaps and retransmissions reported).\n"
          "\n"
          "  --keylog FILE   TLS secrets in the SSLKEYLOGFILE format (TLS 1.2 and 1.3); key-log\n"
          "                  lines found in the capture (UDP payloads, pcapng DSB) are used too\n"
          "  --xml           the full decoded message as XML after each line (--json: \"xml\" key)\n"
          "  --json          JSON lines {\"t\",\"layer\",\"dir\",\"schema\",\"msg\",\"fields\",\"error\"};\n"
          "                  the last line is {\"summary\":{\"messages\":N,\"errors\":E}}\n"
          "  --csv           one row per message, a header row first\n"
          "  --listen IFACE  live capture with libpcap until Ctrl-C\n"
          "\n"
          "The last line is always `messages=N errors=E` (an error: an undecodable message, an\n"
          "undecryptable TLS stream, a damaged capture). Exit status: 0 no error, 1 errors,\n"
          "2 usage or unreadable input. See docs/decode.md.\n",
          to);
}

int main(int argc, char **argv)
{
    static struct dec d;
    d.out = stdout;
    d.fmt = FMT_TEXT;
    const char *path = NULL, *iface = NULL, *keylog = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            d.fmt = FMT_JSON;
        } else if (strcmp(a, "--csv") == 0) {
            d.fmt = FMT_CSV;
        } else if (strcmp(a, "--xml") == 0) {
            d.xml = true;
        } else if (strcmp(a, "--keylog") == 0 && i + 1 < argc) {
            keylog = argv[++i];
        } else if (strcmp(a, "--listen") == 0 && i + 1 < argc) {
            iface = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "v2g-decode: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (path == NULL) {
            path = a;
        } else {
            fprintf(stderr, "v2g-decode: one capture at a time (%s, then %s)\n", path, a);
            return 2;
        }
    }
    if ((path == NULL) == (iface == NULL)) {
        usage(stderr);
        return 2;
    }
    if (keylog != NULL) {
        FILE *k = fopen(keylog, "r");
        if (k == NULL) {
            fprintf(stderr, "v2g-decode: %s: %s\n", keylog, strerror(errno));
            return 2;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, k)) > 0) {
            if (v2gd_keylog_add(&d.keys, line, (size_t)got) < 0) {
                fprintf(stderr, "v2g-decode: out of memory\n");
                return 2;
            }
        }
        free(line);
        fclose(k);
        if (d.keys.n == 0) {
            fprintf(stderr, "v2g-decode: %s: no key log line (CLIENT_RANDOM or *_TRAFFIC_SECRET_*)\n", keylog);
            return 2;
        }
    }
    if (d.fmt == FMT_CSV) {
        csv_header(d.out);
    }
    int rc = 0;
    if (iface != NULL) {
        rc = listen_live(&d, iface);
        if (rc < 0 && d.messages == 0) {
            return 2;
        }
    } else {
        FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
        if (in == NULL) {
            fprintf(stderr, "v2g-decode: %s: %s\n", path, strerror(errno));
            return 2;
        }
        int first = fgetc(in);
        if (first == EOF) {
            fprintf(stderr, "v2g-decode: %s: empty input\n", path);
            return 2;
        }
        ungetc(first, in);
        if (first == '{') {
            rc = read_jsonl(&d, in, path);
        } else {
            struct v2g_pcap_stats st;
            char err[200];
            struct stat sb;
            bool seekable = in != stdin && fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode);
            if (seekable) {
                /* Keys disclosed in the capture may come after the records they open. */
                d.collect_keys = true;
                (void)v2g_pcap_read_hooks(in, keys_msg, &key_hooks, &d, &st, err, sizeof err);
                d.collect_keys = false;
                rewind(in);
            } else {
                d.collect_keys = true;
            }
            rc = v2g_pcap_read_hooks(in, on_msg, &hooks, &d, &st, err, sizeof err);
            if (rc < 0) {
                fprintf(stderr, "v2g-decode: %s: %s\n", path, err);
                emit_error(&d, d.t_cur, "file", "?", "capture unreadable", err);
            }
            if (rc == 0 && st.frames > 0 && d.messages == 0) {
                emit_note(&d, 0.0, "file", "no V2G traffic (no HomePlug, SDP or V2GTP) in this capture");
            }
        }
        if (in != stdin) {
            fclose(in);
        }
    }
    if (d.fmt == FMT_JSON) {
        fprintf(d.out, "{\"summary\":{\"messages\":%lu,\"errors\":%lu,\"slac\":%lu,\"sdp\":%lu,\"v2gtp\":%lu}}\n",
                d.messages, d.errors, d.by_layer[L_SLAC], d.by_layer[L_SDP], d.by_layer[L_V2GTP]);
    } else {
        fprintf(d.out, "messages=%lu errors=%lu\n", d.messages, d.errors);
    }
    for (size_t i = 0; i < d.nconns; i++) {
        v2gd_tls_free(&d.conns[i].tls);
        free(d.conns[i].plain[0]);
        free(d.conns[i].plain[1]);
    }
    free(d.conns);
    free(d.doc);
    v2gc_buf_free(&d.xb);
    v2gd_keylog_free(&d.keys);
    return d.errors > 0 ? 1 : 0;
}
