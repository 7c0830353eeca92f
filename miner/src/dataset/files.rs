//! Dataset files: the format to read a file in, its label, and opening it (gunzipped when its
//! name ends in `.gz`, its bytes counted for the progress display). Which files an input
//! names is `discover.rs`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::discover::{classify, refuse_challenge_set};
use super::{Format, ReadError};
use crate::progress::Counters;

/// The format to read `path` in: `format`, or with [`Format::Auto`] the one it is recognised
/// as ([`classify`]); an error when it is none, or when it is the challenge set.
pub(super) fn resolve(path: &Path, format: Format) -> Result<Format, ReadError> {
    let not_a_dataset = |reason| ReadError::NotADataset {
        path: path.to_owned(),
        reason,
    };
    match format {
        Format::Auto => classify(path).map_err(not_a_dataset),
        explicit => {
            refuse_challenge_set(path).map_err(not_a_dataset)?;
            Ok(explicit)
        }
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
