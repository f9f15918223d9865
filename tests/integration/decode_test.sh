#!/usr/bin/env bash
# decode_test.sh DECODER SHARED WORKDIR - the v2g-decode group: see decode_test.py.
set -u
exec python3 "$(dirname "$0")/decode_test.py" "$@"
