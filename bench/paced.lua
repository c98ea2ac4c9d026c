-- wrk script for bench/run's paced cases: every connection waits PAUSE_MS milliseconds after each answer before it
-- sends its next request, so the offered load stays far below saturation (64 connections and 8 ms: about 8,000
-- requests/s) and the latency measured is what the proxy adds, not queueing. Usage: wrk ... -s bench/paced.lua -- MS
-- Prints the same RESULT line as bench/report.lua.
dofile("bench/report.lua")

local pause_ms = 8

init = function(args)
  if args[1] then
    pause_ms = tonumber(args[1]) or pause_ms
  end
end

delay = function()
  return pause_ms
end
