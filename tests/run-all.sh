#!/usr/bin/env bash
# run-all.sh - the body of `make test`: runs every group, keeps each group's log, prints
# one line per group with its duration, and ends with exactly one line "N passed, N failed"
# counting individual test cases.
#
#   tests/run-all.sh --unit "BIN..." --checks "TARGET" --integration "NAME..." --target "TARGET" \
#       [--build "COMMAND" --early "NAME..."]
#
# --build: the command that builds what the groups need, run here beside the --early groups
# (the VM groups, whose binaries `make test` built first): they wait on a TCG VM's real time
# and leave part of the two cores idle, which the build takes (TEST_BUILD_NICE, default 0:
# at nice 10 a host busy with other work starved it for 19 minutes while every later group
# waited on it). Every other group starts when the build
# has ended; if it fails, they are not run and each counts as failed. With --build, each
# group runs with TEST_PREBUILT=1 in its environment: its make does not read the build's
# dependency files (the Makefile says why).
#
# Environment: BUILD (build dir), MAKE (the make to call for targets), TEST_JOBS (groups run
# at the same time, default 2), TEST_LIGHT_JOBS (groups of the light lane run beside them,
# default 1; 0 puts them in the JOBS slots). Groups are independent (each has its own namespaces, ports,
# VM and files), so they run TEST_JOBS at a time, the long ones (VMs) first; the output
# still comes in the fixed order below, whatever order they finish in.
#
# Skips: a group may print "SKIP <name>: <reason>" only when the shared material
# (SHARED, ../shared) is absent; such lines are counted and listed. A SKIP for any other
# reason (a missing tool, a missing privilege) counts as a failure: install it instead.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
JOBS=${TEST_JOBS:-2}
case "$JOBS" in '' | *[!0-9]* | 0) echo "run-all: TEST_JOBS must be a positive number" >&2; exit 2 ;; esac
logs=$BUILD/test-logs
mkdir -p "$logs"
unit="" checks="" integration="" target="" build="" early=""
while [ $# -gt 0 ]; do
    case "$1" in
        --unit) unit=$2; shift 2 ;;
        --checks) checks=$2; shift 2 ;;
        --integration) integration=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --early) early=$2; shift 2 ;;
        *) echo "run-all: unknown option $1" >&2; exit 2 ;;
    esac
done

# ---------------------------------------------------------------- the groups, in output order
g_name=() g_cmd=() g_section=() g_heavy=()
add() {  # SECTION NAME HEAVY CMD
    g_section+=("$1"); g_name+=("$2"); g_heavy+=("$3"); g_cmd+=("$4")
}
# Groups that boot a VM (tools/vcan-run, qemu) or run for minutes start first, so the
# short ones fill the other slot meanwhile.
# Longest first (their times in a fresh root, wall/CPU: faults-real 339/276 s, kill 263/167,
# e2e 244/167, deploy 135/153 (the arm64 cross build), infy 121/74, fuzz 112/106), so the
# two slots end together; the first three start before the rest of the build (--early).
heavy_groups=" kill faults-real e2e infy deploy fuzz report decode can_vcan "
for b in $unit; do add "unit tests (cmocka, AddressSanitizer + UBSan)" "unit/$(basename "$b")" 0 "$b"; done
[ -n "$checks" ] && add "static checks" "checks" 0 "$MAKE $checks"
for t in $integration; do
    h=0; case "$heavy_groups" in *" $t "*) h=1 ;; esac
    add "integration tests" "integration/$t" "$h" "$MAKE integration-$t"
done
[ -n "$target" ] && add "Cortex-M (qemu-system-arm)" "cortex-m" 1 "$MAKE $target"
n=${#g_name[@]}

logof() { local s=${g_name[$1]}; echo "$logs/${s//\//_}.log"; }
stof() { local s=${g_name[$1]}; echo "$logs/.${s//\//_}.status"; }

# ---------------------------------------------------------------- run, JOBS at a time
t0=$(date +%s.%N)
pids=()
launch() {  # INDEX
    local i=$1 log st
    log=$(logof "$i"); st=$(stof "$i")
    rm -f "$st"
    (
        # With --build, what the groups need is built (the VM groups' binaries before
        # run-all, the rest by --build) with the dependency files: a group's make may skip
        # reading them (0.4 s of CPU or more each; see TEST_PREBUILT in the Makefile).
        [ -n "$build" ] && export TEST_PREBUILT=1
        s=$(date +%s.%N)
        ${g_cmd[$i]} >"$log" 2>&1 </dev/null
        rc=$?
        # CPU of the group and everything it waited for (user + system of the children,
        # the second line of `times`): the test run is CPU-bound on 2 cores, so this, not
        # the wall time, says which group costs the budget.
        # (`times` into a file, not a pipe: in a forked pipeline member the children's
        # times read 0)
        times >"$st.times"
        cpu=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, y, /[ms]/); printf "%.1f", u[1] * 60 + u[2] + y[1] * 60 + y[2] }' "$st.times")
        echo "$rc $s $(date +%s.%N) ${cpu:-0}" >"$st"
    ) &
    pids[$i]=$!
}
# Start order: the heavy groups longest first (in the order of heavy_groups), then the
# Cortex-M run, then the rest in output order.
order=()
for h in $heavy_groups; do
    for ((i = 0; i < n; i++)); do [ "${g_name[$i]}" = "integration/$h" ] && order+=("$i"); done
done
for ((i = 0; i < n; i++)); do [ "${g_name[$i]}" = cortex-m ] && order+=("$i"); done
# (the light groups, below, in the order of light_groups: longest first)
for ((i = 0; i < n; i++)); do [ "${g_heavy[$i]}" = 1 ] || order+=("$i"); done
# The light lane: groups that mostly wait on real time (a CSMS's and a car's timers, QEMU
# for a Cortex-M that idles, a TLS peer, SLAC timeouts) and use a fraction of a core
# (measured with the CPU column below: ocpp 65 s of CPU in 125 s, coproc 29 in 104, pki 21
# in 80, huawei 20 in 54). In one of the JOBS slots they left a core idle for minutes, so
# they run one at a time beside them; the JOBS slots still take every CPU-bound group.
LIGHT_JOBS=${TEST_LIGHT_JOBS:-1}
case "$LIGHT_JOBS" in '' | *[!0-9]*) echo "run-all: TEST_LIGHT_JOBS must be a number" >&2; exit 2 ;; esac
# meter, imd, boardio and mqtt joined once the cases that failed beside them under load
# (coproc's version inquiry, infy's 60-module off proof and poll gap) stopped depending on
# wall-clock speed: meter 23 s of CPU in 74, imd 7 in 43, boardio 13 in 30, mqtt 13 in 28.
# Longest first (wall in a fresh root: ocpp 125 s, coproc 104, pki 80, meter 74, iso20_tls
# 65, huawei 54, imd 43), so that the lane does not end with a long one alone.
light_groups=" ocpp coproc pki meter iso20_tls huawei imd link boardio mqtt sim "
g_light=() g_lane=()
for ((i = 0; i < n; i++)); do
    g_light[$i]=0 g_lane[$i]=0
    case "$light_groups" in *" ${g_name[$i]#integration/} "*) [ "$LIGHT_JOBS" -gt 0 ] && g_light[$i]=1 ;; esac
done
if [ "$LIGHT_JOBS" -gt 0 ]; then
    rest=()
    for i in "${order[@]}"; do [ "${g_light[$i]}" = 1 ] || rest+=("$i"); done
    for l in $light_groups; do
        for ((i = 0; i < n; i++)); do [ "${g_name[$i]}" = "integration/$l" ] && rest+=("$i"); done
    done
    order=("${rest[@]}")
fi
running() {  # LANE (0 = the JOBS slots, 1 = the light lane): how many of it run now
    local k c=0
    for k in "${!pids[@]}"; do
        [ "${g_lane[$k]}" = "$1" ] && kill -0 "${pids[$k]}" 2>/dev/null && c=$((c + 1))
    done
    echo "$c"
}
echo "== $n groups, $JOBS at a time and $LIGHT_JOBS light one(s) beside them (logs in $logs)"
# The build beside the early groups (see the top). Its state: "" none, run, ok, failed.
g_early=()
for ((i = 0; i < n; i++)); do
    g_early[$i]=0
    case " $early " in *" ${g_name[$i]#integration/} "*) g_early[$i]=1 ;; esac
done
build_state="" build_pid=""
blog=$logs/build.log bst=$logs/.build.status
start_build() {
    [ -n "$build" ] && [ -z "$build_state" ] || return 0
    rm -f "$bst"
    (
        s=$(date +%s.%N)
        nice -n "${TEST_BUILD_NICE:-0}" bash -c "$build" >"$blog" 2>&1 </dev/null
        rc=$?
        times >"$bst.times"
        cpu=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, y, /[ms]/); printf "%.1f", u[1] * 60 + u[2] + y[1] * 60 + y[2] }' "$bst.times")
        echo "$rc $s $(date +%s.%N) ${cpu:-0}" >"$bst"
    ) &
    build_pid=$! build_state=run
    echo "== building the rest beside the early groups ($early); log: $blog"
}
# The early groups' make reads every dependency file (*.d) when it starts, and the build
# rewrites them: the build starts once each early group's make runs its recipe (a child
# of that make exists), or after 60 s.
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }  # (no procps needed)
early_parsed() {
    local k mk
    for k in "${!pids[@]}"; do
        [ "${g_early[$k]}" = 1 ] || continue
        kill -0 "${pids[$k]}" 2>/dev/null || continue
        mk=$(children "${pids[$k]}" | awk '{print $1}')
        [ -n "$mk" ] && [ -n "$(children "$mk")" ] || return 1
    done
    return 0
}
build_after=$(($(date +%s) + 60))
build_poll() {  # updates build_state once the build has ended
    [ "$build_state" = run ] || return 0
    kill -0 "$build_pid" 2>/dev/null && return 0
    wait "$build_pid" 2>/dev/null
    local rc=1
    [ -s "$bst" ] && read -r rc _ <"$bst"
    if [ "$rc" = 0 ]; then build_state=ok; else build_state=failed; fi
}
not_run() {  # INDEX: a group the failed build kept from running
    local st log
    log=$(logof "$1"); st=$(stof "$1")
    echo "FAIL ${g_name[$1]}: not run: the build before it failed (see $blog)" >"$log"
    echo "126 0 0 0" >"$st"
}
pending=("${order[@]}")
while [ ${#pending[@]} -gt 0 ]; do
    if [ -n "$build" ] && [ -z "$build_state" ]; then
        # no early group left to start: wait until their makes have read the *.d files
        left=0
        for p in "${!pending[@]}"; do [ "${g_early[${pending[$p]}]}" = 1 ] && left=1; done
        if [ $left = 0 ] || [ "$(running 0)" -ge "$JOBS" ]; then
            if early_parsed || [ "$(date +%s)" -ge "$build_after" ]; then start_build; else sleep 0.2; continue; fi
        fi
    fi
    build_poll
    started=-1
    for p in "${!pending[@]}"; do
        i=${pending[$p]}
        if [ "$build_state" = failed ]; then
            not_run "$i"; started=$p; break
        fi
        [ -n "$build" ] && [ "$build_state" != ok ] && [ "${g_early[$i]}" = 0 ] && continue
        if [ "${g_light[$i]}" = 1 ] && [ "$(running 1)" -lt "$LIGHT_JOBS" ]; then
            g_lane[$i]=1; launch "$i"; started=$p; break
        fi
        # A JOBS slot takes a light group too once no other group waits for one: the light
        # lane runs one group at a time (590 s of wall for its eleven in a loaded fresh
        # root), and when it is the last to end the JOBS slots would sit idle.
        if [ "${g_light[$i]}" = 1 ]; then
            other=0
            for q in "${pending[@]}"; do [ "${g_light[$q]}" = 0 ] && other=1; done
            [ "$other" = 1 ] && continue
        fi
        if [ "$(running 0)" -lt "$JOBS" ]; then
            g_lane[$i]=0; launch "$i"; started=$p; break
        fi
    done
    if [ "$started" -ge 0 ]; then
        unset "pending[$started]"; pending=("${pending[@]}")
    else
        wait -n 2>/dev/null || sleep 0.2
    fi
done
[ -n "$build" ] && [ -z "$build_state" ] && start_build
while [ "$build_state" = run ]; do wait -n 2>/dev/null || sleep 0.2; build_poll; done

# ---------------------------------------------------------------- results, in order
total_pass=0 total_fail=0 total_cpu=0
failed_groups=() skipped=()

# record NAME RC LOG SECONDS CPU: count the cases a group's log reports. Understands cmocka's
# summary, "N passed, N failed" lines and PASS/FAIL lines; a group that exits non-zero
# without reporting a failure counts as one failure, so a crash never passes.
record() {
    local name=$1 rc=$2 log=$3 secs=$4 cpu=$5 p=0 f=0 line nskip bad
    total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
    # A group may run a cmocka binary and then a script (boardio: the kernel-I/O binary's 8
    # cases, then its script's 28): both counts are added.
    local cm=0
    if grep -q '^\[==========\] .* test(s) run\.' "$log"; then
        cm=1
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    fi
    if line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
        p=$((p + $(echo "$line" | sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\2/')))
        f=$((f + $(echo "$line" | sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\3/')))
    elif [ "$cm" = 0 ]; then
        p=$(grep -c '^PASS' "$log" || true)
        f=$(grep -c '^FAIL' "$log" || true)
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    # Skips: one form, "SKIP <name>: <reason>", and only for missing shared material.
    nskip=$(grep -cE '^SKIP [^ :]+: ' "$log" || true)
    bad=$(grep -E '^SKIP' "$log" | grep -viE '^SKIP [^ :]+: .*shared' || true)
    if [ -n "$bad" ]; then
        echo "FAIL $name: a skip that is not about missing shared material (install what it needs):"
        echo "$bad" | head -n 5 | sed 's/^/    /'
        f=$((f + $(echo "$bad" | grep -c .)))
        nskip=0
    fi
    if [ "$nskip" -gt 0 ]; then
        while IFS= read -r line; do skipped+=("$line"); done < <(grep -E '^SKIP [^ :]+: ' "$log")
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        if [ "$nskip" -gt 0 ]; then
            printf 'SKIP %-36s %7.1f s  %s\n' "$name" "$secs" "$(grep -m1 -E '^SKIP' "$log" | cut -c6-)"
            return
        fi
        echo "FAIL $name: ran no test"; f=1
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$f" -eq 0 ]; then
        printf 'PASS %-36s %7.1f s %5d passed  (cpu %.0f s)\n' "$name" "$secs" "$p" "$cpu"
    else
        printf 'FAIL %-36s %7.1f s %5d passed, %d failed (exit %d); log: %s\n' "$name" "$secs" "$p" "$f" "$rc" "$log"
        failed_groups+=("$name")
        grep -E 'FAIL|ERROR|LINE|error|Error|SAFETY' "$log" | head -n 15 | sed 's/^/    /'
    fi
}

if [ -n "$build" ]; then
    read -r rc s e c <"$bst" 2>/dev/null || { rc=125 s=0 e=0 c=0; }
    total_cpu=$(awk -v a="$total_cpu" -v b="${c:-0}" 'BEGIN { printf "%.1f", a + b }')
    if [ "$rc" = 0 ]; then
        printf '== build beside the early groups: %.1f s (cpu %.0f s)\n' "$(awk -v s="$s" -v e="$e" 'BEGIN {print e - s}')" "$c"
    else
        echo "FAIL build: the build beside the early groups failed (exit $rc); log: $blog"
        grep -E 'error|Error|\*\*\*' "$blog" | head -n 15 | sed 's/^/    /'
        total_fail=$((total_fail + 1)); failed_groups+=(build)
    fi
fi
section=""
for ((i = 0; i < n; i++)); do
    [ -n "${pids[$i]:-}" ] && wait "${pids[$i]}" 2>/dev/null
    if [ "${g_section[$i]}" != "$section" ]; then section=${g_section[$i]}; echo "== $section"; fi
    st=$(stof "$i")
    if [ -s "$st" ]; then
        read -r rc s e c <"$st"
    else
        rc=125 s=0 e=0 c=0; echo "group did not report its status" >>"$(logof "$i")"
    fi
    record "${g_name[$i]}" "$rc" "$(logof "$i")" "$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", e - s}')" "${c:-0}"
done
echo
wall=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')
printf 'wall time %.0f s for %d groups, %d at a time; CPU %.0f s (%.0f%% of %d cores)\n' "$wall" "$n" "$JOBS" \
    "$total_cpu" "$(awk -v c="$total_cpu" -v w="$wall" -v n="$(nproc)" 'BEGIN { print 100 * c / (w * n) }')" "$(nproc)"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "${#skipped[@]} skipped (shared material absent):"
    printf '    %s\n' "${skipped[@]}"
fi
if [ ${#failed_groups[@]} -gt 0 ]; then echo "failed: ${failed_groups[*]}"; fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
