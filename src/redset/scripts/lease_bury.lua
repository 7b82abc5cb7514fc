-- Move members that do not decode to dead letters.
-- ARGV[4]: the reason recorded with each one.
-- ARGV[5], ARGV[6], ARGV[7], ...: member, score, token, ... where the token
-- is that of the caller's lease on the member, or "" for a popped member.
-- A claimed member has score "": its score when claimed is used.
-- Returns the members moved.
--
-- A claimed member moves while the lease-info hash has the caller's token,
-- even when the lease has ended since the claim: no other consumer holds it
-- then. Otherwise a lease shorter than the round trip would keep the member
-- from ever moving. Once its lease has ended and a script has returned it to
-- the set, it stays there, for the next consumer's claim to meet and move.
check_types()
local moved = {}
for i = 5, #ARGV, 3 do
  local member, score, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if token == '' then
    -- The pop deleted the member's delivery count. A count here belongs to
    -- a later delivery of the member, added and claimed again since, and
    -- stays with that delivery.
    redis.call('ZADD', dead, score, member)
    redis.call('HSET', dead_info, member, '0 ' .. ARGV[4])
    moved[#moved + 1] = member
  else
    local info = redis.call('HGET', lease_info, member)
    if info then
      local lease_token, _, claimed = split_info(info)
      if lease_token == token then
        forget_lease(member)
        bury(member, claimed, redis.call('HGET', attempts, member), ARGV[4])
        moved[#moved + 1] = member
      end
    end
  end
end
return moved
