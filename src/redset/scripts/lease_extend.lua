-- Move a lease's deadline to now + ARGV[5] seconds.
-- ARGV[3]: member. ARGV[4]: token.
-- Returns the new deadline, or false when the caller no longer holds the lease.
local member, token = ARGV[3], ARGV[4]
if not owns(member, token) then
  return false
end
local deadline = exact(clock() + tonumber(ARGV[5]))
redis.call('ZADD', leases, 'XX', deadline, member)
return deadline
