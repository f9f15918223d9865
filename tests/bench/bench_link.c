/* Benchmark of the link's hot paths on the host: HomePlug MME decode and encode
 * (CM_SLAC_PARM.REQ, CM_ATTEN_CHAR.IND), one V2GTP frame through the stream receiver,
 * an SDP request parse + answer, and a whole in-memory SLAC + SDP + V2GTP session of the
 * EVSE and EV links through the fakes (CPU per session). Prints figures; asserts nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ev_link.h"
#include "evse_link.h"
#include "fake_eth.h"
#include "fake_net.h"
#include "fake_rng.h"
#include "homeplug/homeplug.h"
#include "sdp/sdp.h"
#include "v2gtp/v2gtp.h"

static double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile uint32_t s_sink;

static void bench_mme(const char *name, const struct homeplug_msg *m, int n)
{
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t len = 0;
    struct homeplug_msg d;
    enum homeplug_reason why;
    if (homeplug_encode(m, f, sizeof f, &len) != HAL_OK) {
        printf("bench-link: %s does not encode\n", name);
        return;
    }
    double t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        s_sink += (uint32_t)homeplug_decode(f, len, &d, &why);
    }
    double t1 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        s_sink += (uint32_t)homeplug_encode(m, f, sizeof f, &len);
    }
    double t2 = bench_now_ns();
    printf("%-28s decode %7.1f ns, encode %7.1f ns (%zu-byte frame)\n", name, (t1 - t0) / n,
           (t2 - t1) / n, len);
}

static void bench_v2gtp(uint32_t payload, int n)
{
    static const uint16_t types[] = {V2GTP_PT_EXI};
    static struct v2gtp_rx rx;
    static uint8_t frame[8 + 4096];
    v2gtp_header_write(frame, V2GTP_PT_EXI, payload);
    memset(&frame[8], 0x5a, payload);
    v2gtp_rx_init(&rx, types, 1, CFG_V2GTP_PAYLOAD_MAX);
    double t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        size_t used;
        v2gtp_header_write(frame, V2GTP_PT_EXI, payload);
        s_sink += (uint32_t)v2gtp_rx_feed(&rx, frame, 8 + payload, &used);
        v2gtp_rx_next(&rx);
    }
    double t1 = bench_now_ns();
    printf("V2GTP frame, %4u-byte payload   write header + frame %7.1f ns\n", (unsigned)payload,
           (t1 - t0) / n);
}

static void bench_sdp(int n)
{
    struct sdp_request rq = {.security = SDP_SEC_NONE, .transport = SDP_TRANSPORT_TCP};
    struct sdp_server_offer o = {.tcp_port = 61851, .tls_port = 61852};
    uint8_t b[SDP_REQ_LEN], out[SDP_RES_LEN];
    sdp_request_write(&rq, b);
    double t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        struct sdp_request r;
        struct sdp_response res;
        if (sdp_request_parse(b, sizeof b, &r) == HAL_OK && sdp_server_answer(&o, &r, &res) == HAL_OK) {
            sdp_response_write(&res, out);
            s_sink += out[25];
        }
    }
    double t1 = bench_now_ns();
    printf("SDP request parse + answer + write     %7.1f ns\n", (t1 - t0) / n);
}

/* One whole session in memory, virtual time 1 ms per pass: CPU per session. */
static struct {
    struct fake_eth_segment seg;
    struct fake_eth e1, e2;
    struct fake_net_world w;
    struct fake_net n1, n2;
    struct fake_rng r1, r2;
    struct sched s1, s2;
    struct evse_link evse;
    struct ev_link ev;
} s_b;

static int bench_session(uint32_t *virt_ms)
{
    static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2};
    struct evse_link_config ec;
    struct ev_link_config vc;
    memset(&s_b, 0, sizeof s_b);
    fake_eth_segment_init(&s_b.seg);
    fake_eth_init(&s_b.e1, &s_b.seg, m1);
    fake_eth_init(&s_b.e2, &s_b.seg, m2);
    fake_net_world_init(&s_b.w);
    fake_net_init(&s_b.n1, &s_b.w, 1);
    fake_net_init(&s_b.n2, &s_b.w, 2);
    fake_rng_init(&s_b.r1, 1);
    fake_rng_init(&s_b.r2, 2);
    sched_init(&s_b.s1);
    sched_init(&s_b.s2);
    evse_link_default_config(&ec);
    ec.slac.use_modem = false;
    ev_link_default_config(&vc);
    vc.slac.use_modem = false;
    uint32_t now = 0;
    if (evse_link_init(&s_b.evse, &ec,
                       &(struct evse_link_ports){.eth = &s_b.e1.base, .net = &s_b.n1.base, .rng = &s_b.r1.base},
                       &s_b.s1, now) != HAL_OK ||
        ev_link_init(&s_b.ev, &vc,
                     &(struct ev_link_ports){.eth = &s_b.e2.base, .net = &s_b.n2.base, .rng = &s_b.r2.base},
                     &s_b.s2, now) != HAL_OK) {
        return HAL_EIO;
    }
    bool sent = false;
    for (; now < 20000; now++) {
        evse_link_step(&s_b.evse, now);
        ev_link_step(&s_b.ev, now);
        if (!sent && s_b.ev.state == EV_LINK_CONNECTING) {
            sent = ev_link_send(&s_b.ev, V2GTP_PT_EXI, (const uint8_t *)"req", 3, false) == HAL_OK;
        }
        if (s_b.evse.msg_ready) {
            *virt_ms = now;
            return HAL_OK;
        }
    }
    return HAL_ETIMEDOUT;
}

int main(void)
{
    enum { N = 1000000 };
    struct homeplug_msg parm;
    memset(&parm, 0, sizeof parm);
    memset(parm.dst, 0xff, 6);
    parm.src[0] = 2;
    parm.mmtype = HOMEPLUG_CM_SLAC_PARM_REQ;
    memcpy(parm.u.parm_req.run_id, "TESLA EV", 8);
    struct homeplug_msg atten;
    memset(&atten, 0, sizeof atten);
    atten.dst[0] = 2;
    atten.src[0] = 4;
    atten.mmtype = HOMEPLUG_CM_ATTEN_CHAR_IND;
    atten.u.atten_ind.num_sounds = 10;
    atten.u.atten_ind.num_groups = HOMEPLUG_GROUPS;
    memset(atten.u.atten_ind.aag, 20, HOMEPLUG_GROUPS);
    printf("bench-link (host, -O2, %d iterations each)\n", N);
    bench_mme("CM_SLAC_PARM.REQ", &parm, N);
    bench_mme("CM_ATTEN_CHAR.IND", &atten, N);
    bench_v2gtp(64, N);
    bench_v2gtp(1500, N / 4);
    bench_sdp(N);
    enum { S = 50 };
    uint32_t virt = 0;
    double t0 = bench_now_ns();
    for (int i = 0; i < S; i++) {
        if (bench_session(&virt) != HAL_OK) {
            printf("bench-link: in-memory session did not complete\n");
            return 1;
        }
    }
    double t1 = bench_now_ns();
    printf("in-memory session (SLAC+SDP+V2GTP, %u ms virtual, 1 ms passes): %.2f ms CPU each\n",
           (unsigned)virt, (t1 - t0) / S / 1e6);
    return 0;
}
