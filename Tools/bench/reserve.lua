-- wrk script: POST a reserve command of one unit for a new order to ONE SKU (inventory/flash),
-- each order id unique across threads. The SKU must be restocked first.
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
  local body = '{"orderId":"w-' .. thread_id .. '-' .. counter .. '","qty":1,"ttlSeconds":86400}'
  return wrk.format("POST", "/v1/objects/inventory/flash/commands/reserve", {["Content-Type"] = "application/json"}, body)
end
