//! The course CSV: one row per playlist entry, columns found by header name (`pid` and
//! `track_uri` required; `track_name`, `artist_name`, `album_name` when present).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::Ordering;

use rustc_hash::FxHashMap;

use super::ahead::{Parser, parse_ahead};
use super::builder::Builder;
use super::files::open;
use super::{ReadError, ReadOptions, TrackMeta};

/// The columns a course CSV must have.
const REQUIRED: [&str; 2] = ["pid", "track_uri"];

/// Checks that the CSV file `path` (gzipped when its name ends in `.gz`) has the required
/// columns in its header, reading nothing past the header. The error says what is missing
/// and what the header holds.
pub(super) fn check_header(path: &Path) -> Result<(), String> {
    let file = open(path, &std::sync::Arc::default()).map_err(|e| e.to_string())?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file);
    let headers = reader.byte_headers().map_err(|e| e.to_string())?;
    let names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h.trim_ascii()).into_owned())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|c| !names.iter().any(|n| n == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let shown: String = names.join(", ").chars().take(200).collect();
    Err(format!(
        "no column {} in the header (found: {shown})",
        missing
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    ))
}

/// Reads the CSV file `path` into `b`: one row per playlist entry, the columns found by their
/// header names.
pub(super) fn read(path: &Path, b: &mut Builder, options: ReadOptions) -> Result<(), ReadError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(open(path, &b.progress)?);
    let syntax = |line: u64, column: u64, message: String| ReadError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let csv_error = |e: ::csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            ::csv::ErrorKind::Io(source) => ReadError::Io {
                path: path.to_owned(),
                source,
            },
            ::csv::ErrorKind::Utf8 { err, .. } => {
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
    let [pid, uri] = REQUIRED;
    let pid_col = find(pid).ok_or_else(|| missing(pid))?;
    let uri_col = find(uri).ok_or_else(|| missing(uri))?;
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
    // interning below.
    let parse = move |parser: Parser<Batch>| parse_batches(reader, &parser);
    parse_ahead(parse, |batches| {
        let mut handle = |b: &mut Builder, record: &::csv::StringRecord| -> Result<(), ReadError> {
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
            let id = b.intern.item(uri, || TrackMeta {
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
        for batch in batches.iter() {
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
            batches.recycle(Batch {
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
    records: Vec<::csv::StringRecord>,
    len: usize,
    error: Option<::csv::Error>,
}

/// Rows per [`Batch`].
const BATCH_ROWS: usize = 1024;

/// Parses `reader` into batches for the consumer, reusing the batches that come back. Stops
/// at the end of the input, at an I/O error, or when the consumer hangs up.
fn parse_batches<R: Read>(mut reader: ::csv::Reader<R>, parser: &Parser<Batch>) {
    loop {
        let mut batch = parser.recycled().unwrap_or_else(|| Batch {
            records: vec![::csv::StringRecord::new(); BATCH_ROWS],
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
                    done = matches!(e.kind(), ::csv::ErrorKind::Io(_));
                    batch.error = Some(e);
                    break;
                }
            }
        }
        if !parser.send(batch) || done {
            return;
        }
    }
}
