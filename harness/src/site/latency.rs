//! Artificial latency: how long the site waits before answering.
//!
//! A crawler on loopback gets answers in microseconds, which hides the one
//! thing concurrency buys an I/O-bound program: overlapping the waits. The
//! site therefore sleeps before sending each response's headers — a fixed
//! time, a uniform spread, or a log-normal spread with a long tail (what real
//! servers look like: most answers quick, a few very slow).
//!
//! The textual form is what `--latency` flags and test names use:
//! `0`, `20ms`, `1s`, `5ms..40ms` (uniform), `20ms~0.5` (log-normal
//! median~sigma).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::rng::SplitMix64;

/// How long the site waits before it sends a response's headers.
///
/// The delay applies to every request (graph pages, hostile pages,
/// `robots.txt`, 404s alike) and counts as time in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Latency {
    /// Answer at once.
    #[default]
    None,
    /// Always the same delay.
    Fixed(Duration),
    /// Uniformly spread between `min` and `max` (inclusive).
    Uniform { min: Duration, max: Duration },
    /// Log-normal: half the requests are quicker than `median`; `sigma` is
    /// the standard deviation of the log of the delay (with 0.5, about 1
    /// request in 44 takes more than e ≈ 2.7 × the median). Capped at
    /// [`MAX_DELAY`] so that a wild sigma cannot stall a test.
    LogNormal { median: Duration, sigma: f64 },
}

/// The longest delay [`Latency::LogNormal`] ever draws.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

impl Latency {
    /// Draw one delay. Each request gets its own generator (seeded from the
    /// site's seed and the request's arrival number), so the sequence of
    /// delays is reproducible without a lock around a shared generator.
    pub(crate) fn sample(&self, rng: &mut SplitMix64) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } => {
                let span = max.saturating_sub(min).as_nanos();
                // Multiply-shift maps 64 random bits onto 0..=span without
                // the bias of a modulo.
                let offset = (u128::from(rng.next_u64()) * (span + 1)) >> 64;
                min + nanos(offset)
            }
            Latency::LogNormal { median, sigma } => {
                // Box–Muller: u1 in (0, 1] so that ln(u1) is finite.
                let u1 = 1.0 - rng.unit();
                let u2 = rng.unit();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let secs = median.as_secs_f64() * (sigma * z).exp();
                Duration::try_from_secs_f64(secs)
                    .unwrap_or(MAX_DELAY)
                    .min(MAX_DELAY)
            }
        }
    }
}

/// A `u128` nanosecond count as a Duration (saturating: never panics).
fn nanos(n: u128) -> Duration {
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (n % 1_000_000_000) as u32)
}

/// Why a latency string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLatencyError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for ParseLatencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid latency {:?}: {}; expected \"0\", a duration such as \"20ms\" or \"1s\", \
             a uniform range \"5ms..40ms\", or a log-normal \"20ms~0.5\" (median~sigma)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseLatencyError {}

impl FromStr for Latency {
    type Err = ParseLatencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = |reason| ParseLatencyError {
            input: s.to_string(),
            reason,
        };
        let text = s.trim();
        if text == "0" {
            return Ok(Latency::None);
        }
        if let Some((min, max)) = text.split_once("..") {
            let min = parse_duration(min).ok_or_else(|| error("bad minimum"))?;
            let max = parse_duration(max).ok_or_else(|| error("bad maximum"))?;
            if min > max {
                return Err(error("the minimum is larger than the maximum"));
            }
            return Ok(Latency::Uniform { min, max });
        }
        if let Some((median, sigma)) = text.split_once('~') {
            let median = parse_duration(median).ok_or_else(|| error("bad median"))?;
            let sigma: f64 = sigma.trim().parse().map_err(|_| error("bad sigma"))?;
            if !sigma.is_finite() || sigma < 0.0 {
                return Err(error("sigma must be a finite number ≥ 0"));
            }
            return Ok(Latency::LogNormal { median, sigma });
        }
        parse_duration(text)
            .map(Latency::Fixed)
            .ok_or_else(|| error("bad duration"))
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Latency::None => f.write_str("0"),
            Latency::Fixed(d) => f.write_str(&format_duration(d)),
            Latency::Uniform { min, max } => {
                write!(f, "{}..{}", format_duration(min), format_duration(max))
            }
            // f64's Display is the shortest text that parses back to the
            // same number, so the round trip is exact.
            Latency::LogNormal { median, sigma } => {
                write!(f, "{}~{}", format_duration(median), sigma)
            }
        }
    }
}

/// `"20ms"`, `"1.5s"`, `"250us"`, `"0"`: a decimal number and a unit (ns,
/// us or µs, ms, s). Parsed exactly, without going through a float, so that
/// `format_duration` ∘ `parse_duration` is the identity.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let unit_nanos: u128 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| -> Option<u128> {
        if s.is_empty() {
            Some(0)
        } else if s.len() <= 30 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let whole = digits(whole)?;
    let fraction_value = digits(fraction)?;
    let scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let total = whole
        .checked_mul(unit_nanos)?
        .checked_add(fraction_value.checked_mul(unit_nanos)? / scale)?;
    if total / 1_000_000_000 > u128::from(u64::MAX) {
        return None;
    }
    Some(nanos(total))
}

/// The largest unit that shows the duration exactly: `1s`, `1500ms`,
/// `250us`, `7ns`.
fn format_duration(d: Duration) -> String {
    let n = d.as_nanos();
    if n == 0 {
        "0ms".to_string()
    } else if n.is_multiple_of(1_000_000_000) {
        format!("{}s", n / 1_000_000_000)
    } else if n.is_multiple_of(1_000_000) {
        format!("{}ms", n / 1_000_000)
    } else if n.is_multiple_of(1_000) {
        format!("{}us", n / 1_000)
    } else {
        format!("{n}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parses_every_form() {
        assert_eq!("0".parse(), Ok(Latency::None));
        assert_eq!("20ms".parse(), Ok(Latency::Fixed(ms(20))));
        assert_eq!(" 1s ".parse(), Ok(Latency::Fixed(ms(1000))));
        assert_eq!("1.5s".parse(), Ok(Latency::Fixed(ms(1500))));
        assert_eq!(
            "250us".parse(),
            Ok(Latency::Fixed(Duration::from_micros(250)))
        );
        assert_eq!(
            "5ms..40ms".parse(),
            Ok(Latency::Uniform {
                min: ms(5),
                max: ms(40)
            })
        );
        assert_eq!(
            "20ms~0.5".parse(),
            Ok(Latency::LogNormal {
                median: ms(20),
                sigma: 0.5
            })
        );
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "0",
            "20ms",
            "1s",
            "1500ms",
            "250us",
            "7ns",
            "5ms..40ms",
            "20ms~0.5",
            "1s~1",
        ] {
            let latency: Latency = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(latency.to_string(), text);
            assert_eq!(latency.to_string().parse(), Ok(latency));
        }
    }

    #[test]
    fn refuses_nonsense_with_a_clear_message() {
        for bad in [
            "",
            "fast",
            "20",
            "20 parsecs",
            "40ms..5ms",
            "20ms~-1",
            "20ms~x",
            "..",
            "ms",
        ] {
            let error = bad.parse::<Latency>().expect_err(bad);
            let message = error.to_string();
            assert!(message.contains("invalid latency"), "{message}");
            assert!(message.contains("5ms..40ms"), "{message}");
        }
    }

    #[test]
    fn samples_respect_the_distribution() {
        let mut rng = SplitMix64::new(3);
        let uniform = Latency::Uniform {
            min: ms(5),
            max: ms(40),
        };
        for _ in 0..1000 {
            let d = uniform.sample(&mut rng);
            assert!(d >= ms(5) && d <= ms(40), "{d:?}");
        }
        assert_eq!(Latency::Fixed(ms(7)).sample(&mut rng), ms(7));
        assert_eq!(Latency::None.sample(&mut rng), Duration::ZERO);

        // Half the log-normal draws fall below the median.
        let lognormal = Latency::LogNormal {
            median: ms(20),
            sigma: 0.5,
        };
        let below = (0..2000)
            .filter(|_| lognormal.sample(&mut rng) < ms(20))
            .count();
        assert!((800..1200).contains(&below), "{below} of 2000 below median");
        let wild = Latency::LogNormal {
            median: ms(20),
            sigma: 1e6,
        };
        assert!((0..100).all(|_| wild.sample(&mut rng) <= MAX_DELAY));
    }
}
