-- ARGV: prefix, node, room, then owner, name pairs (all of this node's members of the room when
-- ARGV[4] is "1", else more of them). Writes them back and signals the room.
local p, node, room, first = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local members = p .. 'room:' .. room .. ':' .. node
if first == '1' then redis.call('DEL', members) end
for i = 5, #ARGV, 2 do redis.call('HSET', members, ARGV[i], ARGV[i + 1]) end
redis.call('SADD', p .. 'room:' .. room .. ':nodes', node)
redis.call('SADD', p .. 'node:' .. node .. ':rooms', room)
redis.call('PUBLISH', p .. 'r:' .. room, 'P' .. node)
