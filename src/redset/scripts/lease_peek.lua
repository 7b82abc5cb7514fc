-- Read the waiting member at position ARGV[4] without removing it.
-- ARGV[3]: "1" to look only at due members (ScheduledSet), else "".
-- Returns {member, score}, or {} when fewer members wait.
reclaim()
local position = tonumber(ARGV[4])
if ARGV[3] == '1' then
  return redis.call('ZRANGE', waiting, '-inf', exact(clock()), 'BYSCORE',
                    'LIMIT', position, 1, 'WITHSCORES')
end
return redis.call('ZRANGE', waiting, position, position, 'WITHSCORES')
