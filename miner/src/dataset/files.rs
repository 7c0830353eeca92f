//! Dataset files: which files an input names, the format a name suggests, and opening a file
//! (gunzipped when its name ends in `.gz`, its bytes counted for the progress display).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Format, ReadError};
use crate::progress::Counters;

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
    } else if name.ends_with(".parquet") {
        Some(Format::Parquet)
    } else if name.ends_with(".dat") || name.ends_with(".txt") || name.ends_with(".baskets") {
        Some(Format::Baskets)
    } else {
        None
    }
}

/// The format to read `path` in: `format`, or with [`Format::Auto`] the one its name suggests
/// (baskets when it suggests none).
pub(super) fn resolve(path: &Path, format: Format) -> Format {
    match format {
        Format::Auto => detect(path).unwrap_or(Format::Baskets),
        other => other,
    }
}

/// A file's label in the model's metadata: its name.
pub(super) fn label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
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

/// Opens `path` for reading, through gzip when its name ends in `.gz`, adding the bytes read
/// (before decompression) to `counters.done`.
pub(super) fn open(
    path: &Path,
    counters: &Arc<Counters>,
) -> Result<Box<dyn BufRead + Send>, ReadError> {
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
