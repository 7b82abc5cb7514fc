-- Keep or put back a member that BZPOPMIN removed from the set.
-- BZPOPMIN cannot run inside a script, so it may take a member that was
-- added while in flight, which must not be handed out before its lease
-- ends. Such a member goes back with its score. So does one that is in the
-- set again, because an expired lease, a release or an add returned it
-- meanwhile. The set then keeps the score it has (ZADD NX), because this
-- script cannot tell which of the two scores is the newer. The item is
-- handed out once, from the set.
-- ARGV[4]: the member. ARGV[5]: its score.
-- Returns 1 when the caller keeps the member, 0 when it went back.
local member = ARGV[4]
if in_flight(member) or redis.call('ZSCORE', waiting, member) then
  redis.call('ZADD', waiting, 'NX', ARGV[5], member)
  return 0
end
-- A popped item starts over.
redis.call('HDEL', attempts, member)
return 1
