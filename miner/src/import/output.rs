//! Reading the Spark job's output (`spark/segue_itemsets.py`): the manifest (the completion
//! marker), the track table and the frequent itemsets, checked against each other, into the
//! [`Found`](crate::mine::Found) that `miner mine` makes from FP-growth.
//!
//! The output's layout is this module's contract with the job:
//!
//! ```text
//! _manifest.json   written last: playlists, rows, min count, max length, inputs, the data files
//! tracks/*.parquet   uri, name, artist, album (strings), count (integer): every track read
//! itemsets/*.parquet items (list of URIs), count (integer): every frequent itemset
//! ```
//!
//! Files are read whole as bytes through an [`OutputSource`], so that a source other than a
//! local directory (object storage) plugs in without touching the parsing.

use std::io;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::dataset::TrackMeta;
use crate::fpgrowth::Itemset;

/// The manifest's file name: written last, so its presence marks a complete output.
pub const MANIFEST: &str = "_manifest.json";
/// The track table's directory.
pub const TRACKS: &str = "tracks";
/// The itemsets' directory.
pub const ITEMSETS: &str = "itemsets";
/// The manifest's `format`.
pub const FORMAT: &str = "segue-itemsets";
/// The manifest version this reader understands.
pub const VERSION: u32 = 1;
/// The prefix of the dataset label that records which output a model was imported from.
pub const LABEL_PREFIX: &str = "spark-output:";

/// Where an output's files come from.
pub trait OutputSource {
    /// The source, for messages.
    fn describe(&self) -> String;
    /// The whole file at `name` (relative, `/`-separated), or `None` when it does not exist.
    fn read(&self, name: &str) -> io::Result<Option<Bytes>>;
    /// The files directly under `dir` (relative): name and size.
    fn list(&self, dir: &str) -> io::Result<Vec<(String, u64)>>;
}

/// An output in a local directory.
#[derive(Clone, Debug)]
pub struct LocalDir(pub PathBuf);

impl OutputSource for LocalDir {
    fn describe(&self) -> String {
        self.0.display().to_string()
    }

    fn read(&self, name: &str) -> io::Result<Option<Bytes>> {
        match std::fs::read(self.0.join(name)) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn list(&self, dir: &str) -> io::Result<Vec<(String, u64)>> {
        let path = self.0.join(dir);
        let mut files = Vec::new();
        let entries = match std::fs::read_dir(&path) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() {
                files.push((entry.file_name().to_string_lossy().into_owned(), meta.len()));
            }
        }
        Ok(files)
    }
}

/// The manifest the job writes last.
#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout's version ([`VERSION`]).
    pub version: u32,
    /// The job run's unique id.
    pub run_id: String,
    /// Playlists mined.
    pub playlists: u32,
    /// Playlist entries read.
    pub rows: u64,
    /// The minimum support asked for, when it was given as a fraction.
    pub min_support: Option<f64>,
    /// The minimum count used.
    pub min_count: u32,
    /// The largest itemset counted.
    pub max_len: usize,
    /// The input files' names, in reading order (the model's dataset labels).
    pub inputs: Vec<String>,
    /// The Spark version that ran the job.
    pub spark_version: String,
    /// The data files, per directory.
    pub files: ManifestFiles,
}

/// The data files a manifest lists.
#[derive(Clone, Debug, Deserialize)]
pub struct ManifestFiles {
    /// `itemsets/`.
    pub itemsets: Vec<DataFile>,
    /// `tracks/`.
    pub tracks: Vec<DataFile>,
}

/// One data file: its name in its directory, size and rows.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DataFile {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
}

/// Why an output cannot be imported. Nothing is published then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The output's location is not a path or a URL of an object store Segue reads.
    #[error("the output's location: {0}")]
    Location(Box<store::OpenError>),
    /// The output has no manifest: the job has not finished, or failed.
    #[error("{source_name}: no {MANIFEST}: the Spark job has not completed this output")]
    Incomplete {
        /// The output.
        source_name: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system's error.
        source: io::Error,
    },
    /// The manifest is not a manifest this reader understands.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The files disagree with the manifest (a partial copy, a file from another run).
    #[error("{source_name}: the files disagree with {MANIFEST}: {message}")]
    Mismatch {
        /// The output.
        source_name: String,
        /// What disagrees.
        message: String,
    },
    /// A Parquet file is unreadable, or a column missing or of the wrong type.
    #[error("{path}: {}{}{message}",
        row_group.map_or_else(String::new, |g| format!("row group {g}: ")),
        column.as_ref().map_or_else(String::new, |c| format!("column `{c}`: ")))]
    Parquet {
        /// The file.
        path: String,
        /// The row group, when known.
        row_group: Option<usize>,
        /// The column, when known.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The tables contradict each other or the manifest's settings.
    #[error("{source_name}: inconsistent output: {message}")]
    Inconsistent {
        /// The output.
        source_name: String,
        /// What contradicts what.
        message: String,
    },
}

/// An output, read and checked.
#[derive(Debug)]
pub struct Output {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest's content hash (32 hex digits): which output a model came from.
    pub identity: String,
    /// Tracks by item id (the track table's order).
    pub tracks: Vec<TrackMeta>,
    /// Playlists containing each track, by item id.
    pub counts: Vec<u32>,
    /// Every frequent itemset, item ids ascending, sorted by size then items.
    pub itemsets: Vec<Itemset>,
    /// The data files read, for the summary.
    pub files: Vec<String>,
}

impl Output {
    /// The dataset label that records this output in the model's metadata.
    pub fn label(&self) -> String {
        format!("{LABEL_PREFIX}{}", self.identity)
    }
}

/// Reads the manifest only, and its identity: enough to tell whether an output is complete
/// and whether it was imported already.
pub fn read_manifest(source: &dyn OutputSource) -> Result<(Manifest, String), ImportError> {
    let path = format!("{}/{MANIFEST}", source.describe());
    let bytes = source
        .read(MANIFEST)
        .map_err(|e| ImportError::Io {
            path: path.clone(),
            source: e,
        })?
        .ok_or_else(|| ImportError::Incomplete {
            source_name: source.describe(),
        })?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| ImportError::Manifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(ImportError::Manifest {
            path,
            message: format!(
                "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
                manifest.format, manifest.version
            ),
        });
    }
    let identity = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes));
    Ok((manifest, identity))
}

/// Reads and checks a whole output.
pub fn read_output(source: &dyn OutputSource) -> Result<Output, ImportError> {
    let (manifest, identity) = read_manifest(source)?;
    let name = source.describe();
    let inconsistent = |message: String| ImportError::Inconsistent {
        source_name: name.clone(),
        message,
    };
    check_settings(&manifest).map_err(&inconsistent)?;
    let mut files = Vec::new();
    let mut tracks = Vec::new();
    let mut counts = Vec::new();
    for batch in read_dir(source, TRACKS, &manifest.files.tracks, &mut files)? {
        let (path, batch) = batch;
        read_tracks(&path, &batch, &mut tracks, &mut counts)?;
    }
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    for (id, t) in tracks.iter().enumerate() {
        if index.insert(t.uri.as_str(), id as u32).is_some() {
            return Err(inconsistent(format!(
                "track {:?} appears twice in {TRACKS}/",
                t.uri
            )));
        }
    }
    let mut itemsets = Vec::new();
    for (path, batch) in read_dir(source, ITEMSETS, &manifest.files.itemsets, &mut files)? {
        read_itemsets(&path, &batch, &index, &mut itemsets)
            .map_err(|e| e.unwrap_or_else(&inconsistent))?;
    }
    itemsets.sort_unstable_by(|a: &Itemset, b| {
        (a.items.len(), &a.items).cmp(&(b.items.len(), &b.items))
    });
    check_tables(&manifest, &counts, &itemsets).map_err(inconsistent)?;
    Ok(Output {
        manifest,
        identity,
        tracks,
        counts,
        itemsets,
        files,
    })
}

/// The manifest's settings make sense together.
fn check_settings(m: &Manifest) -> Result<(), String> {
    if m.playlists == 0 {
        return Err("the manifest says 0 playlists".into());
    }
    if m.max_len < 2 {
        return Err(format!("max_len {} is below 2", m.max_len));
    }
    if m.min_count == 0 {
        return Err("min_count 0".into());
    }
    if let Some(f) = m.min_support {
        let want = ((f * f64::from(m.playlists)).ceil() as u32).max(1);
        if !(f > 0.0 && f <= 1.0) || want != m.min_count {
            return Err(format!(
                "min_support {f} of {} playlists makes min count {want}, not {}",
                m.playlists, m.min_count
            ));
        }
    }
    Ok(())
}

/// The tables agree with each other and with the settings: each itemset has 1..=max_len
/// distinct items and a count within [min_count, playlists]; each frequent track has its
/// single itemset with its own count.
fn check_tables(m: &Manifest, counts: &[u32], itemsets: &[Itemset]) -> Result<(), String> {
    if let Some(c) = counts.iter().find(|&&c| c == 0 || c > m.playlists) {
        return Err(format!("a track count {c} outside 1..={}", m.playlists));
    }
    let mut singles = 0;
    for set in itemsets {
        if set.items.is_empty() || set.items.len() > m.max_len {
            return Err(format!(
                "an itemset of {} items (max_len {})",
                set.items.len(),
                m.max_len
            ));
        }
        if set.items.windows(2).any(|w| w[0] == w[1]) {
            return Err("an itemset repeats a track".into());
        }
        if set.count < m.min_count || set.count > m.playlists {
            return Err(format!(
                "an itemset count {} outside {}..={}",
                set.count, m.min_count, m.playlists
            ));
        }
        if let [item] = set.items[..] {
            singles += 1;
            if counts[item as usize] != set.count {
                return Err(format!(
                    "track #{item} counts {} in {TRACKS}/ but {} in {ITEMSETS}/",
                    counts[item as usize], set.count
                ));
            }
        }
    }
    let frequent = counts.iter().filter(|&&c| c >= m.min_count).count();
    if singles != frequent {
        return Err(format!(
            "{frequent} tracks reach min count {} but {singles} single itemsets are listed",
            m.min_count
        ));
    }
    Ok(())
}

/// Every record batch of the Parquet files in `dir`, after checking that the files are
/// exactly the manifest's (names, sizes, then rows).
fn read_dir(
    source: &dyn OutputSource,
    dir: &str,
    listed: &[DataFile],
    files: &mut Vec<String>,
) -> Result<Vec<(String, RecordBatch)>, ImportError> {
    let name = source.describe();
    let mismatch = |message: String| ImportError::Mismatch {
        source_name: name.clone(),
        message,
    };
    let mut present: Vec<(String, u64)> = source
        .list(dir)
        .map_err(|e| ImportError::Io {
            path: format!("{name}/{dir}"),
            source: e,
        })?
        .into_iter()
        .filter(|(n, _)| n.ends_with(".parquet") && !n.starts_with('.'))
        .collect();
    present.sort();
    let mut expected: Vec<(String, u64)> =
        listed.iter().map(|f| (f.name.clone(), f.bytes)).collect();
    expected.sort();
    if present != expected {
        return Err(mismatch(format!(
            "{dir}/ holds {present:?}, the manifest lists {expected:?} (name, bytes)"
        )));
    }
    let mut batches = Vec::new();
    for file in listed {
        let rel = format!("{dir}/{}", file.name);
        let path = format!("{name}/{rel}");
        let bytes = source
            .read(&rel)
            .map_err(|e| ImportError::Io {
                path: path.clone(),
                source: e,
            })?
            .ok_or_else(|| mismatch(format!("{rel} vanished while reading")))?;
        let parquet = |row_group, message: String| ImportError::Parquet {
            path: path.clone(),
            row_group,
            column: None,
            message,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(|e| parquet(None, format!("not a readable Parquet file: {e}")))?
            .build()
            .map_err(|e| parquet(None, e.to_string()))?;
        let mut rows = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| parquet(None, e.to_string()))?;
            rows += batch.num_rows() as u64;
            batches.push((path.clone(), batch));
        }
        if rows != file.rows {
            return Err(mismatch(format!(
                "{rel} has {rows} rows, the manifest says {}",
                file.rows
            )));
        }
        files.push(path);
    }
    Ok(batches)
}

/// The column `name` of `batch`, or an error naming the file and column.
fn column<'b>(
    path: &str,
    batch: &'b RecordBatch,
    name: &str,
) -> Result<&'b dyn Array, ImportError> {
    batch
        .column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| ImportError::Parquet {
            path: path.to_owned(),
            row_group: None,
            column: Some(name.to_owned()),
            message: "missing".into(),
        })
}

/// A type error for `column` of `path`.
fn wrong_type(path: &str, name: &str, ty: &DataType, expected: &str) -> ImportError {
    ImportError::Parquet {
        path: path.to_owned(),
        row_group: None,
        column: Some(name.to_owned()),
        message: format!("type {ty}, expected {expected}"),
    }
}

/// A null where a value is needed.
fn null(path: &str, name: &str) -> ImportError {
    ImportError::Parquet {
        path: path.to_owned(),
        row_group: None,
        column: Some(name.to_owned()),
        message: "a null value".into(),
    }
}

/// Row `i` of an integer column.
fn count(array: &dyn Array, i: usize) -> Option<u32> {
    if array.is_null(i) {
        return None;
    }
    match array.data_type() {
        DataType::Int32 => u32::try_from(array.as_primitive::<Int32Type>().value(i)).ok(),
        DataType::Int64 => u32::try_from(array.as_primitive::<Int64Type>().value(i)).ok(),
        _ => None,
    }
}

/// Appends the track table's rows.
fn read_tracks(
    path: &str,
    batch: &RecordBatch,
    tracks: &mut Vec<TrackMeta>,
    counts: &mut Vec<u32>,
) -> Result<(), ImportError> {
    use crate::dataset::parquet_text as text;
    let strings = ["uri", "name", "artist", "album"];
    let mut cols = Vec::new();
    for name in strings {
        let col = column(path, batch, name)?;
        if !crate::dataset::is_string_type(col.data_type()) {
            return Err(wrong_type(path, name, col.data_type(), "a string"));
        }
        cols.push(col);
    }
    let n = column(path, batch, "count")?;
    if !matches!(n.data_type(), DataType::Int32 | DataType::Int64) {
        return Err(wrong_type(path, "count", n.data_type(), "an integer"));
    }
    for i in 0..batch.num_rows() {
        let uri = text(cols[0], i).ok_or_else(|| null(path, "uri"))?;
        let field = |c: usize| text(cols[c], i).unwrap_or_default().to_owned();
        tracks.push(TrackMeta {
            uri: uri.to_owned(),
            name: field(1),
            artist: field(2),
            album: field(3),
        });
        counts.push(count(n, i).ok_or_else(|| null(path, "count"))?);
    }
    Ok(())
}

/// Appends the itemsets' rows, URIs turned into item ids through `index`. An unknown URI is
/// an inconsistency (`Err(Err(message))`), the rest Parquet errors.
fn read_itemsets(
    path: &str,
    batch: &RecordBatch,
    index: &FxHashMap<&str, u32>,
    itemsets: &mut Vec<Itemset>,
) -> Result<(), Result<ImportError, String>> {
    use crate::dataset::parquet_text as text;
    let items = column(path, batch, "items").map_err(Ok)?;
    let n = column(path, batch, "count").map_err(Ok)?;
    if !matches!(n.data_type(), DataType::Int32 | DataType::Int64) {
        return Err(Ok(wrong_type(path, "count", n.data_type(), "an integer")));
    }
    let (offsets, values): (Vec<usize>, &dyn Array) = match items.data_type() {
        DataType::List(f) if crate::dataset::is_string_type(f.data_type()) => {
            let list = items.as_list::<i32>();
            (
                list.offsets().iter().map(|&o| o as usize).collect(),
                list.values().as_ref(),
            )
        }
        DataType::LargeList(f) if crate::dataset::is_string_type(f.data_type()) => {
            let list = items.as_list::<i64>();
            (
                list.offsets().iter().map(|&o| o as usize).collect(),
                list.values().as_ref(),
            )
        }
        ty => return Err(Ok(wrong_type(path, "items", ty, "a list of strings"))),
    };
    for i in 0..batch.num_rows() {
        if items.is_null(i) {
            return Err(Ok(null(path, "items")));
        }
        let mut ids = Vec::with_capacity(offsets[i + 1] - offsets[i]);
        for j in offsets[i]..offsets[i + 1] {
            let uri = text(values, j).ok_or_else(|| Ok(null(path, "items")))?;
            let id = index
                .get(uri)
                .ok_or_else(|| Err(format!("itemset track {uri:?} is not in {TRACKS}/")))?;
            ids.push(*id);
        }
        ids.sort_unstable();
        let count = count(n, i).ok_or_else(|| Ok(null(path, "count")))?;
        itemsets.push(Itemset { items: ids, count });
    }
    Ok(())
}
