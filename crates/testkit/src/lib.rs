//! Dev-only test support shared by the gates' integration tests: the
//! shared fixtures and installed parts (present, skipped with the reason on
//! a developer machine, a failure under CI), gate binaries run with a
//! scrubbed environment, ports that nobody else can take, bounded waits on
//! a condition (never a sleep as synchronisation), and a real nginx on
//! loopback whose `http { }` body each test writes.
//!
//! Panicking is this crate's way to fail a test, so the workspace's
//! unwrap/expect/panic lints are allowed here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::ffi::OsStr;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago (bound, then released):
/// only a candidate for a server that binds its ports itself, which
/// [`start_on_ports`] tries again on other ports when one was taken since.
fn candidate_ports(n: usize) -> Vec<u16> {
    // All bound at once, so the `n` ports differ.
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// How many times [`start_on_ports`] tries before failing the test.
const PORT_ATTEMPTS: usize = 20;

/// Starts a server that binds `n` loopback ports itself (nginx, HAProxy,
/// Caddy), on ports of its own. `start(ports)` starts it on `ports`, which
/// were free when chosen but may have been taken by another process since:
/// it returns None when the server found one taken (`Address already in
/// use`), and the server is started again on other ports (at most 20
/// times). Any other failure is `start`'s to report (by panicking).
pub fn start_on_ports<T>(what: &str, n: usize, mut start: impl FnMut(&[u16]) -> Option<T>) -> T {
    for _ in 0..PORT_ATTEMPTS {
        let ports = candidate_ports(n);
        if let Some(t) = start(&ports) {
            return t;
        }
        eprintln!("{what}: a port of {ports:?} was taken; starting again on other ports");
    }
    panic!("{what} found its ports taken {PORT_ATTEMPTS} times in a row");
}

/// A server process started by [`spawn_server`], killed on drop.
#[derive(Debug)]
pub struct Server {
    pub proc: Proc,
    /// The ports it was started on, in the order `command` was given them.
    pub ports: Vec<u16>,
}

/// Whether a server's log says it could not bind a port (any case: nginx
/// and HAProxy say `Address already in use`, Go servers such as Caddy
/// `address already in use`).
pub fn says_port_taken(log: &str) -> bool {
    log.to_ascii_lowercase().contains("address already in use")
}

/// Runs a server that binds `n` loopback ports itself, through
/// [`start_on_ports`]: `command(ports)` writes its configuration for
/// `ports` and returns the command that runs it (in the foreground); its
/// stderr goes to `log`. Waits (at most `deadline`) until `ready(ports)`.
/// When the process exits first and `log` [`says_port_taken`], it is
/// started again on other ports; any other exit, or no readiness by the
/// deadline, fails the test with the log.
pub fn spawn_server(
    what: &str,
    n: usize,
    log: &Path,
    deadline: Duration,
    mut command: impl FnMut(&[u16]) -> Command,
    mut ready: impl FnMut(&[u16]) -> bool,
) -> Server {
    start_on_ports(what, n, |ports| {
        let child = command(ports)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} did not run: {e}"));
        let mut proc = Proc(child);
        let mut exited = false;
        let up = poll_until(deadline, || {
            exited = !matches!(proc.0.try_wait(), Ok(None));
            exited || ready(ports)
        });
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if exited {
            if says_port_taken(&text) {
                return None;
            }
            panic!("{what} exited at start: {text}");
        }
        assert!(up, "{what} was not ready within {deadline:?}: {text}");
        Some(Server {
            proc,
            ports: ports.to_vec(),
        })
    })
}

/// A port on 127.0.0.1 held, while this lives, for a server of the test
/// that binds it with `SO_REUSEPORT` (the sample service's
/// `--reuse-port`): its socket is bound with `SO_REUSEPORT` and not
/// listening, so connections go to that server only, and no other process
/// can bind the port (one without `SO_REUSEPORT`, or of another user). The
/// port stays held between the server's restarts.
pub fn reserve_port() -> ReservedPort {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseport(true).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    ReservedPort {
        port,
        _socket: socket,
    }
}

/// A listener on a port held by [`reserve_port`], bound as the server it
/// is held for binds it (`SO_REUSEADDR` and `SO_REUSEPORT`): for a test
/// that plays that server (or a stranger squatting its address) itself.
pub fn listen_on_reserved(port: u16) -> TcpListener {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let _in_runtime = rt.enter();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.set_reuseport(true).unwrap();
    socket.bind(([127, 0, 0, 1], port).into()).unwrap();
    socket.listen(128).unwrap().into_std().unwrap()
}

/// A port held for a server of the test (see [`reserve_port`]).
#[derive(Debug)]
pub struct ReservedPort {
    pub port: u16,
    _socket: tokio::net::TcpSocket,
}

/// An address on 127.0.0.1 where nothing listens, reserved while the
/// returned [`DeadPort`] lives: its socket is bound but not listening, so
/// a connection is refused and no other process can bind the port.
pub fn dead_port() -> DeadPort {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    DeadPort {
        addr,
        _socket: socket,
    }
}

/// A bound, non-listening socket on loopback (see [`dead_port`]).
#[derive(Debug)]
pub struct DeadPort {
    pub addr: SocketAddr,
    _socket: tokio::net::TcpSocket,
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

/// Whether this is a CI run: `CI` set, and not empty, `false` or `0`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "false" | "0"))
}

/// Says on stderr that a test is skipped, and why. Under CI ([`under_ci`]:
/// `.ci/run` and GitHub Actions set `CI`) a missing part is a failure
/// instead: CI provides every part, so a skip there would be a silent pass.
pub fn skip(why: &str) {
    if under_ci() {
        panic!("required under CI, but: {why}");
    }
    // Straight to the process's stderr, not through eprintln!: libtest
    // captures the macros' output of a passing test, and a skip must show.
    // (nextest captures per process: `--success-output final` shows it.)
    #[allow(clippy::disallowed_methods)] // test support, not a gate's output
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// The root of the shared fixtures: `$GATES_FIXTURES` when set, else
/// `../shared/fixtures` beside the checkout.
pub fn fixtures_root() -> PathBuf {
    match std::env::var_os("GATES_FIXTURES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
    }
}

/// `rel` under the shared fixtures ([`fixtures_root`]), a file or a
/// directory: the one way tests reach `../shared`. When it is missing the
/// test is skipped with the reason on a developer machine ([`skip`]: None
/// is returned, and the test must end), and fails under CI.
///
/// ```ignore
/// let Some(click) = testkit::fixture("coverage/click") else { return };
/// // or, in a test body: let click = testkit::fixture!("coverage/click");
/// ```
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let root = fixtures_root();
    let path = root.join(rel);
    if path.exists() {
        return Some(path);
    }
    skip(&format!(
        "fixture {rel:?} is missing ({} not found): put the shared fixtures \
         at ../shared beside the clone, run `cargo xtask fixtures`, or point \
         GATES_FIXTURES at them",
        path.display()
    ));
    None
}

/// [`fixture`] in a test body: the path, or the test ends here (skipped
/// with the reason; a failure under CI).
#[macro_export]
macro_rules! fixture {
    ($rel:expr) => {
        match $crate::fixture($rel) {
            Some(path) => path,
            None => return,
        }
    };
}

/// An installed part (nginx, haproxy, xmllint, openssl, ...) found on
/// `PATH` ([`which`]). When it is missing the test is skipped with the
/// reason and `how` to install it on a developer machine (None), and fails
/// under CI, which installs every part.
pub fn require(bin: &str, how: &str) -> Option<PathBuf> {
    let found = which(bin);
    if found.is_none() {
        skip(&format!("{bin} is not installed ({how})"));
    }
    found
}

/// [`require`] in a test body: the path, or the test ends here.
#[macro_export]
macro_rules! require {
    ($bin:expr, $how:expr) => {
        match $crate::require($bin, $how) {
            Some(path) => path,
            None => return,
        }
    };
}

/// Variables a gate reads from its surroundings: removed by [`GateCmd`]
/// unless the test sets them.
fn leaks(name: &str) -> bool {
    [
        "GITHUB_", "RUNNER_", "ACTIONS_", "GATES_", "INPUT_", "XDG_", "GIT_",
    ]
    .iter()
    .any(|p| name.starts_with(p))
        || matches!(
            name,
            "CI" | "NO_COLOR"
                | "CLICOLOR"
                | "CLICOLOR_FORCE"
                | "FORCE_COLOR"
                | "TERM"
                | "SOURCE_DATE_EPOCH"
        )
}

/// A gate binary run with a scrubbed environment: no `GITHUB_*`,
/// `RUNNER_*`, `ACTIONS_*`, `GATES_*`, `INPUT_*`, `XDG_*`, `GIT_*`, `CI`,
/// `SOURCE_DATE_EPOCH` or colour variables from the caller's (a CI
/// runner's, a git hook's) environment, `NO_COLOR=1`, a fresh temporary
/// `HOME` (so no cache or config of the developer's is read or written)
/// and `GIT_CONFIG_NOSYSTEM=1`. Everything a test sets itself is kept. Derefs to
/// the [`Command`] for arguments, variables and running.
///
/// ```ignore
/// let o = GateCmd::new(env!("CARGO_BIN_EXE_gate-audit")).args(["--version"]).output().unwrap();
/// ```
#[derive(Debug)]
pub struct GateCmd {
    cmd: Command,
    home: tempfile::TempDir,
}

impl GateCmd {
    pub fn new(bin: impl AsRef<OsStr>) -> GateCmd {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(bin);
        for (k, _) in std::env::vars_os() {
            if leaks(&k.to_string_lossy()) {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1")
            .env("HOME", home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        GateCmd { cmd, home }
    }

    /// The temporary `HOME`, removed on drop.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The command and its temporary `HOME` (keep it until the gate has
    /// ended), for running it another way (`tokio::process::Command::from`).
    pub fn into_parts(self) -> (Command, tempfile::TempDir) {
        (self.cmd, self.home)
    }

    /// Runs it to the end (stdin closed): exit code, stdout and stderr.
    pub fn run(&mut self) -> Run {
        let o = self.cmd.stdin(Stdio::null()).output().unwrap();
        Run::from(o)
    }
}

impl std::ops::Deref for GateCmd {
    type Target = Command;
    fn deref(&self) -> &Command {
        &self.cmd
    }
}

impl std::ops::DerefMut for GateCmd {
    fn deref_mut(&mut self) -> &mut Command {
        &mut self.cmd
    }
}

/// A finished [`GateCmd`]: the exit code (-1 when killed by a signal) and
/// the output as text.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON; fails the test with both streams when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}\nstdout: {}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A binary of a workspace package (bin name = package name), as the test
/// executable's own build made it: `cargo nextest run --workspace` and
/// `cargo test --workspace` build every workspace binary next to the test
/// executable's `deps/`. Only when that build did not (`-p` another
/// package), or may be stale, is it built with cargo: once per nextest run
/// (a lock and a stamp holding `NEXTEST_RUN_ID` in the target directory),
/// or once per process under `cargo test`.
pub fn bin(package: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> -> target/<profile>
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir.join(package);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|p| p == package) {
        return bin;
    }
    let run_id = std::env::var("NEXTEST_RUN_ID").ok();
    let lock = std::fs::File::create(profile_dir.join(".testkit-bin.lock")).unwrap();
    lock.lock().unwrap();
    let stamp = profile_dir.join(format!(".testkit-bin-{package}.run"));
    let fresh = run_id
        .as_deref()
        .is_some_and(|id| bin.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == id));
    if !fresh {
        cargo_build(package, &profile_dir);
        assert!(bin.is_file(), "{} missing after the build", bin.display());
        if let Some(id) = run_id {
            std::fs::write(&stamp, id).unwrap();
        }
    }
    built.push(package.to_owned());
    bin
}

/// `cargo build -p package --bin package` into `profile_dir`, the way a
/// plain cargo would (none of the `CARGO_*` variables cargo gives tests:
/// build scripts that read them, ring's, would otherwise rebuild).
fn cargo_build(package: &str, profile_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", package, "--bin", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cmd.env("CARGO_TARGET_DIR", profile_dir.parent().unwrap());
    }
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO_") && !matches!(k.as_str(), "CARGO_TARGET_DIR" | "CARGO_HOME") {
            cmd.env_remove(k);
        }
    }
    let st = cmd.status().unwrap();
    assert!(st.success(), "building {package} failed");
}

/// Writes `prefix/nginx.conf`: one process or a master, logs and temp
/// paths under `prefix`, `http_body` inside `http { }`.
fn write_conf(prefix: &Path, http_body: &str, master_process: bool) -> PathBuf {
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
    conf
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
    /// The ports it listens on (given, or chosen by [`Nginx::start_on`]).
    pub ports: Vec<u16>,
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
        let bin = require("nginx", "apt-get install nginx-light")?;
        let n = Nginx::spawn(&bin, prefix, http_body, ports, master_process);
        assert!(n.is_some(), "nginx: a port of {ports:?} is taken");
        n
    }

    /// [`Nginx::start`] on `n` ports of its own: `http_body(ports)` writes
    /// the configuration for them. nginx binds the ports itself, so a
    /// port free when chosen may be taken before nginx binds it: then nginx
    /// exits with `Address already in use`, and it is started again on
    /// other ports (at most 20 times). The ports are in [`Nginx::ports`].
    pub fn start_on(
        prefix: &Path,
        n: usize,
        master_process: bool,
        http_body: impl Fn(&[u16]) -> String,
    ) -> Option<Nginx> {
        let bin = require("nginx", "apt-get install nginx-light")?;
        Some(start_on_ports("nginx", n, |ports| {
            Nginx::spawn(&bin, prefix, &http_body(ports), ports, master_process)
        }))
    }

    fn spawn(
        bin: &Path,
        prefix: &Path,
        http_body: &str,
        ports: &[u16],
        master_process: bool,
    ) -> Option<Nginx> {
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        let pid_file = prefix.join("logs/nginx.pid");
        let _ = std::fs::remove_file(&pid_file);
        let _ = std::fs::remove_file(prefix.join("logs/error.log"));
        let conf = write_conf(prefix, http_body, master_process);
        let mut child = Command::new(bin)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(prefix.join("logs/stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let mut exited = false;
        let up = poll_until(Duration::from_secs(10), || {
            exited = !matches!(child.try_wait(), Ok(None));
            exited || (pid_file.exists() && ports.iter().all(|p| port_open(*p)))
        });
        let log = || {
            let read = |f: &str| std::fs::read_to_string(prefix.join(f)).unwrap_or_default();
            format!("{}{}", read("logs/error.log"), read("logs/stderr.log"))
        };
        if exited {
            // Reaped already: no Nginx (whose drop signals the pid) is made.
            let log = log();
            if log.contains("Address already in use") {
                return None;
            }
            panic!("nginx exited at start: {log}");
        }
        let n = Nginx {
            prefix: prefix.to_path_buf(),
            conf,
            ports: ports.to_vec(),
            child,
        };
        assert!(up, "nginx did not start: {}", log());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_finding_its_port_taken_starts_again_on_another() {
        let Some(bin) = require("nginx", "apt-get install nginx-light") else {
            return;
        };
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = held.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let body = |p: u16| format!("  server {{ listen 127.0.0.1:{p}; return 204; }}");
        // On the taken port nginx exits (after its own bind retries): None.
        assert!(Nginx::spawn(&bin, dir.path(), &body(taken), &[taken], false).is_none());
        let n = Nginx::start_on(dir.path(), 1, false, |ports| body(ports[0])).unwrap();
        assert_ne!(n.ports[0], taken);
        assert!(port_open(n.ports[0]));
    }

    #[test]
    fn spawn_server_starts_a_server_again_on_other_ports_when_it_found_one_taken() {
        let Some(bin) = require("nginx", "apt-get install nginx-light") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path();
        std::fs::create_dir_all(prefix.join("logs")).unwrap();
        // Another process takes the first port chosen before the server binds it.
        let mut squatted: Vec<TcpListener> = Vec::new();
        let mut attempts = 0;
        let server = spawn_server(
            "nginx",
            2,
            &prefix.join("logs/stderr.log"),
            Duration::from_secs(10),
            |ports| {
                attempts += 1;
                if squatted.is_empty() {
                    squatted.push(TcpListener::bind(("127.0.0.1", ports[0])).unwrap());
                }
                let body = format!(
                    "  server {{ listen 127.0.0.1:{}; listen 127.0.0.1:{}; return 204; }}",
                    ports[0], ports[1]
                );
                let mut c = Command::new(&bin);
                c.arg("-p")
                    .arg(prefix)
                    .arg("-c")
                    .arg(write_conf(prefix, &body, false));
                c
            },
            // nginx writes its pid file once it has bound its ports (the
            // squatter answers on the taken one).
            |ports| prefix.join("logs/nginx.pid").exists() && ports.iter().all(|p| port_open(*p)),
        );
        assert_eq!(attempts, 2);
        let taken = squatted[0].local_addr().unwrap().port();
        assert!(!server.ports.contains(&taken));
        assert!(server.ports.iter().all(|p| port_open(*p)));
    }

    #[test]
    fn a_reserved_port_is_taken_only_by_a_reuseport_listener_which_gets_its_connections() {
        let held = reserve_port();
        let addr: SocketAddr = ([127, 0, 0, 1], held.port).into();
        assert!(TcpStream::connect(addr).is_err(), "nothing listens yet");
        assert!(TcpListener::bind(addr).is_err(), "a plain bind is refused");
        for _ in 0..2 {
            // The server restarts: the port stays held in between.
            let listener = listen_on_reserved(held.port);
            for _ in 0..10 {
                let _c = TcpStream::connect(addr).unwrap();
                listener.accept().unwrap();
            }
            drop(listener);
            assert!(TcpListener::bind(addr).is_err(), "still held");
        }
    }

    #[test]
    fn start_on_ports_tries_again_on_other_ports_when_one_was_taken() {
        let mut tried = Vec::new();
        let got = start_on_ports("a server", 2, |ports| {
            assert_ne!(ports[0], ports[1]);
            tried.push(ports.to_vec());
            (tried.len() == 3).then(|| ports.to_vec())
        });
        assert_eq!(tried.len(), 3);
        assert_eq!(&got, tried.last().unwrap());
    }

    #[test]
    fn a_dead_port_refuses_connections_and_stays_reserved() {
        let dead = dead_port();
        assert!(TcpStream::connect(dead.addr).is_err());
        assert!(TcpListener::bind(dead.addr).is_err());
    }

    #[test]
    fn gate_cmd_leaves_no_ci_variable_and_gives_a_home_of_its_own() {
        let mut c = GateCmd::new("env");
        c.env("GITHUB_SHA", "set-by-the-test");
        let home = c.home().to_path_buf();
        let run = c.run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let vars: Vec<&str> = run.stdout.lines().collect();
        for v in &vars {
            let name = v.split('=').next().unwrap_or_default();
            assert!(
                !leaks(name) || matches!(name, "NO_COLOR" | "GITHUB_SHA" | "GIT_CONFIG_NOSYSTEM"),
                "{v} leaked into the gate's environment"
            );
        }
        assert!(vars.contains(&"NO_COLOR=1"));
        assert!(vars.contains(&"GITHUB_SHA=set-by-the-test"));
        assert!(vars.contains(&format!("HOME={}", home.display()).as_str()));
    }
}
