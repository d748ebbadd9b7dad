-- wrk script: POST one 200-byte event per request.
-- OBJECTS=distinct (default) spreads requests over 100,000 objects; OBJECTS=one sends all to one.
local pad = string.rep("x", 170)
local one = os.getenv("OBJECTS") == "one"
local counter = 0
-- Each thread runs in its own Lua state: setup (in the main state) numbers them, and each
-- reads its number from the global `thread_id` it is given.
local threads = 0

setup = function(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

request = function()
  counter = counter + 1
  local path
  if one then
    path = "/v1/objects/bench/one/events"
  else
    path = "/v1/objects/bench/o-" .. thread_id .. "-" .. (counter % 100000) .. "/events"
  end
  local body = '{"events":[{"type":"Deposited","data":{"n":' .. counter .. ',"pad":"' .. pad .. '"}}]}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
