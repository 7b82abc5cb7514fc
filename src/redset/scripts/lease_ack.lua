-- Finish leases: forget each item whose lease the caller still holds.
-- ARGV[3], ARGV[4], ...: member, token, member, token, ...
-- Returns the number of leases finished. An add made while the item was in
-- flight puts it back now, as a fresh item.
local done, seen = {}, {}
for i = 3, #ARGV, 2 do
  local member, token = ARGV[i], ARGV[i + 1]
  if not seen[member] and owns(member, token) then
    seen[member] = true
    done[#done + 1] = member
  end
end
if #done > 0 then
  call_sliced('ZREM', leases, done)
  call_sliced('HDEL', tokens, done)
  call_sliced('HDEL', claimed_scores, done)
  call_sliced('HDEL', attempts, done)
  for _, member in ipairs(done) do
    apply_mark(member)
  end
end
return #done
