//! `cargo xtask reset EXERCISE [STEP]`: put a step's file (or every file
//! of an exercise) back as it was handed out, to start the step over.
//!
//! Never at the cost of work: the learner's current file is first copied to
//! `target/xtask/reset/<exercise>/<unix-time>/<path in the exercise>`, and
//! the report says where. The stub itself is not stored anywhere in the
//! tree: its checksum is, in `[package.metadata.grade.stubs]` (`stubs.rs`),
//! and reset looks through the git history of the file for the version with
//! that checksum. The file is replaced by a rename, so an editor or the
//! grader never reads half of it.

use crate::given::checksum;
use crate::project::{Exercise, Project, Step};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise (a folder of exercises/, e.g. `concepts`).
    pub exercise: String,
    /// The step whose file to reset (e.g. `primes-threads`); every file of the exercise if omitted.
    pub step: Option<String>,
}

/// What reset did to one file.
#[derive(Debug, PartialEq, Eq)]
pub enum Done {
    /// It was the stub already: nothing written, nothing kept.
    AlreadyStub,
    /// Restored; the learner's version was kept there (`None`: there was
    /// no file to keep).
    Restored { kept: Option<PathBuf> },
}

pub fn run(args: &Args, out: &cli::Output) -> Result<()> {
    let project = Project::load()?;
    let exercise = project.exercise(&args.exercise)?;
    let step = args
        .step
        .as_deref()
        .map(|id| exercise.step(id))
        .transpose()?;
    let files: Vec<String> = match step {
        Some(step) => vec![step.file.clone()],
        None => exercise.stubs.keys().cloned().collect(),
    };
    if files.is_empty() {
        bail!(
            "exercises/{}/Cargo.toml records no stubs ([package.metadata.grade.stubs]): \
             there is nothing to reset to",
            exercise.name
        );
    }
    let keep = backup_dir(&project.state_dir(), &exercise.name);
    let done = reset(&project.root, exercise, &files, &keep)?;

    let shown = |path: &Path| {
        path.strip_prefix(&project.root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut stdout = std::io::stdout().lock();
    for (file, what) in files.iter().zip(&done) {
        let path = format!("exercises/{}/{file}", exercise.name);
        match what {
            Done::AlreadyStub => {
                writeln!(stdout, "{path} is already as handed out: nothing written")?
            }
            Done::Restored { kept } => {
                writeln!(stdout, "{path} is as handed out again")?;
                match kept {
                    Some(kept) => writeln!(stdout, "  your version is kept in {}", shown(kept))?,
                    None => writeln!(stdout, "  (it was missing: there was nothing to keep)")?,
                }
            }
        }
    }
    if step.is_none() {
        // A module the learner added has no stub to go back to.
        for added in crate::stubs::current(&exercise.dir)
            .into_keys()
            .filter(|f| !exercise.stubs.contains_key(f))
        {
            writeln!(
                stdout,
                "exercises/{}/{added} was not handed out: left as it is",
                exercise.name
            )?;
        }
    }
    if let (Some(step), [Done::Restored { .. }]) = (step, done.as_slice()) {
        let others = sharing(exercise, step);
        if !others.is_empty() {
            writeln!(
                stdout,
                "  the same file holds step{} {} too: {} work is reset as well, and kept in the same place",
                if others.len() == 1 { "" } else { "s" },
                others.join(", "),
                if others.len() == 1 { "its" } else { "their" }
            )?;
        }
    }
    if done.iter().any(|d| *d != Done::AlreadyStub) {
        out.note(format_args!(
            "grade it: cargo xtask grade {} (hints keep their place; `cargo xtask hint --reset {} STEP` starts them over)",
            exercise.name, exercise.name
        ));
    }
    Ok(())
}

/// The other steps whose work is in `step`'s file.
fn sharing(exercise: &Exercise, step: &Step) -> Vec<String> {
    exercise
        .steps
        .iter()
        .filter(|s| s.file == step.file && s.id != step.id)
        .map(|s| format!("`{}`", s.id))
        .collect()
}

/// `state_dir/reset/<exercise>/<unix-time>`, or `<unix-time>-2`, `-3`...
/// when a reset in the same second has it already: a second reset never
/// overwrites what the first one kept.
fn backup_dir(state_dir: &Path, exercise: &str) -> PathBuf {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let base = state_dir.join("reset").join(exercise);
    let mut dir = base.join(now.to_string());
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{now}-{n}"));
        n += 1;
    }
    dir
}

/// Restore `files` (paths relative to the exercise folder) of `exercise`
/// in the git checkout `root` to their recorded stubs, keeping each
/// learner's version under `keep` first. Every stub is found before
/// anything is written: a reset that cannot be done changes nothing.
pub fn reset(root: &Path, exercise: &Exercise, files: &[String], keep: &Path) -> Result<Vec<Done>> {
    let mut plan = Vec::new();
    let mut checked_git = false;
    for file in files {
        let recorded = exercise.stubs.get(file).with_context(|| {
            format!(
                "exercises/{0}/Cargo.toml records no stub for {file} ([package.metadata.grade.stubs]); \
                 it records: {1}",
                exercise.name,
                exercise.stubs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        let path = exercise.dir.join(file);
        let now = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        if now.as_deref().map(checksum).as_ref() == Some(recorded) {
            plan.push((path, now, None));
            continue;
        }
        if !checked_git {
            crate::git::check_checkout(root).context(
                "reset finds the stubs as handed out in the git history, so it needs a git checkout \
                 (outside one, take the file from the archive you downloaded)",
            )?;
            checked_git = true;
        }
        let in_repo = crate::given::key(root, &path)
            .with_context(|| format!("{} is not inside {}", path.display(), root.display()))?;
        let stub = find_stub(root, &in_repo, recorded)?;
        plan.push((path, now, Some(stub)));
    }

    let mut done = Vec::new();
    for ((path, now, stub), file) in plan.into_iter().zip(files) {
        let Some(stub) = stub else {
            done.push(Done::AlreadyStub);
            continue;
        };
        let kept = match &now {
            Some(bytes) => {
                let to = keep.join(file);
                std::fs::create_dir_all(to.parent().expect("a file is in a folder"))
                    .and_then(|()| std::fs::write(&to, bytes))
                    .with_context(|| format!("cannot keep your version in {}", to.display()))?;
                Some(to)
            }
            None => None,
        };
        write_atomically(&path, &stub)?;
        done.push(Done::Restored { kept });
    }
    Ok(done)
}

/// The newest version of `path` (relative to `root`) in the git history
/// whose checksum is `recorded`.
pub(crate) fn find_stub(root: &Path, path: &str, recorded: &str) -> Result<Vec<u8>> {
    let revisions = crate::git::revisions(root, path)?;
    for rev in &revisions {
        if let Some(bytes) = crate::git::show(root, rev, path)
            && checksum(&bytes) == recorded
        {
            return Ok(bytes);
        }
    }
    bail!(
        "no version of {path} in the git history is the stub recorded for it (checksum {recorded}; \
         {} looked at{}); nothing was changed",
        cli::human::count(revisions.len(), "version", "versions"),
        if revisions.len() <= 1 {
            " — a shallow clone? `git fetch --unshallow` brings the rest of the history"
        } else {
            ""
        }
    )
}

/// Replace `path` by `bytes` through a temporary file in the same folder
/// and a rename: the file is at every moment either the old one or the new
/// one, whole. The permissions of the old file carry over.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a file is in a folder");
    let name = path
        .file_name()
        .expect("a file has a name")
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.reset-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        // On disk before it is named: a crash leaves the old file or the
        // new one, never an empty one.
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::process::Command;

    const STUB: &str = "pub fn count() -> u64 {\n    todo!()\n}\n";

    /// A scratch git repository with one exercise, `exercises/demo`, whose
    /// `src/primes.rs` holds two steps and `src/queue.rs` one.
    struct Scratch {
        root: PathBuf,
        exercise: Exercise,
    }

    impl Scratch {
        fn new(tag: &str, git: bool) -> Scratch {
            let root =
                std::env::temp_dir().join(format!("xtask-reset-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            let dir = root.join("exercises/demo");
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(dir.join("src/primes.rs"), STUB).unwrap();
            std::fs::write(dir.join("src/queue.rs"), "// the queue\n").unwrap();
            let step = |id: &str, file: &str| Step {
                id: id.into(),
                title: id.into(),
                test: id.into(),
                file: file.into(),
                binary: "grade".into(),
                timeout: 1,
                walkthrough: None,
            };
            let stubs: BTreeMap<String, String> = crate::stubs::current(&dir);
            let exercise = Exercise {
                name: "demo".into(),
                package: "demo-exercise".into(),
                dir,
                solution: "demo-solution".into(),
                solution_dir: root.join("solutions/demo"),
                steps: vec![
                    step("threads", "src/primes.rs"),
                    step("rayon", "src/primes.rs"),
                    step("queue", "src/queue.rs"),
                ],
                mutants: vec![],
                given: BTreeMap::new(),
                stubs,
            };
            let scratch = Scratch { root, exercise };
            if git {
                scratch.git(&["init", "-q"]);
                scratch.commit("handed out");
            }
            scratch
        }

        fn git(&self, args: &[&str]) {
            let status = Command::new("git")
                .arg("-C")
                .arg(&self.root)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(["-c", "commit.gpgsign=false"])
                .args(args)
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }

        fn commit(&self, message: &str) {
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "-m", message]);
        }

        fn file(&self, path: &str) -> PathBuf {
            self.exercise.dir.join(path)
        }

        fn reset(&self, files: &[&str]) -> Result<Vec<Done>> {
            let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
            reset(&self.root, &self.exercise, &files, &self.root.join("kept"))
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn reset_restores_the_stub_from_history_and_keeps_the_work() {
        let scratch = Scratch::new("restore", true);
        // Work committed on top of the stub, then more work not committed:
        // the stub is an older version than HEAD's.
        std::fs::write(
            scratch.file("src/primes.rs"),
            "pub fn count() -> u64 { 1 }\n",
        )
        .unwrap();
        scratch.commit("my work");
        let work = "pub fn count() -> u64 { 2 }\n";
        std::fs::write(scratch.file("src/primes.rs"), work).unwrap();

        let done = scratch.reset(&["src/primes.rs", "src/queue.rs"]).unwrap();
        let kept = scratch.root.join("kept/src/primes.rs");
        assert_eq!(
            done,
            [
                Done::Restored {
                    kept: Some(kept.clone())
                },
                Done::AlreadyStub
            ]
        );
        assert_eq!(read(&scratch.file("src/primes.rs")), STUB);
        assert_eq!(read(&kept), work);
        // Only the changed file was kept; no temporary file left behind.
        assert!(!scratch.root.join("kept/src/queue.rs").exists());
        let left: Vec<_> = std::fs::read_dir(scratch.file("src")).unwrap().collect();
        assert_eq!(left.len(), 2);

        // Already the stub: nothing written, nothing kept.
        std::fs::remove_dir_all(scratch.root.join("kept")).unwrap();
        assert_eq!(
            scratch.reset(&["src/primes.rs"]).unwrap(),
            [Done::AlreadyStub]
        );
        assert!(!scratch.root.join("kept").exists());
    }

    #[test]
    fn a_deleted_file_comes_back() {
        let scratch = Scratch::new("deleted", true);
        std::fs::remove_file(scratch.file("src/queue.rs")).unwrap();
        assert_eq!(
            scratch.reset(&["src/queue.rs"]).unwrap(),
            [Done::Restored { kept: None }]
        );
        assert_eq!(read(&scratch.file("src/queue.rs")), "// the queue\n");
    }

    #[test]
    fn without_the_stub_in_history_nothing_is_changed() {
        let scratch = Scratch::new("unknown", true);
        let mut exercise = scratch.exercise.clone();
        exercise
            .stubs
            .insert("src/primes.rs".into(), checksum(b"never committed"));
        std::fs::write(scratch.file("src/queue.rs"), "// my queue\n").unwrap();
        std::fs::write(scratch.file("src/primes.rs"), "// my primes\n").unwrap();
        let files = ["src/queue.rs".to_owned(), "src/primes.rs".to_owned()];
        let err = reset(&scratch.root, &exercise, &files, &scratch.root.join("kept")).unwrap_err();
        assert!(
            format!("{err:#}").contains("no version of exercises/demo/src/primes.rs"),
            "{err:#}"
        );
        // The queue's stub was found, but nothing is written unless all are.
        assert_eq!(read(&scratch.file("src/queue.rs")), "// my queue\n");
        assert!(!scratch.root.join("kept").exists());
    }

    #[test]
    fn outside_a_git_checkout_reset_says_so_and_changes_nothing() {
        let scratch = Scratch::new("nogit", false);
        // The stub needs no history to be recognised.
        assert_eq!(
            scratch.reset(&["src/primes.rs"]).unwrap(),
            [Done::AlreadyStub]
        );
        std::fs::write(scratch.file("src/primes.rs"), "// mine\n").unwrap();
        let err = scratch.reset(&["src/primes.rs"]).unwrap_err();
        assert!(format!("{err:#}").contains("not a git checkout"), "{err:#}");
        assert_eq!(read(&scratch.file("src/primes.rs")), "// mine\n");
    }

    #[test]
    fn a_step_names_the_others_that_share_its_file() {
        let scratch = Scratch::new("sharing", false);
        let exercise = &scratch.exercise;
        assert_eq!(sharing(exercise, &exercise.steps[0]), ["`rayon`"]);
        assert!(sharing(exercise, &exercise.steps[2]).is_empty());
    }

    #[test]
    fn two_resets_in_one_second_keep_both_versions() {
        let scratch = Scratch::new("twice", false);
        let first = backup_dir(&scratch.root, "demo");
        std::fs::create_dir_all(&first).unwrap();
        let second = backup_dir(&scratch.root, "demo");
        assert_ne!(first, second);
        assert!(second.starts_with(scratch.root.join("reset/demo")));
    }
}
