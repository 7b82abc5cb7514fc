-- Count the members that have not expired.
-- KEYS[1]: the set (member -> expiry time).
local now = clock()
return redis.call('ZCOUNT', KEYS[1], '(' .. exact(now), '+inf')
