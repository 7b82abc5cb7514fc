-- Give a leased item back before its deadline.
-- ARGV[4]: member. ARGV[5]: token.
-- ARGV[6]: seconds from now until the item is due again (ScheduledSet), or
--          "" to keep its score from when it was claimed.
-- Returns 1, 2 when the item went to dead letters instead, or 0 when the
-- caller no longer holds the lease.
local member, token = ARGV[4], ARGV[5]
if not owns(member, token) then
  return 0
end
local score
if ARGV[6] == '' then
  score = claimed_score(member)
else
  score = exact(clock() + tonumber(ARGV[6]))
end
end_lease(member, score)
return 1 + #buried
