-- wrk script for bench/run: prints one machine-readable line at the end of a run, with requests per second and
-- latency percentiles in microseconds. wrk counts a status above 399 as an error (status_err); so do we.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d p999_us=%d bytes_per_req=%.0f " ..
    "connect_err=%d read_err=%d write_err=%d timeout_err=%d status_err=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.requests > 0 and summary.bytes / summary.requests or 0,
    e.connect, e.read, e.write, e.timeout, e.status))
end
