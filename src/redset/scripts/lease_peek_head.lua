-- Head of the peek script, placed after clock_prelude.lua and before
-- lease_prelude.lua, as lease_pop_head.lua is for pop. With nothing in
-- flight no member is passed over, so it reads the member at once and
-- skips defining lease_prelude's functions.
if redis.call('EXISTS', KEYS[2]) == 0 then
  local position = tonumber(ARGV[5])
  if ARGV[4] == '1' then
    return redis.call('ZRANGE', KEYS[1], '-inf', exact(clock()), 'BYSCORE',
                      'LIMIT', position, 1, 'WITHSCORES')
  end
  return redis.call('ZRANGE', KEYS[1], position, position, 'WITHSCORES')
end
