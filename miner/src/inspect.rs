//! `miner inspect`: a model's metadata, counts and top rules, and for a model directory what
//! the publish guard compared last, shown as text or as JSON.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use engine::{Metadata, Model, TrackId};

use crate::guard::GuardFile;
use serde::Serialize;

/// What `miner inspect` shows: text through `Display`, JSON through `Serialize`.
///
/// The fields are in alphabetical order, the order the JSON keys have always had.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    /// Distinct antecedents.
    pub antecedents: usize,
    /// The blob's size.
    pub bytes: usize,
    /// For a model directory: the publish guard's record (the comparison that let the current
    /// model in, the latest one, the datasets published), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardRecord>,
    /// How and from what the model was mined.
    #[serde(serialize_with = "keys_sorted")]
    pub metadata: Metadata,
    /// The blob file.
    pub path: PathBuf,
    /// Rules.
    pub rules: usize,
    /// The rules with the highest confidence (then lift), best first.
    pub top_rules: Vec<TopRule>,
    /// Tracks.
    pub tracks: usize,
}

/// The publish guard's record as `miner inspect` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum GuardRecord {
    /// The record.
    Found(Box<GuardFile>),
    /// The record could not be read.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// One of the top rules. JSON names tracks by URI, the text by name and artist.
#[derive(Clone, Debug, Serialize)]
pub struct TopRule {
    /// The antecedent's URIs.
    pub antecedent: Vec<String>,
    /// Support count of the antecedent.
    pub antecedent_count: u32,
    /// Confidence, as the model stores it.
    #[serde(serialize_with = "widened")]
    pub confidence: f32,
    /// The consequent's URI.
    pub consequent: String,
    /// Support count of the antecedent with the consequent.
    pub count: u32,
    /// Lift, as the model stores it.
    #[serde(serialize_with = "widened")]
    pub lift: f32,
    /// The antecedent's tracks as `name (artist)`.
    #[serde(skip)]
    pub antecedent_names: Vec<String>,
    /// The consequent as `name (artist)`.
    #[serde(skip)]
    pub consequent_name: String,
}

/// Why a model could not be inspected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The model directory's `current` pointer could not be read.
    #[error(transparent)]
    Current(io::Error),
    /// The model directory has no `current` pointer.
    #[error("{}: no current model (no `current` pointer)", dir.display())]
    NoCurrent {
        /// The model directory.
        dir: PathBuf,
    },
    /// The blob could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The blob file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The blob is not a valid model.
    #[error("decoding {}", path.display())]
    Decode {
        /// The blob file.
        path: PathBuf,
        /// What is wrong with it.
        source: engine::DecodeError,
    },
}

/// Inspects the blob at `path`, or a model directory's current blob, showing the `top` rules
/// by confidence.
pub fn inspect(path: &Path, top: usize) -> Result<Inspection, InspectError> {
    let guard = path
        .is_dir()
        .then(|| crate::guard::record::read(&store::Store::Dir(path.to_owned())))
        .and_then(|r| match r {
            Ok(file) => file.map(|f| GuardRecord::Found(Box::new(f))),
            Err(error) => Some(GuardRecord::Unreadable { error }),
        });
    let path = if path.is_dir() {
        store::dir::current(path)
            .map_err(InspectError::Current)?
            .ok_or_else(|| InspectError::NoCurrent {
                dir: path.to_owned(),
            })?
    } else {
        path.to_owned()
    };
    let bytes = std::fs::read(&path).map_err(|source| InspectError::Read {
        path: path.clone(),
        source,
    })?;
    let model = Model::from_blob(&bytes).map_err(|source| InspectError::Decode {
        path: path.clone(),
        source,
    })?;
    let mut rules: Vec<engine::Rule<'_>> = model.rules().collect();
    rules.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.lift.total_cmp(&a.lift))
    });
    rules.truncate(top);
    let uri = |t: TrackId| model.track(t).uri.to_owned();
    let name = |t: TrackId| {
        let t = model.track(t);
        format!("{} ({})", t.name, t.artist)
    };
    let top_rules = rules
        .iter()
        .map(|r| TopRule {
            antecedent: r.antecedent.iter().map(uri).collect(),
            antecedent_count: r.antecedent_count,
            confidence: r.confidence,
            consequent: uri(r.consequent),
            count: r.count,
            lift: r.lift,
            antecedent_names: r.antecedent.iter().map(name).collect(),
            consequent_name: name(r.consequent),
        })
        .collect();
    Ok(Inspection {
        antecedents: model.antecedent_count(),
        bytes: bytes.len(),
        guard,
        metadata: model.metadata().clone(),
        path,
        rules: model.rule_count(),
        top_rules,
        tracks: model.track_count(),
    })
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metadata;
        writeln!(f, "{} ({} bytes)", self.path.display(), self.bytes)?;
        writeln!(f, "model      {}", m.model_id)?;
        writeln!(f, "created    {}", m.created_at)?;
        writeln!(f, "datasets   {}", m.datasets.join(", "))?;
        writeln!(f, "playlists  {}", m.playlists)?;
        writeln!(f, "support    {} (count {})", m.min_support, m.min_count)?;
        writeln!(f, "confidence {}", m.min_confidence)?;
        writeln!(f, "max len    {}", m.max_len)?;
        writeln!(f, "miner      {}", m.miner_version)?;
        writeln!(
            f,
            "tracks {}  antecedents {}  rules {}",
            self.tracks, self.antecedents, self.rules
        )?;
        match &self.guard {
            None => {}
            Some(GuardRecord::Unreadable { error }) => {
                writeln!(f, "publish guard: record unreadable: {error}")?;
            }
            Some(GuardRecord::Found(record)) => {
                let published = record.published.as_ref();
                if let Some(check) = published.filter(|c| c.candidate.model_id == m.model_id) {
                    write!(f, "publish guard, when this model was published: {check}")?;
                }
                if let Some(last) = record.last.as_ref().filter(|&l| Some(l) != published) {
                    write!(f, "publish guard, last check: {last}")?;
                }
            }
        }
        writeln!(f, "top {} rules by confidence:", self.top_rules.len())?;
        for r in &self.top_rules {
            writeln!(
                f,
                "  {} -> {}  confidence {:.3}  lift {:.2}  support {}/{}",
                r.antecedent_names.join(" + "),
                r.consequent_name,
                r.confidence,
                r.lift,
                r.count,
                r.antecedent_count
            )?;
        }
        Ok(())
    }
}

/// The metadata as a JSON object with its keys sorted, as `miner inspect --json` has always
/// printed it.
fn keys_sorted<S: serde::Serializer>(m: &Metadata, s: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(m)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

/// An `f32` score written as the `f64` it converts to exactly, as `miner inspect --json` has
/// always printed it (`0.6666666865348816`, not `0.6666667`).
fn widened<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(*x))
}
