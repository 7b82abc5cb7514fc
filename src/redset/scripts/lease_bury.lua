-- Move members that do not decode to dead letters.
-- ARGV[4]: the reason recorded with each one.
-- ARGV[5], ARGV[6], ARGV[7], ARGV[8], ...: member, score, token, attempts,
-- ... where the token and attempts are those of the caller's lease on the
-- member, or "" and 0 for a popped member. A claimed member has score "":
-- its score when claimed is used.
-- Returns the members moved.
--
-- A claimed member moves even when its lease has ended since the claim.
-- While the lease-info hash still has the caller's token, nobody else holds
-- it. When the lease ended and the member went back into the set, it is
-- taken from the set if its delivery count is still the caller's: another
-- claim would have raised the count, and an ack or a pop deleted it.
-- Otherwise a lease shorter than the round trip would return the member to
-- the set before this script ran, and the caller's claim would meet it
-- again and again. A member that another consumer has claimed since is left
-- to that consumer.
check_types()
local moved = {}
for i = 5, #ARGV, 4 do
  local member, score, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local found = token == ''
  if not found then
    local info = redis.call('HGET', lease_info, member)
    if info then
      local lease_token, _, claimed = split_info(info)
      if lease_token == token then
        score = claimed
        forget_lease(member)
        found = true
      end
    elseif redis.call('HGET', attempts, member) == ARGV[i + 3] then
      score = redis.call('ZSCORE', waiting, member)
      if score then
        redis.call('ZREM', waiting, member)
        found = true
      end
    end
  end
  if found then
    bury(member, score, redis.call('HGET', attempts, member) or 0, ARGV[4])
    moved[#moved + 1] = member
  end
end
return moved
