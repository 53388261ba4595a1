//! Test harness: temp environments, the sample service, real proxies on
//! loopback, a bounded constant-rate load loop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gate_core::ledger::local::LocalLedger;
use gate_core::ledger::{DeploymentState, NewDeployment, NewStatus};

pub use testkit::{Proc, port_open, skip, wait_until, which};

/// A line in the test's output (figures the issue asks to report).
pub fn note(what: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{what}");
    }
}

/// The sample-service binary, built once per test process.
pub fn sample_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_bin("sample-service")).clone()
}

/// The gate-rollback binary, built once per test process.
pub fn rollback_bin() -> String {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_bin("gate-rollback"))
        .display()
        .to_string()
}

/// A binary of another workspace package: the one the workspace build put
/// next to this test executable, built (once per run) only when it is not.
fn built_bin(package: &str) -> PathBuf {
    testkit::bin(package)
}

/// A test environment: a directory with `gates.yml`, the ledger, slot ports
/// and the start/stop hooks of the sample service. The slot ports are held
/// for the sample service (see [`testkit::reserve_port`]) while the world
/// lives: no other process can take them, even between restarts.
pub struct World {
    pub dir: tempfile::TempDir,
    pub blue: u16,
    pub green: u16,
    _held: [testkit::ReservedPort; 2],
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let held = [testkit::reserve_port(), testkit::reserve_port()];
        World {
            dir,
            blue: held[0].port,
            green: held[1].port,
            _held: held,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The start hook: (re)starts the sample service of `$GATES_SLOT` with
    /// `$GATES_VERSION` on `$GATES_PORT`, in the background, pid in a file.
    /// `SAMPLE_FAIL_AFTER` is passed through when the test sets it.
    pub fn start_hook(&self) -> String {
        let d = self.path().display();
        format!(
            "pidf={d}/$GATES_SLOT.pid; if [ -f $pidf ]; then kill $(cat $pidf) 2>/dev/null; i=0; while kill -0 $(cat $pidf) 2>/dev/null && [ $i -lt 200 ]; do sleep 0.01; i=$((i+1)); done; fi; \
             nohup '{}' --port $GATES_PORT --reuse-port --release $GATES_VERSION >>{d}/$GATES_SLOT.log 2>&1 & echo $! > $pidf",
            sample_bin().display()
        )
    }

    pub fn stop_hook(&self) -> String {
        let d = self.path().display();
        format!(
            "if [ -f {d}/$GATES_SLOT.pid ]; then kill $(cat {d}/$GATES_SLOT.pid) 2>/dev/null; rm -f {d}/$GATES_SLOT.pid; fi; true"
        )
    }

    /// Starts a slot as the start hook would (for seeding blue).
    pub fn start_slot(&self, slot: &str, release: &str) {
        let port = if slot == "blue" {
            self.blue
        } else {
            self.green
        };
        let st = Command::new("sh")
            .arg("-c")
            .arg(self.start_hook())
            .env("GATES_SLOT", slot)
            .env("GATES_VERSION", release)
            .env("GATES_PORT", port.to_string())
            .status()
            .unwrap();
        assert!(st.success());
        wait_until(
            &format!("{slot} listening"),
            Duration::from_secs(10),
            || port_open(port),
        );
    }

    pub fn slot_pid(&self, slot: &str) -> Option<u32> {
        std::fs::read_to_string(self.path().join(format!("{slot}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Records in the local ledger that `slot` runs `release` and is live,
    /// as an earlier successful deploy would have.
    pub fn seed_live(&self, env: &str, slot: &str, release: &str) {
        let l = LocalLedger::at(self.path().join(".gates"));
        let d = l
            .create_deployment(&NewDeployment {
                environment: env.into(),
                commit: "0".repeat(40),
                git_ref: "HEAD".into(),
                description: None,
                payload: serde_json::json!({"kind": "deploy", "slot": slot, "release": release, "switch": "seed"}),
                transient: false,
                production: true,
            })
            .unwrap();
        l.add_status(
            d.id,
            &NewStatus {
                state: DeploymentState::Success,
                description: Some(format!("phase=done live={slot} release={release}")),
                log_url: None,
                environment_url: None,
                auto_inactive: true,
            },
        )
        .unwrap();
    }

    pub fn write_config(&self, yaml: &str) {
        std::fs::write(self.path().join("gates.yml"), yaml).unwrap();
    }

    /// Common `deploy:` keys: slots, hooks, fast probing.
    pub fn base_config(&self, section: &str, extra: &str) -> String {
        format!(
            "version: 1\n{section}:\n  environment: production\n  blue-address: 127.0.0.1:{}\n  green-address: 127.0.0.1:{}\n  start: \"{}\"\n  stop: \"{}\"\n  interval: 200ms\n  breaker-trip-after: 3\n  healthy-successes: 2\n  probe-timeout: 1s\n  wait-timeout: 10s\n  watch: 1s\n  keep-old: 0s\n{extra}",
            self.blue,
            self.green,
            yaml_escape(&self.start_hook()),
            yaml_escape(&self.stop_hook()),
        )
    }

    /// Runs a gate binary to completion: (exit code, stdout, stderr).
    pub fn run(&self, bin: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.command(bin, args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn command(&self, bin: &str, args: &[&str]) -> Command {
        let mut c = self.command_on(bin, &["--ledger", "local", "--no-record"], args);
        c.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_TOKEN");
        c
    }

    /// A gate command with its own ledger options.
    pub fn command_on(&self, bin: &str, ledger: &[&str], args: &[&str]) -> Command {
        let mut c = Command::new(bin);
        c.arg("-C")
            .arg(self.path())
            .args(ledger)
            .args(["--color", "never"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("GATES_") {
                c.env_remove(k);
            }
        }
        c
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for slot in ["blue", "green"] {
            if let Some(pid) = self.slot_pid(slot) {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
    }
}

pub fn yaml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `GET http://127.0.0.1:port/path` on a fresh connection: Ok((status, body)) or Err(io error text).
pub fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            format!(
                "no HTTP status in {:?}",
                text.chars().take(80).collect::<String>()
            )
        })?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

pub fn post(port: u16, path: &str) -> u16 {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    buf.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// What a load run saw.
#[derive(Debug, Default, Clone)]
pub struct LoadStats {
    pub sent: u64,
    pub ok: u64,
    /// HTTP answers >= 400.
    pub http_errors: u64,
    /// Connection refused/reset, truncated answers.
    pub resets: u64,
    /// Bodies seen (which release answered), in order of first sight.
    pub releases: Vec<String>,
    pub first_errors: Vec<String>,
}

/// A bounded constant-rate load: `rate` requests per second for `dur`, each
/// on a fresh connection, from a few worker threads.
pub fn load(port: u16, rate: u32, dur: Duration) -> std::thread::JoinHandle<LoadStats> {
    std::thread::spawn(move || {
        let total = (rate as f64 * dur.as_secs_f64()) as u64;
        let period = Duration::from_secs_f64(1.0 / rate as f64);
        let start = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel::<Result<(u16, String), String>>();
        let mut handles = Vec::new();
        let workers = 8u64;
        for w in 0..workers {
            let tx = tx.clone();
            handles.push(std::thread::spawn(move || {
                let mut i = w;
                while i < total {
                    let due = start + period * i as u32;
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now); // pacing, not synchronisation
                    }
                    let _ = tx.send(get(port, "/"));
                    i += workers;
                }
            }));
        }
        drop(tx);
        let mut st = LoadStats::default();
        for r in rx {
            st.sent += 1;
            match r {
                Ok((code, body)) if code < 400 => {
                    st.ok += 1;
                    let b = body.trim().to_string();
                    if !st.releases.contains(&b) {
                        st.releases.push(b);
                    }
                }
                Ok((code, body)) => {
                    st.http_errors += 1;
                    if st.first_errors.len() < 5 {
                        st.first_errors
                            .push(format!("HTTP {code}: {}", body.trim()));
                    }
                }
                Err(e) => {
                    st.resets += 1;
                    if st.first_errors.len() < 5 {
                        st.first_errors.push(e);
                    }
                }
            }
        }
        for h in handles {
            h.join().unwrap();
        }
        st
    })
}

/// HAProxy on loopback, started as the current user.
pub struct Haproxy {
    pub proc: Proc,
    pub port: u16,
    pub socket: PathBuf,
    pub cfg: PathBuf,
}

pub fn start_haproxy(world: &World, green_live: bool) -> Option<Haproxy> {
    let Some(bin) = which("haproxy") else {
        skip("haproxy is not installed (apt-get install haproxy)");
        return None;
    };
    let socket = world.path().join("haproxy.sock");
    let cfg = world.path().join("haproxy.cfg");
    let (b, g) = if green_live {
        (" disabled", "")
    } else {
        ("", " disabled")
    };
    let server = testkit::spawn_server(
        "haproxy",
        1,
        &world.path().join("haproxy.log"),
        Duration::from_secs(10),
        |ports| {
            std::fs::write(
                &cfg,
                format!(
                    "global\n  stats socket {} mode 600 level admin expose-fd listeners\n\
                     defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n  retries 3\n  option redispatch\n\
                     frontend fe\n  bind 127.0.0.1:{}\n  default_backend app\n\
                     backend app\n  server blue 127.0.0.1:{}{b}\n  server green 127.0.0.1:{}{g}\n",
                    socket.display(),
                    ports[0],
                    world.blue,
                    world.green
                ),
            )
            .unwrap();
            let _ = std::fs::remove_file(&socket);
            let mut c = Command::new(&bin);
            c.arg("-f").arg(&cfg).arg("-db");
            c
        },
        |ports| port_open(ports[0]) && haproxy_runs(&socket),
    );
    let port = server.ports[0];
    let proc = server.proc;
    Some(Haproxy {
        proc,
        port,
        socket,
        cfg,
    })
}

/// Whether HAProxy answers on its stats socket: it does only once it has
/// bound every listener (a port answering may be another process's that
/// took it first, with HAProxy exiting).
pub fn haproxy_runs(socket: &Path) -> bool {
    use std::io::Read;
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let mut out = String::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    s.write_all(b"show info\n").is_ok()
        && s.read_to_string(&mut out).is_ok()
        && out.contains("Pid:")
}

/// The `Server` header of the answer to `GET /` on 127.0.0.1:`port`.
pub fn server_header(port: u16) -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next()?;
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("server"))
        })
        .map(|(_, v)| v.trim().to_string())
}

/// nginx on loopback (testkit's) proxying to the upstream in `include`.
pub struct Nginx {
    pub nginx: testkit::Nginx,
    pub port: u16,
    pub prefix: PathBuf,
    pub conf: PathBuf,
    pub include: PathBuf,
}

pub fn start_nginx(world: &World) -> Option<Nginx> {
    let prefix = world.path().join("nginx");
    std::fs::create_dir_all(&prefix).unwrap();
    let include = prefix.join("upstream.conf");
    std::fs::write(&include, format!("server 127.0.0.1:{};\n", world.blue)).unwrap();
    let nginx = testkit::Nginx::start_on(&prefix, 1, true, |ports| {
        format!(
            "  upstream app {{ include {}; }}\n  server {{ listen 127.0.0.1:{}; location / {{ proxy_pass http://app; }} }}\n",
            include.display(),
            ports[0]
        )
    })?;
    Some(Nginx {
        port: nginx.ports[0],
        conf: nginx.conf.clone(),
        prefix,
        include,
        nginx,
    })
}

/// Caddy on loopback with its admin API on a free port.
pub struct Caddy {
    pub proc: Proc,
    pub port: u16,
    pub admin: u16,
}

pub fn start_caddy(world: &World) -> Option<Caddy> {
    let Some(bin) = which("caddy") else {
        skip("caddy is not installed (apt-get install caddy)");
        return None;
    };
    let cfg = world.path().join("caddy.json");
    let server = testkit::spawn_server(
        "caddy",
        2,
        &world.path().join("caddy.log"),
        Duration::from_secs(15),
        |ports| {
            let config = serde_json::json!({
                "admin": {"listen": format!("127.0.0.1:{}", ports[1])},
                "logging": {"logs": {"default": {"level": "ERROR"}}},
                "storage": {"module": "file_system", "root": world.path().join("caddy-data")},
                "apps": {"http": {"servers": {"srv0": {
                    "listen": [format!("127.0.0.1:{}", ports[0])],
                    "automatic_https": {"disable": true},
                    "routes": [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": format!("127.0.0.1:{}", world.blue)}]}]}]
                }}}}
            });
            std::fs::write(&cfg, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
            let mut c = Command::new(&bin);
            c.args(["run", "--config"])
                .arg(&cfg)
                .env("HOME", world.path())
                .env("XDG_DATA_HOME", world.path().join("xdg-data"))
                .env("XDG_CONFIG_HOME", world.path().join("xdg-config"));
            c
        },
        // Caddy's own answer on the port: not another process's that took
        // it before Caddy (which is then exiting).
        |ports| port_open(ports[1]) && server_header(ports[0]).as_deref() == Some("Caddy"),
    );
    let (port, admin) = (server.ports[0], server.ports[1]);
    let proc = server.proc;
    Some(Caddy { proc, port, admin })
}

/// The last JSON report in `stdout` (`--format json`).
pub fn report(stdout: &str) -> serde_json::Value {
    let json = stdout.find('{').map(|i| &stdout[i..]).unwrap_or(stdout);
    serde_json::from_str(json.trim())
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {stdout}"))
}
