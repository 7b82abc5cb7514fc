-- Count the members whose score (due time) is at most now.
-- KEYS[1]: the set.
-- ARGV[1]: now in Unix seconds, or "" to read the server clock.
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end
return redis.call('ZCOUNT', KEYS[1], '-inf', now)
