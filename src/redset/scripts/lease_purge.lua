-- Delete every dead letter. Returns how many there were.
-- HLEN makes a KEYS[6] of another Redis type raise WRONGTYPE, as ZCARD does
-- for KEYS[5], so DEL never deletes another program's data.
local count = redis.call('ZCARD', dead)
redis.call('HLEN', dead_info)
redis.call('DEL', dead, dead_info)
return count
