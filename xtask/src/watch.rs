//! `cargo xtask watch [EXERCISE]`: grade, then grade again whenever a file of
//! the exercise is saved; between grades, keys: `h` a hint for the step the
//! report points to, `n` the next step (its title, file and first hint),
//! `r` grade again now, `q` quit.
//!
//! It polls modification times twice a second rather than using OS file
//! notifications: one less dependency, and it behaves the same on every
//! platform and editor (including those that save by renaming). Keys are
//! read without Enter on a terminal, a line at a time otherwise (see
//! `keys.rs`).

use crate::hint::{self, Asked, Which};
use crate::keys::{Key, Keys};
use crate::project::{Exercise, Project, Step};
use anyhow::Result;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise to watch (default: all of them).
    pub exercise: Option<String>,
}

/// How often saved files are looked for.
const POLL: Duration = Duration::from_millis(500);

pub fn run(args: &Args, out: &cli::Output) -> Result<()> {
    let project = Project::load()?;
    let exercises = project.select(args.exercise.as_deref())?;
    let dirs: Vec<PathBuf> = exercises.iter().map(|e| e.dir.clone()).collect();
    let mut live = Live {
        project: &project,
        out,
        steps: Steps::new(&exercises),
        grade: crate::grade::Args {
            exercise: args.exercise.clone(),
            ..Default::default()
        },
        // Clearing the screen is for a person at a terminal; in a file or
        // a pipe the reports simply follow each other.
        clear: std::io::stdout().is_terminal(),
        before: snapshot(&dirs),
        dirs,
    };
    let keys = Keys::start();
    watch(&mut live, &keys.rx, POLL);
    // `keys` drops here: the terminal is as it was.
    Ok(())
}

/// What the watch loop drives: the real one grades and prints, a test's
/// records what it was asked.
trait Session {
    /// Grade the files as they are now.
    fn grade(&mut self);
    /// `h` or `n`.
    fn key(&mut self, key: Key);
    /// Say what is watched, and the keys while there is input to read.
    fn prompt(&mut self, keys: bool);
    /// Was a file saved since the last grade?
    fn changed(&mut self) -> bool;
}

/// Grade; then wait for a key or a saved file, looking for saves every
/// `poll`; grade again on `r` or a save; return on `q`. When the input
/// ends, files are still watched (Ctrl-C stops).
fn watch(session: &mut impl Session, keys: &Receiver<Key>, poll: Duration) {
    let mut keys_open = true;
    loop {
        session.grade();
        // Keys pressed while grading: `r` is done already, the others count.
        while let Ok(key) = keys.try_recv() {
            match key {
                Key::Quit => return,
                Key::Regrade => {}
                other => session.key(other),
            }
        }
        session.prompt(keys_open);
        loop {
            let key = if keys_open {
                match keys.recv_timeout(poll) {
                    Ok(key) => Some(key),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => {
                        keys_open = false;
                        None
                    }
                }
            } else {
                std::thread::sleep(poll);
                None
            };
            match key {
                Some(Key::Quit) => return,
                Some(Key::Regrade) => break,
                Some(key) => {
                    session.key(key);
                    session.prompt(keys_open);
                }
                None => {}
            }
            if session.changed() {
                break;
            }
        }
    }
}

/// The real session: grades and hints on the terminal.
struct Live<'a> {
    project: &'a Project,
    out: &'a cli::Output,
    steps: Steps<'a>,
    grade: crate::grade::Args,
    clear: bool,
    dirs: Vec<PathBuf>,
    /// The files as they were when the last grade started.
    before: BTreeMap<PathBuf, SystemTime>,
}

impl Session for Live<'_> {
    fn grade(&mut self) {
        self.before = snapshot(&self.dirs);
        if self.clear {
            // The newest report is the only one in view.
            print!("\x1b[2J\x1b[H");
            // Now, before cargo writes its build output (and errors) to
            // stderr: flushed later, the clear would wipe them off the screen.
            let _ = std::io::stdout().flush();
        }
        let next = match crate::grade::grade(&self.grade) {
            Ok(graded) => graded.progress.and_then(|p| p.next),
            Err(err) => {
                eprintln!("error: {err:#}");
                None
            }
        };
        self.steps.point_at(
            next.as_ref()
                .map(|n| (n.exercise.as_str(), n.step.as_str())),
        );
    }

    fn key(&mut self, key: Key) {
        self.steps.act(self.project, key);
    }

    fn prompt(&mut self, keys: bool) {
        prompt(self.out, &self.dirs, self.project, &self.steps, keys);
    }

    fn changed(&mut self) -> bool {
        snapshot(&self.dirs) != self.before
    }
}

/// The steps watched, in the order of work, and the one the keys are about.
struct Steps<'a> {
    all: Vec<(&'a Exercise, &'a Step)>,
    /// The step `h` gives hints for: the first not passed after a grade,
    /// moved on by `n`. `None` when every step passed.
    at: Option<usize>,
}

impl<'a> Steps<'a> {
    fn new(exercises: &[&'a Exercise]) -> Steps<'a> {
        let all = exercises
            .iter()
            .flat_map(|e| e.steps.iter().map(move |s| (*e, s)))
            .collect();
        Steps { all, at: None }
    }

    fn point_at(&mut self, step: Option<(&str, &str)>) {
        self.at = step.and_then(|(exercise, id)| {
            self.all
                .iter()
                .position(|(e, s)| e.name == exercise && s.id == id)
        });
    }

    fn current(&self) -> Option<(&'a Exercise, &'a Step)> {
        self.at.map(|i| self.all[i])
    }

    /// `n`: the step after the current one (the first when every step
    /// passed); `None` after the last.
    fn advance(&mut self) -> Option<(&'a Exercise, &'a Step)> {
        let next = self.at.map_or(0, |i| i + 1);
        if next >= self.all.len() {
            return None;
        }
        self.at = Some(next);
        self.current()
    }

    fn act(&mut self, project: &Project, key: Key) {
        let shown = match key {
            Key::Hint => match self.current() {
                Some((exercise, step)) => {
                    println!();
                    hint::show(project, exercise, step, Which::Next, Asked::Watch)
                }
                None => {
                    println!("\nevery step passed: no hint to give (n goes through the steps)");
                    Ok(())
                }
            },
            Key::Next => match self.advance() {
                Some((exercise, step)) => {
                    println!("\nnext step:");
                    hint::show(project, exercise, step, Which::Level(1), Asked::Watch)
                }
                None => {
                    println!("\nthat was the last step");
                    Ok(())
                }
            },
            Key::Regrade | Key::Quit => Ok(()),
        };
        if let Err(err) = shown {
            eprintln!("error: {err:#}");
        }
    }
}

/// The "watching ..." line, with the keys and the step `h` is about.
fn prompt(out: &cli::Output, dirs: &[PathBuf], project: &Project, steps: &Steps<'_>, keys: bool) {
    let watched = shown(dirs, project);
    let line = if keys {
        let about = match steps.current() {
            Some((exercise, step)) => format!(" ({} › {})", exercise.name, step.id),
            None => String::new(),
        };
        format!(
            "watching {watched} for changes — h hint{about} · n next step · r re-grade · q quit"
        )
    } else {
        format!("watching {watched} for changes — Ctrl-C to stop")
    };
    out.note(format_args!("\n{line}"));
}

fn shown(dirs: &[PathBuf], project: &Project) -> String {
    let names: Vec<String> = dirs
        .iter()
        .map(|d| {
            d.strip_prefix(&project.root)
                .unwrap_or(d)
                .display()
                .to_string()
        })
        .collect();
    names.join(", ")
}

/// Every file under `dirs` with its modification time.
fn snapshot(dirs: &[PathBuf]) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    for dir in dirs {
        walk(dir, &mut files);
    }
    files
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, SystemTime>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            // Editors' and cargo's scratch folders are not the learner's work.
            let name = entry.file_name();
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                walk(&path, files);
            }
        } else if let Ok(modified) = meta.modified() {
            files.insert(path, modified);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, Sender};

    /// A session that presses the next scripted key (or none) whenever it
    /// is prompted, as a person reading the prompt would, and records what
    /// it was asked to do.
    struct Scripted {
        tx: Option<Sender<Key>>,
        script: Vec<Option<Key>>,
        /// A file is "saved" after the grade with this number (from 1).
        save_after: Option<usize>,
        log: Vec<String>,
        grades: usize,
    }

    impl Session for Scripted {
        fn grade(&mut self) {
            self.grades += 1;
            self.log.push(format!("grade {}", self.grades));
        }
        fn key(&mut self, key: Key) {
            self.log.push(format!("{key:?}"));
        }
        fn prompt(&mut self, keys: bool) {
            self.log.push(format!("prompt keys={keys}"));
            if let (Some(tx), false) = (&self.tx, self.script.is_empty())
                && let Some(key) = self.script.remove(0)
            {
                tx.send(key).unwrap();
            }
        }
        fn changed(&mut self) -> bool {
            self.save_after == Some(self.grades) && self.save_after.take().is_some()
        }
    }

    fn scripted(script: &[Option<Key>], save_after: Option<usize>) -> (Scripted, Receiver<Key>) {
        let (tx, rx) = mpsc::channel();
        let session = Scripted {
            tx: Some(tx),
            script: script.to_vec(),
            save_after,
            log: Vec::new(),
            grades: 0,
        };
        (session, rx)
    }

    #[test]
    fn keys_hint_regrade_and_quit_and_a_save_grades_again() {
        let (mut session, rx) = scripted(
            &[
                Some(Key::Hint),
                Some(Key::Next),
                Some(Key::Regrade),
                None,
                Some(Key::Quit),
            ],
            Some(2),
        );
        watch(&mut session, &rx, Duration::from_millis(1));
        assert_eq!(
            session.log,
            [
                "grade 1",
                "prompt keys=true",
                "Hint",
                "prompt keys=true",
                "Next",
                "prompt keys=true",
                // `r`
                "grade 2",
                "prompt keys=true",
                // no key, but a file saved
                "grade 3",
                "prompt keys=true",
                // `q`
            ]
        );
    }

    #[test]
    fn h_is_about_the_first_step_not_passed_and_n_moves_on_across_exercises() {
        let exercise = |name: &str, ids: &[&str]| Exercise {
            name: name.into(),
            package: String::new(),
            dir: PathBuf::new(),
            solution: String::new(),
            solution_dir: PathBuf::new(),
            steps: ids
                .iter()
                .map(|id| Step {
                    id: (*id).into(),
                    title: String::new(),
                    test: String::new(),
                    file: String::new(),
                    binary: String::new(),
                    timeout: 1,
                    walkthrough: None,
                })
                .collect(),
            mutants: vec![],
            given: Default::default(),
            stubs: Default::default(),
        };
        let (a, b) = (exercise("a", &["one", "two"]), exercise("b", &["three"]));
        let mut steps = Steps::new(&[&a, &b]);
        let at = |steps: &Steps<'_>| steps.current().map(|(e, s)| format!("{}/{}", e.name, s.id));
        steps.point_at(Some(("a", "two")));
        assert_eq!(at(&steps).as_deref(), Some("a/two"));
        assert_eq!(steps.advance().map(|(_, s)| s.id.as_str()), Some("three"));
        assert!(steps.advance().is_none(), "after the last step");
        assert_eq!(at(&steps).as_deref(), Some("b/three"));
        // Every step passed: nothing to hint; `n` starts from the first.
        steps.point_at(None);
        assert_eq!(at(&steps), None);
        assert_eq!(steps.advance().map(|(_, s)| s.id.as_str()), Some("one"));
    }

    #[test]
    fn keys_pressed_while_grading_count_once_it_is_done() {
        let (mut session, rx) = scripted(&[], None);
        let tx = session.tx.take().unwrap();
        for key in [Key::Regrade, Key::Hint, Key::Regrade, Key::Quit] {
            tx.send(key).unwrap();
        }
        watch(&mut session, &rx, Duration::from_millis(1));
        // One grade: the `r`s came while it ran; the hint is given after it.
        assert_eq!(session.log, ["grade 1", "Hint"]);
    }

    #[test]
    fn a_saved_file_changes_the_snapshot() {
        let dir = std::env::temp_dir().join(format!("xtask-watch-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/lib.rs"), "one").unwrap();
        let before = snapshot(std::slice::from_ref(&dir));
        assert_eq!(before.len(), 1);
        std::fs::write(dir.join("src/new.rs"), "two").unwrap();
        assert_ne!(snapshot(std::slice::from_ref(&dir)), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
