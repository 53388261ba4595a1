//! "Deploy under load": wrk through a real proxy while gate-deploy and
//! gate-rollback move traffic. Figures per proxy setup and scenario: the
//! requests wrk sent, the failed ones (non-2xx answers and socket errors),
//! and for a bad deploy the breaker's detection and recovery times and the
//! time from the fault to the first request the old slot answers through
//! the proxy.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::*;
use super::proxy_setup::*;

/// wrk's connections and threads (16 keep-alive connections, 2 threads).
const CONNECTIONS: &str = "16";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    HaproxyPlain,
    HaproxyFallback,
    Nginx,
    NginxNoKeepalive,
    NginxFallback,
    NginxFallbackNoKeepalive,
}

impl Setup {
    fn name(self) -> &'static str {
        match self {
            Setup::HaproxyPlain => "HAProxy, plain (before)",
            Setup::HaproxyFallback => "HAProxy, fallback mode (after)",
            Setup::Nginx => "nginx, as the tests configure it",
            Setup::NginxNoKeepalive => "nginx, keepalive_timeout 0",
            Setup::NginxFallback => "nginx, fallback mode (backup server, proxy_next_upstream)",
            Setup::NginxFallbackNoKeepalive => "nginx, fallback mode and keepalive_timeout 0",
        }
    }
}

enum Proxy {
    Haproxy(Haproxy),
    Nginx(Nginx),
}

/// One environment: the proxy, blue live with v1.
struct Env {
    w: World,
    proxy: Proxy,
    port: u16,
    setup: Setup,
}

impl Env {
    fn new(setup: Setup) -> Env {
        let w = World::new();
        let proxy = match setup {
            Setup::HaproxyPlain => Proxy::Haproxy(
                start_haproxy_with(&w, &haproxy_backend(&w, HaproxyMode::Plain)).unwrap(),
            ),
            Setup::HaproxyFallback => Proxy::Haproxy(
                start_haproxy_with(&w, &haproxy_backend(&w, HaproxyMode::Fallback)).unwrap(),
            ),
            Setup::Nginx => Proxy::Nginx(start_nginx_with(&w, "", false).unwrap()),
            Setup::NginxNoKeepalive => {
                Proxy::Nginx(start_nginx_with(&w, "keepalive_timeout 0;", false).unwrap())
            }
            Setup::NginxFallback => Proxy::Nginx(start_nginx_with(&w, "", true).unwrap()),
            Setup::NginxFallbackNoKeepalive => {
                Proxy::Nginx(start_nginx_with(&w, "keepalive_timeout 0;", true).unwrap())
            }
        };
        let port = match &proxy {
            Proxy::Haproxy(h) => h.port,
            Proxy::Nginx(n) => n.port,
        };
        w.seed_live("production", "blue", "v1");
        w.start_slot("blue", "v1");
        if let Proxy::Haproxy(h) = &proxy
            && setup == Setup::HaproxyFallback
        {
            wait_until("HAProxy sees blue up", Duration::from_secs(10), || {
                server_state(h, "blue").0 == 2
            });
        }
        wait_until("v1 through the proxy", Duration::from_secs(10), || {
            get(port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
        });
        Env {
            w,
            proxy,
            port,
            setup,
        }
    }

    /// gates.yml: probes every second, trip after 3 (the 2 s
    /// detection window), `watch` as given.
    fn configure(&self, watch: &str) {
        let keys = match &self.proxy {
            Proxy::Haproxy(h) => haproxy_keys(h),
            Proxy::Nginx(n)
                if matches!(
                    self.setup,
                    Setup::NginxFallback | Setup::NginxFallbackNoKeepalive
                ) =>
            {
                format!(
                    "{}  nginx-server-params: {NGINX_FALLBACK_PARAMS}\n",
                    nginx_keys(n)
                )
            }
            Proxy::Nginx(n) => nginx_keys(n),
        };
        let cfg = self
            .w
            .base_config("deploy", &keys)
            .replace("interval: 200ms", "interval: 1s")
            .replace("healthy-successes: 2", "healthy-successes: 1")
            .replace("watch: 1s\n", &format!("watch: {watch}\n"));
        self.w.write_config(&cfg);
    }
}

/// What wrk counted.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    requests: u64,
    /// Non-2xx answers plus socket errors.
    failed: u64,
    /// Of `failed`, the socket errors (connect, read, write, timeout).
    socket: u64,
}

/// A running load: wrk, or gate-load's closed model (16 users) when
/// `BENCH_LOAD=gate-load` and the load is GET (gate-load's flags send GETs).
struct LoadRun {
    child: Child,
    gate_load: bool,
}

fn wrk(port: u16, secs: u32, post: bool, dir: &std::path::Path) -> LoadRun {
    if !post && std::env::var("BENCH_LOAD").is_ok_and(|v| v == "gate-load") {
        let exe = std::env::current_exe().unwrap();
        let bin = exe.parent().unwrap().parent().unwrap().join("gate-load");
        let child = Command::new(bin)
            .current_dir(dir)
            .args(["--ledger", "local", "--no-record", "--format", "json"])
            .args(["--users", CONNECTIONS, "--duration"])
            .arg(format!("{secs}s"))
            .arg("--url")
            .arg(format!("http://127.0.0.1:{port}/"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        return LoadRun {
            child,
            gate_load: true,
        };
    }
    let mut c = Command::new("wrk");
    c.args(["-t2", "-c", CONNECTIONS, "-d"])
        .arg(format!("{secs}s"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if post {
        let lua = dir.join("post.lua");
        std::fs::write(&lua, "wrk.method = \"POST\"\nwrk.body = \"x\"\n").unwrap();
        c.arg("-s").arg(lua);
    }
    c.arg(format!("http://127.0.0.1:{port}/"));
    LoadRun {
        child: c.spawn().unwrap(),
        gate_load: false,
    }
}

/// gate-load's report: sent, and failed = sent - ok (socket-level errors
/// are the error classes other than HTTP statuses).
fn gate_load_counts(out: &str) -> Counts {
    let r = report(out);
    let d = &r["details"];
    let sent = d["sent"].as_u64().unwrap_or(0);
    let ok = d["overall"]["ok"].as_u64().unwrap_or(0);
    let socket = d["overall"]["errors"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("status"))
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0);
    Counts {
        requests: sent,
        failed: sent.saturating_sub(ok),
        socket,
    }
}

fn wrk_counts(run: LoadRun) -> Counts {
    let out = String::from_utf8_lossy(&run.child.wait_with_output().unwrap().stdout).into_owned();
    if run.gate_load {
        return gate_load_counts(&out);
    }
    let num = |s: &str| s.trim().trim_end_matches(',').parse::<u64>().unwrap_or(0);
    let mut c = Counts::default();
    for line in out.lines().map(str::trim) {
        if let Some(rest) = line
            .strip_suffix("read")
            .and_then(|l| l.split(" requests in").next())
        {
            c.requests = num(rest);
        } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            c.failed += num(n);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // connect A, read B, write C, timeout D
            c.socket = rest
                .split(',')
                .filter_map(|p| p.split_whitespace().nth(1))
                .map(num)
                .sum::<u64>();
            c.failed += c.socket;
        }
    }
    c
}

/// A good switch (v -> green) or gate-rollback under load.
fn under_load(env: &Env, bin: &str, args: &[&str]) -> Counts {
    let load = wrk(env.port, 5, false, env.w.path());
    std::thread::sleep(Duration::from_millis(500)); // let wrk ramp up (pacing)
    let (code, out, err) = env.w.run(bin, args);
    assert_eq!(code, 0, "{bin} {args:?}: {err}\n{out}");
    wrk_counts(load)
}

/// A bad deploy: `release` goes to green, fails 0.5 s into the load, and
/// the breaker rolls back.
struct Bad {
    counts: Counts,
    detect_ms: f64,
    recovery_ms: f64,
    /// Fault thrown -> first request answered by blue through the proxy.
    outage_ms: f64,
}

fn bad_deploy(env: &Env, deploy: &str, release: &str, post: bool) -> Bad {
    env.configure("60s");
    let child = env
        .w
        .command(deploy, &["--release", release, "--format", "json"])
        .spawn()
        .unwrap();
    let want = format!("hello from {release}");
    wait_until("green live", Duration::from_secs(60), || {
        get(env.port, "/").is_ok_and(|(_, b)| b.trim() == want)
    });
    let load = wrk(env.port, 5, post, env.w.path());
    std::thread::sleep(Duration::from_millis(500)); // let wrk ramp up (pacing)
    assert_eq!(post_to(env.w.green, "/fault"), 200);
    let fault = Instant::now();
    let end = fault + Duration::from_secs(60);
    while !get(env.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1") {
        assert!(Instant::now() < end, "traffic never came back");
        std::thread::sleep(Duration::from_millis(1)); // polling pace
    }
    let outage_ms = fault.elapsed().as_secs_f64() * 1000.0;
    let out = child.wait_with_output().unwrap();
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["details"]["result"], "rolled-back", "{r}");
    let tm = &r["details"]["timings"];
    Bad {
        counts: wrk_counts(load),
        detect_ms: tm["time_to_detect_ms"].as_f64().unwrap_or(f64::NAN),
        recovery_ms: tm["recovery_ms"].as_f64().unwrap_or(f64::NAN),
        outage_ms,
    }
}

fn post_to(port: u16, path: &str) -> u16 {
    post(port, path)
}

/// Per scenario: the counts of every trial, and the bad deploys' times.
#[derive(Default)]
struct Figures {
    switch: Vec<Counts>,
    rollback: Vec<Counts>,
    bad_get: Vec<Bad>,
    bad_post: Vec<Bad>,
}

fn trial(setup: Setup, t: usize, deploy: &str, rollback: &str, f: &mut Figures) {
    let env = Env::new(setup);
    env.configure("1s");
    let rel = format!("v2.{t}");
    f.switch.push(under_load(
        &env,
        deploy,
        &["--release", &rel, "--format", "json"],
    ));
    f.rollback
        .push(under_load(&env, rollback, &["--format", "json"]));
    f.bad_get
        .push(bad_deploy(&env, deploy, &format!("v3.{t}"), false));
    f.bad_post
        .push(bad_deploy(&env, deploy, &format!("v4.{t}"), true));
    eprintln!(
        "{} trial {}: switch {:?}, rollback {:?}, bad GET {:?}, bad POST {:?}",
        env.setup.name(),
        t + 1,
        f.switch[t],
        f.rollback[t],
        f.bad_get[t].counts,
        f.bad_post[t].counts
    );
}

fn row(name: &str, v: &[Counts]) {
    let req: u64 = v.iter().map(|c| c.requests).sum();
    let failed: u64 = v.iter().map(|c| c.failed).sum();
    let socket: u64 = v.iter().map(|c| c.socket).sum();
    let each: Vec<String> = v.iter().map(|c| c.failed.to_string()).collect();
    println!(
        "| {name} | {} | {req} | {failed} | {socket} | {} |",
        v.len(),
        each.join(", ")
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn print(setup: Setup, f: &Figures) {
    println!("\n### {}\n", setup.name());
    println!(
        "| scenario | trials | requests | failed | of which socket errors | failed per trial |\n|---|---|---|---|---|---|"
    );
    row("good switch (gate-deploy)", &f.switch);
    row("manual rollback (gate-rollback)", &f.rollback);
    let counts = |b: &[Bad]| b.iter().map(|x| x.counts).collect::<Vec<_>>();
    row(
        "bad deploy, automatic rollback, GET load",
        &counts(&f.bad_get),
    );
    row(
        "bad deploy, automatic rollback, POST load",
        &counts(&f.bad_post),
    );
    let bad: Vec<&Bad> = f.bad_get.iter().chain(&f.bad_post).collect();
    println!(
        "\nbad deploys (median of {}): first failing probe -> trip {:.0} ms; first failing probe -> blue verified live (recovery) {:.0} ms; fault -> first request answered by blue through the proxy {:.0} ms",
        bad.len(),
        median(bad.iter().map(|b| b.detect_ms).collect()),
        median(bad.iter().map(|b| b.recovery_ms).collect()),
        median(bad.iter().map(|b| b.outage_ms).collect()),
    );
}

/// Every setup, `trials` times each scenario.
pub fn run(trials: usize) {
    for tool in ["wrk", "haproxy", "nginx"] {
        if which(tool).is_none() {
            eprintln!("{tool} is not installed (apt-get install wrk haproxy nginx-light)");
            return;
        }
    }
    let dir = std::env::current_exe().unwrap();
    let deploy = dir.parent().unwrap().parent().unwrap().join("gate-deploy");
    assert!(
        deploy.is_file(),
        "build gate-deploy first: cargo build -p gate-deploy"
    );
    let deploy = deploy.display().to_string();
    let rollback = rollback_bin();
    let tool = if std::env::var("BENCH_LOAD").is_ok_and(|v| v == "gate-load") {
        format!("gate-load --users {CONNECTIONS} (closed model) for GET, wrk for POST")
    } else {
        format!("wrk -t2 -c{CONNECTIONS} (keep-alive)")
    };
    println!(
        "{tool} through the proxy; interval 1s, breaker-trip-after 3, {trials} trial(s) per setup"
    );
    for setup in [
        Setup::HaproxyPlain,
        Setup::HaproxyFallback,
        Setup::Nginx,
        Setup::NginxNoKeepalive,
        Setup::NginxFallback,
        Setup::NginxFallbackNoKeepalive,
    ] {
        if let Ok(only) = std::env::var("BENCH_ONLY")
            && !setup.name().contains(only.as_str())
        {
            continue;
        }
        let mut f = Figures::default();
        for t in 0..trials {
            trial(setup, t, &deploy, &rollback, &mut f);
        }
        print(setup, &f);
    }
}
