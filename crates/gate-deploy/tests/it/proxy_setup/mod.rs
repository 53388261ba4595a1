//! The proxy configurations of the "users never see a bad release" tests
//! and of the deploy benchmark: HAProxy with and without fallback mode
//! (backup twins, passive health checks, layer-7 retries), and nginx with a
//! backup upstream. The text of each is what docs/gates/deploy.md shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::process::Command;
use std::time::Duration;

use super::common::{Haproxy, World, port_open, skip, which};

/// How HAProxy's backend is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaproxyMode {
    /// One server per slot, no health checks (the configuration the
    /// deploy tests have always used).
    Plain,
    /// Fallback mode: each slot also declared as a `backup` twin; passive
    /// health checks on real traffic; layer-7 retries of idempotent
    /// requests on another server.
    Fallback,
}

/// The `backend app` section for `mode`, blue live.
pub fn haproxy_backend(w: &World, mode: HaproxyMode) -> String {
    match mode {
        HaproxyMode::Plain => format!(
            "backend app\n  retries 3\n  option redispatch\n  server blue 127.0.0.1:{}\n  server green 127.0.0.1:{} disabled\n",
            w.blue, w.green
        ),
        HaproxyMode::Fallback => format!(
            "backend app\n\
             \x20 option httpchk GET /healthz\n\
             \x20 retries 10\n\
             \x20 option redispatch 1\n\
             \x20 retry-on all-retryable-errors\n\
             \x20 http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS\n\
             \x20 default-server check inter 1s fall 2 rise 2 observe layer7 error-limit 1 on-error mark-down\n\
             \x20 server blue 127.0.0.1:{b}\n\
             \x20 server green 127.0.0.1:{g} disabled\n\
             \x20 server blue-backup 127.0.0.1:{b} backup disabled\n\
             \x20 server green-backup 127.0.0.1:{g} backup disabled\n",
            b = w.blue,
            g = w.green
        ),
    }
}

/// HAProxy on loopback with `backend` (see [`haproxy_backend`]).
pub fn start_haproxy_with(w: &World, backend: &str) -> Option<Haproxy> {
    let Some(bin) = which("haproxy") else {
        skip("haproxy is not installed (apt-get install haproxy)");
        return None;
    };
    let socket = w.path().join("haproxy.sock");
    let cfg = w.path().join("haproxy.cfg");
    let server = testkit::spawn_server(
        "haproxy",
        1,
        &w.path().join("haproxy.log"),
        Duration::from_secs(10),
        |ports| {
            std::fs::write(
                &cfg,
                format!(
                    "global\n  stats socket {} mode 600 level admin\n\
                     defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n\
                     frontend fe\n  bind 127.0.0.1:{}\n  default_backend app\n{backend}",
                    socket.display(),
                    ports[0]
                ),
            )
            .unwrap();
            let _ = std::fs::remove_file(&socket);
            let mut c = Command::new(&bin);
            c.arg("-f").arg(&cfg).arg("-db");
            c
        },
        |ports| port_open(ports[0]) && super::common::haproxy_runs(&socket),
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

/// One runtime API command on HAProxy's stats socket.
pub fn haproxy_cmd(h: &Haproxy, command: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(&h.socket).unwrap();
    s.write_all(format!("{command}\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// `server op_state admin_state` of one server of backend `app`.
pub fn server_state(h: &Haproxy, server: &str) -> (u32, u32) {
    haproxy_cmd(h, "show servers state app")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.len() > 6 && c[3] == server)
        .map(|c| (c[5].parse().unwrap(), c[6].parse().unwrap()))
        .unwrap()
}

/// What nginx's retries of a failed request on the backup server need in
/// the `location` (fallback mode).
pub const NGINX_NEXT_UPSTREAM: &str =
    "proxy_next_upstream error timeout http_500 http_502 http_503 http_504;";

/// `nginx-server-params` of fallback mode: one failure takes the new slot
/// out for 30 s.
pub const NGINX_FALLBACK_PARAMS: &str = "max_fails=1 fail_timeout=30s";

/// nginx on loopback proxying to the upstream in its include (blue), with
/// `http_extra` in the `http` block (such as `keepalive_timeout 0;`). In
/// fallback mode the include also holds green as a `backup` server and the
/// location retries failed requests on it.
pub fn start_nginx_with(
    w: &World,
    http_extra: &str,
    fallback: bool,
) -> Option<super::common::Nginx> {
    let prefix = w.path().join("nginx");
    std::fs::create_dir_all(&prefix).unwrap();
    let include = prefix.join("upstream.conf");
    let (text, location) = if fallback {
        (
            format!(
                "server 127.0.0.1:{} {NGINX_FALLBACK_PARAMS};\nserver 127.0.0.1:{} backup;\n",
                w.blue, w.green
            ),
            NGINX_NEXT_UPSTREAM,
        )
    } else {
        (format!("server 127.0.0.1:{};\n", w.blue), "")
    };
    std::fs::write(&include, text).unwrap();
    let nginx = testkit::Nginx::start_on(&prefix, 1, true, |ports| {
        format!(
            "  {http_extra}\n  upstream app {{ include {}; }}\n  server {{ listen 127.0.0.1:{}; location / {{ proxy_pass http://app; {location} }} }}\n",
            include.display(),
            ports[0]
        )
    })?;
    Some(super::common::Nginx {
        port: nginx.ports[0],
        conf: nginx.conf.clone(),
        prefix,
        include,
        nginx,
    })
}

/// The `deploy:` keys of the nginx switch for `n`.
pub fn nginx_keys(n: &super::common::Nginx) -> String {
    format!(
        "  switch: nginx\n  nginx-bin: {}\n  nginx-prefix: {}\n  nginx-conf: {}\n  nginx-include: {}\n",
        which("nginx").unwrap().display(),
        n.prefix.display(),
        n.conf.display(),
        n.include.display()
    )
}

/// The `deploy:` keys of the HAProxy switch for `h`.
pub fn haproxy_keys(h: &Haproxy) -> String {
    format!(
        "  switch: haproxy\n  haproxy-socket: {}\n  haproxy-backend: app\n",
        h.socket.display()
    )
}
