-- Pop up to ARGV[4] members after returning expired leases to the set.
-- ARGV[3]: "1" to pop only due members (ScheduledSet), else "".
-- Returns {now, lowest waiting score, earliest lease deadline, member1,
-- score1, ...}. The two middle fields tell a waiting caller when to poll
-- again, so they are false when it popped something or when there is no
-- such member.
reclaim()
local popped = next_waiting(ARGV[3] == '1', tonumber(ARGV[4]))
for i = 1, #popped, 2 do
  redis.call('ZREM', waiting, popped[i])
  redis.call('HDEL', attempts, popped[i])
end
local reply = {exact(now), false, false}
if #popped == 0 then
  reply[2], reply[3] = lowest_score(), next_deadline()
end
for _, value in ipairs(popped) do
  reply[#reply + 1] = value
end
return reply
