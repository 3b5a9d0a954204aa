// Node `ws` peer: a plain room broadcast, the way the ws README broadcasts.
// Reads {"Message","Author"}, builds one JSON Chat frame, sends it to every member of the room
// (the sender included). The frame is turned into a Buffer once and sent to each client.
// Run: NODE_PATH=bench/.peers/node_ws/node_modules node server.js PORT
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8000);
const rooms = new Map();
let nextId = 1;

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 4096 });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const room = url.searchParams.get('room') || 'default';
  const wsid = (nextId++).toString(16);
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let line;
    try {
      line = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof line !== 'object' || line === null || typeof line.Message !== 'string') return;
    const now = new Date();
    const frame = Buffer.from(JSON.stringify({
      Type: 'Chat',
      Message: line.Message,
      Author: line.Author || '',
      Room: room,
      WSID: wsid,
      Sent: now.toISOString().slice(0, 19).replace('T', ' '),
      ID: nextId++,
    }));
    for (const client of members) {
      if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: false });
    }
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0) rooms.delete(room);
  });
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
