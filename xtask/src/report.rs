//! What the grader prints: a line per step, the reason under each problem,
//! a score and the next command to run. The same data serialises to JSON
//! for `--json`.

use crate::mutant::Mutant;
use crate::outcome::Outcome;
use crate::project::{Exercise, Step};
use serde::Serialize;

/// One exercise graded against one body of code.
#[derive(Debug, Serialize)]
pub struct ExerciseReport {
    pub exercise: String,
    /// Whose code: "your code (exercises/concepts)", "reference solution (...)".
    pub subject: String,
    pub steps: Vec<StepReport>,
    /// Steps passed (skipped ones not included).
    pub passed: usize,
    pub skipped: usize,
    /// Steps that could not be judged: the machine was busy.
    pub inconclusive: usize,
    pub total: usize,
    /// Wall time of building and running, for the curious.
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct StepReport {
    pub id: String,
    pub title: String,
    pub file: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The command that shows a hint for this step.
    pub hint: String,
    /// The book page that walks through this step's answer (`book/src/...`):
    /// named once the learner's code passed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walkthrough: Option<String>,
}

/// One mutant graded against the step meant to catch it.
#[derive(Debug, Serialize)]
pub struct MutantReport {
    pub exercise: String,
    pub mutant: String,
    /// Where it is declared.
    pub file: String,
    pub about: String,
    pub step: String,
    pub expected_diagnosis: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Did the step fail with exactly the expected diagnosis?
    pub caught: bool,
    /// False where the mistake cannot show (too few cores): not run.
    pub checkable: bool,
}

impl ExerciseReport {
    pub fn new(exercise: &Exercise) -> Self {
        ExerciseReport {
            exercise: exercise.name.clone(),
            subject: String::new(),
            steps: Vec::new(),
            passed: 0,
            skipped: 0,
            inconclusive: 0,
            total: 0,
            seconds: 0.0,
        }
    }

    /// Add a step's verdict to the report and the score.
    pub fn push(&mut self, step: StepReport) {
        match step.outcome {
            Outcome::Passed { .. } => self.passed += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
            Outcome::Inconclusive { .. } => self.inconclusive += 1,
            _ => {}
        }
        self.total += 1;
        self.steps.push(step);
    }

    pub fn all_ok(&self) -> bool {
        self.steps.iter().all(|s| s.outcome.is_ok())
    }
}

impl StepReport {
    pub fn new(exercise: &Exercise, step: &Step, outcome: Outcome) -> Self {
        StepReport {
            id: step.id.clone(),
            title: step.title.clone(),
            file: format!("exercises/{}/{}", exercise.name, step.file),
            outcome,
            hint: format!("cargo xtask hint {} {}", exercise.name, step.id),
            walkthrough: None,
        }
    }

    /// The learner's verdict: as [`StepReport::new`], naming the step's
    /// walkthrough when it passed (reading it before would spoil the step).
    pub fn learner(exercise: &Exercise, step: &Step, outcome: Outcome) -> Self {
        let passed = matches!(outcome, Outcome::Passed { .. });
        StepReport {
            walkthrough: step
                .walkthrough
                .as_ref()
                .filter(|_| passed)
                .map(|page| format!("book/src/{page}")),
            ..StepReport::new(exercise, step, outcome)
        }
    }
}

impl MutantReport {
    pub fn new(exercise: &Exercise, mutant: &Mutant, outcome: Outcome) -> Self {
        let caught = outcome.diagnosis() == Some(mutant.diagnosis.as_str());
        MutantReport {
            exercise: exercise.name.clone(),
            mutant: mutant.name.clone(),
            file: mutant.path.display().to_string(),
            about: mutant.about.clone(),
            step: mutant.step.clone(),
            expected_diagnosis: mutant.diagnosis.clone(),
            outcome,
            caught,
            checkable: true,
        }
    }

    /// A mutant whose mistake cannot show on this machine, and why.
    pub fn not_checkable(exercise: &Exercise, mutant: &Mutant, reason: String) -> Self {
        MutantReport {
            checkable: false,
            ..MutantReport::new(exercise, mutant, Outcome::Skipped { reason })
        }
    }
}

/// Where the learner stands over the exercises graded: the figures of the
/// line `grade` ends with, and the line itself.
#[derive(Debug, Serialize)]
pub struct Progress {
    pub passed: usize,
    pub skipped: usize,
    pub inconclusive: usize,
    pub total: usize,
    /// The first step that is not passed (failed, timed out, not started,
    /// does not compile), in the order the exercises are worked through.
    pub next: Option<NextStep>,
    /// Every step passed or was skipped.
    pub done: bool,
    /// The line, as printed.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextStep {
    pub exercise: String,
    pub step: String,
    pub title: String,
    pub file: String,
    pub hint: String,
    /// False when the exercise's code does not compile: that comes first.
    pub compiles: bool,
}

/// What a progress line is about.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every exercise, in the order they are worked through.
    Course,
    /// One exercise, and the one to do after it (`None` for the last).
    Exercise { following: Option<&'a str> },
}

impl Progress {
    /// The progress over `reports`, which are in the order of work.
    pub fn of(reports: &[ExerciseReport], scope: Scope<'_>) -> Progress {
        let sum = |f: fn(&ExerciseReport) -> usize| reports.iter().map(f).sum::<usize>();
        let (passed, skipped, inconclusive, total) = (
            sum(|r| r.passed),
            sum(|r| r.skipped),
            sum(|r| r.inconclusive),
            sum(|r| r.total),
        );
        let next = reports.iter().find_map(|r| {
            let step = r.steps.iter().find(|s| s.outcome.is_fault())?;
            Some(NextStep {
                exercise: r.exercise.clone(),
                step: step.id.clone(),
                title: step.title.clone(),
                file: step.file.clone(),
                hint: step.hint.clone(),
                compiles: !r.steps.iter().any(|s| s.outcome == Outcome::NotBuilt),
            })
        });
        let done = passed + skipped == total;
        let mut progress = Progress {
            passed,
            skipped,
            inconclusive,
            total,
            next,
            done,
            summary: String::new(),
        };
        progress.summary = progress.line(reports, scope);
        progress
    }

    fn line(&self, reports: &[ExerciseReport], scope: Scope<'_>) -> String {
        let of = match (scope, reports) {
            (Scope::Exercise { .. }, [one]) => format!(" of {}", one.exercise),
            _ => String::new(),
        };
        let mut figures = if self.done && self.skipped == 0 {
            format!("all {} steps{of} passed", self.total)
        } else {
            format!("{} of {} steps{of} passed", self.passed, self.total)
        };
        if self.skipped > 0 {
            figures.push_str(&format!(", {} skipped", self.skipped));
        }
        if self.inconclusive > 0 {
            figures.push_str(&format!(", {} inconclusive", self.inconclusive));
        }
        if let Some(next) = &self.next {
            return if next.compiles {
                format!(
                    "{figures}; next: {} › {} in {} — {}",
                    next.exercise, next.step, next.file, next.hint
                )
            } else {
                format!(
                    "{figures}; next: make {0} compile (the first error cargo printed), then {0} › {1}",
                    next.exercise, next.step
                )
            };
        }
        if !self.done {
            return format!(
                "{figures}; every step that could be judged passed: grade again on a quieter machine"
            );
        }
        let benches: Vec<String> = reports
            .iter()
            .map(|r| format!("`cargo xtask bench {}`", r.exercise))
            .collect();
        match scope {
            Scope::Exercise {
                following: Some(following),
            } => format!(
                "{figures} — well done! Next: the {following} exercise (`cargo xtask grade {following}`); \
                 {} measures these strategies on this machine",
                benches.join(", ")
            ),
            _ => format!(
                "{figures} — well done! Next: measure the strategies on this machine ({}) and read \
                 the walkthroughs in the book (`mdbook serve book --open`)",
                benches.join(", ")
            ),
        }
    }
}

pub fn print_progress(progress: &Progress) {
    println!();
    println!("{}", paint("1", &progress.summary));
}

/// Colours as `--color` decided (by default only on a terminal, and
/// never when NO_COLOR is set).
fn paint(code: &str, text: &str) -> String {
    cli::Output::get().paint(code, text)
}

fn mark(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Passed { .. } => paint("32", "✔"),
        Outcome::Failed { .. } | Outcome::NotBuilt => paint("31", "✘"),
        Outcome::TimedOut { .. } => paint("31", "⧖"),
        Outcome::NotStarted { .. } => paint("2", "·"),
        Outcome::Skipped { .. } => paint("33", "~"),
        Outcome::Inconclusive { .. } => paint("33", "?"),
    }
}

pub fn print_header(exercise: &str, subject: &str) {
    println!();
    println!(
        "{} — {subject}",
        paint("1", &format!("exercise {exercise}"))
    );
}

/// The widths of the id and title columns for these steps: the longest of
/// each, so that no title runs into its verdict. Known before the first
/// step is graded, since the report is printed as the steps finish.
pub fn step_columns(steps: &[&Step]) -> (usize, usize) {
    let widest = |f: fn(&Step) -> usize| steps.iter().map(|s| f(s)).max().unwrap_or(0);
    (
        widest(|s| s.id.chars().count()),
        widest(|s| s.title.chars().count()),
    )
}

pub fn print_step(step: &StepReport, (id_width, title_width): (usize, usize)) {
    let status = match &step.outcome {
        Outcome::Failed { diagnosis, .. } => format!("failed [{diagnosis}]"),
        other => other.label().to_owned(),
    };
    println!(
        "  {} {:<id_width$}  {:<title_width$}  {status}",
        mark(&step.outcome),
        step.id,
        step.title
    );
    for line in wrap(&step.outcome.detail(), 88) {
        println!("      {line}");
    }
    if let Some(page) = &step.walkthrough {
        println!("      walkthrough: {page}");
    }
}

/// The score, and with `next` what to do next (else a progress line over
/// all exercises follows and says it).
pub fn print_footer(report: &ExerciseReport, next: bool) {
    let mut score = format!("score: {}/{} steps passed", report.passed, report.total);
    if report.skipped > 0 {
        score.push_str(&format!(", {} skipped", report.skipped));
    }
    if report.inconclusive > 0 {
        score.push_str(&format!(
            ", {} inconclusive (the machine was busy: close other programs and grade again)",
            report.inconclusive
        ));
    }
    println!("  {}  ({:.1} s)", paint("1", &score), report.seconds);
    if report.steps.iter().any(|s| s.outcome == Outcome::NotBuilt) {
        println!(
            "  the code does not compile, so the steps above could not run: fix the first \
             error cargo printed above the report, then grade again"
        );
        return;
    }
    if !next {
        return;
    }
    match report.steps.iter().find(|s| s.outcome.is_fault()) {
        Some(next) => println!(
            "  next: step `{}` in {} — stuck? {}",
            next.id, next.file, next.hint
        ),
        None if report.inconclusive > 0 => println!(
            "  every step that could be judged passed; grade again on a quieter machine for the \
             {} that could not",
            report.inconclusive
        ),
        None => println!("  every step passed."),
    }
}

pub fn print_mutant(report: &MutantReport) {
    let verdict = if !report.checkable {
        paint("33", "n/a   ")
    } else if matches!(report.outcome, Outcome::Inconclusive { .. }) {
        // Not caught: a mutant counts only when a step proves it wrong.
        paint("33", "UNSURE")
    } else if report.caught {
        paint("32", "caught")
    } else {
        paint("31", "MISSED")
    };
    let got = match report.outcome.diagnosis() {
        Some(diagnosis) => format!("failed [{diagnosis}]"),
        None => report.outcome.label().to_owned(),
    };
    println!(
        "  {verdict} {:<28} step {:<15} expected [{}], got {got}",
        report.mutant, report.step, report.expected_diagnosis
    );
    for line in wrap(&report.outcome.detail(), 88) {
        println!("      {line}");
    }
}

pub fn print_mutant_summary(reports: &[MutantReport]) {
    let caught = reports.iter().filter(|r| r.caught).count();
    let checkable = reports.iter().filter(|r| r.checkable).count();
    let unproven = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Inconclusive { .. }))
        .count();
    let mut summary =
        format!("mutants: {caught} of {checkable} caught, each with its intended diagnosis");
    if unproven > 0 {
        summary.push_str(&format!(
            "; {unproven} unproven because the machine was busy (grade them again)"
        ));
    }
    if checkable < reports.len() {
        summary.push_str(&format!(
            " ({} not checkable on this machine)",
            reports.len() - checkable
        ));
    }
    println!("{}", paint("1", &summary));
}

/// For CI: the untouched stubs must score zero — every step "not started".
/// A stub that passes a step means that step's test cannot fail.
pub fn check_untouched(reports: &[ExerciseReport], quiet: bool) -> bool {
    let mut ok = true;
    for report in reports {
        for step in &report.steps {
            if !matches!(step.outcome, Outcome::NotStarted { .. }) {
                ok = false;
                eprintln!(
                    "untouched stub of {} step `{}` is {}, not \"not started\"",
                    report.exercise,
                    step.id,
                    step.outcome.label()
                );
            }
        }
    }
    if ok && !quiet {
        println!("untouched stubs: every step \"not started\", score 0 — as expected");
    }
    ok
}

/// For `--under-load`: on a busy machine the reference may be
/// inconclusive, but must never fail. True unless some step showed a fault.
pub fn check_under_load(reports: &[ExerciseReport], quiet: bool) -> bool {
    let faults: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.steps
                .iter()
                .filter(|s| s.outcome.is_fault())
                .map(move |s| format!("{} step `{}` ({})", r.exercise, s.id, s.outcome.label()))
        })
        .collect();
    let count = |f: fn(&Outcome) -> bool| {
        reports
            .iter()
            .flat_map(|r| &r.steps)
            .filter(|s| f(&s.outcome))
            .count()
    };
    let passed = count(|o| matches!(o, Outcome::Passed { .. }));
    let unclear = count(|o| matches!(o, Outcome::Inconclusive { .. }));
    let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
    if !quiet {
        println!(
            "under load: {passed} passed, {unclear} inconclusive, {skipped} skipped, {} failed",
            faults.len()
        );
    }
    for fault in &faults {
        eprintln!("with a CPU hog running, the reference's {fault}: correct code must never fail");
    }
    faults.is_empty()
}

/// Greedy word wrap, for long diagnoses under a step line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_whole_and_lines_short() {
        let text = "ran on 1.0 cores; expected at least 1.6 of the 2 available — is the work split";
        let lines = wrap(text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    fn exercise(name: &str, steps: &[&str]) -> Exercise {
        Exercise {
            name: name.into(),
            package: format!("{name}-exercise"),
            dir: format!("exercises/{name}").into(),
            solution: format!("{name}-solution"),
            solution_dir: format!("solutions/{name}").into(),
            steps: steps
                .iter()
                .map(|id| Step {
                    id: (*id).into(),
                    title: format!("the {id} step"),
                    test: (*id).into(),
                    file: format!("src/{id}.rs"),
                    binary: "grade".into(),
                    timeout: 1,
                    walkthrough: Some(format!("{name}/walkthrough/{id}.md")),
                })
                .collect(),
            mutants: vec![],
            given: Default::default(),
            stubs: Default::default(),
        }
    }

    /// A learner's report of `exercise` with these outcomes, in step order.
    fn graded(exercise: &Exercise, outcomes: Vec<Outcome>) -> ExerciseReport {
        let mut report = ExerciseReport::new(exercise);
        for (step, outcome) in exercise.steps.iter().zip(outcomes) {
            report.push(StepReport::learner(exercise, step, outcome));
        }
        report
    }

    fn passed() -> Outcome {
        Outcome::Passed { notes: vec![] }
    }

    fn not_started() -> Outcome {
        Outcome::NotStarted {
            location: "src/x.rs:1".into(),
        }
    }

    #[test]
    fn progress_names_the_first_step_not_passed_in_the_order_of_work() {
        let concepts = exercise("concepts", &["primes", "queue"]);
        let crawler = exercise("crawler", &["links", "threads", "async"]);
        let unclear = Outcome::Inconclusive {
            message: "busy".into(),
        };
        let reports = [
            graded(&concepts, vec![passed(), unclear.clone()]),
            graded(&crawler, vec![passed(), not_started(), passed()]),
        ];
        let progress = Progress::of(&reports, Scope::Course);
        assert_eq!((progress.passed, progress.total), (3, 5));
        let next = progress.next.as_ref().unwrap();
        // An inconclusive step is not the next thing to work on.
        assert_eq!(
            (next.exercise.as_str(), next.step.as_str()),
            ("crawler", "threads")
        );
        assert_eq!(
            progress.summary,
            "3 of 5 steps passed, 1 inconclusive; next: crawler › threads in \
             exercises/crawler/src/threads.rs — cargo xtask hint crawler threads"
        );
        assert!(!progress.done);

        let one = Progress::of(&reports[1..], Scope::Exercise { following: None });
        assert!(
            one.summary
                .starts_with("2 of 3 steps of crawler passed; next: crawler › threads")
        );

        let broken = [graded(
            &crawler,
            vec![Outcome::NotBuilt, Outcome::NotBuilt, Outcome::NotBuilt],
        )];
        let broken = Progress::of(&broken, Scope::Course);
        assert!(
            broken.summary.contains("next: make crawler compile"),
            "{}",
            broken.summary
        );
    }

    #[test]
    fn progress_congratulates_and_names_what_comes_next_when_all_passed() {
        let concepts = exercise("concepts", &["primes", "queue"]);
        let skipped = Outcome::Skipped {
            reason: "1 core".into(),
        };
        let reports = [graded(&concepts, vec![passed(), skipped])];
        let one = Progress::of(
            &reports,
            Scope::Exercise {
                following: Some("crawler"),
            },
        );
        assert!(one.done && one.next.is_none());
        assert!(
            one.summary
                .starts_with("1 of 2 steps of concepts passed, 1 skipped — well done!"),
            "{}",
            one.summary
        );
        assert!(
            one.summary.contains("`cargo xtask grade crawler`"),
            "{}",
            one.summary
        );

        let all = [graded(&concepts, vec![passed(), passed()])];
        let all = Progress::of(&all, Scope::Course);
        assert!(
            all.summary.starts_with("all 2 steps passed — well done!"),
            "{}",
            all.summary
        );
        assert!(all.summary.contains("cargo xtask bench concepts") && all.summary.contains("book"));

        let only_unclear = [graded(
            &concepts,
            vec![
                passed(),
                Outcome::Inconclusive {
                    message: "busy".into(),
                },
            ],
        )];
        let only_unclear = Progress::of(&only_unclear, Scope::Course);
        assert!(!only_unclear.done && only_unclear.next.is_none());
        assert!(
            only_unclear.summary.contains("quieter machine"),
            "{}",
            only_unclear.summary
        );
    }

    #[test]
    fn a_walkthrough_is_named_only_once_the_step_passed() {
        let concepts = exercise("concepts", &["primes", "queue"]);
        let report = graded(&concepts, vec![passed(), not_started()]);
        assert_eq!(
            report.steps[0].walkthrough.as_deref(),
            Some("book/src/concepts/walkthrough/primes.md")
        );
        assert_eq!(report.steps[1].walkthrough, None);
        // The reference's grade (StepReport::new) never names one.
        let reference = StepReport::new(&concepts, &concepts.steps[0], passed());
        assert_eq!(reference.walkthrough, None);
        let json = serde_json::to_value(&report.steps).unwrap();
        assert_eq!(
            json[0]["walkthrough"],
            "book/src/concepts/walkthrough/primes.md"
        );
        assert!(json[1].get("walkthrough").is_none());
    }

    #[test]
    fn a_mutant_is_caught_only_by_its_own_diagnosis() {
        let exercise = Exercise {
            name: "concepts".into(),
            package: "concepts-exercise".into(),
            dir: "exercises/concepts".into(),
            solution: "concepts-solution".into(),
            solution_dir: "solutions/concepts".into(),
            steps: vec![],
            mutants: vec![],
            given: Default::default(),
            stubs: Default::default(),
        };
        let mutant = Mutant {
            name: "x".into(),
            path: "solutions/concepts/mutants/x.toml".into(),
            step: "queue".into(),
            diagnosis: "busy-wait".into(),
            about: String::new(),
            min_cores: 4096,
            needs: None,
            changes: vec![],
        };
        let failed = |diagnosis: &str| Outcome::Failed {
            diagnosis: diagnosis.into(),
            message: String::new(),
        };
        assert!(MutantReport::new(&exercise, &mutant, failed("busy-wait")).caught);
        assert!(!MutantReport::new(&exercise, &mutant, failed("timeout")).caught);
        let passed = Outcome::Passed { notes: vec![] };
        assert!(!MutantReport::new(&exercise, &mutant, passed).caught);
        let unclear = Outcome::Inconclusive {
            message: "busy".into(),
        };
        assert!(!MutantReport::new(&exercise, &mutant, unclear).caught);
        let skipped = MutantReport::not_checkable(&exercise, &mutant, "needs 4096 cores".into());
        assert!(!skipped.caught && !skipped.checkable);
        assert!(skipped.outcome.detail().contains("needs 4096 cores"));
    }
}
