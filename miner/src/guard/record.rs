//! The guard's record in a model store (`guard.json` beside `current`) and publishing through
//! the guard: read the current model's facts, judge, publish or refuse, record.
//!
//! The record lives beside the blobs rather than in the model's metadata: a verdict is about
//! one publication (the same model can be judged against different current models), a refused
//! candidate has no blob to hold it, and the blob format, the model id and the browser's copy
//! of the engine stay as they are.

use bytes::Bytes;
use engine::Model;
use serde::{Deserialize, Serialize};
use store::layout::GUARD;
use store::{Published, Store, StoreError};

use crate::publish::{self, Base};

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
    #[error("reading the current model: {0}")]
    Current(Box<StoreError>),
    /// Writing the blob or the pointer failed, or another publisher got there first.
    #[error("publishing: {0}")]
    Publish(Box<StoreError>),
}

/// The guard's record in `store`: `None` when there is none. A record that cannot be read
/// or parsed is an error (the caller decides; publishing starts a new one).
pub fn read(store: &Store) -> Result<Option<GuardFile>, String> {
    let Some(bytes) = publish::block_on(store.read_optional(GUARD)).map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("{}/{GUARD}: {e}", store.describe()))
}

/// Replaces the guard's record in `store` whole (atomically in a directory).
pub fn write(store: &Store, file: &GuardFile) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(file).map_err(|e| e.to_string())?;
    text.push('\n');
    publish::block_on(store.write_record(GUARD, Bytes::from(text))).map_err(|e| e.to_string())
}

/// The current model of `store` (the one `base` found; its blob read at most once per run),
/// as facts (its datasets' fingerprints from `ledger`), or `None` with a note when there is
/// none or it cannot be used (a missing or corrupt blob: servers do not serve those either,
/// so a good candidate may replace them; a malformed pointer fails the run's first read).
fn current_facts(
    store: &Store,
    base: &mut Base,
    ledger: &Ledger,
) -> Result<(Option<Facts>, Option<String>), GuardError> {
    let Some(pointer) = base.pointer.clone() else {
        return Ok((None, None));
    };
    let blob = format!("{}/{pointer}", store.describe());
    let bytes = match base.current_blob(store) {
        Ok(Some(b)) => b,
        Ok(None) => {
            let note = format!("the current pointer names a missing blob {blob}");
            return Ok((None, Some(note)));
        }
        Err(e) => return Err(GuardError::Current(Box::new(e))),
    };
    match Model::from_blob(bytes) {
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
            Some(format!("the current blob {blob} is not a valid model: {e}")),
        )),
    }
}

/// Judges `model` (mined from `datasets`) against the current model `base` found in `store`
/// and publishes it when the guard lets it (keeping `keep` blobs; only if the pointer is
/// still as `base` found it, see [`store::Store::publish`]), recording the comparison in the
/// store's `guard.json` either way. `at` is the time of the check (RFC 3339). The pointer is
/// not read again, and the current blob only if `base` has not read it yet.
///
/// The one entry point of publishing a model: `miner mine`, `miner run` and importers call it.
pub fn publish_checked(
    store: &Store,
    model: &Model,
    datasets: Vec<DatasetPrint>,
    options: &GuardOptions,
    keep: usize,
    base: &mut Base,
    at: String,
) -> Result<(Check, Published), GuardError> {
    let mut notes = Vec::new();
    let mut file = match read(store) {
        Ok(file) => file.unwrap_or_default(),
        Err(e) => {
            let note = format!("the guard's record could not be read ({e}); starting a new one");
            tracing::warn!("{note}");
            notes.push(note);
            GuardFile::default()
        }
    };
    let (current, note) = current_facts(store, base, &file.datasets)?;
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
            if let Err(e) = write(store, &file) {
                tracing::warn!("could not record the refusal: {e}");
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
    let published = publish::publish(store, model, keep, &base.version)
        .map_err(|e| GuardError::Publish(Box::new(e)))?;
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
    if let Err(e) = write(store, &file) {
        tracing::warn!("could not record the publication: {e}");
    }
    Ok((check, published))
}
