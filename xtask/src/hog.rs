//! A CPU hog on one core, for `cargo xtask grade --solutions --under-load`:
//! the busy laptop the grader must stay honest on.
//!
//! The hog is this very program, started again as the hidden `hog`
//! subcommand: it pins itself to the first CPU it may use and spins until
//! it is killed — or until its parent is gone, or an hour has passed, so a
//! grader that crashed never leaves a core burning.

use anyhow::{Context, Result};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running hog process; dropping it kills it.
pub struct Hog(Child);

impl Hog {
    /// Start the hog and give it a moment to settle on its core.
    pub fn start() -> Result<Hog> {
        let exe = std::env::current_exe().context("cannot find the xtask binary")?;
        let child = Command::new(exe)
            .arg("hog")
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start the CPU hog")?;
        std::thread::sleep(Duration::from_millis(300));
        eprintln!("a CPU hog (pid {}) is holding one core", child.id());
        Ok(Hog(child))
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The hog itself: pin to one CPU and spin.
pub fn run() -> Result<()> {
    #[cfg(target_os = "linux")]
    // SAFETY: `set` is a zeroed cpu_set_t, filled in by the CPU_* helpers
    // and read by sched_setaffinity with its own size.
    unsafe {
        let mut set = std::mem::zeroed::<libc::cpu_set_t>();
        let mut current = std::mem::zeroed::<libc::cpu_set_t>();
        libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut current);
        let first = (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &current))
            .unwrap_or(0);
        libc::CPU_SET(first, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    #[cfg(unix)]
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    let started = Instant::now();
    let mut x = 0u64;
    while started.elapsed() < Duration::from_secs(3600) {
        for i in 0..1_000_000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        #[cfg(unix)]
        // SAFETY: as above.
        if unsafe { libc::getppid() } != parent {
            break;
        }
    }
    Ok(())
}
