//! Parquet tables of playlist rows (the data-lake format): one row per playlist entry, the
//! columns found by name as in the CSV reader (`pid` and `track_uri` required; `track_name`,
//! `artist_name`, `album_name` when present), read a row group at a time.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rustc_hash::FxHashMap;

use super::builder::Builder;
use super::{ReadError, ReadOptions, TrackMeta};

/// The columns read, in the order they are looked up.
const COLUMNS: [&str; 5] = [
    "pid",
    "track_uri",
    "track_name",
    "artist_name",
    "album_name",
];

/// Rows per Arrow batch.
const BATCH_ROWS: usize = 8192;

/// Reads the Parquet file `path` into `b`: one row per playlist entry; the rows of a pid
/// form one playlist (within this file), as in the CSV reader.
pub(super) fn read(path: &Path, b: &mut Builder, options: ReadOptions) -> Result<(), ReadError> {
    let error =
        |row_group: Option<usize>, column: Option<&str>, message: String| ReadError::Parquet {
            path: path.to_owned(),
            row_group,
            column: column.map(str::to_owned),
            message,
        };
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| error(None, None, format!("not a readable Parquet file: {e}")))?;
    let size = file.metadata().map_or(0, |m| m.len());
    // Columns by name, surrounding ASCII blanks ignored, the first of duplicates.
    let fields = metadata.schema().fields();
    let find = |name: &str| fields.iter().position(|f| f.name().trim_ascii() == name);
    let found = || {
        fields
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let columns: Vec<Option<usize>> = COLUMNS.iter().map(|c| find(c)).collect();
    for (i, &required) in ["pid", "track_uri"].iter().enumerate() {
        if columns[i].is_none() {
            return Err(ReadError::MissingColumn {
                path: path.to_owned(),
                column: required,
                found: found(),
            });
        }
    }
    for (name, index) in COLUMNS.iter().zip(&columns) {
        let Some(index) = *index else { continue };
        let ty = fields[index].data_type();
        let ok =
            is_string(ty) || (*name == "pid" && matches!(ty, DataType::Int32 | DataType::Int64));
        if !ok {
            let expected = if *name == "pid" {
                "an integer or a string"
            } else {
                "a string"
            };
            return Err(error(
                None,
                Some(name),
                format!("type {ty}, expected {expected}"),
            ));
        }
    }
    let roots: Vec<usize> = columns.iter().flatten().copied().collect();
    let mask = ProjectionMask::roots(metadata.metadata().file_metadata().schema_descr(), roots);

    // Rows of a playlist are usually contiguous; a pid that comes back joins its playlist.
    let mut slots: FxHashMap<String, usize> = FxHashMap::default();
    let mut playlists: Vec<Vec<u32>> = Vec::new();
    let mut last_pid = String::new();
    let mut pid = String::new();
    let mut slot = usize::MAX;
    let groups = metadata.metadata().num_row_groups();
    for group in 0..groups {
        let file = file.try_clone().map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
            .with_row_groups(vec![group])
            .with_projection(mask.clone())
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| error(Some(group), None, e.to_string()))?;
        let mut row = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| error(Some(group), None, e.to_string()))?;
            let column = |i: usize| -> Option<(&str, &ArrayRef)> {
                let name = fields[columns[i]?].name();
                Some((COLUMNS[i], batch.column_by_name(name)?))
            };
            let (pids, uris) = (column(0), column(1));
            let (Some((_, pids)), Some((_, uris))) = (pids, uris) else {
                return Err(error(Some(group), None, "a column vanished".into()));
            };
            let names = [column(2), column(3), column(4)].map(|c| c.map(|(_, a)| a));
            for i in 0..batch.num_rows() {
                let place = |column: &str, what: &str| {
                    error(
                        Some(group),
                        Some(column),
                        format!("row {}: {what}", row + i + 1),
                    )
                };
                let parsed = (|| {
                    if !pid_text(pids, i, &mut pid) {
                        return Err(place("pid", "empty pid"));
                    }
                    let uri = text(uris, i).map(str::trim).unwrap_or_default();
                    if uri.is_empty() {
                        return Err(place("track_uri", "empty track_uri"));
                    }
                    Ok(uri)
                })();
                let uri = match parsed {
                    Ok(u) => u,
                    Err(e) if options.skip_invalid => {
                        b.skip(e.to_string());
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                b.rows += 1;
                let name = |c: usize| {
                    names[c]
                        .and_then(|a| text(a, i))
                        .unwrap_or_default()
                        .to_owned()
                };
                let id = b.intern.item(uri, || TrackMeta {
                    uri: String::new(),
                    name: name(0),
                    artist: name(1),
                    album: name(2),
                });
                if slot == usize::MAX || pid != last_pid {
                    last_pid.clone_from(&pid);
                    slot = *slots.entry(last_pid.clone()).or_insert_with(|| {
                        playlists.push(Vec::new());
                        playlists.len() - 1
                    });
                }
                playlists[slot].push(id);
            }
            row += batch.num_rows();
            b.progress.rows.store(b.rows, Ordering::Relaxed);
        }
        // Progress in bytes: the share of the file's row groups read.
        b.progress
            .done
            .fetch_add(size / groups.max(1) as u64, Ordering::Relaxed);
    }
    for mut items in playlists {
        std::mem::swap(&mut b.current, &mut items);
        b.end_playlist();
    }
    Ok(())
}

/// Whether an Arrow type holds UTF-8 strings.
pub(crate) fn is_string(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Row `i` of a string column (of a type [`is_string`] accepts), `None` when null.
pub(crate) fn text(array: &dyn Array, i: usize) -> Option<&str> {
    if array.is_null(i) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(array.as_string_view().value(i)),
        _ => None,
    }
}

/// Writes row `i` of the pid column into `out` (integers in decimal, strings without
/// surrounding ASCII blanks, as the CSV reader keys them); false when null or empty.
fn pid_text(array: &dyn Array, i: usize, out: &mut String) -> bool {
    use std::fmt::Write;
    out.clear();
    if array.is_null(i) {
        return false;
    }
    match array.data_type() {
        DataType::Int32 => {
            let _ = write!(out, "{}", array.as_primitive::<Int32Type>().value(i));
        }
        DataType::Int64 => {
            let _ = write!(out, "{}", array.as_primitive::<Int64Type>().value(i));
        }
        _ => out.push_str(text(array, i).unwrap_or_default().trim_ascii()),
    }
    !out.is_empty()
}
