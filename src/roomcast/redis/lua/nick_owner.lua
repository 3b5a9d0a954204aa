-- After prelude. ARGV: prefix, key. Returns the owner, or nil when nobody alive holds the nickname.
local holder = redis.call('HGET', p .. 'nicks', ARGV[2])
if not holder then return nil end
local node, owner = string.match(holder, '^(%S+) (.*)$')
if alive(node, now_ms()) then return owner end
return nil
