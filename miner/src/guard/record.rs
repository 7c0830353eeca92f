//! The guard's record in a model store (`guard.json` beside `current`) and publishing through
//! the guard: read the current model's facts, judge, publish or refuse, record.
//!
//! The record lives beside the blobs rather than in the model's metadata: a verdict is about
//! one publication (the same model can be judged against different current models), a refused
//! candidate has no blob to hold it, and the blob format, the model id and the browser's copy
//! of the engine stay as they are.

use std::io;
use std::path::{Path, PathBuf};

use engine::Model;
use serde::{Deserialize, Serialize};
use store::dir::{self, Published};
use store::layout::GUARD;

use super::{Check, DatasetPrint, Decision, Facts, GuardOptions, Ledger, PublishedDataset, judge};

/// The guard's record in a store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardFile {
    /// The comparison that let the current model in.
    #[serde(default)]
    pub published: Option<Check>,
    /// The latest comparison, whatever its outcome (a refusal leaves the current model and
    /// `published` as they were).
    #[serde(default)]
    pub last: Option<Check>,
    /// Every dataset name published to the store, with its content then.
    #[serde(default)]
    pub datasets: Ledger,
}

/// Why publishing through the guard published nothing. The current model stays.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The guard refused the candidate.
    #[error("the publish guard refused the model (--force publishes it anyway):\n{0}")]
    Refused(Box<Check>),
    /// The current model could not be read (other than missing or corrupt, which the guard
    /// notes and publishes over).
    #[error("reading the current model in {}", path.display())]
    Current {
        /// The model directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// Writing the blob or the pointer failed.
    #[error("publishing to {}", path.display())]
    Publish {
        /// The model directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

/// The guard's record in the store `dir`: `None` when there is none. A record that cannot be
/// parsed is an error (the caller decides; publishing starts a new one).
pub fn read(dir: &Path) -> io::Result<Option<GuardFile>> {
    let path = dir.join(GUARD);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Writes the guard's record into `dir` atomically.
pub fn write(dir: &Path, file: &GuardFile) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut text = serde_json::to_string_pretty(file).map_err(io::Error::other)?;
    text.push('\n');
    dir::write_atomic(&dir.join(GUARD), text.as_bytes())
}

/// The current model of `dir`, as facts (its datasets' fingerprints from `ledger`), or `None`
/// with a note when there is none or it cannot be used (a malformed pointer, a missing or
/// corrupt blob: servers do not serve those either, so a good candidate may replace them).
fn current_facts(
    dir: &Path,
    ledger: &Ledger,
) -> Result<(Option<Facts>, Option<String>), GuardError> {
    let error = |source| GuardError::Current {
        path: dir.to_owned(),
        source,
    };
    let blob = match dir::current(dir) {
        Ok(Some(blob)) => blob,
        Ok(None) => return Ok((None, None)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            return Ok((None, Some(format!("the current pointer is malformed: {e}"))));
        }
        Err(e) => return Err(error(e)),
    };
    let bytes = match std::fs::read(&blob) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let note = format!(
                "the current pointer names a missing blob {}",
                blob.display()
            );
            return Ok((None, Some(note)));
        }
        Err(e) => return Err(error(e)),
    };
    match Model::from_blob(&bytes) {
        Ok(model) => {
            let datasets = model
                .metadata()
                .datasets
                .iter()
                .map(|name| match ledger.get(name) {
                    Some(p) => DatasetPrint {
                        name: name.clone(),
                        bytes: p.bytes,
                        xxh3: p.xxh3.clone(),
                    },
                    None => DatasetPrint {
                        name: name.clone(),
                        bytes: 0,
                        xxh3: String::new(),
                    },
                })
                .collect();
            Ok((Some(Facts::of(&model, datasets)), None))
        }
        Err(e) => Ok((
            None,
            Some(format!(
                "the current blob {} is not a valid model: {e}",
                blob.display()
            )),
        )),
    }
}

/// Judges `model` (mined from `datasets`) against the current model of the store `dir` and
/// publishes it when the guard lets it (keeping `keep` blobs), recording the comparison in
/// the store's `guard.json` either way. `at` is the time of the check (RFC 3339).
///
/// The one entry point of publishing a model: `miner mine`, `miner run` and importers call it.
pub fn publish_checked(
    dir: &Path,
    model: &Model,
    datasets: Vec<DatasetPrint>,
    options: &GuardOptions,
    keep: usize,
    at: String,
) -> Result<(Check, Published), GuardError> {
    let mut notes = Vec::new();
    let mut file = match read(dir) {
        Ok(file) => file.unwrap_or_default(),
        Err(e) => {
            let note = format!("the guard's record could not be read ({e}); starting a new one");
            tracing::warn!("{note}");
            notes.push(note);
            GuardFile::default()
        }
    };
    let (current, note) = current_facts(dir, &file.datasets)?;
    notes.extend(note);
    let candidate = Facts::of(model, datasets);
    let verdict = judge(&candidate, current.as_ref(), &file.datasets, options);
    let check = Check {
        at: at.clone(),
        verdict,
        thresholds: options.thresholds,
        candidate,
        current,
        notes,
    };
    let reasons: Vec<String> = check
        .verdict
        .reasons
        .iter()
        .map(ToString::to_string)
        .collect();
    file.last = Some(check.clone());
    match check.verdict.decision {
        Decision::Refused => {
            tracing::warn!(
                model = %check.candidate.model_id,
                reasons = %reasons.join("; "),
                "the publish guard refused the model; nothing published"
            );
            if let Err(e) = write(dir, &file) {
                tracing::warn!(
                    "could not record the refusal in {}: {e}",
                    dir.join(GUARD).display()
                );
            }
            return Err(GuardError::Refused(Box::new(check)));
        }
        Decision::Forced => tracing::warn!(
            model = %check.candidate.model_id,
            reasons = %reasons.join("; "),
            "the publish guard refused the model; publishing it anyway (forced)"
        ),
        Decision::First | Decision::Accepted => tracing::info!(
            model = %check.candidate.model_id,
            decision = %check.verdict.decision,
            "the publish guard accepted the model"
        ),
    }
    let blob = model.blob();
    let published =
        dir::publish(dir, model.id(), &blob, keep).map_err(|source| GuardError::Publish {
            path: dir.to_owned(),
            source,
        })?;
    for d in &check.candidate.datasets {
        file.datasets.insert(
            d.name.clone(),
            PublishedDataset {
                bytes: d.bytes,
                xxh3: d.xxh3.clone(),
                model_id: check.candidate.model_id.clone(),
                at: at.clone(),
            },
        );
    }
    file.published = Some(check.clone());
    // The model is published: a record that cannot be written weakens the next check but
    // does not undo this one.
    if let Err(e) = write(dir, &file) {
        tracing::warn!(
            "could not record the publication in {}: {e}",
            dir.join(GUARD).display()
        );
    }
    Ok((check, published))
}
