-- Move dead letters back into the set with their scores, as fresh items.
-- ARGV[3], ARGV[4], ...: the members to move; none means every dead letter.
-- A member that is waiting keeps its place, and one that is in flight is
-- deferred as an add while in flight would be.
-- Returns the number of dead letters moved.
local members = {}
for i = 3, #ARGV do
  members[#members + 1] = ARGV[i]
end
if #members == 0 then
  members = redis.call('ZRANGE', dead, 0, -1)
end
local moved = 0
for _, member in ipairs(members) do
  local score = redis.call('ZSCORE', dead, member)
  if score then
    redis.call('ZREM', dead, member)
    redis.call('HDEL', dead_info, member)
    if in_flight(member) then
      if redis.call('HEXISTS', readded, member) == 0 then
        redis.call('HSET', readded, member, 'NX ' .. score)
      end
    else
      redis.call('ZADD', waiting, 'NX', score, member)
    end
    moved = moved + 1
  end
end
return moved
