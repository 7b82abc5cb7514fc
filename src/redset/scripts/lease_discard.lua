-- Remove a member from the set. A lease on it stays valid.
-- ARGV[4]: the member.
-- Returns 1 when the member was in the set, else 0.
local member = ARGV[4]
local busy = reclaim()
-- HDEL comes before ZREM, so the set is read first: a set key of another
-- Redis type then raises WRONGTYPE before the count changes.
redis.call('ZCARD', waiting)
-- A member that is not in flight starts again from zero deliveries if it
-- is added later.
if not (busy and in_flight(member)) then
  redis.call('HDEL', attempts, member)
end
return redis.call('ZREM', waiting, member)
