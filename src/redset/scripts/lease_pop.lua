-- Pop up to ARGV[5] members after returning expired leases to the set,
-- passing over members that are in flight.
-- ARGV[4]: "1" to pop only due members (ScheduledSet), else "".
-- ARGV[6]: "1" when the caller will wait for an item, else "".
-- Returns {member1, score1, ...}. When ARGV[6] is "1" and nothing was
-- popped, returns the three poll hints instead (see poll_hints), which
-- tell the caller when to poll again. Their odd count sets them apart.
-- The reply is kept short because every element costs the client time to
-- parse.
local busy = reclaim()
local popped, members = take_waiting(ARGV[4] == '1', tonumber(ARGV[5]), busy)
-- A popped item starts over. For one member, HDEL on a missing hash costs
-- no more than EXISTS. For many, passing them all to HDEL costs more, so
-- EXISTS comes first.
if #members == 1 or (#members > 1 and redis.call('EXISTS', attempts) == 1) then
  call_sliced('HDEL', attempts, '', members)
end
if #popped == 0 and ARGV[6] == '1' then
  return poll_hints(busy)
end
return popped
