# wait_lib.sh - waiting helpers for the integration scripts, sourced (not run).
#
# They use shell builtins only. Inside the tools/vcan-run VM (TCG, no KVM) every
# fork + exec costs 50-100 ms, more on a loaded machine, so a "grep; sleep 0.1" look cost
# ten times its nominal time and a bounded 8 s wait of the kill test took over a minute.
# Here a look reads only the new part of the file and sleeps in `read -t` on a FIFO that
# never has data; the clock is $EPOCHREALTIME. Bounds are in seconds of real time.
#
#   wait_file FILE [SECONDS]           0 once FILE exists (default 60 s)
#   wait_line FILE PATTERN [SECONDS]   0 once a line of FILE matches PATTERN, a grep basic
#                                      regex as the scripts wrote them (literal parentheses,
#                                      \| for alternatives); default 60 s
#   now_ms                             prints the wall clock in ms (no fork: use
#                                      now_ms_var NAME to set a variable without $(...))

_wait_fd=
_wait_open() {
    [ -n "$_wait_fd" ] && return 0
    local d
    d=$(mktemp -d /tmp/waitlib.XXXXXX) || return 1
    mkfifo "$d/never" || return 1
    exec {_wait_fd}<>"$d/never"   # opened read-write: never EOF, never data
    rm -rf "$d"
}
_wait_sleep() { read -r -t "$1" -u "$_wait_fd" _ 2>/dev/null; return 0; }

now_ms_var() { local t=${EPOCHREALTIME/./}; printf -v "$1" '%s' "$((t / 1000))"; }
now_ms() { local v; now_ms_var v; echo "$v"; }

wait_file() {
    _wait_open || return 1
    local end now
    now_ms_var now; end=$((now + ${2:-60} * 1000))
    while [ ! -e "$1" ]; do
        now_ms_var now; [ "$now" -ge "$end" ] && return 1
        _wait_sleep 0.05
    done
    return 0
}

wait_line() {
    _wait_open || return 1
    local file=$1 re=$2 end now fd= line part=
    # grep BRE -> bash ERE for the forms the scripts use
    re=${re//(/\\(}; re=${re//)/\\)}; re=${re//\\|/|}
    now_ms_var now; end=$((now + ${3:-60} * 1000))
    while :; do
        if [ -z "$fd" ] && [ -e "$file" ]; then exec {fd}<"$file" || fd=; fi
        if [ -n "$fd" ]; then
            while IFS= read -r line <&"$fd"; do
                line=$part$line part=
                if [[ $line =~ $re ]]; then exec {fd}<&-; return 0; fi
            done
            part=$part$line   # a line still being written: keep its start
            if [ -n "$part" ] && [[ $part =~ $re ]]; then exec {fd}<&-; return 0; fi
        fi
        now_ms_var now
        if [ "$now" -ge "$end" ]; then [ -n "$fd" ] && exec {fd}<&-; return 1; fi
        _wait_sleep 0.05
    done
}
