//! The machine the figures came from, as the sentence every measured page
//! opens with: "a 2-core AMD EPYC with 23.5 GiB of memory, Linux 6.1,
//! rustc 1.95.0, Python 3.11.7, on 2026-11-25".
//!
//! Read from /proc and from the tools' own `--version`, at the time of the
//! run: a figure without its machine means nothing, and a machine written by
//! hand goes stale.

use std::process::Command;

/// The machine, with `cores` as the bench used them; Python's version only
/// when a Python peer ran.
pub fn describe(cores: usize, python: bool) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(
                " with {:.1} GiB of memory",
                kib / (1024.0 * 1024.0)
            ))
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| format!(", Linux {}", r.trim()))
        .unwrap_or_default();
    let rustc = version("rustc", "--version").unwrap_or_else(|| "rustc (unknown)".into());
    let python = if python {
        version("python3", "--version")
            .map(|v| format!(", {v}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!(
        "a {cores}-core {cpu}{memory}{kernel}, {rustc}{python}, on {}",
        today()
    )
}

/// "rustc 1.95.0": the first two words a program prints for `flag`, on
/// stdout or stderr (older Pythons print their version on stderr).
fn version(program: &str, flag: &str) -> Option<String> {
    let output = Command::new(program).arg(flag).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Some(
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic
/// Gregorian calendar (the well-known "days from civil" inverse): a date
/// library for one line of text would be the tooling's largest dependency.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_417), (2025, 11, 25));
    }

    #[test]
    fn the_machine_names_its_cores_compiler_and_date() {
        let machine = describe(3, false);
        assert!(machine.starts_with("a 3-core "), "{machine}");
        assert!(machine.contains(", rustc "), "{machine}");
        assert!(!machine.contains("Python"), "{machine}");
        let date = machine.rsplit(", on ").next().unwrap();
        assert_eq!(date.len(), "2026-11-25".len(), "{machine}");
    }
}
