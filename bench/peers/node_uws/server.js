// uWebSockets.js peer: the same room broadcast as the Node `ws` peer, through uWS's own pub/sub.
// A room is a topic: each connection subscribes to its room on open, and each line is one
// app.publish(room, frame), which reaches every subscriber, the sender included (as the ws peer
// sends to every member). Reads {"Message","Author"}, builds the same JSON Chat frame; compression
// off; no idle timeout; a backpressure limit high enough that no frame is dropped at bench rates.
// Run: NODE_PATH=bench/.peers/node_uws/node_modules node server.js PORT
'use strict';
const uWS = require('uWebSockets.js');

const port = Number(process.argv[2] || 8000);
const decoder = new TextDecoder();
let nextId = 1;

const app = uWS.App();

app.ws('/*', {
  compression: uWS.DISABLED,
  idleTimeout: 0,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 64 * 1024 * 1024,
  upgrade: (res, req, context) => {
    const room = new URLSearchParams(req.getQuery() || '').get('room') || 'default';
    res.upgrade(
      { room, wsid: (nextId++).toString(16) },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    ws.subscribe(ws.getUserData().room);
  },
  message: (ws, message, isBinary) => {
    if (isBinary) return;
    let line;
    try {
      line = JSON.parse(decoder.decode(message));
    } catch {
      return;
    }
    if (typeof line !== 'object' || line === null || typeof line.Message !== 'string') return;
    const { room, wsid } = ws.getUserData();
    const now = new Date();
    const frame = JSON.stringify({
      Type: 'Chat',
      Message: line.Message,
      Author: line.Author || '',
      Room: room,
      WSID: wsid,
      Sent: now.toISOString().slice(0, 19).replace('T', ' '),
      ID: nextId++,
    });
    app.publish(room, frame, false);
  },
});

app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws: cannot listen on 127.0.0.1:${port}`);
    process.exit(1);
  }
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
