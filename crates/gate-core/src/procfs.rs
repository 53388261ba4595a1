//! The one `/proc` reader (Linux): a process's state, parent, group and CPU
//! time, the processes of a parent or group, and peak memory. Elsewhere each
//! function answers `None` or nothing, and callers degrade (no orphan
//! sweep, no CPU figure).

use std::collections::BTreeSet;

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ; 100 on every
/// Linux architecture gates runs on).
const USER_HZ: f64 = 100.0;

/// The fields of a `/proc/<pid>/stat` line gates reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub pid: u32,
    /// `R`, `S`, `D`, `Z` (zombie), `X`/`x` (dead), ...
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
    /// User + system CPU seconds (`None` when the line stops before them).
    pub cpu_seconds: Option<f64>,
}

impl Stat {
    /// Whether the process is gone but for its entry (zombie or dead).
    pub fn is_dead(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses a `/proc/<pid>/stat` line: `pid (comm) state ppid pgrp ...`,
/// where `comm` may hold spaces and parentheses.
pub fn parse_stat(line: &str) -> Option<Stat> {
    let open = line.find(" (")?;
    let pid = line[..open].trim().parse().ok()?;
    let rest = &line[line.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime is field 14, stime 15.
    let cpu = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    let cpu_seconds = cpu(11).zip(cpu(12)).map(|(u, s)| (u + s) / USER_HZ);
    Some(Stat {
        pid,
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        pgrp: f.get(2)?.parse().ok()?,
        cpu_seconds,
    })
}

/// The stat of one process (`"self"` for this one).
pub fn stat(pid: &str) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Every process's stat; `None` when `/proc` cannot be read.
pub fn all() -> Option<Vec<Stat>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    Some(
        entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|s| s.parse::<u32>().is_ok())
            })
            .filter_map(|e| parse_stat(&std::fs::read_to_string(e.path().join("stat")).ok()?))
            .collect(),
    )
}

/// Live pids whose parent is `ppid`.
pub fn children(ppid: u32) -> BTreeSet<u32> {
    all()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.ppid == ppid && !s.is_dead())
        .map(|s| s.pid)
        .collect()
}

/// Live pids of process group `pgrp`, sorted; `None` when `/proc` cannot be
/// read.
pub fn group(pgrp: u32) -> Option<Vec<u32>> {
    let mut out: Vec<u32> = all()?
        .into_iter()
        .filter(|s| s.pgrp == pgrp && !s.is_dead())
        .map(|s| s.pid)
        .collect();
    out.sort_unstable();
    Some(out)
}

/// This process's user + system CPU seconds so far.
pub fn process_cpu_seconds() -> Option<f64> {
    stat("self")?.cpu_seconds
}

/// This process's peak resident set size (VmHWM), bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    parse_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// VmHWM of a `/proc/<pid>/status` text, bytes.
pub fn parse_hwm(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parentheses_in_the_name() {
        let line = "1234 (my (odd) name) S 1 1200 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 200";
        let s = parse_stat(line);
        assert_eq!(
            s,
            Some(Stat {
                pid: 1234,
                state: 'S',
                ppid: 1,
                pgrp: 1200,
                cpu_seconds: Some(3.0)
            })
        );
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("12 (x) Z 1").is_none());
        // Lines cut before the CPU fields still give state and group.
        let cut = parse_stat("77 (a) b (c)) Z 5 70 70 0");
        assert_eq!(
            cut.map(|s| (s.state, s.pgrp, s.cpu_seconds)),
            Some(('Z', 70, None))
        );
    }

    #[test]
    fn reads_this_process() {
        let me = stat("self");
        if cfg!(target_os = "linux") {
            let me = me.unwrap_or_else(|| panic!("/proc/self/stat unreadable"));
            assert_eq!(me.pid, std::process::id());
            assert!(!me.is_dead());
            assert!(children(me.ppid).contains(&me.pid));
            assert!(peak_rss_bytes().is_some_and(|b| b > 0));
        }
    }

    #[test]
    fn reads_hwm() {
        assert_eq!(parse_hwm("Name: x\nVmHWM:\t  2048 kB\n"), Some(2048 * 1024));
        assert_eq!(parse_hwm("Name: x\n"), None);
    }
}
