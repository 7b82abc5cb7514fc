-- Count members after returning expired leases to the set.
-- ARGV[4]: "waiting" (every member of the set), "due" (members a pop could
-- hand out now: score at most now and not in flight), "in_flight" (members
-- under a lease) or "dead" (dead letters).
local counted = ARGV[4]
if counted == 'dead' then
  -- Without max_attempts, reclaim() does not read these keys before it
  -- writes, so a key of another Redis type would raise after leases ended.
  redis.call('ZCARD', dead)
  redis.call('HLEN', dead_info)
end
local busy = reclaim()
if counted == 'due' then
  local now = exact(clock())
  local due = redis.call('ZCOUNT', waiting, '-inf', now)
  if not busy then
    return due
  end
  -- Members added while in flight are in the set but are not handed out.
  local held = redis.call('HKEYS', lease_info)
  for start = 1, #held, 1000 do
    local stop = math.min(start + 999, #held)
    local scores = redis.call('ZMSCORE', waiting, unpack(held, start, stop))
    for n = 1, stop - start + 1 do
      local score = tonumber(scores[n])
      if score ~= nil and score <= tonumber(now) then
        due = due - 1
      end
    end
  end
  return due
elseif counted == 'in_flight' then
  return redis.call('ZCARD', leases)
elseif counted == 'dead' then
  return redis.call('ZCARD', dead)
end
return redis.call('ZCARD', waiting)
