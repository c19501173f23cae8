//! A `todo!()` the learner has not replaced yet is not a crash: a program
//! built on the learner's code (`cargo xtask run <exercise> --mine`) that
//! reaches one says which function is still to write, where, and what to
//! do — one line, no backtrace — and exits with the "could not be done"
//! code.

use std::panic::PanicHookInfo;

/// Install the hook: a panic from `todo!()` ends the program with a
/// one-line explanation; any other panic is reported as usual.
pub fn explain_todo_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| match todo_message(info) {
        Some(message) => {
            eprintln!("{message}");
            std::process::exit(i32::from(crate::ERROR));
        }
        None => default(info),
    }));
}

/// The explanation of a `todo!()` panic, or `None` for any other panic.
fn todo_message(info: &PanicHookInfo<'_>) -> Option<String> {
    let payload = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())?;
    let what = payload.strip_prefix("not yet implemented")?;
    let what = what.trim_start_matches(':').trim();
    let place = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_else(|| "your exercise".into());
    Some(explain(&place, what))
}

fn explain(place: &str, what: &str) -> String {
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" ({what})")
    };
    format!(
        "error: this run reached a todo!() you have not replaced yet, at {place}{what}. \
         Write that function (cargo xtask grade tells how far you are), or run only what uses \
         the steps you have done."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explanation_names_the_place_and_the_job() {
        let text = explain(
            "exercises/concepts/src/primes.rs:98",
            "count primes with rayon",
        );
        assert!(
            text.starts_with("error: this run reached a todo!()"),
            "{text}"
        );
        assert!(
            text.contains("primes.rs:98 (count primes with rayon)"),
            "{text}"
        );
        assert!(!explain("x.rs:1", "").contains("()."), "no empty brackets");
    }
}
