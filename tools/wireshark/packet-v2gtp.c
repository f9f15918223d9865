/**
 * @file packet-v2gtp.c
 * @brief Wireshark plugin (Wireshark 4.0, Debian 12's wireshark-dev): V2GTP over UDP
 *        (SDP, port 15118) and TCP, with the EXI payload decoded by the project's codecs
 *        (supportedAppProtocol, DIN 70121, ISO 15118-2, ISO 15118-20 common/AC/DC).
 *
 * The TCP port of a session is the one the SDP response announced (registered when the
 * response is dissected); a heuristic on TCP (and on TLS-decrypted data) takes a stream
 * whose first bytes are a V2GTP header, for captures that start after the SDP. The schema
 * of a connection comes from its supportedAppProtocol exchange, kept with the conversation;
 * -20 payload types name their schema. Each message shows its name, the values that matter
 * (v2gd_exi.c, as v2g-decode prints them) and the full XML (v2gc_xml.c).
 */
#define WS_BUILD_DLL
#include <wireshark.h>

#include <epan/conversation.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/dissectors/packet-tls.h>
#include <ws_version.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../v2g-codec/v2gc_xml.h"
#include "../v2g-decode/v2gd_exi.h"
#include "exi/exi_apphand.h"
#include "exi/exi_registry.h"
#include "exi/exi_stream.h"

#define V2GTP_PORT 15118u
#define V2GTP_HDR 8u
#define V2GTP_MAX (1u * 1024u * 1024u)

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = "1.0";
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

static int proto_v2gtp = -1;
static int hf_version = -1, hf_inv = -1, hf_type = -1, hf_len = -1;
static int hf_schema = -1, hf_msg = -1, hf_values = -1, hf_xml = -1, hf_error = -1, hf_sdp = -1;
static gint ett_v2gtp = -1, ett_exi = -1;
static dissector_handle_t tcp_handle, udp_handle;

/* What a TCP connection negotiated (kept with the conversation). */
struct v2g_conv {
    struct v2gd_negotiation neg;
};

static const value_string payload_types[] = {
    {0x8001, "EXI (SAP, DIN, ISO 15118-2, ISO 15118-20 handshake)"},
    {0x8002, "ISO 15118-20 common messages"},
    {0x8003, "ISO 15118-20 AC messages"},
    {0x8004, "ISO 15118-20 DC messages"},
    {0x8005, "ISO 15118-20 WPT messages"},
    {0x8006, "ISO 15118-20 ACDP messages"},
    {0x9000, "SDP request"},
    {0x9001, "SDP response"},
    {0, NULL},
};

static void *doc_buf(size_t need)
{
    static void *doc;
    static size_t cap;
    if (need > cap) {
        doc = g_realloc(doc, need);
        cap = need;
    }
    return doc;
}

static void handshake(struct v2g_conv *c, const struct exi_apphand_document *a)
{
    v2gd_negotiation_feed(&c->neg, a);
}

/* The schema of this message: decided once, on the first pass, and kept per frame. */
static const char *schema_for(packet_info *pinfo, uint16_t pt, struct v2g_conv *c)
{
    static const char *const s20[] = {"iso20", "iso20_ac", "iso20_dc"};
    if (pt >= 0x8002 && pt <= 0x8004) {
        return s20[pt - 0x8002];
    }
    /* Key: the message's index in its frame (a segment may carry several). */
    static guint32 last_frame, index;
    if (pinfo->num != last_frame) {
        last_frame = pinfo->num;
        index = 0;
    }
    guint32 key = index++;
    const char *s = p_get_proto_data(wmem_file_scope(), pinfo, proto_v2gtp, key);
    if (s != NULL || PINFO_FD_VISITED(pinfo)) {
        return s;
    }
    s = !c->neg.negotiated ? "appHand" : c->neg.schema;
    if (s != NULL) {
        p_add_proto_data(wmem_file_scope(), pinfo, proto_v2gtp, key, (void *)s);
    }
    return s;
}

static void dissect_exi(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_item *top, uint16_t pt,
                        struct v2g_conv *c)
{
    guint len = tvb_reported_length_remaining(tvb, V2GTP_HDR);
    const char *schema = schema_for(pinfo, pt, c);
    if (schema == NULL) {
        proto_tree_add_string(tree, hf_error, tvb, V2GTP_HDR, len, "the handshake chose no protocol this codec knows");
        return;
    }
    const struct exi_codec *codec = exi_codec_find(schema);
    proto_tree *et = proto_tree_add_subtree_format(tree, tvb, V2GTP_HDR, len, ett_exi, NULL, "EXI (%s)", schema);
    proto_tree_add_string(et, hf_schema, tvb, V2GTP_HDR, len, schema);
    const uint8_t *p = tvb_get_ptr(tvb, V2GTP_HDR, len);
    void *doc = doc_buf(codec->doc_size);
    struct exi_reader r;
    exi_reader_init(&r, p, len);
    if (codec->decode(&r, doc) != 0) {
        const char *why = exi_error_str(r.error);
        proto_tree_add_string(et, hf_error, tvb, V2GTP_HDR, len, why);
        col_add_fstr(pinfo->cinfo, COL_INFO, "%s: undecodable EXI (%s)", schema, why);
        return;
    }
    if (strcmp(schema, "appHand") == 0 && !PINFO_FD_VISITED(pinfo)) {
        handshake(c, doc);
    }
    const char *name = v2gd_msg_name(codec->meta, doc);
    if (name == NULL) {
        name = "?";
    }
    proto_tree_add_string(et, hf_msg, tvb, V2GTP_HDR, len, name);
    proto_item_append_text(top, ", %s %s", schema, name);
    col_add_fstr(pinfo->cinfo, COL_INFO, "%s %s", schema, name);

    struct v2gd_fields f;
    v2gd_fields_get(codec->meta, doc, &f);
    char vals[512];
    size_t o = 0;
    vals[0] = '\0';
    for (int i = 0; i < V2GD_NUMS; i++) {
        if (f.has[i] && o < sizeof vals) {
            o += (size_t)snprintf(vals + o, sizeof vals - o, "%s%s=%g", o ? " " : "", v2gd_num_names[i], f.v[i]);
        }
    }
    for (int i = 0; i < V2GD_TXTS; i++) {
        if (f.txt[i] != NULL && o < sizeof vals) {
            o += (size_t)snprintf(vals + o, sizeof vals - o, "%s%s=%s", o ? " " : "", v2gd_txt_names[i], f.txt[i]);
        }
    }
    if (f.ev_ready >= 0 && o < sizeof vals) {
        snprintf(vals + o, sizeof vals - o, "%sev_ready=%s", o ? " " : "", f.ev_ready ? "true" : "false");
    }
    if (vals[0] != '\0') {
        proto_tree_add_string(et, hf_values, tvb, V2GTP_HDR, len, vals);
    }
    struct v2gc_buf xb = {0};
    if (v2gc_xml_print(&xb, codec->meta, doc) == 0 && xb.p != NULL) {
        proto_tree_add_string(et, hf_xml, tvb, V2GTP_HDR, len, xb.p);
    }
    v2gc_buf_free(&xb);
}

static void dissect_sdp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, uint16_t pt)
{
    char text[128];
    guint len = tvb_reported_length_remaining(tvb, V2GTP_HDR);
    if (pt == 0x9000 && len == 2) {
        uint8_t sec = tvb_get_guint8(tvb, 8), tr = tvb_get_guint8(tvb, 9);
        snprintf(text, sizeof text, "SECCDiscoveryReq security=%s transport=%s", sec == 0 ? "TLS" : "none",
                 tr == 0 ? "TCP" : "UDP");
    } else if (pt == 0x9001 && len == 20) {
        uint16_t port = tvb_get_ntohs(tvb, 24);
        uint8_t sec = tvb_get_guint8(tvb, 26);
        snprintf(text, sizeof text, "SECCDiscoveryRes port=%u security=%s", port, sec == 0 ? "TLS" : "none");
        if (port != 0 && !PINFO_FD_VISITED(pinfo)) {
            /* The session's TCP port: plain V2GTP, or TLS carrying V2GTP. */
            if (sec == 0x00) {
                ssl_dissector_add(port, tcp_handle);
            } else {
                dissector_add_uint("tcp.port", port, tcp_handle);
            }
        }
    } else {
        snprintf(text, sizeof text, "SDP payload type 0x%04x of %u bytes", pt, len);
    }
    proto_tree_add_string(tree, hf_sdp, tvb, V2GTP_HDR, len, text);
    col_add_str(pinfo->cinfo, COL_INFO, text);
}

static int dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "V2GTP");
    col_clear(pinfo->cinfo, COL_INFO);
    proto_item *ti = proto_tree_add_item(tree, proto_v2gtp, tvb, 0, -1, ENC_NA);
    proto_tree *t = proto_item_add_subtree(ti, ett_v2gtp);
    proto_tree_add_item(t, hf_version, tvb, 0, 1, ENC_BIG_ENDIAN);
    proto_tree_add_item(t, hf_inv, tvb, 1, 1, ENC_BIG_ENDIAN);
    proto_tree_add_item(t, hf_type, tvb, 2, 2, ENC_BIG_ENDIAN);
    proto_tree_add_item(t, hf_len, tvb, 4, 4, ENC_BIG_ENDIAN);
    uint16_t pt = tvb_get_ntohs(tvb, 2);
    if (pt >= 0x9000 && pt <= 0x9FFF) {
        dissect_sdp(tvb, pinfo, t, pt);
    } else if (pinfo->ptype == PT_TCP || pinfo->ptype == PT_NONE) {
        conversation_t *conv = find_or_create_conversation(pinfo);
        struct v2g_conv *c = conversation_get_proto_data(conv, proto_v2gtp);
        if (c == NULL) {
            c = wmem_new0(wmem_file_scope(), struct v2g_conv);
            conversation_add_proto_data(conv, proto_v2gtp, c);
        }
        dissect_exi(tvb, pinfo, t, ti, pt, c);
    }
    return tvb_captured_length(tvb);
}

static guint pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data)
{
    (void)pinfo;
    (void)data;
    guint32 l = tvb_get_ntohl(tvb, offset + 4);
    return l > V2GTP_MAX ? V2GTP_HDR : l + V2GTP_HDR;
}

static int dissect_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    tcp_dissect_pdus(tvb, pinfo, tree, TRUE, V2GTP_HDR, pdu_len, dissect_pdu, data);
    return tvb_captured_length(tvb);
}

static bool looks_v2gtp(tvbuff_t *tvb)
{
    if (tvb_captured_length(tvb) < V2GTP_HDR || tvb_get_guint8(tvb, 0) != 0x01 || tvb_get_guint8(tvb, 1) != 0xFE) {
        return false;
    }
    uint16_t pt = tvb_get_ntohs(tvb, 2);
    return ((pt >= 0x8001 && pt <= 0x8006) || pt == 0x9000 || pt == 0x9001) && tvb_get_ntohl(tvb, 4) <= V2GTP_MAX;
}

static gboolean heur_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_v2gtp(tvb)) {
        return FALSE;
    }
    conversation_set_dissector(find_or_create_conversation(pinfo), tcp_handle);
    dissect_tcp(tvb, pinfo, tree, data);
    return TRUE;
}

/* Inside TLS: the TCP conversation stays TLS's, only the decrypted bytes are ours. */
static gboolean heur_tls(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_v2gtp(tvb)) {
        return FALSE;
    }
    dissect_tcp(tvb, pinfo, tree, data);
    return TRUE;
}

static int dissect_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_v2gtp(tvb)) {
        return 0;
    }
    return dissect_pdu(tvb, pinfo, tree, data);
}

static void proto_register_v2gtp(void)
{
    static hf_register_info hf[] = {
        {&hf_version, {"Protocol version", "v2gtp.version", FT_UINT8, BASE_HEX, NULL, 0, NULL, HFILL}},
        {&hf_inv, {"Inverse protocol version", "v2gtp.inverse_version", FT_UINT8, BASE_HEX, NULL, 0, NULL, HFILL}},
        {&hf_type, {"Payload type", "v2gtp.type", FT_UINT16, BASE_HEX, VALS(payload_types), 0, NULL, HFILL}},
        {&hf_len, {"Payload length", "v2gtp.length", FT_UINT32, BASE_DEC, NULL, 0, NULL, HFILL}},
        {&hf_schema, {"Schema", "v2gtp.exi.schema", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_msg, {"Message", "v2gtp.exi.msg", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_values, {"Values", "v2gtp.exi.values", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_xml, {"XML", "v2gtp.exi.xml", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_error, {"Undecodable", "v2gtp.exi.error", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
        {&hf_sdp, {"SDP", "v2gtp.sdp", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL}},
    };
    static gint *ett[] = {&ett_v2gtp, &ett_exi};
    proto_v2gtp = proto_register_protocol("V2G Transfer Protocol (EXI by the project's codecs)", "V2GTP", "v2gtp");
    proto_register_field_array(proto_v2gtp, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
}

static void proto_reg_handoff_v2gtp(void)
{
    tcp_handle = create_dissector_handle(dissect_tcp, proto_v2gtp);
    udp_handle = create_dissector_handle(dissect_udp, proto_v2gtp);
    dissector_add_uint("udp.port", V2GTP_PORT, udp_handle);
    dissector_add_uint("tcp.port", V2GTP_PORT, tcp_handle);
    heur_dissector_add("tcp", heur_tcp, "V2GTP over TCP", "v2gtp_tcp", proto_v2gtp, HEURISTIC_ENABLE);
    heur_dissector_add("tls", heur_tls, "V2GTP over TLS", "v2gtp_tls", proto_v2gtp, HEURISTIC_ENABLE);
}

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_v2gtp;
    plug.register_handoff = proto_reg_handoff_v2gtp;
    proto_register_plugin(&plug);
}
