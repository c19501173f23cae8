//! Running the release binary and its peers: one program for its JSON
//! output, a server kept for the length of a bench, or a round of several
//! processes started side by side and measured together (wall time, CPU
//! time of every child, the largest child's peak memory).
//!
//! Every child is killed when its handle is dropped, so a bench that fails
//! half-way leaves no server or worker behind.

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};

/// Run `command` to the end and read what it prints on stdout as JSON.
pub fn json<T: DeserializeOwned>(command: &mut Command) -> Result<T> {
    json_if(command, |code| code == Some(i32::from(cli::DONE)))
}

/// [`json`] for one of this workspace's programs, whose exit code 1 means
/// "done, and found failures" (pages that answered 404 on a real site):
/// its JSON is complete, and the failures are in it.
pub fn json_done<T: DeserializeOwned>(command: &mut Command) -> Result<T> {
    json_if(command, |code| {
        code == Some(i32::from(cli::DONE)) || code == Some(i32::from(cli::FAILURES))
    })
}

fn json_if<T: DeserializeOwned>(
    command: &mut Command,
    done: impl Fn(Option<i32>) -> bool,
) -> Result<T> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !done(output.status.code()) {
        bail!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("cannot read the JSON of {command:?}"))
}

/// A child process, killed and reaped when dropped unless it was waited for.
#[derive(Debug)]
pub struct Running {
    /// `None` once reaped: its pid may then belong to another process, which
    /// must never be sent our kill.
    child: Option<Child>,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Result<Running> {
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {:?}", command.get_program()))?;
        Ok(Running { child: Some(child) })
    }

    pub fn child_mut(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("a running child until waited for")
    }

    /// Wait for the child with `wait4`, which (unlike `Child::wait`) also
    /// hands back its resource usage: its own peak memory, where
    /// `getrusage(RUSAGE_CHILDREN)` only has the largest of every child this
    /// process ever had, so it could never go down from one row to the next.
    /// Returns the exit status and the peak resident set in bytes (with that
    /// of any children it waited for).
    fn wait_with_usage(&mut self) -> std::io::Result<(ExitStatus, u64)> {
        let child = self.child.as_ref().expect("waited for once");
        // Not reaped on an error: dropping `self` must still kill it.
        let (status, usage) = harness::cpu::wait_with_usage(child)?;
        // Reaped: the handle goes, since the pid is no longer ours to kill.
        self.child = None;
        Ok((status, usage.max_rss_bytes))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Start a server that prints its URL as the first line on stdout (`crawler
/// serve`, `pipeline serve`), and read that line. The server is killed when
/// the handle is dropped.
pub fn serving(command: &mut Command) -> Result<(Running, String)> {
    let mut process = Running::spawn(command.stdout(Stdio::piped()).stderr(Stdio::null()))?;
    let stdout = process.child_mut().stdout.take().context("no stdout")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let url = line.trim().to_owned();
    if !url.starts_with("http://") {
        bail!(
            "{:?} did not print its URL",
            command.get_args().collect::<Vec<_>>()
        );
    }
    Ok((process, url))
}

/// One finished process of a round.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Its peak resident set, with that of any children it waited for.
    pub max_rss_bytes: u64,
}

impl Finished {
    /// The last line it wrote on stderr that is not blank: what a failing
    /// tool says last is usually why.
    pub fn last_words(&self) -> String {
        String::from_utf8_lossy(&self.stderr)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_owned()
    }
}

/// A round measured: its processes, the wall time from the first start to
/// the last exit, and the CPU time of this process and all its children.
pub type Round = (Result<Vec<Finished>, String>, harness::cpu::Usage);

/// Start every command at once, wait for all of them, and measure them
/// together, holding the project's CPU lock (`harness::exclusive`) for the
/// round: a graded test measuring cores used, in this or another checkout,
/// never runs beside a round, so neither skews the other.
pub fn measured_side_by_side(commands: Vec<Command>) -> Round {
    let _cpu = harness::exclusive::cpu();
    harness::cpu::measure_with_children(|| side_by_side(commands))
}

/// Start every command at once and wait for all of them, collecting their
/// output (on threads, so that no child blocks on a full pipe).
pub fn side_by_side(commands: Vec<Command>) -> Result<Vec<Finished>, String> {
    let mut running = Vec::new();
    for mut command in commands {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The ones already started are killed as `running` drops.
        running.push(Running::spawn(&mut command).map_err(|e| format!("{e:#}"))?);
    }
    std::thread::scope(|scope| {
        let waiting: Vec<_> = running
            .iter_mut()
            .map(|process| {
                let child = process.child_mut();
                let mut stdout = child.stdout.take().expect("piped");
                let mut stderr = child.stderr.take().expect("piped");
                scope.spawn(move || {
                    let errors = std::thread::spawn(move || {
                        let mut bytes = Vec::new();
                        let _ = stderr.read_to_end(&mut bytes);
                        bytes
                    });
                    let mut out = Vec::new();
                    let _ = stdout.read_to_end(&mut out);
                    let err = errors.join().unwrap_or_default();
                    process
                        .wait_with_usage()
                        .map(|(status, max_rss_bytes)| Finished {
                            status,
                            stdout: out,
                            stderr: err,
                            max_rss_bytes,
                        })
                })
            })
            .collect();
        waiting
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| "a waiting thread panicked".to_owned())?
                    .map_err(|e| format!("cannot wait for a process: {e}"))
            })
            .collect()
    })
}

/// The first line a program prints on stdout for `args`, if it runs and
/// succeeds: how a peer's version is read.
pub fn first_line(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines().next().map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn side_by_side_collects_every_output_and_status() {
        let finished =
            side_by_side(vec![sh("echo one; echo oops >&2"), sh("echo two; exit 3")]).unwrap();
        assert_eq!(finished.len(), 2);
        assert_eq!(finished[0].stdout, b"one\n");
        assert_eq!(finished[0].last_words(), "oops");
        assert!(finished[0].status.success());
        assert_eq!(finished[1].stdout, b"two\n");
        assert_eq!(finished[1].status.code(), Some(3));
    }

    #[test]
    fn the_processes_really_run_at_the_same_time() {
        // A FIFO opens only once both ends are open: run one after the
        // other, the reader would wait for a writer that never comes (and
        // `timeout` would end it with status 124).
        let dir = std::env::temp_dir().join(format!("xtask-bench-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let fifo = fifo.display();
        let finished = side_by_side(vec![
            sh(&format!("timeout 10 cat '{fifo}'")),
            sh(&format!("timeout 10 sh -c \"echo hello > '{fifo}'\"")),
        ])
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(finished[0].stdout, b"hello\n");
        assert!(finished.iter().all(|f| f.status.success()));
    }

    #[test]
    fn a_command_that_cannot_start_is_an_error() {
        let err = side_by_side(vec![sh("sleep 5"), Command::new("/no/such/program")]);
        assert!(err.unwrap_err().contains("/no/such/program"));
    }

    #[test]
    fn a_dropped_child_is_killed_and_reaped() {
        let mut process = Running::spawn(Command::new("sleep").arg("30")).unwrap();
        let pid = process.child_mut().id();
        drop(process);
        // Killed and waited for: not even a zombie is left.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn json_reads_stdout_and_reports_a_failure() {
        let value: Vec<u32> = json(&mut sh("echo '[1, 2]'")).unwrap();
        assert_eq!(value, [1, 2]);
        let err = json::<Vec<u32>>(&mut sh("echo broken >&2; exit 1")).unwrap_err();
        assert!(format!("{err:#}").contains("broken"), "{err:#}");
        // Done with failures found: the JSON holds them.
        let value: Vec<u32> = json_done(&mut sh("echo '[3]'; exit 1")).unwrap();
        assert_eq!(value, [3]);
        assert!(json_done::<Vec<u32>>(&mut sh("echo '[3]'; exit 2")).is_err());
    }
}
