-- Pop up to ARGV[5] members after returning expired leases to the set,
-- passing over members that are in flight.
-- ARGV[4]: "1" to pop only due members (ScheduledSet), else "".
-- ARGV[6]: "1" when the caller will wait for an item, else "".
-- Returns {now, lowest waiting score, earliest lease deadline, member1,
-- score1, ...}. The first three fields tell a waiting caller when to poll
-- again (see poll_hints), so they are false unless ARGV[6] is "1" and
-- nothing was popped.
local busy = reclaim()
local popped, members = take_waiting(ARGV[4] == '1', tonumber(ARGV[5]), busy)
-- A popped item starts over. HDEL on a missing hash costs no more than
-- EXISTS, so there is no check first.
call_sliced('HDEL', attempts, '', members)
local reply = {false, false, false}
if #popped == 0 and ARGV[6] == '1' then
  reply = poll_hints()
end
for i = 1, #popped do
  reply[i + 3] = popped[i]
end
return reply
