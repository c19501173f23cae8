//! Single keys from the terminal, for `cargo xtask watch`.
//!
//! On a terminal, stdin is put in "cbreak" mode (termios: no line editing,
//! no echo) so a key arrives as it is pressed, without Enter. Ctrl-C still
//! interrupts (ISIG stays on) and output is untouched (OPOST stays on): only
//! how input is read changes. The settings found at start are put back when
//! the [`Keys`] are dropped, when the program panics, and when it is killed
//! by Ctrl-C, Ctrl-\, SIGTERM or SIGHUP — a terminal left without echo is
//! worse than no keys at all.
//!
//! Not on a terminal (a pipe, a test), keys are read a line at a time: the
//! first letter of each line counts (`h\n`). At the end of input no more
//! keys come, and the caller carries on without them.
//!
//! termios through `libc` rather than a terminal crate: it is a dozen
//! calls, `libc` is already here, and a crate like crossterm would bring
//! raw mode, event parsing and a Windows console layer that this needs none
//! of.

use std::io::{BufRead, IsTerminal, Read};
use std::sync::mpsc::{self, Receiver};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Hint,
    Next,
    Regrade,
    Quit,
}

impl Key {
    /// The key a byte stands for, if any (upper case too; Ctrl-D quits,
    /// as it would end the input in a line-mode terminal).
    pub fn from_byte(byte: u8) -> Option<Key> {
        match byte.to_ascii_lowercase() {
            b'h' => Some(Key::Hint),
            b'n' => Some(Key::Next),
            b'r' => Some(Key::Regrade),
            b'q' | 0x04 => Some(Key::Quit),
            _ => None,
        }
    }

    /// The key a line of input stands for: its first non-blank character.
    pub fn from_line(line: &str) -> Option<Key> {
        line.trim().bytes().next().and_then(Key::from_byte)
    }
}

/// The keys pressed, as they come, read on a thread of their own; and, on
/// a terminal, its settings to restore.
pub struct Keys {
    pub rx: Receiver<Key>,
    #[cfg(unix)]
    _cbreak: Option<cbreak::Guard>,
}

impl Keys {
    /// Start reading keys from stdin.
    pub fn start() -> Keys {
        let (tx, rx) = mpsc::channel();
        let terminal = std::io::stdin().is_terminal();
        #[cfg(unix)]
        let guard = if terminal {
            cbreak::Guard::enable()
        } else {
            None
        };
        // Without cbreak (not a terminal, or it could not be set), lines.
        #[cfg(unix)]
        let by_byte = guard.is_some();
        #[cfg(not(unix))]
        let by_byte = false;
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            if by_byte {
                for byte in stdin.lock().bytes() {
                    let Ok(byte) = byte else { break };
                    if let Some(key) = Key::from_byte(byte)
                        && tx.send(key).is_err()
                    {
                        break;
                    }
                }
            } else {
                for line in stdin.lock().lines() {
                    let Ok(line) = line else { break };
                    if let Some(key) = Key::from_line(&line)
                        && tx.send(key).is_err()
                    {
                        break;
                    }
                }
            }
            // End of input: the sender drops, and the watcher goes on
            // watching files without keys.
        });
        Keys {
            rx,
            #[cfg(unix)]
            _cbreak: guard,
        }
    }
}

#[cfg(unix)]
mod cbreak {
    use std::os::fd::RawFd;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The settings the terminal had, for the signal handler and the panic
    /// hook: set once, read without locking (a signal handler may not lock).
    static SAVED: OnceLock<(RawFd, libc::termios)> = OnceLock::new();
    /// While a guard is alive: after it, the terminal is the caller's again.
    static ACTIVE: AtomicBool = AtomicBool::new(false);

    /// Put the terminal back as it was, if it was changed.
    fn restore() {
        if !ACTIVE.swap(false, Ordering::SeqCst) {
            return;
        }
        if let Some((fd, termios)) = SAVED.get() {
            // SAFETY: tcsetattr reads the termios we saved; it is
            // async-signal-safe, so this may run in a signal handler.
            unsafe {
                libc::tcsetattr(*fd, libc::TCSANOW, termios);
            }
        }
    }

    /// Restores the terminal when dropped.
    pub struct Guard;

    impl Guard {
        /// Cbreak mode on stdin; `None` when it cannot be set (then keys
        /// are read by lines).
        pub fn enable() -> Option<Guard> {
            enable_on(libc::STDIN_FILENO)
        }
    }

    /// Cbreak mode on the terminal `fd`, remembering its settings.
    pub fn enable_on(fd: RawFd) -> Option<Guard> {
        // SAFETY: a zeroed termios is a valid value for tcgetattr to fill.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `termios` is a valid, writable termios.
        if unsafe { libc::tcgetattr(fd, &mut termios) } != 0 {
            return None;
        }
        // Once per process: a second watcher would save our own settings.
        if SAVED.set((fd, termios)).is_err() {
            return None;
        }
        install_restorers();
        let mut cbreak = termios;
        cbreak.c_lflag &= !(libc::ICANON | libc::ECHO);
        cbreak.c_cc[libc::VMIN] = 1;
        cbreak.c_cc[libc::VTIME] = 0;
        ACTIVE.store(true, Ordering::SeqCst);
        // SAFETY: `cbreak` is a valid termios derived from the current one.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &cbreak) } != 0 {
            ACTIVE.store(false, Ordering::SeqCst);
            return None;
        }
        Some(Guard)
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            restore();
        }
    }

    /// On a fatal signal: restore, then die of the same signal as before
    /// (so the shell sees Ctrl-C as Ctrl-C, exit status 130).
    extern "C" fn on_signal(signal: libc::c_int) {
        restore();
        // SAFETY: signal and raise are async-signal-safe; the default
        // action then ends the process as the signal would have.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    fn install_restorers() {
        for signal in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: a zeroed sigaction with a handler and an empty mask
            // is a valid argument; `on_signal` only calls async-signal-safe
            // functions.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        // A panic prints its message with the terminal restored; the guard
        // restores again as the stack unwinds, harmlessly.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// On a pseudo-terminal: cbreak clears line mode and echo, and
        /// dropping the guard puts back exactly what was there.
        #[test]
        fn cbreak_is_set_and_restored_on_a_terminal() {
            let (mut leader, mut follower) = (0, 0);
            // SAFETY: openpty writes two descriptors; the other arguments
            // may be null.
            let opened = unsafe {
                libc::openpty(
                    &mut leader,
                    &mut follower,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            assert_eq!(opened, 0, "openpty");
            let flags = |fd| {
                // SAFETY: as in enable_on.
                let mut t: libc::termios = unsafe { std::mem::zeroed() };
                // SAFETY: `t` is writable.
                assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
                t.c_lflag
            };
            let before = flags(follower);
            assert_ne!(before & libc::ICANON, 0, "a new terminal is in line mode");
            let guard = enable_on(follower).expect("cbreak on a pty");
            let during = flags(follower);
            assert_eq!(during & (libc::ICANON | libc::ECHO), 0);
            assert_ne!(during & libc::ISIG, 0, "Ctrl-C still interrupts");
            drop(guard);
            assert_eq!(flags(follower), before);
            // SAFETY: both descriptors are ours and open.
            unsafe {
                libc::close(leader);
                libc::close(follower);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_bytes_and_lines() {
        assert_eq!(Key::from_byte(b'h'), Some(Key::Hint));
        assert_eq!(Key::from_byte(b'N'), Some(Key::Next));
        assert_eq!(Key::from_byte(b'r'), Some(Key::Regrade));
        assert_eq!(Key::from_byte(b'q'), Some(Key::Quit));
        assert_eq!(Key::from_byte(0x04), Some(Key::Quit));
        assert_eq!(Key::from_byte(b'x'), None);
        assert_eq!(Key::from_line("  h\n"), Some(Key::Hint));
        assert_eq!(Key::from_line("quit"), Some(Key::Quit));
        assert_eq!(Key::from_line(""), None);
    }
}
