-- Remove a member; return 1 when it had not expired, else 0.
-- KEYS[1]: the set (member -> expiry time).
-- ARGV[2]: the member.
local now = clock()
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
redis.call('ZREM', KEYS[1], ARGV[2])
if expiry ~= nil and expiry > now then
  return 1
end
return 0
