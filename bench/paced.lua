-- wrk script for bench/run's paced and light-load cases: every connection waits PAUSE_MS milliseconds after each
-- answer before it sends its next request, so the offered load stays far below saturation (64 connections and 8 ms:
-- about 8,000 requests/s) and the latency measured is what the proxy adds, not queueing.
-- Usage: wrk ... -s bench/paced.lua -- MS [JITTER]
-- JITTER (0..1, default 0) draws each pause uniformly from MS*(1-JITTER)..MS*(1+JITTER). With fixed pauses, wrk's
-- connections stay in step: each wrk thread sends its connections' requests together, as one burst every MS.
-- Prints the same RESULT line as bench/report.lua.
dofile("bench/report.lua")

local pause_ms = 8
local jitter = 0

init = function(args)
  if args[1] then
    pause_ms = tonumber(args[1]) or pause_ms
  end
  if args[2] then
    jitter = math.min(math.max(tonumber(args[2]) or 0, 0), 1)
  end
  -- One seed per wrk thread (each has its own Lua state at its own address).
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003))
end

delay = function()
  if jitter == 0 then
    return pause_ms
  end
  return math.floor(pause_ms * (1 - jitter + 2 * jitter * math.random()) + 0.5)
end
