-- wrk script for bench/signup.sh: every request is a JSON signup of an
-- address nobody used before (a per-run random prefix, the thread's number
-- and a per-thread counter), so each one takes Herald's full path: new
-- subscriber, pending subscription, consent log, token and queued email.
-- done() prints one machine-readable line that signup.sh parses.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local prefix, counter, newsletter
local headers = {
  ["Content-Type"] = "application/json",
  ["User-Agent"] = "herald-bench/wrk",
}

function init(args)
  newsletter = os.getenv("BENCH_NEWSLETTER") or "daily"
  -- The run's prefix keeps addresses apart across runs into one database;
  -- the random part keeps them apart if two runs share a prefix.
  math.randomseed(os.time() * 1000 + tid)
  prefix = (os.getenv("BENCH_RUN") or "r") .. string.format("%06x", math.random(0, 0xffffff))
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"%s-%d-%d@bench.example","newsletter":"%s"}',
    prefix, tid, counter, newsletter)
  return wrk.format("POST", "/subscriptions", headers, body)
end

-- wrk itself counts only statuses over 399; every answer but a 2xx counts
-- here (a global, so done() can read it from each thread).
non2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, bad, e.connect, e.read, e.write, e.timeout))
end
