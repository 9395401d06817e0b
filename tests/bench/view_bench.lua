-- wrk script of view_bench.py: each request is the 360 view of a customer drawn at random from the
-- sample file (one path per line); BENCH_TOKEN is the clerk's access token. `done` prints one JSON line.
local paths = {}
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  math.randomseed(tonumber(args[2] or "1"))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "failed": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
