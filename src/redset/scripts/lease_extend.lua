-- Move a lease's deadline to now + ARGV[6] seconds.
-- ARGV[4]: member. ARGV[5]: token.
-- Returns the new deadline, or false when the caller no longer holds the lease.
local member, token = ARGV[4], ARGV[5]
local info = redis.call('HGET', lease_info, member)
if not held_by(info, token) then
  return false
end
local _, _, score = split_info(info)
local deadline = exact(clock() + tonumber(ARGV[6]))
redis.call('ZADD', leases, 'XX', deadline, member)
redis.call('HSET', lease_info, member, token .. ' ' .. deadline .. ' ' .. score)
return deadline
