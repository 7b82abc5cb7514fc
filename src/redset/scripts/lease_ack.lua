-- Finish leases: forget each item whose lease the caller still holds.
-- ARGV[4], ARGV[5], ...: member, token, member, token, ...
-- Returns the number of leases finished. An item added while in flight is
-- in the set already, and is handed out again from now on.
local members = {}
for i = 4, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
end

-- The same checks as owns(), one HMGET and one ZMSCORE per slice instead of
-- two calls per lease. Nothing changes until every lease is checked, so the
-- order of the checks does not matter.
local done, seen = {}, {}
for start = 1, #members, 1000 do
  local stop = math.min(start + 999, #members)
  local held = redis.call('HMGET', tokens, unpack(members, start, stop))
  local deadlines = redis.call('ZMSCORE', leases, unpack(members, start, stop))
  for n = start, stop do
    local member, token = members[n], ARGV[2 * n + 3]
    local deadline = tonumber(deadlines[n - start + 1])
    if not seen[member] and held[n - start + 1] == token
        and deadline ~= nil and deadline > clock() then
      seen[member] = true
      done[#done + 1] = member
    end
  end
end
if #done == 0 then
  return 0
end

call_sliced('ZREM', leases, '', done)
call_sliced('HDEL', tokens, '', done)
call_sliced('HDEL', claimed_scores, '', done)
call_sliced('HDEL', attempts, '', done)
return #done
