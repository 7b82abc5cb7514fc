-- Move dead letters back into the set with their scores, as fresh items.
-- ARGV[4], ARGV[5], ...: the members to move; none means every dead letter.
-- A member that is in the set keeps its score. One that is in flight joins
-- the set as an add while in flight does, so it is handed out after its
-- lease ends.
-- Returns the number of dead letters moved.
check_types()
local members = {}
for i = 4, #ARGV do
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
    redis.call('ZADD', waiting, 'NX', score, member)
    moved = moved + 1
  end
end
return moved
