-- Pop up to ARGV[4] members after returning expired leases to the set.
-- ARGV[3]: "1" to pop only due members (ScheduledSet), else "".
-- Returns {now, lowest remaining score or false, earliest lease deadline or
-- false, member1, score1, ...}.
reclaim()
local popped = next_waiting(ARGV[3] == '1', tonumber(ARGV[4]))
for i = 1, #popped, 2 do
  redis.call('ZREM', waiting, popped[i])
  redis.call('HDEL', attempts, popped[i])
end
local reply = {exact(now), lowest_score(), next_deadline()}
for _, value in ipairs(popped) do
  reply[#reply + 1] = value
end
return reply
