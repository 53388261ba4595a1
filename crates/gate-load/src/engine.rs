//! The load generator: runs a [`Scenario`] and returns a [`LoadResult`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;

use crate::client::{self, Conn, Prepared};
use crate::result::{EndpointStats, GeneratorStats, LoadResult, Second, class};
use crate::scenario::{Model, Scenario};

/// Stops a run early: requests in flight are `interrupted`, the result is
/// what was measured so far. Clone it freely.
#[derive(Clone, Debug)]
pub struct Cancel(Arc<watch::Sender<bool>>);

impl Default for Cancel {
    fn default() -> Self {
        Cancel(Arc::new(watch::Sender::new(false)))
    }
}

impl Cancel {
    pub fn new() -> Self {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once [`Cancel::cancel`] was called.
    pub async fn cancelled(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}

/// Counters a caller may read while a run goes on (live progress).
#[derive(Debug, Default)]
pub struct Live {
    /// Requests completed (response or error).
    pub completed: AtomicU64,
    pub errors: AtomicU64,
    pub dropped: AtomicU64,
    /// p95 latency of the last full second, µs.
    pub last_p95_us: AtomicU64,
    /// Completions in the last full second.
    pub last_rps: AtomicU64,
}

/// Why a scenario could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

/// Runs `scenario` to its end (or until `cancel`).
pub async fn run_scenario(scenario: &Scenario, cancel: &Cancel) -> Result<LoadResult, LoadError> {
    run_scenario_observed(scenario, cancel, Arc::new(Live::default())).await
}

/// [`run_scenario`], updating `live` as requests complete.
pub async fn run_scenario_observed(
    scenario: &Scenario,
    cancel: &Cancel,
    live: Arc<Live>,
) -> Result<LoadResult, LoadError> {
    validate(scenario)?;
    let prepared = scenario
        .endpoints
        .iter()
        .map(Prepared::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(LoadError::Invalid)?;
    let tls = if prepared.iter().any(|p| p.tls) {
        Some(
            client::tls_config(&scenario.extra_ca, scenario.insecure)
                .map_err(LoadError::Invalid)?,
        )
    } else {
        None
    };
    let cpu0 = gate_core::procfs::process_cpu_seconds();
    let start = Instant::now();
    let end = start + scenario.model.duration();
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        tls,
        start,
        end,
        hard_end: end + scenario.graceful_stop,
        budget: scenario.max_requests.map(AtomicU64::new),
        sent: AtomicU64::new(0),
        timeline: Mutex::new(BTreeMap::new()),
        live,
        cancel: cancel.clone(),
        shards: (0..SHARDS)
            .map(|_| Mutex::new(Local::new(&prepared)))
            .collect(),
        prepared,
    });

    let mut lag = LagStats::default();
    let mut dropped = 0u64;
    match &scenario.model {
        Model::Closed { .. } => {
            let users = scenario.model.peak().ceil().max(1.0) as usize;
            closed_threads(shared.clone(), users, io_threads(users)).await;
        }
        Model::Open {
            max_connections,
            pre_allocated,
            ..
        } => {
            let (d, l) = open_dispatch(shared.clone(), *max_connections, *pre_allocated).await;
            dropped = d;
            lag = l;
        }
    }
    let finished = Instant::now();
    let wall = finished.min(end).max(start + Duration::from_millis(1)) - start;
    let cpu_s = match (cpu0, gate_core::procfs::process_cpu_seconds()) {
        (Some(a), Some(b)) => (b - a).max(0.0),
        _ => 0.0,
    };
    // The whole process's CPU over the whole run (grace included).
    let run_s = (finished - start).as_secs_f64().max(1e-3);

    let (overall, endpoints, timeline) = merge_shards(&shared);
    let sent = shared.sent.load(Ordering::Relaxed);
    let generator = generator_stats(cpu_s, run_s, sent, &lag);
    Ok(LoadResult {
        model: scenario.model.name().to_string(),
        duration_s: round3(wall.as_secs_f64()),
        sent,
        dropped,
        overall,
        endpoints,
        timeline,
        generator,
        shards: 1,
    })
}

/// Every shard's statistics merged, per endpoint and overall, and the
/// timeline, once the run is over.
fn merge_shards(
    shared: &Shared,
) -> (
    EndpointStats,
    Vec<EndpointStats>,
    Vec<crate::result::Second>,
) {
    let mut endpoints: Vec<EndpointStats> = shared
        .prepared
        .iter()
        .map(|p| EndpointStats::new(p.endpoint.name.clone()))
        .collect();
    for shard in &shared.shards {
        let eps = match shard.lock() {
            Ok(mut l) => l.finish(shared),
            Err(_) => Vec::new(),
        };
        for (acc, e) in endpoints.iter_mut().zip(&eps) {
            acc.add(e);
        }
    }
    let mut overall = EndpointStats::new("overall");
    for e in &mut endpoints {
        e.refresh();
        overall.add(e);
    }
    let timeline = match shared.timeline.lock() {
        Ok(mut t) => std::mem::take(&mut *t).into_values().collect(),
        Err(_) => Vec::new(),
    };
    (overall, endpoints, timeline)
}

/// What the generator itself did (CPU, schedule lag, memory), and whether
/// that makes the figures unreliable.
fn generator_stats(cpu_s: f64, run_s: f64, sent: u64, lag: &LagStats) -> GeneratorStats {
    let cores = cores();
    let cpu_percent = cpu_s / run_s * 100.0;
    let mut generator = GeneratorStats {
        cpu_seconds: round3(cpu_s),
        cpu_percent: round3(cpu_percent),
        cores,
        max_schedule_lag_ms: round3(lag.max_us as f64 / 1000.0),
        late_sends: lag.late,
        peak_rss_bytes: gate_core::procfs::peak_rss_bytes().unwrap_or(0),
        unreliable: false,
        reasons: Vec::new(),
    };
    if cpu_percent >= 90.0 * f64::from(cores) {
        generator.reasons.push(format!(
            "the process used {:.0}% CPU of {cores} core(s): the generator was saturated",
            cpu_percent
        ));
    }
    if sent > 0 && lag.late * 100 > sent {
        generator.reasons.push(format!(
            "{} of {sent} sends were more than 10 ms late (worst {:.1} ms): the generator could not keep the schedule",
            lag.late,
            lag.max_us as f64 / 1000.0
        ));
    }
    generator.unreliable = !generator.reasons.is_empty();
    generator
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Cores the generator can use: runtime workers, capped by the machine.
fn cores() -> u32 {
    let machine = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let workers = tokio::runtime::Handle::try_current()
        .map(|h| h.metrics().num_workers())
        .unwrap_or(1)
        .max(1);
    workers.min(machine) as u32
}

/// Threads of the closed model: as many as the runtime has workers
/// (capped by the machine and the users), like wrk's `-t`.
fn io_threads(users: usize) -> usize {
    (cores() as usize).clamp(1, users.max(1))
}

/// The closed model as wrk runs it: `threads` OS threads, each with its
/// own single-threaded event loop and a fixed share of the users (user `i`
/// on thread `i % threads`). No work stealing between threads: a thread
/// that runs out of work sleeps in epoll instead of searching the others'
/// queues, so the generator does not keep runnable threads competing with
/// the server for the same cores.
async fn closed_threads(shared: Arc<Shared>, users: usize, threads: usize) {
    let mut joins = Vec::new();
    for t in 0..threads {
        let mine = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("gate-load-{t}"))
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return false;
                };
                rt.block_on(async {
                    let handles: Vec<_> = (t..users)
                        .step_by(threads)
                        .map(|i| tokio::spawn(closed_worker(i, mine.clone())))
                        .collect();
                    join(handles).await;
                });
                true
            });
        match spawned {
            Ok(j) => joins.push(j),
            Err(_) => {
                // No thread: run this share on the caller's runtime.
                let handles: Vec<_> = (t..users)
                    .step_by(threads)
                    .map(|i| tokio::spawn(closed_worker(i, shared.clone())))
                    .collect();
                join(handles).await;
            }
        }
    }
    let _ = tokio::task::spawn_blocking(move || {
        for j in joins {
            let _ = j.join();
        }
    })
    .await;
}

fn validate(s: &Scenario) -> Result<(), LoadError> {
    let bad = |m: String| Err(LoadError::Invalid(m));
    if s.endpoints.is_empty() {
        return bad("no endpoint: give at least one URL".into());
    }
    if let Some(e) = s.endpoints.iter().find(|e| e.weight == 0) {
        return bad(format!("endpoint `{}`: weight must be at least 1", e.name));
    }
    if s.model.duration().is_zero() {
        return bad("the run has no duration: give a duration or stages".into());
    }
    let targets = s.model.stages().iter().map(|st| st.target);
    if targets.clone().any(|t| !t.is_finite() || t < 0.0) {
        return bad("stage targets must be zero or more".into());
    }
    if s.model.peak() <= 0.0 {
        return bad("every stage target is 0: nothing would be sent".into());
    }
    if s.timeout.is_zero() {
        return bad("timeout must be more than 0".into());
    }
    if let Model::Open {
        max_connections, ..
    } = s.model
        && max_connections == 0
    {
        return bad("max-connections must be at least 1".into());
    }
    if let Model::Closed { .. } = s.model
        && s.model.peak() > 100_000.0
    {
        return bad("more than 100000 users".into());
    }
    Ok(())
}

struct Shared {
    scenario: Scenario,
    prepared: Vec<Prepared>,
    tls: Option<Arc<ClientConfig>>,
    start: Instant,
    end: Instant,
    hard_end: Instant,
    budget: Option<AtomicU64>,
    sent: AtomicU64,
    timeline: Mutex<BTreeMap<u32, Second>>,
    live: Arc<Live>,
    cancel: Cancel,
    /// Measurements, sharded: memory does not grow with the number of
    /// connections, and workers rarely contend for a shard.
    shards: Vec<Mutex<Local>>,
}

/// Shards of measurements.
const SHARDS: usize = 8;

impl Shared {
    fn record(&self, worker: usize, ep: usize, outcome: Outcome, from: Instant) {
        if let Some(shard) = self.shards.get(worker % SHARDS)
            && let Ok(mut local) = shard.lock()
        {
            local.record(self, ep, outcome, from);
        }
    }

    /// Takes one request from the budget; false when it is spent.
    fn take(&self) -> bool {
        let ok = match &self.budget {
            None => true,
            Some(b) => b
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
                .is_ok(),
        };
        if ok {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    fn flush(&self, sec: &Second) {
        if sec.requests == 0 {
            return;
        }
        if let Ok(mut t) = self.timeline.lock() {
            t.entry(sec.t)
                .or_insert_with(|| Second::new(sec.t))
                .add(sec);
            // The previous second is (nearly) complete: publish it.
            if let Some(prev) = sec.t.checked_sub(1).and_then(|p| t.get(&p)) {
                self.live
                    .last_p95_us
                    .store(prev.latency.0.value_at_quantile(0.95), Ordering::Relaxed);
                self.live.last_rps.store(prev.requests, Ordering::Relaxed);
            }
        }
    }
}

/// How one request ended.
enum Outcome {
    Response {
        status: u16,
        bytes: u64,
    },
    /// A failure: its class and what happened.
    Error(&'static str, String),
    Interrupted,
}

/// Smooth weighted round robin (nginx's): deterministic, spreads weights evenly.
struct Wrr {
    weights: Vec<i64>,
    current: Vec<i64>,
    total: i64,
}

impl Wrr {
    fn new(weights: impl Iterator<Item = u32>, offset: usize) -> Self {
        let weights: Vec<i64> = weights.map(i64::from).collect();
        let total = weights.iter().sum();
        let mut w = Wrr {
            current: vec![0; weights.len()],
            weights,
            total,
        };
        // Workers start at different points of the cycle.
        for _ in 0..(offset % w.total.max(1) as usize) {
            w.next();
        }
        w
    }

    fn next(&mut self) -> usize {
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.current[i] += self.weights[i];
            if self.current[i] > self.current[best] {
                best = i;
            }
        }
        self.current[best] -= self.total;
        best
    }
}

/// What one worker measured.
struct Local {
    eps: Vec<EndpointStats>,
    sec: Second,
}

impl Local {
    fn new(prepared: &[Prepared]) -> Self {
        Local {
            eps: prepared
                .iter()
                .map(|p| EndpointStats::new(p.endpoint.name.clone()))
                .collect(),
            sec: Second::new(0),
        }
    }

    /// Records an outcome; latency counts from `from`.
    fn record(&mut self, shared: &Shared, ep: usize, outcome: Outcome, from: Instant) {
        let now = Instant::now();
        let Some(e) = self.eps.get_mut(ep) else {
            return;
        };
        let mut error = false;
        let mut latency = None;
        match outcome {
            Outcome::Interrupted => {
                e.interrupted += 1;
                return;
            }
            Outcome::Response { status, bytes } => {
                e.requests += 1;
                *e.statuses.entry(status).or_default() += 1;
                e.bytes_received += bytes;
                let us = now.saturating_duration_since(from).as_micros() as u64;
                if shared.scenario.expected.contains(status) {
                    e.ok += 1;
                    e.latency.record_us(us);
                    latency = Some(us);
                } else {
                    error = true;
                    e.failed_latency.record_us(us);
                    let c = class::status(status);
                    if !e.examples.contains_key(&c) {
                        e.examples
                            .insert(c.clone(), format!("HTTP status {status}"));
                    }
                    *e.errors.entry(c).or_default() += 1;
                }
            }
            Outcome::Error(c, detail) => {
                e.requests += 1;
                error = true;
                let us = now.saturating_duration_since(from).as_micros() as u64;
                e.failed_latency.record_us(us);
                if !e.examples.contains_key(c) {
                    e.examples.insert(c.to_string(), example(&detail));
                }
                *e.errors.entry(c.to_string()).or_default() += 1;
            }
        }
        let t = now.saturating_duration_since(shared.start).as_secs() as u32;
        if t != self.sec.t {
            shared.flush(&self.sec);
            self.sec = Second::new(t);
        }
        self.sec.requests += 1;
        if let Some(us) = latency {
            self.sec.latency.record_us(us);
        }
        shared.live.completed.fetch_add(1, Ordering::Relaxed);
        if error {
            self.sec.errors += 1;
            shared.live.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An open-model arrival for `ep` that found no free connection.
    fn drop_arrival(&mut self, ep: usize) {
        if let Some(e) = self.eps.get_mut(ep) {
            e.dropped += 1;
        }
    }

    fn finish(&mut self, shared: &Shared) -> Vec<EndpointStats> {
        shared.flush(&self.sec);
        self.sec = Second::new(0);
        std::mem::take(&mut self.eps)
    }
}

/// An error's text as an example of its class: one line, at most 300
/// characters (it may quote the server).
fn example(detail: &str) -> String {
    let line: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match line.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// Sends one request on `conn` (connecting when needed) within the
/// request timeout and the end of the run.
async fn exec(shared: &Shared, conn: &mut Option<Conn>, ep: usize) -> Outcome {
    let deadline = Instant::now() + shared.scenario.timeout;
    let cut = shared.hard_end;
    let result = tokio::select! {
        biased;
        _ = shared.cancel.cancelled() => None,
        r = tokio::time::timeout_at(deadline.min(cut), attempt(shared, conn, ep)) => Some(r),
    };
    match result {
        None => {
            *conn = None;
            Outcome::Interrupted
        }
        Some(Ok(o)) => o,
        Some(Err(_)) => {
            *conn = None;
            if cut <= deadline {
                Outcome::Interrupted
            } else {
                Outcome::Error(
                    class::TIMEOUT,
                    format!(
                        "no complete response within {} s",
                        shared.scenario.timeout.as_secs_f64()
                    ),
                )
            }
        }
    }
}

async fn attempt(shared: &Shared, conn: &mut Option<Conn>, ep: usize) -> Outcome {
    let Some(p) = shared.prepared.get(ep) else {
        return Outcome::Error(class::OTHER, "no such endpoint".into());
    };
    let keep_alive = shared.scenario.keep_alive;
    // One retry when a reused connection turns out closed before the
    // request went out (the server closed it while idle): not an error.
    for _ in 0..2 {
        let fresh = match conn {
            Some(c) if !c.sender.is_closed() => false,
            _ => {
                *conn = None;
                match client::connect(p, shared.tls.as_ref()).await {
                    Ok(c) => *conn = Some(c),
                    Err((cls, detail)) => return Outcome::Error(cls, detail),
                }
                true
            }
        };
        let Some(c) = conn.as_mut() else {
            return Outcome::Error(class::OTHER, "no connection".into());
        };
        if let Err(e) = c.sender.ready().await {
            *conn = None;
            if fresh {
                return Outcome::Error(class::CLOSED, client::describe(&e));
            }
            continue;
        }
        match c.sender.send_request(p.request(keep_alive)).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let close = resp
                    .headers()
                    .get(http::header::CONNECTION)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                let bytes = match client::drain(resp.into_body()).await {
                    Ok(n) => n,
                    Err((cls, detail)) => {
                        *conn = None;
                        return Outcome::Error(cls, detail);
                    }
                };
                if close || !keep_alive {
                    *conn = None;
                }
                return Outcome::Response { status, bytes };
            }
            Err(e) => {
                *conn = None;
                if e.is_canceled() && !fresh {
                    continue;
                }
                return Outcome::Error(client::hyper_class(&e), client::describe(&e));
            }
        }
    }
    Outcome::Error(
        class::CLOSED,
        "the connection was closed before the request went out, twice".into(),
    )
}

async fn join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

/// Closed model: user `idx` loops while it is within the stage's target.
async fn closed_worker(idx: usize, shared: Arc<Shared>) {
    // Users start at different points of the weighted cycle.
    let mut wrr = Wrr::new(shared.prepared.iter().map(|p| p.endpoint.weight), idx);
    let mut conn: Option<Conn> = None;
    loop {
        if shared.cancel.is_cancelled() {
            break;
        }
        let now = Instant::now();
        if now >= shared.end {
            break;
        }
        let target = shared.scenario.model.target_at(now - shared.start);
        if (idx as f64) + 1.0 > target + 1e-9 {
            // Not (or no longer) active at this point of the ramp.
            conn = None;
            let wake = (now + Duration::from_millis(5)).min(shared.end);
            tokio::select! {
                _ = shared.cancel.cancelled() => break,
                _ = tokio::time::sleep_until(wake) => continue,
            }
        }
        if !shared.take() {
            break;
        }
        let ep = wrr.next();
        let from = Instant::now();
        let outcome = exec(&shared, &mut conn, ep).await;
        shared.record(idx, ep, outcome, from);
    }
}

struct Job {
    ep: usize,
    intended: Instant,
}

#[derive(Default)]
struct LagStats {
    max_us: u64,
    late: u64,
}

/// Open model: one worker per connection; the dispatcher hands each
/// arrival to an idle worker, or creates one (up to the maximum), or drops it.
/// Idle workers are a stack: the most recently used connection (warm) is
/// reused first, so the pool grows to the real concurrency, not to the
/// number of workers.
async fn open_dispatch(
    shared: Arc<Shared>,
    max_connections: usize,
    pre_allocated: usize,
) -> (u64, LagStats) {
    let idle: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(Vec::new()));
    let mut senders: Vec<mpsc::Sender<Job>> = Vec::new();
    let mut handles = Vec::new();
    let spawn = |id: usize,
                 senders: &mut Vec<mpsc::Sender<Job>>,
                 handles: &mut Vec<tokio::task::JoinHandle<()>>| {
        let (tx, rx) = mpsc::channel::<Job>(1);
        senders.push(tx);
        handles.push(tokio::spawn(open_worker(
            id,
            shared.clone(),
            rx,
            idle.clone(),
        )));
    };
    for id in 0..pre_allocated.min(max_connections) {
        spawn(id, &mut senders, &mut handles);
        if let Ok(mut stack) = idle.lock() {
            stack.push(id);
        }
    }
    let mut wrr = Wrr::new(shared.prepared.iter().map(|p| p.endpoint.weight), 0);
    let mut schedule = Schedule::new(&shared.scenario.model);
    let mut lag = LagStats::default();
    let mut dropped = 0u64;
    for at in schedule.by_ref() {
        let intended = shared.start + Duration::from_secs_f64(at);
        // Timers tick in milliseconds: wake up to 1 ms early rather than late.
        let wake = intended
            .checked_sub(Duration::from_millis(1))
            .unwrap_or(intended);
        if wake > Instant::now() {
            tokio::select! {
                _ = shared.cancel.cancelled() => break,
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        if shared.cancel.is_cancelled() {
            break;
        }
        let now = Instant::now();
        let late = now.saturating_duration_since(intended).as_micros() as u64;
        lag.max_us = lag.max_us.max(late);
        if late > 10_000 {
            lag.late += 1;
        }
        let free = idle.lock().ok().and_then(|mut stack| stack.pop());
        let worker = match free {
            Some(id) => Some(id),
            None if senders.len() < max_connections => {
                let id = senders.len();
                spawn(id, &mut senders, &mut handles);
                Some(id)
            }
            None => None,
        };
        let ep = wrr.next();
        let Some(id) = worker else {
            dropped += 1;
            shared.live.dropped.fetch_add(1, Ordering::Relaxed);
            if let Some(shard) = shared.shards.get(dropped as usize % SHARDS)
                && let Ok(mut local) = shard.lock()
            {
                local.drop_arrival(ep);
            }
            continue;
        };
        if !shared.take() {
            break;
        }
        let job = Job { ep, intended };
        if let Some(tx) = senders.get(id) {
            let _ = tx.try_send(job);
        }
    }
    drop(senders);
    join(handles).await;
    (dropped, lag)
}

async fn open_worker(
    id: usize,
    shared: Arc<Shared>,
    mut jobs: mpsc::Receiver<Job>,
    idle: Arc<Mutex<Vec<usize>>>,
) {
    let mut conn: Option<Conn> = None;
    while let Some(job) = jobs.recv().await {
        let sent = Instant::now();
        let outcome = exec(&shared, &mut conn, job.ep).await;
        // From the intended time (no coordinated omission); a send up to
        // 1 ms early counts from the real send.
        shared.record(id, job.ep, outcome, job.intended.min(sent));
        if let Ok(mut stack) = idle.lock() {
            stack.push(id);
        }
    }
}

/// Arrival times (seconds from the start) of the open model: the rate is
/// integrated per millisecond and arrivals spread evenly inside it.
struct Schedule<'a> {
    model: &'a Model,
    total: f64,
    t: f64,
    acc: f64,
    pending: VecDeque<f64>,
}

impl<'a> Schedule<'a> {
    fn new(model: &'a Model) -> Self {
        Schedule {
            model,
            total: model.duration().as_secs_f64(),
            t: 0.0,
            // The first arrival is at the start.
            acc: 1.0 - 1e-9,
            pending: VecDeque::new(),
        }
    }
}

impl Iterator for Schedule<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        const DT: f64 = 0.001;
        loop {
            if let Some(x) = self.pending.pop_front() {
                return Some(x);
            }
            if self.t >= self.total {
                return None;
            }
            let dt = DT.min(self.total - self.t);
            let rate = self
                .model
                .target_at(Duration::from_secs_f64(self.t + dt / 2.0));
            self.acc += rate * dt;
            let n = self.acc.floor();
            if n >= 1.0 {
                self.acc -= n;
                let n = n as u64;
                for j in 0..n {
                    self.pending
                        .push_back(self.t + dt * (j as f64) / (n as f64));
                }
            }
            self.t += dt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Stage;

    #[test]
    fn weighted_round_robin_follows_weights() {
        let mut w = Wrr::new([3u32, 1].into_iter(), 0);
        let picks: Vec<usize> = (0..8).map(|_| w.next()).collect();
        assert_eq!(picks.iter().filter(|&&i| i == 0).count(), 6);
        assert_eq!(picks.iter().filter(|&&i| i == 1).count(), 2);
    }

    #[test]
    fn schedule_integrates_the_rate() {
        let m = Model::Open {
            start: 100.0,
            stages: vec![
                Stage {
                    duration: Duration::from_secs(2),
                    target: 100.0,
                },
                Stage {
                    duration: Duration::from_secs(2),
                    target: 300.0,
                },
            ],
            max_connections: 1,
            pre_allocated: 1,
        };
        let times: Vec<f64> = Schedule::new(&m).collect();
        // 200 in the constant part, ∫ 100→300 over 2 s = 400 in the ramp.
        assert!((times.len() as i64 - 600).abs() <= 1, "{}", times.len());
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] < 0.001);
        let first_second = times.iter().filter(|&&t| t < 1.0).count();
        assert!((first_second as i64 - 100).abs() <= 1);
    }
}
