-- The CRUD mix on the users API: 75 % GET /users/{id} (a seeded id, 1..SEEDED), 20 % POST /users/ with a new
-- name, 5 % DELETE of a user this script created (from the Location of its 201s), else a GET.
--   wrk ... -s bench/scripts/crud.lua http://127.0.0.1:8000 -- 20
-- Prints the status counts at the end; 404s would mean a read or delete of a missing user.
-- CRUD_DELAY_MS in the environment paces each connection (a pause before each request), for a soak below
-- saturation.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

init = function(args)
  seeded = tonumber(args[1]) or 20
  created = {}
  counts = {}
  n = 0
  math.randomseed(os.time() + id * 7919)
end

request = function()
  n = n + 1
  local r = math.random(100)
  if r <= 20 then
    local name = string.format("w%d-%d-%d", id, n, math.random(1000000))
    return wrk.format("POST", "/users/", { ["Content-Type"] = "application/json" },
      '{"username":"' .. string.sub(name, 1, 50) .. '"}')
  elseif r <= 25 and #created > 0 then
    local victim = table.remove(created)
    return wrk.format("DELETE", "/users/" .. victim)
  end
  return wrk.format("GET", "/users/" .. math.random(seeded))
end

local pace = tonumber(os.getenv("CRUD_DELAY_MS") or "0")
if pace > 0 then
  delay = function()
    return pace
  end
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then
    local location = headers["Location"] or headers["location"]
    if location then
      local created_id = string.match(location, "(%d+)$")
      -- Bounded, so that a long run's client keeps a constant heap (a growing Lua heap means longer
      -- collections inside wrk's event loop, which would show as server latency).
      if created_id and #created < 10000 then table.insert(created, created_id) end
    end
  end
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, c in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + c
    end
  end
  local line = "statuses:"
  for status, c in pairs(total) do line = line .. " " .. status .. "=" .. c end
  print(line)
end
