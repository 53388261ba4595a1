//! `run::main`: the entry point every gate's `main.rs` calls.
//!
//! Parse arguments → load config → build the context → collect → evaluate →
//! render the requested formats → write the sinks (step outputs, job summary,
//! annotations, the ledger) → map to an exit code.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser};

use crate::config::{self, ConfigFile, Origin, Override};
use crate::context::{Context, GithubEnv};
use crate::error::{GateError, Result};
use crate::exit::ExitCode;
use crate::gate::Gate;
use crate::github::{escape, sinks};
use crate::ledger::{Ledger, LedgerChoice, RecordOutcome, local::LocalLedger};
use crate::out;
use crate::render::{self, Format, RenderOptions};
use crate::report::{Report, Verdict};
use crate::secret::{Masker, Secret};

/// When a warning fails the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Only a `fail` verdict exits 1 (default).
    #[default]
    Error,
    /// A `warn` verdict exits 1 too.
    Warn,
}

/// Colour in human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Options every gate has.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Common options")]
pub struct CommonArgs {
    /// Configuration file [default: gates.yml in the repository root, if present]
    #[arg(
        long,
        env = "GATES_CONFIG",
        hide_env_values = true,
        value_name = "PATH",
        global = true
    )]
    pub config: Option<PathBuf>,

    /// Output formats, comma-separated: human, json, markdown, sarif, github
    /// [default: human; in GitHub Actions human,github]
    #[arg(
        long,
        env = "GATES_FORMAT",
        hide_env_values = true,
        value_delimiter = ',',
        value_name = "FORMATS",
        global = true
    )]
    pub format: Vec<String>,

    /// Also write a format to a file: FORMAT=PATH (repeatable), e.g. json=report.json
    #[arg(
        long,
        env = "GATES_OUTPUT",
        hide_env_values = true,
        value_delimiter = ',',
        value_name = "FORMAT=PATH",
        global = true
    )]
    pub output: Vec<String>,

    /// Exit 1 on `fail` only, or on `warn` too
    #[arg(
        long,
        env = "GATES_FAIL_ON",
        hide_env_values = true,
        value_enum,
        default_value_t,
        global = true
    )]
    pub fail_on: FailOn,

    /// Where state goes: GitHub in Actions with a token, else .gates/ in the repository
    #[arg(
        long,
        env = "GATES_LEDGER",
        hide_env_values = true,
        value_enum,
        default_value_t,
        global = true
    )]
    pub ledger: LedgerChoice,

    /// Do not record the result in the ledger (the gate still does its work: not a dry-run)
    #[arg(long, env = "GATES_NO_RECORD", hide_env_values = true, global = true)]
    pub no_record: bool,

    /// Environment variable that holds the GitHub token
    #[arg(
        long,
        default_value = "GITHUB_TOKEN",
        value_name = "NAME",
        global = true
    )]
    pub token_env: String,

    /// Run as if started in DIR (the repository)
    #[arg(
        short = 'C',
        long = "repo",
        env = "GATES_WORKING_DIRECTORY",
        hide_env_values = true,
        value_name = "DIR",
        global = true
    )]
    pub repo: Option<PathBuf>,

    /// Instance name, when one gate runs more than once per commit (records gates/<gate>/<NAME>)
    // `--instance`, not `--name`: gate-sbom's `--name` names the SBOM's root
    // component, a published flag and config key.
    #[arg(
        long = "instance",
        id = "instance",
        env = "GATES_INSTANCE",
        hide_env_values = true,
        value_name = "NAME",
        global = true
    )]
    pub instance: Option<String>,

    /// Colour in human output
    #[arg(long, value_enum, default_value_t, global = true)]
    pub color: ColorChoice,

    /// Show every finding in human output
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Parser)]
#[command(version, disable_help_subcommand = true, max_term_width = 100)]
struct Cli<A: Args> {
    #[command(flatten)]
    gate: A,
    #[command(flatten)]
    common: CommonArgs,
}

/// One flag per top-level key of the gate's section that `G::Args` does
/// not define itself (same id, `-` read as `_`) and that is not a mapping
/// (mappings are set in `gates.yml` only). Its long name is the key, or the
/// schema's `x-gates-flag` (then the key is an alias too); its help is the
/// first sentence of the key's description; a boolean's `--key` alone means
/// true (`--key=false` says false); a list's flag is repeatable (and split
/// on commas when the key declares `x-gates-separator: ","`). The value
/// goes through the same coercion and schema check as a `GATES_*` value;
/// a bad one is a usage error (exit 2).
fn config_flags<G: Gate>(cmd: &clap::Command) -> Vec<clap::Arg> {
    let taken: BTreeSet<String> = cmd
        .get_arguments()
        .flat_map(|a| {
            let mut names = vec![a.get_id().as_str().to_string()];
            names.extend(a.get_long().map(String::from));
            names.extend(a.get_all_aliases().into_iter().flatten().map(String::from));
            names
        })
        .collect();
    let schema = config::section_schema::<G::Config>();
    let mut out = Vec::new();
    let reserved = ["help", "version"];
    for spec in config::key_specs(&schema) {
        let id = spec.key.replace('-', "_");
        if spec.kind == config::KeyKind::Mapping
            || [&id, &spec.key, &spec.flag]
                .iter()
                .any(|n| taken.contains(*n) || reserved.contains(&n.as_str()))
        {
            continue;
        }
        let mut arg = clap::Arg::new(id)
            .long(spec.flag.clone())
            .help(spec.summary())
            .help_heading(None)
            .value_name(spec.value_name());
        if spec.flag != spec.key && !taken.contains(&spec.key) {
            arg = arg.alias(spec.key.clone());
        }
        arg = match spec.kind {
            config::KeyKind::Bool => arg
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true")
                .action(clap::ArgAction::Set),
            config::KeyKind::List => {
                let a = arg.action(clap::ArgAction::Append);
                if spec.separator.as_deref() == Some(",") {
                    a.value_delimiter(',')
                } else {
                    a
                }
            }
            _ => arg.action(clap::ArgAction::Set),
        };
        out.push(arg);
    }
    out
}

/// The gate's full command (for `--help` snapshots and the docs).
pub fn command<G: Gate>() -> clap::Command {
    let base = Cli::<G::Args>::command();
    let flags = config_flags::<G>(&base);
    let base = base.args(flags);
    // A real key of this gate for the environment example: its first
    // config key that has a flag (not a flag such as `--dry-run`).
    let specs = config::key_specs(&config::section_schema::<G::Config>());
    let example = base
        .get_arguments()
        .filter(|a| !a.is_global_set())
        .find_map(|a| {
            let long = a.get_long()?;
            let spec = specs.iter().find(|s| {
                s.kind != config::KeyKind::Mapping && (s.flag == long || s.key == long)
            })?;
            let value = a
                .get_value_names()
                .and_then(|v| v.first().map(|s| s.to_string()))
                .unwrap_or_else(|| "VALUE".into());
            Some(format!(
                " (e.g. GATES_{}_{}=<{value}>)",
                G::ID.to_ascii_uppercase().replace('-', "_"),
                spec.key.to_ascii_uppercase().replace('-', "_")
            ))
        })
        .unwrap_or_default();
    base.name(format!("gate-{}", G::ID))
        .bin_name(format!("gate-{}", G::ID))
        .about(G::ABOUT)
        .after_help(format!(
            "Every config key can also be set as GATES_<GATE>_<KEY>{example}.\n\
             Exit codes: 0 pass, 1 gate failed, 2 usage, 3 config, 4 input, 5 upstream, 70 internal \
             (docs/exit-codes.md)."
        ))
}

/// Abstracts the process environment, for tests.
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;
    fn vars(&self) -> Vec<(String, String)>;
    fn cwd(&self) -> Result<PathBuf>;
}

/// The real process environment.
#[derive(Debug)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
    fn vars(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }
    fn cwd(&self) -> Result<PathBuf> {
        std::env::current_dir().map_err(|e| GateError::Input(format!("no working directory: {e}")))
    }
}

/// Entry point for `main.rs`: `fn main() -> ExitCode { gate_core::run::main::<MyGate>() }`.
pub fn main<G: Gate>() -> std::process::ExitCode {
    PROCESS_EXITS_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
    let args: Vec<OsString> = std::env::args_os().collect();
    run::<G>(args, &ProcessEnv).into()
}

/// Runs gate `G` with `args` in `env` and returns the exit code.
pub fn run<G: Gate>(args: Vec<OsString>, env: &dyn Env) -> ExitCode {
    let cmd = command::<G>();
    let color_wanted = usage_color(&args, env);
    let matches = match cmd.clone().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    out::stdout(&e.render().to_string());
                    ExitCode::Pass
                }
                _ => {
                    // The text quotes the offending argument as given, which
                    // may be hostile (an action input): `out` masks and
                    // guards it like everything else.
                    let rendered = e.render();
                    let text = if color_wanted {
                        rendered.ansi().to_string()
                    } else {
                        rendered.to_string()
                    };
                    out::stderr(&text);
                    ExitCode::Usage
                }
            };
        }
    };
    let cli = match Cli::<G::Args>::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            out::stderr(&e.render().to_string());
            return ExitCode::Usage;
        }
    };
    let in_actions = env.var("GITHUB_ACTIONS").as_deref() == Some("true");
    let masker = Masker::new(in_actions);
    let code = match run_parsed::<G>(&cli, &cmd, &matches, env, &masker) {
        Ok(code) => code,
        Err(e) => {
            // `out` masks what it prints (diag and the command alike).
            let msg = e.to_string();
            out::diag(G::ID, "error", &msg);
            if in_actions {
                out::workflow_command(&escape::command(
                    "error",
                    &[("title", format!("gate-{}", G::ID))],
                    &msg,
                ));
            }
            e.exit_code()
        }
    };
    // A secret learned after the last line printed is still announced, so
    // the steps that follow mask it too.
    out::announce_masks();
    code
}

/// Whether a usage error may be coloured: only on a terminal, without
/// `NO_COLOR`, and not with `--color never` (the arguments did not parse, so
/// they are looked at as given).
fn usage_color(args: &[OsString], env: &dyn Env) -> bool {
    let mut choice = None;
    let mut it = args.iter().filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--color=") {
            choice = Some(v.to_string());
        } else if a == "--color" {
            choice = it.next().map(str::to_string);
        }
    }
    match choice.as_deref() {
        Some("always") => true,
        Some("never") => false,
        _ => env.var("NO_COLOR").is_none_or(|v| v.is_empty()) && out::stderr_is_tty(),
    }
}

/// Flags given on the command line that may be keys of the gate's config:
/// the gate's own and the generated ones (the common options are not). The
/// origin names the flag as spelt on the command line.
fn flag_overrides(cmd: &clap::Command, matches: &clap::ArgMatches) -> Vec<Override> {
    let common = CommonArgs::augment_args(clap::Command::new("x"));
    let common: BTreeSet<&str> = common
        .get_arguments()
        .map(|a| a.get_id().as_str())
        .collect();
    let mut out = Vec::new();
    for id in matches.ids() {
        let id = id.as_str();
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == id) else {
            continue;
        };
        if common.contains(id) {
            continue;
        }
        if matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let Ok(Some(raw)) = matches.try_get_raw(id) else {
            continue;
        };
        let values: Vec<String> = raw.map(|v| v.to_string_lossy().into_owned()).collect();
        let key = id.replace('_', "-");
        let flag = arg.get_long().map_or_else(|| key.clone(), String::from);
        out.push(Override {
            key,
            values,
            origin: Origin::Flag(flag),
        });
    }
    out
}

/// The git top level containing `dir`, or `dir` itself outside git.
fn repo_root(dir: &Path) -> PathBuf {
    // Read from .git directly when the layout is a plain one (no process).
    if let Ok(found) = crate::gitfs::discover(dir) {
        return found.map_or_else(|| dir.to_path_buf(), |r| r.root);
    }
    let out = crate::git::command(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if s.is_empty() {
                dir.to_path_buf()
            } else {
                PathBuf::from(s)
            }
        }
        _ => dir.to_path_buf(),
    }
}

fn head_commit(dir: &Path) -> Option<String> {
    match crate::gitfs::discover(dir) {
        // Outside any repository (as `repo_root` decides): no commit, and
        // no `git` process to learn it.
        Ok(None) => return None,
        Ok(Some(repo)) => {
            if let Ok(head) = crate::gitfs::head(&repo) {
                return head;
            }
        }
        Err(()) => {}
    }
    let o = crate::git::command(dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
    (o.status.success() && !s.is_empty()).then_some(s)
}

fn parse_outputs(raw: &[String]) -> Result<Vec<(Format, PathBuf)>> {
    raw.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (f, p) = s.split_once('=').ok_or_else(|| {
                GateError::Usage(format!("--output `{s}`: expected FORMAT=PATH, e.g. json=report.json"))
            })?;
            let format = Format::parse(f).ok_or_else(|| {
                GateError::Usage(format!(
                    "--output `{s}`: unknown format `{f}`; use human, json, markdown, sarif or github"
                ))
            })?;
            if p.trim().is_empty() {
                return Err(GateError::Usage(format!("--output `{s}`: the path is empty")));
            }
            Ok((format, PathBuf::from(p)))
        })
        .collect()
}

fn parse_formats(raw: &[String], in_actions: bool) -> Result<Vec<Format>> {
    let mut formats = Vec::new();
    for s in raw
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let f = Format::parse(s).ok_or_else(|| {
            GateError::Usage(format!(
                "--format: unknown format `{s}`; use human, json, markdown, sarif or github"
            ))
        })?;
        if !formats.contains(&f) {
            formats.push(f);
        }
    }
    if formats.is_empty() {
        formats.push(Format::Human);
        if in_actions {
            formats.push(Format::Github);
        }
    }
    Ok(formats)
}

fn run_parsed<G: Gate>(
    cli: &Cli<G::Args>,
    cmd: &clap::Command,
    matches: &clap::ArgMatches,
    env: &dyn Env,
    masker: &Masker,
) -> Result<ExitCode> {
    let common = &cli.common;
    let cwd = env.cwd()?;
    let start_dir = match &common.repo {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => cwd.join(d),
        None => cwd,
    };
    if !start_dir.is_dir() {
        return Err(GateError::Usage(format!(
            "--repo {}: not a directory",
            start_dir.display()
        )));
    }
    let root = repo_root(&start_dir);

    // Configuration: file, then environment, then flags.
    let (config_path, required) = match &common.config {
        Some(p) if p.is_absolute() => (p.clone(), true),
        Some(p) => (start_dir.join(p), true),
        None => (root.join("gates.yml"), false),
    };
    let mut file = ConfigFile::load(&config_path, required, G::ID)?;
    let mut overrides = config::env_overrides(G::ID, env.vars().into_iter());
    overrides.extend(flag_overrides(cmd, matches));
    let cfg: G::Config = file.section_over(G::ID, G::BASE_SECTION, &overrides)?;

    let instance = match common.instance.as_deref().map(str::trim) {
        None | Some("") => G::default_instance(&cli.gate).map(String::from),
        Some(n) => {
            crate::report::check_instance_name(n).map_err(GateError::Usage)?;
            Some(n.to_string())
        }
    };
    let formats = parse_formats(
        &common.format,
        env.var("GITHUB_ACTIONS").as_deref() == Some("true"),
    )?;
    let outputs = parse_outputs(&common.output)?;

    // GitHub facts, token and ledger.
    let get = |k: &str| env.var(k);
    let github = GithubEnv::from_env(&get)?;
    let token = env
        .var(&common.token_env)
        .filter(|t| !t.trim().is_empty())
        .map(|t| Secret::new(t.trim()));
    if let Some(t) = &token {
        masker.add(t);
    }
    // The runtime exists before the GitHub client: octocrab spawns its
    // service tasks on construction.
    let runtime = match G::WORKER_THREADS {
        0 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    }
    .enable_all()
    .build()
    .map_err(|e| GateError::Internal(format!("cannot start the async runtime: {e}")))?;
    let _runtime_context = runtime.enter();
    let ledger = match common.ledger {
        LedgerChoice::Local => Ledger::Local(LocalLedger::new(&root)),
        LedgerChoice::Github => {
            let Some(t) = token.clone() else {
                return Err(GateError::Usage(format!(
                    "--ledger github needs a token in ${} (or name another variable with --token-env)",
                    common.token_env
                )));
            };
            Ledger::GitHub(Box::new(crate::ledger::github::GitHubLedger::new(
                &github, t,
            )?))
        }
        LedgerChoice::Auto => match (&token, github.in_actions && !github.repository.is_empty()) {
            (Some(t), true) => Ledger::GitHub(Box::new(crate::ledger::github::GitHubLedger::new(
                &github,
                t.clone(),
            )?)),
            _ => Ledger::Local(LocalLedger::new(&root)),
        },
    };
    let commit = github
        .head_commit()
        .map(String::from)
        .or_else(|| head_commit(&root));
    let ctx = Context {
        repo_root: root.clone(),
        commit: commit.clone(),
        github,
        token,
        ledger: ledger.with_masker(masker.clone()),
        masker: masker.clone(),
        instance,
    };

    runtime.block_on(finish::<G>(
        &ctx, &cfg, &cli.gate, common, &formats, &outputs, &start_dir,
    ))
}

/// Every finding's rule is one the gate declared (or the runner's own
/// `nothing-checked`): an undeclared id is a bug in the gate, never shipped
/// as a result.
pub fn check_rule_ids(report: &Report, gate: &str, rules: &[crate::report::Rule]) -> Result<()> {
    for f in &report.findings {
        let declared =
            f.rule == crate::report::NOTHING_CHECKED.id || rules.iter().any(|r| r.id == f.rule);
        if !declared {
            return Err(GateError::Internal(format!(
                "gate-{gate} emitted the finding rule `{}`, which it does not declare",
                f.rule
            )));
        }
    }
    Ok(())
}

/// Prints the report in every requested format and writes the `--output`
/// files.
fn render_all<G: Gate>(
    ctx: &Context,
    report: &Report,
    common: &CommonArgs,
    formats: &[Format],
    outputs: &[(Format, PathBuf)],
    start_dir: &Path,
) -> Result<()> {
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            render::human::want_color(out::stdout_is_tty(), &|k| std::env::var(k).ok())
        }
    };
    let opts = RenderOptions {
        color,
        verbose: common.verbose,
    };
    for f in formats {
        let text = render::render(*f, report, G::RULES, &opts);
        if *f == Format::Github {
            // Commands built escaped by `escape::command`, one per line: the
            // only output allowed to start workflow commands.
            text.lines().for_each(out::workflow_command);
        } else {
            out::stdout(&text);
        }
    }
    for (f, path) in outputs {
        let plain = RenderOptions {
            color: false,
            ..opts.clone()
        };
        // The report was redacted above: no secret is left to mask here.
        let text = render::render(*f, report, G::RULES, &plain);
        let path = if path.is_absolute() {
            path.clone()
        } else {
            start_dir.join(path)
        };
        crate::outfile::write(&path, text.as_bytes(), &ctx.repo_root)?;
    }
    Ok(())
}

async fn finish<G: Gate>(
    ctx: &Context,
    cfg: &G::Config,
    args: &G::Args,
    common: &CommonArgs,
    formats: &[Format],
    outputs: &[(Format, PathBuf)],
    start_dir: &Path,
) -> Result<ExitCode> {
    let input = G::collect(ctx, cfg, args).await?;
    let mut report = G::evaluate(&input, cfg);
    report.commit = ctx.commit.clone();
    report.instance = ctx.instance.clone();
    // The runner finishes the report itself (sorted findings, the verdict
    // from metrics and findings): a gate cannot forget to.
    let mut report = report.refuse_if_nothing_checked().finish();
    check_rule_ids(&report, G::ID, G::RULES)?;
    // One place for every output, file, check run and publication: secrets
    // masked in every string, then every string capped (a cut must not
    // leave part of a secret).
    report.redact(&ctx.masker);
    report.cap_texts();

    render_all::<G>(ctx, &report, common, formats, outputs, start_dir)?;

    // Runner sinks.
    let mut upstream: Option<GateError> = None;
    if ctx.github.in_actions {
        if let Some(file) = &ctx.github.output_file {
            let mut outs = vec![("verdict".to_string(), report.verdict.as_str().to_string())];
            outs.extend(G::outputs(&report));
            sinks::write_outputs(file, &outs)?;
        }
        if let Some(file) = &ctx.github.summary_file {
            let md = render::markdown::render(&report);
            sinks::append_summary(file, &md)?;
        }
    }

    // The ledger.
    if !common.no_record && G::record(args) {
        match &ctx.commit {
            None => out::diag(
                G::ID,
                "note",
                "not recorded in the ledger: no commit (not a git repository and no GITHUB_SHA)",
            ),
            Some(commit) => match ctx.ledger.record_result(commit, &report).await {
                Ok(RecordOutcome::Recorded { url }) => {
                    if let (Some(u), Ledger::Local(_)) = (url, &ctx.ledger) {
                        out::diag(G::ID, "note", &format!("recorded in the local ledger: {u}"));
                    }
                }
                Ok(RecordOutcome::Skipped { reason }) => {
                    out::diag(
                        G::ID,
                        "warning",
                        &format!("check run not written: {reason}"),
                    );
                    if ctx.github.in_actions {
                        out::workflow_command(&escape::command(
                            "warning",
                            &[("title", format!("gate-{}: no check run", G::ID))],
                            &format!(
                                "{reason}. The verdict stands in the annotations, the job summary and the exit code."
                            ),
                        ));
                    }
                }
                Err(e) => upstream = Some(e),
            },
        }
        if upstream.is_none()
            && let Err(e) = G::publish(ctx, cfg, &report).await
        {
            upstream = Some(e);
        }
    }

    let verdict_code = match (report.verdict, common.fail_on) {
        (Verdict::Fail, _) | (Verdict::Warn, FailOn::Warn) => ExitCode::Fail,
        _ => ExitCode::Pass,
    };
    // The report is plain data; the input is the gate's and is dropped as
    // usual (it may hold temporary directories, locks or processes).
    drop_unless_exiting(report);
    match upstream {
        // A failed verdict is the more important news.
        Some(e) if verdict_code == ExitCode::Pass => Err(e),
        Some(e) => {
            out::diag(G::ID, "error", &e.to_string());
            Ok(verdict_code)
        }
        None => Ok(verdict_code),
    }
}

/// Renders a report the way the runner would for `format`, for tests of gates.
/// Set by [`main`]: the process exits when [`run`] returns.
static PROCESS_EXITS_AFTER_RUN: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Drops `value`, unless this run is a whole process ([`main`]): then it is
/// left to the exit. Only for plain data: nothing whose `Drop` does
/// something the exit would not (temporary directories, lock files, child
/// processes killed on drop, buffered writers). Freeing a large parsed model (a lockfile's ten
/// thousand small strings) costs a fresh process ~0.4 ms that nothing
/// needs; freeing it on another thread was tried and is slower (it
/// contends with the run for the allocator). In-process runs (the tests)
/// drop as usual.
pub fn drop_unless_exiting<T>(value: T) {
    if PROCESS_EXITS_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// In-process runs for the tests of every gate: the same [`run`], an
/// environment given as a map, and everything printed captured with the
/// workflow commands the gate meant to print (see [`crate::out::Captured`]).
pub mod testing {
    use std::collections::BTreeMap;
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};

    use super::Env;
    use crate::exit::ExitCode;
    use crate::gate::Gate;
    use crate::github::escape::runner_model::{Parsed, unintended};
    use crate::out::Captured;

    /// Values a pull request controls (file, package, header and body
    /// values), each trying to start a workflow command the runner would
    /// obey: line breaks (LF, CR, CRLF), `::` at a line start, `##[`
    /// anywhere, pre-escaped data. Each one that is printed raw starts a
    /// command with the marker `INJ` or `forged`.
    pub const HOSTILE: &[&str] = &[
        "a##[stop-commands]z",
        "::error title=forged::INJ",
        "x\n::error title=forged::INJ",
        "x\r::warning title=forged::INJ",
        "x\r\n##[add-mask]INJ",
        "  ::notice file=forged::INJ",
        "%0A::error::INJ%0D",
        "::stop-commands::INJ",
    ];

    /// A map environment with a working directory.
    #[derive(Debug, Clone, Default)]
    pub struct MapEnv {
        pub vars: BTreeMap<String, String>,
        pub cwd: PathBuf,
    }

    impl Env for MapEnv {
        fn var(&self, key: &str) -> Option<String> {
            self.vars.get(key).cloned()
        }
        fn vars(&self) -> Vec<(String, String)> {
            self.vars.clone().into_iter().collect()
        }
        fn cwd(&self) -> crate::Result<PathBuf> {
            Ok(self.cwd.clone())
        }
    }

    /// Runs gate `G` as `gate-<id> ARGS` in `dir` with `vars`, in process.
    pub fn run<G: Gate>(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> (ExitCode, Captured) {
        let env = MapEnv {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: dir.to_path_buf(),
        };
        let mut argv: Vec<OsString> = vec![format!("gate-{}", G::ID).into()];
        argv.extend(args.iter().map(OsString::from));
        crate::out::capture_all(|| super::run::<G>(argv, &env))
    }

    /// Runs gate `G` under a simulated Actions runner (`GITHUB_ACTIONS`,
    /// step output and summary files in `dir`) with every output format on
    /// stdout, and returns what the runner would have obeyed that the gate
    /// did not mean to print (empty when no input started a command), with
    /// the exit code and the capture.
    pub fn sweep<G: Gate>(
        dir: &Path,
        args: &[&str],
        vars: &[(&str, &str)],
    ) -> (ExitCode, Captured, Vec<Parsed>) {
        let output = dir.join(".gh-output");
        let summary = dir.join(".gh-summary");
        let (o, s) = (output.display().to_string(), summary.display().to_string());
        let mut all_vars = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", o.as_str()),
            ("GITHUB_STEP_SUMMARY", s.as_str()),
        ];
        all_vars.extend_from_slice(vars);
        let mut all_args = args.to_vec();
        all_args.extend(["--format", "human,json,markdown,sarif,github"]);
        let (code, c) = run::<G>(dir, &all_args, &all_vars);
        let printed = format!("{}\n{}", c.stdout, c.stderr);
        let extra = unintended(&printed, &c.commands);
        (code, c, extra)
    }

    /// A command line for gate `gate` written in the docs.
    #[derive(Debug, Clone)]
    pub struct DocCommand {
        pub file: PathBuf,
        pub line: usize,
        pub args: Vec<String>,
    }

    /// Every command line of `gate-<gate>` written in `README.md` and
    /// `docs/**/*.md` under `root`: in code blocks and inline code, as
    /// `gate-x ARGS`, `$ gate-x ARGS` or `cargo run -p gate-x -- ARGS`
    /// (continued lines joined, comments, `…` and what follows a pipe or a
    /// redirection dropped).
    pub fn doc_commands(root: &Path, gate: &str) -> Vec<DocCommand> {
        let mut files = vec![root.join("README.md")];
        let mut dirs = vec![root.join("docs")];
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "md") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let bin = format!("gate-{gate}");
        let mut out = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let lines: Vec<&str> = text.lines().collect();
            let mut in_block = false;
            // In a block that shows a session (`$ cmd`), the other lines are
            // output, not commands.
            let mut session = false;
            let mut i = 0;
            while i < lines.len() {
                let raw = lines[i];
                if raw.trim_start().starts_with("```") {
                    in_block = !in_block;
                    session = in_block
                        && lines[i + 1..]
                            .iter()
                            .take_while(|l| !l.trim_start().starts_with("```"))
                            .any(|l| l.trim_start().starts_with("$ "));
                    i += 1;
                    continue;
                }
                let start = i;
                let mut candidates: Vec<(String, bool)> = Vec::new();
                if in_block {
                    let mut joined = raw.to_string();
                    while joined.trim_end().ends_with('\\') && i + 1 < lines.len() {
                        let t = joined.trim_end();
                        joined = format!("{} {}", &t[..t.len() - 1], lines[i + 1].trim());
                        i += 1;
                    }
                    if !session || joined.trim_start().starts_with("$ ") {
                        candidates.push((joined, false));
                    }
                } else {
                    // Inline code: `gate-x --flag ...`.
                    candidates.extend(
                        raw.split('`')
                            .skip(1)
                            .step_by(2)
                            .map(|c| (c.to_string(), true)),
                    );
                }
                for (c, inline) in candidates {
                    // A listing or a comment starts after a wide gap; a
                    // diagram or a synopsis (`[--flag N]`) is not a command.
                    let c = c.split("   ").next().unwrap_or_default();
                    if c.contains(['─', '►', '│', '┌', '└']) || c.contains(" [-") {
                        continue;
                    }
                    if let Some(args) = command_args(c, &bin)
                        && (!inline || args.iter().any(|a| a.starts_with("--")))
                    {
                        out.push(DocCommand {
                            file: file.clone(),
                            line: start + 1,
                            args,
                        });
                    }
                }
                i += 1;
            }
        }
        out
    }

    fn command_args(text: &str, bin: &str) -> Option<Vec<String>> {
        let words = shell_words(text);
        let at = words.iter().position(|w| w == bin)?;
        // `cargo build -p gate-x` names a package, not a command line;
        // `cargo run -p gate-x -- ARGS` is one.
        let args_from = if at > 0 && words[at - 1] == "-p" {
            if !words[..at].iter().any(|w| w == "run") {
                return None;
            }
            let rest = &words[at + 1..];
            match rest.iter().position(|w| w == "--") {
                Some(dd) if !rest[..dd].iter().any(|w| w == "--example") => at + 1 + dd + 1,
                _ => return None,
            }
        } else if words[..at].iter().all(|w| {
            matches!(w.as_str(), "$" | "time" | "/usr/bin/time" | "-v" | "env") || w.contains('=')
        }) {
            // The binary itself: first, after `$ `, a wrapper or `VAR=x`.
            at + 1
        } else {
            return None;
        };
        let mut args = Vec::new();
        for w in &words[args_from..] {
            if matches!(
                w.as_str(),
                "|" | "&&" | "||" | ";" | ">" | ">>" | "2>" | "<"
            ) || w.starts_with('#')
                || w.starts_with('>')
            {
                break;
            }
            // An elided value stands for one; a trailing `…` for more.
            args.push(if w == "…" || w == "..." {
                "VALUE".to_string()
            } else {
                w.clone()
            });
        }
        while args.last().is_some_and(|a| a == "VALUE") {
            args.pop();
        }
        // A shell variable stands for arguments a parser cannot know.
        if args.iter().any(|a| a.contains('$')) {
            return None;
        }
        Some(args)
    }

    /// Splits like a POSIX shell would, for the simple lines docs hold:
    /// single and double quotes, backslash escapes outside single quotes.
    fn shell_words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut has = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    has = true;
                    for d in chars.by_ref() {
                        if d == '\'' {
                            break;
                        }
                        cur.push(d);
                    }
                }
                '"' => {
                    has = true;
                    while let Some(d) = chars.next() {
                        match d {
                            '"' => break,
                            '\\' => {
                                if let Some(e) = chars.next() {
                                    cur.push(e);
                                }
                            }
                            d => cur.push(d),
                        }
                    }
                }
                '\\' => {
                    if let Some(e) = chars.next() {
                        cur.push(e);
                        has = true;
                    }
                }
                c if c.is_whitespace() => {
                    if has {
                        out.push(std::mem::take(&mut cur));
                        has = false;
                    }
                }
                c => {
                    cur.push(c);
                    has = true;
                }
            }
        }
        if has {
            out.push(cur);
        }
        out
    }

    /// Every documented command line of gate `G` parses with the gate's
    /// flags as they are (returns how many were checked, and the problems:
    /// `file:line: command: error`).
    pub fn check_doc_commands<G: Gate>(root: &Path) -> (usize, Vec<String>) {
        let cmds = doc_commands(root, G::ID);
        let mut problems = Vec::new();
        for c in &cmds {
            let mut argv = vec![format!("gate-{}", G::ID)];
            argv.extend(c.args.iter().cloned());
            if let Err(e) = super::command::<G>().try_get_matches_from(&argv) {
                use clap::error::ErrorKind;
                if !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    problems.push(format!(
                        "{}:{}: gate-{} {}: {first}",
                        c.file.display(),
                        c.line,
                        G::ID,
                        c.args.join(" ")
                    ));
                }
            }
        }
        (cmds.len(), problems)
    }
}
