-- Add members, deferring the add of a member that is in flight.
-- ARGV[3]: the ZADD flag ("NX", "GT", "LT"), or "" for none.
-- ARGV[4]: "1" when scores are delays in seconds from now, else "".
-- ARGV[5], ARGV[6], ...: score, member, score, member, ...
-- Returns the number of members that were neither waiting nor already
-- re-added while in flight.
reclaim()
local flag, relative = ARGV[3], ARGV[4] == '1'
local added = 0
for i = 5, #ARGV, 2 do
  local score, member = ARGV[i], ARGV[i + 1]
  if relative then
    score = exact(now + tonumber(score))
  end
  if in_flight(member) then
    -- Merge with an earlier deferred add as ZADD with this flag would.
    local mark = redis.call('HGET', readded, member)
    if mark then
      local old = tonumber(string.match(mark, '^%a* (.+)$'))
      local new = tonumber(score)
      if flag == 'NX' or (flag == 'GT' and new <= old)
          or (flag == 'LT' and new >= old) then
        score = string.match(mark, '^%a* (.+)$')
      end
    else
      added = added + 1
    end
    redis.call('HSET', readded, member, flag .. ' ' .. score)
  else
    added = added + zadd(waiting, flag, score, member)
  end
end
return added
