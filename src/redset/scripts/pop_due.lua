-- Pop up to ARGV[2] members whose score (due time) is at most now.
-- KEYS[1]: the set.
-- ARGV[1]: now in Unix seconds, or "" to read the server clock.
-- ARGV[2]: the maximum number of members to pop.
-- Returns {now, lowest remaining score or false, member1, score1, ...}.
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end

local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE',
                       'LIMIT', 0, tonumber(ARGV[2]), 'WITHSCORES')

-- ZREM in slices, because unpack() of a long table overflows the Lua stack.
local members = {}
for i = 1, #due, 2 do
  members[#members + 1] = due[i]
  if #members == 1000 then
    redis.call('ZREM', KEYS[1], unpack(members))
    members = {}
  end
end
if #members > 0 then
  redis.call('ZREM', KEYS[1], unpack(members))
end

local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reply = {string.format('%.17g', now), next_due[2] or false}
for i = 1, #due do
  reply[#reply + 1] = due[i]
end
return reply
