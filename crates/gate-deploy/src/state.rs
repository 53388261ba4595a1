//! The environment's state, derived from the ledger alone.
//!
//! Every deploy or rollback is one ledger deployment whose payload names
//! the slot, the release, the artifact digest and the slot it replaces.
//! Its statuses are the transitions; each carries `key=value` tokens in its
//! description (at most 140 characters, as GitHub allows):
//!
//! ```text
//! phase=watch live=green release=v2 detect_ms=.. switch_ms=.. verify_ms=.. recovery_ms=..
//! ```
//!
//! `live=` is what took traffic when the status was written (`live=?` while
//! a switch is under way). The newest deployment whose latest status has a
//! definite `live=` gives the live slot; a newest deployment still
//! `in_progress` with no running owner is an interrupted deploy.

use chrono::{DateTime, Utc};
use gate_core::ledger::{Deployment, DeploymentState};
use serde::{Deserialize, Serialize};

use crate::config::{Slot, UNKNOWN_RELEASE, valid_token};

/// Payload of every deployment gate-deploy and gate-rollback create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// `deploy` or `rollback`.
    pub kind: String,
    /// The slot this deployment puts live.
    pub slot: Slot,
    pub release: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_digest: Option<String>,
    /// The slot that was live before (the one to go back to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_slot: Option<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_release: Option<String>,
    /// The traffic switch used.
    pub switch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
}

/// A slot and what runs in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotRelease {
    pub slot: Slot,
    pub release: String,
}

/// Tokens of a status description.
pub fn tokens(description: &str) -> Vec<(&str, &str)> {
    description
        .split_whitespace()
        .filter_map(|t| t.split_once('='))
        .collect()
}

pub fn token<'a>(description: &'a str, key: &str) -> Option<&'a str> {
    tokens(description)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Builds a status description from tokens, within GitHub's 140 characters
/// (later tokens are dropped first).
pub fn describe(parts: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (k, v) in parts {
        let t = format!("{k}={v}");
        if out.len() + t.len() + 1 > 140 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t);
    }
    out
}

pub fn payload(d: &Deployment) -> Option<Payload> {
    serde_json::from_value(d.payload.clone()).ok()
}

fn terminal(s: DeploymentState) -> bool {
    matches!(
        s,
        DeploymentState::Success
            | DeploymentState::Failure
            | DeploymentState::Error
            | DeploymentState::Inactive
    )
}

/// A deployment that never reached a terminal status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unfinished {
    pub id: u64,
    pub kind: String,
    pub slot: Slot,
    pub release: String,
    /// Last phase recorded (`start`, `wait`, `switch`, `watch`, ...).
    pub phase: String,
    /// What took traffic at its last status (`None`: a switch was under way).
    pub live_at_last_status: Option<Slot>,
    pub previous: Option<SlotRelease>,
    pub created_at: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
}

/// One line of history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub id: u64,
    pub kind: String,
    pub slot: Option<Slot>,
    pub release: Option<String>,
    pub commit: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub log_url: Option<String>,
}

/// What the ledger says about an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvState {
    pub environment: String,
    /// The slot last known to take traffic, with its release.
    pub live: Option<SlotRelease>,
    /// The deployment that made `live` live.
    pub live_since: Option<u64>,
    /// The last known-good slot to roll back to from `live` (what was live
    /// before it), only when that release was verified live (see `verified`).
    pub fallback: Option<SlotRelease>,
    /// What was live before `live` when it is *not* a rollback target: its
    /// release is unknown (the first deploy found it behind the proxy, with
    /// no record) or no deployment in the ledger ever verified it live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverified_fallback: Option<SlotRelease>,
    /// Every slot and release that a deployment of the ledger verified live:
    /// a `success` status (a deploy that passed its watch, a rollback that
    /// passed its verification) naming it as live. Only these are rollback
    /// targets.
    pub verified: Vec<SlotRelease>,
    /// Newer deployments that never finished (runner killed, or running now).
    pub unfinished: Vec<Unfinished>,
    pub history: Vec<HistoryEntry>,
}

/// Derives the state from deployments, newest first. Pure.
pub fn derive(environment: &str, deployments: &[Deployment]) -> EnvState {
    let mut state = EnvState {
        environment: environment.to_string(),
        live: None,
        live_since: None,
        fallback: None,
        unverified_fallback: None,
        verified: verified(deployments),
        unfinished: Vec::new(),
        history: Vec::new(),
    };
    for d in deployments {
        let p = payload(d);
        let last = d.statuses.last();
        state.history.push(HistoryEntry {
            id: d.id,
            kind: p
                .as_ref()
                .map(|p| p.kind.clone())
                .unwrap_or_else(|| "other".into()),
            slot: p.as_ref().map(|p| p.slot),
            release: p.as_ref().map(|p| p.release.clone()),
            commit: d.commit.clone(),
            state: last.map(|s| s.state.as_str().to_string()),
            description: last.and_then(|s| s.description.clone()),
            created_at: d.created_at,
            log_url: last.and_then(|s| s.log_url.clone()),
        });
        if state.live.is_some() {
            continue;
        }
        let Some(p) = p else { continue };
        let finished = last.is_some_and(|s| terminal(s.state));
        if !finished {
            state.unfinished.push(unfinished(d, &p));
            continue;
        }
        // The newest status with a definite live slot.
        let Some(live) = live_of(d, &p) else {
            continue;
        };
        state.live_since = Some(d.id);
        state.fallback = if live.slot == p.slot && p.kind == "deploy" {
            previous(&p)
        } else {
            // A failed deploy: the new slot never stayed live; what was
            // live before it is still the fallback of the live slot.
            None
        };
        state.live = Some(live);
    }
    // A failed deploy does not know the fallback of the slot it left live:
    // take it from the deployment that made that slot live with that release.
    if state.fallback.is_none()
        && let Some(live) = &state.live
    {
        state.fallback = deployments.iter().find_map(|d| {
            let p = payload(d)?;
            let ok = d
                .statuses
                .iter()
                .any(|s| s.state == DeploymentState::Success);
            (ok && p.kind == "deploy" && p.slot == live.slot && p.release == live.release)
                .then(|| previous(&p))
                .flatten()
        });
    }
    // Only a release verified live is a target: never an unknown one.
    if let Some(f) = state.fallback.take() {
        if state.is_verified(&f) {
            state.fallback = Some(f);
        } else {
            state.unverified_fallback = Some(f);
        }
    }
    state
}

/// A deployment with no terminal status, as its last phase left it.
fn unfinished(d: &Deployment, p: &Payload) -> Unfinished {
    let last = d.statuses.last();
    let described = d.statuses.iter().rev().find_map(|s| {
        s.description
            .as_deref()
            .filter(|t| token(t, "phase").is_some())
    });
    Unfinished {
        id: d.id,
        kind: p.kind.clone(),
        slot: p.slot,
        release: p.release.clone(),
        phase: described
            .and_then(|t| token(t, "phase"))
            .unwrap_or("created")
            .to_string(),
        live_at_last_status: described
            .and_then(|t| token(t, "live"))
            .and_then(Slot::parse),
        previous: p.previous_slot.map(|slot| SlotRelease {
            slot,
            release: p.previous_release.clone().unwrap_or_default(),
        }),
        created_at: d.created_at,
        last_update: last.map(|s| s.created_at).unwrap_or(d.created_at),
    }
}

/// What a finished deployment's newest status with a definite `live=` says
/// takes traffic.
fn live_of(d: &Deployment, p: &Payload) -> Option<SlotRelease> {
    let desc = d.statuses.iter().rev().find_map(|s| {
        s.description
            .as_deref()
            .filter(|t| token(t, "live").and_then(Slot::parse).is_some())
    })?;
    let live = token(desc, "live").and_then(Slot::parse)?;
    let release = token(desc, "release").map(String::from).unwrap_or_else(|| {
        if live == p.slot {
            p.release.clone()
        } else {
            p.previous_release.clone().unwrap_or_default()
        }
    });
    Some(SlotRelease {
        slot: live,
        release,
    })
}

/// What a deployment's payload says was live before it (an empty release
/// when it did not record one).
fn previous(p: &Payload) -> Option<SlotRelease> {
    p.previous_slot.map(|slot| SlotRelease {
        slot,
        release: p.previous_release.clone().unwrap_or_default(),
    })
}

/// Whether `release` names a real release (not the unknown marker, not
/// empty, a valid name).
pub fn known_release(release: &str) -> bool {
    release != UNKNOWN_RELEASE && valid_token(release)
}

/// Slots and releases verified live by a `success` status, newest first,
/// each once.
fn verified(deployments: &[Deployment]) -> Vec<SlotRelease> {
    let mut out: Vec<SlotRelease> = Vec::new();
    for d in deployments {
        for s in d.statuses.iter().rev() {
            if s.state != DeploymentState::Success {
                continue;
            }
            let Some(desc) = s.description.as_deref() else {
                continue;
            };
            let (Some(slot), Some(release)) = (
                token(desc, "live").and_then(Slot::parse),
                token(desc, "release"),
            ) else {
                continue;
            };
            let sr = SlotRelease {
                slot,
                release: release.to_string(),
            };
            if known_release(release) && !out.contains(&sr) {
                out.push(sr);
            }
        }
    }
    out
}

/// The release the newest run that may have started something in `slot`
/// put there: a deployment into `slot` that got past its plan phase (a
/// start hook may have run), whatever became of it. `None` when no
/// deployment of the ledger went into `slot`. A slot's release is only
/// proved by the run that started it: a later run's start hook may have
/// replaced it, finished or not.
pub fn started_in(state: &EnvState, slot: Slot) -> Option<String> {
    state.history.iter().find_map(|h| {
        if h.slot != Some(slot) || !matches!(h.kind.as_str(), "deploy" | "rollback") {
            return None;
        }
        let desc = h.description.as_deref();
        // A deployment resolved as interrupted says where it was in `was`.
        let phase = desc
            .and_then(|d| token(d, "was").or_else(|| token(d, "phase")))
            .and_then(crate::machine::Phase::parse);
        // A deployment that never left its plan phase started nothing;
        // an interrupted one is marked `done` by the run that resolved it,
        // and counts (its hook may have run).
        if phase == Some(crate::machine::Phase::Plan) || h.description.is_none() {
            return None;
        }
        h.release.clone()
    })
}

impl EnvState {
    /// Whether `what` is a release some deployment verified live in that
    /// slot (a rollback may put it back).
    pub fn is_verified(&self, what: &SlotRelease) -> bool {
        known_release(&what.release) && self.verified.contains(what)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use gate_core::ledger::DeploymentStatus;

    fn dep(
        id: u64,
        kind: &str,
        slot: &str,
        release: &str,
        prev: Option<(&str, &str)>,
        statuses: &[(DeploymentState, &str)],
    ) -> Deployment {
        let mut payload = serde_json::json!({"kind": kind, "slot": slot, "release": release, "switch": "haproxy"});
        if let Some((s, r)) = prev {
            payload["previous_slot"] = s.into();
            payload["previous_release"] = r.into();
        }
        Deployment {
            id,
            environment: "production".into(),
            commit: "a".repeat(40),
            git_ref: "main".into(),
            description: None,
            payload,
            created_at: Utc::now(),
            statuses: statuses
                .iter()
                .enumerate()
                .map(|(i, (st, d))| DeploymentStatus {
                    id: i as u64,
                    state: *st,
                    description: Some(d.to_string()),
                    log_url: None,
                    environment_url: None,
                    created_at: Utc::now(),
                })
                .collect(),
        }
    }

    use DeploymentState::*;

    #[test]
    fn live_slot_and_fallback_after_a_successful_deploy() {
        let ds = vec![
            dep(
                2,
                "deploy",
                "green",
                "v2",
                Some(("blue", "v1")),
                &[
                    (InProgress, "phase=start live=blue release=v1"),
                    (Success, "phase=done live=green release=v2"),
                ],
            ),
            dep(
                1,
                "deploy",
                "blue",
                "v1",
                None,
                &[
                    (Success, "phase=done live=blue release=v1"),
                    (Inactive, "superseded by deployment 2"),
                ],
            ),
        ];
        let s = derive("production", &ds);
        assert_eq!(
            s.live,
            Some(SlotRelease {
                slot: Slot::Green,
                release: "v2".into()
            })
        );
        assert_eq!(
            s.fallback,
            Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into()
            })
        );
        assert_eq!(s.live_since, Some(2));
        assert!(s.unfinished.is_empty());
        assert_eq!(s.history.len(), 2);
    }

    #[test]
    fn a_rolled_back_deploy_leaves_the_old_slot_live_with_its_own_fallback() {
        let ds = vec![
            dep(
                3,
                "deploy",
                "blue",
                "v3",
                Some(("green", "v2")),
                &[
                    (InProgress, "phase=watch live=blue release=v3"),
                    (
                        Failure,
                        "phase=rolled-back live=green release=v2 recovery_ms=812",
                    ),
                ],
            ),
            dep(
                2,
                "deploy",
                "green",
                "v2",
                Some(("blue", "v1")),
                &[(Success, "phase=done live=green release=v2")],
            ),
            dep(
                1,
                "deploy",
                "blue",
                "v1",
                None,
                &[
                    (Success, "phase=done live=blue release=v1"),
                    (Inactive, "superseded by deployment 2"),
                ],
            ),
        ];
        let s = derive("production", &ds);
        assert_eq!(
            s.live,
            Some(SlotRelease {
                slot: Slot::Green,
                release: "v2".into()
            })
        );
        assert_eq!(
            s.fallback,
            Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into()
            })
        );
    }

    #[test]
    fn an_interrupted_deploy_is_unfinished_and_the_older_state_stays_live() {
        let ds = vec![
            dep(
                2,
                "deploy",
                "green",
                "v2",
                Some(("blue", "v1")),
                &[
                    (InProgress, "phase=start live=blue release=v1"),
                    (InProgress, "phase=switch live=?"),
                ],
            ),
            dep(
                1,
                "deploy",
                "blue",
                "v1",
                None,
                &[(Success, "phase=done live=blue release=v1")],
            ),
        ];
        let s = derive("production", &ds);
        assert_eq!(s.unfinished.len(), 1);
        assert_eq!(s.unfinished[0].phase, "switch");
        assert_eq!(s.unfinished[0].live_at_last_status, None);
        assert_eq!(s.live.as_ref().map(|l| l.slot), Some(Slot::Blue));
        assert_eq!(s.fallback, None);
    }

    #[test]
    fn after_a_rollback_there_is_nothing_older_to_roll_back_to() {
        let ds = vec![
            dep(
                3,
                "rollback",
                "blue",
                "v1",
                Some(("green", "v2")),
                &[(Success, "phase=done live=blue release=v1")],
            ),
            dep(
                2,
                "deploy",
                "green",
                "v2",
                Some(("blue", "v1")),
                &[
                    (Success, "phase=done live=green release=v2"),
                    (Inactive, "superseded"),
                ],
            ),
            dep(
                1,
                "deploy",
                "blue",
                "v1",
                None,
                &[
                    (Success, "phase=done live=blue release=v1"),
                    (Inactive, "superseded"),
                ],
            ),
        ];
        let s = derive("production", &ds);
        assert_eq!(
            s.live,
            Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into()
            })
        );
        assert_eq!(
            s.fallback, None,
            "rolling back again would not go to the bad v2"
        );
    }

    #[test]
    fn descriptions_fit_github_and_parse_back() {
        let d = describe(&[
            ("phase", "done".into()),
            ("live", "green".into()),
            ("release", "a".repeat(64)),
            ("switch_ms", "12".into()),
            ("pad", "x".repeat(60)),
        ]);
        assert!(d.len() <= 140, "{}", d.len());
        assert_eq!(token(&d, "live"), Some("green"));
        assert_eq!(token(&d, "switch_ms"), Some("12"));
        assert_eq!(token(&d, "pad"), None, "dropped to fit");
    }

    /// The issue's ledger: the first deploy found blue live behind the
    /// proxy with no record (`previous_release: "unknown"`, as earlier
    /// releases wrote it), put v1 on green; v2 then failed on blue and was
    /// rolled back to green. blue never ran a release anyone verified.
    fn first_deploy_then_a_rolled_back_one(previous_release: Option<&str>) -> Vec<Deployment> {
        let mut first = dep(
            1,
            "deploy",
            "green",
            "v1",
            Some(("blue", "unknown")),
            &[
                (InProgress, "phase=start live=blue release=unknown"),
                (Success, "phase=done live=green release=v1"),
            ],
        );
        match previous_release {
            Some(r) => first.payload["previous_release"] = r.into(),
            None => {
                first
                    .payload
                    .as_object_mut()
                    .unwrap()
                    .remove("previous_release");
            }
        }
        vec![
            dep(
                2,
                "deploy",
                "blue",
                "v2",
                Some(("green", "v1")),
                &[
                    (InProgress, "phase=watch live=blue release=v2"),
                    (
                        Failure,
                        "phase=rolled-back live=green release=v1 recovery_ms=700",
                    ),
                ],
            ),
            first,
        ]
    }

    #[test]
    fn an_unknown_release_is_never_a_rollback_target() {
        for prev in [Some("unknown"), None, Some("")] {
            let s = derive("staging", &first_deploy_then_a_rolled_back_one(prev));
            assert_eq!(
                s.live,
                Some(SlotRelease {
                    slot: Slot::Green,
                    release: "v1".into()
                })
            );
            assert_eq!(s.fallback, None, "previous_release {prev:?}");
            assert_eq!(
                s.unverified_fallback.as_ref().map(|f| f.slot),
                Some(Slot::Blue)
            );
            assert_eq!(
                s.verified,
                vec![SlotRelease {
                    slot: Slot::Green,
                    release: "v1".into()
                }]
            );
        }
    }

    #[test]
    fn a_release_no_success_verified_is_not_a_target() {
        // v1 on blue only ever failed (never-healthy), then v2 went to
        // green (its payload names blue v1 as what was live).
        let ds = vec![
            dep(
                2,
                "deploy",
                "green",
                "v2",
                Some(("blue", "v1")),
                &[(Success, "phase=done live=green release=v2")],
            ),
            dep(
                1,
                "deploy",
                "blue",
                "v1",
                None,
                &[(Failure, "phase=wait live=? release=-")],
            ),
        ];
        let s = derive("production", &ds);
        assert_eq!(s.fallback, None);
        assert_eq!(
            s.unverified_fallback,
            Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into()
            })
        );
    }
}
