-- Read dead letters, lowest score first, after returning expired leases.
-- ARGV[4]: the index of the last one to read (-1 for all).
-- Returns {member1, score1, info1 or false, member2, ...}.
-- Without max_attempts, reclaim() reads no dead-letter key before it
-- writes, so they are read first: a key of another Redis type then raises
-- WRONGTYPE before any lease ends.
redis.call('ZCARD', dead)
redis.call('HLEN', dead_info)
reclaim()
local found = redis.call('ZRANGE', dead, 0, tonumber(ARGV[4]), 'WITHSCORES')
local reply = {}
for i = 1, #found, 2 do
  reply[#reply + 1] = found[i]
  reply[#reply + 1] = found[i + 1]
  reply[#reply + 1] = redis.call('HGET', dead_info, found[i])
end
return reply
