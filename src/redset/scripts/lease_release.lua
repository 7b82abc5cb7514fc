-- Give a leased item back before its deadline.
-- ARGV[3]: member. ARGV[4]: token.
-- ARGV[5]: seconds from now until the item is due again (ScheduledSet), or
--          "" to keep its score from when it was claimed.
-- Returns 1, 2 when the item went to dead letters instead, or 0 when the
-- caller no longer holds the lease.
local member, token = ARGV[3], ARGV[4]
if not owns(member, token) then
  return 0
end
local score
if ARGV[5] == '' then
  score = redis.call('HGET', claimed_scores, member)
else
  score = exact(clock() + tonumber(ARGV[5]))
end
end_lease(member, score)
return 1 + #buried
