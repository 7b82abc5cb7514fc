-- Move members that do not decode to dead letters.
-- ARGV[4]: the reason recorded with each one.
-- ARGV[5], ARGV[6], ARGV[7], ...: member, score, token, ... where the token
-- is that of the caller's lease on the member, or "" for a popped member.
-- A claimed member has score "": its score when claimed is used.
-- Returns the number of members moved.
check_types()
local moved = 0
for i = 5, #ARGV, 3 do
  local member, score, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if token == '' or owns(member, token) then
    if token ~= '' then
      score = claimed_score(member)
      forget_lease(member)
    end
    bury(member, score, redis.call('HGET', attempts, member) or 0, ARGV[4])
    moved = moved + 1
  end
end
return moved
