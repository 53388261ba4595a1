//! Secrets the deploy learns (`${VAR}` in `headers`) never leave the
//! process: not on stderr or stdout, not in the local ledger
//! (`.gates/results/**`, `.gates/deployments/**`), not in what is sent to
//! GitHub (check run, deployments, statuses), even when a slot echoes the
//! request back in a failing answer (a debug or error page).

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");
/// The secret, as the workflow's `env:` would hand it over.
const SECRET: &str = "tok-5ba1f00d-9c3e-4e7a-b2d8-deadbeef0042";
const SHA_WATCH: &str = "1111111111111111111111111111111111111111";
const SHA_WAIT: &str = "2222222222222222222222222222222222222222";
const SHA_GH: &str = "3333333333333333333333333333333333333333";
const GH_TOKEN: &str = "ghs_faketokenforthetests0002";

/// Whether `text` shows the secret or a piece of it: the whole value, or
/// its first 8 characters (what is left when a long body is cut short).
fn leaks(text: &str) -> bool {
    text.contains(SECRET) || text.contains(&SECRET[..8])
}

/// `what` and the first line of `text` that leaks, for the failure message.
fn leak(what: &str, text: &str) -> String {
    let line = text.lines().find(|l| leaks(l)).unwrap_or_default();
    format!("{what}: {}", line.chars().take(300).collect::<String>())
}

/// A slot that answers its first `ok_first` requests `200 ok` and every
/// later one `500` with a debug page echoing the request head (headers
/// included). Returns (port, requests seen).
fn echoing_slot(ok_first: usize) -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let n = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let i = n.fetch_add(1, Ordering::SeqCst);
            let (status, body) = if i < ok_first {
                ("200 OK", "ok\n".to_string())
            } else {
                (
                    "500 Internal Server Error",
                    format!("debug: the request was\n{}", String::from_utf8_lossy(&head)),
                )
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

/// Every file under `dir`, with its text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

/// The sample service in blue, `slot`'s health URL on the echoing slot, the
/// secret in a header, a condition reading the body. With `seed`, the local
/// ledger says blue is live with v1.
fn world(echo_port: u16, slot: &str, seed: bool) -> World {
    let w = World::new();
    if seed {
        w.seed_live("production", "blue", "v1");
    }
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
    w.write_config(
        &w.base_config(
            "deploy",
            &format!(
                "  switch: command\n  switch-command: \"{}\"\n  {slot}-health-url: http://127.0.0.1:{echo_port}/healthz\n  headers:\n    - \"Authorization: Bearer ${{DEPLOY_TOKEN}}\"\n  conditions: [\"[STATUS] == 200\", \"[BODY] == pat(ok*)\"]\n",
                yaml_escape(&switch)
            ),
        )
        .replace("wait-timeout: 10s\n", "wait-timeout: 2s\n"),
    );
    w
}

fn run_local(w: &World, sha: &str, release: &str) -> (i32, String, String) {
    let out = w
        .command_on(
            DEPLOY,
            &["--ledger", "local"],
            &[
                "--release",
                release,
                "--format",
                "human,json,markdown,sarif",
            ],
        )
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_TOKEN")
        .env("GITHUB_SHA", sha)
        .env("DEPLOY_TOKEN", SECRET)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_report(stdout: &str) -> serde_json::Value {
    // The JSON report is the second format printed: the line that opens it.
    let start = stdout
        .lines()
        .scan(0usize, |at, l| {
            let here = *at;
            *at += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| *l == "{")
        .map(|(i, _)| i)
        .unwrap();
    let mut de = serde_json::Deserializer::from_str(&stdout[start..]).into_iter();
    de.next().unwrap().unwrap()
}

#[test]
fn an_echoed_authorization_header_never_reaches_output_ledger_or_github() {
    // The watch trips on the echoing slot, traffic goes back to blue.
    let (echo, seen) = echoing_slot(2);
    let w = world(echo, "green", true);
    let (code, out, err) = run_local(&w, SHA_WATCH, "v2");
    assert_eq!(code, 1, "{err}\n{out}");
    let r = json_report(&out);
    assert_eq!(r["details"]["result"], "rolled-back", "{err}");
    // The slot did see the header and echoed it: the test exercises a leak.
    assert!(seen.load(Ordering::SeqCst) > 2);
    let reason = r["details"]["reason"].as_str().unwrap();
    assert!(reason.contains("[BODY] == pat(ok*)"), "{reason}");
    assert!(reason.contains("authorization: Bearer "), "{reason}");

    // Then green never becomes healthy: the wait's failure path.
    let (code, out2, err2) = run_local(&w, SHA_WAIT, "v3");
    assert_eq!(code, 1, "{err2}\n{out2}");
    assert_eq!(
        json_report(&out2)["details"]["result"],
        "never-healthy",
        "{err2}"
    );

    let streams = [
        ("stdout (watch)", &out),
        ("stderr (watch)", &err),
        ("stdout (wait)", &out2),
        ("stderr (wait)", &err2),
    ];
    let mut found: Vec<String> = streams
        .iter()
        .filter(|(_, text)| leaks(text))
        .map(|(what, text)| leak(what, text))
        .collect();
    let files = files_under(&w.path().join(".gates"));
    for sub in ["results", "deployments"] {
        assert!(
            files
                .iter()
                .any(|(p, _)| p.contains(&format!("/.gates/{sub}/"))),
            "nothing recorded under .gates/{sub}: {:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
    }
    found.extend(
        files
            .iter()
            .filter(|(_, text)| leaks(text))
            .map(|(p, text)| leak(p, text)),
    );
    assert!(found.is_empty(), "the secret leaked into {found:#?}");
}

#[test]
fn an_echoed_authorization_header_never_reaches_github() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = rt.block_on(fake_github::FakeGitHub::start());
    gh.require_token(GH_TOKEN);
    // Nothing live in this ledger: the first deploy goes to blue, whose
    // health URL is the echoing slot; the watch trips with nowhere to go back.
    let (echo, _) = echoing_slot(2);
    let w = world(echo, "blue", false);
    let out = w
        .command_on(DEPLOY, &["--ledger", "github"], &["--release", "v2"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_TOKEN", GH_TOKEN)
        .env("GITHUB_API_URL", gh.url())
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "octo/demo")
        .env("GITHUB_SHA", SHA_GH)
        .env("GITHUB_RUN_ID", "42")
        .env("DEPLOY_TOKEN", SECRET)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_EVENT_PATH")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{stdout}");
    // The runner is told to mask it, once, as it is learned.
    let announced: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::add-mask::"))
        .collect();
    assert!(
        announced.contains(&format!("::add-mask::{SECRET}").as_str()),
        "{stdout}"
    );
    let mut found = Vec::new();
    let printed: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    let printed = printed.join("\n");
    if leaks(&printed) {
        found.push(leak("stdout", &printed));
    }
    if leaks(&stderr) {
        found.push(leak("stderr", &stderr));
    }
    let requests = gh.requests();
    assert!(
        requests
            .iter()
            .any(|q| q.method == "POST" && q.path.ends_with("/check-runs")),
        "no check run was sent: {requests:?}"
    );
    for q in &requests {
        let body = q.body.to_string();
        if leaks(&body) {
            found.push(leak(&format!("{} {}", q.method, q.path), &body));
        }
    }
    assert!(found.is_empty(), "the secret leaked into {found:#?}");
}

/// A slot that answers `200 ok` to requests carrying `Authorization:
/// <expected>` and `401` to others. Returns (port, authorized, refused).
fn guarded_slot(expected: String) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (yes, no) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (y, n) = (yes.clone(), no.clone());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let ok = head.lines().any(|l| {
                l.split_once(':').is_some_and(|(k, v)| {
                    k.eq_ignore_ascii_case("authorization") && v.trim() == expected
                })
            });
            let (status, body) = if ok {
                y.fetch_add(1, Ordering::SeqCst);
                ("200 OK", "ok\n")
            } else {
                n.fetch_add(1, Ordering::SeqCst);
                ("401 Unauthorized", "who are you?\n")
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, yes, no)
}

#[test]
fn credentials_in_a_health_url_reach_probes_and_smoke_and_nothing_else() {
    const PW: &str = "dep/l@y:p#ss?w%rd-7731";
    let basic = "Basic ZGVwbG95ZXI6ZGVwL2xAeTpwI3NzP3clcmQtNzczMQ=="; // deployer:PW
    let (port, authorized, refused) = guarded_slot(basic.to_string());
    let w = World::new();
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
    w.write_config(&w.base_config(
        "deploy",
        &format!(
            "  switch: command\n  switch-command: \"{}\"\n  green-health-url: \"http://deployer:${{DEPLOY_PW}}@127.0.0.1:{port}/healthz\"\n  public-url: \"http://deployer:${{DEPLOY_PW}}@127.0.0.1:{port}/\"\n  smoke:\n    path: /\n    rate: 20\n    duration: 1s\n",
            yaml_escape(&switch)
        ),
    ));
    let out = w
        .command_on(
            DEPLOY,
            &["--ledger", "local"],
            &["--release", "v2", "--format", "json"],
        )
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_TOKEN")
        .env("GITHUB_SHA", SHA_WAIT)
        .env("DEPLOY_PW", PW)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    let r = report(&stdout);
    assert_eq!(r["details"]["result"], "deployed", "{stderr}");
    // Every request (wait, smoke, watch) carried the credentials.
    assert_eq!(refused.load(Ordering::SeqCst), 0);
    let smoke = &r["details"]["smoke"];
    assert!(smoke["requests"].as_u64().unwrap() >= 10, "{smoke}");
    assert_eq!(smoke["failed"], 0, "{smoke}");
    assert!(authorized.load(Ordering::SeqCst) >= 12);
    assert_eq!(
        smoke["url"],
        format!("http://127.0.0.1:{port}/"),
        "the smoke's URL as shown"
    );
    // The deployment records where the release answers, without credentials.
    let ledger = files_under(&w.path().join(".gates").join("deployments"));
    let env_url = format!("\"environment_url\": \"http://127.0.0.1:{port}/\"");
    assert!(
        ledger
            .iter()
            .any(|(_, text)| text.replace("\":\"", "\": \"").contains(&env_url)),
        "{ledger:#?}"
    );
    let mut found = Vec::new();
    let mut texts = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
    ];
    texts.extend(files_under(&w.path().join(".gates")));
    for (what, text) in &texts {
        for f in [PW, "l@y:p#ss", &basic[6..], &basic[6..20], "deployer:"] {
            if text.contains(f) {
                found.push(format!("{what} shows `{f}`"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
