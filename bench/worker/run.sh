#!/bin/sh
# SPDX-License-Identifier: MIT
# Retry-worker benchmark: drain 100,000 due DLQ entries into a local downstream that answers
# 200 at once, against a loop shaped like the tutorial's process_dlq, then idle CPU with 10,000
# entries scheduled an hour ahead. Usage: bench/worker/run.sh [build-dir]  (default build/release)
# Knobs: BENCH_ENTRIES, BENCH_TUTORIAL_ENTRIES, BENCH_STACK_ENTRIES, BENCH_RUNS, BENCH_CONCURRENCY, BENCH_IDLE_SECONDS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/release}
if [ ! -x "$build/app/redrive" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$build" -j2 redrive
fi
sink=$build/bench-worker-sink
if [ ! -x "$sink" ] || [ "$here/sink.cpp" -nt "$sink" ]; then
    # shellcheck disable=SC2046
    c++ -O2 -std=c++20 -fPIC -o "$sink" "$here/sink.cpp" $(pkg-config --cflags --libs Qt6Network)
fi
# Debian's interpreter: it sees python3-redis and python3-requests (install-deps.sh).
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
exec "$python" "$here/bench.py" "$build/app/redrive" "$sink" "$root/tests/data/genesys-notification.json"
