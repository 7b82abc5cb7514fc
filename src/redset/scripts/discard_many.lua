-- Remove members, and cancel adds deferred for those in flight, as
-- discard() does for one member. A lease on a member stays valid.
-- KEYS[1]: the set.
-- KEYS[2]: the set's hash of in-flight member -> lease token.
-- KEYS[3]: the set's hash of in-flight member -> "FLAG score" of a deferred add.
-- KEYS[4]: the set's hash of member -> deliveries since its last ack.
-- ARGV: the members.
-- Returns the number of members that were waiting or had a deferred add.
local set, tokens, readded, attempts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local removed = 0
for _, member in ipairs(ARGV) do
  local found = redis.call('ZREM', set, member) + redis.call('HDEL', readded, member)
  if redis.call('HEXISTS', tokens, member) == 0 then
    redis.call('HDEL', attempts, member)
  end
  if found > 0 then
    removed = removed + 1
  end
end
return removed
