//! Fingerprints of dataset files: size and XXH3-128 of the bytes as stored, so that the guard
//! can tell a dataset published before from another file under the same name.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::DatasetPrint;

/// Fingerprints the file at `path`, named by its file name.
pub fn fingerprint(path: &Path) -> io::Result<DatasetPrint> {
    let mut file = File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(DatasetPrint {
        name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        bytes,
        xxh3: format!("{:032x}", hasher.digest128()),
    })
}

/// Fingerprints `files` (in parallel), in their order; the error names the file.
pub fn fingerprints(files: &[PathBuf]) -> Result<Vec<DatasetPrint>, (PathBuf, io::Error)> {
    files
        .par_iter()
        .map(|f| fingerprint(f).map_err(|e| (f.clone(), e)))
        .collect()
}
