//! Reading playlist datasets: the course CSV, MPD JSON slices and plain baskets, plain or
//! gzipped. A playlist becomes a transaction: the set of its track URIs.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::fpgrowth::Transactions;
use crate::progress::Counters;

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide per file from its name (`.csv`, `.json`, anything else is baskets; `.gz` is
    /// looked through).
    Auto,
    /// The course CSV: one row per playlist entry, columns found by header name.
    Csv,
    /// Spotify Million Playlist Dataset JSON slices.
    Mpd,
    /// One playlist per line, whitespace-separated item tokens (FIMI `.dat` style).
    Baskets,
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
    /// With [`read_ordered`]: each playlist's tracks in the order they were read, a repeated
    /// track at its first place (the same sets as `transactions`, playlist for playlist).
    pub order: Option<Transactions>,
    /// Playlist entries read (a track repeated in a playlist counts each time).
    pub rows: u64,
    /// Bad rows skipped under `--skip-invalid`.
    pub skipped: u64,
    /// The first few reasons rows were skipped.
    pub skip_reasons: Vec<String>,
}

/// Why a dataset could not be read. Every variant names the file; syntax errors also the line
/// and column (1-based).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A row or document is malformed.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, 1-based.
        line: u64,
        /// Column, 1-based (a byte offset for baskets and JSON, a field number for CSV).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A CSV file lacks a column the reader needs.
    #[error("{}: missing column `{column}` in the header (found: {found})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The header's columns.
        found: String,
    },
    /// An input path names no dataset file.
    #[error("{}: no dataset files found", path.display())]
    NoFiles {
        /// The path.
        path: PathBuf,
    },
}

/// How to read.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Input format.
    pub format: Format,
    /// Skip malformed rows (and report them) instead of failing.
    pub skip_invalid: bool,
}

/// How many skip reasons are kept for the report.
const MAX_REASONS: usize = 5;

/// Lists the dataset files under `inputs` (files as given; directories: their files with a
/// known dataset extension, sorted by name).
pub fn list_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| ReadError::Io {
            path: input.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|source| ReadError::Io {
                    path: input.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && detect(p).is_some())
                .collect();
            if found.is_empty() {
                return Err(ReadError::NoFiles {
                    path: input.clone(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// The format a file name suggests, if any.
pub fn detect(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(Format::Csv)
    } else if name.ends_with(".json") {
        Some(Format::Mpd)
    } else if name.ends_with(".dat") || name.ends_with(".txt") || name.ends_with(".baskets") {
        Some(Format::Baskets)
    } else {
        None
    }
}

/// Counts the bytes read from a file (before decompression) into the progress counters.
struct Counted<R> {
    inner: R,
    counters: Arc<Counters>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counters.done.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn open(path: &Path, counters: &Arc<Counters>) -> Result<Box<dyn BufRead + Send>, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let file = Counted {
        inner: file,
        counters: Arc::clone(counters),
    };
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

/// Reads every file into one dataset, playlists in file order.
pub fn read(files: &[PathBuf], options: ReadOptions) -> Result<Dataset, ReadError> {
    read_counted(files, options, &Arc::new(Counters::default()))
}

/// [`read`], advancing `progress` (done = bytes read from the files, rows = entries).
pub fn read_counted(
    files: &[PathBuf],
    options: ReadOptions,
    progress: &Arc<Counters>,
) -> Result<Dataset, ReadError> {
    read_with(files, options, progress, false)
}

/// [`read`], also keeping each playlist's tracks in reading order ([`Dataset::order`]), for
/// evaluations that seed with a playlist's first tracks. Costs a second copy of the items.
pub fn read_ordered(files: &[PathBuf], options: ReadOptions) -> Result<Dataset, ReadError> {
    read_with(files, options, &Arc::new(Counters::default()), true)
}

fn read_with(
    files: &[PathBuf],
    options: ReadOptions,
    progress: &Arc<Counters>,
    keep_order: bool,
) -> Result<Dataset, ReadError> {
    let mut builder = Builder {
        progress: Arc::clone(progress),
        order: keep_order.then(Transactions::new),
        ..Builder::default()
    };
    // MPD slices parse in parallel (bounded batches keep memory flat); the rest stream.
    let mut i = 0;
    while i < files.len() {
        let format = resolve(&files[i], options.format);
        if format == Format::Mpd {
            let batch_end = (i..files.len())
                .take(rayon::current_num_threads().max(1) * 2)
                .take_while(|&j| resolve(&files[j], options.format) == Format::Mpd)
                .last()
                .map_or(i + 1, |j| j + 1);
            let parsed: Vec<Result<Vec<Playlist>, ReadError>> = files[i..batch_end]
                .par_iter()
                .map(|path| parse_mpd(path, progress))
                .collect();
            for (path, playlists) in files[i..batch_end].iter().zip(parsed) {
                let playlists = match playlists {
                    Ok(p) => p,
                    Err(e) if options.skip_invalid => {
                        builder.skip(e.to_string());
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                builder.labels.push(label(path));
                for playlist in playlists {
                    for t in playlist.tracks {
                        builder.rows += 1;
                        let id = builder.item(&t.track_uri, || TrackMeta {
                            uri: String::new(),
                            name: t.track_name.clone(),
                            artist: t.artist_name.clone(),
                            album: t.album_name.clone(),
                        });
                        builder.current.push(id);
                    }
                    builder.end_playlist();
                }
            }
            i = batch_end;
            continue;
        }
        builder.labels.push(label(&files[i]));
        match format {
            Format::Csv => read_csv(&files[i], &mut builder, options)?,
            _ => read_baskets(&files[i], &mut builder, options)?,
        }
        i += 1;
    }
    Ok(builder.finish())
}

fn resolve(path: &Path, format: Format) -> Format {
    match format {
        Format::Auto => detect(path).unwrap_or(Format::Baskets),
        other => other,
    }
}

fn label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Track URI -> item id. foldhash rather than FxHash: short, similar keys (basket tokens,
/// URIs) collide under FxHash.
///
/// Keys of up to [`INLINE`] bytes (every `spotify:track:` URI, most basket tokens) live in the
/// table's slots themselves: with 2M tracks the table is far larger than the caches, and a
/// `String` key costs a second cache miss per lookup (its heap bytes) on top of the slot's,
/// which made the string compare the biggest single cost of reading a million playlists.
#[derive(Default)]
struct UriIndex {
    inline: HashMap<InlineKey, u32, foldhash::fast::RandomState>,
    long: HashMap<String, u32, foldhash::fast::RandomState>,
}

/// Longest key stored inline in [`UriIndex`].
const INLINE: usize = 39;

/// A key of at most [`INLINE`] bytes, zero-padded, its length in the last byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct InlineKey([u8; INLINE + 1]);

impl InlineKey {
    fn new(key: &str) -> Option<Self> {
        let bytes = key.as_bytes();
        (bytes.len() <= INLINE).then(|| {
            let mut k = [0; INLINE + 1];
            k[..bytes.len()].copy_from_slice(bytes);
            k[INLINE] = bytes.len() as u8;
            Self(k)
        })
    }
}

impl UriIndex {
    /// The id `key` already has, or `None` after registering it with the id `fresh`.
    fn get_or_insert(&mut self, key: &str, fresh: u32) -> Option<u32> {
        let slot = match InlineKey::new(key) {
            Some(k) => self.inline.entry(k),
            None => match self.long.get(key) {
                Some(&id) => return Some(id),
                None => {
                    self.long.insert(key.to_owned(), fresh);
                    return None;
                }
            },
        };
        match slot {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(fresh);
                None
            }
        }
    }
}

/// Item ids of basket tokens that are plain integers, indexed by the integer (`u32::MAX`: not
/// seen yet): no hashing and no string compares for FIMI-style baskets.
const DENSE_LIMIT: u32 = 1 << 26;

#[derive(Default)]
struct Builder {
    index: UriIndex,
    dense: Vec<u32>,
    tracks: Vec<TrackMeta>,
    transactions: Transactions,
    current: Vec<u32>,
    rows: u64,
    skipped: u64,
    skip_reasons: Vec<String>,
    labels: Vec<String>,
    progress: Arc<Counters>,
    /// Playlists in reading order, when asked for ([`read_ordered`]).
    order: Option<Transactions>,
    seen: rustc_hash::FxHashSet<u32>,
    ordered: Vec<u32>,
}

impl Builder {
    /// The item id of `uri`, registering the track (with `meta`) on first sight. Ids that are
    /// canonical small integers (FIMI baskets) skip hashing via a dense array.
    fn item(&mut self, uri: &str, meta: impl FnOnce() -> TrackMeta) -> u32 {
        if let Some(n) = small_integer(uri.as_bytes()) {
            return self.dense_item(n, || (uri.to_owned(), meta()));
        }
        let fresh = self.tracks.len() as u32;
        if let Some(id) = self.index.get_or_insert(uri, fresh) {
            return id;
        }
        let mut m = meta();
        m.uri = uri.to_owned();
        self.tracks.push(m);
        fresh
    }

    /// The item id of the track whose URI is the canonical integer `n` (< [`DENSE_LIMIT`]);
    /// `meta` gives the URI and the rest on first sight.
    fn dense_item(&mut self, n: u32, meta: impl FnOnce() -> (String, TrackMeta)) -> u32 {
        if self.dense.len() <= n as usize {
            self.dense.resize(
                (n as usize + 1)
                    .next_power_of_two()
                    .min(DENSE_LIMIT as usize),
                u32::MAX,
            );
        }
        if self.dense[n as usize] != u32::MAX {
            return self.dense[n as usize];
        }
        let fresh = self.tracks.len() as u32;
        self.dense[n as usize] = fresh;
        let (uri, mut m) = meta();
        m.uri = uri;
        self.tracks.push(m);
        fresh
    }

    /// The item id of a basket token: the token is both the id and the name.
    fn token(&mut self, token: &str) -> u32 {
        self.item(token, || TrackMeta {
            name: token.to_owned(),
            ..TrackMeta::default()
        })
    }

    /// The item id of a basket token that is the canonical integer `n`.
    fn integer(&mut self, n: u32) -> u32 {
        self.dense_item(n, || {
            let token = n.to_string();
            let name = token.clone();
            (
                token,
                TrackMeta {
                    name,
                    ..TrackMeta::default()
                },
            )
        })
    }

    fn end_playlist(&mut self) {
        self.progress.rows.store(self.rows, Ordering::Relaxed);
        if !self.current.is_empty() {
            if let Some(order) = &mut self.order {
                self.seen.clear();
                self.ordered.clear();
                for &t in &self.current {
                    if self.seen.insert(t) {
                        self.ordered.push(t);
                    }
                }
                order.push(&self.ordered);
            }
            self.current.sort_unstable();
            self.current.dedup();
            self.transactions.push(&self.current);
            self.current.clear();
        }
    }

    fn skip(&mut self, reason: String) {
        self.skipped += 1;
        if self.skip_reasons.len() < MAX_REASONS {
            self.skip_reasons.push(reason);
        }
    }

    fn finish(mut self) -> Dataset {
        self.end_playlist();
        Dataset {
            labels: self.labels,
            tracks: self.tracks,
            transactions: self.transactions,
            order: self.order,
            rows: self.rows,
            skipped: self.skipped,
            skip_reasons: self.skip_reasons,
        }
    }
}

fn read_baskets(path: &Path, b: &mut Builder, options: ReadOptions) -> Result<(), ReadError> {
    let reader = open(path, &b.progress)?;
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    // Splitting lines into tokens (UTF-8 checks, integer parsing) runs on its own thread, a
    // chunk ahead of the id assignment, sorting and dedup below.
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Chunk>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
    std::thread::scope(|scope| {
        scope.spawn(move || split_chunks(reader, &full_tx, &empty_rx));
        // Owned here: returning early hangs up on the splitter (see `read_csv`).
        let full_rx = full_rx;
        let mut number = 0u64;
        for chunk in full_rx.iter() {
            let chunk = chunk.map_err(io_error)?;
            let mut first = 0;
            for &line in &chunk.lines {
                number += 1;
                let end = match line {
                    Line::Tokens { end } => end as usize,
                    Line::Invalid { column } => {
                        let err = ReadError::Syntax {
                            path: path.to_owned(),
                            line: number,
                            column: u64::from(column),
                            message: "invalid UTF-8".into(),
                        };
                        if options.skip_invalid {
                            b.skip(err.to_string());
                            continue;
                        }
                        return Err(err);
                    }
                };
                let tokens = &chunk.tokens[first..end];
                first = end;
                b.rows += tokens.len() as u64;
                // Known integer tokens first, in a loop of independent loads (the dense
                // array is larger than the cache: the misses overlap), then the rest in
                // order, so that new tracks get their ids in order of first sight.
                let mut ids = std::mem::take(&mut b.current);
                ids.extend(tokens.iter().map(|&token| match token {
                    Token::Integer(n) => b.dense.get(n as usize).copied().unwrap_or(u32::MAX),
                    Token::Text { .. } => u32::MAX,
                }));
                for (id, &token) in ids.iter_mut().zip(tokens) {
                    if *id == u32::MAX {
                        *id = match token {
                            Token::Integer(n) => b.integer(n),
                            Token::Text { start, end } => {
                                b.token(chunk.text(start as usize..end as usize))
                            }
                        };
                    }
                }
                b.current = ids;
                b.end_playlist();
            }
            // The splitter may have finished: then the chunk is simply dropped.
            let _ = empty_tx.send(chunk);
        }
        Ok(())
    })
}

/// Whole lines of a baskets file, split into tokens ahead of the id assignment.
#[derive(Default)]
struct Chunk {
    /// The lines' bytes.
    bytes: Vec<u8>,
    /// Every line's tokens, line after line.
    tokens: Vec<Token>,
    /// Each line, in order.
    lines: Vec<Line>,
}

impl Chunk {
    /// The text of a token (valid UTF-8: the splitter checked its line).
    fn text(&self, range: std::ops::Range<usize>) -> &str {
        std::str::from_utf8(&self.bytes[range]).unwrap_or_default()
    }
}

/// A basket token.
#[derive(Clone, Copy)]
enum Token {
    /// A canonical small integer (see [`small_integer`]).
    Integer(u32),
    /// Any other token: its bytes in [`Chunk::bytes`].
    Text { start: u32, end: u32 },
}

/// A line of a [`Chunk`].
#[derive(Clone, Copy)]
enum Line {
    /// The line's tokens end at this index of [`Chunk::tokens`] (they start where the
    /// previous line's ended).
    Tokens { end: u32 },
    /// The line is not UTF-8: the byte column (1-based) of the first bad byte.
    Invalid { column: u32 },
}

/// Bytes read per [`Chunk`] (more when a single line is longer).
const CHUNK_BYTES: usize = 1 << 20;

/// Reads `reader` into chunks of whole lines sent on `full`, reusing the chunks that come
/// back on `empty`. Stops at the end of the input, after an I/O error, or when the receiver
/// hangs up.
fn split_chunks<R: Read>(
    mut reader: R,
    full: &mpsc::SyncSender<io::Result<Chunk>>,
    empty: &mpsc::Receiver<Chunk>,
) {
    // Bytes read past the last complete line, carried into the next chunk.
    let mut carry: Vec<u8> = Vec::new();
    let mut eof = false;
    while !eof {
        let mut chunk = empty.try_recv().unwrap_or_default();
        chunk.bytes.clear();
        chunk.bytes.append(&mut carry);
        // Fill up to CHUNK_BYTES, then on until a newline if the chunk has none yet (the
        // carried bytes have none).
        let mut newline = false;
        loop {
            let filled = chunk.bytes.len();
            if filled >= CHUNK_BYTES && newline {
                break;
            }
            if filled > u32::MAX as usize - CHUNK_BYTES {
                let _ = full.send(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a line longer than 4 GiB",
                )));
                return;
            }
            chunk.bytes.resize(
                filled + (CHUNK_BYTES - filled.min(CHUNK_BYTES)).max(1 << 16),
                0,
            );
            match reader.read(&mut chunk.bytes[filled..]) {
                Ok(0) => {
                    chunk.bytes.truncate(filled);
                    eof = true;
                    break;
                }
                Ok(n) => {
                    chunk.bytes.truncate(filled + n);
                    newline = newline || chunk.bytes[filled..].contains(&b'\n');
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => chunk.bytes.truncate(filled),
                Err(e) => {
                    let _ = full.send(Err(e));
                    return;
                }
            }
        }
        if !eof {
            let cut = chunk
                .bytes
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            carry.extend_from_slice(&chunk.bytes[cut..]);
            chunk.bytes.truncate(cut);
        }
        split_lines(&mut chunk);
        if full.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// Fills `chunk.tokens` and `chunk.lines` from `chunk.bytes`. Tokens are separated by
/// whitespace as [`str::split_whitespace`] defines it.
fn split_lines(chunk: &mut Chunk) {
    let Chunk {
        bytes,
        tokens,
        lines,
    } = chunk;
    tokens.clear();
    lines.clear();
    let all_ascii = bytes.is_ascii();
    let mut start = 0;
    while start < bytes.len() {
        let end = if all_ascii {
            split_ascii_line(bytes, start, tokens)
        } else {
            let end = bytes[start..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |i| start + i + 1);
            let line = &bytes[start..end];
            if line.is_ascii() {
                split_ascii_line(&bytes[..end], start, tokens);
            } else {
                match std::str::from_utf8(line) {
                    Ok(text) => {
                        for token in text.split_whitespace() {
                            let at = start + (token.as_ptr() as usize - text.as_ptr() as usize);
                            tokens.push(token_at(bytes, at, at + token.len()));
                        }
                    }
                    Err(e) => {
                        lines.push(Line::Invalid {
                            column: e.valid_up_to() as u32 + 1,
                        });
                        start = end;
                        continue;
                    }
                }
            }
            end
        };
        lines.push(Line::Tokens {
            end: tokens.len() as u32,
        });
        start = end;
    }
}

/// Splits the ASCII line that starts at `bytes[start]` into tokens; returns where the next
/// line starts (past the newline, or the end of `bytes`).
fn split_ascii_line(bytes: &[u8], start: usize, tokens: &mut Vec<Token>) -> usize {
    // What `char::is_whitespace` accepts below 128: tab, newline, vertical tab, form feed,
    // carriage return and space.
    let space = |c: u8| c == b' ' || (b'\t'..=b'\r').contains(&c);
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' {
            return i + 1;
        }
        if space(c) {
            i += 1;
            continue;
        }
        // Scan the token and parse it as a decimal integer in the same pass (what
        // `small_integer` accepts, without a second look at the bytes).
        let token = i;
        let mut n = 0u32;
        let mut digits = true;
        while i < bytes.len() && !space(bytes[i]) {
            let d = bytes[i].wrapping_sub(b'0');
            digits &= d < 10;
            n = n.wrapping_mul(10).wrapping_add(u32::from(d));
            i += 1;
        }
        let len = i - token;
        let canonical = digits && len <= 8 && (len == 1 || bytes[token] != b'0');
        tokens.push(if canonical && n < DENSE_LIMIT {
            Token::Integer(n)
        } else {
            Token::Text {
                start: token as u32,
                end: i as u32,
            }
        });
    }
    i
}

fn token_at(bytes: &[u8], start: usize, end: usize) -> Token {
    match small_integer(&bytes[start..end]) {
        Some(n) => Token::Integer(n),
        None => Token::Text {
            start: start as u32,
            end: end as u32,
        },
    }
}

/// `token` as an integer below [`DENSE_LIMIT`] when it is written canonically (digits, no
/// leading zero), so that each such token has exactly one integer and vice versa.
fn small_integer(b: &[u8]) -> Option<u32> {
    if b.is_empty()
        || b.len() > 8
        || (b.len() > 1 && b[0] == b'0')
        || !b.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let n = b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    (n < DENSE_LIMIT).then_some(n)
}

fn read_csv(path: &Path, b: &mut Builder, options: ReadOptions) -> Result<(), ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(open(path, &b.progress)?);
    let syntax = |line: u64, column: u64, message: String| ReadError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(source) => ReadError::Io {
                path: path.to_owned(),
                source,
            },
            csv::ErrorKind::Utf8 { err, .. } => {
                syntax(line, err.field() as u64 + 1, "invalid UTF-8".into())
            }
            kind => syntax(line, 1, format!("{kind:?}")),
        }
    };
    let headers = reader.byte_headers().map_err(csv_error)?.clone();
    let find = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim_ascii() == name.as_bytes())
    };
    let found = || {
        headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing = |column| ReadError::MissingColumn {
        path: path.to_owned(),
        column,
        found: found(),
    };
    let pid_col = find("pid").ok_or_else(|| missing("pid"))?;
    let uri_col = find("track_uri").ok_or_else(|| missing("track_uri"))?;
    let name_col = find("track_name");
    let artist_col = find("artist_name");
    let album_col = find("album_name");
    let width = headers.len();

    // Rows of a playlist are usually contiguous; when a pid comes back later, its entries
    // join the playlist it started. The pid map is only consulted when the pid changes, and
    // strings are only copied for tracks seen for the first time.
    let mut slots: FxHashMap<String, usize> = FxHashMap::default();
    let mut playlists: Vec<Vec<u32>> = Vec::new();
    let mut last_pid = String::new();
    let mut slot = usize::MAX;
    // Parsing (csv_core, UTF-8 checks) runs on its own thread, a batch of rows ahead of the
    // interning below: the two halves cost about the same, so reading takes one core each.
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || parse_batches(reader, &full_tx, &empty_rx));
        // Owned by this closure, so that returning early (an error) hangs up on the parser
        // instead of leaving it blocked on a full channel while the scope waits for it.
        let full_rx = full_rx;
        let mut handle = |b: &mut Builder, record: &csv::StringRecord| -> Result<(), ReadError> {
            let line = record.position().map_or(0, |p| p.line());
            let parsed = (|| {
                if record.len() != width {
                    return Err(syntax(
                        line,
                        1,
                        format!("expected {width} fields, found {}", record.len()),
                    ));
                }
                let uri = record[uri_col].trim();
                if uri.is_empty() {
                    return Err(syntax(line, uri_col as u64 + 1, "empty track_uri".into()));
                }
                let pid = record[pid_col].trim_ascii();
                if pid.is_empty() {
                    return Err(syntax(line, pid_col as u64 + 1, "empty pid".into()));
                }
                Ok((pid, uri))
            })();
            let (pid, uri) = match parsed {
                Ok(p) => p,
                Err(e) if options.skip_invalid => {
                    b.skip(e.to_string());
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            b.rows += 1;
            let text = |col: Option<usize>| col.map_or_else(String::new, |c| record[c].to_owned());
            let id = b.item(uri, || TrackMeta {
                uri: String::new(),
                name: text(name_col),
                artist: text(artist_col),
                album: text(album_col),
            });
            if slot == usize::MAX || pid != last_pid {
                pid.clone_into(&mut last_pid);
                slot = *slots.entry(last_pid.clone()).or_insert_with(|| {
                    playlists.push(Vec::new());
                    playlists.len() - 1
                });
            }
            playlists[slot].push(id);
            Ok(())
        };
        for batch in full_rx.iter() {
            for record in &batch.records[..batch.len] {
                handle(b, record)?;
            }
            b.progress.rows.store(b.rows, Ordering::Relaxed);
            if let Some(e) = batch.error {
                let err = csv_error(e);
                if !(options.skip_invalid && matches!(err, ReadError::Syntax { .. })) {
                    return Err(err);
                }
                b.skip(err.to_string());
            }
            // The parser may have finished: then the batch is simply dropped.
            let _ = empty_tx.send(Batch {
                error: None,
                ..batch
            });
        }
        Ok(())
    })?;
    for mut items in playlists {
        std::mem::swap(&mut b.current, &mut items);
        b.end_playlist();
    }
    Ok(())
}

/// Rows parsed ahead of the interning: `records[..len]`, then the error that stopped the batch.
struct Batch {
    records: Vec<csv::StringRecord>,
    len: usize,
    error: Option<csv::Error>,
}

/// Rows per [`Batch`].
const BATCH_ROWS: usize = 1024;

/// Parses `reader` into batches sent on `full`, reusing the batches that come back on `empty`.
/// Stops at the end of the input, at an I/O error, or when the receiver hangs up.
fn parse_batches<R: Read>(
    mut reader: csv::Reader<R>,
    full: &mpsc::SyncSender<Batch>,
    empty: &mpsc::Receiver<Batch>,
) {
    loop {
        let mut batch = empty.try_recv().unwrap_or_else(|_| Batch {
            records: vec![csv::StringRecord::new(); BATCH_ROWS],
            len: 0,
            error: None,
        });
        batch.len = 0;
        let mut done = false;
        while batch.len < BATCH_ROWS {
            match reader.read_record(&mut batch.records[batch.len]) {
                Ok(true) => batch.len += 1,
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    done = matches!(e.kind(), csv::ErrorKind::Io(_));
                    batch.error = Some(e);
                    break;
                }
            }
        }
        if full.send(batch).is_err() || done {
            return;
        }
    }
}

#[derive(Deserialize)]
struct Slice {
    playlists: Vec<Playlist>,
}

#[derive(Deserialize)]
struct Playlist {
    tracks: Vec<MpdTrack>,
}

#[derive(Deserialize)]
struct MpdTrack {
    track_uri: String,
    #[serde(default)]
    track_name: String,
    #[serde(default)]
    artist_name: String,
    #[serde(default)]
    album_name: String,
}

fn parse_mpd(path: &Path, progress: &Arc<Counters>) -> Result<Vec<Playlist>, ReadError> {
    let mut bytes = Vec::new();
    open(path, progress)?
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
    serde_json::from_slice::<Slice>(&bytes)
        .map(|s| s.playlists)
        .map_err(|e| ReadError::Syntax {
            path: path.to_owned(),
            line: e.line() as u64,
            column: e.column() as u64,
            message: e.to_string(),
        })
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Auto => "auto",
            Format::Csv => "csv",
            Format::Mpd => "mpd",
            Format::Baskets => "baskets",
        })
    }
}
