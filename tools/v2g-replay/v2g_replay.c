/**
 * @file v2g_replay.c
 * @brief Replay the car side of a recorded DIN 70121, ISO 15118-2 or ISO 15118-20 DC
 *        session against our EVSE machines.
 *
 *   v2g-replay [-q] FILE|-      (FILE: a session .jsonl of the shared vectors, or a
 *                                pcap/pcapng capture; -: the same on standard input)
 *
 * Reads a session file of the shared vectors (one JSON object per frame, see
 * shared/vectors/README.md) or a capture (tools/v2g-replay/v2g_pcap.h: TCP reassembled,
 * the schema taken from the SupportedAppProtocol exchange of each connection), feeds every
 * EV->EVSE V2GTP request to the firmware's one V2G entry point (hlc_handle: the
 * SupportedAppProtocol negotiation, then the negotiated backend's decode, handle, encode:
 * the protocol the recorded session negotiated, DIN 70121, ISO 15118-2 or ISO 15118-20 DC,
 * whose payload type picks the -20 grammar) and judges each
 * answer:
 *   - it encodes and our own encoding decodes again,
 *   - it is positive (ResponseCode OK*), unless the recorded car itself stopped (an
 *     EVErrorCode in its request) or the recorded charger refused it as well,
 *   - it keeps the session where the recorded charger kept it: same response message,
 *     same EVSEProcessing (Ongoing/Finished) in the loops.
 * A request this tool cannot replay (ISO 15118-20 AC: there is no AC machine; an
 * encrypted TLS stream; a request whose direction the capture does not tell) is a failure
 * too: it is shown, counted as not_replayable, and makes the exit status 1.
 * For ISO-2 the charger's own choices are taken from the recording as well: the
 * value-added services of its ServiceDiscoveryRes, the SAScheduleTuple (ID and PMax
 * entries) and SalesTariff of its ChargeParameterDiscoveryRes; a paused session resumes
 * with its SessionID on the next connection as on the real charger.
 *
 * The devices are a tiny plant inside the tool: the output voltage follows the
 * pre-charge / current-demand targets with a slew rate, the current follows the EV's
 * request up to the EVSE limit, isolation is valid once the cable check is over. What
 * only the recorded charger could know (when authorisation, the power stage and the
 * insulation test were finished, and whether it asked the car to stop) is taken from the
 * recorded response to the same request, so the two chargers face the same car.
 * A supportedAppProtocolReq starts a new session (a file may hold several).
 *
 * One line per request (-q: only the ones that fail), then the last line
 *   replayed=N accepted=N not_replayable=N phase=<furthest phase reached>
 * Exit 0 when every request was replayed and judged good, 1 otherwise, 2 on usage or
 * file errors.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "v2g_pcap.h"
#include "v2g_rec.h"

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"
#include "exi/exi_din.h"
#include "hlc_din.h"
#include "hlc_iso2.h"
#include "hlc_iso20.h"
#include "tool_jsonl.h"

static struct rec *recs_add(struct recs *R)
{
    if (R->n == R->room) {
        size_t room = R->room ? R->room * 2 : 256;
        struct rec *nv = realloc(R->v, room * sizeof *nv);
        if (nv == NULL) {
            return NULL;
        }
        R->v = nv;
        R->room = room;
    }
    struct rec *r = &R->v[R->n];
    memset(r, 0, sizeof *r);
    return r;
}

static const char *schema_why_not(const char *schema)
{
    if (strcmp(schema, "iso20_ac") == 0) {
        return "no ISO 15118-20 AC machine (DC only)";
    }
    return "unknown schema";
}

/* ISO 15118-20 DC records: common messages (schema iso20, payload 0x8002) and DC ones
 * (iso20_dc, 0x8004); the schema string says which (struct rec is shared with the car side). */
static bool rec_iso20(const struct rec *r)
{
    return strcmp(r->schema, "iso20") == 0 || strcmp(r->schema, "iso20_dc") == 0;
}

static uint16_t rec_iso20_type(const struct rec *r)
{
    return strcmp(r->schema, "iso20_dc") == 0 ? (uint16_t)ISO20_PT_DC : (uint16_t)ISO20_PT_COMMON;
}

static struct exi_din_document s_check, s_rec_res;
static struct exi_iso2_document s_check2, s_rec2;
static struct exi_apphand_document s_areq, s_acheck;
static struct exi_iso20_document s_rec20, s_check20;
static struct exi_iso20_dc_document s_rec20dc, s_check20dc;
static uint8_t s_out[4096];

/* The JSONL form of the shared vectors. */
static int load_jsonl(FILE *f, const char *path, struct recs *R)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    int rc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        char p[16], dir[16], schema[16];
        if (!tool_jsonl_str(line, "p", p, sizeof p) || strcmp(p, "V2GTP") != 0) {
            continue; /* HomePlug, SDP, TCP gaps: not V2G requests */
        }
        if (!tool_jsonl_str(line, "dir", dir, sizeof dir) || !tool_jsonl_str(line, "schema", schema, sizeof schema)) {
            fprintf(stderr, "%s:%lu: V2GTP line without dir or schema\n", path, lineno);
            rc = -1;
            break;
        }
        struct rec *r = recs_add(R);
        if (r == NULL) {
            rc = -1;
            break;
        }
        const char *fp = tool_jsonl_field(line, "f");
        const char *tp = tool_jsonl_field(line, "t");
        r->frame = fp != NULL ? strtoul(fp, NULL, 10) : 0;
        r->t = tp != NULL ? strtod(tp, NULL) : 0.0;
        tool_jsonl_str(line, "msg", r->msg, sizeof r->msg);
        r->ev_to_evse = strcmp(dir, "EV->EVSE") == 0;
        r->apphand = strcmp(schema, "appHand") == 0;
        snprintf(r->schema, sizeof r->schema, "%s", schema);
        if (!r->ev_to_evse && strcmp(dir, "EVSE->EV") != 0) {
            /* Capture started mid-connection: a request is still one we could not replay. */
            size_t ml = strlen(r->msg);
            if (ml < 3 || strcmp(r->msg + ml - 3, "Req") != 0) {
                continue;
            }
            r->ev_to_evse = true;
            r->why_not = "direction unknown (capture started mid-connection)";
        } else if (!r->apphand && strcmp(schema, "iso2") == 0) {
            r->iso2 = true;
        } else if (!r->apphand && strcmp(schema, "din") != 0 && strcmp(schema, "iso20") != 0 &&
                   strcmp(schema, "iso20_dc") != 0) {
            r->why_not = schema_why_not(schema);
        }
        /* The payload is kept even when the charger side cannot replay it (the car side may). */
        r->exi = tool_jsonl_hex(line, "exi", &r->len);
        if (r->why_not == NULL) {
            if (r->exi == NULL) {
                fprintf(stderr, "%s:%lu: exi is not an even run of hex digits\n", path, lineno);
                rc = -1;
                break;
            }
        }
        R->n++;
    }
    free(line);
    return rc;
}

/* What a capture's connection has negotiated so far. */
struct conn_state {
    bool negotiated;
    const char *schema; /* "din", "iso2", "iso20", ... once negotiated */
    /* the namespaces the car offered with their SchemaIDs (any 0..255: ISO-2 labs use 111) */
    struct {
        uint8_t id;
        char ns[64];
    } offered[8];
    uint8_t n_offered;
};

struct pcap_load {
    struct recs *R;
    struct conn_state *conns;
    size_t nconns;
};

static const char *schema_of_namespace(const char *ns)
{
    if (strcmp(ns, APPHAND_NS_DIN) == 0) {
        return "din";
    }
    if (strcmp(ns, APPHAND_NS_TESLA) == 0) {
        return "tesla-din";
    }
    if (strcmp(ns, APPHAND_NS_ISO2) == 0) {
        return "iso2";
    }
    if (strstr(ns, "15118:-20") != NULL) {
        return "iso20";
    }
    return "unknown";
}

static int pcap_msg(void *ctx, const struct v2g_pcap_msg *m)
{
    struct pcap_load *L = ctx;
    if (m->conn >= L->nconns) {
        size_t n = m->conn + 16u;
        struct conn_state *c = realloc(L->conns, n * sizeof *c);
        if (c == NULL) {
            return 1;
        }
        memset(c + L->nconns, 0, (n - L->nconns) * sizeof *c);
        L->conns = c;
        L->nconns = n;
    }
    struct conn_state *cs = &L->conns[m->conn];
    struct rec *r = recs_add(L->R);
    if (r == NULL) {
        return 1;
    }
    r->frame = m->frame;
    r->t = m->t;
    r->ev_to_evse = m->ev_to_evse;
    const char *side = m->ev_to_evse ? "Req" : "Res";
    if (m->payload_type == ISO20_PT_COMMON || m->payload_type == ISO20_PT_DC) {
        struct exi_reader rd;
        exi_reader_init(&rd, m->payload, m->len);
        enum iso20_msg k = ISO20_MSG_NONE;
        if (m->payload_type == ISO20_PT_DC && exi_iso20_dc_decode(&rd, &s_rec20dc) == HAL_OK) {
            k = m->ev_to_evse ? iso20_dc_request_kind(&s_rec20dc) : iso20_dc_response_kind(&s_rec20dc);
        } else if (m->payload_type == ISO20_PT_COMMON && exi_iso20_decode(&rd, &s_rec20) == HAL_OK) {
            k = m->ev_to_evse ? iso20_request_kind(&s_rec20) : iso20_response_kind(&s_rec20);
        }
        snprintf(r->msg, sizeof r->msg, "%s%s", k == ISO20_MSG_NONE ? "undecodable" : iso20_msg_name(k), side);
    } else if (m->payload_type == ISO20_PT_AC) {
        r->why_not = schema_why_not("iso20_ac");
        snprintf(r->msg, sizeof r->msg, "iso20_ac message");
    } else if (m->payload_type != 0x8001) {
        r->why_not = "not an EXI payload";
        snprintf(r->msg, sizeof r->msg, "payload type 0x%04x", m->payload_type);
    } else if (!cs->negotiated) {
        r->apphand = true;
        snprintf(r->msg, sizeof r->msg, "supportedAppProtocol%s", side);
        struct exi_reader rd;
        exi_reader_init(&rd, m->payload, m->len);
        if (exi_apphand_decode(&rd, &s_areq) == HAL_OK) {
            if (s_areq.supportedAppProtocolReq_isUsed) {
                const struct exi_apphand_supportedAppProtocolReq *q = &s_areq.supportedAppProtocolReq;
                cs->n_offered = 0;
                for (uint16_t i = 0; i < q->AppProtocol.arrayLen && cs->n_offered < 8; i++) {
                    const struct exi_apphand_AppProtocolType *a = &q->AppProtocol.array[i];
                    size_t l = a->ProtocolNamespace.charactersLen;
                    l = l < sizeof cs->offered[0].ns - 1 ? l : sizeof cs->offered[0].ns - 1;
                    cs->offered[cs->n_offered].id = a->SchemaID;
                    memcpy(cs->offered[cs->n_offered].ns, a->ProtocolNamespace.characters, l);
                    cs->offered[cs->n_offered].ns[l] = '\0';
                    cs->n_offered++;
                }
            } else if (s_areq.supportedAppProtocolRes_isUsed) {
                const struct exi_apphand_supportedAppProtocolRes *a = &s_areq.supportedAppProtocolRes;
                cs->negotiated = true;
                cs->schema = "unknown";
                for (uint8_t k = 0; a->SchemaID_isUsed && k < cs->n_offered; k++) {
                    if (cs->offered[k].id == a->SchemaID) {
                        cs->schema = schema_of_namespace(cs->offered[k].ns);
                        break;
                    }
                }
            }
        }
    } else if (strcmp(cs->schema, "iso2") == 0) {
        r->iso2 = true;
        struct exi_reader rd;
        exi_reader_init(&rd, m->payload, m->len);
        enum iso2_msg k = ISO2_MSG_NONE;
        if (exi_iso2_decode(&rd, &s_rec2) == HAL_OK) {
            k = m->ev_to_evse ? iso2_request_kind(&s_rec2) : iso2_response_kind(&s_rec2);
        }
        snprintf(r->msg, sizeof r->msg, "%s%s", k == ISO2_MSG_NONE ? "undecodable" : iso2_msg_name(k), side);
    } else if (strcmp(cs->schema, "din") != 0) {
        r->why_not = schema_why_not(cs->schema);
        snprintf(r->msg, sizeof r->msg, "%s message", cs->schema);
    } else {
        struct exi_reader rd;
        exi_reader_init(&rd, m->payload, m->len);
        enum din_msg k = DIN_MSG_NONE;
        if (exi_din_decode(&rd, &s_rec_res) == HAL_OK) {
            k = m->ev_to_evse ? din_request_kind(&s_rec_res) : din_response_kind(&s_rec_res);
        }
        snprintf(r->msg, sizeof r->msg, "%s%s", k == DIN_MSG_NONE ? "undecodable" : din_msg_name(k), side);
    }
    snprintf(r->schema, sizeof r->schema, "%s",
             r->apphand                           ? "appHand"
             : m->payload_type == ISO20_PT_DC     ? "iso20_dc"
             : m->payload_type == ISO20_PT_COMMON ? "iso20"
             : m->payload_type == ISO20_PT_AC     ? "iso20_ac"
             : cs->negotiated                     ? cs->schema
                                                  : "?");
    {
        r->exi = malloc(m->len > 0 ? m->len : 1);
        if (r->exi == NULL) {
            return 1;
        }
        memcpy(r->exi, m->payload, m->len);
        r->len = m->len;
    }
    L->R->n++;
    return 0;
}

static int load_pcap(FILE *f, const char *path, struct recs *R)
{
    struct pcap_load L = {.R = R, .conns = NULL, .nconns = 0};
    struct v2g_pcap_stats st;
    char err[160];
    int rc = v2g_pcap_read(f, pcap_msg, &L, &st, err, sizeof err);
    free(L.conns);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", path, rc < 0 ? err : "out of memory");
        return -1;
    }
    fprintf(stderr,
            "%s: %lu frames, %u TCP connections, %lu not TCP (HomePlug, SDP, ...), %lu IP fragments skipped, "
            "%lu retransmissions dropped, %lu TCP holes, %lu TLS and %lu other non-V2GTP streams\n",
            path, st.frames, st.connections, st.not_tcp, st.fragments, st.retransmitted, st.gaps, st.tls_streams,
            st.junk_streams);
    /* The car's requests inside an encrypted stream are lost to us: one failure each stream. */
    for (unsigned long i = 0; i < st.tls_ev_streams; i++) {
        struct rec *r = recs_add(R);
        if (r == NULL) {
            return -1;
        }
        r->ev_to_evse = true;
        r->t = R->n > 0 ? R->v[R->n - 1].t : 0.0; /* reported at the end of the capture */
        snprintf(r->msg, sizeof r->msg, "(TLS stream)");
        r->why_not = "encrypted: TLS is not decrypted, its requests cannot be replayed";
        R->n++;
    }
    if (st.gaps > 0) {
        /* A hole may have swallowed requests: say so as a failure, not a silent loss. */
        struct rec *r = recs_add(R);
        if (r == NULL) {
            return -1;
        }
        r->ev_to_evse = true;
        r->t = R->n > 0 ? R->v[R->n - 1].t : 0.0;
        snprintf(r->msg, sizeof r->msg, "(TCP holes: %lu)", st.gaps);
        r->why_not = "data missing from the capture: requests may be lost";
        R->n++;
    }
    return 0;
}

int v2g_load(const char *path, struct recs *R)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    /* Sniff the format from the first bytes and push them back (one ungetc is all
     * stdio promises, so read one byte, look, push it back). */
    int c0 = fgetc(f);
    int rc;
    if (c0 == EOF) {
        fprintf(stderr, "%s: empty input\n", path);
        rc = -1;
    } else {
        ungetc(c0, f);
        if (c0 == 0x0a || c0 == 0xd4 || c0 == 0xa1 || c0 == 0x4d) {
            rc = load_pcap(f, path, R);
        } else {
            rc = load_jsonl(f, path, R);
        }
    }
    if (!is_stdin) {
        fclose(f);
    }
    return rc;
}

/* ------------------------------------------------------------------ the plant */

struct plant {
    int32_t u_mv;          /* output voltage */
    int32_t i_ma;          /* output current */
    double last_t;
    bool cable_done;
    bool powered;          /* between PowerDelivery(start) and (stop) */
};

static void plant_step(struct plant *p, double t, int32_t target_mv, int32_t target_ma)
{
    /* 200 V/s slew, at least 20 V per request: a real stage reaches a pre-charge target
     * in a second or two. */
    double dt = t - p->last_t;
    p->last_t = t;
    int32_t step = (int32_t)(dt * 200000.0);
    if (step < 20000) {
        step = 20000;
    }
    int32_t d = target_mv - p->u_mv;
    if (d > step) {
        d = step;
    } else if (d < -step) {
        d = -step;
    }
    p->u_mv += d;
    p->i_ma = target_ma;
}

static void plant_status(const struct plant *p, struct hlc_evse *st)
{
    memset(st, 0, sizeof *st);
    st->present_voltage_mv = p->u_mv;
    st->present_current_ma = p->i_ma;
    st->max_voltage_mv = 500000;
    st->max_current_ma = 200000;
    st->max_power_w = 100000;
    st->min_voltage_mv = 50000;
    st->min_current_ma = 0;
    st->current_regulation_tolerance_ma = 5000;
    st->peak_current_ripple_ma = 5000;
    st->energy_to_deliver_wh = -1;
    st->isolation = p->cable_done ? HLC_ISOLATION_VALID : HLC_ISOLATION_INVALID;
    st->status = HLC_EVSE_READY;
    st->notification = HLC_NOTIFY_NONE;
}

/* What the recorded charger decided for this request. */
struct verdict {
    bool have;
    enum din_msg kind;
    uint8_t code;
    int processing;        /* -1: the message has no EVSEProcessing */
    uint8_t status_code;   /* 0xFF: none */
    uint8_t notification;
    uint32_t max_delay;
    /* ISO-2: the response kind and the schedule the recorded charger offered */
    bool iso2;
    enum iso2_msg kind2;
    uint8_t tuple_id;
    struct hlc_schedule schedule;
    /* ISO-20: the response kind */
    enum iso20_msg kind20;
};

static void recorded(const struct rec *r, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->processing = -1;
    v->status_code = 0xFF;
    if (r == NULL || r->apphand || r->iso2) {
        return;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, r->exi, r->len);
    if (exi_din_decode(&rd, &s_rec_res) != HAL_OK) {
        return;
    }
    const struct exi_din_BodyType *b = &s_rec_res.V2G_Message.Body;
    v->have = true;
    v->kind = din_response_kind(&s_rec_res);
    v->code = din_response_code(&s_rec_res);
    const struct exi_din_DC_EVSEStatusType *s = NULL;
    switch (v->kind) {
    case DIN_MSG_CONTRACT_AUTH: v->processing = b->ContractAuthenticationRes.EVSEProcessing; break;
    case DIN_MSG_CHARGE_PARAMETER:
        v->processing = b->ChargeParameterDiscoveryRes.EVSEProcessing;
        if (b->ChargeParameterDiscoveryRes.DC_EVSEChargeParameter_isUsed) {
            s = &b->ChargeParameterDiscoveryRes.DC_EVSEChargeParameter.DC_EVSEStatus;
        }
        break;
    case DIN_MSG_CABLE_CHECK:
        v->processing = b->CableCheckRes.EVSEProcessing;
        s = &b->CableCheckRes.DC_EVSEStatus;
        break;
    case DIN_MSG_PRECHARGE: s = &b->PreChargeRes.DC_EVSEStatus; break;
    case DIN_MSG_POWER_DELIVERY:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s = &b->PowerDeliveryRes.DC_EVSEStatus;
        }
        break;
    case DIN_MSG_CURRENT_DEMAND: s = &b->CurrentDemandRes.DC_EVSEStatus; break;
    case DIN_MSG_WELDING_DETECTION: s = &b->WeldingDetectionRes.DC_EVSEStatus; break;
    default: break;
    }
    if (s != NULL) {
        v->status_code = s->EVSEStatusCode;
        v->notification = s->EVSENotification;
        v->max_delay = s->NotificationMaxDelay;
    }
}

/* The same for a recorded ISO-2 response; the values of EVSEProcessing, DC_EVSEStatusCode
 * and EVSENotification are DIN's (Ongoing_WaitingForCustomerInteraction counts as Ongoing). */
static void recorded_iso2(const struct rec *r, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->processing = -1;
    v->status_code = 0xFF;
    v->iso2 = true;
    if (r == NULL || !r->iso2) {
        return;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, r->exi, r->len);
    if (exi_iso2_decode(&rd, &s_rec2) != HAL_OK) {
        return;
    }
    const struct exi_iso2_BodyType *b = &s_rec2.V2G_Message.Body;
    v->have = true;
    v->kind2 = iso2_response_kind(&s_rec2);
    v->code = iso2_response_code(&s_rec2);
    const struct exi_iso2_DC_EVSEStatusType *st = NULL;
    int proc = -1;
    switch (v->kind2) {
    case ISO2_MSG_AUTHORIZATION: proc = b->AuthorizationRes.EVSEProcessing; break;
    case ISO2_MSG_CHARGE_PARAMETER: {
        const struct exi_iso2_ChargeParameterDiscoveryResType *c = &b->ChargeParameterDiscoveryRes;
        proc = c->EVSEProcessing;
        if (c->DC_EVSEChargeParameter_isUsed) {
            st = &c->DC_EVSEChargeParameter.DC_EVSEStatus;
        }
        if (c->SAScheduleList_isUsed && c->SAScheduleList.SAScheduleTuple.arrayLen > 0) {
            const struct exi_iso2_SAScheduleTupleType *t = &c->SAScheduleList.SAScheduleTuple.array[0];
            v->tuple_id = t->SAScheduleTupleID;
            uint16_t n = t->PMaxSchedule.PMaxScheduleEntry.arrayLen;
            for (uint16_t i = 0; i < n && i < HLC_SCHEDULE_MAX; i++) {
                const struct exi_iso2_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[i];
                int64_t w = iso2_pv_milli(&e->PMax) / 1000;
                v->schedule.entry[i].start_s = e->RelativeTimeInterval.start;
                v->schedule.entry[i].duration_s = e->RelativeTimeInterval.duration_isUsed ? e->RelativeTimeInterval.duration : 0;
                v->schedule.entry[i].pmax_w = w < 0 ? 0u : w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
                v->schedule.count = (uint8_t)(i + 1);
            }
        }
        break;
    }
    case ISO2_MSG_CABLE_CHECK:
        proc = b->CableCheckRes.EVSEProcessing;
        st = &b->CableCheckRes.DC_EVSEStatus;
        break;
    case ISO2_MSG_PRECHARGE: st = &b->PreChargeRes.DC_EVSEStatus; break;
    case ISO2_MSG_POWER_DELIVERY:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            st = &b->PowerDeliveryRes.DC_EVSEStatus;
        }
        break;
    case ISO2_MSG_CURRENT_DEMAND: st = &b->CurrentDemandRes.DC_EVSEStatus; break;
    case ISO2_MSG_WELDING_DETECTION: st = &b->WeldingDetectionRes.DC_EVSEStatus; break;
    default: break;
    }
    v->processing = proc < 0 ? -1 : proc == exi_iso2_EVSEProcessingType_Finished ? exi_din_EVSEProcessingType_Finished
                                                                                 : exi_din_EVSEProcessingType_Ongoing;
    if (st != NULL) {
        v->status_code = st->EVSEStatusCode;
        v->notification = st->EVSENotification;
        v->max_delay = st->NotificationMaxDelay;
    }
}

static int processing_of(const struct exi_din_document *d)
{
    const struct exi_din_BodyType *b = &d->V2G_Message.Body;
    switch (din_response_kind(d)) {
    case DIN_MSG_CONTRACT_AUTH: return b->ContractAuthenticationRes.EVSEProcessing;
    case DIN_MSG_CHARGE_PARAMETER: return b->ChargeParameterDiscoveryRes.EVSEProcessing;
    case DIN_MSG_CABLE_CHECK: return b->CableCheckRes.EVSEProcessing;
    default: return -1;
    }
}

static uint8_t ev_error_of(const struct exi_din_document *d)
{
    const struct exi_din_BodyType *b = &d->V2G_Message.Body;
    switch (din_request_kind(d)) {
    case DIN_MSG_CHARGE_PARAMETER:
        return b->ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed
                   ? b->ChargeParameterDiscoveryReq.DC_EVChargeParameter.DC_EVStatus.EVErrorCode : 0;
    case DIN_MSG_CABLE_CHECK: return b->CableCheckReq.DC_EVStatus.EVErrorCode;
    case DIN_MSG_PRECHARGE: return b->PreChargeReq.DC_EVStatus.EVErrorCode;
    case DIN_MSG_POWER_DELIVERY:
        return b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed
                   ? b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus.EVErrorCode : 0;
    case DIN_MSG_CURRENT_DEMAND: return b->CurrentDemandReq.DC_EVStatus.EVErrorCode;
    case DIN_MSG_WELDING_DETECTION: return b->WeldingDetectionReq.DC_EVStatus.EVErrorCode;
    default: return 0;
    }
}

/* ------------------------------------------------------------------ replay */

struct run {
    bool quiet;
    unsigned replayed, accepted, bad, car_stopped, sessions;
    enum din_evse_phase furthest;
    bool in_session;
    struct hlc h;                 /* the firmware's V2G session: machine and documents */
    struct din_session_id next_id; /* what the next session start issues */
    struct plant plant;
    double t0;
    /* the request being replayed, for the status hook */
    const struct rec *q;
    struct verdict rv;
    bool saw_iso2;
    enum iso2_evse_phase furthest2;
    bool saw_iso20;
    enum iso20_evse_phase furthest20;
};

/* The recorded charger's SessionID, so that the car's echo matches ours. */
static int run_session_id(void *ctx, uint8_t *bytes, size_t len)
{
    const struct run *R = ctx;
    if (len != R->next_id.len) {
        return HAL_EINVAL;
    }
    memcpy(bytes, R->next_id.bytes, len);
    return HAL_OK;
}

static void report(struct run *R, const struct rec *q, const char *what, bool good, const char *why)
{
    if (!good || !R->quiet) {
        printf("f=%lu t=%.3f %-28s -> %-34s %s%s%s\n", q->frame, q->t - R->t0, q->msg, what,
               good ? "ok" : "FAIL", why[0] ? ": " : "", why);
    }
}

/* The SessionID the recorded charger issued in the next SessionSetupRes (the car echoes
 * it, so our machine must issue the same one). */
static void recorded_session_id(const struct rec *v, size_t n, size_t from, struct din_session_id *id)
{
    static const uint8_t fallback[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    memcpy(id->bytes, fallback, 8);
    id->len = 8;
    for (size_t i = from; i < n; i++) {
        if (v[i].apphand && v[i].ev_to_evse && i > from) {
            break; /* next connection */
        }
        if (!v[i].ev_to_evse && rec_iso20(&v[i]) && v[i].exi != NULL && strcmp(v[i].msg, "SessionSetupRes") == 0) {
            struct exi_reader rd;
            exi_reader_init(&rd, v[i].exi, v[i].len);
            if (exi_iso20_decode(&rd, &s_rec20) == HAL_OK && s_rec20.SessionSetupRes_isUsed &&
                s_rec20.SessionSetupRes.Header.SessionID.bytesLen == ISO20_SESSION_ID_LEN) {
                memcpy(id->bytes, s_rec20.SessionSetupRes.Header.SessionID.bytes, ISO20_SESSION_ID_LEN);
                id->len = ISO20_SESSION_ID_LEN;
            }
            return;
        }
        if (!v[i].ev_to_evse && v[i].iso2 && strcmp(v[i].msg, "SessionSetupRes") == 0) {
            struct exi_reader rd;
            exi_reader_init(&rd, v[i].exi, v[i].len);
            if (exi_iso2_decode(&rd, &s_rec2) == HAL_OK) {
                const struct exi_iso2_MessageHeaderType *h = &s_rec2.V2G_Message.Header;
                uint16_t idn = h->SessionID.bytesLen <= DIN_SESSION_ID_MAX ? h->SessionID.bytesLen : DIN_SESSION_ID_MAX;
                bool zero = true;
                for (uint16_t k = 0; k < idn; k++) {
                    zero = zero && h->SessionID.bytes[k] == 0;
                }
                if (idn > 0 && !zero) {
                    memcpy(id->bytes, h->SessionID.bytes, idn);
                    id->len = (uint8_t)idn;
                }
            }
            return;
        }
        if (!v[i].ev_to_evse && !v[i].apphand && strcmp(v[i].msg, "SessionSetupRes") == 0) {
            struct exi_reader rd;
            exi_reader_init(&rd, v[i].exi, v[i].len);
            if (exi_din_decode(&rd, &s_rec_res) == HAL_OK) {
                struct din_session_id got;
                din_session_id_from_header(&got, &s_rec_res.V2G_Message.Header);
                if (got.len > 0 && !din_session_id_is_zero(&got)) {
                    *id = got;
                }
            }
            return;
        }
    }
}

static void replay_apphand(struct run *R, const struct rec *v, size_t n, size_t i, uint32_t now)
{
    const struct rec *q = &v[i];
    char what[64];
    struct exi_reader rd;
    struct hlc_result res;
    size_t len = 0;
    struct hlc_evse evse;
    memset(&evse, 0, sizeof evse);
    hlc_reset(&R->h); /* a supportedAppProtocolReq starts a new session */
    recorded_session_id(v, n, i, &R->next_id);
    /* The protocol the recorded session negotiated: the schema of its next message. */
    struct hlc_protocols follow = {{HLC_PROTO_DIN}, 1};
    for (size_t k = i + 1; k < n && !(v[k].apphand && v[k].ev_to_evse); k++) {
        if (!v[k].apphand && v[k].why_not == NULL) {
            follow.list[0] = v[k].iso2 ? HLC_PROTO_ISO2 : rec_iso20(&v[k]) ? HLC_PROTO_ISO20 : HLC_PROTO_DIN;
            break;
        }
    }
    (void)hlc_set_protocols(&R->h, &follow);
    hlc_set_payload_type(&R->h, HLC_PT_EXI);
    int rc = hlc_handle(&R->h, q->exi, q->len, &evse, NULL, NULL, s_out, sizeof s_out, &len, &res, now);
    if (rc != HAL_OK && res.error == HLC_ERR_DECODE) {
        report(R, q, "request does not decode", false, res.detail);
        R->bad++;
        return;
    }
    if (rc != HAL_OK || len == 0) {
        hlc_reset(&R->h);
        report(R, q, "no response", false, "apphand_select/encode failed");
        R->bad++;
        return;
    }
    exi_reader_init(&rd, s_out, len);
    bool decodes = exi_apphand_decode(&rd, &s_acheck) == HAL_OK;
    bool positive = res.positive;
    snprintf(what, sizeof what, "%s schema=%u", positive ? "OK_SuccessfulNegotiation" : "Failed_NoNegotiation",
             (unsigned)res.schema_id);
    bool good = decodes && positive;
    report(R, q, what, good, !decodes ? "our response does not decode" : positive ? "" : "no DIN offered");
    if (good) {
        R->accepted++;
        memset(&R->plant, 0, sizeof R->plant);
        R->plant.last_t = q->t;
        R->in_session = true;
        R->sessions++;
    } else {
        hlc_reset(&R->h);
        R->bad++;
        R->in_session = false;
    }
}

/* What replay_din() and replay_iso2() found out about our answer to one request, in the
 * protocol's own terms turned into plain values, so that one judge() rules on both. */
struct answer {
    bool encoded;             /* our response encodes */
    const char *encode_detail;
    bool decodes;             /* ... and decodes back to the same message and code */
    bool positive;            /* its ResponseCode is an OK_* */
    uint8_t ev_err;           /* the car's EVErrorCode in the request */
    bool car_stopped;         /* ... not NO_ERROR */
    bool rec_negative;        /* the recorded charger refused this request too */
    bool same_msg;            /* the recorded charger answered with the same message */
    int proc;                 /* our EVSEProcessing in DIN values, -1: none */
    const char *code_name, *phase_name;
    const char *rec_msg_name; /* what the recorded charger answered */
    const char *reason;       /* our machine's reason, appended to an unexplained refusal; NULL: not */
};

/* The verdict on one answer: good when it encodes, decodes back, matches the recorded
 * charger's message and EVSEProcessing, and any refusal is explained (the car stopped or
 * the recorded charger refused too). Counts it and reports it. */
static void judge(struct run *R, const struct rec *q, const struct verdict *rv, const struct answer *a)
{
    char what[96];
    char why[160] = "";
    bool same_proc = !rv->have || a->proc < 0 || rv->processing < 0 || a->proc == rv->processing;
    snprintf(what, sizeof what, "%s%s %s", a->code_name,
             a->proc < 0 ? "" : (a->proc == exi_din_EVSEProcessingType_Finished ? "/Finished" : "/Ongoing"),
             a->phase_name);
    if (!a->encoded) {
        snprintf(why, sizeof why, "our response does not encode (%s)", a->encode_detail);
    } else if (!a->decodes) {
        snprintf(why, sizeof why, "our response does not decode back");
    } else if (!a->same_msg) {
        snprintf(why, sizeof why, "recorded charger answered %s", a->rec_msg_name);
    } else if (!same_proc) {
        snprintf(why, sizeof why, "recorded charger said %s",
                 rv->processing == exi_din_EVSEProcessingType_Finished ? "Finished" : "Ongoing");
    } else if (!a->positive && !a->car_stopped && !a->rec_negative) {
        const char *neg = rv->have ? "negative answer to a request the recorded charger accepted"
                                   : "negative answer (the recorded charger did not answer)";
        if (a->reason != NULL) {
            snprintf(why, sizeof why, "%s: %s", neg, a->reason);
        } else {
            snprintf(why, sizeof why, "%s", neg);
        }
    } else if (!a->positive) {
        snprintf(why, sizeof why, "%s", a->car_stopped ? "car reported an error: it stopped" : "recorded charger refused too");
    } else if (a->car_stopped) {
        snprintf(why, sizeof why, "car reported EVErrorCode %u", (unsigned)a->ev_err);
    }
    bool good = a->encoded && a->decodes && a->same_msg && same_proc &&
                (a->positive || a->car_stopped || a->rec_negative);
    report(R, q, what, good, why);
    if (a->positive && good) {
        R->accepted++;
    }
    if (!a->positive && good) {
        R->car_stopped++;
    }
    if (!good) {
        R->bad++;
    }
}


/* Between decode and handle: the plant before the answer (what the charger would measure
 * now) and what only the recorded charger could know, taken from its answer. */
static void replay_status(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *st)
{
    struct run *R = ctx;
    const struct rec *q = R->q;
    const struct verdict *rv = &R->rv;
    struct plant *p = &R->plant;
    const struct hlc_ev *ev = hlc_ev(&R->h); /* the latest values, before this request */
    enum hlc_msg k = rq->msg;
    bool power_delivery = k == HLC_MSG_POWER_DELIVERY_START || k == HLC_MSG_POWER_DELIVERY_STOP ||
                          k == HLC_MSG_RENEGOTIATE;

    if (k == HLC_MSG_RENEGOTIATE) {
        p->cable_done = false; /* ISO-2 DC: cable check again after the new schedule */
    }
    if (k == HLC_MSG_CABLE_CHECK && rv->processing == exi_din_EVSEProcessingType_Finished) {
        p->cable_done = true;
    }
    if (k == HLC_MSG_PRECHARGE) {
        plant_step(p, q->t, rq->ev->target_voltage_mv, 0);
    } else if (k == HLC_MSG_CURRENT_DEMAND && p->powered) {
        int32_t i = rq->ev->target_current_ma;
        int32_t u = ev->target_voltage_mv > 0 && p->u_mv == 0 ? ev->target_voltage_mv : p->u_mv;
        plant_step(p, q->t, u, i < 0 ? 0 : (i > 200000 ? 200000 : i));
    } else if (k == HLC_MSG_WELDING || (power_delivery && !p->powered)) {
        plant_step(p, q->t, 0, 0);
    } else {
        p->last_t = q->t;
    }
    plant_status(p, st);
    bool ongoing = rv->processing == exi_din_EVSEProcessingType_Ongoing;
    st->authorization = k == HLC_MSG_AUTHORIZATION && ongoing ? HLC_PROCESSING_ONGOING : HLC_PROCESSING_FINISHED;
    st->charge_parameters = k == HLC_MSG_CHARGE_PARAMETERS && ongoing ? HLC_PROCESSING_ONGOING
                                                                       : HLC_PROCESSING_FINISHED;
    st->cable_check = p->cable_done ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    if (rv->status_code == exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown) {
        st->status = HLC_EVSE_SHUTDOWN; /* the recorded charger stopped the session */
    } else if (rv->status_code == exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown) {
        st->status = HLC_EVSE_EMERGENCY_SHUTDOWN;
    }
    if (k == HLC_MSG_CABLE_CHECK && rv->have && !din_response_code_ok(rv->code)) {
        st->cable_check = HLC_PROCESSING_FAILED; /* the recorded insulation test failed */
    }
    if (rv->notification == exi_din_EVSENotificationType_StopCharging) {
        st->notification = HLC_NOTIFY_STOP_CHARGING;
        st->notification_max_delay_s = rv->max_delay;
    }
    if (rv->iso2 && k == HLC_MSG_CHARGE_PARAMETERS && rv->schedule.count > 0) {
        st->schedule = rv->schedule; /* the recorded charger's tuple, so the car's choice fits */
        st->schedule_tuple_id = rv->tuple_id;
    }
}

/* Our charger answers one request through the entry point the firmware uses, and the
 * power plant follows what it switched (the event bits are the neutral ones, hlc.h).
 * False when there is no answer to judge: reported and counted bad. @p name_error: the DIN
 * report names why there is no answer, the ISO-2 report does not (kept as the recorded
 * outputs have it). */
static bool replay_handle(struct run *R, const struct rec *q, struct hlc_result *res, size_t *len,
                          bool name_error, uint32_t now)
{
    struct hlc_evse evse;
    R->q = q;
    int rc = hlc_handle(&R->h, q->exi, q->len, &evse, replay_status, R, s_out, sizeof s_out, len, res, now);
    if (rc != HAL_OK && res->error == HLC_ERR_DECODE) {
        report(R, q, "request does not decode", false, res->detail);
        R->bad++;
        return false;
    }
    if (rc != HAL_OK) {
        char what[96];
        if (name_error) {
            snprintf(what, sizeof what, "no response (%s)", hal_strerror(rc));
        } else {
            snprintf(what, sizeof what, "no response");
        }
        report(R, q, what, false, res->phase_name);
        R->bad++;
        return false;
    }
    hlc_sent(&R->h, now);
    if (res->events & HLC_EVT_POWER_ON) {
        R->plant.powered = true;
    }
    if (res->events & HLC_EVT_POWER_OFF) {
        R->plant.powered = false;
        R->plant.i_ma = 0;
    }
    return true;
}

static void replay_din(struct run *R, const struct rec *q, const struct rec *recres, uint32_t now)
{
    R->replayed++;
    if (!R->in_session) {
        report(R, q, "(no negotiated session)", false, "request outside a session");
        R->bad++;
        return;
    }
    struct exi_reader rd;
    recorded(recres, &R->rv);
    const struct verdict rv = R->rv;
    struct hlc_result res;
    size_t len = 0;
    if (!replay_handle(R, q, &res, &len, true, now)) {
        return;
    }
    const struct din_evse_request out = *hlc_din_last(&R->h);
    if (out.phase > R->furthest && out.phase < DIN_EVSE_STOPPED) {
        R->furthest = out.phase;
    }
    struct answer a = {.encoded = res.error != HLC_ERR_ENCODE, .encode_detail = res.detail};
    if (a.encoded) {
        exi_reader_init(&rd, s_out, len);
        a.decodes = exi_din_decode(&rd, &s_check) == HAL_OK && din_response_kind(&s_check) == out.msg &&
                    din_response_code(&s_check) == out.response_code;
    }
    a.positive = din_response_code_ok(out.response_code);
    a.ev_err = ev_error_of(hlc_din_request(&R->h));
    a.car_stopped = a.ev_err != exi_din_DC_EVErrorCodeType_NO_ERROR;
    a.rec_negative = rv.have && !din_response_code_ok(rv.code);
    a.same_msg = !rv.have || rv.kind == out.msg;
    a.proc = processing_of(hlc_din_response(&R->h));
    a.code_name = din_response_code_name(out.response_code);
    a.phase_name = din_evse_phase_name(out.phase);
    a.rec_msg_name = din_msg_name(rv.kind);
    judge(R, q, &rv, &a);
}

/* The car's EVErrorCode in an ISO-2 request (0 when the message has none). */
static uint8_t ev_error_of_iso2(const struct exi_iso2_document *d)
{
    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    switch (iso2_request_kind(d)) {
    case ISO2_MSG_CHARGE_PARAMETER:
        return b->ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed
                   ? b->ChargeParameterDiscoveryReq.DC_EVChargeParameter.DC_EVStatus.EVErrorCode : 0;
    case ISO2_MSG_CABLE_CHECK: return b->CableCheckReq.DC_EVStatus.EVErrorCode;
    case ISO2_MSG_PRECHARGE: return b->PreChargeReq.DC_EVStatus.EVErrorCode;
    case ISO2_MSG_POWER_DELIVERY:
        return b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed
                   ? b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus.EVErrorCode : 0;
    case ISO2_MSG_CURRENT_DEMAND: return b->CurrentDemandReq.DC_EVStatus.EVErrorCode;
    case ISO2_MSG_WELDING_DETECTION: return b->WeldingDetectionReq.DC_EVStatus.EVErrorCode;
    default: return 0;
    }
}

static int processing_of_iso2(const struct exi_iso2_document *d)
{
    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    int p;
    switch (iso2_response_kind(d)) {
    case ISO2_MSG_AUTHORIZATION: p = b->AuthorizationRes.EVSEProcessing; break;
    case ISO2_MSG_CHARGE_PARAMETER: p = b->ChargeParameterDiscoveryRes.EVSEProcessing; break;
    case ISO2_MSG_CABLE_CHECK: p = b->CableCheckRes.EVSEProcessing; break;
    default: return -1;
    }
    return p == exi_iso2_EVSEProcessingType_Finished ? exi_din_EVSEProcessingType_Finished
                                                     : exi_din_EVSEProcessingType_Ongoing;
}

/* One ISO-2 request: the same judgement as replay_din(), on the ISO-2 documents. */
static void replay_iso2(struct run *R, const struct rec *q, const struct rec *recres, uint32_t now)
{
    R->replayed++;
    R->saw_iso2 = true;
    if (!R->in_session) {
        report(R, q, "(no negotiated session)", false, "request outside a session");
        R->bad++;
        return;
    }
    recorded_iso2(recres, &R->rv);
    const struct verdict rv = R->rv;
    struct hlc_result res;
    size_t len = 0;
    if (!replay_handle(R, q, &res, &len, false, now)) {
        return;
    }
    const struct iso2_evse_request out = *hlc_iso2_last(&R->h);
    if (out.phase > R->furthest2 && out.phase < ISO2_EVSE_STOPPED) {
        R->furthest2 = out.phase;
    }
    struct answer a = {.encoded = res.error != HLC_ERR_ENCODE, .encode_detail = res.detail};
    if (a.encoded) {
        struct exi_reader rd;
        exi_reader_init(&rd, s_out, len);
        a.decodes = exi_iso2_decode(&rd, &s_check2) == HAL_OK && iso2_response_kind(&s_check2) == out.msg &&
                    iso2_response_code(&s_check2) == out.response_code;
    }
    a.positive = iso2_response_code_ok(out.response_code);
    a.ev_err = ev_error_of_iso2(hlc_iso2_request(&R->h));
    a.car_stopped = a.ev_err != exi_iso2_DC_EVErrorCodeType_NO_ERROR;
    a.rec_negative = rv.have && !iso2_response_code_ok(rv.code);
    a.same_msg = !rv.have || rv.kind2 == out.msg;
    a.proc = processing_of_iso2(hlc_iso2_response(&R->h));
    a.code_name = iso2_response_code_name(out.response_code);
    a.phase_name = iso2_evse_phase_name(out.phase);
    a.rec_msg_name = iso2_msg_name(rv.kind2);
    a.reason = out.reason;
    judge(R, q, &rv, &a);
}

/* A recorded -20 response: its kind, code and EVSEProcessing (in DIN's values). */
static void recorded_iso20(const struct rec *r, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->processing = -1;
    v->status_code = 0xFF;
    if (r == NULL || !rec_iso20(r) || r->exi == NULL) {
        return;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, r->exi, r->len);
    int proc = -1;
    if (rec_iso20_type(r) == ISO20_PT_DC) {
        if (exi_iso20_dc_decode(&rd, &s_rec20dc) != HAL_OK) {
            return;
        }
        v->kind20 = iso20_dc_response_kind(&s_rec20dc);
        v->code = iso20_dc_response_code(&s_rec20dc);
        if (v->kind20 == ISO20_MSG_CABLE_CHECK) {
            proc = s_rec20dc.DC_CableCheckRes.EVSEProcessing;
        }
    } else {
        if (exi_iso20_decode(&rd, &s_rec20) != HAL_OK) {
            return;
        }
        v->kind20 = iso20_response_kind(&s_rec20);
        v->code = iso20_response_code(&s_rec20);
        if (v->kind20 == ISO20_MSG_AUTHORIZATION) {
            proc = s_rec20.AuthorizationRes.EVSEProcessing;
        } else if (v->kind20 == ISO20_MSG_SCHEDULE_EXCHANGE) {
            proc = s_rec20.ScheduleExchangeRes.EVSEProcessing;
        }
    }
    v->have = v->kind20 != ISO20_MSG_NONE;
    v->processing = proc < 0 ? -1 : proc == exi_iso20_processingType_Finished ? exi_din_EVSEProcessingType_Finished
                                                                              : exi_din_EVSEProcessingType_Ongoing;
}

/* Our -20 answer's EVSEProcessing in DIN's values (-1: the message has none). */
static int processing_of_iso20(const struct hlc *h, const struct iso20_evse_request *o)
{
    int p = -1;
    if (o->dc && o->msg == ISO20_MSG_CABLE_CHECK) {
        p = h->doc.iso20.res.dc.DC_CableCheckRes.EVSEProcessing;
    } else if (!o->dc && o->msg == ISO20_MSG_AUTHORIZATION) {
        p = h->doc.iso20.res.common.AuthorizationRes.EVSEProcessing;
    } else if (!o->dc && o->msg == ISO20_MSG_SCHEDULE_EXCHANGE) {
        p = h->doc.iso20.res.common.ScheduleExchangeRes.EVSEProcessing;
    }
    return p < 0 ? -1 : p == exi_iso20_processingType_Finished ? exi_din_EVSEProcessingType_Finished
                                                               : exi_din_EVSEProcessingType_Ongoing;
}

/* One ISO-20 DC request: the same judgement as replay_iso2(); the recorded payload type
 * picks the grammar and our answer must come in the same one. -20 has no EV error code:
 * a car stops by SessionStop, never by a code in its request. */
static void replay_iso20(struct run *R, const struct rec *q, const struct rec *recres, uint32_t now)
{
    R->replayed++;
    R->saw_iso20 = true;
    if (!R->in_session) {
        report(R, q, "(no negotiated session)", false, "request outside a session");
        R->bad++;
        return;
    }
    recorded_iso20(recres, &R->rv);
    const struct verdict rv = R->rv;
    struct hlc_result res;
    size_t len = 0;
    hlc_set_payload_type(&R->h, rec_iso20_type(q));
    if (!replay_handle(R, q, &res, &len, false, now)) {
        return;
    }
    const struct iso20_evse_request out = *hlc_iso20_last(&R->h);
    if (out.phase > R->furthest20 && out.phase < ISO20_EVSE_STOPPED) {
        R->furthest20 = out.phase;
    }
    struct answer a = {.encoded = res.error != HLC_ERR_ENCODE, .encode_detail = res.detail};
    if (a.encoded) {
        struct exi_reader rd;
        exi_reader_init(&rd, s_out, len);
        if (out.dc) {
            a.decodes = res.payload_type == ISO20_PT_DC && exi_iso20_dc_decode(&rd, &s_check20dc) == HAL_OK &&
                        iso20_dc_response_kind(&s_check20dc) == out.msg &&
                        iso20_dc_response_code(&s_check20dc) == out.response_code;
        } else {
            a.decodes = res.payload_type == ISO20_PT_COMMON && exi_iso20_decode(&rd, &s_check20) == HAL_OK &&
                        iso20_response_kind(&s_check20) == out.msg && iso20_response_code(&s_check20) == out.response_code;
        }
    }
    a.positive = iso20_response_code_positive(out.response_code);
    a.rec_negative = rv.have && !iso20_response_code_positive(rv.code);
    a.same_msg = !rv.have || rv.kind20 == out.msg;
    a.proc = processing_of_iso20(&R->h, &out);
    a.code_name = iso20_response_code_name(out.response_code);
    a.phase_name = iso20_evse_phase_name(out.phase);
    a.rec_msg_name = iso20_msg_name(rv.kind20);
    a.reason = out.reason;
    judge(R, q, &rv, &a);
}

/* The ISO-2 charger's offers that only the recording knows: the value-added services of
 * its first ServiceDiscoveryRes and the SalesTariff of its first ChargeParameterDiscoveryRes. */
static void iso2_config_from(const struct rec *v, size_t n, struct iso2_evse_config *c)
{
    bool vas_done = false, tariff_done = false;
    for (size_t i = 0; i < n && !(vas_done && tariff_done); i++) {
        if (v[i].ev_to_evse || !v[i].iso2 || v[i].exi == NULL) {
            continue;
        }
        struct exi_reader rd;
        exi_reader_init(&rd, v[i].exi, v[i].len);
        if (exi_iso2_decode(&rd, &s_rec2) != HAL_OK) {
            continue;
        }
        const struct exi_iso2_BodyType *b = &s_rec2.V2G_Message.Body;
        if (!vas_done && b->ServiceDiscoveryRes_isUsed) {
            vas_done = true;
            const struct exi_iso2_ServiceDiscoveryResType *r = &b->ServiceDiscoveryRes;
            for (uint16_t k = 0; r->ServiceList_isUsed && k < r->ServiceList.Service.arrayLen && c->vas_count < ISO2_EVSE_VAS_MAX; k++) {
                const struct exi_iso2_ServiceType *sv = &r->ServiceList.Service.array[k];
                struct iso2_evse_vas *o = &c->vas[c->vas_count++];
                o->id = sv->ServiceID;
                o->category = sv->ServiceCategory;
                o->free = sv->FreeService;
                size_t l = sv->ServiceName_isUsed ? sv->ServiceName.charactersLen : 0;
                l = l < sizeof o->name - 1 ? l : sizeof o->name - 1;
                memcpy(o->name, sv->ServiceName.characters, l);
                o->name[l] = '\0';
            }
        }
        if (!tariff_done && b->ChargeParameterDiscoveryRes_isUsed && b->ChargeParameterDiscoveryRes.SAScheduleList_isUsed &&
            b->ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.arrayLen > 0) {
            tariff_done = true;
            const struct exi_iso2_SAScheduleTupleType *t = &b->ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.array[0];
            if (t->SalesTariff_isUsed) {
                const struct exi_iso2_SalesTariffType *st = &t->SalesTariff;
                c->tariff_id = st->SalesTariffID;
                c->tariff_levels = st->NumEPriceLevels_isUsed ? st->NumEPriceLevels : 0;
                for (uint16_t k = 0; k < st->SalesTariffEntry.arrayLen && c->tariff_count < ISO2_EVSE_TARIFF_MAX; k++) {
                    const struct exi_iso2_SalesTariffEntryType *e = &st->SalesTariffEntry.array[k];
                    c->tariff[c->tariff_count].start_s = e->RelativeTimeInterval.start;
                    c->tariff[c->tariff_count].price_level = e->EPriceLevel_isUsed ? e->EPriceLevel : 0;
                    c->tariff_count++;
                }
            }
        }
    }
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: v2g-replay [-q] [--ev] FILE|-\n"
            "Replay the car's requests of a recorded session against this firmware's DIN 70121,\n"
            "ISO 15118-2 or ISO 15118-20 DC EVSE machine (the protocol the session negotiated)\n"
            "and judge every answer against the recorded charger's.\n"
            "  FILE  a session .jsonl of the shared vectors (vectors/sessions/), or a pcap/pcapng\n"
            "        capture (Ethernet, Linux SLL or raw IP; IPv6/IPv4; TCP reassembled per\n"
            "        direction; TLS streams, IP fragments and UDP are not replayed)\n"
            "  -     read the same from standard input\n"
            "  -q    print only the requests that fail\n"
            "  --ev  the other way round: our car (EVCC: ISO 15118-2, or DIN 70121 for a file\n"
            "        without ISO-2) against the recorded charger: at each step our next request\n"
            "        must have the recorded car's type and the recorded response, given at the\n"
            "        recorded charger's delay (DIN), must be accepted. DIN last line:\n"
            "        replayed=N accepted=N mismatched=N unjudged=N after_stop=N not_din=N\n"
            "        (unjudged: never answered; after_stop: the charger had stopped the session)\n"
            "Requests of ISO 15118-20 AC sessions, of encrypted streams or of unknown direction\n"
            "cannot be replayed: each is a failure (not_replayable=N).\n"
            "Last line: replayed=N accepted=N not_replayable=N phase=P\n"
            "Exit status: 0 every request replayed and good, 1 otherwise, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
    static struct run R; /* holds the documents: never on the stack */
    memset(&R, 0, sizeof R);
    int a = 1;
    if (a < argc && (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    bool ev_side = false;
    for (; a < argc; a++) {
        if (strcmp(argv[a], "-q") == 0) {
            R.quiet = true;
        } else if (strcmp(argv[a], "--ev") == 0) {
            ev_side = true;
        } else {
            break;
        }
    }
    if (a + 1 != argc || (argv[a][0] == '-' && argv[a][1] != '\0')) {
        usage(stderr);
        return 2;
    }
    struct recs recs = {NULL, 0, 0};
    int lrc = v2g_load(argv[a], &recs);
    struct rec *v = recs.v;
    size_t n = recs.n;
    if (lrc != 0) {
        for (size_t i = 0; i < n; i++) {
            free(v[i].exi);
        }
        free(v);
        return 2;
    }
    if (ev_side) {
        int erc = v2g_ev_replay(&recs, R.quiet);
        for (size_t i = 0; i < n; i++) {
            free(v[i].exi);
        }
        free(v);
        return erc;
    }
    struct hlc_config hcfg;
    hlc_default_config(&hcfg);
    iso2_config_from(v, n, &hcfg.iso2);
    if (hlc_init(&R.h, &hcfg, run_session_id, &R) != HAL_OK) {
        for (size_t i = 0; i < n; i++) {
            free(v[i].exi);
        }
        free(v);
        return 2;
    }
    unsigned not_replayable = 0;
    R.t0 = n > 0 ? v[0].t : 0.0;
    for (size_t i = 0; i < n; i++) {
        const struct rec *q = &v[i];
        if (!q->ev_to_evse) {
            continue;
        }
        if (q->why_not != NULL) {
            not_replayable++;
            report(&R, q, "(not replayed)", false, q->why_not);
            continue;
        }
        uint32_t now = (uint32_t)((q->t - R.t0) * 1000.0);
        if (q->apphand) {
            R.replayed++;
            replay_apphand(&R, v, n, i, now);
            continue;
        }
        /* The recorded answer is the next EVSE->EV message, unless the car spoke again. */
        const struct rec *res = NULL;
        if (i + 1 < n && !v[i + 1].ev_to_evse && !v[i + 1].apphand && v[i + 1].why_not == NULL) {
            res = &v[i + 1];
        }
        if (rec_iso20(q)) {
            replay_iso20(&R, q, res, now);
        } else if (q->iso2) {
            replay_iso2(&R, q, res, now);
        } else {
            replay_din(&R, q, res, now);
        }
    }
    printf("sessions=%u car_stopped=%u failed=%u\n", R.sessions, R.car_stopped, R.bad + not_replayable);
    printf("replayed=%u accepted=%u not_replayable=%u phase=%s\n", R.replayed, R.accepted, not_replayable,
           R.saw_iso20  ? iso20_evse_phase_name(R.furthest20)
           : R.saw_iso2 ? iso2_evse_phase_name(R.furthest2)
                        : din_evse_phase_name(R.furthest));
    for (size_t i = 0; i < n; i++) {
        free(v[i].exi);
    }
    free(v);
    return R.bad == 0 && not_replayable == 0 && R.replayed > 0 ? 0 : 1;
}
