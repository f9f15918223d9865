/* board_spawn.c - configured commands without a shell: see board_spawn.h. */
#include "board_spawn.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hal_err.h"

int board_spawn(const char *cmdline, const char *const *extra, pid_t *pid)
{
    char cmd[512];
    char *argv[16];
    unsigned n = 0;
    snprintf(cmd, sizeof cmd, "%s", cmdline);
    for (char *save = NULL, *p = strtok_r(cmd, " \t", &save); p != NULL && n < BOARD_SPAWN_WORDS;
         p = strtok_r(NULL, " \t", &save)) {
        argv[n++] = p;
    }
    if (n == 0) {
        return HAL_EINVAL;
    }
    for (unsigned k = 0; extra != NULL && extra[k] != NULL && n < 15u; k++) {
        argv[n++] = (char *)extra[k];
    }
    argv[n] = NULL;
    pid_t child = fork();
    if (child < 0) {
        return HAL_EIO;
    }
    if (child == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    *pid = child;
    return HAL_OK;
}

int board_spawn_reap(pid_t pid)
{
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == 0) {
        return BOARD_SPAWN_RUNNING;
    }
    if (r < 0) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
