/* Unit tests of the simulator's capture (board/sim/sim_capture.c) on a real in-memory link
 * (sim/sim_net.c): the pcapng it writes is read back block by block and each layer checked -
 * the raw HomePlug frame as sent, SDP as IPv6/UDP to the all-nodes group, the TCP handshake
 * (SYN, SYN-ACK, ACK with consistent sequence numbers), stream bytes, FIN/ACK on each close,
 * a refused connect (SYN, RST), a reset (RST), valid checksums, and times = epoch + clock. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim_capture.h"
#include "sim_net.h"

#define EPOCH 1767225600ul

struct pkt {
    uint64_t t_us;
    uint32_t flags;
    uint8_t data[1600];
    size_t len;
};

static struct pkt s_pkts[64];
static int s_npkts;
static char s_dir[64];
static uint32_t s_now;

static uint16_t be16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}
static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)be16(b) << 16 | be16(b + 2);
}

/* Reads DIR/cp0.pcapng: one section, one Ethernet interface, then packets. */
static void read_back(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/cp0.pcapng", s_dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t b[65536];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    uint32_t w[3];
    memcpy(w, b, sizeof w);
    assert_int_equal(w[0], 0x0A0D0D0Au);
    assert_int_equal(w[2], 0x1A2B3C4Du);
    /* the header comment states the epoch */
    assert_non_null(memmem(b, w[1], "epoch 1767225600", 16));
    size_t at = w[1];
    memcpy(w, b + at, 8);
    assert_int_equal(w[0], 1u); /* interface description */
    assert_int_equal(be16((const uint8_t[]){b[at + 9], b[at + 8]}), 1u); /* LINKTYPE_ETHERNET */
    at += w[1];
    s_npkts = 0;
    while (at + 12 <= n) {
        uint32_t h[7];
        memcpy(h, b + at, sizeof h);
        assert_int_equal(h[0], 6u);
        assert_true(h[1] >= 32u && at + h[1] <= n);
        struct pkt *p = &s_pkts[s_npkts++];
        p->t_us = (uint64_t)h[3] << 32 | h[4];
        p->len = h[5];
        assert_int_equal(h[5], h[6]);
        memcpy(p->data, b + at + 28, p->len);
        memcpy(&p->flags, b + at + 28 + (p->len + 3) / 4 * 4 + 4, 4);
        uint32_t trail;
        memcpy(&trail, b + at + h[1] - 4, 4);
        assert_int_equal(trail, h[1]);
        at += h[1];
    }
    assert_int_equal(at, n);
}

/* The upper-layer checksum over the IPv6 pseudo-header sums to 0xFFFF when valid. */
static void assert_l4_checksum(const struct pkt *p)
{
    const uint8_t *ip = p->data + 14;
    size_t l = be16(ip + 4);
    uint32_t sum = 0;
    for (int i = 0; i < 32; i += 2) {
        sum += be16(ip + 8 + i);
    }
    sum += (uint32_t)l + ip[6];
    for (size_t i = 0; i + 1 < l; i += 2) {
        sum += be16(ip + 40 + i);
    }
    if (l & 1u) {
        sum += (uint32_t)ip[40 + l - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    assert_int_equal(sum, 0xFFFFu);
}

static uint8_t tcp_flags(const struct pkt *p)
{
    assert_int_equal(be16(p->data + 12), 0x86DD);
    assert_int_equal(p->data[14 + 6], 6);
    assert_l4_checksum(p);
    return p->data[14 + 40 + 13];
}
static uint32_t tcp_seq(const struct pkt *p)
{
    return be32(p->data + 14 + 40 + 4);
}
static uint32_t tcp_ack(const struct pkt *p)
{
    return be32(p->data + 14 + 40 + 8);
}

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/test_sim_capture.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/cp0.pcapng", s_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/cp0.csv", s_dir);
    unlink(path);
    rmdir(s_dir);
    return 0;
}

static void test_every_layer_of_a_session(void **state)
{
    (void)state;
    static struct sim_net link;
    static struct sim_capture cap;
    sim_net_init(&link, 0);
    s_now = 1000;
    assert_int_equal(sim_capture_open(&cap, s_dir, "cp0", &link, &s_now, EPOCH), 0);
    struct hal_net *evse = &link.end[0].net, *car = &link.end[1].net;

    /* SLAC: a raw frame from the car */
    uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x88, 0xE1, 0x01, 0x64, 0x60};
    assert_int_equal(hal_eth_send(&link.end[1].eth, frame, sizeof frame), HAL_OK);
    /* SDP: the car's request to ff02::1 port 15118 */
    int u = hal_net_udp_open(evse, 15118, true);
    int cu = hal_net_udp_open(car, 0, false);
    assert_true(u >= 0 && cu >= 0);
    struct hal_ip6_endpoint all = {.addr = {0xff, 0x02, [15] = 1}, .port = 15118, .scope = 1};
    const uint8_t sdp[10] = {0x01, 0xfe, 0x90, 0x00, 0, 0, 0, 2, 0x10, 0x00};
    s_now = 1200;
    assert_int_equal(hal_net_udp_sendto(car, cu, &all, sdp, sizeof sdp), HAL_OK);
    /* TCP: listen, connect, a request and an answer, both close */
    int l = hal_net_tcp_listen(evse, 15118);
    struct hal_ip6_endpoint to = {.port = 15118, .scope = 1};
    memcpy(to.addr, link.end[0].ip, 16);
    s_now = 1300;
    int c = hal_net_tcp_connect(car, &to);
    int a = hal_net_tcp_accept(evse, l, NULL);
    assert_true(l >= 0 && c >= 0 && a >= 0);
    size_t sent = 0;
    const uint8_t req[12] = {0x01, 0xfe, 0x80, 0x01, 0, 0, 0, 4, 1, 2, 3, 4};
    assert_int_equal(hal_net_tcp_send(car, c, req, sizeof req, &sent), HAL_OK);
    assert_int_equal(hal_net_tcp_send(evse, a, req, 9, &sent), HAL_OK);
    s_now = 5000;
    hal_net_close(evse, a);
    hal_net_close(car, c);
    /* a connect nobody listens on */
    to.port = 15119;
    int r = hal_net_tcp_connect(car, &to);
    assert_true(r >= 0);
    sim_capture_close(&cap);
    read_back();

    assert_int_equal(s_npkts, 1 + 1 + 3 + 2 + 4 + 2);
    /* the SLAC frame as sent, inbound to the charger, at epoch + 1.000 s */
    assert_int_equal(s_pkts[0].len, sizeof frame);
    assert_memory_equal(s_pkts[0].data, frame, sizeof frame);
    assert_true(s_pkts[0].t_us == (uint64_t)EPOCH * 1000000u + 1000000u);
    assert_int_equal(s_pkts[0].flags, 1u);
    /* SDP: UDP to the all-nodes MAC 33:33:00:00:00:01, hop limit 255 */
    const struct pkt *p = &s_pkts[1];
    assert_memory_equal(p->data, ((const uint8_t[]){0x33, 0x33, 0, 0, 0, 1}), 6);
    assert_int_equal(p->data[14 + 6], 17);
    assert_int_equal(p->data[14 + 7], 255);
    assert_int_equal(be16(p->data + 14 + 40 + 2), 15118);
    assert_memory_equal(p->data + 14 + 48, sdp, sizeof sdp);
    assert_l4_checksum(p);
    /* the handshake: SYN, SYN-ACK (ack = isn + 1), ACK, successive microseconds */
    assert_int_equal(tcp_flags(&s_pkts[2]), 0x02);
    assert_int_equal(tcp_flags(&s_pkts[3]), 0x12);
    assert_int_equal(tcp_flags(&s_pkts[4]), 0x10);
    uint32_t isn_car = tcp_seq(&s_pkts[2]), isn_evse = tcp_seq(&s_pkts[3]);
    assert_int_equal(tcp_ack(&s_pkts[3]), isn_car + 1u);
    assert_int_equal(tcp_ack(&s_pkts[4]), isn_evse + 1u);
    assert_true(s_pkts[3].t_us == s_pkts[2].t_us + 1u && s_pkts[4].t_us == s_pkts[3].t_us + 1u);
    assert_int_equal(be16(s_pkts[2].data + 14 + 40 + 2), 15118);
    /* data both ways, sequence numbers continuing */
    assert_int_equal(tcp_flags(&s_pkts[5]), 0x18);
    assert_int_equal(tcp_seq(&s_pkts[5]), isn_car + 1u);
    assert_int_equal(s_pkts[5].len, 14u + 40u + 20u + sizeof req);
    assert_int_equal(tcp_flags(&s_pkts[6]), 0x18);
    assert_int_equal(tcp_seq(&s_pkts[6]), isn_evse + 1u);
    assert_int_equal(tcp_ack(&s_pkts[6]), isn_car + 1u + sizeof req);
    assert_int_equal(s_pkts[6].flags, 2u); /* outbound: the charger sent it */
    /* the charger closes first: FIN/ACK, ACK; then the car: FIN/ACK, ACK */
    assert_int_equal(tcp_flags(&s_pkts[7]), 0x11);
    assert_int_equal(tcp_seq(&s_pkts[7]), isn_evse + 1u + 9u);
    assert_int_equal(tcp_flags(&s_pkts[8]), 0x10);
    assert_int_equal(tcp_ack(&s_pkts[8]), isn_evse + 1u + 9u + 1u);
    assert_int_equal(tcp_flags(&s_pkts[9]), 0x11);
    assert_int_equal(tcp_flags(&s_pkts[10]), 0x10);
    assert_int_equal(tcp_ack(&s_pkts[10]), isn_car + 1u + sizeof req + 1u);
    /* refused: SYN, RST/ACK */
    assert_int_equal(tcp_flags(&s_pkts[11]), 0x02);
    assert_int_equal(tcp_flags(&s_pkts[12]), 0x14);
    assert_int_equal(tcp_ack(&s_pkts[12]), tcp_seq(&s_pkts[11]) + 1u);
}

static void test_reset_is_one_rst_and_later_closes_add_nothing(void **state)
{
    (void)state;
    static struct sim_net link;
    static struct sim_capture cap;
    sim_net_init(&link, 1);
    s_now = 0;
    assert_int_equal(sim_capture_open(&cap, s_dir, "cp0", &link, &s_now, EPOCH), 0);
    struct hal_net *evse = &link.end[0].net, *car = &link.end[1].net;
    int l = hal_net_tcp_listen(evse, 15118);
    struct hal_ip6_endpoint to = {.port = 15118, .scope = 1};
    memcpy(to.addr, link.end[0].ip, 16);
    int c = hal_net_tcp_connect(car, &to);
    int a = hal_net_tcp_accept(evse, l, NULL);
    sim_net_reset(&link);
    hal_net_close(evse, a);
    hal_net_close(car, c);
    /* a stream longer than one segment is cut into segments, none dropped */
    int c2 = hal_net_tcp_connect(car, &to);
    static uint8_t big[3000];
    size_t sent = 0;
    assert_int_equal(hal_net_tcp_send(car, c2, big, sizeof big, &sent), HAL_OK);
    assert_int_equal(sent, sizeof big);
    sim_capture_close(&cap);
    read_back();
    assert_int_equal(s_npkts, 3 + 1 + 3 + 3);
    assert_int_equal(tcp_flags(&s_pkts[3]), 0x14);
    assert_int_equal(s_pkts[3].flags, 2u); /* the charger's side resets */
    size_t total = 0;
    for (int i = 7; i < 10; i++) {
        total += s_pkts[i].len - 74u;
    }
    assert_int_equal(total, sizeof big);
    assert_int_equal(tcp_seq(&s_pkts[9]), tcp_seq(&s_pkts[4]) + 1u + 2800u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_layer_of_a_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_is_one_rst_and_later_closes_add_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
