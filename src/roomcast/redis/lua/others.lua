-- After prelude. ARGV: prefix, node, room. Returns the names of the room's members on other live
-- nodes.
local node, room = ARGV[2], ARGV[3]
local now = now_ms()
local names = {}
for _, other in ipairs(redis.call('SMEMBERS', p .. 'room:' .. room .. ':nodes')) do
  if other ~= node and alive(other, now) then
    for _, name in ipairs(redis.call('HVALS', p .. 'room:' .. room .. ':' .. other)) do
      names[#names + 1] = name
    end
  end
end
return names
