-- Delete a set's keys, but only when each has the type the set uses, so
-- that clear() never deletes another program's data under a clashing name.
-- KEYS: the keys to delete.
-- ARGV[i]: the Redis type KEYS[i] must have ("zset" or "hash").
-- Returns the number of keys deleted, or a WRONGTYPE error.
for i, key in ipairs(KEYS) do
  local found = redis.call('TYPE', key)['ok']
  if found ~= 'none' and found ~= ARGV[i] then
    return redis.error_reply(
      'WRONGTYPE Operation against a key holding the wrong kind of value')
  end
end
return redis.call('DEL', unpack(KEYS))
