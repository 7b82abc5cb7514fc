-- Claim up to ARGV[4] items: move them from the set to the in-flight record.
-- ARGV[3]: "1" to claim only due members (ScheduledSet), else "".
-- ARGV[4]: the maximum number of members to claim.
-- ARGV[5]: the lease in seconds.
-- ARGV[6]: a random prefix that makes each fencing token unique.
-- Returns {now, deadline, lowest waiting score, earliest lease deadline,
-- B, B members moved to dead letters, member1, token1, attempts1, ...}.
-- The score and lease deadline tell a waiting caller when to poll again, so
-- they are false when it claimed something or when there is no such member.
reclaim()
local picked = next_waiting(ARGV[3] == '1', tonumber(ARGV[4]))
local deadline = exact(now + tonumber(ARGV[5]))
local claimed = {}
for i = 1, #picked, 2 do
  local member, score = picked[i], picked[i + 1]
  local token = ARGV[6] .. ':' .. ((i + 1) / 2)
  redis.call('ZREM', waiting, member)
  redis.call('ZADD', leases, deadline, member)
  redis.call('HSET', tokens, member, token)
  redis.call('HSET', claimed_scores, member, score)
  local count = redis.call('HINCRBY', attempts, member, 1)
  claimed[#claimed + 1] = member
  claimed[#claimed + 1] = token
  claimed[#claimed + 1] = count
end

local reply = {exact(now), deadline, false, false, #buried}
if #claimed == 0 then
  reply[3], reply[4] = lowest_score(), next_deadline()
end
for _, member in ipairs(buried) do
  reply[#reply + 1] = member
end
for _, value in ipairs(claimed) do
  reply[#reply + 1] = value
end
return reply
