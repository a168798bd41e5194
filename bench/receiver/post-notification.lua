-- SPDX-License-Identifier: MIT
-- wrk script: POSTs the sample Genesys notification (path of the file in NOTIFICATION_FILE)
-- and counts the answers by status, so run.sh can check them against the list length.
local path = os.getenv("NOTIFICATION_FILE") or "tests/data/genesys-notification.json"
local file = assert(io.open(path, "rb"))
local body = file:read("*a"):gsub("%s+$", "")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local secret = os.getenv("REDRIVE_SHARED_SECRET")
if secret and secret ~= "" then
  wrk.headers["X-Redrive-Secret"] = secret
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local ok = 0
  for status, count in pairs(totals) do
    io.write(string.format("status %d: %d\n", status, count))
    if status >= 200 and status < 300 then ok = ok + count end
  end
  io.write(string.format("2xx %d\n", ok))
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("errors connect %d read %d write %d status %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("req/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
