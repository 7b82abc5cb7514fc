-- Add members whose scores are delays from the server clock's now, as ZADD
-- would add them with now + delay. redset prepends clock_prelude.lua.
-- KEYS[1]: the set.
-- ARGV[2]: the ZADD flag ("NX", "GT", "LT"), or "" for none.
-- ARGV[3], ARGV[4], ...: delay in seconds, member, delay, member, ...
-- Returns the number of members added, as ZADD does.
local now = clock()
local command = {'ZADD', KEYS[1]}
if ARGV[2] ~= '' then
  command[#command + 1] = ARGV[2]
end
local head = #command
local added = 0
-- ZADD in slices of 500 pairs, because unpack() of a long table overflows
-- the Lua stack.
for i = 3, #ARGV, 2 do
  command[#command + 1] = exact(now + tonumber(ARGV[i]))
  command[#command + 1] = ARGV[i + 1]
  if #command - head == 1000 or i + 2 > #ARGV then
    added = added + redis.call(unpack(command))
    for j = #command, head + 1, -1 do
      command[j] = nil
    end
  end
end
return added
