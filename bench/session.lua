-- wrk script of bench/load.sh.
--
-- BENCH_COOKIE   "name=value" sent on every request (empty: no cookie, so a
--                server that makes sessions makes a new one per request).
-- BENCH_LIMIT    stop after this many responses (memory check) and create
--                the file BENCH_DONE_FILE, so that load.sh can end wrk with
--                SIGINT (wrk itself waits out its -d duration); unset: run
--                for wrk's -d duration.
-- done() prints one machine-readable line:
--   RESULT requests=N duration_us=N p50_us=N p99_us=N errors=N non2xx=N

local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local limit = tonumber(os.getenv("BENCH_LIMIT") or "")
if limit ~= nil then
  local seen = 0
  response = function(status, headers, body)
    seen = seen + 1
    if seen == limit then
      local marker = io.open(os.getenv("BENCH_DONE_FILE") or "/dev/null", "w")
      if marker ~= nil then
        marker:close()
      end
      wrk.thread:stop()
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
