#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The runner end to end, with a small gate defined here: flags, config,
//! exit codes, renderers (snapshots), runner sinks and the local ledger.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use gate_core::github::escape::runner_model::parse_output;
use gate_core::ledger::local::LocalLedger;
use gate_core::render::{self, Format, RenderOptions};
use gate_core::report::{Chart, Series, SeriesKind};
use gate_core::run::Env;
use gate_core::{
    Comparison, Context, ExitCode, Finding, Gate, Location, Metric, Report, Rule, Severity,
    Threshold,
};
use schemars::JsonSchema;
use serde::Deserialize;

/// A gate that scores the lines of a text file: each line `path:line:severity:message`
/// is a finding; the score is the share of lines that are `ok`.
#[derive(Debug)]
struct Lines;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
struct LinesConfig {
    /// Input file.
    input: Option<PathBuf>,
    /// Minimum share of `ok` lines, in percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    min_ok: Option<f64>,
}

#[derive(Debug, clap::Args)]
struct LinesArgs {
    /// Input file
    #[arg(long)]
    input: Option<PathBuf>,
    /// Minimum share of `ok` lines, in percent
    #[arg(long)]
    min_ok: Option<f64>,
    /// Look only: not a config key, and the result is not recorded
    #[arg(long)]
    peek: bool,
}

gate_core::rules! {
    /// Rules of the test gate.
    enum LinesRule {
        BadLine {
            id: "bad-line",
            summary: "A line is not ok",
            help: "Fix the line.",
            severity: Error,
        },
    }
}

const RULES: &[Rule] = <LinesRule as gate_core::report::Rules>::ALL;

impl Gate for Lines {
    const ID: &'static str = "lines";
    const ABOUT: &'static str = "Scores the lines of a file (a test gate)";
    const RULES: &'static [Rule] = RULES;
    // The GitHub tests below run the octocrab client on a current-thread
    // runtime (gate-deploy's run it on the default multi-thread one).
    const WORKER_THREADS: usize = 0;
    type Config = LinesConfig;
    type Args = LinesArgs;
    type Input = Vec<String>;

    async fn collect(
        ctx: &Context,
        config: &LinesConfig,
        _args: &LinesArgs,
    ) -> gate_core::Result<Vec<String>> {
        let Some(input) = &config.input else {
            return Ok(Vec::new());
        };
        let path = ctx.resolve(input);
        let text =
            std::fs::read_to_string(&path).map_err(|e| gate_core::GateError::read(&path, e))?;
        Ok(text.lines().map(String::from).collect())
    }

    fn evaluate(input: &Vec<String>, config: &LinesConfig) -> Report {
        let mut r = Report::new("lines");
        r.checked = input.len() as u64;
        let ok = input.iter().filter(|l| *l == "ok").count();
        for l in input.iter().filter(|l| *l != "ok") {
            let mut parts = l.splitn(4, ':');
            let (path, line, sev, msg) = (
                parts.next().unwrap_or(""),
                parts.next().and_then(|s| s.parse().ok()).unwrap_or(1),
                parts.next().unwrap_or("error"),
                parts.next().unwrap_or(""),
            );
            let severity = match sev {
                "warning" => Severity::Warning,
                "note" => Severity::Note,
                _ => Severity::Error,
            };
            r.findings.push(
                Finding::new(LinesRule::BadLine, severity, msg)
                    .at(Location::lines(path, line, line)),
            );
        }
        let share = if input.is_empty() {
            0.0
        } else {
            100.0 * ok as f64 / input.len() as f64
        };
        let mut m = Metric::info("ok-share", share, "%");
        if let Some(min) = config.min_ok {
            m = m.with_threshold(Threshold::new(Comparison::AtLeast, min));
        }
        r.metrics.push(m);
        r.summary = format!("{ok} of {} lines ok", input.len());
        r.finish()
    }

    fn record(args: &LinesArgs) -> bool {
        !args.peek
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        vec![(
            "ok-share".into(),
            report
                .metric("ok-share")
                .map(|m| m.value.to_string())
                .unwrap_or_default(),
        )]
    }
}

struct TestEnv {
    vars: BTreeMap<String, String>,
    cwd: PathBuf,
}

impl Env for TestEnv {
    fn var(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }
    fn vars(&self) -> Vec<(String, String)> {
        self.vars.clone().into_iter().collect()
    }
    fn cwd(&self) -> gate_core::Result<PathBuf> {
        Ok(self.cwd.clone())
    }
}

struct Run {
    code: ExitCode,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let env = TestEnv {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: dir.to_path_buf(),
    };
    let mut argv: Vec<OsString> = vec!["gate-lines".into()];
    argv.extend(args.iter().map(OsString::from));
    let (code, stdout, stderr) =
        gate_core::out::capture(|| gate_core::run::run::<Lines>(argv, &env));
    Run {
        code,
        stdout,
        stderr,
    }
}

fn workdir(input: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.txt"), input).unwrap();
    dir
}

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<Lines>().render_help().to_string();
    insta::assert_snapshot!(help);
}

#[test]
fn passes_fails_and_warns_with_documented_exit_codes() {
    let dir = workdir("ok\nok\nok\n");
    let r = run(dir.path(), &["--input", "input.txt", "--min-ok", "90"], &[]);
    assert_eq!(r.code, ExitCode::Pass, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("gate-lines PASS 3 of 3 lines ok"),
        "{}",
        r.stdout
    );

    let dir = workdir("ok\nsrc/a.rs:3:error:broken\n");
    let r = run(dir.path(), &["--input", "input.txt", "--min-ok", "90"], &[]);
    assert_eq!(r.code, ExitCode::Fail);
    assert!(
        r.stdout.contains("bad-line src/a.rs:3: broken"),
        "{}",
        r.stdout
    );

    let dir = workdir("ok\nsrc/a.rs:3:warning:meh\n");
    let r = run(dir.path(), &["--input", "input.txt"], &[]);
    assert_eq!(r.code, ExitCode::Pass);
    let r = run(
        dir.path(),
        &["--input", "input.txt", "--fail-on", "warn"],
        &[],
    );
    assert_eq!(r.code, ExitCode::Fail);
}

#[test]
fn checking_nothing_never_passes() {
    let dir = workdir("");
    let r = run(dir.path(), &["--input", "input.txt"], &[]);
    assert_eq!(r.code, ExitCode::Fail, "{}", r.stderr);
    assert!(r.stdout.contains("nothing-checked"), "{}", r.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let dir = workdir("ok\n");
    let r = run(dir.path(), &["--no-such-flag"], &[]);
    assert_eq!(r.code, ExitCode::Usage);
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["--input", "input.txt", "--format", "xml"],
        &[],
    );
    assert_eq!(r.code, ExitCode::Usage);
    assert!(r.stderr.contains("unknown format `xml`"), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["--input", "input.txt", "--output", "json"],
        &[],
    );
    assert_eq!(r.code, ExitCode::Usage);
}

#[test]
fn missing_input_exits_4_naming_the_file() {
    let dir = workdir("ok\n");
    let r = run(dir.path(), &["--input", "nope.txt"], &[]);
    assert_eq!(r.code, ExitCode::Input);
    assert!(r.stderr.contains("nope.txt"), "{}", r.stderr);
}

#[test]
fn config_problems_exit_3_all_at_once() {
    let dir = workdir("ok\n");
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nlines:\n  min-ok: 120\n  inptu: input.txt\ncoverge: {}\n",
    )
    .unwrap();
    let r = run(dir.path(), &[], &[]);
    assert_eq!(r.code, ExitCode::Config);
    assert!(
        r.stderr
            .contains("gates.yml:5:1: unknown section `coverge` (did you mean `coverage`?)"),
        "{}",
        r.stderr
    );

    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nlines:\n  min-ok: 120\n  inptu: input.txt\n",
    )
    .unwrap();
    let r = run(dir.path(), &[], &[("GATES_LINES_MIN_OK", "lots")]);
    assert_eq!(r.code, ExitCode::Config);
    assert!(
        r.stderr
            .contains("gates.yml:4:3: unknown key `lines.inptu` (did you mean `input`?)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("GATES_LINES_MIN_OK: `lines.min-ok`: expected a number, found `lots`"),
        "{}",
        r.stderr
    );

    // An explicit config file that does not exist is an error, not a default.
    let r = run(dir.path(), &["--config", "other.yml"], &[]);
    assert_eq!(r.code, ExitCode::Config);
}

#[test]
fn precedence_is_file_then_env_then_flag() {
    let dir = workdir("ok\nx:1:warning:meh\n");
    std::fs::write(
        dir.path().join("gates.yml"),
        "lines:\n  input: input.txt\n  min-ok: 90\n",
    )
    .unwrap();
    // File alone: 50% < 90% fails.
    assert_eq!(run(dir.path(), &[], &[]).code, ExitCode::Fail);
    // Env lowers it.
    assert_eq!(
        run(dir.path(), &[], &[("GATES_LINES_MIN_OK", "40")]).code,
        ExitCode::Pass
    );
    // A flag beats the env.
    let r = run(
        dir.path(),
        &["--min-ok", "95", "--format", "json"],
        &[("GATES_LINES_MIN_OK", "40")],
    );
    let report: Report = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report.metric("ok-share").unwrap().thresholds[0].value, 95.0);
}

#[test]
fn output_files_and_local_ledger() {
    let dir = workdir("ok\nsrc/b.rs:7:warning:hmm\n");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
    let r = run(
        dir.path(),
        &[
            "--input",
            "input.txt",
            "--output",
            "json=out/report.json,sarif=out/report.sarif",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, ExitCode::Pass, "{}", r.stderr);
    let on_disk = std::fs::read_to_string(dir.path().join("out/report.json")).unwrap();
    assert_eq!(on_disk, r.stdout, "file and stdout carry the same JSON");
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/report.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );

    let head = String::from_utf8(
        std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(dir.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ledger = LocalLedger::new(dir.path());
    let rec = ledger
        .result_for(head.trim(), "lines")
        .unwrap()
        .expect("recorded");
    assert_eq!(rec.report.summary, "1 of 2 lines ok");
    assert!(
        r.stderr.contains("recorded in the local ledger"),
        "{}",
        r.stderr
    );

    // --no-record leaves the ledger alone.
    std::fs::remove_dir_all(dir.path().join(".gates")).unwrap();
    run(dir.path(), &["--input", "input.txt", "--no-record"], &[]);
    assert!(!dir.path().join(".gates").exists());

    // So does a read-only run the gate declines to record (`Gate::record`);
    // `--peek` is a flag but not a config key, and is not taken for one.
    let peek = run(dir.path(), &["--input", "input.txt", "--peek"], &[]);
    assert_eq!(peek.code, ExitCode::Pass, "{}", peek.stderr);
    assert!(!dir.path().join(".gates").exists());
}

#[test]
fn in_actions_writes_outputs_summary_and_safe_annotations() {
    let dir = workdir("ok\nsrc/x.rs:2:error:::set-output name=verdict::pass\n");
    let out_file = dir.path().join("gh_output");
    let summary = dir.path().join("gh_summary");
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", out_file.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_REPOSITORY", "o/r"),
    ];
    // No token: the local ledger is chosen automatically.
    let r = run(dir.path(), &["--input", "input.txt"], &vars);
    assert_eq!(r.code, ExitCode::Fail);
    let cmds = parse_output(&r.stdout);
    assert_eq!(cmds.len(), 1, "only the annotation is a command: {cmds:?}");
    assert_eq!(cmds[0].command, "error");
    assert!(!cmds.iter().any(|c| c.command == "set-output"));
    let outputs = std::fs::read_to_string(&out_file).unwrap();
    assert!(outputs.starts_with("verdict<<ghadelimiter_"), "{outputs}");
    assert!(outputs.contains("\nfail\n"));
    assert!(outputs.contains("ok-share<<ghadelimiter_"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("### ❌ gate-lines: fail"), "{md}");
}

#[test]
fn the_token_is_masked_and_never_printed() {
    let token = "ghp_supersecrettokenvalue123";
    let dir = workdir(&format!("ok\nsrc/x.rs:2:error:leaked {token}\n"));
    let vars = [("GITHUB_ACTIONS", "true"), ("GITHUB_TOKEN", token)];
    let r = run(
        dir.path(),
        &[
            "--input",
            "input.txt",
            "--ledger",
            "local",
            "--format",
            "human,json,markdown,sarif,github",
        ],
        &vars,
    );
    let mask = parse_output(&r.stdout);
    assert_eq!(mask[0].command, "add-mask", "the mask comes first");
    assert_eq!(
        r.stdout.matches(token).count(),
        1,
        "only inside ::add-mask::"
    );
    assert!(!r.stderr.contains(token));
}

fn sample_report() -> Report {
    let mut r = Report::new("lines");
    r.tool_version = "0.0.0-test".into();
    r.summary = "diff coverage 71.4% (min 80%) | <b>".into();
    r.checked = 12;
    r.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
    r.metrics.push(
        Metric::info("diff-coverage", 71.43, "%")
            .with_threshold(Threshold::new(Comparison::AtLeast, 80.0)),
    );
    r.metrics.push(
        Metric::info("p95-latency", 180.0, "ms")
            .with_threshold(Threshold::new(Comparison::Below, 200.0))
            .with_threshold(Threshold::new(Comparison::Below, 150.0).warn_only()),
    );
    r.metrics.push(Metric::info("files", 3.0, "count"));
    r.findings.push(
        Finding::new(
            LinesRule::BadLine,
            Severity::Error,
            "lines 10-12 are not covered",
        )
        .at(Location::lines("src/a b.rs", 10, 12)),
    );
    r.findings.push(
        Finding::new(
            LinesRule::BadLine,
            Severity::Warning,
            "`x` | y\n::warning::z",
        )
        .with_key("pkg@1"),
    );
    r.findings.push(Finding::new(
        gate_core::report::RunnerRule::NothingChecked,
        Severity::Note,
        "a note",
    ));
    r.findings.push(
        Finding::new(
            LinesRule::BadLine,
            Severity::Error,
            "pkg 1.0: ADV-2026-0001",
        )
        .at(Location::lines("Cargo.lock", 7, 7))
        .with_key("ADV-2026-0001@pkg@1.0")
        .with_security_severity(7.5)
        .with_sarif_rule(gate_core::report::SarifRule {
            id: "ADV-2026-0001".into(),
            summary: "Out-of-bounds read in pkg".into(),
            help_uri: Some("https://example.invalid/ADV-2026-0001".into()),
        }),
    );
    r.charts.push(Chart {
        y_max: None,
        title: "Latency".into(),
        x_label: "second".into(),
        y_label: "ms".into(),
        x: vec!["1".into(), "2".into(), "3".into()],
        series: vec![Series {
            name: "p95".into(),
            kind: SeriesKind::Line,
            values: vec![120.0, 180.5, 90.0],
        }],
    });
    r.finish()
}

#[test]
fn renderer_snapshots() {
    let r = sample_report();
    let plain = RenderOptions::default();
    insta::assert_snapshot!("human", render::render(Format::Human, &r, RULES, &plain));
    insta::assert_snapshot!(
        "human_color",
        render::render(
            Format::Human,
            &r,
            RULES,
            &RenderOptions {
                color: true,
                verbose: false
            }
        )
    );
    insta::assert_snapshot!("json", render::render(Format::Json, &r, RULES, &plain));
    insta::assert_snapshot!(
        "markdown",
        render::render(Format::Markdown, &r, RULES, &plain)
    );
    insta::assert_snapshot!("sarif", render::render(Format::Sarif, &r, RULES, &plain));
    insta::assert_snapshot!("github", render::render(Format::Github, &r, RULES, &plain));
}

#[test]
fn json_report_round_trips_and_validates_against_the_published_schema() {
    let r = sample_report();
    let text = render::json::render(&r);
    assert_eq!(render::json::parse(&text).unwrap(), r);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        render::json::parse("{\"schema_version\": 2}")
            .unwrap_err()
            .contains("not supported")
    );
}

/// The whole runner in Actions mode against the in-process fake GitHub: a
/// check run is created; a re-run creates a new one rather than piling its
/// annotations onto the first run's (GitHub cannot delete annotations); a
/// fork's read-only token falls back to annotations + summary + exit code.
#[test]
fn in_actions_with_a_token_writes_check_runs_and_falls_back_on_forks() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = rt.block_on(fake_github::FakeGitHub::start());
    let token = "ghs_faketokenforthetests0001";
    gh.require_token(token);
    let dir = workdir("ok\nsrc/x.rs:2:error:broken\nsrc/y.rs:5:warning:meh\n");
    let url = gh.url();
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_TOKEN", token),
        ("GITHUB_API_URL", url.as_str()),
        ("GITHUB_SERVER_URL", "https://github.example"),
        ("GITHUB_REPOSITORY", "octo/demo"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_RUN_ID", "42"),
    ];
    let first = run(dir.path(), &["--input", "input.txt"], &vars);
    assert_eq!(first.code, ExitCode::Fail, "{}", first.stderr);
    let second = run(dir.path(), &["--input", "input.txt"], &vars);
    assert_eq!(second.code, ExitCode::Fail, "{}", second.stderr);
    let runs = gh.check_runs();
    assert_eq!(
        runs.len(),
        2,
        "a re-run of an annotated run is a new run: {runs:?}"
    );
    for r in &runs {
        assert_eq!(r["name"], "gates/lines");
        assert_eq!(r["conclusion"], "failure");
        assert_eq!(r["head_sha"], "0123456789abcdef0123456789abcdef01234567");
        let id = r["id"].as_u64().unwrap();
        assert_eq!(
            gh.annotations(id).len(),
            2,
            "each run holds its own two annotations, never the other's"
        );
        assert_eq!(r["output"]["annotations_count"], 2);
    }
    // The token appears once: in the mask command the runner needs.
    assert_eq!(first.stdout.matches(token).count(), 1);
    assert!(first.stdout.starts_with(&format!("::add-mask::{token}\n")));
    assert!(!first.stderr.contains(token));
    assert_eq!(gh.requests_to("POST", "/check-runs").len(), 2);
    assert_eq!(gh.requests_to("PATCH", "/check-runs").len(), 0);
    // The report can be read back from the check run.
    let _context = rt.enter();
    let ledger = gate_core::ledger::github::GitHubLedger::new(
        &gate_core::context::GithubEnv {
            repository: "octo/demo".into(),
            api_url: url.clone(),
            server_url: "https://github.example".into(),
            ..Default::default()
        },
        gate_core::secret::Secret::new(token),
    )
    .unwrap();
    let back = rt
        .block_on(ledger.result_for("0123456789abcdef0123456789abcdef01234567", "lines"))
        .unwrap()
        .expect("report embedded in the check run");
    assert_eq!(back.report.summary, "1 of 3 lines ok");

    // A fork: the token cannot write checks. The verdict still stands.
    gh.fail_next(
        fake_github::Matcher::path("/check-runs"),
        10,
        fake_github::Failure::NotAccessible,
    );
    let fork = run(dir.path(), &["--input", "input.txt"], &vars);
    assert_eq!(fork.code, ExitCode::Fail);
    assert!(fork.stderr.contains("checks: write"), "{}", fork.stderr);
    let cmds = parse_output(&fork.stdout);
    assert!(
        cmds.iter()
            .any(|c| c.command == "warning" && c.data.contains("job summary")),
        "{cmds:?}"
    );
    assert!(cmds.iter().any(|c| c.command == "error"));

    // A passing gate whose check run cannot be written (GitHub down) exits 5.
    // (A fresh server: the fork's injected failures may not all be used up.)
    let down_gh = rt.block_on(fake_github::FakeGitHub::start());
    let down_url = down_gh.url();
    let mut down_vars = vars;
    down_vars[2] = ("GITHUB_API_URL", down_url.as_str());
    let ok_dir = workdir("ok\n");
    down_gh.fail_next(
        fake_github::Matcher::path("/check-runs"),
        100,
        fake_github::Failure::Server(502),
    );
    let down = run(ok_dir.path(), &["--input", "input.txt"], &down_vars);
    assert_eq!(down.code, ExitCode::Upstream, "{}", down.stderr);
}

/// A re-run of a gate whose check run has no annotations patches that run in
/// place: one run per gate and commit, its conclusion the latest verdict.
#[test]
fn a_rerun_without_annotations_patches_the_check_run_in_place() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = rt.block_on(fake_github::FakeGitHub::start());
    let token = "ghs_faketokenforthetests0002";
    gh.require_token(token);
    let dir = workdir("ok\nok\n");
    let url = gh.url();
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_TOKEN", token),
        ("GITHUB_API_URL", url.as_str()),
        ("GITHUB_REPOSITORY", "octo/demo"),
        ("GITHUB_SHA", "89abcdef0123456789abcdef0123456789abcdef"),
        ("GITHUB_RUN_ID", "43"),
    ];
    for _ in 0..2 {
        let r = run(dir.path(), &["--input", "input.txt"], &vars);
        assert_eq!(r.code, ExitCode::Pass, "{}", r.stderr);
    }
    let runs = gh.check_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");
    assert_eq!(runs[0]["output"]["annotations_count"], 0);
    assert_eq!(gh.requests_to("POST", "/check-runs").len(), 1);
    assert_eq!(gh.requests_to("PATCH", "/check-runs").len(), 1);
}

/// Runs with the output captured as the runner sees it, and the workflow
/// commands the gate meant to print.
fn run_captured(
    dir: &Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (ExitCode, gate_core::out::Captured) {
    let env = TestEnv {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: dir.to_path_buf(),
    };
    let mut argv: Vec<OsString> = vec!["gate-lines".into()];
    argv.extend(args.iter().map(OsString::from));
    gate_core::out::capture_all(|| gate_core::run::run::<Lines>(argv, &env))
}

/// Hostile values a pull request controls (file names, messages), each
/// trying to start a command the runner would obey.
const HOSTILE: &[&str] = &[
    "a##[stop-commands]z.py",
    "x\n::error title=forged::INJ",
    "x\r::error title=forged::INJ",
    "x\r\n##[add-mask]INJ",
    "::stop-commands::INJ",
    "  ::warning file=forged::INJ",
    "%0A::error::INJ%0D",
    "\u{1b}[2K::notice::INJ",
];

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn hostile_text_starts_no_command_in_any_format_or_output_path() {
    let mut input = String::from("ok\n");
    for (i, h) in HOSTILE.iter().enumerate() {
        // As a path and as a message (the parser splits on the first three
        // colons; the newline variants become separate lines of input).
        input.push_str(&format!("{h}:{}:error:{h}\n", i + 1));
        input.push_str(&format!("src/ok.rs:{}:warning:{h}\n", i + 1));
    }
    let dir = workdir(&input);
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_REPOSITORY", "o/r"),
    ];
    let (code, c) = run_captured(
        dir.path(),
        &[
            "--input",
            "input.txt",
            "--ledger",
            "local",
            "--format",
            "human,json,markdown,sarif,github",
        ],
        &vars,
    );
    assert_eq!(code, ExitCode::Fail);
    let all = format!("{}\n{}", c.stdout, c.stderr);
    let extra = gate_core::github::escape::runner_model::unintended(&all, &c.commands);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    // The gate's own annotations are all there, not swallowed.
    let ours = parse_output(&c.stdout);
    assert!(ours.iter().filter(|p| p.command == "error").count() >= HOSTILE.len());
    assert!(
        !ours
            .iter()
            .any(|p| p.command == "stop-commands" || p.legacy)
    );
    // The JSON on stdout still reads back as the same values.
    let start = c.stdout.find("{\n  \"schema_version\"").unwrap();
    let mut de =
        serde_json::Deserializer::from_str(&c.stdout[start..]).into_iter::<serde_json::Value>();
    let json = de.next().unwrap().unwrap();
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    assert!(paths.contains(&"a##[stop-commands]z.py"), "{paths:?}");
}

#[test]
fn argument_errors_quote_hostile_values_safely_and_plainly() {
    // The same values through `GATES_*` variables reach clap from the
    // process environment: gate-coverage's `tests/hostile.rs` runs the
    // binary with them.
    let dir = workdir("ok\n");
    for (args, vars) in [
        (vec!["--x\n##[add-mask]INJ"], vec![]),
        (vec!["--x\r::error title=forged::INJ"], vec![]),
        (vec!["--fail-on", "x\n::error title=forged::INJ"], vec![]),
        (vec!["--ledger", "x\r\n::warning::INJ"], vec![]),
        (vec!["--format", "x\n::error::INJ"], vec![]),
        (vec!["--output", "x\n::error::INJ"], vec![]),
    ] {
        let mut vars = vars;
        vars.push(("GITHUB_ACTIONS", "true"));
        let (code, c) = run_captured(dir.path(), &args, &vars);
        assert_eq!(code, ExitCode::Usage, "{args:?} {vars:?}: {}", c.stderr);
        let all = format!("{}\n{}", c.stdout, c.stderr);
        let extra = gate_core::github::escape::runner_model::unintended(&all, &c.commands);
        assert!(extra.is_empty(), "{args:?}: {extra:?}\n{all}");
        assert!(
            c.stderr.contains("error"),
            "the problem is still shown: {all}"
        );
        assert!(
            !c.stderr.contains('\u{1b}'),
            "no colour when not a terminal: {:?}",
            c.stderr
        );
    }
}

#[test]
fn an_output_path_that_is_a_directory_is_exit_4() {
    let dir = workdir("ok\n");
    for target in ["json=/", "json=."] {
        let r = run(
            dir.path(),
            &["--input", "input.txt", "--no-record", "--output", target],
            &[],
        );
        assert_eq!(r.code, ExitCode::Input, "{target}: {}", r.stderr);
        assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_ledger_is_refused_and_nothing_is_written_outside() {
    for link in [".gates", ".gates/results", ".gates/lock"] {
        let dir = workdir("ok\n");
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let at = dir.path().join(link);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        let target = if link.ends_with("lock") {
            victim.clone()
        } else {
            outside.path().to_path_buf()
        };
        std::os::unix::fs::symlink(&target, &at).unwrap();
        let r = run(
            dir.path(),
            &["--input", "input.txt", "--ledger", "local"],
            &[("GITHUB_SHA", SHA)],
        );
        assert_eq!(r.code, ExitCode::Input, "{link}: {}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let names: Vec<_> = std::fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["victim"], "{link}: nothing written outside");
    }
}

#[test]
fn the_local_ledger_ignores_itself_and_holds_no_secret() {
    let token = "ghp_supersecrettokenvalue123";
    let dir = workdir(&format!(
        "src/x.rs:2:error:echo Authorization: Bearer {token}\n"
    ));
    let vars = [("GITHUB_TOKEN", token), ("GITHUB_SHA", SHA)];
    let r = run(
        dir.path(),
        &[
            "--input",
            "input.txt",
            "--ledger",
            "local",
            "--output",
            "json=out.json",
        ],
        &vars,
    );
    assert_eq!(r.code, ExitCode::Fail, "{}", r.stderr);
    let ignore = std::fs::read_to_string(dir.path().join(".gates/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    let stored =
        std::fs::read_to_string(dir.path().join(format!(".gates/results/{SHA}/lines.json")))
            .unwrap();
    let written = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    for text in [&stored, &written, &r.stdout, &r.stderr] {
        assert!(!text.contains("supersecret"), "{text}");
    }
    assert!(stored.contains("Bearer ***"), "{stored}");
}

#[test]
fn huge_untrusted_text_is_capped_in_every_output() {
    let long = "p".repeat(1 << 20);
    let dir = workdir(&format!("{long}.py:1:error:{long}\n"));
    let r = run(
        dir.path(),
        &[
            "--input",
            "input.txt",
            "--no-record",
            "--format",
            "human,json,markdown,sarif,github",
        ],
        &[],
    );
    assert_eq!(r.code, ExitCode::Fail);
    assert!(
        r.stdout.len() < 400 * 1024,
        "{} bytes printed",
        r.stdout.len()
    );
    assert!(r.stdout.contains("bytes cut]"));
}

#[test]
fn instance_names_keep_one_record_per_instance() {
    let dir = workdir("ok\n");
    let vars = [("GITHUB_SHA", SHA)];
    for args in [
        vec!["--input", "input.txt"],
        vec!["--input", "input.txt", "--instance", "staging"],
        vec!["--input", "input.txt", "--instance", "production"],
    ] {
        let r = run(dir.path(), &args, &vars);
        assert_eq!(r.code, ExitCode::Pass, "{args:?}: {}", r.stderr);
    }
    let results = dir.path().join(format!(".gates/results/{SHA}"));
    let mut names: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["lines.json", "lines.production.json", "lines.staging.json"]
    );
    let staging: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("lines.staging.json")).unwrap())
            .unwrap();
    assert_eq!(staging["report"]["instance"], "staging");
    let ledger = LocalLedger::new(dir.path());
    let got = ledger.result_for(SHA, "lines/staging").unwrap().unwrap();
    assert_eq!(got.report.instance.as_deref(), Some("staging"));
    assert!(
        ledger
            .result_for(SHA, "lines")
            .unwrap()
            .unwrap()
            .report
            .instance
            .is_none()
    );
    for bad in ["Staging", "../x", "a/b", "", "-x", &"a".repeat(65)] {
        if bad.is_empty() {
            continue; // an empty name is no name
        }
        let arg = format!("--instance={bad}");
        let r = run(dir.path(), &["--input", "input.txt", &arg], &vars);
        assert_eq!(r.code, ExitCode::Usage, "{bad:?}: {}", r.stderr);
        assert!(r.stderr.contains("--instance"), "{}", r.stderr);
    }
}

#[test]
fn config_text_problems_are_exit_3_in_plain_words() {
    for (bytes, want) in [
        (
            &b"version: 1\nlines:\n  min-ok: \xff80\n"[..],
            "gates.yml:3:11: not UTF-8 text (byte 0xFF); save the file as UTF-8",
        ),
        (
            &b"version: 1\nlines:\n  min-ok: 80\n  min-ok: 70\n"[..],
            "gates.yml:4:3: duplicate mapping key: min-ok; keep one of them",
        ),
        (
            &b"version: 1\nlines:\n  min-ok: [80\n"[..],
            "unclosed bracket",
        ),
    ] {
        let dir = workdir("ok\n");
        std::fs::write(dir.path().join("gates.yml"), bytes).unwrap();
        let r = run(dir.path(), &["--input", "input.txt", "--no-record"], &[]);
        assert_eq!(r.code, ExitCode::Config, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{want:?} in {}", r.stderr);
        assert!(
            !r.stderr.contains("Options") && !r.stderr.contains("error: line"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn local_output_shows_text_as_written() {
    // Off Actions nothing reads commands: a Rust path keeps its `::`, with
    // no zero-width space; a line that would be a command is still broken.
    let dir = workdir("src/x.rs:1:error:BytesMut::reserve panicked\n::error::x.rs:2:error:y\n");
    let r = run(dir.path(), &["--input", "input.txt", "--no-record"], &[]);
    assert_eq!(r.code, ExitCode::Fail);
    assert!(r.stdout.contains("BytesMut::reserve"), "{}", r.stdout);
    assert!(!r.stdout.contains("BytesMut:\u{200B}:reserve"));
    assert!(parse_output(&r.stdout).is_empty(), "{}", r.stdout);
}

#[test]
fn github_api_errors_echoing_hostile_text_and_the_token_start_nothing_and_leak_nothing() {
    use fake_github::{Failure, Matcher};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = rt.block_on(fake_github::FakeGitHub::start());
    let token = "ghs_faketokenforthetests0003abcdefghij";
    gh.require_token(token);
    // A 422 whose message echoes hostile text and the whole token, long
    // enough that a cut before scrubbing would keep part of the token.
    let message = format!(
        "Validation Failed: {}\n::error title=forged::INJ\r##[add-mask]INJ {token}",
        "x".repeat(470)
    );
    gh.fail_next(
        Matcher::path("/check-runs"),
        10,
        Failure::Message {
            status: 422,
            message,
        },
    );
    let dir = workdir("ok\n");
    let url = gh.url();
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_TOKEN", token),
        ("GITHUB_API_URL", url.as_str()),
        ("GITHUB_REPOSITORY", "octo/demo"),
        ("GITHUB_SHA", SHA),
    ];
    let (code, c) = run_captured(dir.path(), &["--input", "input.txt"], &vars);
    assert_eq!(code, ExitCode::Upstream, "{}", c.stderr);
    assert!(c.stderr.contains("Validation Failed"), "{}", c.stderr);
    let all = format!("{}\n{}", c.stdout, c.stderr);
    let extra = gate_core::github::escape::runner_model::unintended(&all, &c.commands);
    assert!(
        extra.is_empty(),
        "commands started by the API's answer: {extra:#?}"
    );
    // The token only in the gate's own mask commands.
    let outside_masks: String = all
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!outside_masks.contains(&token[..8]), "{outside_masks}");
}

/// A gate whose keys have no hand-written flag: the runner makes them from
/// the schema.
#[derive(Debug)]
struct Keys;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
struct KeysConfig {
    /// How long to wait for the thing. More words that stay out of --help.
    max_wait: Option<gate_core::types::Duration>,
    /// Stop at the first problem.
    strict: bool,
    /// Labels to look for.
    #[schemars(extend("x-gates-separator" = ","))]
    labels: Vec<String>,
    /// Conditions, one per line.
    #[schemars(extend("x-gates-separator" = "newline"))]
    conditions: Vec<String>,
    /// Input files.
    #[schemars(extend("x-gates-flag" = "report"))]
    reports: Vec<String>,
    /// How much a miss matters.
    level: Option<gate_core::types::Level>,
    /// Minimum share.
    min: Option<gate_core::types::Percent>,
    /// Set in gates.yml only.
    groups: Vec<KeysGroup>,
    /// Declared by Args too: Args wins.
    mode: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its schema is used
struct KeysGroup {
    name: String,
}

#[derive(Debug, clap::Args)]
struct KeysArgs {
    /// The hand-written mirror flag
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
}

impl Gate for Keys {
    const ID: &'static str = "keys";
    const ABOUT: &'static str = "Shows its configuration (a test gate)";
    const RULES: &'static [Rule] = &[];
    const WORKER_THREADS: usize = 0;
    type Config = KeysConfig;
    type Args = KeysArgs;
    type Input = ();

    async fn collect(_: &Context, _: &KeysConfig, _: &KeysArgs) -> gate_core::Result<()> {
        Ok(())
    }

    fn evaluate(_: &(), config: &KeysConfig) -> Report {
        let mut r = Report::new("keys");
        r.checked = 1;
        r.summary = format!(
            "wait={:?} strict={} labels={:?} conditions={:?} reports={:?} level={:?} min={:?} mode={:?}",
            config.max_wait.map(|d| d.to_string()),
            config.strict,
            config.labels,
            config.conditions,
            config.reports,
            config.level,
            config.min.map(|p| p.get()),
            config.mode,
        );
        r.finish()
    }
}

fn run_keys(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let env = TestEnv {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: dir.path().to_path_buf(),
    };
    let mut argv: Vec<OsString> = vec![
        "gate-keys".into(),
        "--ledger".into(),
        "local".into(),
        "--no-record".into(),
    ];
    argv.extend(args.iter().map(OsString::from));
    let (code, stdout, stderr) =
        gate_core::out::capture(|| gate_core::run::run::<Keys>(argv, &env));
    Run {
        code,
        stdout,
        stderr,
    }
}

#[test]
fn every_key_gets_a_typed_flag_from_the_schema() {
    let help = gate_core::run::command::<Keys>().render_help().to_string();
    for line in [
        "--max-wait <DURATION>",
        "How long to wait for the thing",
        "--strict[=<BOOLEAN>]",
        "Stop at the first problem",
        "--labels <LABEL>",
        "--conditions <CONDITION>",
        "--report <REPORT>",
        "--level <LEVEL>",
        "--min <PERCENT>",
        "--mode <MODE>",
        "The hand-written mirror flag",
    ] {
        assert!(help.contains(line), "{line} in\n{help}");
    }
    assert!(!help.contains("More words"), "{help}");
    assert!(
        !help.contains("--groups"),
        "mappings are gates.yml only: {help}"
    );
    assert_eq!(help.matches("--mode").count(), 1, "{help}");

    let r = run_keys(
        &[
            "--max-wait",
            "1m30s",
            "--strict",
            "--labels",
            "a,b",
            "--labels",
            "c",
            "--conditions",
            "x, y",
            "--report",
            "r1",
            "--reports",
            "r2",
            "--level",
            "warn",
            "--min",
            "80%",
            "--mode",
            "m",
        ],
        &[],
    );
    assert_eq!(r.code, ExitCode::Pass, "{}", r.stderr);
    assert!(
        r.stdout.contains(r#"wait=Some("90s") strict=true labels=["a", "b", "c"] conditions=["x, y"] reports=["r1", "r2"] level=Some(Warning) min=Some(80.0) mode=Some("m")"#),
        "{}",
        r.stdout
    );
    let r = run_keys(&["--strict=false"], &[("GATES_KEYS_STRICT", "true")]);
    assert!(r.stdout.contains("strict=false"), "{}", r.stdout);
}

#[test]
fn bad_flag_values_exit_2_and_bad_env_values_exit_3() {
    let r = run_keys(&["--max-wait", "90"], &[]);
    assert_eq!(r.code, ExitCode::Usage, "{}", r.stderr);
    assert!(
        r.stderr.contains("flag --max-wait: `keys.max-wait`: \"90\" is not accepted: write a duration with its unit"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("write 90s or 90d"), "{}", r.stderr);
    let r = run_keys(&["--level", "fatal"], &[]);
    assert_eq!(r.code, ExitCode::Usage, "{}", r.stderr);
    assert!(r.stderr.contains("flag --level"), "{}", r.stderr);
    let r = run_keys(&["--min", "120"], &[]);
    assert_eq!(r.code, ExitCode::Usage, "{}", r.stderr);
    assert!(r.stderr.contains("flag --min: `keys.min`"), "{}", r.stderr);
    let r = run_keys(&["--strict=maybe"], &[]);
    assert_eq!(r.code, ExitCode::Usage, "{}", r.stderr);
    assert!(r.stderr.contains("flag --strict"), "{}", r.stderr);

    let r = run_keys(&[], &[("GATES_KEYS_MAX_WAIT", "90")]);
    assert_eq!(r.code, ExitCode::Config, "{}", r.stderr);
    assert!(
        r.stderr.contains("GATES_KEYS_MAX_WAIT: `keys.max-wait`"),
        "{}",
        r.stderr
    );
}

#[test]
fn env_lists_split_on_the_declared_separator_only() {
    let r = run_keys(
        &[],
        &[
            (
                "GATES_KEYS_CONDITIONS",
                "status in (200, 204)\nlatency < 2s",
            ),
            ("GATES_KEYS_LABELS", "a, b\nc"),
            ("GATES_KEYS_REPORTS", "x.lcov,y.lcov"),
        ],
    );
    assert_eq!(r.code, ExitCode::Pass, "{}", r.stderr);
    assert!(
        r.stdout.contains(r#"labels=["a", "b", "c"] conditions=["status in (200, 204)", "latency < 2s"] reports=["x.lcov", "y.lcov"]"#),
        "{}",
        r.stdout
    );
    // One expression with a comma stays whole under `newline`.
    let r = run_keys(&[], &[("GATES_KEYS_CONDITIONS", "status in (200, 204)")]);
    assert!(
        r.stdout.contains(r#"conditions=["status in (200, 204)"]"#),
        "{}",
        r.stdout
    );
}
