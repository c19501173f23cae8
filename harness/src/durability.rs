//! Did the code make its file durable before giving it its name?
//!
//! "Write a temporary file, then rename it" makes a write atomic for
//! readers. It is durable — the new photo survives a power cut right
//! after the rename — only if the file's data reached the disk *before*
//! the rename: otherwise the kernel may write the rename first, and a
//! crash leaves an empty file under the real name. That is one call,
//! `File::sync_all` (fsync), in the right place, and nothing a test can
//! see in the file afterwards.
//!
//! So this module watches the calls themselves. A test binary that says
//! [`observe_durability!`](crate::observe_durability) defines its own
//! `fsync`, `fdatasync`, `rename` and `unlink`: the Rust standard library calls
//! them by those C names, and the linker binds those calls to the
//! binary's own definitions before the C library's. Each records what it
//! was asked to do (which file, by inode) and then makes the real system
//! call. [`take`] returns what happened since the last look. Linux only;
//! [`observing`] says whether the watch is in place.
//!
//! [`with_file_size_limit`] is the other half of testing a writer: a full
//! disk, on demand, so that a write fails half-way and what it leaves
//! behind can be seen.

use std::sync::Mutex;

/// One call, as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `fsync`/`fdatasync` of the file with this (device, inode).
    Sync { file: (u64, u64) },
    /// `rename` of the file with this (device, inode).
    Rename { file: (u64, u64) },
    /// `unlink` (`std::fs::remove_file`) of the file with this (device,
    /// inode).
    Unlink { file: (u64, u64) },
}

/// Calls seen so far. A std Mutex: held for a push, never across a call.
static CALLS: Mutex<Vec<Call>> = Mutex::new(Vec::new());

/// The old names of the files renamed so far, in order (the temporary
/// names a writer chose).
static RENAMED_FROM: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());

/// The threads (Linux thread ids) that synced a file, one entry per sync,
/// since the last [`take_sync_threads`]: a sync on an async runtime's own
/// thread stalls every task on it while the disk works.
static SYNC_THREADS: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// The thread ids of the syncs seen since the last call, in order.
pub fn take_sync_threads() -> Vec<i64> {
    std::mem::take(
        &mut *SYNC_THREADS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// The calling thread's Linux thread id (0 elsewhere), to compare with
/// [`take_sync_threads`].
pub fn current_thread_id() -> i64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_gettid) }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

fn record_sync_thread() {
    let mut threads = SYNC_THREADS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if threads.len() < KEPT {
        threads.push(current_thread_id());
    }
}

/// The names files were renamed *from* since the last call, in order.
pub fn take_renamed_from() -> Vec<std::path::PathBuf> {
    std::mem::take(
        &mut *RENAMED_FROM
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// The most calls (and renamed names) kept between two looks: enough for
/// any graded step, bounded for a program that never looks.
const KEPT: usize = 100_000;

fn record(call: Call) {
    let mut calls = CALLS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if calls.len() < KEPT {
        calls.push(call);
    }
}

/// The calls seen since the last `take`, in order.
pub fn take() -> Vec<Call> {
    std::mem::take(
        &mut *CALLS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Is the watch in place? Syncs a scratch file and looks for the call.
/// False off Linux, or in a binary without [`observe_durability!`](crate::observe_durability).
pub fn observing() -> bool {
    let path =
        std::env::temp_dir().join(format!("harness-durability-probe-{}", std::process::id()));
    let Ok(file) = std::fs::File::create(&path) else {
        return false;
    };
    let before = CALLS.lock().map(|c| c.len()).unwrap_or(0);
    let synced = file.sync_all().is_ok();
    let seen = CALLS.lock().map(|c| c.len()).unwrap_or(0) > before;
    drop(file);
    let _ = std::fs::remove_file(&path);
    synced && seen
}

/// Run `f` with this process unable to grow a file beyond `bytes`, as on a
/// full disk: a write past the limit fails (EFBIG) instead of succeeding.
/// `None`, and `f` not run, where the limit cannot be set.
///
/// The limit is the process's, for every thread, while `f` runs: call it
/// only where nothing else of the process writes files meanwhile (a graded
/// step, which holds the CPU lock).
pub fn with_file_size_limit<T>(bytes: u64, f: impl FnOnce() -> T) -> Option<T> {
    #[cfg(unix)]
    {
        let _limited = FileSizeLimit::set(bytes)?;
        // Restored when `_limited` drops, even if `f` panics.
        Some(f())
    }
    #[cfg(not(unix))]
    {
        let _ = (bytes, f);
        None
    }
}

/// A file-size limit in force, and what to restore when it ends.
#[cfg(unix)]
struct FileSizeLimit {
    old: libc::rlimit,
    handler: libc::sighandler_t,
}

#[cfg(unix)]
impl FileSizeLimit {
    fn set(bytes: u64) -> Option<FileSizeLimit> {
        let mut old = std::mem::MaybeUninit::<libc::rlimit>::zeroed();
        // SAFETY: `old` is valid for writing.
        if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, old.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: getrlimit returned 0, so `old` is filled in.
        let old = unsafe { old.assume_init() };
        // A write past the limit raises SIGXFSZ, which would end the
        // process: ignored, the write fails with EFBIG instead.
        // SAFETY: a valid signal number and a valid disposition.
        let handler = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        if handler == libc::SIG_ERR {
            return None;
        }
        let limited = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: old.rlim_max,
        };
        // SAFETY: `limited` is a valid rlimit.
        if unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limited) } != 0 {
            // SAFETY: restoring the disposition signal returned.
            unsafe { libc::signal(libc::SIGXFSZ, handler) };
            return None;
        }
        Some(FileSizeLimit { old, handler })
    }
}

#[cfg(unix)]
impl Drop for FileSizeLimit {
    fn drop(&mut self) {
        // SAFETY: restoring the limit and the disposition saved in `set`.
        unsafe {
            libc::setrlimit(libc::RLIMIT_FSIZE, &self.old);
            libc::signal(libc::SIGXFSZ, self.handler);
        }
    }
}

#[cfg(target_os = "linux")]
fn identity_of_fd(fd: libc::c_int) -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `stat` is valid for writing; fstat fails cleanly on a bad fd.
    let rc = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
    // SAFETY: fstat returned 0, so the struct is filled in.
    (rc == 0).then(|| unsafe { (stat.assume_init().st_dev, stat.assume_init().st_ino) })
}

#[cfg(target_os = "linux")]
fn identity_of_path(path: *const libc::c_char) -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `path` is the NUL-terminated string the caller of rename
    // passed; `stat` is valid for writing.
    let rc = unsafe { libc::lstat(path, stat.as_mut_ptr()) };
    // SAFETY: lstat returned 0, so the struct is filled in.
    (rc == 0).then(|| unsafe { (stat.assume_init().st_dev, stat.assume_init().st_ino) })
}

/// `fsync`, recorded when it succeeds. Called by the definition
/// [`observe_durability!`](crate::observe_durability) makes.
#[cfg(target_os = "linux")]
pub fn fsync(fd: libc::c_int) -> libc::c_int {
    // SAFETY: the system call the C library's fsync would make.
    let rc = unsafe { libc::syscall(libc::SYS_fsync, fd) as libc::c_int };
    if rc == 0
        && let Some(file) = identity_of_fd(fd)
    {
        record(Call::Sync { file });
        record_sync_thread();
    }
    rc
}

/// `fdatasync`, recorded (as a sync: it flushes the data, which is what
/// matters here) when it succeeds.
#[cfg(target_os = "linux")]
pub fn fdatasync(fd: libc::c_int) -> libc::c_int {
    // SAFETY: the system call the C library's fdatasync would make.
    let rc = unsafe { libc::syscall(libc::SYS_fdatasync, fd) as libc::c_int };
    if rc == 0
        && let Some(file) = identity_of_fd(fd)
    {
        record(Call::Sync { file });
        record_sync_thread();
    }
    rc
}

/// `rename`, recorded when it succeeds (with the file's identity, taken
/// before it moves, and its old name).
///
/// # Safety
/// `old` and `new` must be NUL-terminated strings or null, as for C's
/// `rename`.
#[cfg(target_os = "linux")]
pub unsafe fn rename(old: *const libc::c_char, new: *const libc::c_char) -> libc::c_int {
    if old.is_null() || new.is_null() {
        // SAFETY: renameat is not interposed (another symbol): the C
        // library's own, which reports EFAULT for a null path.
        return unsafe { libc::renameat(libc::AT_FDCWD, old, libc::AT_FDCWD, new) };
    }
    let file = identity_of_path(old);
    // SAFETY: `old` is not null, so it is the NUL-terminated string the
    // caller's contract promises.
    let name = unsafe { std::ffi::CStr::from_ptr(old) }.to_bytes().to_vec();
    // SAFETY: as above; renameat with AT_FDCWD is what the C library's
    // rename does.
    let rc = unsafe { libc::renameat(libc::AT_FDCWD, old, libc::AT_FDCWD, new) };
    if rc == 0 {
        if let Some(file) = file {
            record(Call::Rename { file });
        }
        use std::os::unix::ffi::OsStrExt;
        let mut renamed = RENAMED_FROM
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if renamed.len() < KEPT {
            renamed.push(std::ffi::OsStr::from_bytes(&name).into());
        }
    }
    rc
}

/// `unlink`, recorded when it succeeds.
///
/// # Safety
/// `path` must be a NUL-terminated string or null, as for C's `unlink`.
#[cfg(target_os = "linux")]
pub unsafe fn unlink(path: *const libc::c_char) -> libc::c_int {
    let file = if path.is_null() {
        None
    } else {
        identity_of_path(path)
    };
    // SAFETY: the caller passes a valid string or null; unlinkat (not
    // interposed) with AT_FDCWD and no flags is what unlink does.
    let rc = unsafe { libc::unlinkat(libc::AT_FDCWD, path, 0) };
    if rc == 0
        && let Some(file) = file
    {
        record(Call::Unlink { file });
    }
    rc
}

/// Put the watch in place in this test binary (see the module docs): write
/// it once, anywhere in the test crate (its functions are found by their
/// C names, wherever they are defined). Calls made by raw system calls (a
/// crate that bypasses the C library) are not seen.
#[macro_export]
macro_rules! observe_durability {
    () => {
        /// The binary's own `fsync`, which the standard library's
        /// `File::sync_all` calls: recorded by `harness::durability`.
        #[cfg(target_os = "linux")]
        #[unsafe(no_mangle)]
        pub extern "C" fn fsync(fd: i32) -> i32 {
            $crate::durability::fsync(fd)
        }

        /// The binary's own `fdatasync` (`File::sync_data`).
        #[cfg(target_os = "linux")]
        #[unsafe(no_mangle)]
        pub extern "C" fn fdatasync(fd: i32) -> i32 {
            $crate::durability::fdatasync(fd)
        }

        /// The binary's own `rename` (`std::fs::rename`).
        ///
        /// # Safety
        /// As for C's `rename`: two NUL-terminated paths.
        #[cfg(target_os = "linux")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rename(
            old: *const ::std::ffi::c_char,
            new: *const ::std::ffi::c_char,
        ) -> i32 {
            // SAFETY: passed on from our own caller's contract.
            unsafe { $crate::durability::rename(old, new) }
        }

        /// The binary's own `unlink` (`std::fs::remove_file`).
        ///
        /// # Safety
        /// As for C's `unlink`: a NUL-terminated path.
        #[cfg(target_os = "linux")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn unlink(path: *const ::std::ffi::c_char) -> i32 {
            // SAFETY: passed on from our own caller's contract.
            unsafe { $crate::durability::unlink(path) }
        }
    };
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    crate::observe_durability!();

    #[test]
    fn a_sync_and_a_rename_are_seen_in_order() {
        assert!(observing(), "the binary's own fsync is not the one called");
        let dir = std::env::temp_dir().join(format!("harness-durability-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (temporary, target) = (dir.join("x.tmp"), dir.join("x"));
        let _ = take();
        let mut file = std::fs::File::create(&temporary).unwrap();
        let ours = {
            use std::os::unix::fs::MetadataExt;
            let m = file.metadata().unwrap();
            (m.dev(), m.ino())
        };
        file.write_all(b"bytes").unwrap();
        file.sync_all().unwrap();
        drop(file);
        std::fs::rename(&temporary, &target).unwrap();
        // Other tests of this binary may sync and rename meanwhile.
        let calls: Vec<Call> = take()
            .into_iter()
            .filter(|c| {
                matches!(c, Call::Sync { file } | Call::Rename { file } | Call::Unlink { file }
                    if *file == ours)
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        match calls.as_slice() {
            [Call::Sync { file: a }, Call::Rename { file: b }] => assert_eq!(a, b),
            other => panic!("saw {other:?}"),
        }
        // And the real calls happened: the file has its new name.
        assert!(!temporary.exists());
    }

    #[test]
    fn a_file_size_limit_makes_a_big_write_fail() {
        let path = std::env::temp_dir().join(format!("harness-fsize-{}", std::process::id()));
        let written = with_file_size_limit(4096, || std::fs::write(&path, vec![0u8; 1 << 16]))
            .expect("the limit can be set here");
        let _ = std::fs::remove_file(&path);
        assert!(
            written.is_err(),
            "a 64 KiB write under a 4 KiB limit succeeded"
        );
        // Lifted again afterwards.
        std::fs::write(&path, vec![0u8; 1 << 16]).expect("no limit any more");
        let _ = std::fs::remove_file(&path);
    }
}
