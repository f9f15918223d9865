/* sim_report.c - owns the simulator's session report pages (sim --report-dir without
 * --scenario): the log copy DIR/sim.log, and after the run one page per connector, made by
 * tools/v2g-report (the one report maker of the project, also for captures and real
 * sessions: one plot and one page format, not a second one in C) from DIR/cpN.csv and the
 * log. The tool is found through $V2G_REPORT, else in the tree this program was built in. */
#include "sim_report.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_options.h"

FILE *sim_report_open_log(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sim.log", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "sim: --report-dir: cannot write %s: %s\n", path, strerror(errno));
    }
    return f;
}

/* $V2G_REPORT, else tools/v2g-report/v2g-report in this executable's folder or one of its
 * four parents (build/bin/sim, build/san/bin/sim sit two and three below the tree). */
static int sim_report_tool(char *out, size_t cap)
{
    const char *env = getenv("V2G_REPORT");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, cap, "%s", env);
        return access(out, X_OK) == 0 ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1u);
    if (n <= 0) {
        return -1;
    }
    exe[n] = '\0';
    char *dir = dirname(exe);
    for (int up = 0; up < 5; up++) {
        int w = snprintf(out, cap, "%s/tools/v2g-report/v2g-report", dir);
        if (w > 0 && (size_t)w < cap && access(out, X_OK) == 0) {
            return 0;
        }
        dir = dirname(dir);
    }
    return -1;
}

int sim_report_pages(const struct sim_options *o, int connectors, FILE *log)
{
    char tool[PATH_MAX];
    if (log != NULL && fclose(log) != 0) {
        fprintf(stderr, "sim: --report-dir: %s/sim.log could not be written completely\n", o->report_dir);
        return -1;
    }
    if (sim_report_tool(tool, sizeof tool) != 0) {
        fprintf(stderr, "sim: --report-dir: no report page: tools/v2g-report not found beside this program "
                        "(set V2G_REPORT to its path)\n");
        return -1;
    }
    fflush(stdout);
    for (int k = 0; k < connectors; k++) {
        char base[600], csv[600], logp[600], cap[600], title[64], epoch[24], conn[16];
        snprintf(conn, sizeof conn, "cp%d", k);
        snprintf(base, sizeof base, "%s/%s", o->report_dir, conn);
        snprintf(csv, sizeof csv, "%s/%s.csv", o->out_dir, conn);
        snprintf(logp, sizeof logp, "%s/sim.log", o->report_dir);
        /* the connector's capture: the page's message table is the decoded wire, not the log */
        snprintf(cap, sizeof cap, "%s/%s.pcapng", o->out_dir, conn);
        snprintf(title, sizeof title, "sim %s: %s car", conn, o->profile);
        snprintf(epoch, sizeof epoch, "%lu", o->epoch_s);
        char *argv[] = {tool, "-o", base, "--title", title, "--epoch", epoch, "--connector", conn, csv, logp,
                        access(cap, R_OK) == 0 ? cap : NULL, NULL};
        int st = 0;
        /* fork + exec (not posix_spawn: its header needs the C library's <sched.h>, which
         * the firmware's sched.h shadows on this board's include path) */
        pid_t pid = fork();
        if (pid == 0) {
            execv(tool, argv);
            _exit(127);
        }
        if (pid < 0) {
            fprintf(stderr, "sim: --report-dir: cannot run %s: %s\n", tool, strerror(errno));
            return -1;
        }
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "sim: --report-dir: %s failed for %s (status %d)\n", tool, conn,
                    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            return -1;
        }
    }
    return 0;
}
