#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Receiver benchmark. Starts a private redis-server and `redrive --headless --no-worker
# --simulate-failure always` (every delivery goes to the dead-letter list, and no retry worker
# takes entries off it meanwhile), drives it with wrk (2 threads, 32 connections) POSTing
# tests/data/genesys-notification.json, checks that the list holds at least as many entries as
# there were 2xx answers (no acknowledged loss), and in the same run measures
# `redis-benchmark -t lpush -d 1500 -c 32` against the same redis-server as the ceiling.
# With BENCH_TLS=1 the same redis-server also listens with TLS (a CA and a server certificate
# made with openssl for the run) and each run also measures redrive over `rediss://` right after
# the plain run: the cost of TLS between the receiver and Redis, as a ratio in the same run.
# With BENCH_PROBE=1 each run also measures bench/receiver/probe the same way, right after
# redrive: QHttpServer 6.4's own router and an async LPUSH of the raw body, nothing else — the
# floor the receiver's work adds to, under the same conditions (this machine is shared).
# Prints one line per measurement and Markdown tables of the medians for docs/BENCHMARKS.md.
#
# With BENCH_THREADS="1 2 4" each run measures redrive with --receiver-threads 1, 2 and 4 (named
# t1, t2, t4) instead of the default, each against the same ceiling.
# Usage: bench/receiver/run.sh [runs (3)] [seconds per wrk run (10)]
# Environment: REDRIVE_BINARY (default build/release/app/redrive, built if missing),
# BENCH_PROBE=1, BENCH_TLS=1, BENCH_LPUSH_REQUESTS (default 400000), BENCH_KEEP=1 (keep the work folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-3}
seconds=${2:-10}
binary=${REDRIVE_BINARY:-build/release/app/redrive}
lpushes=${BENCH_LPUSH_REQUESTS:-400000}
probe=""

for tool in redis-server redis-cli redis-benchmark wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (bash packaging/install-deps.sh)" >&2; exit 1; }
done
if [ ! -x "$binary" ]; then
    bash packaging/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDRIVE_BUILD_TESTS=OFF
    binary=build/release/app/redrive
fi
if [ "${BENCH_PROBE:-0}" = 1 ]; then
    cmake -S bench/receiver/probe -B build/bench-probe -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DREDRIVE_BUILD_TESTS=OFF >/dev/null
    cmake --build build/bench-probe --target receiver-probe >/dev/null
    probe=build/bench-probe/receiver-probe
fi

work=$(mktemp -d)
redis_pid=""
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_port=$(free_port)
tls_args=()
if [ "${BENCH_TLS:-0}" = 1 ]; then
    command -v openssl >/dev/null || { echo "missing openssl" >&2; exit 1; }
    tls_port=$(free_port)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" \
        -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$work/server.key" \
        -out "$work/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >"$work/san.ext"
    openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -CAcreateserial -days 2 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null
    tls_args=(--tls-port "$tls_port" --tls-cert-file "$work/server.pem"
        --tls-key-file "$work/server.key" --tls-ca-cert-file "$work/ca.pem" --tls-auth-clients no)
fi
start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
        "${tls_args[@]}" >>"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "redis-server did not start:" >&2
    cat "$work/redis.log" >&2
    exit 1
}
# True while our redis-server is the one we started (on a shared machine something else may
# kill it; then the run in progress does not count and is done again).
redis_alive() { kill -0 "$redis_pid" 2>/dev/null; }
rcli() { redis-cli -p "$redis_port" "$@"; }
start_redis

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure <name> <binary> [redis arguments]: one wrk run against a freshly started server.
# Prints its line and appends "req/s p50 p99 rss_mb" to $work/<name>; returns 1 when the run
# does not count.
measure() {
    local name=$1 server=$2
    shift 2
    local redis=("$@")
    [ ${#redis[@]} -gt 0 ] || redis=(--redis "redis://127.0.0.1:$redis_port/0")
    rcli flushall >/dev/null
    REDRIVE_NO_KEYCHAIN=1 XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
        "$server" --headless --no-worker --simulate-failure always ${server_args:-} \
        "${redis[@]}" --listen 127.0.0.1:0 2>"$work/server.log" &
    server_pid=$!
    local url=""
    for _ in $(seq 100); do
        url=$(head -1 "$work/server.log" | grep -o 'http://[^ ]*' || true)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "$name did not print its URL:" >&2; cat "$work/server.log" >&2; exit 1; }
    for _ in $(seq 100); do
        curl -sf "${url%/webhook/*}/healthz" >/dev/null && break
        sleep 0.1
    done
    NOTIFICATION_FILE="$root/tests/data/genesys-notification.json" \
        wrk -t2 -c32 -d2s -s bench/receiver/post-notification.lua "$url" >/dev/null # warm-up
    rcli flushall >/dev/null
    NOTIFICATION_FILE="$root/tests/data/genesys-notification.json" \
        wrk -t2 -c32 -d"${seconds}s" -s bench/receiver/post-notification.lua "$url" >"$work/wrk.out"
    local rss_kb ok rps p50 p99 llen
    rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
    ok=$(awk '/^2xx / { print $2 }' "$work/wrk.out")
    rps=$(awk '/^req\/s / { print $2 }' "$work/wrk.out")
    p50=$(awk '/^p50_ms / { print $2 }' "$work/wrk.out")
    p99=$(awk '/^p99_ms / { print $2 }' "$work/wrk.out")
    llen=$(rcli llen genesys_webhook_dlq 2>/dev/null || echo 0)
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if ! redis_alive; then
        echo "redis-server died during the run: it does not count" >&2
        return 1
    fi
    if [ "$llen" -lt "$ok" ]; then
        echo "LOSS: $name answered $ok deliveries 2xx but the list holds $llen" >&2
        cat "$work/wrk.out" >&2
        exit 1
    fi
    local rss_mb
    rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    printf '%-3s %-8s %9s %8s %8s %7s %9s %9s %6s\n' "$run" "$name" "$rps" "$p50" "$p99" "$rss_mb" "$ok" "$llen" "$load"
    echo "$rps $p50 $p99 $rss_mb" >>"$work/$name.next"
    echo "$load" >"$work/$name.loadnext"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$binary" --version 2>/dev/null | head -1), $(redis-server --version | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
printf '%-3s %-8s %9s %8s %8s %7s %9s %9s %6s\n' run server req/s p50_ms p99_ms rss_mb 2xx llen load1

run=0
attempts=0
while [ "$run" -lt "$runs" ]; do
    attempts=$((attempts + 1))
    if [ "$attempts" -gt $((runs + 3)) ]; then
        echo "too many failed attempts" >&2
        exit 1
    fi
    redis_alive || { echo "redis-server $redis_pid is gone (killed from outside?): restarting" >&2; start_redis; }
    run=$((run + 1))
    rm -f "$work"/*.next "$work"/*.loadnext
    if [ -n "${BENCH_THREADS:-}" ]; then
        failed=0
        for t in $BENCH_THREADS; do
            server_args="--receiver-threads $t" measure "t$t" "$binary" || { failed=1; break; }
        done
        [ "$failed" = 0 ] || { run=$((run - 1)); continue; }
    elif ! measure redrive "$binary"; then run=$((run - 1)); continue; fi
    if [ -n "${tls_port:-}" ] && ! measure tls "$binary" --redis "rediss://127.0.0.1:$tls_port/0" \
        --redis-ca "$work/ca.pem"; then
        run=$((run - 1))
        continue
    fi
    if [ -n "$probe" ] && ! measure probe "$probe"; then run=$((run - 1)); continue; fi

    rcli flushall >/dev/null
    redis-benchmark -p "$redis_port" -t lpush -d 1500 -c 32 -n "$lpushes" --csv >"$work/ceiling.csv" \
        2>/dev/null || true
    if ! redis_alive || ! grep -q '^"LPUSH"' "$work/ceiling.csv"; then
        echo "redis-server died during the ceiling measurement: the run does not count" >&2
        run=$((run - 1))
        continue
    fi
    rcli flushall >/dev/null
    ceiling=$(awk -F'"' '/^"LPUSH"/ { printf "%.0f", $4 }' "$work/ceiling.csv")
    c_p50=$(awk -F'"' '/^"LPUSH"/ { print $10 }' "$work/ceiling.csv")
    c_p99=$(awk -F'"' '/^"LPUSH"/ { print $14 }' "$work/ceiling.csv")
    printf '%-3s %-8s %9s %8s %8s %7s %9s %9s %6s\n' "$run" ceiling "$ceiling" "$c_p50" "$c_p99" - - - \
        "$(cut -d' ' -f1 /proc/loadavg)"
    for name in redrive tls probe $(for t in ${BENCH_THREADS:-}; do echo "t$t"; done); do
        [ -f "$work/$name.next" ] || continue
        read -r rps rest <"$work/$name.next"
        cat "$work/$name.loadnext" >>"$work/$name.load"
        echo "$(cat "$work/$name.next") $ceiling $(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.3f", a / b }')" \
            >>"$work/$name.results"
    done
done

col() { awk -v c="$2" '{ print $c }' "$work/$1.results" | median; }
echo
echo "| server | req/s | p50 ms | p99 ms | peak RSS MB | LPUSH ceiling req/s | ratio to ceiling | load (1 min) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in redrive tls probe $(for t in ${BENCH_THREADS:-}; do echo "t$t"; done); do
    [ -f "$work/$name.results" ] || continue
    printf '| %s | %.0f | %s | %s | %s | %.0f | %.2f | %s–%s |\n' "$name" "$(col "$name" 1)" "$(col "$name" 2)" \
        "$(col "$name" 3)" "$(col "$name" 4)" "$(col "$name" 5)" "$(col "$name" 6)" \
        "$(sort -g "$work/$name.load" | head -1)" "$(sort -g "$work/$name.load" | tail -1)"
done
if [ -f "$work/tls.results" ]; then
    paste -d' ' "$work/tls.results" "$work/redrive.results" | awk '{ print $1 / $7 }' >"$work/tls.ratio"
    echo "redrive over rediss:// / over redis://, same run: median ratio $(median <"$work/tls.ratio")"
fi
echo "(medians of $runs runs of ${seconds} s each; no 2xx without its entry in any run)"
