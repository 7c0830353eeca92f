//! The whole run shared by `miner mine` and `miner run`: check the options, find the dataset
//! files, read, mine, publish through the guard, and the summary both print (text or JSON);
//! `miner import` shares the summary and the publishing.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::dataset::{self, Discovery, ReadError, ReadOptions, ReadRequest};
use crate::fpgrowth::Itemset;
use crate::guard::{self, Check, GuardError, GuardOptions};
use crate::mine::{MineError, MineOptions, MineReport, MineRequest, mine};
use crate::progress::{Progress, peak_rss};
use crate::publish;
use store::{OpenError, Published, Store, StoreError};

/// Everything a run needs besides its inputs.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// How to read.
    pub read: ReadOptions,
    /// How to mine.
    pub mine: MineOptions,
    /// The model store: a directory's path, or a URL (`s3://`, `gs://`, `az://`, `file://`).
    pub store: String,
    /// Models to keep.
    pub keep: usize,
    /// Where to write every frequent itemset, if anywhere.
    pub itemsets: Option<PathBuf>,
    /// The publish guard's settings.
    pub guard: GuardOptions,
}

impl PipelineOptions {
    /// Checks every setting that needs no data (the mining settings, the guard's thresholds
    /// and the store's location; any format and number of models to keep will do), so that a
    /// typo fails before any input is read.
    pub fn validate(&self) -> Result<(), PipelineError> {
        self.mine.validate()?;
        self.guard.validate().map_err(PipelineError::Options)?;
        self.open_store()?;
        Ok(())
    }

    /// The model store (nothing is read yet).
    pub fn open_store(&self) -> Result<Store, PipelineError> {
        Ok(publish::open(&self.store)?)
    }
}

/// Why a run published nothing. The previous model, if any, stays current.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Reading failed.
    #[error("reading the input: {0}")]
    Read(#[from] ReadError),
    /// Mining found nothing to publish, or a setting is wrong.
    #[error("mining: {0}")]
    Mine(#[from] MineError),
    /// A setting other than mining's is wrong.
    #[error("{0}")]
    Options(String),
    /// A dataset file could not be fingerprinted for the guard.
    #[error("fingerprinting {}: {source}", path.display())]
    Fingerprint {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The guard refused the model, or publishing failed.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// Writing the itemsets file failed.
    #[error("writing itemsets to {}: {source}", path.display())]
    Itemsets {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The model store's location is wrong.
    #[error("the model store: {0}")]
    Store(Box<OpenError>),
    /// Reading or writing the model store failed, or another publisher got there first.
    #[error("publishing: {0}")]
    Publish(Box<StoreError>),
    /// The Spark output could not be imported.
    #[error("importing: {0}")]
    Import(#[from] crate::import::ImportError),
}

impl From<OpenError> for PipelineError {
    fn from(e: OpenError) -> Self {
        PipelineError::Store(Box::new(e))
    }
}

impl From<StoreError> for PipelineError {
    fn from(e: StoreError) -> Self {
        PipelineError::Publish(Box::new(e))
    }
}

impl PipelineError {
    /// The guard's comparison, when the guard refused the model.
    pub fn refusal(&self) -> Option<&Check> {
        match self {
            PipelineError::Guard(GuardError::Refused(check)) => Some(check),
            _ => None,
        }
    }
}

/// What a run did (`--json` prints it as JSON).
#[derive(Debug, Serialize)]
pub struct RunSummary {
    /// The dataset files read, and the files under the input directories left out.
    pub discovery: Discovery,
    /// Mining figures.
    pub report: MineReport,
    /// Rows skipped under `--skip-invalid`, and the first reasons.
    pub skipped: (u64, Vec<String>),
    /// What the publish guard compared and decided.
    pub guard: Check,
    /// The published blob.
    pub published: Published,
    /// The model's id.
    pub model_id: String,
    /// The blob's size.
    pub blob_bytes: usize,
    /// Time reading.
    #[serde(serialize_with = "secs")]
    pub read_time: Duration,
    /// Time fingerprinting the files, judging, writing the blob and the pointer.
    #[serde(serialize_with = "secs")]
    pub publish_time: Duration,
    /// Whole run.
    #[serde(serialize_with = "secs")]
    pub total_time: Duration,
    /// Peak resident memory of the process, when the platform tells.
    pub peak_rss: Option<u64>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl fmt::Display for RunSummary {
    /// The lines `miner mine` and `miner run` print: skipped rows, where the model went, the
    /// counts, the itemsets by size, the rules, the time of each phase and the peak memory.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        if self.skipped.0 > 0 {
            writeln!(
                f,
                "skipped {} malformed rows (--skip-invalid); first reasons:",
                self.skipped.0
            )?;
            for reason in &self.skipped.1 {
                writeln!(f, "  {reason}")?;
            }
        }
        if !self.discovery.skipped.is_empty() {
            writeln!(f, "left out {} files:", self.discovery.skipped.len())?;
            for s in &self.discovery.skipped {
                writeln!(f, "  {} ({})", s.path.display(), s.reason)?;
            }
        }
        write!(f, "{}", self.guard)?;
        writeln!(
            f,
            "published {} ({} bytes)",
            self.published.location, self.blob_bytes
        )?;
        writeln!(
            f,
            "playlists {}  rows {}  tracks {}  min count {}",
            r.playlists, r.rows, r.tracks, r.min_count
        )?;
        let sizes: Vec<String> = r
            .itemsets_by_len
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}: {n}", i + 1))
            .collect();
        writeln!(f, "frequent itemsets by size  {}", sizes.join("  "))?;
        writeln!(
            f,
            "rules {}  tracks with a rule {:.2}%",
            r.rules,
            r.tracks_with_rule * 100.0
        )?;
        writeln!(f, "adaptive rule {} ({})", r.adaptive, r.adaptive_choice)?;
        writeln!(
            f,
            "time: read {:.2?}  mine {:.2?}  rules+model {:.2?}  publish {:.2?}  total {:.2?}",
            self.read_time, r.mine_time, r.rules_time, self.publish_time, self.total_time
        )?;
        if let Some(bytes) = self.peak_rss {
            writeln!(f, "peak memory {:.2} GB", bytes as f64 / 1e9)?;
        }
        Ok(())
    }
}

/// The time now, RFC 3339 in UTC to the second: a model's creation time.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Checks the options, finds the dataset files `inputs` name, fingerprints and reads them,
/// mines them and publishes the model through the guard. Nothing is published unless every
/// step before publishing succeeded and the guard accepted the model.
pub fn mine_and_publish(
    inputs: &[PathBuf],
    options: &PipelineOptions,
    created_at: String,
) -> Result<RunSummary, PipelineError> {
    let total = Instant::now();
    options.validate()?;
    let store = options.open_store()?;
    // The pointer as this run found it: publishing fails if another publisher replaced it
    // meanwhile.
    let mut base = publish::base(&store)?;
    let discovery = dataset::discover(inputs, options.read.format)?;
    let files = discovery.paths();
    tracing::info!(files = files.len(), "reading");
    let start = Instant::now();
    // Before reading, so that the fingerprints are of the bytes read.
    let prints = guard::fingerprints(&files)
        .map_err(|(path, source)| PipelineError::Fingerprint { path, source })?;
    let fingerprint_time = start.elapsed();
    let start = Instant::now();
    let total_bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let data = {
        let progress = Progress::start("read", total_bytes, true);
        let request = ReadRequest {
            options: options.read,
            keep_order: false,
            progress: Some(progress.counters()),
        };
        dataset::read(&files, request)?
    };
    let read_time = start.elapsed();
    tracing::info!(
        playlists = data.transactions.len(),
        rows = data.rows,
        tracks = data.tracks.len(),
        seconds = read_time.as_secs_f64(),
        "read"
    );
    let mined = {
        let progress = Progress::start("mine", 0, false);
        let counters = progress.counters();
        let request = MineRequest {
            options: &options.mine,
            progress: Some(&counters),
        };
        mine(&data, request, created_at)?
    };
    if let Some(path) = &options.itemsets {
        write_itemsets(path, &data, &mined.itemsets).map_err(|source| PipelineError::Itemsets {
            path: path.clone(),
            source,
        })?;
    }
    let start = Instant::now();
    let (check, published) = guard::publish_checked(
        &store,
        &mined.model,
        prints,
        &options.guard,
        options.keep,
        &mut base,
        now_rfc3339(),
    )?;
    let blob_bytes = mined.model.blob_len();
    tracing::info!(location = %published.location, bytes = blob_bytes, "published");
    Ok(RunSummary {
        discovery,
        report: mined.report,
        skipped: (data.skipped, data.skip_reasons),
        guard: check,
        published,
        model_id: mined.model.id().to_owned(),
        blob_bytes,
        read_time,
        publish_time: fingerprint_time + start.elapsed(),
        total_time: total.elapsed(),
        peak_rss: peak_rss(),
    })
}

/// Writes each itemset as `count<TAB>ids`, ids (URIs or tokens) sorted and space-separated.
fn write_itemsets(path: &Path, data: &dataset::Dataset, sets: &[Itemset]) -> io::Result<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut ids: Vec<&str> = Vec::new();
    for set in sets {
        ids.clear();
        ids.extend(
            set.items
                .iter()
                .map(|&i| data.tracks[i as usize].uri.as_str()),
        );
        ids.sort_unstable();
        writeln!(out, "{}\t{}", set.count, ids.join(" "))?;
    }
    out.flush()
}
