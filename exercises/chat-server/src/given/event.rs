//! What the server sends: events, serialised to JSON once each.
//!
//! A message to a room of 10,000 is turned into text once and the same
//! bytes are queued for every member ([`Frame`] is reference-counted:
//! cloning it copies a pointer, not the text).

use std::sync::Arc;

use serde::Serialize;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One serialised event, shared by every client it is sent to. An `Arc`
/// around tungstenite's own (already shared) text, only to make it one
/// pointer wide: every client's queue holds slots of this type, 32 of them
/// allocated as the queue is made, and 8 bytes a slot instead of 32 is
/// three quarters of a kilobyte per connection. Send it as
/// `Message::Text(Utf8Bytes::clone(&frame))`.
pub type Frame = Arc<Utf8Bytes>;

/// A room and how many are in it, as the `rooms` event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomInfo {
    pub name: String,
    pub members: usize,
}

/// Everything the server says to a client. Its JSON is the variant's name
/// in snake case as `"type"`, then its fields:
/// `{"type":"message","room":"rust","from":"alice","id":7,"text":"hi"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    /// The first frame on a new connection: the name and id it was given.
    Welcome { name: &'a str, id: u64 },
    /// A message to a room, sent to every member, the sender included.
    Message {
        room: &'a str,
        from: &'a str,
        id: u64,
        text: &'a str,
    },
    /// Someone joined the room (sent while the room is small, see
    /// [`NOTICE_LIMIT`]).
    Joined {
        room: &'a str,
        name: &'a str,
        id: u64,
    },
    /// Someone left the room (same rule).
    Left {
        room: &'a str,
        name: &'a str,
        id: u64,
    },
    /// To a client that joined: who is there (the first [`NAMES_LISTED`]
    /// names) and how many in all.
    Members {
        room: &'a str,
        names: Vec<&'a str>,
        count: usize,
    },
    /// The answer to `{"type":"rooms"}`.
    Rooms { rooms: Vec<RoomInfo> },
    /// The answer to `{"type":"name"}`.
    Renamed { name: &'a str },
    /// A frame that was not a valid command, or a command that cannot be
    /// done (saying something in a room one is not in).
    Error { code: &'a str, message: String },
}

/// Join and leave notices go to a room's members only while it has at most
/// this many: in a room of n, n joins would otherwise cost n²/2 frames
/// (50 million for 10,000), all of them about presence nobody can read.
pub const NOTICE_LIMIT: usize = 100;

/// How many names a `members` event lists (and the count says how many
/// there are in all). Kept small on purpose: tungstenite keeps the write
/// buffer as large as the largest frame a connection ever sent, so one
/// long list sent to each joiner would stay in memory for every one of
/// them.
pub const NAMES_LISTED: usize = 20;

impl Event<'_> {
    /// The event as a text frame, ready to queue.
    pub fn frame(&self) -> Frame {
        // Serialising plain strings and numbers cannot fail.
        let text = serde_json::to_string(self).expect("events serialise");
        Arc::new(Utf8Bytes::from(text))
    }
}
