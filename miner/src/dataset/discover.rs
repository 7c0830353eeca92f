//! Which files an input names: dataset files recognised by what they are (the MPD's slice
//! names, course CSVs by their header, baskets by an explicit extension), directories walked
//! into, and every file left out listed with the reason.
//!
//! Taken, each also gzipped (`.gz`):
//! - `mpd.slice.*.json`: Spotify Million Playlist Dataset slices;
//! - `*.csv`: the course CSV, when its header has the columns `pid` and `track_uri`;
//! - `*.baskets`, `*.dat`: one playlist per line (FIMI style);
//! - `*.parquet` (not gzipped: Parquet compresses inside): playlist rows, a data lake's table
//!   (its columns are found by name when it is read).
//!
//! Never taken: the RecSys Challenge 2018 challenge set (`challenge_set.json`: playlists with
//! held-out tracks, test data), other `.json` files, `.txt` files (licences, notes, statistics)
//! and anything else. A file named on the command line with an explicit `--format` is read in
//! that format whatever its name.
//!
//! The Spark job (`spark/segue_itemsets.py`, `list_files`) finds its inputs the same way, so
//! that both read the same files in the same order (the first name seen of a track is kept):
//! change both together; `miner/tests/it/spark.rs` compares the two listings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::files::resolve;
use super::{Format, ReadError, csv};

/// What the names taken are, for errors and help texts.
pub const TAKEN: &str = "mpd.slice.*.json, *.csv with columns pid and track_uri, *.baskets, *.dat \
                         (each also .gz), *.parquet";

/// A dataset file found, and the format it is read in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
}

/// A file under an input directory that is not read, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The file (or directory not entered).
    pub path: PathBuf,
    /// Why it is not read.
    pub reason: String,
}

/// What the inputs hold: the dataset files in reading order, and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Discovery {
    /// The dataset files: the named files in the order given, each directory's files sorted
    /// by path.
    pub found: Vec<Found>,
    /// Files under the input directories that are not read.
    pub skipped: Vec<Skipped>,
}

impl Discovery {
    /// The files to read, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.found.iter().map(|f| f.path.clone()).collect()
    }
}

/// Finds the dataset files that `inputs` name. A file is taken as named (in `format`, or
/// with [`Format::Auto`] the format it is recognised as, an error when it is none); a
/// directory is walked (subdirectories too; hidden entries and symbolic links to directories
/// are not entered) and its dataset files are taken. With an explicit `format`, a directory
/// must hold files of that format only. A directory with no dataset file is an error that
/// lists what was skipped.
pub fn discover(inputs: &[PathBuf], format: Format) -> Result<Discovery, ReadError> {
    let mut discovery = Discovery::default();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| ReadError::Io {
            path: input.clone(),
            source,
        })?;
        if !meta.is_dir() {
            let format = resolve(input, format)?;
            discovery.found.push(Found {
                path: input.clone(),
                format,
            });
            continue;
        }
        let mut found = Vec::new();
        let mut skipped = Vec::new();
        walk(input, &mut found, &mut skipped)?;
        found.sort_by(|a: &Found, b| a.path.cmp(&b.path));
        skipped.sort_by(|a: &Skipped, b| a.path.cmp(&b.path));
        if found.is_empty() {
            return Err(ReadError::NoFiles {
                path: input.clone(),
                skipped: summary(&skipped),
            });
        }
        if format != Format::Auto && found.iter().any(|f| f.format != format) {
            return Err(ReadError::FormatMismatch {
                path: input.clone(),
                asked: format,
                found: count_formats(&found),
            });
        }
        log(input, &found, &skipped);
        discovery.found.extend(found);
        discovery.skipped.extend(skipped);
    }
    Ok(discovery)
}

/// Walks `dir` depth first, sorting out its files.
fn walk(dir: &Path, found: &mut Vec<Found>, skipped: &mut Vec<Skipped>) -> Result<(), ReadError> {
    let io = |source| ReadError::Io {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io)?;
        let mut skip = |reason: &str| {
            skipped.push(Skipped {
                path: path.clone(),
                reason: reason.to_owned(),
            });
        };
        if name.starts_with('.') {
            skip("hidden");
        } else if kind.is_dir() {
            walk(&path, found, skipped)?;
        } else if kind.is_symlink() && path.is_dir() {
            skip("a symbolic link to a directory: not followed");
        } else if path.is_file() {
            match classify(&path) {
                Ok(format) => found.push(Found { path, format }),
                Err(reason) => skip(&reason),
            }
        } else {
            skip("not a regular file");
        }
    }
    Ok(())
}

/// The format a dataset file is, recognised by its name (and for CSV its header), or why it
/// is not a dataset file.
pub fn classify(path: &Path) -> Result<Format, String> {
    refuse_challenge_set(path)?;
    let name = lowercase_name(path);
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if base.ends_with(".csv") {
        return csv::check_header(path)
            .map(|()| Format::Csv)
            .map_err(|e| format!("a CSV file without the course columns: {e}"));
    }
    if let Some(format) = detect(path) {
        return Ok(format);
    }
    Err(if base.ends_with(".json") {
        "a JSON file not named mpd.slice.*.json: not an MPD slice".into()
    } else if base.ends_with(".txt") {
        "a .txt file is not taken as baskets (licences, notes and statistics are .txt); \
         rename it to .baskets or name it with --format baskets"
            .into()
    } else {
        "not a dataset file name".into()
    })
}

/// The format a file name stands for: `mpd.slice.*.json` MPD, `*.csv` CSV, `*.baskets` and
/// `*.dat` baskets (each also `.gz`), `*.parquet` Parquet; `None` for any other name.
pub fn detect(path: &Path) -> Option<Format> {
    let name = lowercase_name(path);
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if base.starts_with("mpd.slice.") && base.ends_with(".json") {
        Some(Format::Mpd)
    } else if base.ends_with(".csv") {
        Some(Format::Csv)
    } else if base.ends_with(".baskets") || base.ends_with(".dat") {
        Some(Format::Baskets)
    } else if name.ends_with(".parquet") {
        Some(Format::Parquet)
    } else {
        None
    }
}

/// Refuses the RecSys Challenge 2018 challenge set, which is named `challenge_set.json`.
pub(super) fn refuse_challenge_set(path: &Path) -> Result<(), String> {
    let name = lowercase_name(path);
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if base.starts_with("challenge_set") && base.ends_with(".json") {
        return Err(
            "the RecSys Challenge 2018 challenge set (playlists with held-out \
                    tracks) is test data, not training data"
                .into(),
        );
    }
    Ok(())
}

fn lowercase_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// The formats found and how many files of each, as `csv (2), mpd (3)`.
fn count_formats(found: &[Found]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in found {
        *counts.entry(f.format.to_string()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(format, n)| format!("{format} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The skipped files for an error message: the first few with their reasons.
fn summary(skipped: &[Skipped]) -> String {
    const SHOWN: usize = 10;
    if skipped.is_empty() {
        return "nothing".into();
    }
    let mut text: Vec<String> = skipped
        .iter()
        .take(SHOWN)
        .map(|s| format!("{} ({})", s.path.display(), s.reason))
        .collect();
    if skipped.len() > SHOWN {
        text.push(format!("and {} more", skipped.len() - SHOWN));
    }
    text.join("; ")
}

/// Says at info level what a directory held: the files found (the first few by name) and each
/// file skipped with its reason.
fn log(dir: &Path, found: &[Found], skipped: &[Skipped]) {
    const SHOWN: usize = 10;
    let mut names: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|f| {
            f.path
                .strip_prefix(dir)
                .unwrap_or(&f.path)
                .display()
                .to_string()
        })
        .collect();
    if found.len() > SHOWN {
        names.push(format!("and {} more", found.len() - SHOWN));
    }
    tracing::info!(
        dir = %dir.display(),
        files = found.len(),
        formats = %count_formats(found),
        "found dataset files: {}",
        names.join(", ")
    );
    for s in skipped {
        tracing::info!(path = %s.path.display(), reason = %s.reason, "skipped");
    }
}
