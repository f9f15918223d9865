/**
 * @file sched.h
 * @brief Cooperative scheduler of the superloop: tasks with deadlines, run to completion.
 *
 * A task is a module's step function plus its next deadline. A step does a bounded
 * amount of work and sets its own next deadline with sched_task_at(); it may also ask
 * to run whenever I/O arrived (a received CAN frame, a socket). No task ever waits.
 * The scheduler holds pointers only: the tasks live inside their modules' structs.
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "fw_config.h"
#include "hal_err.h"

struct sched_task;

/** A task's step: do bounded work for `now_ms`, then set the next deadline. */
typedef void (*sched_step_fn)(struct sched_task *task, uint32_t now_ms);

/** One task. Embed it in the module's struct; fill it with sched_task_init(). */
struct sched_task {
    const char *name;    /**< for logs and the debugger */
    sched_step_fn step;  /**< the state machine's step */
    void *ctx;           /**< the module instance */
    uint32_t due_ms;     /**< next deadline (valid when armed) */
    bool armed;          /**< a deadline is set */
    bool on_io;          /**< also run after any I/O wake-up */
    uint32_t runs;       /**< statistics: how often the step ran */
    uint32_t late_max_ms; /**< statistics: worst lateness against the deadline */
};

/** The scheduler of one superloop. */
struct sched {
    struct sched_task *tasks[CFG_SCHED_MAX_TASKS];
    uint8_t count;
    uint32_t passes; /**< loop passes so far */
};

/** @brief Empty scheduler. */
void sched_init(struct sched *s);

/**
 * @brief Prepare a task (not yet added, not armed).
 * @param on_io true if the task must also run when the loop wakes for I/O
 */
void sched_task_init(struct sched_task *t, const char *name, sched_step_fn step, void *ctx,
                     bool on_io);

/**
 * @brief Add a task and arm it to run at @p now_ms.
 * @retval HAL_OK added
 * @retval HAL_ENOMEM CFG_SCHED_MAX_TASKS tasks are already there
 * @retval HAL_EINVAL the task has no step function or is already added
 */
int sched_add(struct sched *s, struct sched_task *t, uint32_t now_ms);

/** @brief Remove a task (used when a charger instance shuts down). Unknown tasks are ignored. */
void sched_remove(struct sched *s, struct sched_task *t);

/** @brief Set the task's next deadline. */
void sched_task_at(struct sched_task *t, uint32_t due_ms);

/** @brief Take the deadline away; the task then runs only on I/O (if on_io) or after sched_task_at(). */
void sched_task_disarm(struct sched_task *t);

/**
 * @brief One pass: run each task whose deadline has come, once, in order of addition;
 *        with @p io_ready also every on_io task.
 *
 * A step that re-arms itself for a time already past runs again on the next pass,
 * not in this one, so one pass has bounded work whatever the tasks do.
 * @return milliseconds until the earliest armed deadline, capped at CFG_SCHED_MAX_IDLE_MS
 *         (0 when something is already due)
 */
uint32_t sched_run(struct sched *s, uint32_t now_ms, bool io_ready);

#endif /* SCHED_H */
