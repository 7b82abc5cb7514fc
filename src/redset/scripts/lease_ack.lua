-- Finish leases (see finish_leases).
-- ARGV[4], ARGV[5], ...: member, token, member, token, ...
-- Returns the number of leases finished.
return finish_leases(4)
