//! The publish guard: whether a newly mined model may replace the current one. This module is
//! pure (facts in, a verdict out); `fingerprint.rs` fingerprints dataset files, `record.rs`
//! keeps the guard's file in the model store and publishes through the guard.
//!
//! A candidate is refused when, compared with the current model, it has far fewer playlists
//! or tracks (under [`Thresholds`] times the current one's), when it has no rule at all, or
//! when one of its datasets was published before under the same name with other content.
//! `force` publishes a refused candidate anyway (recorded as forced). The first model of a
//! store with no current model is always accepted.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub mod fingerprint;
pub mod record;

pub use fingerprint::{fingerprint, fingerprints};
pub use record::{GuardError, GuardFile, publish_checked};

/// The default of both thresholds: a candidate with under half the current model's playlists
/// (or tracks) is refused. The datasets of a rotation are slices of one source of about one
/// size: a candidate below half is a truncated download, a wrong directory or a misread
/// format far more often than a real change, which an operator makes with `--force` or a
/// lower threshold. Garbage is usually far below (the incident that led to the guard: 1
/// playlist against 20,000). Distinct tracks grow more slowly than playlists, so the same
/// share is the looser check on tracks; it catches playlists read whole with their track ids
/// collapsed.
pub const DEFAULT_MIN_RATIO: f64 = 0.5;

/// How much smaller than the current model a candidate may be.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Least share of the current model's playlists, in [0, 1] (0: no check).
    pub min_playlists: f64,
    /// Least share of the current model's tracks, in [0, 1] (0: no check).
    pub min_tracks: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_playlists: DEFAULT_MIN_RATIO,
            min_tracks: DEFAULT_MIN_RATIO,
        }
    }
}

/// The guard's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GuardOptions {
    /// How much smaller a candidate may be.
    pub thresholds: Thresholds,
    /// Publish even when the guard refuses (recorded and logged as forced).
    pub force: bool,
}

impl GuardOptions {
    /// Checks the thresholds (each in [0, 1]).
    pub fn validate(&self) -> Result<(), String> {
        for (flag, value) in [
            ("--guard-min-playlists", self.thresholds.min_playlists),
            ("--guard-min-tracks", self.thresholds.min_tracks),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("{flag} must be within [0, 1], got {value}"));
            }
        }
        Ok(())
    }
}

/// A dataset file's identity: its name and a fingerprint of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetPrint {
    /// The file's name (the label in the model's metadata).
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// XXH3-128 of its bytes (as stored: compressed bytes for `.gz`), 32 hex digits.
    pub xxh3: String,
}

/// What the guard compares of a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The model's id.
    pub model_id: String,
    /// When it was mined.
    pub created_at: String,
    /// Playlists mined.
    pub playlists: u64,
    /// Distinct tracks.
    pub tracks: u64,
    /// Rules.
    pub rules: u64,
    /// Its datasets, with their fingerprints when known (the current model's from the
    /// guard's record of published datasets).
    pub datasets: Vec<DatasetPrint>,
}

impl Facts {
    /// The facts of `model`, mined from `datasets`.
    pub fn of(model: &engine::Model, datasets: Vec<DatasetPrint>) -> Facts {
        let m = model.metadata();
        Facts {
            model_id: m.model_id.clone(),
            created_at: m.created_at.clone(),
            playlists: u64::from(m.playlists),
            tracks: model.track_count() as u64,
            rules: model.rule_count() as u64,
            datasets,
        }
    }
}

/// A dataset as last published: its content then, and the model it went into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedDataset {
    /// Its size in bytes.
    pub bytes: u64,
    /// XXH3-128 of its bytes.
    pub xxh3: String,
    /// The model published from it.
    pub model_id: String,
    /// When.
    pub at: String,
}

/// Every dataset name ever published to a store, with its content then.
pub type Ledger = BTreeMap<String, PublishedDataset>;

/// Why a candidate is refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Far fewer playlists than the current model.
    FewerPlaylists {
        /// The candidate's.
        candidate: u64,
        /// The current model's.
        current: u64,
        /// The threshold.
        min_ratio: f64,
    },
    /// Far fewer tracks than the current model.
    FewerTracks {
        /// The candidate's.
        candidate: u64,
        /// The current model's.
        current: u64,
        /// The threshold.
        min_ratio: f64,
    },
    /// No rule at all: every answer would be popularity fill.
    NoRules,
    /// A dataset was published before under the same name with other content.
    DatasetChanged {
        /// The dataset's name.
        name: String,
        /// Its size and fingerprint now.
        candidate: Content,
        /// Its size and fingerprint when published.
        published: Content,
        /// The model it was published in.
        model_id: String,
        /// When.
        at: String,
    },
}

/// A file's size and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// Size in bytes.
    pub bytes: u64,
    /// XXH3-128 of the bytes.
    pub xxh3: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::FewerPlaylists {
                candidate,
                current,
                min_ratio,
            } => write!(
                f,
                "{candidate} playlists, under {min_ratio} × the current model's {current} \
                 (--guard-min-playlists)"
            ),
            Reason::FewerTracks {
                candidate,
                current,
                min_ratio,
            } => write!(
                f,
                "{candidate} tracks, under {min_ratio} × the current model's {current} \
                 (--guard-min-tracks)"
            ),
            Reason::NoRules => f.write_str("no rules: every answer would be popularity fill"),
            Reason::DatasetChanged {
                name,
                candidate,
                published,
                model_id,
                at,
            } => write!(
                f,
                "dataset {name} was published on {at} (model {model_id}) with other content \
                 ({} bytes, xxh3 {}; now {} bytes, xxh3 {})",
                published.bytes, published.xxh3, candidate.bytes, candidate.xxh3
            ),
        }
    }
}

/// What the guard decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// No current model to compare with: accepted.
    First,
    /// Nothing implausible: accepted.
    Accepted,
    /// Implausible: not published.
    Refused,
    /// Implausible, published anyway with `force`.
    Forced,
}

impl Decision {
    /// Whether the candidate is published.
    pub fn publishes(self) -> bool {
        self != Decision::Refused
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::First => "accepted (no current model)",
            Decision::Accepted => "accepted",
            Decision::Refused => "refused",
            Decision::Forced => "forced (refused, published with --force)",
        })
    }
}

/// The decision and its reasons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// What was decided.
    pub decision: Decision,
    /// Why it would be refused (empty when accepted).
    pub reasons: Vec<Reason>,
}

/// Judges `candidate` against the `current` model (`None`: the store has none) and the
/// datasets published before.
pub fn judge(
    candidate: &Facts,
    current: Option<&Facts>,
    ledger: &Ledger,
    options: &GuardOptions,
) -> Verdict {
    let Some(current) = current else {
        return Verdict {
            decision: Decision::First,
            reasons: Vec::new(),
        };
    };
    let mut reasons = Vec::new();
    let t = options.thresholds;
    let below = |new: u64, old: u64, ratio: f64| (new as f64) < ratio * old as f64;
    if below(candidate.playlists, current.playlists, t.min_playlists) {
        reasons.push(Reason::FewerPlaylists {
            candidate: candidate.playlists,
            current: current.playlists,
            min_ratio: t.min_playlists,
        });
    }
    if below(candidate.tracks, current.tracks, t.min_tracks) {
        reasons.push(Reason::FewerTracks {
            candidate: candidate.tracks,
            current: current.tracks,
            min_ratio: t.min_tracks,
        });
    }
    if candidate.rules == 0 {
        reasons.push(Reason::NoRules);
    }
    for d in &candidate.datasets {
        if let Some(p) = ledger.get(&d.name)
            && (p.xxh3 != d.xxh3 || p.bytes != d.bytes)
        {
            reasons.push(Reason::DatasetChanged {
                name: d.name.clone(),
                candidate: Content {
                    bytes: d.bytes,
                    xxh3: d.xxh3.clone(),
                },
                published: Content {
                    bytes: p.bytes,
                    xxh3: p.xxh3.clone(),
                },
                model_id: p.model_id.clone(),
                at: p.at.clone(),
            });
        }
    }
    let decision = match (reasons.is_empty(), options.force) {
        (true, _) => Decision::Accepted,
        (false, false) => Decision::Refused,
        (false, true) => Decision::Forced,
    };
    Verdict { decision, reasons }
}

/// One comparison, as the guard's record keeps it and `miner inspect` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// When.
    pub at: String,
    /// The decision and its reasons.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The thresholds in force.
    pub thresholds: Thresholds,
    /// The model that would replace the current one.
    pub candidate: Facts,
    /// The current model it was compared with (`None`: none, or unreadable; see `note`).
    pub current: Option<Facts>,
    /// Anything unusual about the comparison (an unreadable current model or record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl fmt::Display for Check {
    /// A few lines: the decision, the two models side by side, the reasons.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.candidate;
        writeln!(f, "guard {} at {}", self.verdict.decision, self.at)?;
        let side = |m: &Facts| {
            const SHOWN: usize = 3;
            let mut names: Vec<&str> = m
                .datasets
                .iter()
                .take(SHOWN)
                .map(|d| d.name.as_str())
                .collect();
            let more = format!("and {} more", m.datasets.len().saturating_sub(SHOWN));
            if m.datasets.len() > SHOWN {
                names.push(&more);
            }
            format!(
                "model {}  playlists {}  tracks {}  rules {}  datasets {}",
                m.model_id,
                m.playlists,
                m.tracks,
                m.rules,
                names.join(", ")
            )
        };
        writeln!(f, "  candidate {}", side(c))?;
        match &self.current {
            Some(current) => writeln!(f, "  current   {}", side(current))?,
            None => writeln!(f, "  current   none")?,
        }
        writeln!(
            f,
            "  thresholds: playlists {} × current, tracks {} × current",
            self.thresholds.min_playlists, self.thresholds.min_tracks
        )?;
        for r in &self.verdict.reasons {
            writeln!(f, "  reason: {r}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(playlists: u64, tracks: u64, rules: u64, datasets: &[(&str, &str)]) -> Facts {
        Facts {
            model_id: format!("m{playlists}-{tracks}-{rules}"),
            created_at: "2026-12-01T00:00:00Z".into(),
            playlists,
            tracks,
            rules,
            datasets: datasets
                .iter()
                .map(|(name, hash)| DatasetPrint {
                    name: (*name).into(),
                    bytes: 10,
                    xxh3: (*hash).into(),
                })
                .collect(),
        }
    }

    fn ledger(entries: &[(&str, &str)]) -> Ledger {
        entries
            .iter()
            .map(|(name, hash)| {
                (
                    (*name).to_owned(),
                    PublishedDataset {
                        bytes: 10,
                        xxh3: (*hash).into(),
                        model_id: "old".into(),
                        at: "2026-11-30T00:00:00Z".into(),
                    },
                )
            })
            .collect()
    }

    /// Judges with the default thresholds, `force` as given; returns the decision and the
    /// reasons' kinds.
    fn check(
        candidate: &Facts,
        current: Option<&Facts>,
        ledger: &Ledger,
        force: bool,
        expect: (Decision, &[&str]),
    ) {
        let options = GuardOptions {
            force,
            ..GuardOptions::default()
        };
        let verdict = judge(candidate, current, ledger, &options);
        let kinds: Vec<String> = verdict
            .reasons
            .iter()
            .map(|r| serde_json::to_value(r).expect("serialises")["kind"].to_string())
            .map(|k| k.trim_matches('"').to_owned())
            .collect();
        assert_eq!(
            (verdict.decision, kinds.as_slice()),
            (
                expect.0,
                &expect.1.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]
            )
        );
    }

    #[test]
    fn the_first_model_is_always_accepted() {
        check(
            &facts(1, 1, 0, &[("a.csv", "x")]),
            None,
            &ledger(&[("a.csv", "y")]),
            false,
            (Decision::First, &[]),
        );
    }

    #[test]
    fn far_smaller_or_ruleless_candidates_are_refused() {
        let good = facts(20_000, 40_000, 900, &[]);
        check(
            &facts(20_000, 40_000, 800, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (Decision::Accepted, &[]),
        );
        // Exactly half is enough; just under is not.
        check(
            &facts(10_000, 20_000, 800, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (Decision::Accepted, &[]),
        );
        check(
            &facts(9_999, 20_000, 800, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (Decision::Refused, &["fewer_playlists"]),
        );
        check(
            &facts(10_000, 19_999, 800, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (Decision::Refused, &["fewer_tracks"]),
        );
        check(
            &facts(1, 1, 0, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (
                Decision::Refused,
                &["fewer_playlists", "fewer_tracks", "no_rules"],
            ),
        );
        check(
            &facts(1, 1, 0, &[]),
            Some(&good),
            &Ledger::new(),
            true,
            (
                Decision::Forced,
                &["fewer_playlists", "fewer_tracks", "no_rules"],
            ),
        );
        // Larger is always fine.
        check(
            &facts(90_000, 90_000, 1, &[]),
            Some(&good),
            &Ledger::new(),
            false,
            (Decision::Accepted, &[]),
        );
    }

    #[test]
    fn a_dataset_name_published_with_other_content_is_refused() {
        let good = facts(100, 100, 10, &[("ds1.csv", "aaaa")]);
        let published = ledger(&[("ds1.csv", "aaaa"), ("ds2.csv", "bbbb")]);
        check(
            &facts(100, 100, 10, &[("ds1.csv", "aaaa")]),
            Some(&good),
            &published,
            false,
            (Decision::Accepted, &[]),
        );
        check(
            &facts(100, 100, 10, &[("ds2.csv", "bbbb")]),
            Some(&good),
            &published,
            false,
            (Decision::Accepted, &[]),
        );
        check(
            &facts(100, 100, 10, &[("ds3.csv", "cccc")]),
            Some(&good),
            &published,
            false,
            (Decision::Accepted, &[]),
        );
        check(
            &facts(100, 100, 10, &[("ds2.csv", "cccc")]),
            Some(&good),
            &published,
            false,
            (Decision::Refused, &["dataset_changed"]),
        );
    }

    #[test]
    fn zero_thresholds_turn_the_size_checks_off() {
        let options = GuardOptions {
            thresholds: Thresholds {
                min_playlists: 0.0,
                min_tracks: 0.0,
            },
            force: false,
        };
        let verdict = judge(
            &facts(1, 1, 1, &[]),
            Some(&facts(1000, 1000, 10, &[])),
            &Ledger::new(),
            &options,
        );
        assert_eq!(verdict.decision, Decision::Accepted);
        for bad in [-0.1, 1.5, f64::NAN] {
            let options = GuardOptions {
                thresholds: Thresholds {
                    min_playlists: bad,
                    min_tracks: 0.5,
                },
                force: false,
            };
            assert!(options.validate().is_err(), "{bad}");
        }
    }
}
