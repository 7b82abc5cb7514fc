-- Add members due a given number of seconds after the server clock's now.
-- KEYS[1]: the set.
-- ARGV[1]: the ZADD flag ("NX", "GT", "LT"), or "" for none.
-- ARGV[2], ARGV[3], ...: delay in seconds, member, delay, member, ...
-- Returns the number of members that were not in the set before.
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000

local added = 0
local args = {}
local function flush()
  if ARGV[1] ~= '' then
    added = added + redis.call('ZADD', KEYS[1], ARGV[1], unpack(args))
  else
    added = added + redis.call('ZADD', KEYS[1], unpack(args))
  end
  args = {}
end

-- ZADD in slices, because unpack() of a long table overflows the Lua stack.
for i = 2, #ARGV, 2 do
  args[#args + 1] = now + tonumber(ARGV[i])
  args[#args + 1] = ARGV[i + 1]
  if #args == 2000 then
    flush()
  end
end
if #args > 0 then
  flush()
end
return added
