//! A `redis-server` of our own, for `load --strategies tokio-redis` and the
//! two-server test: started on a free loopback port, in a folder of its
//! own, with persistence off, and stopped (its folder removed) when
//! dropped — a run that fails half way leaves no broker behind.
//!
//! Not installed: [`LocalRedis::binary`] is `None`, and the caller says how
//! to install it (`apt-get install redis-server`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How to install the broker, for the message that says it is missing.
pub const INSTALL: &str = "apt-get install redis-server";

/// A running `redis-server`, ours alone.
pub struct LocalRedis {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl LocalRedis {
    /// `redis-server` on `PATH`, if installed.
    pub fn binary() -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    }

    /// Starts `binary` and waits (up to 10 s) until it answers `PING`.
    pub fn start(binary: &Path) -> Result<LocalRedis> {
        // Free a moment ago; redis-server fails to start if it is taken
        // meanwhile, and that failure is reported below.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("chat-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut redis = LocalRedis { child, dir, port };
        let began = Instant::now();
        while !redis.answers_ping() {
            if let Some(status) = redis.child.try_wait()? {
                bail!("redis-server on port {port} exited at once ({status})");
            }
            if began.elapsed() > Duration::from_secs(10) {
                bail!("redis-server on port {port} did not answer PING within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(redis)
    }

    /// `redis://127.0.0.1:PORT/`, for `serve --redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn answers_ping(&self) -> bool {
        let ping = || -> std::io::Result<bool> {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
            stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            stream.write_all(b"PING\r\n")?;
            let mut answer = [0; 7];
            stream.read_exact(&mut answer)?;
            Ok(&answer == b"+PONG\r\n")
        };
        ping().unwrap_or(false)
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
