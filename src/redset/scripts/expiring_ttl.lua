-- Return the seconds a member has left, or false when absent or expired.
-- KEYS[1]: the set (member -> expiry time).
-- ARGV[2]: the member.
local now = clock()
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
if expiry == nil or expiry <= now then
  return false
end
return exact(expiry - now)
