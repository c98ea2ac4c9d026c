-- wrk script for bench/run: password logins as fast as the gateway takes them, to fill its session store with
-- real sessions. One POST per login: the pre-login CSRF cookie is any well-formed token that matches the form's.
-- Each wrk thread stops after BULK_PER_THREAD answers of 303 (a new session) and leaves a file in BULK_DONE_DIR;
-- bench/run then ends wrk with SIGINT (wrk itself would idle until -d, which bounds the time).
local per_thread = tonumber(os.getenv("BULK_PER_THREAD") or "0")
local done_dir = os.getenv("BULK_DONE_DIR") or "."
local token = "benchbenchbenchbench00"

wrk.method = "POST"
wrk.path = "/.portvakt/login"
wrk.body = "csrf=" .. token .. "&username=" .. (os.getenv("BULK_USER") or "bulk") ..
  "&password=" .. (os.getenv("BULK_PASSWORD") or "bulk-password") .. "&rd=%2Fapp%2F"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "portvakt-csrf=" .. token

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

init = function(args)
  created = 0
  other = 0
end

response = function(status, headers, body)
  if status == 303 then created = created + 1 else other = other + 1 end
  if created >= per_thread and not finished then
    finished = true
    local f = io.open(done_dir .. "/done-" .. id, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("BULK sessions=%d other=%d seconds=%.1f\n", c, o, summary.duration / 1e6))
end
