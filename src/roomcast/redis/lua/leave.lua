-- ARGV: prefix, node, room, owner. Removes a member and signals the room.
local p, node, room = ARGV[1], ARGV[2], ARGV[3]
local members = p .. 'room:' .. room .. ':' .. node
if redis.call('HDEL', members, ARGV[4]) == 0 then return end
if redis.call('HLEN', members) == 0 then
  redis.call('SREM', p .. 'room:' .. room .. ':nodes', node)
  redis.call('SREM', p .. 'node:' .. node .. ':rooms', room)
end
redis.call('PUBLISH', p .. 'r:' .. room, 'P' .. node)
