-- Read the due member at a position without removing it.
-- KEYS[1]: the set.
-- ARGV[1]: now in Unix seconds, or "" to read the server clock.
-- ARGV[2]: the position among due members, 0 for the next one out.
-- Returns {member, score}, or {} when fewer due members exist.
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end
return redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE',
                  'LIMIT', tonumber(ARGV[2]), 1, 'WITHSCORES')
