# SPDX-License-Identifier: MIT
# The tutorial's process_dlq loop made as lean as Python allows, for comparison: BRPOP one
# entry, json.loads it, POST its original_payload downstream, wait for the answer, repeat. BRPOP
# is spoken as raw RESP over one socket and the POST uses http.client over one kept-alive
# connection: both cheaper than redis-py and requests.post, which tutorial_stack_loop.py uses.
import http.client
import json
import socket
import sys
import time

redis_port, sink_port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sock = socket.create_connection(("127.0.0.1", redis_port))
reader = sock.makefile("rb")


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read_reply()


def read_reply():
    line = reader.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read_reply() for _ in range(n)]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)
        return data[:-2]
    if kind == b":":
        return int(rest)
    if kind == b"-":
        raise RuntimeError(rest.decode())
    return rest


http_conn = http.client.HTTPConnection("127.0.0.1", sink_port)
done = 0
start = time.monotonic()
while done < count:
    item = command("BRPOP", "genesys_webhook_dlq", 1)
    if not item:
        continue
    entry = json.loads(item[1])
    payload = entry["original_payload"]
    http_conn.request("POST", "/hook", body=json.dumps(payload),
                      headers={"Content-Type": "application/json"})
    response = http_conn.getresponse()
    response.read()
    if response.status >= 300:
        entry["retry_count"] = entry.get("retry_count", 0) + 1
        command("RPUSH", "genesys_webhook_dlq", json.dumps(entry))
    done += 1
elapsed = time.monotonic() - start
print("%.3f" % elapsed)
