//! `miner run`, the periodic job: checks the options, takes the lock, fills an empty datasets
//! directory when asked (`--synth-if-empty`), mines the dataset after the last one in the
//! history (wrapping around), publishes it and appends to the history. The history file, the
//! choice of the next dataset, the wildcards and the lock are in [`crate::rotate`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use store::Store;
use store::object::ObjectLocation;

use crate::dataset::{self, Format};
use crate::pipeline::{self, PipelineError, PipelineOptions, RunSummary, mine_and_publish};
use crate::publish::block_on;
use crate::rotate;
use crate::synth::{self, SynthOptions};

/// What the periodic job needs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Directory of datasets to rotate through.
    pub datasets: PathBuf,
    /// Which of its files to rotate through (`*` and `?` wildcards).
    pub glob: String,
    /// The history CSV; `None`: `history.csv` in the model store (a file in a directory, an
    /// object in object storage).
    pub history: Option<PathBuf>,
    /// Do nothing when the model directory already has a current model.
    pub if_no_model: bool,
    /// When no file matches the glob, first write this many synthetic playlists there.
    pub synth_if_empty: Option<usize>,
    /// Reading, mining and publishing (`pipeline.store` is the model store).
    pub pipeline: PipelineOptions,
}

impl RunOptions {
    /// Checks every setting that needs no data, before the job touches anything.
    pub fn validate(&self) -> Result<(), PipelineError> {
        self.pipeline.validate()
    }
}

/// What a run did (`--json` prints it as JSON, tagged by `outcome`).
#[derive(Debug, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunOutcome {
    /// `--if-no-model`, and a model is already published: nothing done.
    AlreadyPublished {
        /// The current model's id.
        model: String,
    },
    /// Another run holds the lock: nothing done.
    Locked {
        /// The lock file or object.
        lock: String,
    },
    /// A dataset was mined and published, and the history appended.
    Published {
        /// What mining and publishing did.
        summary: Box<RunSummary>,
        /// The dataset's place in the sorted list (0-based).
        index: usize,
        /// How many datasets the list has.
        datasets: usize,
        /// The dataset's file name.
        file: String,
    },
}

impl fmt::Display for RunOutcome {
    /// What the job prints on stdout (the lock's case is logged, not printed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunOutcome::AlreadyPublished { model } => {
                writeln!(f, "already published: {model}")
            }
            RunOutcome::Locked { .. } => Ok(()),
            RunOutcome::Published {
                summary,
                index,
                datasets,
                file,
            } => {
                write!(f, "{summary}")?;
                writeln!(f, "dataset {} of {datasets}: {file}", index + 1)
            }
        }
    }
}

/// Why a run failed. Nothing was published then; the previous model stays current.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A setting is wrong (found before anything was touched).
    #[error("nothing was published; the previous model, if any, stays current")]
    Options(#[source] PipelineError),
    /// The model store could not be read.
    #[error("reading the model store")]
    Current(#[source] Box<store::StoreError>),
    /// The lock file could not be opened or locked.
    #[error("locking {}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The lock object could not be taken or released.
    #[error("locking {location}")]
    LockObject {
        /// The lock object.
        location: String,
        /// What the object store reported.
        source: Box<store::object::Error>,
    },
    /// `--synth-if-empty` cannot tell which format to write.
    #[error("--synth-if-empty: cannot tell a format from --glob {glob:?}; set --format")]
    SynthFormat {
        /// The glob.
        glob: String,
    },
    /// `--synth-if-empty` would write files the glob does not match.
    #[error("--synth-if-empty writes uncompressed files, which --glob {glob:?} would not match")]
    SynthCompressed {
        /// The glob.
        glob: String,
    },
    /// The datasets directory could not be created.
    #[error("creating {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// Writing the synthetic playlists failed.
    #[error("writing synthetic playlists to {}", path.display())]
    Synth {
        /// The file or directory written.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The datasets directory could not be listed.
    #[error("listing {}", path.display())]
    List {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// No file of the datasets directory matches the glob.
    #[error("no dataset in {} matches {glob:?}", dir.display())]
    NoDataset {
        /// The directory.
        dir: PathBuf,
        /// The glob.
        glob: String,
    },
    /// The history could not be read.
    #[error("reading {}", path.display())]
    History {
        /// The history file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// Mining or publishing the dataset failed.
    #[error(
        "mining {} (nothing was published; the previous model stays current)",
        dataset.display()
    )]
    Mine {
        /// The dataset.
        dataset: PathBuf,
        /// What failed.
        source: PipelineError,
    },
    /// The history could not be appended to (the model is published).
    #[error("appending to {}", path.display())]
    AppendHistory {
        /// The history file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The history object could not be read or appended to.
    #[error("the history object {location}")]
    HistoryObject {
        /// The history object.
        location: String,
        /// What the object store reported.
        source: Box<store::object::Error>,
    },
}

/// Where the history lives: a file (in the model directory, or `--history`), or an object
/// beside the models in object storage, appended to with conditional writes.
enum History<'a> {
    File(PathBuf),
    Object(&'a ObjectLocation),
}

/// The history object's name, beside `current`.
const HISTORY: &str = "history.csv";
/// The lock's name, beside `current`.
const LOCK: &str = ".miner.lock";
/// A lock object older than this was left by a run that crashed.
const STALE_LOCK: Duration = Duration::from_secs(6 * 3600);

impl History<'_> {
    fn read(&self) -> Result<(Vec<rotate::HistoryEntry>, Vec<String>), RunError> {
        match self {
            History::File(path) => rotate::read_history(path).map_err(|source| RunError::History {
                path: path.clone(),
                source,
            }),
            History::Object(o) => match block_on(o.get(HISTORY)) {
                Ok(bytes) => Ok(rotate::parse_history(&bytes, HISTORY)),
                Err(store::object::Error::NotFound { .. }) => Ok((Vec::new(), Vec::new())),
                Err(source) => Err(RunError::HistoryObject {
                    location: format!("{}/{HISTORY}", o.url()),
                    source: Box::new(source),
                }),
            },
        }
    }

    fn append(&self, entry: &rotate::HistoryEntry) -> Result<(), RunError> {
        match self {
            History::File(path) => {
                rotate::append_history(path, entry).map_err(|source| RunError::AppendHistory {
                    path: path.clone(),
                    source,
                })
            }
            History::Object(o) => {
                let header = format!("{}\n", rotate::HISTORY_HEADER);
                let line = rotate::history_line(entry);
                block_on(o.append(HISTORY, header.as_bytes(), &line)).map_err(|source| {
                    RunError::HistoryObject {
                        location: format!("{}/{HISTORY}", o.url()),
                        source: Box::new(source),
                    }
                })
            }
        }
    }
}

/// The run lock, released when dropped: a locked file in a directory, an object created only
/// if absent in object storage.
enum Lock<'a> {
    File(#[allow(dead_code)] std::fs::File),
    Object(&'a ObjectLocation),
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        if let Lock::Object(o) = self
            && let Err(e) = block_on(o.delete(LOCK))
        {
            tracing::warn!("releasing the lock {}/{LOCK}: {e}", o.url());
        }
    }
}

/// Takes the run lock; `None`: another run holds it.
fn lock(store: &Store) -> Result<Option<Lock<'_>>, RunError> {
    match store {
        Store::Dir(dir) => {
            let path = dir.join(LOCK);
            let file = rotate::try_lock(&path).map_err(|source| RunError::Lock {
                path: path.clone(),
                source,
            })?;
            Ok(file.map(Lock::File))
        }
        Store::Object(o) => {
            let owner = format!("pid {} at {}", std::process::id(), pipeline::now_rfc3339());
            let taken = block_on(o.try_lock(LOCK, &owner, STALE_LOCK)).map_err(|source| {
                RunError::LockObject {
                    location: format!("{}/{LOCK}", o.url()),
                    source: Box::new(source),
                }
            })?;
            Ok(taken.then_some(Lock::Object(o)))
        }
    }
}

/// Runs the periodic job once.
pub fn run(options: &RunOptions) -> Result<RunOutcome, RunError> {
    options.validate().map_err(RunError::Options)?;
    let store = options.pipeline.open_store().map_err(RunError::Options)?;
    if options.if_no_model {
        let models = crate::publish::list(&store).map_err(|e| RunError::Current(Box::new(e)))?;
        if let Some(model) = models.into_iter().find(|m| m.current) {
            tracing::info!(
                model = %model.id,
                "a model is already published (--if-no-model); this run does nothing"
            );
            return Ok(RunOutcome::AlreadyPublished { model: model.id });
        }
    }
    let Some(_held) = lock(&store)? else {
        let lock = format!("{}/{LOCK}", store.describe());
        tracing::warn!("another `miner run` holds {lock}; this run does nothing");
        return Ok(RunOutcome::Locked { lock });
    };
    if let Some(playlists) = options.synth_if_empty {
        synth_if_empty(options, playlists)?;
    }
    let datasets = rotate::list_datasets(&options.datasets, &options.glob).map_err(|source| {
        RunError::List {
            path: options.datasets.clone(),
            source,
        }
    })?;
    if datasets.is_empty() {
        return Err(RunError::NoDataset {
            dir: options.datasets.clone(),
            glob: options.glob.clone(),
        });
    }
    let history = match (&options.history, &store) {
        (Some(path), _) => History::File(path.clone()),
        (None, Store::Dir(dir)) => History::File(dir.join(HISTORY)),
        (None, Store::Object(o)) => History::Object(o),
    };
    let (history_entries, malformed) = history.read()?;
    for line in &malformed {
        tracing::warn!("ignoring a malformed history line: {line}");
    }
    let index = rotate::next_dataset(&datasets, &history_entries);
    let dataset = &datasets[index];
    tracing::info!(index, dataset = %dataset.display(), "mining the next dataset");
    let time = pipeline::now_rfc3339();
    let summary = mine_and_publish(
        std::slice::from_ref(dataset),
        &options.pipeline,
        time.clone(),
    )
    .map_err(|source| RunError::Mine {
        dataset: dataset.clone(),
        source,
    })?;
    let entry = rotate::HistoryEntry {
        time,
        dataset_index: index,
        dataset_file: dataset
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    history.append(&entry)?;
    Ok(RunOutcome::Published {
        summary: Box::new(summary),
        index,
        datasets: datasets.len(),
        file: entry.dataset_file,
    })
}

/// `--synth-if-empty N`: writes N synthetic playlists into the datasets directory when no file
/// there matches the glob, in the format the glob's extension names (or `--format`).
fn synth_if_empty(options: &RunOptions, playlists: usize) -> Result<(), RunError> {
    let dir = &options.datasets;
    let glob = &options.glob;
    let listed = match rotate::list_datasets(dir, glob) {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(RunError::List {
                path: dir.clone(),
                source,
            });
        }
    };
    if !listed.is_empty() {
        return Ok(());
    }
    let name = rotate::synth_file_name(glob);
    let format = match options.pipeline.read.format {
        Format::Auto => dataset::detect(Path::new(&name))
            .ok_or_else(|| RunError::SynthFormat { glob: glob.clone() })?,
        format => format,
    };
    if name.to_ascii_lowercase().ends_with(".gz") {
        return Err(RunError::SynthCompressed { glob: glob.clone() });
    }
    // MPD slices are a directory's worth of files with their own names; the others one file.
    let target = match format {
        Format::Mpd => dir.clone(),
        _ => dir.join(&name),
    };
    std::fs::create_dir_all(dir).map_err(|source| RunError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let summary =
        synth::write(&SynthOptions { playlists, seed: 1 }, format, &target).map_err(|source| {
            RunError::Synth {
                path: target.clone(),
                source,
            }
        })?;
    tracing::info!(
        playlists = summary.playlists,
        rows = summary.rows,
        %format,
        path = %target.display(),
        "no dataset matched {:?}: wrote synthetic playlists (--synth-if-empty)",
        glob
    );
    Ok(())
}
