//! Reading playlist datasets (the course CSV, MPD JSON slices and plain baskets, plain or
//! gzipped) into a [`Dataset`]: each playlist becomes a transaction, the set of its track ids.
//!
//! One file per job: `discover.rs` finds the dataset files an input names; `files.rs` opens
//! them; `csv.rs`, `mpd.rs`, `baskets.rs` and `parquet.rs` read one format each; `ahead.rs` is
//! the parse-ahead thread that the CSV and
//! basket readers share; `intern.rs` turns URIs into item ids; `builder.rs` collects the
//! playlists; `transactions.rs` holds them as FP-growth takes them; `error.rs` says what went
//! wrong and where.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

mod ahead;
mod baskets;
mod builder;
mod csv;
mod discover;
mod error;
mod files;
mod intern;
mod mpd;
mod parquet;
mod transactions;

pub(crate) use self::parquet::{is_string as is_string_type, text as parquet_text};
pub use discover::{Discovery, Found, Skipped, TAKEN, classify, detect, discover};
pub use error::ReadError;
pub use transactions::Transactions;

use builder::Builder;
use files::{label, resolve};

use crate::progress::Counters;

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide per file by what it is: `mpd.slice.*.json` (MPD), `*.csv` with columns `pid`
    /// and `track_uri` (CSV), `*.baskets` and `*.dat` (baskets), each also `.gz`; `*.parquet`
    /// (playlist rows, columns found by name).
    Auto,
    /// The course CSV: one row per playlist entry, columns found by header name.
    Csv,
    /// Spotify Million Playlist Dataset JSON slices.
    Mpd,
    /// One playlist per line, whitespace-separated item tokens (FIMI `.dat` style).
    Baskets,
    /// Parquet tables of playlist rows, columns found by name as in the CSV.
    Parquet,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Auto => "auto",
            Format::Csv => "csv",
            Format::Mpd => "mpd",
            Format::Baskets => "baskets",
            Format::Parquet => "parquet",
        })
    }
}

/// What a track is called.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackMeta {
    /// Unique id: a Spotify URI, or a basket token.
    pub uri: String,
    /// Song name.
    pub name: String,
    /// Artist name.
    pub artist: String,
    /// Album name.
    pub album: String,
}

/// Playlists read from one or more files.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// The files read, as labels for the model.
    pub labels: Vec<String>,
    /// Tracks by item id.
    pub tracks: Vec<TrackMeta>,
    /// One transaction per playlist, item ids distinct.
    pub transactions: Transactions,
    /// With [`ReadRequest::keep_order`]: each playlist's tracks in the order they were read, a repeated
    /// track at its first place (the same sets as `transactions`, playlist for playlist).
    pub order: Option<Transactions>,
    /// Playlist entries read (a track repeated in a playlist counts each time).
    pub rows: u64,
    /// Bad rows skipped under `--skip-invalid`.
    pub skipped: u64,
    /// The first few reasons rows were skipped.
    pub skip_reasons: Vec<String>,
}

/// How to read.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Input format.
    pub format: Format,
    /// Skip malformed rows (and report them) instead of failing.
    pub skip_invalid: bool,
}

/// One read: how to parse, what to keep besides the playlists' sets, and where to count.
///
/// Plain [`ReadOptions`] convert into a request that keeps no order and counts nowhere.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    /// Format and bad rows.
    pub options: ReadOptions,
    /// Also keep each playlist's tracks in reading order ([`Dataset::order`]), for
    /// evaluations that seed with a playlist's first tracks. Costs a second copy of the items.
    pub keep_order: bool,
    /// Counters to advance while reading (done = bytes read from the files, rows = entries).
    pub progress: Option<Arc<Counters>>,
}

impl From<ReadOptions> for ReadRequest {
    fn from(options: ReadOptions) -> Self {
        ReadRequest {
            options,
            keep_order: false,
            progress: None,
        }
    }
}

/// Reads every file into one dataset, playlists in file order: each in `options.format`, or
/// with [`Format::Auto`] the format it is recognised as ([`classify`]; a file that is no
/// dataset is an error).
pub fn read(files: &[PathBuf], request: impl Into<ReadRequest>) -> Result<Dataset, ReadError> {
    let ReadRequest {
        options,
        keep_order,
        progress,
    } = request.into();
    let mut builder = Builder::new(progress.unwrap_or_default(), keep_order);
    // MPD slices parse in parallel (bounded batches keep memory flat); the rest stream.
    let formats = files
        .iter()
        .map(|f| resolve(f, options.format))
        .collect::<Result<Vec<_>, _>>()?;
    let mut i = 0;
    while i < files.len() {
        let format = formats[i];
        if format == Format::Mpd {
            let slices = formats[i..]
                .iter()
                .take_while(|&&f| f == Format::Mpd)
                .count();
            i += mpd::read_batch(&files[i..i + slices], &mut builder, options)?;
            continue;
        }
        builder.labels.push(label(&files[i]));
        match format {
            Format::Csv => csv::read(&files[i], &mut builder, options)?,
            Format::Parquet => parquet::read(&files[i], &mut builder, options)?,
            _ => baskets::read(&files[i], &mut builder, options)?,
        }
        i += 1;
    }
    Ok(builder.finish())
}
