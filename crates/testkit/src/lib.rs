//! Dev-only test support shared by the gates' integration tests: free
//! ports on 127.0.0.1, bounded waits on a condition (never a sleep as
//! synchronisation), binaries on `PATH`, and a real nginx on loopback whose
//! `http { }` body each test writes.
//!
//! Panicking is this crate's way to fail a test, so the workspace's
//! unwrap/expect/panic lints are allowed here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port with nothing listening on it (bound, then released).
pub fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Whether something accepts connections on 127.0.0.1:`port` now.
pub fn port_open(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Polls `cond` every 10 ms until it holds; false once `deadline` passed.
pub fn poll_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `cond` holds; fails the test, naming `what`, after `deadline`.
pub fn wait_until(what: &str, deadline: Duration, cond: impl FnMut() -> bool) {
    assert!(poll_until(deadline, cond), "timed out waiting for {what}");
}

/// Waits (blocking) until something accepts on `addr`, at most `deadline`.
pub fn wait_for_port(addr: SocketAddr, deadline: Duration) -> bool {
    poll_until(deadline, || TcpStream::connect(addr).is_ok())
}

/// [`wait_for_port`] for async tests: polls with tokio's timer, so tasks
/// on the same runtime (an upstream server) keep running; at most 10 s.
pub async fn wait_for_port_async(addr: SocketAddr) -> bool {
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < end {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// A binary on `PATH` (or in /usr/sbin, /sbin), or None.
pub fn which(bin: &str) -> Option<PathBuf> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|dir| Path::new(dir).join(bin))
        .find(|p| p.is_file())
}

/// Says on stderr that a test is skipped, and why. Under CI (`CI` set, as
/// `.ci/run` and GitHub Actions do) a missing part is a failure instead:
/// CI installs every part, so a skip there would be a silent pass.
pub fn skip(why: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("required under CI, but: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// `../shared/fixtures` beside the checkout, when it is there. When it is
/// not, the test is skipped with the reason ([`skip`]), which fails under CI:
/// the one way tests reach the shared fixtures, so none passes vacuously.
///
/// ```ignore
/// let Some(fx) = testkit::shared_fixtures() else { return };
/// ```
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!(
            "{} not found (../shared beside the checkout)",
            dir.display()
        ));
        None
    }
}

/// The pids whose parent is `pid` (from /proc).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    // `pid (comm) state ppid ...`: comm may hold spaces.
                    let rest = &s[s.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// A child process killed (and reaped) on drop.
#[derive(Debug)]
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real nginx on loopback, run as the current user with `-p prefix -c
/// prefix/nginx.conf`: pid file `prefix/logs/nginx.pid`, error log
/// `prefix/logs/error.log`, temp paths under `prefix`. Stopped on drop.
#[derive(Debug)]
pub struct Nginx {
    pub prefix: PathBuf,
    pub conf: PathBuf,
    child: Child,
}

impl Nginx {
    /// Writes the configuration (`http_body` goes inside `http { }`) and
    /// starts nginx, waiting (at most 10 s) until every port of `ports`
    /// accepts. `master_process: false` runs one process (SIGSTOP then
    /// freezes the whole server). None, after saying so, when nginx is not
    /// installed (`apt-get install nginx-light`).
    pub fn start(
        prefix: &Path,
        http_body: &str,
        ports: &[u16],
        master_process: bool,
    ) -> Option<Nginx> {
        let Some(bin) = which("nginx") else {
            skip("nginx is not installed (apt-get install nginx-light)");
            return None;
        };
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let p = prefix.display();
        let conf = prefix.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nmaster_process {};\nworker_processes 1;\npid {p}/logs/nginx.pid;\nerror_log {p}/logs/error.log warn;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {p}/tmp_body;\n  proxy_temp_path {p}/tmp_proxy;\n  fastcgi_temp_path {p}/tmp_fcgi;\n  uwsgi_temp_path {p}/tmp_uwsgi;\n  scgi_temp_path {p}/tmp_scgi;\n{http_body}\n}}\n",
                if master_process { "on" } else { "off" }
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(prefix.join("logs/stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let n = Nginx {
            prefix: prefix.to_path_buf(),
            conf,
            child,
        };
        let pid_file = prefix.join("logs/nginx.pid");
        let up = poll_until(Duration::from_secs(10), || {
            pid_file.exists() && ports.iter().all(|p| port_open(*p))
        });
        assert!(up, "nginx did not start: {}", n.error_log());
        Some(n)
    }

    /// The master's (or the single process's) pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`STOP`, `CONT`, `HUP`, ...) with kill(1).
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "kill -{sig} failed");
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// A killed master leaves its workers running: stop nginx properly
    /// (SIGTERM, plus SIGCONT in case it was stopped), wait for it (at
    /// most 10 s), then kill it and any worker still there.
    fn drop(&mut self) {
        let master = self.pid();
        let workers = children(master);
        signal(master, "TERM");
        signal(master, "CONT");
        let exited = poll_until(Duration::from_secs(10), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for w in workers {
            if Path::new(&format!("/proc/{w}")).exists() {
                signal(w, "KILL");
            }
        }
    }
}

/// Deterministic byte mutations for replaying a fuzz corpus on stable: the
/// same inputs on every run, so a failure reproduces.
pub mod mutate {
    /// xorshift64*: a seeded generator, the same sequence on every run.
    #[derive(Debug)]
    pub struct Rng(pub u64);

    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    /// `seed` with one to four edits: a byte changed, one of `interesting`
    /// inserted, a run deleted, or a run duplicated.
    pub fn mutate(seed: &[u8], rng: &mut Rng, interesting: &[&[u8]]) -> Vec<u8> {
        let mut d = seed.to_vec();
        for _ in 0..1 + rng.next_u64() % 4 {
            let pos = if d.is_empty() {
                0
            } else {
                (rng.next_u64() as usize) % d.len()
            };
            match rng.next_u64() % 4 {
                0 if !d.is_empty() => d[pos] = rng.next_u64() as u8,
                1 if !interesting.is_empty() => {
                    let ins = interesting[(rng.next_u64() as usize) % interesting.len()];
                    d.splice(pos..pos, ins.iter().copied());
                }
                2 if !d.is_empty() => {
                    let end = (pos + 1 + (rng.next_u64() as usize) % 16).min(d.len());
                    d.drain(pos..end);
                }
                _ => {
                    let end = (pos + (rng.next_u64() as usize) % 32).min(d.len());
                    let chunk: Vec<u8> = d[pos..end].to_vec();
                    d.splice(pos..pos, chunk);
                }
            }
        }
        d
    }
}
