#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Secrets of HTTP probes: configured headers stay on the configured origin
//! across redirects, and credentials in a URL's userinfo (from `${VAR}`,
//! with characters that delimit URLs) are sent as Basic authentication to
//! the right host and shown nowhere.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::ProbeConfig;
use gate_health::{Health, probe_once};

/// What a recording server saw: one request head per request.
type Seen = Arc<Mutex<Vec<String>>>;

/// A server on 127.0.0.1 (std thread) that records every request head and
/// answers with `answer(path, port)`: (status line, extra headers, body).
fn recording_server(
    answer: impl Fn(&str, &str, u16) -> (String, String, String) + Send + 'static,
) -> (u16, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
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
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(head.clone());
            let (status, headers, body) = answer(&path, &head, port);
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

/// The value of header `name` (lower-case) in a recorded request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim_end_matches('\r').trim())
    })
}

fn defaults(root: &Path) -> Defaults<'_> {
    Defaults {
        probe_timeout: Duration::from_secs(5),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(14 * 86400),
        base_url: None,
        repo_root: root,
    }
}

const CONFIGURED: [(&str, &str); 4] = [
    ("Authorization", "Bearer ${API_TOKEN}"),
    ("Cookie", "session=c00kie-value"),
    ("Proxy-Authorization", "Basic cHJveHk6cHJveHk="),
    ("X-Api-Key", "key-0123456789"),
];

async fn probe_with_headers(url: String) -> gate_health::ProbeResult {
    let pc = ProbeConfig {
        url: Some(url),
        headers: CONFIGURED
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ProbeConfig::default()
    };
    let get = |k: &str| (k == "API_TOKEN").then(|| "t0ken-abcdef123456".to_string());
    let root = std::env::temp_dir();
    let p = build_probe(&pc, "test", &defaults(&root), &get, &Masker::new(false)).unwrap();
    probe_once(&p).await
}

#[tokio::test]
async fn configured_headers_are_dropped_on_a_redirect_to_another_origin_only() {
    let ok = |_: &str, _: &str, _: u16| ("200 OK".into(), String::new(), "ok".into());
    let (other, other_seen) = recording_server(ok);
    let (port, seen) = recording_server(move |path, _, port| match path {
        // Same host, another port: another origin.
        "/cross" => (
            "302 Found".into(),
            format!("Location: http://127.0.0.1:{other}/landed\r\n"),
            String::new(),
        ),
        "/same" => (
            "302 Found".into(),
            format!("Location: http://127.0.0.1:{port}/landed\r\n"),
            String::new(),
        ),
        _ => ("200 OK".into(), String::new(), "ok".into()),
    });

    let r = probe_with_headers(format!("http://127.0.0.1:{port}/cross")).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.redirects, 1);
    let first = seen.lock().unwrap().clone();
    let landed = other_seen.lock().unwrap().clone();
    assert_eq!((first.len(), landed.len()), (1, 1), "{first:?} {landed:?}");
    // The configured origin got them all.
    for (k, _) in CONFIGURED {
        assert!(header(&first[0], k).is_some(), "{k} missing: {}", first[0]);
    }
    assert_eq!(
        header(&first[0], "authorization"),
        Some("Bearer t0ken-abcdef123456")
    );
    // The other origin got none of them.
    for (k, _) in CONFIGURED {
        assert!(
            header(&landed[0], k).is_none(),
            "{k} sent across: {}",
            landed[0]
        );
    }
    assert!(!landed[0].contains("t0ken-abcdef123456"), "{}", landed[0]);

    // A redirect within the origin keeps them.
    seen.lock().unwrap().clear();
    let r = probe_with_headers(format!("http://127.0.0.1:{port}/same")).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.redirects, 1);
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[1].starts_with("GET /landed "), "{}", heads[1]);
    for (k, _) in CONFIGURED {
        assert!(header(&heads[1], k).is_some(), "{k} dropped: {}", heads[1]);
    }
    assert_eq!(other_seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn userinfo_credentials_are_basic_auth_and_stay_on_their_origin() {
    let ok = |_: &str, _: &str, _: u16| ("200 OK".into(), String::new(), "ok".into());
    let (other, other_seen) = recording_server(ok);
    let (port, seen) = recording_server(move |path, _, _| match path {
        "/cross" => (
            "302 Found".into(),
            format!("Location: http://127.0.0.1:{other}/landed\r\n"),
            String::new(),
        ),
        _ => ("200 OK".into(), String::new(), "ok".into()),
    });
    let root = std::env::temp_dir();
    let masker = Masker::new(false);
    let get = |k: &str| match k {
        "USER" => Some("ci-bot".to_string()),
        "PW" => Some("a@b/c:d#e?f%g".to_string()),
        _ => None,
    };
    // User from a variable, a literal escape (`%21` is `!`) in the password.
    let pc = ProbeConfig {
        url: Some(format!(
            "http://${{USER}}:x%21${{PW}}@127.0.0.1:{port}/cross"
        )),
        ..ProbeConfig::default()
    };
    let p = build_probe(&pc, "test", &defaults(&root), &get, &masker).unwrap();
    assert_eq!(p.name, format!("127.0.0.1:{port}/cross"));
    let r = probe_once(&p).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    let expected = base64::engine::general_purpose::STANDARD.encode("ci-bot:x!a@b/c:d#e?f%g");
    let first = seen.lock().unwrap().clone();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        header(&first[0], "authorization"),
        Some(format!("Basic {expected}").as_str())
    );
    let landed = other_seen.lock().unwrap().clone();
    assert_eq!(landed.len(), 1, "{landed:?}");
    assert!(
        header(&landed[0], "authorization").is_none(),
        "{}",
        landed[0]
    );
    // Everything that would show the credentials is masked.
    for s in [
        "x!a@b/c:d#e?f%g",
        "ci-bot",
        "ci-bot:x!a@b/c:d#e?f%g",
        expected.as_str(),
    ] {
        assert_eq!(masker.redact(&format!("<{s}>")), "<***>", "{s}");
    }
    assert!(
        !r.target.contains("ci-bot") && !r.target.contains('@'),
        "{}",
        r.target
    );

    // An Authorization header of the user's wins over the userinfo.
    seen.lock().unwrap().clear();
    let mut pc = pc;
    pc.url = Some(format!("http://u:p@127.0.0.1:{port}/"));
    pc.headers
        .insert("Authorization".into(), "Bearer mine-0123456789".into());
    let p = build_probe(&pc, "test", &defaults(&root), &get, &masker).unwrap();
    assert_eq!(probe_once(&p).await.health, Health::Healthy);
    let heads = seen.lock().unwrap().clone();
    assert_eq!(
        header(&heads[0], "authorization"),
        Some("Bearer mine-0123456789")
    );
}

const PW: &str = "p@ss/w:rd#x?y%z";
const SHA: &str = "4444444444444444444444444444444444444444";

#[test]
fn a_password_with_url_delimiters_goes_to_the_right_host_and_is_shown_nowhere() {
    // The server echoes the Authorization header it got; the condition on
    // the body fails, so the echo is in every report.
    let (port, seen) = recording_server(|_, head, _| {
        let auth = header(head, "authorization").unwrap_or("none").to_string();
        ("200 OK".into(), String::new(), format!("auth={auth}"))
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        format!(
            "version: 1\nhealth:\n  probes:\n    - name: api\n      url: \"http://user:${{PW}}@127.0.0.1:{port}/healthz\"\n      conditions: [\"[BODY] == pat(ok*)\"]\n"
        ),
    )
    .unwrap();
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-health"))
        .current_dir(dir.path())
        .args([
            "--ledger",
            "local",
            "--format",
            "human,json,markdown,sarif,github",
        ])
        .env("GITHUB_SHA", SHA)
        .env("PW", PW)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{stderr}\n{stdout}");

    // One request, to 127.0.0.1:port, with the right Basic header.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{PW}"));
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(
        header(&heads[0], "host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(
        header(&heads[0], "authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert!(
        heads[0].starts_with("GET /healthz HTTP/1.1"),
        "{}",
        heads[0]
    );
    // No name was looked up: the host is the IP literal.
    assert!(stdout.contains("auth=Basic ***"), "{stdout}");
    let json_start = stdout.find("\n{\n").unwrap() + 1;
    let r: serde_json::Value = serde_json::Deserializer::from_str(&stdout[json_start..])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let last = &r["details"]["probes"][0]["last"];
    assert_eq!(last["ip"], "127.0.0.1", "{last}");
    assert!(last["phases"].get("dns").is_none(), "{last}");

    // The password, its percent-encodings, base64(user:pass): nowhere.
    let mut u = url::Url::parse("http://h/").unwrap();
    u.set_password(Some(PW)).unwrap();
    let url_encoded = u.password().unwrap().to_string();
    let full_encoded: String = PW
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let forbidden = [
        PW.to_string(),
        "ss/w:rd".to_string(),
        url_encoded,
        full_encoded,
        basic.clone(),
        basic[..16].to_string(),
    ];
    let mut texts = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
    ];
    let files = files_under(&dir.path().join(".gates"));
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with(&format!("{SHA}/health.json"))),
        "the result was not recorded: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    texts.extend(files);
    for (what, text) in &texts {
        for f in &forbidden {
            assert!(!text.contains(f.as_str()), "{what} shows `{f}`:\n{text}");
        }
    }
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
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
            ));
        }
    }
    out
}
