# SPDX-License-Identifier: MIT
# The tutorial's process_dlq with the tutorial's own libraries: redis-py's BRPOP, json.loads,
# and, where the tutorial says "replace this with your actual business logic", a
# requests.post of original_payload to the downstream (one call per entry, as the tutorial's
# code calls requests.post). A failed POST re-queues the entry with retry_count + 1, as the
# tutorial does. Prints the seconds it took to handle `count` entries.
import json
import sys
import time

import redis
import requests

redis_port, sink_port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
redis_client = redis.Redis(host="127.0.0.1", port=redis_port, db=0)
url = "http://127.0.0.1:%d/hook" % sink_port

done = 0
start = time.monotonic()
while done < count:
    item = redis_client.brpop("genesys_webhook_dlq", timeout=1)
    if not item:
        continue
    _, json_data = item
    entry = json.loads(json_data)
    payload = entry["original_payload"]
    response = requests.post(url, json=payload, timeout=10)
    if response.status_code >= 300:
        entry["retry_count"] = entry.get("retry_count", 0) + 1
        redis_client.rpush("genesys_webhook_dlq", json.dumps(entry))
    done += 1
print("%.3f" % (time.monotonic() - start))
