# SPDX-License-Identifier: MIT
# The forwarding peer in the tutorial's stack: a Flask app (run under gunicorn -w2 by
# bench/receiver/forward.sh) that takes the notification, POSTs it downstream with
# requests.post and answers 200 when the downstream took it. Like the tutorial, a delivery the
# downstream refuses is LPUSHed to the dead-letter list with redis-py and still answered 200.
import json
import os
from datetime import datetime, timezone

import redis
import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
downstream_url = os.environ["DOWNSTREAM_URL"]
redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.route("/webhook", methods=["POST"])
def webhook():
    payload = request.get_json()
    try:
        response = requests.post(downstream_url, json=payload, timeout=10)
        if response.status_code < 300:
            return jsonify(status="processed"), 200
        error = "HTTP %d" % response.status_code
    except requests.RequestException as e:
        error = str(e)
    entry = {"original_payload": payload, "error_message": error,
             "timestamp": datetime.now(timezone.utc).isoformat(), "retry_count": 0}
    redis_client.lpush("genesys_webhook_dlq", json.dumps(entry))
    return jsonify(status="deferred_to_dlq"), 200
