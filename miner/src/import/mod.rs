//! `miner import`: a model from the Spark job's frequent itemsets (`spark/`), through the same
//! rules and model code as `miner mine` ([`crate::mine::model_from_itemsets`]) and the same
//! publishing, through the publish guard into the model store
//! ([`crate::guard::publish_checked`]).
//!
//! `output.rs` reads and checks the job's output. An output is recorded in the model's
//! metadata as one more dataset label, `spark-output:<manifest hash>`; an output whose label
//! the current model already carries is skipped, so a CronJob can import every hour.

use std::path::PathBuf;
use std::time::Instant;

mod object;
mod output;

pub use object::ObjectDir;
pub use output::{
    DataFile, FORMAT, ITEMSETS, ImportError, LABEL_PREFIX, LocalDir, MANIFEST, Manifest,
    ManifestFiles, Output, OutputSource, TRACKS, VERSION, read_manifest, read_output,
};

use crate::dataset::{Discovery, Format};
use crate::guard::{self, GuardOptions};
use crate::mine::{Found, MineOptions, model_from_itemsets};
use crate::pipeline::{PipelineError, RunSummary, now_rfc3339};
use crate::progress::peak_rss;
use crate::publish::{self, Base};

/// What `miner import` needs besides the output.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The model store: a directory's path, or a URL (`s3://`, `gs://`, `az://`, `file://`).
    pub store: String,
    /// The publish guard's settings.
    pub guard: GuardOptions,
    /// Models to keep.
    pub keep: usize,
    /// Minimum confidence of a kept rule (the itemsets fix support and length).
    pub min_confidence: f64,
    /// The model's adaptive rule: given, since fitting needs the playlists.
    pub adaptive: crate::fit::Adaptive,
}

/// What an import did.
#[derive(Debug)]
pub enum Imported {
    /// A model was published.
    Published(Box<RunSummary>),
    /// The current model already comes from this output: nothing was done.
    Skipped {
        /// The current model's id.
        model_id: String,
        /// The output's identity.
        identity: String,
    },
}

/// The output to import from `from`: `from` itself when it holds a manifest (or holds no
/// subdirectory); otherwise its newest complete run, the subdirectory with a manifest whose
/// name sorts last (the job names them by UTC time; a run still writing has no manifest yet).
pub fn newest_output(from: &std::path::Path) -> LocalDir {
    if from.join(MANIFEST).exists() {
        return LocalDir(from.to_owned());
    }
    let mut runs: Vec<PathBuf> = std::fs::read_dir(from)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.join(MANIFEST).is_file())
        .collect();
    runs.sort();
    LocalDir(runs.pop().unwrap_or_else(|| from.to_owned()))
}

/// The output to import from `from`, a directory's path or a URL opened as the model store
/// opens its location ([`store::open`]: `s3://bucket/prefix`, `gs://...`, `az://...`,
/// `file://`; credentials and endpoint from the environment): `from` itself when it holds a
/// manifest, otherwise its newest complete run ([`newest_output`], [`ObjectDir::newest`]).
pub fn open_output(from: &str) -> Result<Box<dyn OutputSource>, ImportError> {
    match store::open(from).map_err(|e| ImportError::Location(Box::new(e)))? {
        store::Store::Dir(dir) => Ok(Box::new(newest_output(&dir))),
        store::Store::Object(object) => ObjectDir::newest(&object)
            .map(|o| Box::new(o) as Box<dyn OutputSource>)
            .map_err(|e| ImportError::Io {
                path: object.url().to_owned(),
                source: e,
            }),
    }
}

/// The current model's id (the one `base` found), if it came from the output labelled
/// `label`. Its blob is read once, into `base`, for the publish guard to compare with.
fn already_imported(
    store: &store::Store,
    base: &mut Base,
    label: &str,
) -> Result<Option<String>, PipelineError> {
    let Some(blob) = base.current_blob(store)? else {
        return Ok(None);
    };
    // A current blob that does not decode is no import of this output: the guard notes it and
    // a good model may replace it.
    let Ok(model) = engine::Model::from_blob(blob) else {
        return Ok(None);
    };
    Ok(model
        .metadata()
        .datasets
        .iter()
        .any(|d| d == label)
        .then(|| model.id().to_owned()))
}

/// Imports the output in `source` into the store `options.store`: skipped when the current
/// model came from it; otherwise read, checked, made into a model and published through the
/// publish guard (its playlist, track and rule checks; the dataset-content check has nothing
/// to compare, as Spark read the inputs: the output's own identity is in its label).
/// Nothing is published unless every step before publishing succeeded.
pub fn import_and_publish(
    source: &dyn OutputSource,
    options: &ImportOptions,
    created_at: String,
) -> Result<Imported, PipelineError> {
    let total = Instant::now();
    let checked = MineOptions {
        min_support: None,
        min_count: Some(1),
        max_len: 2,
        min_confidence: options.min_confidence,
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: crate::mine::NEIGHBOR_MIN_COUNT,
        adaptive: options.adaptive,
    };
    checked.validate()?;
    crate::mine::given_rule(&checked)?;
    options.guard.validate().map_err(PipelineError::Options)?;
    let store = publish::open(&options.store)?;
    // The pointer as this run found it: publishing fails if another publisher replaced it
    // meanwhile.
    let mut base = publish::base(&store)?;
    let (_, identity) = read_manifest(source)?;
    let label = format!("{LABEL_PREFIX}{identity}");
    if let Some(model_id) = already_imported(&store, &mut base, &label)? {
        return Ok(Imported::Skipped { model_id, identity });
    }
    let start = Instant::now();
    let mut output = read_output(source)?;
    let read_time = start.elapsed();
    let itemsets = std::mem::take(&mut output.itemsets);
    let m = &output.manifest;
    tracing::info!(
        playlists = m.playlists,
        tracks = output.tracks.len(),
        itemsets = output.itemsets.len(),
        seconds = read_time.as_secs_f64(),
        "read the Spark output"
    );
    let mine = MineOptions {
        // The support as the job was given it: a fraction (the count is what it came to),
        // or else a count; the model records it as `mine` would.
        min_support: m.min_support,
        min_count: m.min_support.is_none().then_some(m.min_count),
        max_len: m.max_len,
        min_confidence: options.min_confidence,
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: crate::mine::NEIGHBOR_MIN_COUNT,
        adaptive: options.adaptive,
    };
    let mut labels = m.inputs.clone();
    labels.push(output.label());
    let found = Found {
        tracks: &output.tracks,
        counts: &output.counts,
        labels,
        playlists: m.playlists,
        rows: m.rows,
        min_count: m.min_count,
        itemsets,
        mine_time: std::time::Duration::ZERO,
    };
    let mined = model_from_itemsets(found, &mine, created_at)?;
    let start = Instant::now();
    let (check, published) = guard::publish_checked(
        &store,
        &mined.model,
        Vec::new(),
        &options.guard,
        options.keep,
        &mut base,
        now_rfc3339(),
    )?;
    let blob_bytes = mined.model.blob_len();
    let publish_time = start.elapsed();
    tracing::info!(location = %published.location, bytes = blob_bytes, "published");
    let discovery = Discovery {
        found: output
            .files
            .iter()
            .map(|f| crate::dataset::Found {
                path: PathBuf::from(f),
                format: Format::Parquet,
            })
            .collect(),
        skipped: Vec::new(),
    };
    Ok(Imported::Published(Box::new(RunSummary {
        discovery,
        report: mined.report,
        skipped: (0, Vec::new()),
        guard: check,
        published,
        model_id: mined.model.id().to_owned(),
        blob_bytes,
        read_time,
        publish_time,
        total_time: total.elapsed(),
        peak_rss: peak_rss(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_output_passes_over_runs_still_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path();
        for (run, complete) in [
            ("20261201T020000Z", true),
            ("20261202T020000Z", true),
            ("20261203T020000Z", false),
        ] {
            std::fs::create_dir(parent.join(run)).unwrap();
            if complete {
                std::fs::write(parent.join(run).join(MANIFEST), "{}").unwrap();
            }
        }
        assert_eq!(newest_output(parent).0, parent.join("20261202T020000Z"));
        // An output directory itself is taken as it is.
        let run = parent.join("20261201T020000Z");
        assert_eq!(newest_output(&run).0, run);
    }
}
