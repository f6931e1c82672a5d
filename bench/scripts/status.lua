-- Counts responses by status code across wrk's threads and prints them when the run ends:
--   wrk ... -s bench/scripts/status.lua
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  counts = {}
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local line = "statuses:"
  for status, n in pairs(total) do
    line = line .. " " .. status .. "=" .. n
  end
  print(line)
  local e = summary.errors
  print(string.format("socket errors: connect=%d read=%d write=%d timeout=%d status=%d",
    e.connect, e.read, e.write, e.timeout, e.status))
end
