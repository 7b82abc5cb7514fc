-- Keep or put back a member that BZPOPMIN removed from the set.
-- BZPOPMIN cannot run inside a script, so it may take a member that was
-- added while in flight, which must not be handed out before its lease
-- ends. Such a member goes back with its score. So does one that is in the
-- set again, because an expired lease or an add returned it meanwhile: the
-- set holds that item once, and it is handed out from there. Putting it
-- back is an add, so the set's update policy (ARGV[3]) merges the scores.
-- ARGV[4]: the member. ARGV[5]: its score.
-- Returns 1 when the caller keeps the member, 0 when it went back.
local member = ARGV[4]
if in_flight(member) or redis.call('ZSCORE', waiting, member) then
  if ARGV[3] == '' then
    redis.call('ZADD', waiting, ARGV[5], member)
  else
    redis.call('ZADD', waiting, ARGV[3], ARGV[5], member)
  end
  return 0
end
-- A popped item starts over.
redis.call('HDEL', attempts, member)
return 1
