"""The chat server's Python peer, for `cargo xtask bench chat-server`.

A room chat on the `websockets` library (asyncio), written the way its
documentation shows: one coroutine per connection, a dict of rooms, and
`broadcast` for the fan-out. It speaks the part of the chat protocol the
load generator uses:

    welcome {name, id}                  on connect
    join {room}  -> members {room, names, count}        to the joiner
    say {room, text} -> message {room, from, id, text}  to every member, the sender too

Run:  pip install websockets
      python3 server.py PORT      (0: any free port; the port is printed once listening)

Only /ws upgrades; there is no page, no /stats, no presence notices, no
renaming: the bench measures connections held and messages fanned out.
"""

import asyncio
import itertools
import json
import sys
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve

# room name -> {connection: member name}; a dict keeps join order, so the
# first 100 names of `members` are the first 100 to join.
rooms: dict[str, dict] = {}
ids = itertools.count(1)


def event(**fields) -> str:
    return json.dumps(fields, separators=(",", ":"))


def error(code: str, message: str) -> str:
    return event(type="error", code=code, message=message)


async def chat(ws):
    me = next(ids)
    name = f"guest-{me}"
    joined: set[str] = set()
    await ws.send(event(type="welcome", name=name, id=me))
    try:
        async for frame in ws:
            if isinstance(frame, bytes):
                await ws.send(error("not_text", "frames are JSON text"))
                continue
            try:
                request = json.loads(frame)
                kind, room = request["type"], request.get("room")
            except (ValueError, TypeError, KeyError):
                await ws.send(error("bad_json", "not a JSON object with a type"))
                continue
            if kind == "join" and isinstance(room, str):
                members = rooms.setdefault(room, {})
                members[ws] = name
                joined.add(room)
                names = list(itertools.islice(members.values(), 100))
                await ws.send(event(type="members", room=room, names=names, count=len(members)))
            elif kind == "leave" and room in joined:
                joined.discard(room)
                leave(room, ws)
            elif kind == "say" and isinstance(request.get("text"), str):
                if room not in joined:
                    await ws.send(error("not_member", f"join {room!r} first"))
                    continue
                message = event(type="message", room=room, text=request["text"], **{"from": name, "id": me})
                # Encodes once and writes to each connection without
                # awaiting: a client whose buffer is full is skipped.
                broadcast(rooms[room], message)
            else:
                await ws.send(error("unknown_type", f"cannot handle {kind!r} here"))
    finally:
        for room in joined:
            leave(room, ws)


def leave(room: str, ws) -> None:
    members = rooms.get(room, {})
    members.pop(ws, None)
    if not members:
        rooms.pop(room, None)


def only_ws(connection, request):
    if request.path != "/ws":
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    return None


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    # backlog: the listen queue tokio and Node ask for too (asyncio's
    # default of 100 drops connections arriving in a burst of thousands).
    async with serve(chat, "127.0.0.1", port, process_request=only_ws, backlog=1024) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
