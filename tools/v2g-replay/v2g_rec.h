/**
 * @file v2g_rec.h
 * @brief The recorded V2GTP messages of one session file (JSONL of the shared vectors or a
 *        pcap/pcapng capture) as v2g_replay.c reads them; shared by the charger-side replay
 *        (v2g_replay.c) and the car-side replay (v2g_ev.c, `--ev`). Host tool, heap allowed.
 */
#ifndef V2G_REC_H
#define V2G_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rec {
    unsigned long frame;
    double t;
    bool ev_to_evse;
    bool apphand; /* schema appHand, else din or iso2 (unless why_not is set) */
    bool iso2;    /* schema iso2 */
    char schema[16]; /* "appHand", "din", "iso2", ... as recorded or negotiated */
    char msg[48];
    const char *why_not; /* set when the charger side cannot replay it: the reason */
    uint8_t *exi;        /* the payload; also kept when why_not is set, if the file has it */
    size_t len;
};

/* The records of one file, grown as they are read. */
struct recs {
    struct rec *v;
    size_t n, room;
};

/**
 * @brief Read a session file ("-": standard input), JSONL or pcap/pcapng by its first byte.
 * @return 0, or -1 after a message on stderr
 */
int v2g_load(const char *path, struct recs *R);

/**
 * @brief Car-side replay (`v2g-replay --ev`): our ISO 15118-2 EVCC against the recorded
 *        charger's responses. Prints one line per request (-q: failures only) and
 *        `replayed=N accepted=N ...` last.
 * @return exit status: 0 every recorded car request matched and every response accepted
 */
int v2g_ev_replay(const struct recs *R, bool quiet);

/**
 * @brief Car-side replay of a DIN 70121 file (v2g_ev_din.c): our DIN EVCC against the
 *        recorded charger's responses; v2g_ev_replay() hands a file without ISO-2 here.
 *        Last line `replayed=N accepted=N mismatched=N unjudged=N after_stop=N not_din=N`.
 * @return 0 every judged request matched and every response was accepted
 */
int v2g_ev_replay_din(const struct recs *R, bool quiet);

/**
 * @brief Car-side replay of an ISO 15118-20 DC file (v2g_ev_iso20.c): our -20 EVCC against
 *        the recorded charger's responses; v2g_ev_replay() hands a file with -20 messages
 *        here. Last line `replayed=N accepted=N mismatched=N not_iso20=N`.
 * @return 0 every recorded car request matched and every response was accepted
 */
int v2g_ev_replay_iso20(const struct recs *R, bool quiet);

struct apphand_offer;
/** Room for one recorded protocol namespace (the schema allows 100 characters; longer ones are cut). */
#define REC_NS_LEN 80

/** @brief The next car request after record @p i within the same connection, or NULL. */
const struct rec *rec_next_request(const struct recs *R, size_t i);

/**
 * @brief The protocols the recorded car offered in its supportedAppProtocolReq @p q, at most
 *        @p max; each offer's namespace points into @p names (REC_NS_LEN each).
 * @return the number of offers (0 when @p q is no handshake request)
 */
uint8_t rec_offers(const struct rec *q, struct apphand_offer *offers, char (*names)[REC_NS_LEN], uint8_t max);

#endif /* V2G_REC_H */
