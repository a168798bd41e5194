#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Receiver benchmark. Starts a private redis-server and `redrive --headless --no-worker
# --simulate-failure always` (every delivery goes to the dead-letter list, and no retry worker
# takes entries off it meanwhile), drives it with wrk (2 threads, 32
# connections) POSTing tests/data/genesys-notification.json, checks that the list holds at least
# as many entries as there were 2xx answers (no acknowledged loss), and in the same run measures
# `redis-benchmark -t lpush -d 1500 -c 32` against the same redis-server as the ceiling.
# Prints one line per run and a Markdown table of the medians for docs/BENCHMARKS.md.
#
# Usage: bench/receiver/run.sh [runs (3)] [seconds per wrk run (10)]
# Environment: REDRIVE_BINARY (default build/release/app/redrive, built if missing);
# REDRIVE_BENCH_SERVER=probe measures bench/receiver/probe instead (QHttpServer's router and an
# async LPUSH of the raw body, nothing else: the floor the receiver's own work adds to).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-3}
seconds=${2:-10}
binary=${REDRIVE_BINARY:-build/release/app/redrive}
lpushes=${BENCH_LPUSH_REQUESTS:-400000}

for tool in redis-server redis-cli redis-benchmark wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (bash packaging/install-deps.sh)" >&2; exit 1; }
done
if [ "${REDRIVE_BENCH_SERVER:-redrive}" = probe ]; then
    cmake -S bench/receiver/probe -B build/bench-probe -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DREDRIVE_BUILD_TESTS=OFF >/dev/null
    cmake --build build/bench-probe --target receiver-probe >/dev/null
    binary=build/bench-probe/receiver-probe
elif [ ! -x "$binary" ]; then
    bash packaging/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDRIVE_BUILD_TESTS=OFF
    binary=build/release/app/redrive
fi

work=$(mktemp -d)
redis_pid=""
redrive_pid=""
cleanup() {
    [ -n "$redrive_pid" ] && kill "$redrive_pid" 2>/dev/null && wait "$redrive_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_port=$(free_port)
start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
        >>"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "redis-server did not start:" >&2
    cat "$work/redis.log" >&2
    exit 1
}
# True when our redis-server is still the one we started (on a shared machine something else may
# kill it; then the run in progress does not count and is done again).
redis_alive() { kill -0 "$redis_pid" 2>/dev/null; }
start_redis
rcli() { redis-cli -p "$redis_port" "$@"; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${REDRIVE_BENCH_SERVER:-redrive}" = probe ]; then
    server="receiver-probe (QHttpServer router + LPUSH)"
else
    server=$("$binary" --version 2>/dev/null | head -1)
fi
echo "# $server, $(redis-server --version | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
printf '%-4s %9s %8s %8s %8s %9s %9s %10s %8s %8s %7s\n' run req/s p50_ms p99_ms rss_mb 2xx llen ceiling c_p50 c_p99 ratio

: >"$work/results"
run=0
attempts=0
while [ "$run" -lt "$runs" ]; do
    attempts=$((attempts + 1))
    if [ "$attempts" -gt $((runs + 3)) ]; then
        echo "too many failed attempts" >&2
        exit 1
    fi
    redis_alive || { echo "redis-server $redis_pid is gone (killed from outside?): restarting" >&2; start_redis; }
    rcli flushall >/dev/null
    REDRIVE_NO_KEYCHAIN=1 XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
        "$binary" --headless --no-worker --simulate-failure always \
        --redis "redis://127.0.0.1:$redis_port/0" --listen 127.0.0.1:0 2>"$work/redrive.log" &
    redrive_pid=$!
    url=""
    for _ in $(seq 100); do
        url=$(head -1 "$work/redrive.log" | grep -o 'http://[^ ]*' || true)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "redrive did not print its URL:" >&2; cat "$work/redrive.log" >&2; exit 1; }
    base=${url%/webhook/*}
    for _ in $(seq 100); do
        curl -sf "$base/healthz" >/dev/null && break
        sleep 0.1
    done

    export NOTIFICATION_FILE="$root/tests/data/genesys-notification.json"
    wrk -t2 -c32 -d2s -s bench/receiver/post-notification.lua "$url" >/dev/null # warm-up
    rcli flushall >/dev/null
    wrk -t2 -c32 -d"${seconds}s" -s bench/receiver/post-notification.lua "$url" >"$work/wrk.out"
    rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$redrive_pid/status")
    ok=$(awk '/^2xx / { print $2 }' "$work/wrk.out")
    rps=$(awk '/^req\/s / { print $2 }' "$work/wrk.out")
    p50=$(awk '/^p50_ms / { print $2 }' "$work/wrk.out")
    p99=$(awk '/^p99_ms / { print $2 }' "$work/wrk.out")
    llen=$(rcli llen genesys_webhook_dlq 2>/dev/null || echo 0)
    kill "$redrive_pid"
    wait "$redrive_pid" 2>/dev/null || true
    redrive_pid=""
    if ! redis_alive; then
        echo "redis-server died during the run: it does not count" >&2
        continue
    fi
    if [ "$llen" -lt "$ok" ]; then
        echo "LOSS: $ok deliveries were answered 2xx but the list holds $llen" >&2
        cat "$work/wrk.out" >&2
        exit 1
    fi

    rcli flushall >/dev/null
    redis-benchmark -p "$redis_port" -t lpush -d 1500 -c 32 -n "$lpushes" --csv >"$work/ceiling.csv" \
        2>/dev/null || true
    if ! redis_alive || ! grep -q '^"LPUSH"' "$work/ceiling.csv"; then
        echo "redis-server died during the ceiling measurement: the run does not count" >&2
        continue
    fi
    rcli flushall >/dev/null
    run=$((run + 1))
    ceiling=$(awk -F'"' '/^"LPUSH"/ { print $4 }' "$work/ceiling.csv")
    c_p50=$(awk -F'"' '/^"LPUSH"/ { print $10 }' "$work/ceiling.csv")
    c_p99=$(awk -F'"' '/^"LPUSH"/ { print $14 }' "$work/ceiling.csv")
    ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')
    rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
    printf '%-4s %9s %8s %8s %8s %9s %9s %10.0f %8s %8s %7s\n' "$run" "$rps" "$p50" "$p99" \
        "$rss_mb" "$ok" "$llen" "$ceiling" "$c_p50" "$c_p99" "$ratio"
    echo "$rps $p50 $p99 $rss_mb $ceiling $ratio" >>"$work/results"
done

col() { awk -v c="$1" '{ print $c }' "$work/results" | median; }
echo
echo "| receiver req/s | p50 ms | p99 ms | peak RSS MB | LPUSH ceiling req/s | ratio |"
echo "|---:|---:|---:|---:|---:|---:|"
printf '| %.0f | %s | %s | %s | %.0f | %s |\n' "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)"
echo "(medians of $runs runs of ${seconds} s; no 2xx without its entry in any run)"
