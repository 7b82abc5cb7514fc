-- Count members after returning expired leases to the set.
-- ARGV[3]: "waiting" (every waiting member), "due" (waiting members whose
-- score is at most now) or "in_flight" (members under a lease).
reclaim()
local what = ARGV[3]
if what == 'due' then
  return redis.call('ZCOUNT', waiting, '-inf', now)
elseif what == 'in_flight' then
  return redis.call('ZCARD', leases)
end
return redis.call('ZCARD', waiting)
