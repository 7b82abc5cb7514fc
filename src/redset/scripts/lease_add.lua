-- Add members, deferring the add of a member that is in flight.
-- ARGV[3]: the ZADD flag ("NX", "GT", "LT"), or "" for none.
-- ARGV[4]: "1" when scores are delays in seconds from now, else "".
-- ARGV[5], ARGV[6], ...: score, member, score, member, ...
-- Returns the number of members that were neither waiting nor already
-- re-added while in flight.
local flag = ARGV[3]

-- Record an add of an in-flight member, merged with an earlier deferred add
-- as ZADD with this flag would merge them. Returns 1 when the member had no
-- deferred add yet, else 0.
local function defer_add(member, score)
  local mark = redis.call('HGET', readded, member)
  local fresh = 1
  if mark then
    fresh = 0
    local old_score = string.match(mark, '^%a* (.+)$')
    local old, new = tonumber(old_score), tonumber(score)
    if flag == 'NX' or (flag == 'GT' and new <= old)
        or (flag == 'LT' and new >= old) then
      score = old_score
    end
  end
  redis.call('HSET', readded, member, flag .. ' ' .. score)
  return fresh
end

local values, first = ARGV, 5
if ARGV[4] == '1' then
  local now = clock()
  values, first = {}, 1
  for i = 5, #ARGV, 2 do
    values[#values + 1] = exact(now + tonumber(ARGV[i]))
    values[#values + 1] = ARGV[i + 1]
  end
end

if not reclaim() then
  -- Nothing is in flight, so every pair goes straight to the set.
  return call_sliced('ZADD', waiting, flag, values, first)
end

-- Some items are in flight. For each slice of pairs, one HMGET finds which
-- members are, one ZADD adds the others, and each in-flight one is deferred.
-- A member is in flight or not for the whole script, so splitting a slice
-- this way keeps the order of the adds to each member.
local added = 0
for start = first, #values, 1000 do
  local stop = math.min(start + 999, #values)
  local members = {}
  for i = start + 1, stop, 2 do
    members[#members + 1] = values[i]
  end
  local held = redis.call('HMGET', tokens, unpack(members))
  local free = {}
  for n, member in ipairs(members) do
    local score = values[start + 2 * n - 2]
    if held[n] then
      added = added + defer_add(member, score)
    else
      free[#free + 1] = score
      free[#free + 1] = member
    end
  end
  added = added + call_sliced('ZADD', waiting, flag, free)
end
return added
