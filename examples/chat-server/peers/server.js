// The chat server's Node peer, for `cargo xtask bench chat-server`.
//
// A room chat on the `ws` library, written the way its README shows: a
// WebSocketServer, a Map of rooms, and a loop over the room's clients with
// `ws.send` for the fan-out. It speaks the part of the chat protocol the
// load generator uses:
//
//   welcome {name, id}                                   on connect
//   join {room}      -> members {room, names, count}     to the joiner
//   say {room, text} -> message {room, from, id, text}   to every member, the sender too
//
// Run:  npm install --prefix examples/chat-server/peers
//       node server.js PORT      (0: any free port; the port is printed once listening)
//
// Only /ws upgrades; there is no page, no /stats, no presence notices, no
// renaming: the bench measures connections held and messages fanned out.

import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });

// room name -> Map(client -> member name); a Map keeps join order, so the
// first 100 names of `members` are the first 100 to join.
const rooms = new Map();
let nextId = 0;

const event = (fields) => JSON.stringify(fields);
const error = (code, message) => event({ type: 'error', code, message });

function leave(room, ws) {
  const members = rooms.get(room);
  if (!members) return;
  members.delete(ws);
  if (members.size === 0) rooms.delete(room);
}

wss.on('connection', (ws) => {
  const id = ++nextId;
  const name = `guest-${id}`;
  const joined = new Set();
  ws.send(event({ type: 'welcome', name, id }));

  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.send(error('not_text', 'frames are JSON text'));
    let request;
    try {
      request = JSON.parse(data);
    } catch {
      return ws.send(error('bad_json', 'not JSON'));
    }
    const room = request?.room;
    switch (request?.type) {
      case 'join': {
        if (typeof room !== 'string') return ws.send(error('bad_room', 'a room name'));
        if (!rooms.has(room)) rooms.set(room, new Map());
        const members = rooms.get(room);
        members.set(ws, name);
        joined.add(room);
        const names = [];
        for (const member of members.values()) {
          if (names.length === 100) break;
          names.push(member);
        }
        return ws.send(event({ type: 'members', room, names, count: members.size }));
      }
      case 'leave':
        joined.delete(room);
        return leave(room, ws);
      case 'say': {
        if (!joined.has(room)) return ws.send(error('not_member', `join ${room} first`));
        const message = event({ type: 'message', room, from: name, id, text: String(request.text) });
        for (const client of rooms.get(room).keys()) {
          if (client.readyState === WebSocket.OPEN) client.send(message);
        }
        return;
      }
      default:
        return ws.send(error('unknown_type', `cannot handle ${request?.type}`));
    }
  });

  ws.on('close', () => {
    for (const room of joined) leave(room, ws);
  });
});

wss.on('listening', () => console.log(wss.address().port));
