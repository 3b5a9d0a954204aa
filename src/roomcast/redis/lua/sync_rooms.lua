-- ARGV: prefix, node, then every room where the node has members. Drops the node from the rest.
local p, node = ARGV[1], ARGV[2]
local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
local rk = p .. 'node:' .. node .. ':rooms'
for _, room in ipairs(redis.call('SMEMBERS', rk)) do
  if not keep[room] then
    redis.call('SREM', rk, room)
    redis.call('SREM', p .. 'room:' .. room .. ':nodes', node)
    redis.call('DEL', p .. 'room:' .. room .. ':' .. node)
    redis.call('PUBLISH', p .. 'r:' .. room, 'P' .. node)
  end
end
