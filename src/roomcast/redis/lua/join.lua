-- ARGV: prefix, node, room, owner, name. Records a member (or renames one).
local p, node, room = ARGV[1], ARGV[2], ARGV[3]
redis.call('HSET', p .. 'room:' .. room .. ':' .. node, ARGV[4], ARGV[5])
redis.call('SADD', p .. 'room:' .. room .. ':nodes', node)
redis.call('SADD', p .. 'node:' .. node .. ':rooms', room)
