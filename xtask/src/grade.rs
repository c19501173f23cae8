//! `cargo xtask grade`: build an exercise's graded suite against some code —
//! the learner's, the reference, or a mutant — and run each step in its own
//! process.
//!
//! Why a process per step rather than one `cargo test`: a step that
//! deadlocks or spins is killed without touching the others, CPU
//! measurements never overlap, and the output of each step is its own, so
//! the verdict (see `outcome.rs`) is unambiguous.

use crate::mutant::Mutant;
use crate::outcome::{self, Outcome, Run};
use crate::project::{Exercise, Project, Step};
use crate::report::{self, ExerciseReport, MutantReport, Progress, Scope, StepReport};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// The exercise to grade (a folder of exercises/, e.g. `concepts`); all of them if omitted.
    pub exercise: Option<String>,
    /// Grade only this step (e.g. `primes-threads`).
    #[arg(long)]
    pub step: Option<String>,
    /// Grade the reference solutions in solutions/ instead of your code: everything must pass.
    #[arg(long, conflicts_with_all = ["mutants", "expect_untouched"])]
    pub solutions: bool,
    /// Grade every known-wrong variant of the solutions: each must fail its
    /// step with the diagnosis it was written to trigger.
    #[arg(long, conflicts_with = "expect_untouched")]
    pub mutants: bool,
    /// With --mutants: only this mutant (a file name in solutions/*/mutants/,
    /// without `.toml`); repeat for more.
    #[arg(long = "mutant", value_name = "NAME", requires = "mutants")]
    pub only_mutants: Vec<String>,
    /// With --solutions: grade while a CPU hog holds one core, as a busy
    /// laptop would. Steps that cannot judge must say "inconclusive"; the
    /// exit status is 0 unless a step *failed*.
    #[arg(long, requires = "solutions")]
    pub under_load: bool,
    /// Check that the untouched stubs score zero (every step "not started"). For CI.
    #[arg(long)]
    pub expect_untouched: bool,
    /// Print the report as JSON on stdout: `{"exercises": [...], "progress": {...}}`, the
    /// progress only for your code (build progress still goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Whose code a suite runs against.
struct Subject<'a> {
    package: &'a str,
    dir: &'a Path,
}

/// What a grade found: whether it all went well, and the learner's
/// progress.
pub struct Graded {
    pub ok: bool,
    /// For a learner's grade of whole exercises; `None` for the
    /// maintainers' runs (`--solutions`, `--mutants`, `--expect-untouched`)
    /// and for `--step`.
    pub progress: Option<Progress>,
}

/// The report as `--json` prints it.
#[derive(Serialize)]
struct Json<'a> {
    exercises: &'a [ExerciseReport],
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<&'a Progress>,
}

pub fn run(args: &Args) -> Result<bool> {
    grade(args).map(|graded| graded.ok)
}

/// Grade as `args` say, print the report (or the JSON), and hand it back.
pub fn grade(args: &Args) -> Result<Graded> {
    let project = Project::load()?;
    let exercises = project.select(args.exercise.as_deref())?;
    for exercise in &exercises {
        warn_about_given(&project, exercise);
    }
    if args.mutants {
        return Ok(Graded {
            ok: grade_mutants(&project, &exercises, args)?,
            progress: None,
        });
    }
    // Under load: everything is built first, on a quiet machine, then the
    // hog starts; it is stopped (killed) when this function returns.
    let _hog = if args.under_load {
        for exercise in &exercises {
            let steps: Vec<&Step> = exercise.steps.iter().collect();
            let subject = Subject {
                package: &exercise.solution,
                dir: &exercise.solution_dir,
            };
            build(&project, &subject, &steps)?;
        }
        Some(crate::hog::Hog::start()?)
    } else {
        None
    };
    let learner = !args.solutions;
    let with_progress = learner && !args.expect_untouched && args.step.is_none();
    let mut reports = Vec::new();
    for exercise in &exercises {
        let steps: Vec<&Step> = match &args.step {
            Some(id) => vec![exercise.step(id)?],
            None => exercise.steps.iter().collect(),
        };
        let subject = if learner {
            Subject {
                package: &exercise.package,
                dir: &exercise.dir,
            }
        } else {
            Subject {
                package: &exercise.solution,
                dir: &exercise.solution_dir,
            }
        };
        let whose = if learner {
            format!("your code ({})", rel(&project, &exercise.dir))
        } else {
            format!(
                "reference solution ({})",
                rel(&project, &exercise.solution_dir)
            )
        };
        let report = grade_steps(
            &project,
            exercise,
            &subject,
            &steps,
            Grading {
                whose: &whose,
                live: !args.json,
                regrade: !args.under_load,
                learner,
                progress_follows: with_progress && !args.json,
            },
        )?;
        if learner && args.step.is_none() {
            save_last(&project, &report);
        }
        reports.push(report);
    }
    let progress = with_progress.then(|| {
        let scope = match &args.exercise {
            None => Scope::Course,
            Some(name) => Scope::Exercise {
                following: project
                    .exercises
                    .iter()
                    .skip_while(|e| &e.name != name)
                    .nth(1)
                    .map(|e| e.name.as_str()),
            },
        };
        Progress::of(&reports, scope)
    });
    if args.json {
        let json = Json {
            exercises: &reports,
            progress: progress.as_ref(),
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else if let Some(progress) = &progress {
        report::print_progress(progress);
    }
    let ok = if args.expect_untouched {
        report::check_untouched(&reports, args.json)
    } else if args.under_load {
        report::check_under_load(&reports, args.json)
    } else {
        reports.iter().all(ExerciseReport::all_ok)
    };
    Ok(Graded { ok, progress })
}

/// Warn, on stderr, about given files that are not as handed out: the
/// reference and the mutants compile them too, so every verdict of the
/// exercise then rests on code nobody checked.
fn warn_about_given(project: &Project, exercise: &Exercise) {
    let edits = crate::given::edits(&exercise.dir, &exercise.given);
    if edits.is_empty() || cli::Output::get().quiet {
        return;
    }
    let folder = rel(project, &exercise.dir.join(crate::given::DIR));
    eprintln!(
        "warning: the given code of `{}` is not as it was handed out:",
        exercise.name
    );
    for edit in &edits {
        eprintln!("           {edit}");
    }
    eprintln!(
        "         The reference solution compiles these same files, so the verdicts below\n         \
         may not mean what they say. `git checkout -- {folder}` restores them."
    );
}

/// How to grade and report one exercise.
#[derive(Clone, Copy)]
struct Grading<'a> {
    /// Whose code, for the header.
    whose: &'a str,
    /// Print each verdict as it comes.
    live: bool,
    /// Run a step that came out inconclusive (the machine was busy) once
    /// more, after the machine calms down.
    regrade: bool,
    /// The learner's code: passed steps name their walkthrough.
    learner: bool,
    /// A progress line over all exercises graded follows the reports, and
    /// says what to do next: the footer does not.
    progress_follows: bool,
}

/// Grade `steps` of `exercise` against `subject`.
fn grade_steps(
    project: &Project,
    exercise: &Exercise,
    subject: &Subject<'_>,
    steps: &[&Step],
    how: Grading<'_>,
) -> Result<ExerciseReport> {
    let started = Instant::now();
    let binaries = build(project, subject, steps)?;
    let mut report = ExerciseReport::new(exercise);
    report.subject = how.whose.to_owned();
    if how.live {
        report::print_header(&exercise.name, how.whose);
    }
    let columns = report::step_columns(steps);
    for step in steps {
        let outcome = match binaries.get(&step.binary) {
            None => Outcome::NotBuilt,
            Some(binary) => run_judged(binary, step, subject.dir, how.regrade, None)?,
        };
        let step_report = if how.learner {
            StepReport::learner(exercise, step, outcome)
        } else {
            StepReport::new(exercise, step, outcome)
        };
        if how.live {
            report::print_step(&step_report, columns);
        }
        report.push(step_report);
    }
    report.seconds = started.elapsed().as_secs_f64();
    if how.live {
        report::print_footer(&report, !how.progress_follows);
    }
    Ok(report)
}

/// Run a step; if it was inconclusive and `regrade` is on, wait for the
/// machine to be quiet and run it once more. The test already re-measures
/// a few times inside; this covers a busy spell longer than its attempts.
fn run_judged(
    binary: &Path,
    step: &Step,
    dir: &Path,
    regrade: bool,
    expected: Option<&str>,
) -> Result<Outcome> {
    let outcome = run_step(binary, step, dir, expected)?;
    if regrade && matches!(outcome, Outcome::Inconclusive { .. }) {
        harness::busy::wait_for_quiet(Duration::from_secs(5));
        return run_step(binary, step, dir, expected);
    }
    Ok(outcome)
}

/// Build the test binaries the steps need, one `cargo test --no-run` per
/// test target. A target that fails to compile is simply absent from the
/// map: its steps are reported as not built, and cargo has already shown
/// the compiler errors.
fn build(
    project: &Project,
    subject: &Subject<'_>,
    steps: &[&Step],
) -> Result<BTreeMap<String, PathBuf>> {
    let mut binaries = BTreeMap::new();
    let mut tried = std::collections::BTreeSet::new();
    for step in steps {
        if !tried.insert(step.binary.clone()) {
            continue;
        }
        let mut cargo = project.cargo();
        cargo
            .args([
                "test",
                "--no-run",
                "--message-format=json-render-diagnostics",
            ])
            .args(["--package", subject.package, "--test", &step.binary]);
        cargo_output(&mut cargo);
        // Build progress and compiler errors go straight to the terminal.
        let output = cargo
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run cargo")?;
        if let Some(executable) = test_executable(&output.stdout, &step.binary) {
            binaries.insert(step.binary.clone(), executable);
        } else if output.status.success() {
            bail!(
                "cargo built {} but reported no test executable `{}`",
                subject.package,
                step.binary
            );
        } else {
            // The compiler errors are on screen already; building the other
            // targets of the same code would only print them again.
            break;
        }
    }
    Ok(binaries)
}

/// Cargo's own output (build progress, compiler errors, on our stderr) as
/// `--color` and `--quiet` decided: cargo would colour a terminal even under
/// NO_COLOR, and print "Compiling ..." under `--quiet`.
pub fn cargo_output(cargo: &mut Command) {
    let out = cli::Output::get();
    cargo.arg(if out.color_stderr {
        "--color=always"
    } else {
        "--color=never"
    });
    if out.quiet {
        // Compiler errors still show; "Compiling ..." lines do not.
        cargo.arg("--quiet");
    }
}

#[derive(Deserialize)]
struct Artifact {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    target: Option<ArtifactTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
}

/// Every test executable named `binary` among cargo's JSON messages, with
/// the folder of the package it belongs to.
pub fn test_executables(json_lines: &[u8], binary: &str) -> Vec<(PathBuf, PathBuf)> {
    String::from_utf8_lossy(json_lines)
        .lines()
        .filter_map(|line| serde_json::from_str::<Artifact>(line).ok())
        .filter(|a| a.reason == "compiler-artifact")
        .filter(|a| a.target.as_ref().is_some_and(|t| t.name == binary))
        .filter_map(|a| {
            let dir = a.manifest_path?.parent()?.to_path_buf();
            Some((dir, a.executable?))
        })
        .collect()
}

/// Find the test executable named `binary` among cargo's JSON messages.
fn test_executable(json_lines: &[u8], binary: &str) -> Option<PathBuf> {
    test_executables(json_lines, binary)
        .into_iter()
        .next()
        .map(|(_, executable)| executable)
}

/// Run one step's test in its own process, with the grader's hard limit.
/// With `expected` (a mutant's diagnosis), see [`outcome::judge_mutant`].
fn run_step(
    binary: &Path,
    step: &Step,
    package_dir: &Path,
    expected: Option<&str>,
) -> Result<Outcome> {
    let name = full_test_name(binary, &step.test)?;
    let mut command = Command::new(binary);
    command
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        // Short panic messages: the learner gets our diagnosis, not a backtrace.
        .env("RUST_BACKTRACE", "0")
        // The steps measure against the machine's cores: a pool size left in
        // the learner's environment would fail a correct rayon solution.
        .env_remove("RAYON_NUM_THREADS")
        // Tests run from their package folder, as under `cargo test`.
        .current_dir(package_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so that the step and any process it started
    // can be stopped together (see `stop_group`).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    // Drain both pipes on their own threads so a chatty test never blocks
    // on a full pipe while we wait for it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let limit = Duration::from_secs(step.timeout);
    let started = Instant::now();
    let (status, killed_after) = loop {
        if let Some(status) = child.try_wait()? {
            break (Some(status), None);
        }
        if started.elapsed() > limit {
            stop_group(&mut child);
            let _ = child.wait();
            break (None, Some(step.timeout));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Anything the step left running would keep the output pipes open (and
    // the readers below waiting): stop it too.
    stop_group(&mut child);
    let output = format!(
        "{}\n{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    let run = Run {
        success: status.is_some_and(|s| s.success()),
        ended: status.map(describe_exit).unwrap_or_default(),
        killed_after,
        output,
    };
    Ok(match expected {
        Some(diagnosis) => outcome::judge_mutant(&run, diagnosis),
        None => outcome::judge(&run),
    })
}

/// Kill the step's whole process group: the test binary and anything it
/// started. Harmless when they have all exited already.
fn stop_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let group = child.id() as libc::pid_t;
        // SAFETY: kill has no memory-safety preconditions; a negative pid
        // addresses the process group the step was started in.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = child.kill();
}

/// How a process ended, for a step that died without a panic message.
fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        let name = match signal {
            libc::SIGABRT => " (SIGABRT: aborted)",
            libc::SIGSEGV => " (SIGSEGV: invalid memory access)",
            libc::SIGKILL => " (SIGKILL: killed, perhaps for using too much memory)",
            _ => "",
        };
        return format!("killed by signal {signal}{name}");
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "unknown exit".into(),
    }
}

/// The test's full path in the binary (`graded::primes_threads`), found by
/// listing the binary's tests.
fn full_test_name(binary: &Path, test: &str) -> Result<String> {
    let list = Command::new(binary)
        .args(["--list", "--format", "terse"])
        .output()
        .with_context(|| format!("cannot list the tests of {}", binary.display()))?;
    let listing = String::from_utf8_lossy(&list.stdout);
    let suffix = format!("::{test}");
    listing
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .find(|name| *name == test || name.ends_with(&suffix))
        .map(str::to_owned)
        .with_context(|| format!("{} has no test `{test}`", binary.display()))
}

fn grade_mutants(project: &Project, exercises: &[&Exercise], args: &Args) -> Result<bool> {
    for name in &args.only_mutants {
        if !exercises
            .iter()
            .any(|e| e.mutants.iter().any(|m| &m.name == name))
        {
            let known: Vec<&str> = exercises
                .iter()
                .flat_map(|e| e.mutants.iter().map(|m| m.name.as_str()))
                .collect();
            bail!(
                "there is no mutant `{name}`; there are: {}",
                known.join(", ")
            );
        }
    }
    let mut reports = Vec::new();
    for exercise in exercises {
        let selected: Vec<&Mutant> = exercise
            .mutants
            .iter()
            .filter(|m| args.only_mutants.is_empty() || args.only_mutants.contains(&m.name))
            .collect();
        let cores = harness::cpu::available_cores();
        let mut checkable = Vec::new();
        for mutant in selected {
            let unseeable = if cores < mutant.min_cores {
                Some(format!(
                    "needs {} cores to show; this machine has {cores}",
                    mutant.min_cores
                ))
            } else {
                mutant.needs.as_deref().and_then(machine_lacks)
            };
            match unseeable {
                Some(reason) => {
                    let report = MutantReport::not_checkable(exercise, mutant, reason);
                    if !args.json {
                        report::print_mutant(&report);
                    }
                    reports.push(report);
                }
                None => checkable.push(mutant),
            }
        }
        if checkable.is_empty() {
            continue;
        }
        // Every mutant of the exercise is built first, side by side; then
        // each step runs alone, as CPU measurements need.
        let built = crate::mutant_build::build(project, exercise, &checkable)?;
        for (mutant, built) in checkable.iter().zip(&built) {
            let step = exercise.step(&mutant.step)?;
            let outcome = match (&built.problem, built.binaries.get(&step.binary)) {
                (Some(problem), _) => Outcome::Failed {
                    diagnosis: "does-not-apply".into(),
                    message: problem.clone(),
                },
                (None, None) => Outcome::NotBuilt,
                (None, Some(binary)) => {
                    run_judged(binary, step, &built.dir, true, Some(&mutant.diagnosis))?
                }
            };
            let report = MutantReport::new(exercise, mutant, outcome);
            if !args.json {
                report::print_mutant(&report);
            }
            reports.push(report);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        report::print_mutant_summary(&reports);
    }
    Ok(reports.iter().all(|r| r.caught || !r.checkable))
}

/// Why this machine cannot show a mistake that needs `need`, or `None` if
/// it can. Known needs: `file-systems-apart` (the system temp dir and
/// `/dev/shm` are different file systems, so a rename between them fails).
fn machine_lacks(need: &str) -> Option<String> {
    match need {
        "file-systems-apart" => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
                let (shm, tmp) = (dev(Path::new("/dev/shm")), dev(&std::env::temp_dir()));
                if shm.is_some() && shm != tmp {
                    return None;
                }
            }
            Some("needs /dev/shm on another file system than the temp dir".into())
        }
        other => Some(format!("needs `{other}`, which the grader does not know")),
    }
}

/// Remember the learner's latest results, so `hint` can pick the first step
/// not passed yet. Lives in target/, never in exercises/.
fn save_last(project: &Project, report: &ExerciseReport) {
    let dir = project.state_dir();
    let path = dir.join(format!("last-grade-{}.json", report.exercise));
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let json = serde_json::to_vec_pretty(report).expect("reports serialise");
        // Write then rename: a reader never sees half a file.
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &path)
    });
    if let Err(err) = written {
        cli::Output::get().note(format_args!(
            "note: could not save the results to {}: {err}",
            path.display()
        ));
    }
}

/// The first step of `exercise` that did not pass last time it was graded.
pub fn first_unfinished(project: &Project, exercise: &Exercise) -> Option<String> {
    let path = project
        .state_dir()
        .join(format!("last-grade-{}.json", exercise.name));
    let text = std::fs::read_to_string(path).ok()?;
    let last: serde_json::Value = serde_json::from_str(&text).ok()?;
    last.get("steps")?
        .as_array()?
        .iter()
        .find(|s| {
            let status = s.get("status").and_then(|v| v.as_str());
            !matches!(status, Some("passed" | "skipped"))
        })
        .and_then(|s| s.get("id")?.as_str().map(str::to_owned))
}

fn rel(project: &Project, path: &Path) -> String {
    path.strip_prefix(&project.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_needs_are_never_met() {
        assert!(
            super::machine_lacks("a-unicorn")
                .unwrap()
                .contains("a-unicorn")
        );
    }
}
