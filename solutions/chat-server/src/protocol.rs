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
//! a few thousand random frames).

use serde::Deserialize;
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

// ANCHOR: parse
/// The shape of every client frame: one object, every field a string.
/// serde does the JSON; the checks after it are ours.
#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    room: Option<String>,
    text: Option<String>,
}

/// Parses and validates one client text frame.
pub fn parse(frame: &str) -> Result<Command, ProtocolError> {
    let raw: Raw =
        serde_json::from_str(frame).map_err(|e| ProtocolError::BadJson(e.to_string()))?;
    let kind = raw.kind.ok_or(ProtocolError::MissingField("type"))?;
    let field = |value: Option<String>, name| value.ok_or(ProtocolError::MissingField(name));
    match kind.as_str() {
        "name" => {
            let name = field(raw.name, "name")?;
            let name = name.trim();
            let chars = name.chars().count();
            if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(ProtocolError::BadName);
            }
            Ok(Command::Name(name.to_string()))
        }
        "join" => Ok(Command::Join(room(field(raw.room, "room")?)?)),
        "leave" => Ok(Command::Leave(room(field(raw.room, "room")?)?)),
        "say" => {
            let room = room(field(raw.room, "room")?)?;
            let text = field(raw.text, "text")?;
            if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
                return Err(ProtocolError::BadText);
            }
            Ok(Command::Say { room, text })
        }
        "rooms" => Ok(Command::Rooms),
        _ => Err(ProtocolError::UnknownType(kind)),
    }
}
// ANCHOR_END: parse

// ANCHOR: room
/// A room name is checked, never trimmed or rewritten: `Rust` and `rust`
/// are two rooms, and `rust ` is refused rather than silently merged.
fn room(name: String) -> Result<String, ProtocolError> {
    let ok = (1..=MAX_ROOM_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(name)
    } else {
        Err(ProtocolError::BadRoom)
    }
}
// ANCHOR_END: room
