-- Count the members that have not expired.
-- KEYS[1]: the set (member -> expiry time).
return redis.call('ZCOUNT', KEYS[1], '(' .. exact(now), '+inf')
