//! Steps 3 and 4 — the hub: who is connected, which rooms exist, and the
//! fan-out of one message to every member of a room.
//!
//! Every connection's task calls into one shared `Hub`. Its state sits
//! behind a **std** `Mutex`, not tokio's: the lock is held only for work
//! that never waits — look up the members, clone a reference-counted frame
//! into each one's queue with `try_send` — so it is released within
//! microseconds and never held across an `.await`. Holding a lock while
//! awaiting a send to each member would let one client that stops reading
//! stop every other room's messages too.
//!
//! Each client has a **bounded** queue of frames ([`Outbox`]). A client
//! whose queue is full is not waited for: it is disconnected (its `kicked`
//! token is cancelled; its task closes the connection with 1008). That is
//! the slow-consumer policy: the others' delivery stays on time, and memory
//! stays bounded by `clients × queue_capacity` frames.
//!
//! An empty room is removed at once, so a server that has seen a million
//! rooms come and go holds only the ones in use.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::event::{Event, Frame, NAMES_LISTED, NOTICE_LIMIT, RoomInfo};

/// A connected client's number, unique for the server's life.
pub type ClientId = u64;

/// A command the hub could not carry out, answered with an error event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HubError {
    #[error("not a member of room {0:?}: join it first")]
    NotMember(String),
    #[error("the message broker is behind: try again")]
    RelayBusy,
}

impl HubError {
    /// The code the client sees.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::NotMember(_) => "not_member",
            HubError::RelayBusy => "relay_busy",
        }
    }
}

/// The receiving side of a client's queue, owned by its connection task.
pub struct Outbox {
    pub id: ClientId,
    /// Frames to send to this client, in order.
    pub frames: mpsc::Receiver<Frame>,
    /// Cancelled when the client must be disconnected: it fell too far
    /// behind (close 1008), or the server is shutting down
    /// ([`Hub::close_all`], close 1001). One token per client: polling it
    /// touches no lock that other connections share.
    pub kicked: CancellationToken,
}

/// Counts of what the hub has done, for `/stats`, the tests and the
/// program's status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HubStats {
    /// Clients connected now.
    pub clients: usize,
    /// Rooms that exist now (each with at least one member).
    pub rooms: usize,
    /// Messages said, since the start.
    pub messages: u64,
    /// Frames queued for clients, since the start.
    pub frames: u64,
    /// Clients disconnected for being too slow, since the start.
    pub kicked: u64,
}

// ANCHOR: state
struct Client {
    name: String,
    queue: mpsc::Sender<Frame>,
    kicked: CancellationToken,
    rooms: Vec<String>,
}

#[derive(Default)]
struct State {
    clients: HashMap<ClientId, Client>,
    rooms: HashMap<String, HashSet<ClientId>>,
    /// Set by `close_all`: from then on a new client is told to go at once.
    closing: bool,
}

/// The registry of clients and rooms. Share it as `Arc<Hub>`.
pub struct Hub {
    state: Mutex<State>,
    queue_capacity: usize,
    next_id: AtomicU64,
    messages: AtomicU64,
    frames: AtomicU64,
    kicked: AtomicU64,
    /// Set when messages go through a broker to other servers too
    /// ([`Hub::relay_through`]); see the program's `--redis`.
    relay: OnceLock<mpsc::Sender<(String, Frame)>>,
}
// ANCHOR_END: state

impl Hub {
    // ANCHOR: connect
    /// A hub whose clients may each have `queue_capacity` frames waiting.
    pub fn new(queue_capacity: usize) -> Hub {
        Hub {
            state: Mutex::default(),
            queue_capacity: queue_capacity.max(1),
            next_id: AtomicU64::new(1),
            messages: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            kicked: AtomicU64::new(0),
            relay: OnceLock::new(),
        }
    }

    /// Registers a new client, named `guest-<id>`, in no room yet, with a
    /// `welcome` event already queued.
    pub fn connect(&self) -> Outbox {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let name = format!("guest-{id}");
        let (queue, frames) = mpsc::channel(self.queue_capacity);
        let kicked = CancellationToken::new();
        let welcome = Event::Welcome { name: &name, id }.frame();
        let mut state = self.lock();
        let client = Client {
            name,
            queue,
            kicked: kicked.clone(),
            rooms: Vec::new(),
        };
        state.clients.insert(id, client);
        self.queue(&mut state, id, welcome);
        if state.closing {
            kicked.cancel();
        }
        Outbox { id, frames, kicked }
    }

    /// Tells every client to go — the server is shutting down: cancels each
    /// one's own token, so that no connection ever polls a token shared by
    /// all of them. A client that connects afterwards is told at once.
    pub fn close_all(&self) {
        let mut state = self.lock();
        state.closing = true;
        for client in state.clients.values() {
            client.kicked.cancel();
        }
    }
    // ANCHOR_END: connect

    // ANCHOR: disconnect
    /// Removes a client from every room and from the hub. Rooms left empty
    /// are removed. Calling it twice is harmless.
    pub fn disconnect(&self, id: ClientId) {
        let mut state = self.lock();
        remove(&mut state, id, self);
    }
    // ANCHOR_END: disconnect

    // ANCHOR: rename
    /// Renames a client and answers with `renamed`.
    pub fn rename(&self, id: ClientId, name: String) {
        let mut state = self.lock();
        let Some(client) = state.clients.get_mut(&id) else {
            return;
        };
        let frame = Event::Renamed { name: &name }.frame();
        client.name = name;
        self.queue(&mut state, id, frame);
    }
    // ANCHOR_END: rename

    // ANCHOR: join
    /// Adds a client to a room (created if new): the joiner gets `members`;
    /// while the room is small every member gets `joined`.
    pub fn join(&self, id: ClientId, room: &str) {
        let mut state = self.lock();
        let Some(client) = state.clients.get_mut(&id) else {
            return;
        };
        if client.rooms.iter().any(|r| r == room) {
            // Already a member: answer with the list again, notify nobody.
        } else {
            client.rooms.push(room.to_string());
        }
        let name = client.name.clone();
        let members = state.rooms.entry(room.to_string()).or_default();
        let new = members.insert(id);
        let count = members.len();
        // At most NAMES_LISTED names, whatever the room's size: a join
        // must cost the same in a room of 10,000 as in a room of 10.
        let listed: Vec<ClientId> = members.iter().take(NAMES_LISTED).copied().collect();
        let names = {
            let mut names: Vec<&str> = listed
                .iter()
                .filter_map(|m| state.clients.get(m).map(|c| c.name.as_str()))
                .collect();
            names.sort_unstable();
            Event::Members { room, names, count }.frame()
        };
        self.queue(&mut state, id, names);
        if new && count <= NOTICE_LIMIT {
            // Presence is best effort: a member whose queue is full misses
            // the notice (a burst of joins must not disconnect anyone);
            // only a message it cannot take disconnects it.
            let notice = Event::Joined {
                room,
                name: &name,
                id,
            }
            .frame();
            let recipients: Vec<ClientId> = state
                .rooms
                .get(room)
                .into_iter()
                .flatten()
                .copied()
                .collect();
            for member in recipients {
                self.try_queue(&state, member, &notice);
            }
        }
    }
    // ANCHOR_END: join

    // ANCHOR: leave
    /// Removes a client from a room; the room is removed when it empties.
    pub fn leave(&self, id: ClientId, room: &str) {
        let mut state = self.lock();
        leave_room(&mut state, id, room, self);
    }
    // ANCHOR_END: leave

    // ANCHOR: say
    /// Sends a message to every member of `room`, the sender included.
    /// Serialised once; each member gets the same bytes. A member whose
    /// queue is full is disconnected instead of waited for.
    pub fn say(&self, id: ClientId, room: &str, text: &str) -> Result<(), HubError> {
        let mut state = self.lock();
        let not_member = || HubError::NotMember(room.to_string());
        let from = state.clients.get(&id).ok_or_else(not_member)?;
        let members = state
            .rooms
            .get(room)
            .filter(|m| m.contains(&id))
            .ok_or_else(not_member)?;
        let frame = Event::Message {
            room,
            from: &from.name,
            id,
            text,
        }
        .frame();
        let recipients: Vec<ClientId> = members.iter().copied().collect();
        self.messages.fetch_add(1, Ordering::Relaxed);
        if let Some(relay) = self.relay.get() {
            // Several servers: the broker hands every message back to every
            // one of them, this one included, and each delivers it to its
            // own members (Hub::deliver). Fanning out here as well would
            // deliver it twice.
            return relay
                .try_send((room.to_string(), frame))
                .map_err(|_| HubError::RelayBusy);
        }
        self.fan_out(&mut state, &recipients, &frame);
        Ok(())
    }

    /// From now on, messages said here are not fanned out here but sent
    /// into the returned channel (to a broker, which hands them to every
    /// server, this one included, to [`Hub::deliver`]). Bounded: a broker
    /// that falls behind refuses messages rather than holding them. Only
    /// once per hub.
    pub fn relay_through(&self, capacity: usize) -> Option<mpsc::Receiver<(String, Frame)>> {
        let (relay, messages) = mpsc::channel(capacity.max(1));
        self.relay.set(relay).ok()?;
        Some(messages)
    }

    /// Delivers a message that came back from the broker to this server's
    /// members of `room` (none: nothing to do), as [`Hub::say`] does
    /// without a broker.
    pub fn deliver(&self, room: &str, frame: Frame) {
        let mut state = self.lock();
        let Some(members) = state.rooms.get(room) else {
            return;
        };
        let recipients: Vec<ClientId> = members.iter().copied().collect();
        self.fan_out(&mut state, &recipients, &frame);
    }

    /// Queues one event for one client (an error, the list of rooms).
    pub fn send_to(&self, id: ClientId, event: &Event<'_>) {
        let frame = event.frame();
        let mut state = self.lock();
        self.queue(&mut state, id, frame);
    }
    // ANCHOR_END: say

    // ANCHOR: listing
    /// The rooms that exist now, by name.
    pub fn rooms(&self) -> Vec<RoomInfo> {
        let state = self.lock();
        let mut rooms: Vec<RoomInfo> = state
            .rooms
            .iter()
            .map(|(name, members)| RoomInfo {
                name: name.clone(),
                members: members.len(),
            })
            .collect();
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        rooms
    }

    /// What the hub holds now and has done so far.
    pub fn stats(&self) -> HubStats {
        let state = self.lock();
        HubStats {
            clients: state.clients.len(),
            rooms: state.rooms.len(),
            messages: self.messages.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            kicked: self.kicked.load(Ordering::Relaxed),
        }
    }
    // ANCHOR_END: listing

    // ANCHOR: lock
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves the maps as they
        // were between two whole operations: carry on with them.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    // ANCHOR_END: lock

    // ANCHOR: fan_out
    /// Queues `frame` for every recipient; the ones whose queue is full
    /// are disconnected.
    fn fan_out(&self, state: &mut State, recipients: &[ClientId], frame: &Frame) {
        let mut too_slow = Vec::new();
        for &member in recipients {
            if !self.try_queue(state, member, frame) {
                too_slow.push(member);
            }
        }
        for member in too_slow {
            self.kick(state, member);
        }
    }

    fn queue(&self, state: &mut State, id: ClientId, frame: Frame) {
        if !self.try_queue(state, id, &frame) {
            self.kick(state, id);
        }
    }

    /// False when the client's queue is full. A closed queue (its task has
    /// ended and will disconnect) is not a failure.
    fn try_queue(&self, state: &State, id: ClientId, frame: &Frame) -> bool {
        let Some(client) = state.clients.get(&id) else {
            return true;
        };
        match client.queue.try_send(frame.clone()) {
            Ok(()) => {
                self.frames.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
        }
    }

    fn kick(&self, state: &mut State, id: ClientId) {
        if let Some(client) = state.clients.get(&id) {
            client.kicked.cancel();
            self.kicked.fetch_add(1, Ordering::Relaxed);
        }
        remove(state, id, self);
    }
    // ANCHOR_END: fan_out
}

// ANCHOR: remove
fn remove(state: &mut State, id: ClientId, hub: &Hub) {
    let Some(client) = state.clients.get(&id) else {
        return;
    };
    for room in client.rooms.clone() {
        leave_room(state, id, &room, hub);
    }
    state.clients.remove(&id);
}

fn leave_room(state: &mut State, id: ClientId, room: &str, hub: &Hub) {
    let Some(client) = state.clients.get_mut(&id) else {
        return;
    };
    let Some(at) = client.rooms.iter().position(|r| r == room) else {
        return;
    };
    client.rooms.swap_remove(at);
    let name = client.name.clone();
    let Some(members) = state.rooms.get_mut(room) else {
        return;
    };
    members.remove(&id);
    if members.is_empty() {
        state.rooms.remove(room);
    }
    let mut recipients: Vec<ClientId> = state
        .rooms
        .get(room)
        .map(|m| m.iter().copied().collect())
        .unwrap_or_default();
    if recipients.len() < NOTICE_LIMIT {
        recipients.push(id);
        let notice = Event::Left {
            room,
            name: &name,
            id,
        }
        .frame();
        // The leaver hears it too, as its acknowledgement. Best effort,
        // like the join notice: a full queue misses it.
        for member in recipients {
            hub.try_queue(state, member, &notice);
        }
    }
}
// ANCHOR_END: remove
