//! Benchmark driver: `cargo run --release -p gate-coverage --example coverage_bench -- <report> <repo> <diff-file>`
//! Parses the report, maps paths onto the repository's tracked files,
//! reads the diff and prints total and diff coverage (ours and diff-cover's).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a developer tool

use std::path::Path;

use gate_coverage::compat::diff_cover;
use gate_coverage::compute::{DiffOptions, diff_coverage};
use gate_coverage::diff::{parse_diff_cover, parse_unified_diff};
use gate_coverage::git::Git;
use gate_coverage::paths::{PathMapper, map_reports};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (report, repo, diff, compat) = match args.as_slice() {
        [r, g, d] => (r, g, d, false),
        [r, g, d, c] if c == "compat" => (r, g, d, true),
        _ => return Err("usage: bench <report> <repo> <diff-file> [compat]".into()),
    };
    let t = std::time::Instant::now();
    let r = gate_coverage::parse_file(Path::new(report))?;
    let t_parse = t.elapsed();
    let git = Git::open(Path::new(repo))?;
    let tracked = git.ls_files()?;
    let mapper = PathMapper::new(tracked, Some(git.root()), vec![]);
    let format = r.format;
    let reports = vec![r];
    let text = std::fs::read(diff)?;
    let dc = if compat {
        let dc_changes = parse_diff_cover(Path::new(diff), &text)?;
        Some(diff_cover(&reports, &mapper, &dc_changes))
    } else {
        None
    };
    let (map, stats) = map_reports(reports, &mapper);
    let changes = parse_unified_diff(Path::new(diff), &text)?;
    let d = diff_coverage(&map, &changes, &DiffOptions::default());
    let total = map.totals();
    println!(
        "format={} files={} matched={} lines={}/{} diff={}/{} ({:.4}%) absent={} diff-cover: {:?} parse={:?} total={:?}",
        format.name(),
        stats.report_files,
        stats.matched,
        total.lines_covered,
        total.lines_measured,
        d.covered,
        d.measured,
        d.percent().unwrap_or(100.0),
        d.absent_files.len(),
        dc.map(|dc| (
            dc.total_num_lines,
            dc.total_num_violations,
            dc.total_percent_covered
        )),
        t_parse,
        t.elapsed()
    );
    Ok(())
}
