-- After prelude. ARGV: prefix, node, ttl_ms, no-node tag. Pushes the node's deadline ahead and
-- reaps up to 20 dead nodes, signalling their rooms. Returns 1 when the node was registered.
local node, ttl, nobody = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now = now_ms()
local known = redis.call('ZSCORE', p .. 'nodes', node)
redis.call('ZADD', p .. 'nodes', now + ttl, node)
local dead = redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now, 'LIMIT', 0, 20)
for _, d in ipairs(dead) do
  forget_nicks(d)
  local rk = p .. 'node:' .. d .. ':rooms'
  for _, room in ipairs(redis.call('SMEMBERS', rk)) do
    redis.call('SREM', p .. 'room:' .. room .. ':nodes', d)
    redis.call('DEL', p .. 'room:' .. room .. ':' .. d)
    redis.call('PUBLISH', p .. 'r:' .. room, 'P' .. nobody)
  end
  redis.call('DEL', rk)
  redis.call('ZREM', p .. 'nodes', d)
end
if known then return 1 end
return 0
