//! The graded suite of the `image-processor` exercises.
//!
//! Written once, run against the learner's code
//! (`exercises/image-processor/tests/grade.rs`), the reference solution
//! (`solutions/image-processor/tests/grade.rs`) and every mutant of it.
//! Each `#[test]` is one graded step; its name is the step's `test` in
//! `exercises/image-processor/Cargo.toml`.
//!
//! Every check is a fact measured here, not something the code under test
//! says about itself: the bytes of the files it wrote (compared with the
//! given decode → ops → encode chain, and between strategies), what an old
//! file handle and a concurrent reader saw while it wrote, the cores it
//! kept busy (CPU time ÷ wall time), the threads alive at once, the folder
//! listing afterwards.
//!
//! Run it with `cargo xtask grade image-processor` (your code) or
//! `cargo test -p image-processor-solution` (the reference).

use crate::kata;
use harness::busy::{self, Reading};
use harness::cpu;
use harness::grade::{ensure, fail, needs_two_cores, note, step};
use harness::memory;
use harness::threads;
use kata::codec::{self, OutputFormat};
use kata::synth::{self, Kind, Spec};
use kata::{Job, Op, Outcome, Progress, Settings};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// Counts live heap bytes, so a failure can say how much memory a strategy
// held at once (what the program held, not what the allocator cached).
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

/// The watchdog's limit for one step. The reference needs a few seconds
/// for the slowest step in a debug build on two cores.
const LIMIT: Duration = Duration::from_secs(120);

/// A folder for one test, removed afterwards (kept if the test fails, for a
/// look at what was left behind).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        Scratch::under(&std::env::temp_dir(), name)
    }

    /// A scratch folder on a different file system from the temp dir
    /// where the machine has one (`/dev/shm`, in memory, on Linux). A
    /// writer that puts its temporary file in the temp dir, as
    /// `tempfile::NamedTempFile::new()` does, then cannot rename it into
    /// place, exactly as on a machine whose photos are on another disk.
    fn elsewhere(name: &str) -> Scratch {
        let shm = Path::new("/dev/shm");
        let apart = same_device(shm, &std::env::temp_dir()) == Some(false);
        if apart && std::fs::create_dir_all(shm.join("image-processor-probe")).is_ok() {
            let _ = std::fs::remove_dir(shm.join("image-processor-probe"));
            return Scratch::under(shm, name);
        }
        // One file system only (macOS, some containers): a temporary file
        // in the temp dir renames fine here, and cannot be caught. The
        // mutant that does it is marked `needs = "file-systems-apart"`.
        Scratch::new(name)
    }

    /// A scratch folder in memory (`/dev/shm`) where the machine has one,
    /// else in the temp dir.
    fn in_memory(name: &str) -> Scratch {
        let shm = Path::new("/dev/shm");
        if std::fs::create_dir_all(shm.join("image-processor-probe")).is_ok() {
            let _ = std::fs::remove_dir(shm.join("image-processor-probe"));
            return Scratch::under(shm, name);
        }
        Scratch::new(name)
    }

    fn under(base: &Path, name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = base.join(format!(
            "image-processor-grade-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder in the temp dir");
        Scratch(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).expect("a scratch subfolder");
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Kept after a failure for a look — but not in /dev/shm, which is
        // memory, and small in many containers.
        let in_memory = self.0.starts_with("/dev/shm");
        if !std::thread::panicking() || in_memory {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!(
                "(the files of the failed check are in {})",
                self.0.display()
            );
        }
    }
}

/// Are `a` and `b` on the same file system? `None` where it cannot tell.
fn same_device(a: &Path, b: &Path) -> Option<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(std::fs::metadata(a).ok()?.dev() == std::fs::metadata(b).ok()?.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        None
    }
}

/// Why a write can fail in these checks, for the learner.
const WRITE_FAILED: &str = "If the temporary file is not in the target's own folder (the \
     system temp dir, say), the rename crosses file systems and fails with 'cross-device \
     link': create it beside the target";

/// The names in `dir`, hidden ones included.
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("the folder exists")
        .map(|e| {
            e.expect("a readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn spec(name: &str, width: u32, height: u32, kind: Kind, seed: u64) -> Spec {
    Spec {
        name: name.to_owned(),
        width,
        height,
        kind,
        seed,
    }
}

/// What the given chain makes of `input`: decode → ops → encode. A correct
/// `process_one` writes exactly these bytes.
fn expected_bytes(input: &Path, settings: &Settings) -> Vec<u8> {
    let bytes = std::fs::read(input).expect("the test's own input");
    let image = codec::decode(&bytes, &settings.ops, settings.max_pixels).expect("a good input");
    let image = kata::ops::apply(image, &settings.ops).expect("ops that apply");
    codec::encode(&image, settings.output).expect("encodable")
}

fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Runs `f`, turning a panic into the `panicked` diagnosis — except a
/// `todo!()`, which the grader reports as "not started".
fn no_panic<T>(call: &str, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("a panic")
                .to_owned();
            if message.starts_with("not yet implemented") || message.starts_with("not implemented")
            {
                std::panic::resume_unwind(payload);
            }
            fail(
                "panicked",
                format!(
                    "{call} panicked: {message}. A bad file must become an Outcome with an \
                     error, not a panic that takes the whole batch down"
                ),
            )
        }
    }
}

// ---------------------------------------------------------------- step 1

// This test binary's own fsync and rename, recorded: durability is a
// matter of which calls happen in which order (harness::durability).
harness::observe_durability!();

// And its own pthread_create, counting every thread the code under test
// starts: sampling misses them when the cores are crowded, which is when a
// thread count matters most (harness::threads).
harness::observe_threads!();

/// Fail with `not-atomic` unless the file at `output` got there by a rename
/// (the calls since the last `durability::take` are looked at): the
/// output of `process_one` must go through `write_atomically`.
fn check_written_atomically(call: &str, output: &Path) {
    use harness::durability::{self, Call};
    if !durability::observing() {
        return;
    }
    let calls = durability::take();
    let Some(written) = identity(output) else {
        return;
    };
    ensure(
        calls.contains(&Call::Rename { file: written }),
        "not-atomic",
        || {
            format!(
                "{call} wrote {} in place: no temporary file was renamed onto it. Write the \
                 output with write_atomically (step 1), or a viewer — or a crash — meets half \
                 a photo",
                output.display()
            )
        },
    );
}

/// Fail with `leftover-temp` if a write that fails while the bytes go in
/// (a full disk) leaves its temporary file behind. A file-size limit
/// (RLIMIT_FSIZE) makes the write fail for real, where the platform has
/// one.
fn check_full_disk(scratch: &Scratch) {
    {
        let dir = scratch.sub("full-disk");
        let target = dir.join("photo.jpg");
        let big = vec![b'x'; 2 << 20];
        // Only this step runs in the process meanwhile (it holds the CPU
        // lock), so nothing else is writing files.
        let Some(result) = harness::durability::with_file_size_limit(1 << 20, || {
            kata::write::write_atomically(&target, &big)
        }) else {
            return;
        };
        ensure(
            result.is_err(),
            "wrong-result",
            || "write_atomically reported success for a write the disk had no room for",
        );
        let names = listing(&dir);
        ensure(names.is_empty(), "leftover-temp", || {
            format!(
                "write_atomically failed half-way through writing (the disk was full) and left \
                 {names:?} behind. The temporary file must go whichever step fails — writing, \
                 syncing or renaming — not only when the rename does: remove it on every error"
            )
        });
    }
}

/// The environment variable that makes [`temp_name_probe`] write.
const PROBE_TARGET: &str = "IMAGE_PROCESSOR_GRADE_PROBE_TARGET";

/// Fail with `shared-temp` if two processes, each writing the same photo
/// once, choose the same temporary name: two runs of the program into one
/// folder would then write into one temporary file. Each process is this
/// test binary again, running [`temp_name_probe`]; the name is seen in the
/// rename (see harness::durability). Linux only.
fn check_temp_name_per_process(scratch: &Scratch) {
    if !harness::durability::observing() {
        return;
    }
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    let dir = scratch.sub("two-runs");
    let target = dir.join("photo.jpg");
    let names: Vec<String> = (0..2)
        .filter_map(|_| {
            let output = std::process::Command::new(&me)
                .args([
                    "graded::temp_name_probe",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(PROBE_TARGET, &target)
                .output()
                .ok()?;
            // libtest may print "test ... " on the same line first.
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find_map(|l| Some(l.split_once("temporary name: ")?.1.trim().to_owned()))
        })
        .collect();
    if let [a, b] = names.as_slice() {
        ensure(a != b, "shared-temp", || {
            format!(
                "two processes, each writing {} once, both named their temporary file {a}: \
                 two runs of the program into one folder would write into the same temporary \
                 file. Make the name unique per process too (std::process::id()), not only \
                 per call, and create it with File::create_new",
                target.display()
            )
        });
    }
}

/// Not a step: run by [`check_temp_name_per_process`] in a process of its
/// own, it writes one photo and prints the temporary name it was renamed
/// from.
#[test]
#[ignore = "run by the `one` step in a process of its own"]
fn temp_name_probe() {
    let Some(target) = std::env::var_os(PROBE_TARGET) else {
        return;
    };
    let _ = harness::durability::take_renamed_from();
    if kata::write::write_atomically(Path::new(&target), b"a probe").is_ok()
        && let Some(from) = harness::durability::take_renamed_from().first()
    {
        let name = from.file_name().unwrap_or_default().to_string_lossy();
        println!("temporary name: {name}");
    }
}

/// (device, inode) of the file at `path`: which file it is, whatever its
/// name.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Fail with `removed-target` if `write_atomically` removes the old file
/// before the rename, and with `not-durable` unless it flushes the
/// temporary file to disk before renaming it onto `target`. Skipped
/// where the calls cannot be watched.
fn check_durable(target: &Path) {
    use harness::durability::{self, Call};
    if !durability::observing() {
        harness::grade::skip(
            "durability: this platform's fsync and rename cannot be watched, so the order of the \
             two was not checked",
        );
        return;
    }
    // An old photo under the name first, to see what becomes of it.
    std::fs::write(target, b"the old photo").expect("setting up");
    let old = identity(target);
    let _ = durability::take();
    if let Err(e) = kata::write::write_atomically(target, b"a photo that must survive a crash") {
        fail(
            "write-failed",
            format!(
                "write_atomically({}) failed: {e}. {WRITE_FAILED}",
                target.display()
            ),
        );
    }
    let calls = durability::take();
    let call = format!("write_atomically({})", target.display());
    if let Some(old) = old
        && calls.contains(&Call::Unlink { file: old })
    {
        fail(
            "removed-target",
            format!(
                "{call} removed the old file before renaming the new one onto its name: for a \
                 moment there was no photo under that name at all (and a crash then loses \
                 both). rename replaces the target in one step — the name always points at \
                 the old file or the new one — so there is nothing to remove first"
            ),
        );
    }
    let Some(written) = identity(target) else {
        return;
    };
    let renamed = calls
        .iter()
        .position(|c| *c == Call::Rename { file: written });
    let synced = calls
        .iter()
        .position(|c| *c == Call::Sync { file: written });
    match (synced, renamed) {
        (Some(s), Some(r)) if s < r => {}
        (Some(_), Some(_)) => fail(
            "not-durable",
            format!(
                "{call} flushed the file to disk only after renaming it: between the rename and \
                 the flush, a crash can leave an empty file under the real name. Call sync_all \
                 on the temporary file before the rename"
            ),
        ),
        (None, Some(_)) => fail(
            "not-durable",
            format!(
                "{call} renamed the temporary file without flushing it to disk first (no \
                 File::sync_all): the kernel may write the rename before the data, and a crash \
                 right after it leaves an empty file under the real name — the old photo gone, \
                 the new one not there. Call sync_all on the temporary file before the rename"
            ),
        ),
        // No rename of the file that ended up under the name: the other
        // checks of this step say what is wrong with that.
        (_, None) => {}
    }
}

/// Checks of `write_atomically` against the real file system.
fn check_atomic_write(scratch: &Scratch) {
    // 1. Replacing an existing file must replace the *file*, not its
    //    content: a reader holding the old one keeps reading the old bytes.
    //    A write in place (truncate, then write) changes them under it.
    let dir = scratch.sub("replace");
    let target = dir.join("photo.jpg");
    let old = vec![b'o'; 1 << 20];
    let new = vec![b'n'; (1 << 20) + 5];
    std::fs::write(&target, &old).expect("setting up");
    let mut held = std::fs::File::open(&target).expect("setting up");
    if let Err(e) = kata::write::write_atomically(&target, &new) {
        fail(
            "write-failed",
            format!(
                "write_atomically({}) failed: {e}. {WRITE_FAILED}",
                target.display()
            ),
        );
    }
    let mut seen = Vec::new();
    held.read_to_end(&mut seen).expect("reading the held file");
    ensure(seen == old, "not-atomic", || {
        "write_atomically rewrote the existing file in place: a reader that had it open saw its \
         bytes change under it (with a crash or a full disk in between, the photo stays half \
         written). Write a temporary file in the same folder and rename it over the target"
    });
    ensure(
        read(&target).as_deref() == Some(&new[..]),
        "wrong-output",
        || "after write_atomically, the file does not hold exactly the bytes written",
    );
    let names = listing(&dir);
    ensure(names.len() == 1, "leftover-temp", || {
        format!(
            "after a successful write the folder holds {names:?}: the temporary file must be renamed, not copied"
        )
    });

    // 1b. Durable before it is named: the temporary file's bytes reach the
    //     disk (fsync) *before* the rename, or a crash right after the
    //     rename can leave an empty file under the real name. Nothing in
    //     the file shows it afterwards, so the calls themselves are
    //     watched (see harness::durability).
    check_durable(&dir.join("durable.jpg"));

    // 2. A reader polling the file while it is rewritten must always find
    //    it, complete: old or new, nothing in between, never missing.
    let a = vec![b'a'; 4 << 20];
    let b = vec![b'b'; (4 << 20) + 1];
    std::fs::write(&target, &a).expect("setting up");
    let stop = AtomicBool::new(false);
    let (torn, missing, reads) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let (mut torn, mut missing, mut reads) = (None, None, 0);
            while !stop.load(Ordering::Relaxed) {
                reads += 1;
                match std::fs::read(&target) {
                    Ok(bytes) if bytes == a || bytes == b => {}
                    Ok(bytes) => {
                        torn.get_or_insert(format!(
                            "{} bytes of a {}-byte image",
                            bytes.len(),
                            b.len()
                        ));
                    }
                    Err(e) => {
                        missing.get_or_insert(format!("no file ({e})"));
                    }
                }
            }
            (torn, missing, reads)
        });
        // A second reader only opens the file, as fast as it can: a gap
        // of microseconds between deleting the old file and renaming the
        // new one shows up here.
        let opener = s.spawn(|| {
            let mut missing = None;
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = std::fs::File::open(&target) {
                    missing.get_or_insert(format!("no file ({e})"));
                }
            }
            missing
        });
        for i in 0..24 {
            let bytes = if i % 2 == 0 { &b } else { &a };
            if let Err(e) = kata::write::write_atomically(&target, bytes) {
                stop.store(true, Ordering::Relaxed);
                fail(
                    "write-failed",
                    format!("write_atomically failed on rewrite {i}: {e}. {WRITE_FAILED}"),
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
        let (torn, missing, reads) = reader.join().expect("the reader thread");
        (
            torn,
            missing.or(opener.join().expect("the opener thread")),
            reads,
        )
    });
    if let Some(what) = torn {
        fail(
            "not-atomic",
            format!(
                "a reader polling the output while it was rewritten found {what} (in {reads} \
                 reads). Anyone opening the file at that moment — a viewer, a sync client — \
                 gets a broken image. Write elsewhere in the folder, then rename"
            ),
        );
    }
    if let Some(what) = missing {
        fail(
            "removed-target",
            format!(
                "a reader opening the output while it was rewritten found {what}: for a moment \
                 there was no photo under its name. Is the old file removed before the \
                 temporary one is renamed? rename replaces the target in one step — the name \
                 always points at the old file or the new one — so there is nothing to remove \
                 first, and removing it opens exactly the gap a rename closes"
            ),
        );
    }

    // 3. A write that fails must leave nothing behind. The target here is
    //    a folder, so the final rename fails after the temporary file
    //    was written.
    let dir = scratch.sub("failing");
    let blocked = dir.join("taken.jpg");
    std::fs::create_dir(&blocked).expect("setting up");
    let result = kata::write::write_atomically(&blocked, b"some bytes");
    ensure(
        result.is_err(),
        "wrong-result",
        || "write_atomically over an existing folder reported success",
    );
    let names = listing(&dir);
    ensure(names.len() == 1, "leftover-temp", || {
        format!(
            "a failed write_atomically left {:?} behind. When any step fails, remove the \
             temporary file before returning the error",
            names
                .iter()
                .filter(|n| *n != "taken.jpg")
                .collect::<Vec<_>>()
        )
    });

    // 3b. A write can fail before the rename too: the disk fills up while
    //     the bytes go in. A file-size limit makes exactly that happen, and
    //     the temporary file must be gone afterwards all the same.
    check_full_disk(scratch);

    // 3c. Two programs writing the same photo — two runs of this tool into
    //     one folder — must not share a temporary file: the name is unique
    //     per process as well as per call.
    check_temp_name_per_process(scratch);

    // 4. Files of the user's that sit beside the output under the names a
    //    temporary file is often given must survive the write untouched
    //    (and must not make it fail): a temporary name is unique per call.
    let dir = scratch.sub("beside");
    let target = dir.join("bait.jpg");
    let baits = [
        "bait.tmp",
        "bait.jpg.tmp",
        ".bait.jpg.tmp",
        ".bait.tmp",
        "bait.jpg~",
        "bait.jpg.part",
    ];
    for bait in baits {
        std::fs::write(dir.join(bait), b"the user's own file").expect("setting up");
    }
    let result = kata::write::write_atomically(&target, b"the new photo");
    let touched: Vec<&str> = baits
        .into_iter()
        .filter(|b| read(&dir.join(b)).as_deref() != Some(&b"the user's own file"[..]))
        .collect();
    ensure(result.is_ok() && touched.is_empty(), "shared-temp", || {
        format!(
            "write_atomically({}) with files of the user's beside it: {}. A temporary name \
             derived from the target alone is shared by every write of that target and may \
             already be someone's file: make it unique per call (the process id and an atomic \
             counter) and create it with File::create_new",
            target.display(),
            match &result {
                Err(e) => format!("failed ({e})"),
                Ok(()) => format!("replaced or removed {touched:?}"),
            }
        )
    });

    // 5. Threads writing different files into one folder at the same
    //    moment, as a parallel batch does: each temporary file must be its
    //    own, or one thread's bytes end up under another's name.
    let dir = scratch.sub("together");
    const WRITERS: usize = 8;
    let barrier = std::sync::Barrier::new(WRITERS);
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (dir, barrier) = (&dir, &barrier);
                s.spawn(move || {
                    // Half write their own file; the other half all write
                    // the same one, as two runs into one folder would: a
                    // temporary name derived from the target alone is then
                    // shared too.
                    let shared = t >= WRITERS / 2;
                    let target = if shared {
                        dir.join("shared.jpg")
                    } else {
                        dir.join(format!("photo-{t}.jpg"))
                    };
                    let mut first_error = None;
                    // Every round to the end, even after an error: the
                    // others wait for this thread at the barrier.
                    for round in 0..20u8 {
                        // 2 MiB: long enough to write that threads leaving
                        // the barrier together really overlap, even in memory.
                        let bytes = vec![t as u8 * 20 + round; 2 << 20];
                        barrier.wait();
                        // The shared file may hold any one writer's bytes,
                        // but all of them: one value, the full length.
                        let whole = |got: &[u8]| {
                            if shared {
                                got.len() == bytes.len() && got.iter().all(|&b| b == got[0])
                            } else {
                                got == &bytes[..]
                            }
                        };
                        let error = match kata::write::write_atomically(&target, &bytes) {
                            Err(e) => Some(format!("writing {}: {e}", target.display())),
                            Ok(()) if !read(&target).is_some_and(|got| whole(&got)) => {
                                Some(format!(
                                    "{} holds a mix of what several threads wrote",
                                    target.display()
                                ))
                            }
                            Ok(()) => None,
                        };
                        first_error = first_error.or(error);
                    }
                    first_error
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("a writer thread"))
            .collect()
    });
    ensure(errors.is_empty(), "shared-temp", || {
        format!(
            "{WRITERS} threads writing into one folder at once, some to the same file: {}. Give \
             every call its own temporary name (the process id and an atomic counter), created \
             with File::create_new so that an existing file is never reused",
            errors[0]
        )
    });
    let names = listing(&dir);
    ensure(names.len() == WRITERS / 2 + 1, "leftover-temp", || {
        format!("after {WRITERS} threads wrote into one folder it holds {names:?}")
    });
}

#[test]
fn one_image() {
    step(LIMIT, || {
        let scratch = Scratch::elsewhere("one");
        // The writer first: process_one is built on it.
        check_atomic_write(&scratch);
        let inputs = scratch.sub("in");
        let paths = synth::write_set(
            &inputs,
            &[
                spec("landscape.jpg", 640, 480, Kind::Jpeg, 1),
                spec("portrait.png", 360, 500, Kind::Png, 2),
            ],
        )
        .expect("writing test images");
        let out = scratch.sub("out");
        let cases = [
            (
                &paths[0],
                Settings {
                    ops: vec![
                        Op::Fit {
                            width: 200,
                            height: 200,
                        },
                        Op::Sharpen { sigma: 1.0 },
                    ],
                    output: OutputFormat::Jpeg { quality: 80 },
                    ..Settings::default()
                },
                "thumb.jpg",
            ),
            (
                &paths[1],
                Settings {
                    ops: vec![
                        Op::Thumbnail {
                            width: 64,
                            height: 64,
                        },
                        Op::Grayscale,
                        Op::Rotate { degrees: 90 },
                    ],
                    output: OutputFormat::Png,
                    ..Settings::default()
                },
                "square.png",
            ),
        ];
        for (input, settings, name) in &cases {
            let job = Job {
                input: (*input).clone(),
                output: out.join(name),
            };
            let call = format!("process_one({})", input.display());
            let _ = harness::durability::take();
            let processed = match kata::one::process_one(&job, settings) {
                Ok(p) => p,
                Err(e) => fail("failed", format!("{call} failed on a good image: {e}")),
            };
            check_written_atomically(&call, &job.output);
            let expected = expected_bytes(input, settings);
            let written = read(&job.output);
            ensure(written.is_some(), "missing-output", || {
                format!("{call} returned Ok but wrote no {}", job.output.display())
            });
            ensure(
                written.as_deref() == Some(&expected[..]),
                "wrong-output",
                || {
                    format!(
                        "{call} wrote {} bytes, but decode → {} → encode as {:?} gives {} bytes. \
                     Use codec::decode with the ops (for shrink-on-load) and the pixel limit, \
                     ops::apply, codec::encode with the output format",
                        written.as_ref().map_or(0, Vec::len),
                        settings
                            .ops
                            .iter()
                            .map(Op::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                        settings.output,
                        expected.len()
                    )
                },
            );
            let image = codec::decode(&expected, &[], u64::MAX).expect("decodable");
            let want = (
                job.output.clone(),
                image.width(),
                image.height(),
                expected.len() as u64,
            );
            let got = (
                processed.output.clone(),
                processed.width,
                processed.height,
                processed.bytes,
            );
            ensure(got == want, "wrong-report", || {
                format!(
                    "{call} returned {got:?}; the file written is {want:?} (path, width, height, bytes)"
                )
            });
        }
        let strict = Settings {
            max_pixels: 1000,
            ..Settings::default()
        };
        let result = kata::one::process_one(
            &Job {
                input: paths[0].clone(),
                output: out.join("too-big.jpg"),
            },
            &strict,
        );
        ensure(
            matches!(result, Err(kata::ProcessError::TooLarge { .. })),
            "ignored-limit",
            || {
                format!(
                    "process_one with a limit of 1000 pixels on a 640×480 photo returned \
                     {result:?}: pass settings.max_pixels to codec::decode"
                )
            },
        );
        let missing = Job {
            input: inputs.join("no-such-photo.jpg"),
            output: out.join("never.jpg"),
        };
        let result = kata::one::process_one(&missing, &Settings::default());
        ensure(
            matches!(result, Err(kata::ProcessError::Read(_))),
            "wrong-error",
            || {
                format!(
                    "process_one on a missing file returned {result:?}; expected ProcessError::Read"
                )
            },
        );
        let nowhere = Job {
            input: paths[0].clone(),
            output: out.join("no-such-folder").join("x.jpg"),
        };
        let result = kata::one::process_one(&nowhere, &Settings::default());
        ensure(
            matches!(&result, Err(kata::ProcessError::Write { path, .. }) if *path == nowhere.output),
            "wrong-error",
            || {
                format!(
                    "process_one into a missing folder returned {result:?}; expected ProcessError::Write naming the output"
                )
            },
        );
        check_temp_is_not_an_input(&scratch);
        note(
            "outputs match decode → ops → encode; replaced, not rewritten, flushed to disk before the rename; readers never saw a partial file; a failed write left nothing; the temporary name is no input's",
        );
    });
}

/// The temporary file sits in the output folder until its rename, where
/// another run (or the next batch, reading this folder) lists images. A
/// name that `list_images` would take — `tmp-1-photo.jpg` — hands that
/// run a half-written photo. Fails with `visible-temp`.
fn check_temp_is_not_an_input(scratch: &Scratch) {
    if !harness::durability::observing() {
        return;
    }
    let dir = scratch.sub("temp-name");
    let _ = harness::durability::take_renamed_from();
    if kata::write::write_atomically(&dir.join("photo.jpg"), b"a photo").is_err() {
        return;
    }
    let Some(from) = harness::durability::take_renamed_from().into_iter().next() else {
        return;
    };
    let name = from.file_name().unwrap_or_default().to_owned();
    let look = scratch.sub("temp-name-listed");
    std::fs::write(look.join(&name), b"").expect("setting up");
    let listed = kata::job::list_images(&look).unwrap_or_default();
    ensure(listed.is_empty(), "visible-temp", || {
        format!(
            "write_atomically(photo.jpg) wrote its bytes first to {:?}, a name that \
             list_images takes for a photo: a run reading that folder meanwhile would \
             process a half-written file. Name the temporary so it is no input: hidden \
             (a leading dot) and with an ending that is not an image's",
            name.to_string_lossy()
        )
    });
}

// ---------------------------------------------------------------- batches

/// A batch function: `sequential` or `parallel`.
type Batch = fn(&[Job], &Settings, Progress<'_>) -> Vec<Outcome>;

/// Runs a batch function with a progress callback that records which
/// threads called it; returns the outcomes and those threads.
fn run_batch(batch: Batch, jobs: &[Job], settings: &Settings) -> Ran {
    let callers = Mutex::new(Vec::new());
    let start = Instant::now();
    let record = |_: &Outcome| {
        callers
            .lock()
            .unwrap()
            .push((std::thread::current().id(), start.elapsed()))
    };
    let outcomes = batch(jobs, settings, Progress::new(&record));
    let wall = start.elapsed();
    let calls = callers.into_inner().unwrap();
    Ran {
        outcomes,
        callers: calls.iter().map(|c| c.0).collect(),
        first_progress: calls.iter().map(|c| c.1).min(),
        wall,
    }
}

/// What [`run_batch`] saw.
struct Ran {
    outcomes: Vec<Outcome>,
    /// The thread of every progress call.
    callers: Vec<std::thread::ThreadId>,
    /// When the first progress call came, from the start of the batch.
    first_progress: Option<Duration>,
    wall: Duration,
}

/// Progress must be reported as images finish, not all at the end: a
/// progress bar that jumps from 0 to 100% tells the user nothing.
fn check_progress_is_live(call: &str, ran: &Ran) {
    let Some(first) = ran.first_progress else {
        return;
    };
    ensure(
        first.as_secs_f64() < 0.6 * ran.wall.as_secs_f64(),
        "late-progress",
        || {
            format!(
                "{call} made its first progress call {:.0} ms into a {:.0} ms batch: call progress.done as each image finishes, not after collecting them all",
                first.as_secs_f64() * 1e3,
                ran.wall.as_secs_f64() * 1e3
            )
        },
    );
}

/// Every job has its outcome, in job order, each Ok, with progress
/// reported once per job.
fn check_complete(call: &str, jobs: &[Job], outcomes: &[Outcome], progress_calls: usize) {
    ensure(outcomes.len() == jobs.len(), "missing-outcomes", || {
        format!(
            "{call} returned {} outcome(s) for {} jobs: one per job",
            outcomes.len(),
            jobs.len()
        )
    });
    for (job, outcome) in jobs.iter().zip(outcomes) {
        ensure(outcome.input == job.input, "wrong-order", || {
            format!(
                "{call}: outcome for {} where {} was expected: outcomes come in job order",
                outcome.input.display(),
                job.input.display()
            )
        });
        if let Err(e) = &outcome.result {
            fail(
                "failed",
                format!(
                    "{call} failed on the good image {}: {e}",
                    job.input.display()
                ),
            );
        }
    }
    ensure(progress_calls == jobs.len(), "no-progress", || {
        format!(
            "{call} called progress.done {progress_calls} times for {} jobs: once per finished job",
            jobs.len()
        )
    });
}

/// Runs `f` inside a rayon pool of `threads` threads. One thread is what a
/// sequential baseline must be: the JPEG decoder hands work to whatever
/// rayon pool it runs in, and inside this one that is the same thread.
fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

fn settings_for_batches() -> Settings {
    Settings {
        ops: vec![
            Op::Fit {
                width: 480,
                height: 480,
            },
            Op::Sharpen { sigma: 0.8 },
        ],
        output: OutputFormat::Jpeg { quality: 85 },
        ..Settings::default()
    }
}

#[test]
fn sequential_batch() {
    step(LIMIT, || {
        let scratch = Scratch::new("sequential");
        let sizes = [(640, 480), (480, 640), (900, 600), (300, 200), (1024, 768)];
        let specs = synth::specs(10, 21, &sizes);
        let inputs = synth::write_set(&scratch.sub("in"), &specs).expect("writing test images");
        let out = scratch.sub("out");
        let settings = settings_for_batches();
        let (jobs, refused) = kata::job::plan(&inputs, &out, &settings);
        assert!(refused.is_empty(), "distinct names");
        // In a pool of two threads, a par_iter would show: some images
        // would be finished by the other thread.
        let (ran, me) = in_pool(2, || {
            (
                run_batch(kata::batch::sequential, &jobs, &settings),
                std::thread::current().id(),
            )
        });
        let call = format!("sequential({} jobs)", jobs.len());
        check_complete(&call, &jobs, &ran.outcomes, ran.callers.len());
        check_progress_is_live(&call, &ran);
        ensure(
            ran.callers.iter().all(|id| *id == me),
            "not-sequential",
            || {
                format!(
                    "{call} processed images on other threads: the sequential batch is the baseline the parallel one is measured against, so it runs on the caller's thread"
                )
            },
        );
        for job in &jobs {
            ensure(
                read(&job.output) == Some(expected_bytes(&job.input, &settings)),
                "wrong-output",
                || {
                    format!(
                        "{call}: {} does not hold what process_one makes of {}",
                        job.output.display(),
                        job.input.display()
                    )
                },
            );
        }
        note(format!(
            "{} images, outputs as process_one makes them, in order",
            jobs.len()
        ));
    });
}

/// A share of a parallel run during which fewer than all cores may be busy:
/// a batch handed to rayon image by image leaves one core idle only for
/// its last image or two; one handed out in waves leaves one idle at the
/// end of every wave.
const ALONE_AT_MOST: f64 = 0.25;

/// The timeline's resolution: cores used are sampled this often (a whole
/// number of scheduler ticks at 100, 250, 300 and 1000 Hz).
const SAMPLE: Duration = Duration::from_millis(20);

/// The share of `timeline` during which fewer than all cores were busy,
/// and in how many stretches.
fn alone(timeline: &cpu::Timeline) -> (f64, usize) {
    (timeline.idle_share(), timeline.idle().1)
}

fn waves_message(call: &str, cores: f64, alone: f64, stretches: usize, available: usize) -> String {
    format!(
        "{call} averaged {cores:.2} cores, but for {:.0}% of its run, in {stretches} stretches, \
         fewer than {available} were busy: the images are handed out in waves (a chunk at a \
         time, each waiting for its slowest image) or part of the work runs alone. Give rayon \
         the whole batch at once — one par_iter over all the jobs — so a thread that finishes \
         takes the next image",
        alone * 100.0
    )
}

/// What one measured parallel batch showed.
struct ParallelRun {
    jobs: Vec<Job>,
    ran: Ran,
    usage: cpu::Usage,
    timeline: cpu::Timeline,
    resident: Option<u64>,
    extra_threads: usize,
    heap: Option<u64>,
}

#[test]
fn parallel_batch() {
    step(LIMIT, || {
        let scratch = Scratch::new("parallel");
        let sizes = [(1600, 1200), (1200, 1600), (2048, 1152), (1280, 960)];
        // More images than cores plus slack, or a thread per image would
        // look like a pool.
        let count = 24.max(2 * cpu::available_cores() + 8);
        let specs = synth::specs(count, 7, &sizes);
        let inputs = synth::write_set(&scratch.sub("in"), &specs).expect("writing test images");
        let settings = settings_for_batches();
        // Start rayon's global pool now, so its threads count as already
        // there rather than as threads the batch started.
        rayon::join(|| (), || ());

        let seq_out = scratch.sub("sequential");
        let (seq_jobs, _) = kata::job::plan(&inputs, &seq_out, &settings);
        let sequential = || {
            harness::alloc::reset_peak();
            let (seq, usage) = cpu::measure(|| {
                in_pool(1, || {
                    run_batch(kata::batch::sequential, &seq_jobs, &settings)
                })
            });
            assert_eq!(
                seq.outcomes.len(),
                seq_jobs.len(),
                "step 2 passes before step 3"
            );
            (usage, harness::alloc::peak_live_bytes())
        };
        let (mut seq_usage, seq_heap) = sequential();

        let available = cpu::available_cores();
        let measure_parallel = |round: usize| {
            let out = scratch.sub(&format!("parallel-{round}"));
            let (jobs, _) = kata::job::plan(&inputs, &out, &settings);
            let watch = threads::Watch::start();
            harness::alloc::reset_peak();
            let ((ran, usage, timeline), resident) = memory::measure_peak(|| {
                cpu::measure_timeline(SAMPLE, || {
                    run_batch(kata::batch::parallel, &jobs, &settings)
                })
            });
            // The timeline's sampler is one thread of the test's own.
            let extra_threads = watch.stop().peak.saturating_sub(1);
            ParallelRun {
                jobs,
                ran,
                usage,
                timeline,
                resident,
                extra_threads,
                heap: harness::alloc::peak_live_bytes(),
            }
        };
        let reading = busy::retry(3, |round| {
            if round > 0 && !busy::is_quiet(&seq_usage) {
                // The baseline was disturbed too: measure it again.
                seq_usage = sequential().0;
            }
            let run = measure_parallel(round);
            let call = format!("parallel({} jobs)", run.jobs.len());
            check_complete(&call, &run.jobs, &run.ran.outcomes, run.ran.callers.len());
            check_progress_is_live(&call, &run.ran);
            for (a, b) in seq_jobs.iter().zip(&run.jobs) {
                ensure(
                    read(&a.output) == read(&b.output),
                    "different-output",
                    || {
                        format!(
                            "{call}: {} differs from the sequential batch's output for the same \
                             image. Parallel processing must not change a single byte",
                            b.output.display()
                        )
                    },
                );
            }
            // How many threads there were is a fact, however busy the
            // machine; the rest are measurements.
            if run.extra_threads > available + 2 || available < 2 {
                return Reading::Fail(run);
            }
            let Some(bar) = busy::parallel_bar(&run.usage) else {
                return Reading::Unclear(run);
            };
            let quiet = busy::is_quiet(&run.usage) && busy::is_quiet(&seq_usage);
            let speedup = seq_usage.wall.as_secs_f64() / run.usage.wall.as_secs_f64();
            if run.usage.cores_used() < bar {
                return Reading::Fail(run);
            }
            if speedup < 1.3 || alone(&run.timeline).0 > ALONE_AT_MOST {
                return if quiet {
                    Reading::Fail(run)
                } else {
                    Reading::Unclear(run)
                };
            }
            Reading::Pass(run)
        });
        let unclear = reading.is_unclear();
        let run = reading.into_inner();
        let call = format!("parallel({} jobs)", run.jobs.len());
        let cores = run.usage.cores_used();
        let speedup = seq_usage.wall.as_secs_f64() / run.usage.wall.as_secs_f64();
        let distinct: std::collections::HashSet<_> = run.ran.callers.iter().collect();
        let extra_threads = run.extra_threads;
        let peak_text = match (run.heap, seq_heap) {
            (Some(heap), Some(seq_heap)) => format!(
                "{:.0} MB of heap at once (the sequential batch: {:.0} MB)",
                mb(heap),
                mb(seq_heap)
            ),
            _ => run.resident.map_or("unknown".to_owned(), |p| {
                format!("{:.0} MB resident", mb(p))
            }),
        };
        ensure(extra_threads <= available + 2, "oversubscribed", || {
            format!(
                "{call} had {extra_threads} threads of its own alive at once for {available} \
                 cores, and held {peak_text}: every image was being decoded at the \
                 same time. More threads than cores add switching, not speed ({speedup:.2}× the \
                 sequential speed here), and each holds a whole photo: on a folder of 1000 that \
                 is 1000 photos in memory. Use rayon's pool, one thread per core"
            )
        });
        // Facts, judged however busy the machine was: where it runs, and
        // (once the batch is seen on more than one thread) whether its
        // stages ever hold two images at once.
        check_runs_in_its_pool(&call, || {
            let out = scratch.sub("in-a-pool");
            let (jobs, _) = kata::job::plan(&inputs[..4], &out, &settings);
            run_batch(kata::batch::parallel, &jobs, &settings).callers
        });
        if !needs_two_cores("cores used and speed-up of the parallel batch") {
            return;
        }
        let mut stages = (distinct.len() >= 2).then(check_stages_side_by_side);
        if unclear {
            harness::grade::inconclusive(busy::inconclusive_message(
                &format!("{call} ran"),
                &run.usage,
                3,
            ));
            return;
        }
        let bar = busy::parallel_bar(&run.usage).unwrap_or(0.8 * available as f64);
        let (alone_share, stretches) = alone(&run.timeline);
        // Too few cores on average, but every core busy for much of the run:
        // parallel in bursts — waves — rather than not parallel at all.
        let in_bursts = alone_share <= 0.7 && busy::is_quiet(&run.usage);
        ensure(cores >= bar || !in_bursts, "idle-cores", || {
            waves_message(&call, cores, alone_share, stretches, available)
        });
        ensure(cores >= bar, "not-parallel", || {
            format!(
                "{call} kept {cores:.2} cores busy of {available} (it needs at least {bar:.2}), \
                 finished by {} thread(s), {speedup:.2}× the sequential speed. Process the \
                 images with a rayon parallel iterator (par_iter) so every core takes images",
                distinct.len()
            )
        });
        ensure(speedup >= 1.3, "no-speedup", || {
            format!(
                "{call} kept {cores:.2} cores busy but ran only {speedup:.2}× the \
                 sequential speed: is something (a lock held while processing, a shared \
                 buffer) making the threads wait for each other?"
            )
        });
        ensure(alone_share <= ALONE_AT_MOST, "idle-cores", || {
            waves_message(&call, cores, alone_share, stretches, available)
        });
        let stages = stages.get_or_insert_with(check_stages_side_by_side);
        note(format!(
            "{} images: {cores:.2} cores busy of {available}, {speedup:.2}× the sequential speed \
             ({:.0} ms → {:.0} ms), one core idle {:.0}% of the run, {extra_threads} extra \
             threads at most, {peak_text}; outputs identical; {stages}",
            run.jobs.len(),
            seq_usage.wall.as_secs_f64() * 1e3,
            run.usage.wall.as_secs_f64() * 1e3,
            alone_share * 100.0
        ));
    });
}

/// Fail with `ignored-pool` if `work`, run inside a rayon pool of one
/// thread, starts threads of its own or runs on any thread but the pool's.
/// Code that is told where to run (`ThreadPool::install`, as a program
/// nesting it in a bigger job does) must run there: a pool built per call,
/// or threads of its own, are extra threads on top of the caller's.
/// `work` returns the threads it ran its items on.
fn check_runs_in_its_pool(call: &str, work: impl FnOnce() -> Vec<std::thread::ThreadId> + Send) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let pool_thread = pool.install(|| std::thread::current().id());
    let watch = threads::Watch::start();
    let callers = pool.install(work);
    let extra = watch.stop().started;
    let elsewhere = callers.iter().filter(|t| **t != pool_thread).count();
    ensure(extra == 0 && elsewhere == 0, "ignored-pool", || {
        format!(
            "{call}, called inside a rayon pool of one thread (ThreadPool::install), started \
             {extra} threads of its own and ran {elsewhere} of its items off the pool's thread: \
             it builds a pool (or threads) of its own instead of running where it is called. \
             Use par_iter without a pool of your own: it runs on the pool it is called in — \
             the global one, or the caller's"
        )
    });
}

/// Fail with `serialised-stage` if a parallel batch never runs two images
/// through the same stage (decoding, the operations, encoding) at once: a
/// lock around one stage, which throughput on two cores cannot show — the
/// other thread just works on another stage meanwhile.
///
/// The batch is made so that overlap is certain for correct code: one
/// large photo first, whose every stage takes longer than a whole small
/// photo does, and many small ones. While one thread is in the large one's
/// decoding, its operations and its encoding, the other goes through all
/// three stages several times. Returns a description for the note.
fn check_stages_side_by_side() -> String {
    use kata::stages;
    // In memory where the machine can (/dev/shm): a flush to a real disk
    // can take longer than a small photo's whole processing, and a thread
    // waiting for the disk is in no stage at all.
    let scratch = Scratch::in_memory("stages");
    let mut specs = vec![spec("a-large.jpg", 4000, 3000, Kind::Jpeg, 31)];
    // A hundred small ones: the other thread must still have some left
    // when the large one reaches its last stage, encoding. With forty, a
    // quiet machine sometimes finished them all first (seen in CI: three
    // rounds in a row without two encodings at once, from correct code).
    specs
        .extend((0..100).map(|i| spec(&format!("small-{i:03}.jpg"), 400, 300, Kind::Jpeg, 40 + i)));
    let inputs = synth::write_set(&scratch.sub("stages-in"), &specs).expect("writing test images");
    // Every stage does real work on every photo: decoding, fitting and
    // sharpening, encoding as PNG (slower than JPEG for a large image).
    let settings = Settings {
        ops: vec![
            Op::Fit {
                width: 2000,
                height: 2000,
            },
            Op::Sharpen { sigma: 1.0 },
        ],
        output: OutputFormat::Png,
        ..Settings::default()
    };
    let (jobs, _) = kata::job::plan(&inputs, &scratch.sub("stages-out"), &settings);
    let call = format!(
        "parallel({} jobs: one 12-megapixel photo, then 100 small ones)",
        jobs.len()
    );
    // The overlap is a count, but whether it happens is timing: with a
    // core taken by another program the small photos can all be done
    // before the large one reaches its last stage. A batch that never
    // overlapped a stage fails only on a quiet machine; on a busy one it
    // is measured again, then called inconclusive.
    let reading = busy::retry(3, |_| {
        for stage in stages::ALL {
            stage.reset();
        }
        let (outcomes, usage) =
            cpu::measure(|| kata::batch::parallel(&jobs, &settings, Progress::none()));
        check_complete(&call, &jobs, &outcomes, jobs.len());
        if stages::ALL.iter().all(|s| s.peak() >= 2) {
            Reading::Pass(usage)
        } else if busy::is_quiet(&usage) {
            Reading::Fail(usage)
        } else {
            Reading::Unclear(usage)
        }
    });
    if reading.is_unclear() {
        harness::grade::inconclusive(busy::inconclusive_message(
            &format!("{call} ran"),
            &reading.into_inner(),
            3,
        ));
        return "stages side by side: not judged (the machine was busy)".into();
    }
    for stage in stages::ALL {
        ensure(stage.calls() >= jobs.len(), "bypassed-given-code", || {
            format!(
                "{call}: the given code counted only {} of {} images {} — does process_one call \
                 codec::decode, ops::apply and codec::encode?",
                stage.calls(),
                jobs.len(),
                stage.name
            )
        });
        ensure(stage.peak() >= 2, "serialised-stage", || {
            format!(
                "{call}: never were two images {} at the same time, although one thread spent \
                 long on the large photo and the small ones were there for the others. Either \
                 something makes the threads take turns — a lock around that stage or around \
                 another part of the work (a Mutex \"to be safe\"): the given codec and \
                 operations are safe to call from many threads at once — or the images were \
                 cut into fixed shares (par_chunks), so the other threads ran out of work \
                 while one was still busy with the large photo: give rayon one image per task \
                 and let idle threads steal",
                stage.name
            )
        });
    }
    let peaks: Vec<String> = stages::ALL
        .iter()
        .map(|s| format!("{} {}", s.name, s.peak()))
        .collect();
    format!("stages side by side at most: {}", peaks.join(", "))
}

// ---------------------------------------------------------------- step 4

/// Rows of a `width`×`height`×`channels` buffer where `a` and `b` differ.
fn differing_rows(a: &[u8], b: &[u8], row_len: usize) -> Vec<usize> {
    a.chunks(row_len)
        .zip(b.chunks(row_len))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i)
        .collect()
}

fn compare_blurs(
    pixels: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    sigma: f32,
) -> Vec<u8> {
    let expected = kata::blur::blur_sequential(pixels, width, height, channels, sigma);
    let got = kata::tiles::blur_parallel(pixels, width, height, channels, sigma);
    let call = format!("blur_parallel({width}×{height}, {channels} channel(s), sigma {sigma})");
    ensure(got.len() == expected.len(), "wrong-size", || {
        format!(
            "{call} returned {} bytes, expected {}",
            got.len(),
            expected.len()
        )
    });
    let rows = differing_rows(&expected, &got, width * channels);
    if !rows.is_empty() {
        // Seams: the rows at the image's own top and bottom edge are right
        // (clamped as in the sequential blur), and some in the middle are
        // not, where bands met.
        let seams = height > 2 && !rows.contains(&0) && !rows.contains(&(height - 1));
        fail(
            if seams { "seams" } else { "different-output" },
            if seams {
                format!(
                    "{call} differs from blur_sequential in {} rows, around rows {:?}: the image \
                     was cut into bands blurred separately, so each band's edge repeats its own \
                     last row instead of reading its neighbour's. Split only the writing: every \
                     output row reads the rows around it in the whole image",
                    rows.len(),
                    &rows[..rows.len().min(6)]
                )
            } else {
                format!(
                    "{call} differs from blur_sequential in {} of {height} rows (first: row {}). \
                     Use the given horizontal_row and vertical_row for every row, both passes",
                    rows.len(),
                    rows[0]
                )
            },
        );
    }
    got
}

/// The speed-up the huge blur must reach over the sequential one: above
/// 1, with room for noise. The blur reads and writes far more memory than
/// it computes, and on a shared virtual machine the memory's speed
/// varies from one second to the next: the reference measured 1.3–2.5×
/// (best of two runs each) on one 2-core machine, its sequential time
/// alone varying by 1.8×. So this catches cores kept busy with something
/// else (each thread copying the image, say), and the thread count and
/// the timeline catch the rest: a thread per row, a pass left sequential.
const HUGE_SPEEDUP: f64 = 1.1;

#[test]
fn huge_image() {
    step(LIMIT, || {
        let (width, height) = (3000, 2000);
        let image = synth::photo(width as u32, height as u32, 99);
        let pixels = image.as_raw();
        compare_blurs(pixels, width, height, 3, 3.0);
        // Odd shapes: fewer rows than threads, one row, one column.
        for (w, h, c) in [(7, 5, 1), (1, 9, 3), (13, 1, 4), (31, 17, 2)] {
            let pixels: Vec<u8> = (0..w * h * c).map(|i| (i * 37 % 251) as u8).collect();
            compare_blurs(&pixels, w, h, c, 1.5);
        }
        // Timed apart from the comparison, each on its own, and judged as
        // the batch is: threads, cores, speed-up, and when cores were idle.
        rayon::join(|| (), || ());
        let available = cpu::available_cores();
        let call = format!("blur_parallel on a {width}×{height} image");
        let reading = busy::retry(3, |_| {
            // The blur is bound by memory as much as by the cores, and this
            // machine's memory may be shared with others it cannot see: the
            // best of two interleaved runs of each is the fair comparison.
            let mut best: Option<(cpu::Usage, cpu::Usage, cpu::Timeline, usize)> = None;
            for _ in 0..2 {
                let (_, seq) =
                    cpu::measure(|| kata::blur::blur_sequential(pixels, width, height, 3, 3.0));
                let watch = threads::Watch::start();
                kata::stages::HORIZONTAL.reset();
                kata::stages::VERTICAL.reset();
                let (_, par, timeline) = cpu::measure_timeline(SAMPLE, || {
                    kata::tiles::blur_parallel(pixels, width, height, 3, 3.0)
                });
                // The timeline's sampler is one thread of the test's own.
                let extra = watch.stop().peak.saturating_sub(1);
                best = Some(match best {
                    None => (seq, par, timeline, extra),
                    Some((s, p, t, e)) => (
                        if seq.wall < s.wall { seq } else { s },
                        if par.wall < p.wall { par } else { p },
                        if par.wall < p.wall { timeline } else { t },
                        e.max(extra),
                    ),
                });
            }
            let run = best.expect("measured twice");
            let (seq, par, extra_threads) = (run.0, run.1, run.3);
            if extra_threads > available + 2 || available < 2 {
                return Reading::Fail(run);
            }
            // Rows are handed out in pieces, and each pass ends with a short
            // tail: a lower bar than the batch's, still far above one core.
            let Some(bar) = busy::parallel_bar(&par).map(|b| b * 7.0 / 8.0) else {
                return Reading::Unclear(run);
            };
            let speedup = seq.wall.as_secs_f64() / par.wall.as_secs_f64().max(1e-9);
            let quiet = busy::is_quiet(&par) && busy::is_quiet(&seq);
            if par.cores_used() < bar {
                Reading::Fail(run)
            } else if speedup < HUGE_SPEEDUP || alone(&run.2).0 > ALONE_AT_MOST {
                if quiet {
                    Reading::Fail(run)
                } else {
                    Reading::Unclear(run)
                }
            } else {
                Reading::Pass(run)
            }
        });
        let unclear = reading.is_unclear();
        let (seq, usage, timeline, extra_threads) = reading.into_inner();
        // Rows side by side in each pass, counted by the given row
        // functions: a fact, however busy the machine. A pass left on one
        // thread is part of the work running alone — the horizontal pass
        // is most of the work, the vertical one is cheap enough that the
        // cores used would hardly show it.
        if available >= 2 {
            for pass in [&kata::stages::HORIZONTAL, &kata::stages::VERTICAL] {
                ensure(pass.calls() >= height, "bypassed-given-code", || {
                    format!(
                        "{call}: the given row functions counted only {} rows {} for a \
                         {height}-row image — does blur_parallel call horizontal_row and \
                         vertical_row for every row?",
                        pass.calls(),
                        pass.name
                    )
                });
                ensure(pass.peak() >= 2, "idle-cores", || {
                    format!(
                        "{call}: never were two rows {} computed at the same time — that pass \
                         runs on one thread while the other cores wait. Hand its output rows to \
                         rayon too (par_chunks_mut(row_len))",
                        pass.name
                    )
                });
            }
        }
        let cores = usage.cores_used();
        let speedup = seq.wall.as_secs_f64() / usage.wall.as_secs_f64().max(1e-9);
        ensure(extra_threads <= available + 2, "oversubscribed", || {
            format!(
                "{call} had {extra_threads} threads of its own alive at once for {available} \
                 cores, {speedup:.2}× the sequential speed: a thread per row (or per band) \
                 costs more to start and switch than the row takes to blur. Hand the rows to \
                 rayon's pool: par_chunks_mut(row_len), one thread per core"
            )
        });
        // Inside a pool of one thread, the blur runs on that thread: a blur
        // nested in a batch must not start threads on top of the batch's.
        {
            let (w, h) = (300, 200);
            let small = synth::photo(w as u32, h as u32, 7);
            check_runs_in_its_pool(&format!("blur_parallel on a {w}×{h} image"), || {
                let _ = kata::tiles::blur_parallel(small.as_raw(), w, h, 3, 2.0);
                Vec::new()
            });
        }
        // In a pool wider than this machine, the rows must spread over all
        // of its threads: a split into a fixed number of pieces (two
        // halves with rayon::join, one band per core) looks right on two
        // cores and can never use a third. Counted by the given row
        // functions: the pool's threads outnumber the cores, so those
        // preempted mid-row count as inside. But a thread must first be
        // scheduled to take a row at all: while other programs hold the
        // cores, a correct blur may finish before the pool's last threads
        // wake. So a low count fails only on a quiet machine; on a busy one
        // it is measured again, and then inconclusive.
        let wide = {
            const WIDE: usize = 6;
            let (w, h) = (3000, 120);
            let image = synth::photo(w as u32, h as u32, 5);
            let reading = busy::retry(3, |_| {
                kata::stages::HORIZONTAL.reset();
                kata::stages::VERTICAL.reset();
                let (_, usage) = cpu::measure(|| {
                    in_pool(WIDE, || {
                        kata::tiles::blur_parallel(image.as_raw(), w, h, 3, 2.0)
                    })
                });
                let peak = kata::stages::HORIZONTAL
                    .peak()
                    .max(kata::stages::VERTICAL.peak());
                busy::timing(peak > WIDE / 2, &usage, (peak, usage))
            });
            let unclear = reading.is_unclear();
            let failed = matches!(reading, Reading::Fail(_));
            let (peak, usage) = reading.into_inner();
            ensure(!failed, "fixed-split", || {
                format!(
                    "blur_parallel on a {w}×{h} image in a pool of {WIDE} threads computed at \
                     most {peak} rows at once: the work is cut into a fixed number of pieces \
                     (halves, or one band per core), so it can never use more cores than that \
                     — here {available}, on a bigger machine still {peak}. Hand out the rows \
                     (par_chunks_mut(row_len)) and let rayon spread them over its pool"
                )
            });
            unclear.then(|| {
                busy::inconclusive_message(
                    &format!(
                        "blur_parallel on a {w}×{h} image ran in a pool of {WIDE} threads and \
                         at most {peak} of them computed a row at once"
                    ),
                    &usage,
                    3,
                )
            })
        };
        if needs_two_cores("cores used and speed-up of blur_parallel") {
            if unclear {
                harness::grade::inconclusive(busy::inconclusive_message(
                    &format!("{call} ran"),
                    &usage,
                    3,
                ));
            } else {
                let bar =
                    busy::parallel_bar(&usage).map_or(0.7 * available as f64, |b| b * 7.0 / 8.0);
                let (alone_share, stretches) = alone(&timeline);
                let in_bursts = alone_share <= 0.7 && busy::is_quiet(&usage);
                let part_alone = || {
                    format!(
                        "{call} averaged {cores:.2} cores, {speedup:.2}× the sequential speed, but \
                         for {:.0}% of its run, in {stretches} stretch(es), fewer than {available} \
                         cores were busy: one of the two passes (or part of one) runs on one \
                         thread. Both passes must hand their rows to rayon",
                        alone_share * 100.0
                    )
                };
                ensure(cores >= bar || !in_bursts, "idle-cores", part_alone);
                ensure(cores >= bar, "not-parallel", || {
                    format!(
                        "{call} kept {cores:.2} cores busy of {available} (at least {bar:.2} \
                         expected). Hand the output rows to rayon: par_chunks_mut(row_len) for \
                         both passes"
                    )
                });
                ensure(speedup >= HUGE_SPEEDUP, "no-speedup", || {
                    format!(
                        "{call} kept {cores:.2} cores busy but ran only {speedup:.2}× the \
                         sequential speed (best of two runs each): the cores are busy with \
                         something other than blurring (starting threads, copying the image, \
                         waiting on a lock)"
                    )
                });
                ensure(alone_share <= ALONE_AT_MOST, "idle-cores", part_alone);
            }
        }
        if let Some(message) = wide {
            harness::grade::inconclusive(message);
        }
        note(format!(
            "{width}×{height}: identical to the sequential blur; {cores:.2} cores busy, \
             {speedup:.2}× ({:.0} ms → {:.0} ms), {extra_threads} extra threads, one core idle \
             {:.0}% of the run",
            seq.wall.as_secs_f64() * 1e3,
            usage.wall.as_secs_f64() * 1e3,
            alone(&timeline).0 * 100.0
        ));
    });
}

// ---------------------------------------------------------------- step 5

/// A PNG that announces `width`×`height` and holds almost nothing: a
/// decompression bomb's header, with valid checksums.
fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The bad files of step 5, with the kind of error each must get.
fn bad_folder(dir: &Path) -> Vec<(&'static str, Option<&'static str>)> {
    let good_jpeg = synth::encode(&spec("", 800, 600, Kind::Jpeg, 5));
    let good_png = synth::encode(&spec("", 600, 400, Kind::Png, 6));
    let mut corrupt = good_jpeg[..200].to_vec();
    corrupt.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1));
    let files: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("bomb.png", bomb_png(60_000, 60_000), Some("too-large")),
        ("corrupt.jpg", corrupt, Some("corrupt")),
        ("empty.jpg", Vec::new(), Some("truncated")),
        ("good-a.jpg", good_jpeg.clone(), None),
        ("good-b.png", good_png.clone(), None),
        (
            "notes.jpg",
            b"shopping list: milk, eggs".to_vec(),
            Some("unsupported"),
        ),
        (
            "short-jpeg.jpg",
            good_jpeg[..good_jpeg.len() * 2 / 5].to_vec(),
            Some("truncated"),
        ),
        (
            "short-png.png",
            good_png[..good_png.len() / 2].to_vec(),
            Some("truncated"),
        ),
        (
            "anim.gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            Some("unsupported"),
        ),
    ];
    let mut files = files;
    files.sort_by(|a, b| a.0.cmp(b.0));
    for (name, bytes, _) in &files {
        std::fs::write(dir.join(name), bytes).expect("writing a test file");
    }
    files
        .into_iter()
        .map(|(name, _, kind)| (name, kind))
        .collect()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = listing(dir)
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("readable");
            (n, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn bad_files() {
    step(LIMIT, || {
        let scratch = Scratch::new("errors");
        let in_dir = scratch.sub("in");
        let expected = bad_folder(&in_dir);
        let before = snapshot(&in_dir);
        let inputs = kata::job::list_images(&in_dir).expect("listing the folder");
        let settings = Settings {
            ops: vec![Op::Fit {
                width: 256,
                height: 256,
            }],
            ..Settings::default()
        };
        let batches: [(&str, Batch); 2] = [
            ("sequential", kata::batch::sequential),
            ("parallel", kata::batch::parallel),
        ];
        for (name, batch) in batches {
            let out = scratch.sub(name);
            let (jobs, refused) = kata::job::plan(&inputs, &out, &settings);
            assert!(refused.is_empty(), "distinct names");
            let call = format!(
                "{name}(a folder with {} bad files of {})",
                expected.iter().filter(|e| e.1.is_some()).count(),
                jobs.len()
            );
            // Which inputs were reported to progress: the bad ones are
            // finished jobs too, and a progress bar that skips them never
            // reaches the end (nor shows the user what failed).
            let reported = Mutex::new(Vec::new());
            let record = |o: &Outcome| reported.lock().unwrap().push(o.input.clone());
            let outcomes = no_panic(&call, || batch(&jobs, &settings, Progress::new(&record)));
            let reported = reported.into_inner().unwrap();
            let got: Vec<(String, Option<&str>)> = outcomes
                .iter()
                .map(|o| {
                    let file = o
                        .input
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    (file, o.result.as_ref().err().map(|e| e.kind()))
                })
                .collect();
            let wanted: Vec<(String, Option<&str>)> = expected
                .iter()
                .map(|(n, k)| ((*n).to_owned(), *k))
                .collect();
            // Every good photo processed but fewer outcomes than jobs: the
            // batch ran to the end and left the failures out of its answer.
            let all_ok = got.iter().all(|g| g.1.is_none());
            let good_written = ["good-a.jpg", "good-b.jpg"]
                .iter()
                .all(|name| out.join(name).is_file());
            ensure(
                got.len() == wanted.len() || !(all_ok && good_written),
                "dropped-failures",
                || {
                    format!(
                        "{call} processed every good photo but returned only {} outcome(s) for {} \
                         jobs: the failed files were left out of the answer, so the caller \
                         cannot tell the user which photos failed, or why. Return one Outcome per \
                         job, the failures with their errors",
                        got.len(),
                        wanted.len()
                    )
                },
            );
            ensure(got.len() == wanted.len(), "aborted-batch", || {
                let lost: Vec<_> = wanted
                    .iter()
                    .filter(|w| !got.iter().any(|g| g.0 == w.0))
                    .map(|w| w.0.clone())
                    .collect();
                format!(
                    "{call} returned {} outcome(s) for {} jobs; never reported: {lost:?}. A bad \
                     file is one failed Outcome; the batch goes on with the rest",
                    got.len(),
                    wanted.len()
                )
            });
            let unreported: Vec<String> = jobs
                .iter()
                .filter(|j| reported.iter().filter(|r| **r == j.input).count() != 1)
                .map(|j| {
                    j.input
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            ensure(unreported.is_empty(), "no-progress", || {
                format!(
                    "{call} called progress.done {} times for {} jobs; not once each for: \
                     {unreported:?}. A failed image is a finished job too: report every \
                     outcome, the failures as well",
                    reported.len(),
                    jobs.len()
                )
            });
            for (g, w) in got.iter().zip(&wanted) {
                ensure(g.0 == w.0, "wrong-order", || {
                    format!("{call}: outcome for {} where {} was expected", g.0, w.0)
                });
                ensure(g.1 == w.1, "wrong-reason", || {
                    let error = outcomes
                        .iter()
                        .find(|o| o.input.ends_with(&g.0))
                        .and_then(|o| o.result.as_ref().err())
                        .map(|e| e.to_string());
                    format!(
                        "{call}: {} came back as {:?} ({error:?}); expected {:?}. Pass the ProcessError through unchanged",
                        g.0,
                        g.1.unwrap_or("ok"),
                        w.1.unwrap_or("ok")
                    )
                });
            }
            let written = listing(&out);
            let wanted_out: BTreeSet<String> =
                ["good-a.jpg", "good-b.jpg"].map(String::from).into();
            ensure(written == wanted_out, "leftover", || {
                format!(
                    "{call}: the output folder holds {written:?}; expected exactly {wanted_out:?}: a failed file leaves nothing, not even a temporary file"
                )
            });
        }
        // Into the input folder itself: the plan refuses the jobs whose
        // output would be their own input (every .jpg); the rest run, and
        // no input changes.
        let (jobs, refused) = kata::job::plan(&inputs, &in_dir, &settings);
        let jpegs = inputs
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
            .count();
        ensure(refused.len() == jpegs, "overwrote-input", || {
            format!(
                "plan into the input folder refused {:?}",
                refused.iter().map(|o| &o.input).collect::<Vec<_>>()
            )
        });
        let outcomes = no_panic("parallel(into the input folder)", || {
            kata::batch::parallel(&jobs, &settings, Progress::none())
        });
        ensure(outcomes.len() == jobs.len(), "aborted-batch", || {
            format!(
                "parallel(into the input folder) returned {} outcome(s) for {} jobs",
                outcomes.len(),
                jobs.len()
            )
        });
        let after: Vec<_> = snapshot(&in_dir)
            .into_iter()
            .filter(|(n, _)| n != "good-b.jpg" && n != "bomb.jpg" && n != "short-png.jpg")
            .collect();
        ensure(
            after == before,
            "input-changed",
            || "processing a folder into itself changed or left files among the inputs",
        );
        note(
            "every bad file reported with its reason (too large, corrupt, truncated, unsupported); the good ones processed; nothing left behind; inputs untouched",
        );
    });
}
