//! The process's own CPU time and peak memory, from /proc (Linux). Other
//! systems report none, and saturation is then judged on schedule lag only.

/// Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every
/// Linux architecture gates runs on).
const USER_HZ: f64 = 100.0;

/// User + system CPU seconds of this process so far.
pub fn process_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat(&text)
}

/// utime + stime from a /proc/<pid>/stat line, in seconds.
pub fn parse_stat(text: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// Peak resident set size (VmHWM), bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_hwm(&text)
}

pub fn parse_hwm(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_the_name() {
        let line = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 200";
        assert_eq!(parse_stat(line), Some(3.0));
    }

    #[test]
    fn reads_this_process() {
        assert!(process_cpu_seconds().is_some());
        assert!(peak_rss_bytes().unwrap() > 0);
        assert_eq!(
            parse_hwm("VmPeak: 1 kB\nVmHWM:\t  2048 kB\n"),
            Some(2048 * 1024)
        );
    }
}
