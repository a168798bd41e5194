# SPDX-License-Identifier: MIT
# Drives the retry-worker benchmark; see run.sh. Speaks RESP over a raw socket (no `redis`
# module here). Prints one line per measurement and a summary with medians.
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

redrive, sink_binary, notification_path = sys.argv[1], sys.argv[2], sys.argv[3]
entries = int(os.environ.get("BENCH_ENTRIES", "100000"))
tutorial_entries = int(os.environ.get("BENCH_TUTORIAL_ENTRIES", "20000"))
stack_entries = int(os.environ.get("BENCH_STACK_ENTRIES", "5000"))
runs = int(os.environ.get("BENCH_RUNS", "3"))
concurrency = os.environ.get("BENCH_CONCURRENCY", "64")
idle_seconds = int(os.environ.get("BENCH_IDLE_SECONDS", "30"))


def load():
    return "load %.2f" % os.getloadavg()[0]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.reader = self.sock.makefile("rb")

    def __call__(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.reader.read(n + 2)[:-2]
        if kind == b":":
            return int(rest)
        if kind == b"-":
            raise RuntimeError(rest.decode())
        return rest


payload = open(notification_path, "rb").read().strip()
# Entries as the receiver writes them (compact, with an id), built server-side.
FILL = b"""
local t = redis.call('TIME')
for i = 1, tonumber(ARGV[1]) do
  local e = '{"original_payload":' .. ARGV[2] .. ',"error_message":"HTTP 503","status_code":503,'
    .. '"timestamp":"2026-11-28T10:00:00.000Z","retry_count":0,"id":"bench-' .. i .. '"}'
  redis.call('LPUSH', KEYS[1], e)
  if ARGV[3] == '1' then
    redis.call('ZADD', KEYS[2], t[1] * 1000 + 3600000, e)
  end
end
"""

work = tempfile.mkdtemp(prefix="redrive-bench-")
redis_port, sink_port = free_port(), free_port()
redis_proc = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", work],
                              stdout=subprocess.DEVNULL)
sink = subprocess.Popen([sink_binary, str(sink_port)])
time.sleep(0.5)
r = Redis(redis_port)
env = dict(os.environ, XDG_CONFIG_HOME=work + "/config", XDG_DATA_HOME=work + "/data",
           QT_LOGGING_RULES="redrive.*.info=false")


def sink_count():
    conn = http.client.HTTPConnection("127.0.0.1", sink_port)
    conn.request("GET", "/count")
    count = int(conn.getresponse().read())
    conn.close()
    return count


def fill(n, future=False):
    r("FLUSHALL")
    r("EVAL", FILL, 2, "genesys_webhook_dlq", "genesys_webhook_dlq:schedule", n, payload,
      "1" if future else "0")
    assert r("LLEN", "genesys_webhook_dlq") == n


def start_redrive():
    return subprocess.Popen([redrive, "--headless", "--worker-only",
                             "--redis", "redis://127.0.0.1:%d/0" % redis_port,
                             "--downstream", "http://127.0.0.1:%d/hook" % sink_port,
                             "--concurrency", concurrency], env=env, stderr=subprocess.DEVNULL)


def redrive_drain(n):
    fill(n)
    r("CONFIG", "RESETSTAT")
    base = sink_count()
    start = time.monotonic()
    proc = start_redrive()
    while True:
        time.sleep(0.02)
        if r("LLEN", "genesys_webhook_dlq") == 0 and sink_count() - base >= n:
            break
    elapsed = time.monotonic() - start
    if os.environ.get("BENCH_STATS"):
        print(r("INFO", "commandstats").decode())
    proc.terminate()
    proc.wait()
    return elapsed


def run_loop(script, n):
    """Fills the DLQ with n entries and returns the seconds `script` took to drain them."""
    fill(n)
    out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), script),
                          str(redis_port), str(sink_port), str(n)],
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def tutorial_drain(n):
    return run_loop("tutorial_loop.py", n)


def tutorial_stack_drain(n):
    """The same loop with redis-py and requests, as the tutorial writes it; None when the
    modules are missing (Debian: python3-redis python3-requests)."""
    try:
        import redis  # noqa: F401
        import requests  # noqa: F401
    except ImportError:
        return None
    return run_loop("tutorial_stack_loop.py", n)


def idle_cpu():
    fill(10000, future=True)
    proc = start_redrive()
    time.sleep(3)
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu(pid):
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    before, redis_before = cpu(proc.pid), cpu(redis_proc.pid)
    time.sleep(idle_seconds)
    used = (cpu(proc.pid) - before) / ticks
    print("idle: redis-server used %.2f %% of one core meanwhile"
          % ((cpu(redis_proc.pid) - redis_before) / ticks / idle_seconds * 100.0))
    proc.terminate()
    proc.wait()
    return used / idle_seconds * 100.0, r("LLEN", "genesys_webhook_dlq")


try:
    ours, theirs, stack = [], [], []
    for i in range(runs):
        t = redrive_drain(entries)
        ours.append(entries / t)
        print("redrive  run %d: %d entries in %.2f s = %.0f entries/s (%s)" % (
            i + 1, entries, t, entries / t, load()))
        t = tutorial_drain(tutorial_entries)
        theirs.append(tutorial_entries / t)
        print("tutorial run %d: %d entries in %.2f s = %.0f entries/s (%s)" % (
            i + 1, tutorial_entries, t, tutorial_entries / t, load()))
        t = tutorial_stack_drain(stack_entries)
        if t is None:
            print("tutorial with redis-py + requests: skipped (python3-redis, python3-requests "
                  "not installed)")
        else:
            stack.append(stack_entries / t)
            print("tutorial with redis-py + requests run %d: %d entries in %.2f s = %.0f "
                  "entries/s (%s)" % (i + 1, stack_entries, t, stack_entries / t, load()))
        sys.stdout.flush()
    cpu, left = idle_cpu()
    print("idle: %.2f %% of one core over %d s with 10000 entries due in 1 h (%d still queued)"
          % (cpu, idle_seconds, left))
    if not ours:
        sys.exit(0)
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print("median: redrive %.0f entries/s, tutorial loop %.0f entries/s, ratio %.1fx"
          % (mo, mt, mo / mt))
    if stack:
        ms = statistics.median(stack)
        print("median: tutorial with redis-py + requests %.0f entries/s, ratio %.1fx"
              % (ms, mo / ms))
        # The ratio of each run (same machine state for both), and the median of those.
        ratios = [o / s for o, s in zip(ours, stack)]
        print("per-run ratios to the tutorial as written: %s; median %.1fx"
              % (", ".join("%.1fx" % x for x in ratios), statistics.median(ratios)))
finally:
    sink.terminate()
    redis_proc.terminate()
