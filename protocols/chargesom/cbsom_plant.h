/**
 * @file cbsom_plant.h
 * @brief The plant around a Charge SOM safety controller (cbsom_device) and its event
 *        record, shared by the two simulated controllers of the tests: tools/cbsomsim (on a
 *        pseudo-terminal) and the Cortex-M co-processor image (board/mps2-an386/coproc.c,
 *        under QEMU). Both take the same command verbs and print the same event lines, so
 *        one test vocabulary drives either and one judge reads either.
 *
 * Commands (one text line each; words separated by blanks, a trailing CR ignored):
 *   car A|B|C|D       the car's pilot state (A = unplugged)
 *   diode 0|1         the car's diode present (1) or missing (0)
 *   estop N 0|1       e-stop input N (1..3) released / tripped
 *   reboot            the controller restarts: silent for boot_ms, then in init
 *   reset             the host's reset line: leave the safe state, back to init
 *   timeout MS        the host-silence timeout (50..10000 ms; the protocol's is 300)
 *   garbage N         send N (1..4096) bytes of noise on the line (the caller sends them)
 *   status            one line with the controller's phase, CP, contactors and counters
 *   quit              the caller ends
 *
 * Event lines (without the caller's prefix): "running (first ChargeControl1)",
 * "init (after reboot)", "pilot on duty N", "contactor N closed|open (cp X)" or
 * "(restart)", "safe state, reason R, host silent for N ms".
 *
 * Text only, no I/O, no heap, no clock of its own.
 */
#ifndef CBSOM_PLANT_H
#define CBSOM_PLANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbsom_device.h"

/** Longest event or reply line, without the caller's prefix, with the NUL. */
#define CBSOM_PLANT_LINE_MAX 128u

/** What a command asks the caller to do beyond what it did to the device. */
enum cbsom_plant_result {
    CBSOM_PLANT_EMPTY = 0, /**< blank line: nothing */
    CBSOM_PLANT_DONE,      /**< applied (reply may hold an echo line) */
    CBSOM_PLANT_GARBAGE,   /**< send `garbage` bytes of noise on the host line */
    CBSOM_PLANT_QUIT,      /**< end the program */
    CBSOM_PLANT_BAD,       /**< refused: reply holds "unknown command: ..." or the reason */
};

/** The outcome of one command. */
struct cbsom_plant_cmd {
    enum cbsom_plant_result result;
    char reply[CBSOM_PLANT_LINE_MAX]; /**< a line to print, or "" */
    const char *why;  /**< cause of contactor changes to report with it (NULL: the CP) */
    uint32_t garbage; /**< CBSOM_PLANT_GARBAGE: how many bytes */
};

/**
 * @brief Parse @p line and apply it to @p d at @p now_ms.
 * @return the result, also in @p out
 */
enum cbsom_plant_result cbsom_plant_command(struct cbsom_device *d, const char *line, uint32_t now_ms,
                                            struct cbsom_plant_cmd *out);

/** @brief One line describing @p d now (the `status` reply), into @p buf. */
void cbsom_plant_status(const struct cbsom_device *d, char *buf, size_t size);

/** Called once per event line (no newline, no prefix). */
typedef void (*cbsom_plant_emit_fn)(void *ctx, const char *line);

/** What was last reported, to report changes only. */
struct cbsom_watch {
    enum cbsom_device_phase phase;
    struct cbsom_control cc;
    bool closed[CBSOM_CONTACTORS];
};

/** @brief Start watching @p d as it is now (nothing reported for the present state). */
void cbsom_watch_init(struct cbsom_watch *w, const struct cbsom_device *d);

/**
 * @brief Report what changed in @p d since the last call, one @p emit per line, in the
 *        order: phase, pilot, contactors, safe-state entry.
 * @param why cause to name on contactor changes (e.g. "restart"); NULL names the CP state
 * @return the number of lines emitted
 */
unsigned cbsom_watch_poll(struct cbsom_watch *w, const struct cbsom_device *d, const char *why,
                          cbsom_plant_emit_fn emit, void *ctx);

#endif /* CBSOM_PLANT_H */
