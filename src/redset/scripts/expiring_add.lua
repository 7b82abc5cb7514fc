-- Add or refresh a member that expires ARGV[2] seconds from now.
-- KEYS[1]: the set (member -> expiry time).
-- ARGV[3]: the member.
-- Returns 1 when the member was absent or expired, else 0.
local now = clock()
local old = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[3]))
redis.call('ZADD', KEYS[1], exact(now + tonumber(ARGV[2])), ARGV[3])
if old == nil or old <= now then
  return 1
end
return 0
