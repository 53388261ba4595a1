//! A DNS query over UDP to a given server (RFC 1035), for DNS probes that
//! name their server (`dns-server`, gatus' `url`) and `query-type`: the
//! response code and the answers, as gatus reads them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Query types a probe can ask for: (name, code).
pub const TYPES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("PTR", 12),
    ("MX", 15),
    ("TXT", 16),
    ("AAAA", 28),
];

/// The code of a query type name (case-insensitive).
pub fn query_type(name: &str) -> Option<u16> {
    TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, c)| *c)
}

/// The response code's name, as gatus' `[DNS_RCODE]` has it.
pub fn rcode_name(code: u8) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("RCODE{n}"),
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub rcode: String,
    /// Records of the asked type, as text (an address, a name, `10 mx.host`
    /// for MX, the joined strings of a TXT record).
    pub records: Vec<String>,
    /// Addresses among them (A, AAAA).
    pub addresses: Vec<IpAddr>,
}

/// The query message for `name` of type `qtype`, with `id`.
pub fn query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut m = Vec::with_capacity(32 + name.len());
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("`{name}` is not a DNS name"));
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // IN
    Ok(m)
}

/// Reads a (possibly compressed) name at `at`: (name, offset after it).
fn read_name(msg: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(at)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = ((len & 0x3f) << 8) | *msg.get(at + 1)? as usize;
            end.get_or_insert(at + 2);
            at = ptr;
            continue;
        }
        let label = msg.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + len;
    }
    None
}

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// Parses a response to query `id` of type `qtype`.
pub fn parse(msg: &[u8], id: u16, qtype: u16) -> Result<Answer, String> {
    let bad = || "malformed DNS response".to_string();
    if u16_at(msg, 0).ok_or_else(bad)? != id {
        return Err("DNS response to another query".into());
    }
    let flags = u16_at(msg, 2).ok_or_else(bad)?;
    let qd = u16_at(msg, 4).ok_or_else(bad)?;
    let an = u16_at(msg, 6).ok_or_else(bad)?;
    let mut at = 12;
    for _ in 0..qd {
        at = read_name(msg, at).ok_or_else(bad)?.1 + 4;
    }
    let mut out = Answer {
        rcode: rcode_name((flags & 0x0f) as u8),
        records: Vec::new(),
        addresses: Vec::new(),
    };
    for _ in 0..an {
        at = read_name(msg, at).ok_or_else(bad)?.1;
        let rtype = u16_at(msg, at).ok_or_else(bad)?;
        let len = u16_at(msg, at + 8).ok_or_else(bad)? as usize;
        let start = at + 10;
        let data = msg.get(start..start + len).ok_or_else(bad)?;
        at = start + len;
        if rtype != qtype {
            continue;
        }
        let text = match rtype {
            1 if len == 4 => {
                let ip = IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3]));
                out.addresses.push(ip);
                ip.to_string()
            }
            28 if len == 16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(data);
                let ip = IpAddr::V6(Ipv6Addr::from(b));
                out.addresses.push(ip);
                ip.to_string()
            }
            2 | 5 | 12 => read_name(msg, start).ok_or_else(bad)?.0,
            15 => format!(
                "{} {}",
                u16_at(msg, start).ok_or_else(bad)?,
                read_name(msg, start + 2).ok_or_else(bad)?.0
            ),
            16 => {
                let mut s = String::new();
                let mut i = 0;
                while let Some(&n) = data.get(i) {
                    let part = data.get(i + 1..i + 1 + n as usize).ok_or_else(bad)?;
                    s.push_str(&String::from_utf8_lossy(part));
                    i += 1 + n as usize;
                }
                s
            }
            _ => continue,
        };
        out.records.push(text);
    }
    Ok(out)
}

/// Asks `server` over UDP (one attempt; the caller bounds the time).
pub async fn ask(server: SocketAddr, name: &str, qtype: u16) -> Result<Answer, String> {
    let mut idb = [0u8; 2];
    getrandom_id(&mut idb);
    let id = u16::from_be_bytes(idb);
    let q = query(id, name, qtype)?;
    let bind: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("DNS socket: {e}"))?;
    sock.connect(server)
        .await
        .map_err(|e| format!("DNS server {server}: {e}"))?;
    sock.send(&q)
        .await
        .map_err(|e| format!("DNS server {server}: {e}"))?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sock
            .recv(&mut buf)
            .await
            .map_err(|e| format!("DNS server {server}: {e}"))?;
        match parse(&buf[..n], id, qtype) {
            Err(e) if e == "DNS response to another query" => continue,
            r => return r,
        }
    }
}

/// A query id: not secret, only unlikely to match a stray response.
fn getrandom_id(b: &mut [u8; 2]) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    *b = ((t ^ (t >> 16)) as u16 ^ std::process::id() as u16).to_be_bytes();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn queries_and_compressed_answers() {
        let q = query(0x1234, "app.test", 1).unwrap();
        assert_eq!(&q[..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&q[12..], b"\x03app\x04test\x00\x00\x01\x00\x01");
        // The query echoed, then a CNAME (compressed pointer to the
        // question's name) and an A record.
        let mut r = q.clone();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 2; // two answers
        r.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x06\x03www\xc0\x0c");
        r.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x01\x02\x03");
        let a = parse(&r, 0x1234, 1).unwrap();
        assert_eq!(a.rcode, "NOERROR");
        assert_eq!(a.records, vec!["10.1.2.3"]);
        let c = parse(&r, 0x1234, 5).unwrap();
        assert_eq!(c.records, vec!["www.app.test"]);
        r[3] = 0x83;
        assert_eq!(parse(&r, 0x1234, 1).unwrap().rcode, "NXDOMAIN");
        assert!(parse(&r[..20], 0x1234, 1).is_err());
        assert!(parse(&r, 0x4321, 1).is_err());
        assert!(query(1, "a..b", 1).is_err());
    }
}
