-- Remove waiting members, and cancel the adds deferred for those in flight,
-- as lease_discard.lua does for one member. A lease on a member stays valid.
-- redset prepends clock_prelude.lua and lease_prelude.lua, which name the
-- keys, so expired leases return to the set first and are removed too.
-- ARGV[3], ARGV[4], ...: the members.
-- Returns the number of members that were waiting or had a deferred add.
reclaim()
local removed = 0
for i = 3, #ARGV do
  local member = ARGV[i]
  local found = redis.call('ZREM', waiting, member)
  found = found + redis.call('HDEL', readded, member)
  if not in_flight(member) then
    redis.call('HDEL', attempts, member)
  end
  if found > 0 then
    removed = removed + 1
  end
end
return removed
