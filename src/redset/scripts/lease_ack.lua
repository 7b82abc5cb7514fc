-- Finish leases: forget each item whose lease the caller still holds.
-- ARGV[3], ARGV[4], ...: member, token, member, token, ...
-- Returns the number of leases finished. An add made while the item was in
-- flight puts it back now, as a fresh item.
local done = 0
for i = 3, #ARGV, 2 do
  local member, token = ARGV[i], ARGV[i + 1]
  if owns(member, token) then
    forget_lease(member)
    redis.call('HDEL', attempts, member)
    apply_mark(member)
    done = done + 1
  end
end
return done
