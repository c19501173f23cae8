//! Ctrl-C (SIGINT) and SIGTERM as a cancellation: the first one cancels
//! the run's token — no new download starts, everything already
//! downloaded is still processed and committed — and the second one stops
//! the process at once. Even then nothing half-written remains: a file's
//! rows are committed in one transaction, or not at all.

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Watch for the signals on a thread of its own (the strategies each build
/// and drop their own runtimes); cancel `cancel` at the first, announcing
/// it with `note`.
pub fn cancel_on_signal(
    cancel: CancellationToken,
    note: impl Fn(&str) + Send + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the signal watcher")?;
    // Installed here, before the run starts: a signal that came before
    // the watcher's first poll would otherwise find the default action and
    // kill the process mid-transaction (safe, but not graceful).
    let (mut interrupt, mut terminate) = runtime
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            ))
        })
        .context("cannot handle Ctrl-C")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                let which = |first: bool| if first { "Ctrl-C" } else { "SIGTERM" };
                let first = tokio::select! {
                    _ = interrupt.recv() => true,
                    _ = terminate.recv() => false,
                };
                note(&format!(
                    "{}: stopping — no new downloads; what was downloaded is stored. {} again \
                     to stop at once",
                    which(first),
                    which(first)
                ));
                cancel.cancel();
                tokio::select! {
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
                eprintln!(
                    "error: stopped at once; every committed file is kept, run again to finish"
                );
                std::process::exit(i32::from(cli::ERROR));
            });
        })
        .context("starting the signal watcher")?;
    Ok(())
}
