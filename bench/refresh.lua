-- wrk script: one refresh-token grant per request, the same refresh token every time (Entra ID
-- keeps a refresh token valid after use until its inactivity or age limit). bench/run.sh sets
-- EXOMOCK_RT (the refresh token), EXOMOCK_CLIENT_ID, EXOMOCK_SECRET and EXOMOCK_SCOPE.
local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token"
  .. "&client_id=" .. encode(os.getenv("EXOMOCK_CLIENT_ID"))
  .. "&client_secret=" .. encode(os.getenv("EXOMOCK_SECRET"))
  .. "&scope=" .. encode(os.getenv("EXOMOCK_SCOPE"))
  .. "&refresh_token=" .. encode(os.getenv("EXOMOCK_RT"))

-- summary.errors.status counts answers that are not 2xx/3xx: a failed grant. run.sh refuses a run
-- that has any.
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
