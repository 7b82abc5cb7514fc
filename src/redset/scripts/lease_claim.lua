-- Claim up to ARGV[5] items: move them from the set to the in-flight record.
-- Members that are in flight already are passed over.
-- ARGV[4]: "1" to claim only due members (ScheduledSet), else "".
-- ARGV[5]: the maximum number of members to claim.
-- ARGV[6]: the lease in seconds.
-- ARGV[7]: a random prefix that makes each fencing token unique. The n-th
-- member claimed gets the token "<prefix>:<n>", which the caller derives
-- the same way, so the reply leaves tokens out.
-- ARGV[8]: "1" when the caller will wait for an item, else "".
-- ARGV[9], ARGV[10], ...: member, token pairs of leases to finish first, as
-- lease_ack.lua does, so a worker acks and claims in one round trip.
-- Returns {deadline, B, [leases finished,] B members moved to dead letters,
-- member1, attempts1, member2, ...}, where the count of leases finished is
-- there only when ARGV[9] is. When ARGV[8] is "1" and nothing was claimed,
-- the deadline is false and the three poll hints (see poll_hints) follow
-- the dead letters instead, to tell the caller when to poll again.
-- Every element of the reply costs the client time to parse, so it sends
-- nothing the caller has already.
-- The acks write first. Reading the keys that only the claim writes makes
-- a key of another Redis type raise WRONGTYPE before the acks change
-- anything. Only with max_attempts can the claim move expired leases to
-- dead letters (see end_lease).
if #ARGV >= 9 then
  redis.call('ZCARD', waiting)
  if max_attempts then
    redis.call('ZCARD', dead)
    redis.call('HLEN', dead_info)
  end
end
local finished = finish_leases(9)
local busy = reclaim()
local picked = take_waiting(ARGV[4] == '1', tonumber(ARGV[5]), busy)
local now = clock()
local deadline = exact(now + tonumber(ARGV[6]))
local claimed = {}
local lease_pairs, info_pairs = {}, {}
for i = 1, #picked, 2 do
  local member, score = picked[i], picked[i + 1]
  local token = ARGV[7] .. ':' .. ((i + 1) / 2)
  lease_pairs[#lease_pairs + 1] = deadline
  lease_pairs[#lease_pairs + 1] = member
  info_pairs[#info_pairs + 1] = member
  info_pairs[#info_pairs + 1] = token .. ' ' .. deadline .. ' ' .. score
  claimed[#claimed + 1] = member
  -- HINCRBY fails on a count that another client overwrote with a value
  -- that is not an integer. The batch has left the set by then, so the
  -- count starts over instead of the claim failing and losing the batch.
  local count = redis.pcall('HINCRBY', attempts, member, 1)
  if type(count) == 'table' then
    redis.call('HSET', attempts, member, 1)
    count = 1
  end
  claimed[#claimed + 1] = count
end
call_sliced('ZADD', leases, '', lease_pairs)
call_sliced('HSET', lease_info, '', info_pairs)

local reply = {deadline, #buried}
if #ARGV >= 9 then
  reply[3] = finished
end
for _, member in ipairs(buried) do
  reply[#reply + 1] = member
end
if #claimed == 0 and ARGV[8] == '1' then
  reply[1] = false
  for _, hint in ipairs(poll_hints(busy)) do
    reply[#reply + 1] = hint
  end
end
for _, value in ipairs(claimed) do
  reply[#reply + 1] = value
end
return reply
