//! The chat-server exercises: a WebSocket chat that holds thousands of
//! connections on two cores.
//!
//! Work through the steps in order (`cargo xtask grade chat-server` shows
//! where you are; `cargo xtask hint chat-server <step>` helps):
//!
//! | step | file | what you build |
//! |---|---|---|
//! | protocol | [`protocol`] | parse a client's frame into a typed command; bad input is an error, never a panic |
//! | broadcast | [`server`], [`connection`], [`hub`] | a task per connection; every message to every member, once, in order |
//! | rooms | [`hub`] | messages reach only a room's members; empty rooms removed |
//! | slow consumers | [`hub`], [`connection`] | a bounded queue per client; a client that stops reading is disconnected |
//! | limits | [`connection`], [`server`] | size limit, connection limit, idle and handshake timeouts; hostile clients lose only their own connection |
//! | shutdown | [`server`], [`connection`] | close frames (1001), queued messages flushed, every task ended |
//!
//! Given (in `src/given/`, not yours to edit): the settings ([`config`]),
//! the events the server sends ([`event`]) and the HTTP front door
//! ([`http`]) that serves the page and upgrades `/ws`.
//!
//! Run the program on your code: `cargo xtask run chat-server --mine`.

pub mod connection;
pub mod hub;
pub mod protocol;
pub mod server;

// Given (src/given/): settings, events, the HTTP front door.
mod given;
pub use given::{config, event, http};

pub use config::Config;
pub use connection::Ending;
pub use hub::{Hub, HubStats};
pub use server::{Server, Stats, Summary};
