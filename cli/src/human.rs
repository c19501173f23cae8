//! Figures as a person writes them: `46.9 MB`, `1.25 s`, `3.53 images/s`,
//! `1 thread`, `14.9×`.
//!
//! Three significant figures everywhere: enough to compare two rows, few
//! enough that a table does not pretend to a precision a noisy measurement
//! does not have (`3.5302/s`). Sizes are decimal (kB, MB, GB: 1 MB =
//! 1,000,000 bytes), as file managers and disk makers count them.

use std::time::Duration;

/// `value` to three significant figures, without a trailing `.0` beyond
/// them: 3.5302 → `3.53`, 46.94 → `46.9`, 2250.4 → `2250`, 0.0123 → `0.0123`.
pub fn sig3(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let decimals = |v: f64| (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let places = decimals(value);
    let text = format!("{value:.places$}");
    // Rounding can carry into a new digit (9.996 → "10.00"): then the
    // rounded value has one decimal too many.
    let rounded: f64 = text.parse().unwrap_or(value);
    let places = places.min(decimals(rounded));
    format!("{value:.places$}")
}

/// A size in bytes: `512 B`, `751 kB`, `46.9 MB`, `1.20 GB`.
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 999.5 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{} {unit}", sig3(value))
}

/// A duration: `850 µs`, `12.3 ms`, `1.25 s`, `22.4 s`, `2 min 05 s`,
/// `1 h 02 min`.
pub fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 1e-3 {
        format!("{} µs", sig3(seconds * 1e6))
    } else if seconds < 1.0 {
        format!("{} ms", sig3(seconds * 1e3))
    } else if seconds < 59.95 {
        format!("{} s", sig3(seconds))
    } else if seconds < 3600.0 {
        let whole = seconds.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        let minutes = (seconds / 60.0).round() as u64;
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

/// A duration given in milliseconds (as the tables measure them).
pub fn millis(ms: f64) -> String {
    if ms.is_finite() && ms >= 0.0 {
        duration(Duration::from_secs_f64(ms / 1e3))
    } else {
        "—".into()
    }
}

/// A rate: `3.53 images/s`, `2250 pages/s`; `unit` is what is counted.
pub fn rate(per_second: f64, unit: &str) -> String {
    format!("{} {unit}/s", sig3(per_second))
}

/// `n` of something, in the right number: `1 thread`, `2 threads`, `0 threads`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A speed-up or a ratio: `14.9×`, `0.81×`.
pub fn times(ratio: f64) -> String {
    format!("{}×", sig3(ratio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_figures() {
        assert_eq!(sig3(3.5302), "3.53");
        assert_eq!(sig3(46.94), "46.9");
        assert_eq!(sig3(2250.4), "2250");
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(sig3(9.996), "10.0");
        assert_eq!(sig3(99.96), "100");
        assert_eq!(sig3(-1.234), "-1.23");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(f64::NAN), "—");
    }

    #[test]
    fn sizes_durations_rates_and_counts() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(751_192), "751 kB");
        assert_eq!(bytes(46_946_075), "46.9 MB");
        assert_eq!(bytes(999_999), "1.00 MB");
        assert_eq!(bytes(1_200_000_000), "1.20 GB");
        assert_eq!(duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(duration(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(duration(Duration::from_millis(1250)), "1.25 s");
        assert_eq!(duration(Duration::from_millis(22_400)), "22.4 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 05 s");
        assert_eq!(duration(Duration::from_secs(3720)), "1 h 02 min");
        assert_eq!(millis(143.1), "143 ms");
        assert_eq!(rate(3.5302, "images"), "3.53 images/s");
        assert_eq!(rate(2250.4, "pages"), "2250 pages/s");
        assert_eq!(count(1, "thread", "threads"), "1 thread");
        assert_eq!(count(2, "thread", "threads"), "2 threads");
        assert_eq!(times(14.93), "14.9×");
    }
}
