-- Remove a waiting member, and cancel an add deferred while it is in flight.
-- ARGV[3]: the member. A lease on it stays valid.
-- Returns 1 when a waiting member or a deferred add was removed, else 0.
local member = ARGV[3]
if not reclaim() then
  -- Nothing is in flight, so no add is deferred and no lease needs the
  -- member's delivery count.
  redis.call('HDEL', attempts, member)
  return redis.call('ZREM', waiting, member)
end
local removed = redis.call('ZREM', waiting, member)
removed = removed + redis.call('HDEL', readded, member)
if not in_flight(member) then
  redis.call('HDEL', attempts, member)
end
if removed > 0 then
  return 1
end
return 0
