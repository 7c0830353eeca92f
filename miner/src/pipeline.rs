//! The whole run shared by `miner mine` and `miner run`: check the options, read, mine,
//! publish, and the summary both print; `miner import` shares the publishing.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::dataset::{self, ReadError, ReadOptions, ReadRequest};
use crate::fpgrowth::Itemset;
use crate::mine::{MineError, MineOptions, MineReport, MineRequest, Mined, mine};
use crate::progress::{Progress, peak_rss};
use store::dir::{self as publish, Published};

/// Everything a run needs besides its inputs.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// How to read.
    pub read: ReadOptions,
    /// How to mine.
    pub mine: MineOptions,
    /// The model directory.
    pub out: PathBuf,
    /// Models to keep.
    pub keep: usize,
    /// Where to write every frequent itemset, if anywhere.
    pub itemsets: Option<PathBuf>,
}

impl PipelineOptions {
    /// Checks every setting that needs no data (the mining settings; any format, directory
    /// and number of models to keep will do), so that a typo fails before any input is read.
    pub fn validate(&self) -> Result<(), PipelineError> {
        Ok(self.mine.validate()?)
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
    /// Writing the itemsets file failed.
    #[error("writing itemsets to {}: {source}", path.display())]
    Itemsets {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The Spark output could not be imported.
    #[error("importing: {0}")]
    Import(#[from] crate::import::ImportError),
    /// Publishing failed.
    #[error("publishing to {}: {source}", path.display())]
    Publish {
        /// The model directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    /// The files read.
    pub files: Vec<PathBuf>,
    /// Mining figures.
    pub report: MineReport,
    /// Rows skipped under `--skip-invalid`, and the first reasons.
    pub skipped: (u64, Vec<String>),
    /// The published blob.
    pub published: Published,
    /// The model's id.
    pub model_id: String,
    /// The blob's size.
    pub blob_bytes: usize,
    /// Time reading.
    pub read_time: Duration,
    /// Time writing the blob and the pointer.
    pub publish_time: Duration,
    /// Whole run.
    pub total_time: Duration,
    /// Peak resident memory of the process, when the platform tells.
    pub peak_rss: Option<u64>,
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
        writeln!(
            f,
            "published {} ({} bytes)",
            self.published.path.display(),
            self.blob_bytes
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

/// Checks the options, reads `inputs`, mines them and publishes the model. Nothing is
/// published unless every step before publishing succeeded.
pub fn mine_and_publish(
    inputs: &[PathBuf],
    options: &PipelineOptions,
    created_at: String,
) -> Result<RunSummary, PipelineError> {
    let total = Instant::now();
    options.validate()?;
    let files = dataset::list_files(inputs)?;
    tracing::info!(files = files.len(), "reading");
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
    let (published, blob_bytes, publish_time) = publish_model(&mined, &options.out, options.keep)?;
    Ok(RunSummary {
        files,
        report: mined.report,
        skipped: (data.skipped, data.skip_reasons),
        published,
        model_id: mined.model.id().to_owned(),
        blob_bytes,
        read_time,
        publish_time,
        total_time: total.elapsed(),
        peak_rss: peak_rss(),
    })
}

/// Publishes a mined model into the model directory `out`, keeping `keep` models: the one
/// publishing step of `miner mine`, `miner run` and `miner import`. Returns where it went,
/// the blob's size and the time it took.
pub fn publish_model(
    mined: &Mined,
    out: &Path,
    keep: usize,
) -> Result<(Published, usize, Duration), PipelineError> {
    let start = Instant::now();
    let blob = mined.model.blob();
    let published = publish::publish(out, mined.model.id(), &blob, keep).map_err(|source| {
        PipelineError::Publish {
            path: out.to_owned(),
            source,
        }
    })?;
    tracing::info!(path = %published.path.display(), bytes = blob.len(), "published");
    Ok((published, blob.len(), start.elapsed()))
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
