-- wrk script of the benches through the gateway (view_bench.py, technician_bench.py): each request is a
-- GET of a line drawn at random from the sample file: "path" with BENCH_TOKEN as the access token, or
-- "token path" for a request as that token's user. `done` prints one JSON line.
local requests = {}
local default = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")

function init(args)
  for line in io.lines(args[1]) do
    local token, path = line:match("^(%S+) (%S+)$")
    requests[#requests + 1] = {path or line, {Authorization = token and ("Bearer " .. token) or default}}
  end
  math.randomseed(tonumber(args[2] or "1"))
end

function request()
  local r = requests[math.random(#requests)]
  return wrk.format("GET", r[1], r[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "failed": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
