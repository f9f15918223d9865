#!/usr/bin/env bash
# Integration test of the hal_linux CAN port against can-utils.
# Usage: tests/integration/test_can_vcan.sh PATH/TO/can_vcan_test
#
# Everything runs in ONE tools/vcan-run call (each call is a VM boot of a few seconds):
# vcan0 for the can-utils checks, plus two emulated SJA1000 controllers can0/can1 on one
# bus for bit rate and state. CAN_VCAN_HWCAN=0 leaves the controllers out, which lets
# vcan-run use the host kernel when it has vcan. CAN_VCAN_TIMEOUT bounds the call (s).
# Output: the test's `PASS name` / `FAIL name: reason` lines and `N passed, N failed`.
set -u

bin=${1:?usage: $0 PATH/TO/can_vcan_test}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$bin" ]; then
    echo "FAIL setup: $bin is not built"
    echo "0 passed, 1 failed"
    exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

args=(--ifaces vcan0)
test_args=(--vcan vcan0)
if [ "${CAN_VCAN_HWCAN:-1}" != 0 ]; then
    args+=(--hwcan 2)
    test_args+=(--hwcan 'can0,can1')
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$root/tools/vcan-run" "${args[@]}" --timeout "${CAN_VCAN_TIMEOUT:-1800}" -- "$bin" "${test_args[@]}" |
    tee "$out"
rc=${PIPESTATUS[0]}

# A crash, a timeout or a VM failure ends without the summary: count what was printed.
if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
    echo "FAIL can_vcan_test: ended without a summary (exit status $rc)"
    echo "$(grep -c '^PASS ' "$out") passed, $(($(grep -c '^FAIL ' "$out") + 1)) failed"
    [ "$rc" != 0 ] || rc=1
fi
exit "$rc"
