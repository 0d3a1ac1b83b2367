-- wrk script for bench/run: prints wrk's summary as one JSON line (latencies in microseconds); when
-- BENCH_POST_BYTES is set, sends every request as a POST with a body of that many bytes; when BENCH_SLOW_PATH is set,
-- sends every BENCH_SLOW_EVERY-th request of each wrk thread to that path instead.
local post_bytes = tonumber(os.getenv("BENCH_POST_BYTES") or "0")
if post_bytes > 0 then
  wrk.method = "POST"
  wrk.body = string.rep("x", post_bytes)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

local slow_path = os.getenv("BENCH_SLOW_PATH") or ""
if slow_path ~= "" then
  local slow_every = tonumber(os.getenv("BENCH_SLOW_EVERY") or "50")
  local fast, slow, sent
  init = function(args)
    fast, slow, sent = wrk.format(nil, wrk.path), wrk.format(nil, slow_path), 0
  end
  request = function()
    sent = sent + 1
    if sent % slow_every == 0 then return slow end
    return fast
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
