-- Head of the count script, placed after clock_prelude.lua and before
-- lease_prelude.lua, as lease_pop_head.lua is for pop. With nothing in
-- flight there is no lease to return and no member to pass over, so it
-- counts at once and skips defining lease_prelude's functions.
if redis.call('EXISTS', KEYS[2]) == 0 then
  local counted = ARGV[4]
  if counted == 'due' then
    return redis.call('ZCOUNT', KEYS[1], '-inf', exact(clock()))
  elseif counted == 'in_flight' then
    return 0
  elseif counted == 'dead' then
    return redis.call('ZCARD', KEYS[5])
  end
  return redis.call('ZCARD', KEYS[1])
end
