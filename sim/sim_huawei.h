/**
 * @file sim_huawei.h
 * @brief Model of a Huawei FusionCharge V100R023C10 power unit (the unit's side of
 *        ../shared/spec/huawei-fusioncharge.md): up to 4 dispenser links on which it plays
 *        the Modbus client (capabilities, its MAC, running mode, a session key per plug-in,
 *        alarms), the GOOSE subscriber/publisher (verifies the dispensers' requests, answers
 *        placeholder requests), and what it grants each connector (the output the plant
 *        models). Switches inject what a faulty or hostile unit does.
 *
 * One model, two front ends: tools/huaweisim (real TCP/TLS sockets and a pcap port) and the
 * simulator board (sim_huawei_link.c: in-memory ports behind the real driver). The front
 * end owns the transports: the model hands it bytes and frames through `ops`, and is told
 * what arrived. Time is passed in; nothing here reads a clock.
 */
#ifndef SIM_HUAWEI_H
#define SIM_HUAWEI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "huawei/huawei_goose.h"
#include "huawei/huawei_regs.h"

#define SIM_HUAWEI_DISP 4      /**< dispenser links */
#define SIM_HUAWEI_GLOBAL 12   /**< connectors of the whole system, numbered 1..12 */
#define SIM_HUAWEI_CYCLE_MS 1000u

/** What a faulty or hostile unit does (huaweisim's switches). May change at run time. */
struct sim_huawei_opts {
    bool no_hmac;       /**< neither sign replies nor verify requests */
    bool wrong_key;     /**< sign replies with another key than the one written */
    bool replay;        /**< send every reply twice (same stNum/sqNum) */
    bool refuse;        /**< answer placeholder requests with failure */
    bool no_key;        /**< never write a session key */
    bool wrong_vlan;    /**< tag replies with VLAN 7 */
    bool wrong_length;  /**< Length field 4 bytes too long */
    unsigned alloc_delay_ms;
    unsigned drop_after_s; /**< close every link this long after it came up (once); 0: never */
    bool alarm;
    unsigned alarm_reg, alarm_val; /**< written every cycle while `alarm` */
    float max_v, min_v, max_a, min_a, kw;
};

/** The front end's transports. */
struct sim_huawei_ops {
    /** Bytes to dispenser @p d (one Modbus ADU). */
    void (*tcp_send)(void *ctx, int d, const uint8_t *b, size_t len);
    /** A GOOSE frame onto the segment. */
    void (*eth_send)(void *ctx, const uint8_t *f, size_t len);
    /** The model closes the link of dispenser @p d (the front end closes its socket). */
    void (*close)(void *ctx, int d);
    /** One event line (huaweisim prints it; the simulator logs it). */
    void (*event)(void *ctx, const char *line);
};

/** One connector of the whole system, by its global number. */
struct sim_huawei_conn {
    int disp; /**< -1: unknown */
    unsigned local;
    uint16_t ws;
    bool keyed;
    uint8_t key[48];
    bool allocated;    /**< replied for this key */
    bool refused;      /**< ... with failure */
    uint32_t reply_at; /**< a placeholder reply due (0: none) */
    uint8_t mac[6];    /**< the dispenser's, from its request */
    uint32_t st, sq;   /**< our reply stream */
    uint32_t last_st;  /**< last request stNum printed */
    bool seen;
    /* the last verified request: what the unit delivers until its TTL runs out */
    bool req_valid;
    enum huawei_goose_kind req_kind;
    uint16_t req_type;
    float req_v, req_a;
    uint32_t req_at_ms, req_ttl_ms;
    /* first instants (0: not yet), for the simulator's figure */
    uint32_t alloc_seen_ms;  /**< the first placeholder request */
    uint32_t power_seen_ms;  /**< the first request for power (insulation test, pre-charge, charging) */
};

/** One dispenser link. */
struct sim_huawei_disp {
    bool up;
    uint8_t rx[8192];
    size_t rx_len;
    uint16_t tid;
    uint32_t connected_at;
    uint32_t next_write;
    uint16_t global_tid[HUAWEI_CONN_MAX]; /**< outstanding reads of 0x110E */
};

struct sim_huawei {
    struct sim_huawei_opts o;
    struct sim_huawei_ops ops;
    void *ctx;
    uint8_t mac[6];           /**< the unit's GOOSE MAC */
    int64_t unix_offset_ms;   /**< Unix time = this + now_ms (GOOSE T field, whole seconds) */
    struct sim_huawei_conn g[SIM_HUAWEI_GLOBAL + 1];
    struct sim_huawei_disp d[SIM_HUAWEI_DISP];
    uint32_t key_counter;
    bool dropped_once;
    uint32_t now_ms;
    uint32_t refused_frames;  /**< requests refused (bad frame, bad HMAC, no key yet) */
};

/** @brief Default options (1000:100:200:1:60, nothing injected). */
void sim_huawei_default_opts(struct sim_huawei_opts *o);
/** @brief No link yet. */
void sim_huawei_init(struct sim_huawei *m, const struct sim_huawei_opts *o, const struct sim_huawei_ops *ops,
                     void *ctx, const uint8_t mac[6]);

/** @brief A free link slot, or -1 when all 4 are taken. */
int sim_huawei_free_slot(const struct sim_huawei *m);
/** @brief Dispenser @p d connected (and, with TLS, handshaken): asks which connectors it has. */
void sim_huawei_connected(struct sim_huawei *m, int d, uint32_t now_ms);
/**
 * @brief Bytes from dispenser @p d.
 * @retval 0 taken @retval -1 a broken Modbus stream: the link was dropped
 */
int sim_huawei_tcp_input(struct sim_huawei *m, int d, const uint8_t *b, size_t len, uint32_t now_ms);
/** @brief The link of @p d is gone (@p why printed): its connectors are forgotten. */
void sim_huawei_drop(struct sim_huawei *m, int d, const char *why);
/** @brief A frame seen on the GOOSE segment. */
void sim_huawei_goose_input(struct sim_huawei *m, const uint8_t *f, size_t len, uint32_t now_ms);
/** @brief Timers: every link's cycle, replies due, --drop-link-after-s. Call often (each ms or pass). */
void sim_huawei_tick(struct sim_huawei *m, uint32_t now_ms);

/**
 * @brief What the unit delivers on global connector @p g now: true with the requested
 *        voltage and current while its last verified request (within its TTL) asks for
 *        power, the allocation was not refused and no stopping alarm (EPO 0x4004,
 *        insulation 0x4011) is raised.
 */
bool sim_huawei_output(const struct sim_huawei *m, unsigned g, uint32_t now_ms, uint32_t *mv, uint32_t *ma);

#endif /* SIM_HUAWEI_H */
