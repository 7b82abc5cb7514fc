-- Remove members from the set, as lease_discard.lua does for one member.
-- A lease on a member stays valid.
-- redset prepends clock_prelude.lua and lease_prelude.lua, which name the
-- keys, so expired leases return to the set first and are removed too.
-- ARGV[4], ARGV[5], ...: the members.
-- Returns the number of members that were in the set.
local busy = reclaim()
local removed = 0
for i = 4, #ARGV do
  local member = ARGV[i]
  removed = removed + redis.call('ZREM', waiting, member)
  if not (busy and in_flight(member)) then
    redis.call('HDEL', attempts, member)
  end
end
return removed
