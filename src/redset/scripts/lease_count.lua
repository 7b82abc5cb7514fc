-- Count members after returning expired leases to the set.
-- ARGV[3]: "waiting" (every waiting member), "due" (waiting members whose
-- score is at most now), "in_flight" (members under a lease) or "dead"
-- (dead letters).
reclaim()
local counted = ARGV[3]
if counted == 'due' then
  return redis.call('ZCOUNT', waiting, '-inf', exact(clock()))
elseif counted == 'in_flight' then
  return redis.call('ZCARD', leases)
elseif counted == 'dead' then
  return redis.call('ZCARD', dead)
end
return redis.call('ZCARD', waiting)
