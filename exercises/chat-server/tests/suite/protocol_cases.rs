//! The protocol step's table: frames a client may send, and what each one
//! must become. Kept apart from the checks so that the table reads as a
//! specification.

use crate::kata::protocol::Command;

/// What a frame must parse to: a command, or an error with this code.
pub enum Want {
    Is(Command),
    Error(&'static str),
}

use Want::{Error, Is};

fn s(text: &str) -> String {
    text.to_string()
}

/// (what the case is about, the frame, what it must parse to)
pub fn cases() -> Vec<(&'static str, String, Want)> {
    let name = |n: &str| {
        format!(
            r#"{{"type":"name","name":{}}}"#,
            serde_json::to_string(n).unwrap()
        )
    };
    let join = |r: &str| {
        format!(
            r#"{{"type":"join","room":{}}}"#,
            serde_json::to_string(r).unwrap()
        )
    };
    let say = |t: &str| {
        format!(
            r#"{{"type":"say","room":"rust","text":{}}}"#,
            serde_json::to_string(t).unwrap()
        )
    };
    let xss = "<img src=x onerror=alert(1)>";
    vec![
        ("a name", name("alice"), Is(Command::Name(s("alice")))),
        (
            "a name is trimmed",
            name("  bob \t"),
            Is(Command::Name(s("bob"))),
        ),
        ("an empty name", name(""), Error("bad_name")),
        ("a name of spaces", name("    "), Error("bad_name")),
        (
            "a name of 32 characters",
            name(&"a".repeat(32)),
            Is(Command::Name("a".repeat(32))),
        ),
        (
            "a name of 33 characters",
            name(&"a".repeat(33)),
            Error("bad_name"),
        ),
        // 32 characters, 64 bytes: the limit is in characters.
        (
            "a name of 32 two-byte characters",
            name(&"é".repeat(32)),
            Is(Command::Name("é".repeat(32))),
        ),
        (
            "a name of 33 two-byte characters",
            name(&"é".repeat(33)),
            Error("bad_name"),
        ),
        (
            "a name with a control character",
            name("al\u{7}ice"),
            Error("bad_name"),
        ),
        ("a name with a newline", name("al\nice"), Error("bad_name")),
        // Not only ASCII: U+009B (a C1 control, "CSI") moves a terminal's
        // cursor as surely as ESC does.
        (
            "a name with a C1 control character",
            name("al\u{9b}ice"),
            Error("bad_name"),
        ),
        // Markup is a fine name: showing it as text is the page's job.
        (
            "a name that is markup",
            name(xss),
            Is(Command::Name(s(xss))),
        ),
        ("a room", join("rust"), Is(Command::Join(s("rust")))),
        (
            "a room of letters, digits, - and _",
            join("Rust-2024_x"),
            Is(Command::Join(s("Rust-2024_x"))),
        ),
        ("an empty room name", join(""), Error("bad_room")),
        (
            "a room name that is a path",
            join("../etc"),
            Error("bad_room"),
        ),
        ("a room name with a space", join("a b"), Error("bad_room")),
        // Not trimmed: "rust " is refused, not quietly merged into "rust".
        (
            "a room name ending in a space",
            join("rust "),
            Error("bad_room"),
        ),
        (
            "a room name starting with a space",
            join(" rust"),
            Error("bad_room"),
        ),
        (
            "a room name with a non-ASCII letter",
            join("café"),
            Error("bad_room"),
        ),
        (
            "a room name of 32 characters",
            join(&"r".repeat(32)),
            Is(Command::Join("r".repeat(32))),
        ),
        (
            "a room name of 33 characters",
            join(&"r".repeat(33)),
            Error("bad_room"),
        ),
        (
            "leave",
            s(r#"{"type":"leave","room":"rust"}"#),
            Is(Command::Leave(s("rust"))),
        ),
        (
            "leave a bad room",
            s(r#"{"type":"leave","room":"a/b"}"#),
            Error("bad_room"),
        ),
        (
            "a message",
            say("hello"),
            Is(Command::Say {
                room: s("rust"),
                text: s("hello"),
            }),
        ),
        (
            "a message that is markup, kept as it is",
            say(xss),
            Is(Command::Say {
                room: s("rust"),
                text: s(xss),
            }),
        ),
        (
            "a message kept as sent, spaces and all",
            say("  hi  "),
            Is(Command::Say {
                room: s("rust"),
                text: s("  hi  "),
            }),
        ),
        (
            "a message with a newline",
            say("two\nlines"),
            Is(Command::Say {
                room: s("rust"),
                text: s("two\nlines"),
            }),
        ),
        ("an empty message", say(""), Error("bad_text")),
        ("a message of spaces", say("  \n "), Error("bad_text")),
        (
            "a message of 2000 three-byte characters",
            say(&"字".repeat(2000)),
            Is(Command::Say {
                room: s("rust"),
                text: "字".repeat(2000),
            }),
        ),
        (
            "a message of 2001 characters",
            say(&"字".repeat(2001)),
            Error("bad_text"),
        ),
        // The text goes out as sent, spaces and all: the limit counts what
        // is sent, not what is left after trimming.
        (
            "a message of 2000 characters after 500 spaces",
            say(&format!("{}{}", " ".repeat(500), "x".repeat(2000))),
            Error("bad_text"),
        ),
        (
            "a message to a bad room",
            s(r#"{"type":"say","room":"no room","text":"hi"}"#),
            Error("bad_room"),
        ),
        (
            "say without a room",
            s(r#"{"type":"say","text":"hi"}"#),
            Error("missing_field"),
        ),
        (
            "say without a text",
            s(r#"{"type":"say","room":"rust"}"#),
            Error("missing_field"),
        ),
        (
            "join without a room",
            s(r#"{"type":"join"}"#),
            Error("missing_field"),
        ),
        (
            "name without a name",
            s(r#"{"type":"name"}"#),
            Error("missing_field"),
        ),
        ("no type", s(r#"{"room":"rust"}"#), Error("missing_field")),
        (
            "the room list",
            s(r#"{"type":"rooms"}"#),
            Is(Command::Rooms),
        ),
        (
            "unknown fields are ignored",
            s(r#"{"type":"rooms","colour":"red"}"#),
            Is(Command::Rooms),
        ),
        (
            "an unknown type",
            s(r#"{"type":"dance"}"#),
            Error("unknown_type"),
        ),
        (
            "a type in capitals",
            s(r#"{"type":"SAY","room":"rust","text":"hi"}"#),
            Error("unknown_type"),
        ),
        ("not JSON", s("hello"), Error("bad_json")),
        (
            "half an object",
            s(r#"{"type":"say","room":"ru"#),
            Error("bad_json"),
        ),
        ("an array", s(r#"["say","rust","hi"]"#), Error("bad_json")),
        ("null", s("null"), Error("bad_json")),
        ("a number", s("42"), Error("bad_json")),
        ("an empty frame", s(""), Error("bad_json")),
        (
            "a type that is a number",
            s(r#"{"type":7}"#),
            Error("bad_json"),
        ),
        (
            "a name that is a number",
            s(r#"{"type":"name","name":7}"#),
            Error("bad_json"),
        ),
        (
            "a text that is an object",
            s(r#"{"type":"say","room":"rust","text":{"a":1}}"#),
            Error("bad_json"),
        ),
        (
            "nesting 10,000 deep",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            Error("bad_json"),
        ),
    ]
}
