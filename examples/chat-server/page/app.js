// app.js — the chat page's behaviour: one WebSocket to /ws, the rooms you
// joined, their messages and who is in them.
//
// Served by `cargo run -p chat-server` with index.html and app.css; no build
// step, no library. The wire protocol is JSON text frames, one object each
// (`{"type":"say","room":"rust","text":"hi"}` out, `{"type":"message",...}`
// in).
//
// Two rules hold throughout:
// - Text that came from a person (names, room names, messages, even error
//   messages that quote them) is put on the page as text — textContent or
//   createTextNode — never as markup: `<img src=x onerror=alert(1)>` shows
//   as those characters.
// - The page outlives its connection. When the server goes away it tries
//   again after 0.5 s, doubling to at most 10 s, each wait jittered so a
//   thousand pages do not all come back in the same millisecond; once
//   connected it sends your name again and re-joins your rooms. The rooms'
//   messages stay on the page across reconnections.

"use strict";

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10000;
// Messages kept per room: a room left open all day must not grow the page
// without bound.
const LOG_LIMIT = 500;
const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

const $ = (id) => document.getElementById(id);

const state = {
  socket: null,
  // Who the server says we are (welcome, renamed).
  me: { id: null, name: null },
  // The name the person chose; sent again after each reconnection.
  chosenName: null,
  // Room name -> { log, members: Map(name -> how many by that name), count, unread }.
  rooms: new Map(),
  current: null,
  attempt: 0,
  retryTimer: null,
  roomsTimer: null,
  countdown: null,
  errorTimer: null,
};

// ---- the connection -------------------------------------------------------

function socketUrl() {
  const url = new URL("/ws", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function connect() {
  clearTimeout(state.retryTimer);
  clearInterval(state.countdown);
  state.retryTimer = null;
  setStatus("connecting", state.attempt === 0 ? "Connecting…" : "Reconnecting…");
  let socket;
  try {
    socket = new WebSocket(socketUrl());
  } catch (error) {
    scheduleReconnect();
    return;
  }
  state.socket = socket;
  socket.addEventListener("open", () => {
    if (state.socket !== socket) return;
    state.attempt = 0;
    // Frames are handled in order, so the name is set before the joins
    // and the others see who joined by name, not as a guest.
    if (state.chosenName) send({ type: "name", name: state.chosenName });
    for (const room of state.rooms.keys()) send({ type: "join", room });
    send({ type: "rooms" });
    updateComposer();
  });
  socket.addEventListener("message", (frame) => {
    if (state.socket !== socket) return;
    let event;
    try {
      event = JSON.parse(frame.data);
    } catch (error) {
      return;
    }
    handle(event);
  });
  socket.addEventListener("close", (close) => {
    if (state.socket !== socket) return;
    const wasOpen = state.me.id !== null;
    state.socket = null;
    state.me.id = null;
    const why = closeReason(close);
    if (wasOpen) for (const room of state.rooms.values()) notice(room, `Disconnected: ${why}.`);
    scheduleReconnect(why);
    updateComposer();
  });
  // An error is always followed by close, where reconnecting is handled.
}

function closeReason(close) {
  switch (close.code) {
    case 1001: return "the server is restarting";
    case 1008: return "the server dropped a slow connection";
    case 1009: return "a message was too big";
    case 1000: return close.reason || "closed";
    default: return "connection lost";
  }
}

function scheduleReconnect(why) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** state.attempt);
  // "Equal jitter": at least half the ceiling, so waits still grow, and a
  // random part, so clients cut off together spread out.
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  state.attempt += 1;
  const due = Date.now() + delay;
  const prefix = why ? `Disconnected (${why}).` : "Disconnected.";
  const show = () => {
    const seconds = Math.max(0, (due - Date.now()) / 1000);
    setStatus("closed", `${prefix} Retrying in ${seconds.toFixed(1)} s`);
  };
  show();
  clearInterval(state.countdown);
  state.countdown = setInterval(show, 200);
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
}

function send(command) {
  const socket = state.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(command));
  return true;
}

function setStatus(kind, text) {
  const status = $("status");
  status.dataset.state = kind;
  $("status-text").textContent = text;
  $("reconnect").hidden = kind !== "closed";
}

function showConnected() {
  setStatus("open", `Connected as ${state.me.name}`);
}

// ---- what the server says -------------------------------------------------

function handle(event) {
  switch (event.type) {
    case "welcome":
      state.me = { id: event.id, name: event.name };
      if (!state.chosenName) $("name").placeholder = event.name;
      showConnected();
      break;
    case "renamed":
      renameInLists(state.me.name, event.name);
      state.me.name = event.name;
      $("name").value = event.name;
      showConnected();
      break;
    case "message":
      onMessage(event);
      break;
    case "members":
      onMembers(event);
      break;
    case "joined":
      onJoined(event);
      break;
    case "left":
      onLeft(event);
      break;
    case "rooms":
      renderRoomList(event.rooms || []);
      break;
    case "error":
      // A refused name is not sent again after the next reconnection.
      if (event.code === "bad_name") state.chosenName = null;
      showError(`${event.message} (${event.code})`);
      break;
    default:
      break;
  }
}

function onMessage(event) {
  const room = state.rooms.get(event.room);
  if (!room) return;
  const item = document.createElement("li");
  item.className = event.id === state.me.id ? "message mine" : "message";
  const head = document.createElement("div");
  head.className = "meta";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = event.from;
  head.append(from, " ", timeElement(new Date()));
  const text = document.createElement("p");
  text.className = "text";
  text.textContent = event.text;
  item.append(head, text);
  appendToLog(room, item);
  if (event.room !== state.current) {
    room.unread += 1;
    renderTabs();
  }
}

function onMembers(event) {
  const room = state.rooms.get(event.room);
  if (!room) return;
  room.members = new Map();
  for (const name of event.names || []) addMember(room, name);
  room.count = event.count;
  if (event.room === state.current) renderMembers();
}

function onJoined(event) {
  const room = state.rooms.get(event.room);
  if (!room) return;
  if (event.id === state.me.id) {
    // The `members` list before it already has us.
    notice(room, room.joined ? "Back in the room." : "You joined.");
    room.joined = true;
    return;
  }
  addMember(room, event.name);
  room.count += 1;
  notice(room, `${event.name} joined.`);
  if (event.room === state.current) renderMembers();
  refreshRoomsSoon();
}

function onLeft(event) {
  const room = state.rooms.get(event.room);
  // Our own `left` is the answer to a leave we already applied.
  if (!room || event.id === state.me.id) return;
  const n = room.members.get(event.name) || 0;
  if (n > 1) room.members.set(event.name, n - 1);
  else room.members.delete(event.name);
  room.count = Math.max(0, room.count - 1);
  notice(room, `${event.name} left.`);
  if (event.room === state.current) renderMembers();
  refreshRoomsSoon();
}

// Someone came or went: the room list's counts are out of date. Asked for
// once after a quiet moment, not once per notice (a burst of joins is one
// request).
function refreshRoomsSoon() {
  clearTimeout(state.roomsTimer);
  state.roomsTimer = setTimeout(() => send({ type: "rooms" }), 700);
}

// The server tells only us about our new name; our own view of each room
// shows it at once (the others see it from our next message or join).
function renameInLists(old, name) {
  if (!old || old === name) return;
  for (const room of state.rooms.values()) {
    const n = room.members.get(old) || 0;
    if (n === 0) continue;
    if (n > 1) room.members.set(old, n - 1);
    else room.members.delete(old);
    addMember(room, name);
  }
  renderMembers();
}

function addMember(room, name) {
  room.members.set(name, (room.members.get(name) || 0) + 1);
}

// ---- rooms ----------------------------------------------------------------

function newRoom(name) {
  const log = document.createElement("ol");
  log.className = "entries";
  log.dataset.room = name;
  return { name, log, members: new Map(), count: 0, unread: 0, joined: false };
}

function joinRoom(name) {
  if (!state.rooms.has(name)) {
    state.rooms.set(name, newRoom(name));
    // Offline, the room is joined when the connection comes back.
    send({ type: "join", room: name });
    send({ type: "rooms" });
  }
  switchTo(name);
}

function leaveRoom(name) {
  if (!state.rooms.has(name)) return;
  send({ type: "leave", room: name });
  send({ type: "rooms" });
  state.rooms.delete(name);
  if (state.current === name) {
    const next = state.rooms.keys().next();
    switchTo(next.done ? null : next.value);
  } else {
    renderTabs();
  }
}

function switchTo(name) {
  state.current = name;
  const room = name ? state.rooms.get(name) : null;
  if (room) room.unread = 0;
  $("room-title").textContent = room ? `#${room.name}` : "No room";
  $("leave").hidden = !room;
  const log = $("log");
  if (room) {
    log.replaceChildren(room.log);
    log.scrollTop = log.scrollHeight;
  } else {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "Join a room to see its messages.";
    log.replaceChildren(empty);
  }
  renderTabs();
  renderMembers();
  updateComposer();
}

function renderTabs() {
  const list = $("joined");
  const items = [];
  for (const room of state.rooms.values()) {
    const item = document.createElement("li");
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "tab";
    tab.dataset.room = room.name;
    if (room.name === state.current) tab.setAttribute("aria-current", "true");
    const label = document.createElement("span");
    label.textContent = `#${room.name}`;
    tab.append(label);
    if (room.unread > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(room.unread);
      badge.setAttribute("aria-label", `${room.unread} unread`);
      tab.append(badge);
    }
    tab.addEventListener("click", () => {
      switchTo(room.name);
      $("text").focus();
    });
    item.append(tab);
    items.push(item);
  }
  list.replaceChildren(...items);
  $("joined-empty").hidden = items.length > 0;
}

function renderRoomList(rooms) {
  const items = rooms.map((info) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "room-link";
    button.dataset.room = info.name;
    const name = document.createElement("span");
    name.textContent = `#${info.name}`;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = String(info.members);
    count.setAttribute("aria-label", `${info.members} here`);
    button.append(name, count);
    button.title = state.rooms.has(info.name) ? "Show this room" : "Join this room";
    button.addEventListener("click", () => {
      joinRoom(info.name);
      $("text").focus();
    });
    item.append(button);
    return item;
  });
  $("rooms-list").replaceChildren(...items);
  $("rooms-empty").hidden = items.length > 0;
}

function renderMembers() {
  const room = state.current ? state.rooms.get(state.current) : null;
  const names = room ? [...room.members.entries()].sort(([a], [b]) => a.localeCompare(b)) : [];
  const items = [];
  for (const [name, n] of names) {
    for (let i = 0; i < n; i += 1) {
      const item = document.createElement("li");
      item.textContent = name;
      if (name === state.me.name) item.className = "me";
      items.push(item);
    }
  }
  $("members").replaceChildren(...items);
  $("member-count").textContent = String(room ? room.count : 0);
}

// ---- the log --------------------------------------------------------------

function appendToLog(room, item) {
  const log = $("log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  room.log.append(item);
  while (room.log.childElementCount > LOG_LIMIT) room.log.firstElementChild.remove();
  if (room.name === state.current && atBottom) log.scrollTop = log.scrollHeight;
}

function notice(room, text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.append(document.createTextNode(text), " ", timeElement(new Date()));
  appendToLog(room, item);
}

function timeElement(date) {
  const time = document.createElement("time");
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  time.title = date.toLocaleString();
  return time;
}

// ---- errors and the composer ----------------------------------------------

function showError(text) {
  $("error-text").textContent = text;
  $("error").hidden = false;
  clearTimeout(state.errorTimer);
  state.errorTimer = setTimeout(hideError, 10000);
}

function hideError() {
  $("error").hidden = true;
}

function updateComposer() {
  const input = $("text");
  const inRoom = state.current !== null;
  input.disabled = !inRoom;
  $("send").disabled = !inRoom;
  input.placeholder = !inRoom
    ? "Join a room to talk"
    : state.socket && state.socket.readyState === WebSocket.OPEN
      ? `Message #${state.current}`
      : "Not connected: messages cannot be sent now";
}

// ---- the forms ------------------------------------------------------------

function wire() {
  $("name-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("name").value.trim();
    if (!name) return;
    state.chosenName = name;
    if (!send({ type: "name", name })) showError("Not connected: your name is set when the connection is back.");
  });

  $("join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("join-room");
    const name = input.value.trim();
    if (!ROOM_PATTERN.test(name)) {
      showError("A room name has 1 to 32 letters, digits, _ or -.");
      input.focus();
      return;
    }
    input.value = "";
    joinRoom(name);
    $("text").focus();
  });

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value;
    if (!state.current || !text.trim()) return;
    if (send({ type: "say", room: state.current, text })) {
      input.value = "";
    } else {
      showError("Not connected: the message was not sent (it is still in the box).");
    }
    input.focus();
  });

  $("leave").addEventListener("click", () => leaveRoom(state.current));
  $("refresh-rooms").addEventListener("click", () => {
    if (!send({ type: "rooms" })) showError("Not connected.");
  });
  $("error-close").addEventListener("click", hideError);
  $("reconnect").addEventListener("click", () => {
    state.attempt = 0;
    connect();
  });
}

wire();
switchTo(null);
connect();
