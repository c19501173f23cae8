//! What the grader prints: a line per step, the reason under each problem,
//! a score and the next command to run. The same data serialises to JSON
//! for `--json`.

use crate::mutant::Mutant;
use crate::outcome::Outcome;
use crate::project::{Exercise, Step};
use serde::Serialize;
use std::io::IsTerminal;

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

/// Colours only on a terminal, and never when NO_COLOR is set.
fn paint(code: &str, text: &str) -> String {
    let tty = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if tty {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
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

pub fn print_step(step: &StepReport) {
    let status = match &step.outcome {
        Outcome::Failed { diagnosis, .. } => format!("failed [{diagnosis}]"),
        other => other.label().to_owned(),
    };
    println!(
        "  {} {:<16} {:<44} {status}",
        mark(&step.outcome),
        step.id,
        step.title
    );
    for line in wrap(&step.outcome.detail(), 88) {
        println!("      {line}");
    }
}

pub fn print_footer(report: &ExerciseReport) {
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
