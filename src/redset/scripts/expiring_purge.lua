-- Remove every expired member; return how many were removed.
-- KEYS[1]: the set (member -> expiry time).
local now = clock()
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', exact(now))
