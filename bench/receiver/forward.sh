#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Forwarding-path benchmark: the receiver's normal production path. wrk (2 threads, 32
# connections) POSTs tests/data/genesys-notification.json to `redrive --headless --no-worker
# --downstream http://127.0.0.1:<sink>/hook`, which forwards each delivery to a downstream that
# answers 200 at once (bench/worker/sink.cpp, keep-alive) and answers 200 once the downstream
# has it. In every run, against the same sink:
#   sink     wrk straight at the sink: the baseline the ratios are taken against;
#   t1 t2 t4 redrive with --receiver-threads 1, 2 and 4 (BENCH_THREADS);
#   flask    bench/receiver/peers/flask_forward.py under gunicorn -w2 (the tutorial's stack:
#            Flask, requests.post, redis-py for the dead-letter list), Debian's packages;
#   node     bench/receiver/peers/node_forward.js (node's own http, keep-alive agent, no npm).
# After each measurement the sink's count must have grown by at least the 2xx answers that
# were not deferred to the dead-letter list (no 2xx without its delivery at the sink); the
# deferred ones are counted and shown. Prints one line per measurement (with the load average
# at its end) and a Markdown table of the medians for docs/BENCHMARKS.md.
# Usage: bench/receiver/forward.sh [runs (3)] [seconds per wrk run (10)]
# Environment: REDRIVE_BINARY (default build/release/app/redrive, built if missing),
# BENCH_THREADS (default "1 2 4"), BENCH_PEERS (default "flask node"), BENCH_KEEP=1.
# gunicorn and python3-flask are Debian packages that packaging/install-deps.sh does not install:
# when they are missing and the script runs as root it installs them with apt-get, otherwise
# the flask peer is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${1:-3}
seconds=${2:-10}
binary=${REDRIVE_BINARY:-build/release/app/redrive}
threads=${BENCH_THREADS-1 2 4}
peers=${BENCH_PEERS-flask node}

for tool in redis-server redis-cli wrk curl python3 pkg-config c++; do
    command -v "$tool" >/dev/null || { echo "missing $tool (bash packaging/install-deps.sh)" >&2; exit 1; }
done
if [ ! -x "$binary" ]; then
    bash packaging/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DREDRIVE_BUILD_TESTS=OFF
    binary=build/release/app/redrive
fi
sink_binary=$(dirname "$(dirname "$binary")")/bench-worker-sink
if [ ! -x "$sink_binary" ] || [ bench/worker/sink.cpp -nt "$sink_binary" ]; then
    # shellcheck disable=SC2046
    c++ -O2 -std=c++20 -fPIC -o "$sink_binary" bench/worker/sink.cpp $(pkg-config --cflags --libs Qt6Network)
fi

has_flask() { [ -x /usr/bin/gunicorn ] && /usr/bin/python3 -c 'import flask, redis, requests' 2>/dev/null; }
selected=""
for peer in $peers; do
    case $peer in
    flask)
        if ! has_flask && [ "$(id -u)" = 0 ]; then
            echo "installing Debian's gunicorn and python3-flask for the flask peer" >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                gunicorn python3-flask python3-redis python3-requests >/dev/null 2>&1 || true
        fi
        if has_flask; then selected="$selected flask"; else
            echo "skipping the flask peer: apt-get install gunicorn python3-flask" >&2
        fi ;;
    node)
        if command -v node >/dev/null; then selected="$selected node"; else
            echo "skipping the node peer: apt-get install nodejs" >&2
        fi ;;
    *) echo "unknown peer $peer" >&2; exit 1 ;;
    esac
done

work=$(mktemp -d)
redis_pid=""
sink_pid=""
server_pid=""
cleanup() {
    for pid in $server_pid $sink_pid $redis_pid; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # wait_for <command...>: up to 10 s
    for _ in $(seq 100); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    >"$work/redis.log" 2>&1 &
redis_pid=$!
wait_for redis-cli -p "$redis_port" ping || { echo "redis-server did not start" >&2; exit 1; }
rcli() { redis-cli -p "$redis_port" "$@"; }

sink_port=$(free_port)
"$sink_binary" "$sink_port" &
sink_pid=$!
sink_url="http://127.0.0.1:$sink_port"
wait_for curl -sf "$sink_url/count" || { echo "the sink did not start" >&2; exit 1; }
sink_count() { curl -sf "$sink_url/count"; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# start_server <name>: starts what <name> stands for on a fresh port; sets server_pid and url.
start_server() {
    local name=$1 port
    port=$(free_port)
    case $name in
    t*)
        REDRIVE_NO_KEYCHAIN=1 XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
            "$binary" --headless --no-worker --receiver-threads "${name#t}" \
            --redis "redis://127.0.0.1:$redis_port/0" --downstream "$sink_url/hook" \
            --listen "127.0.0.1:$port" 2>"$work/server.log" &
        server_pid=$!
        url=""
        for _ in $(seq 100); do
            url=$(grep -o 'http://[^ ]*/webhook/[^ ]*' "$work/server.log" | head -1 || true)
            [ -n "$url" ] && break
            sleep 0.1
        done
        [ -n "$url" ] || { echo "redrive did not print its URL:" >&2; cat "$work/server.log" >&2; exit 1; }
        wait_for curl -sf "${url%/webhook/*}/healthz" || { cat "$work/server.log" >&2; exit 1; } ;;
    flask)
        DOWNSTREAM_URL="$sink_url/hook" REDIS_URL="redis://127.0.0.1:$redis_port/0" \
            /usr/bin/gunicorn -w2 -b "127.0.0.1:$port" --chdir bench/receiver/peers \
            flask_forward:app 2>"$work/server.log" &
        server_pid=$!
        url="http://127.0.0.1:$port/webhook"
        wait_for curl -sf -H 'Content-Type: application/json' -d '{}' "$url" \
            || { cat "$work/server.log" >&2; exit 1; } ;;
    node)
        node bench/receiver/peers/node_forward.js "$port" "$sink_url/hook" >/dev/null 2>"$work/server.log" &
        server_pid=$!
        url="http://127.0.0.1:$port/webhook"
        wait_for curl -sf -H 'Content-Type: application/json' -d '{}' "$url" \
            || { cat "$work/server.log" >&2; exit 1; } ;;
    sink)
        server_pid=""
        url="$sink_url/hook" ;;
    esac
}

# measure <name>: one wrk run (after a 2 s warm-up); prints its line and appends
# "req/s p50 p99 load" to $work/<name>.results.
measure() {
    local name=$1
    rcli flushall >/dev/null
    start_server "$name"
    NOTIFICATION_FILE="$root/tests/data/genesys-notification.json" \
        wrk -t2 -c32 -d2s -s bench/receiver/post-notification.lua "$url" >/dev/null # warm-up
    rcli flushall >/dev/null
    local before after ok rps p50 p99 deferred rss_mb="-" load
    before=$(sink_count)
    NOTIFICATION_FILE="$root/tests/data/genesys-notification.json" \
        wrk -t2 -c32 -d"${seconds}s" -s bench/receiver/post-notification.lua "$url" >"$work/wrk.out"
    load=$(load1)
    after=$(sink_count)
    if [ -n "$server_pid" ]; then
        local hwm
        hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true)
        [ -z "$hwm" ] || [ "$name" = flask ] || rss_mb=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
    ok=$(awk '/^2xx / { print $2 }' "$work/wrk.out")
    rps=$(awk '/^req\/s / { print $2 }' "$work/wrk.out")
    p50=$(awk '/^p50_ms / { print $2 }' "$work/wrk.out")
    p99=$(awk '/^p99_ms / { print $2 }' "$work/wrk.out")
    deferred=$(($(rcli llen genesys_webhook_dlq) + $(rcli llen genesys_webhook_permanent_failures)))
    local arrived=$((after - before))
    if [ "$arrived" -lt $((ok - deferred)) ]; then
        echo "LOSS: $name answered $ok deliveries 2xx ($deferred deferred) but the sink took $arrived" >&2
        cat "$work/wrk.out" >&2
        exit 1
    fi
    printf '%-3s %-6s %9s %8s %8s %7s %9s %9s %9s %6s\n' "$run" "$name" "$rps" "$p50" "$p99" \
        "$rss_mb" "$ok" "$arrived" "$deferred" "$load"
    echo "$rps $p50 $p99 $load" >>"$work/$name.results"
}

names="sink $(for t in $threads; do printf 't%s ' "$t"; done)$selected"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$binary" --version 2>/dev/null | head -1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), node $(node --version 2>/dev/null || echo -), $(/usr/bin/gunicorn --version 2>/dev/null || echo gunicorn -)"
printf '%-3s %-6s %9s %8s %8s %7s %9s %9s %9s %6s\n' run server req/s p50_ms p99_ms rss_mb 2xx at_sink deferred load1
for run in $(seq "$runs"); do
    for name in $names; do measure "$name"; done
    kill -0 "$sink_pid" 2>/dev/null || { echo "the sink died" >&2; exit 1; }
done

# Ratio per run against the sink's own figure in that run, then the median of the ratios.
col() { awk -v c="$2" '{ print $c }' "$work/$1.results" | median; }
echo
echo "| server | req/s | p50 ms | p99 ms | ratio to the sink | load (1 min) |"
echo "|---|---:|---:|---:|---:|---:|"
for name in $names; do
    paste -d' ' "$work/$name.results" "$work/sink.results" | awk '{ print $1 / $5 }' >"$work/$name.ratio"
    printf '| %s | %.0f | %s | %s | %.2f | %s–%s |\n' "$name" "$(col "$name" 1)" "$(col "$name" 2)" \
        "$(col "$name" 3)" "$(median <"$work/$name.ratio")" \
        "$(awk '{ print $4 }' "$work/$name.results" | sort -g | head -1)" \
        "$(awk '{ print $4 }' "$work/$name.results" | sort -g | tail -1)"
done
echo "(medians of $runs runs of ${seconds} s each; ratio = median of the per-run ratios to the sink's own req/s; every 2xx reached the sink in every run)"
