//! Step 1 — the protocol: a client's text frame in, a typed command out;
//! server events back as JSON.
//!
//! Everything a client sends is hostile until proved otherwise: not JSON,
//! JSON of the wrong shape, a name of 10,000 characters, a room called
//! `../etc`, text that is only spaces. Each of those is a typed
//! [`ProtocolError`], answered with an `error` event on the same
//! connection; none of them is a panic, because a panic in one
//! connection's task is a bug a client can trigger at will.
//!
//! Graded by `cargo xtask grade chat-server protocol` (a table of cases and
//! a few thousand random frames). serde_json does the JSON: deserialise into
//! a struct of optional string fields, then check each one yourself.

use thiserror::Error;

/// The longest name, in characters (not bytes: "é" is one character and
/// two bytes, and a limit in bytes would cut it in half).
pub const MAX_NAME_CHARS: usize = 32;
/// The longest room name, in characters of `[A-Za-z0-9_-]`.
pub const MAX_ROOM_CHARS: usize = 32;
/// The longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// What a client can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `{"type":"name","name":"alice"}`: choose a display name.
    Name(String),
    /// `{"type":"join","room":"rust"}`: join a room, creating it if needed.
    Join(String),
    /// `{"type":"leave","room":"rust"}`
    Leave(String),
    /// `{"type":"say","room":"rust","text":"hi"}`: send to every member of
    /// a room the client is in (the sender included).
    Say { room: String, text: String },
    /// `{"type":"rooms"}`: ask for the list of rooms.
    Rooms,
}

/// Why a frame is not a command. [`ProtocolError::code`] is what the
/// client sees in the `error` event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("not a JSON object of strings: {0}")]
    BadJson(String),
    #[error("unknown type {0:?}")]
    UnknownType(String),
    #[error("missing field {0:?}")]
    MissingField(&'static str),
    #[error("a name has 1 to {MAX_NAME_CHARS} characters and no control characters")]
    BadName,
    #[error("a room name has 1 to {MAX_ROOM_CHARS} characters of A-Z, a-z, 0-9, _ and -")]
    BadRoom,
    #[error("a message has 1 to {MAX_TEXT_CHARS} characters, not all of them spaces")]
    BadText,
}

impl ProtocolError {
    /// The short code sent to the client.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::BadJson(_) => "bad_json",
            ProtocolError::UnknownType(_) => "unknown_type",
            ProtocolError::MissingField(_) => "missing_field",
            ProtocolError::BadName => "bad_name",
            ProtocolError::BadRoom => "bad_room",
            ProtocolError::BadText => "bad_text",
        }
    }
}

/// Parses and validates one client text frame.
///
/// - Not a JSON object whose fields are strings: [`ProtocolError::BadJson`].
/// - No `"type"`, or a type without its field: [`ProtocolError::MissingField`].
/// - A `"type"` other than name, join, leave, say, rooms (case matters):
///   [`ProtocolError::UnknownType`]. Unknown extra fields are ignored.
/// - A name is trimmed, then has 1 to [`MAX_NAME_CHARS`] characters and no
///   control characters; a room name (not trimmed) has 1 to
///   [`MAX_ROOM_CHARS`] characters of `A-Za-z0-9_-`; a text has 1 to
///   [`MAX_TEXT_CHARS`] characters, not all whitespace, kept as sent.
///
/// Limits count characters, not bytes (`"é"` is one character, two bytes).
pub fn parse(frame: &str) -> Result<Command, ProtocolError> {
    todo!("parse {frame:?} into a Command, or say why it is not one")
}
