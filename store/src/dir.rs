//! A model store in a directory: publishing atomically, reading the pointer, pruning.
//!
//! Each file is written to a temporary name in its final directory, flushed to disk, renamed
//! over its final name, and the directory is flushed, so a crash at any moment leaves either
//! the old or the new model current, never a partial one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::layout::{self, CURRENT, EXTENSION, MODELS};

/// What publishing did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// The blob's path.
    pub path: PathBuf,
    /// Older blobs deleted to respect `keep`.
    pub removed: Vec<PathBuf>,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync
/// the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The blob path (relative to `dir`) that `dir/current` names, if there is a pointer.
/// Errors when the pointer cannot be read or is malformed.
pub fn read_pointer(dir: &Path) -> io::Result<Option<String>> {
    let path = dir.join(CURRENT);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    match layout::parse_pointer(&text) {
        Ok(blob) => Ok(Some(blob.to_owned())),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )),
    }
}

/// The blob that `dir/current` names, if any. Errors when the pointer exists but is malformed.
pub fn current(dir: &Path) -> io::Result<Option<PathBuf>> {
    Ok(read_pointer(dir)?.map(|blob| dir.join(blob)))
}

/// Publishes `blob` as `dir/models/<model_id>.segue`, points `dir/current` at it, then deletes
/// the oldest blobs beyond the newest `keep` (never the current one).
pub fn publish(dir: &Path, model_id: &str, blob: &[u8], keep: usize) -> io::Result<Published> {
    let models = dir.join(MODELS);
    fs::create_dir_all(&models)?;
    let path = dir.join(layout::blob_path(model_id));
    write_atomic(&path, blob)?;
    write_atomic(
        &dir.join(CURRENT),
        layout::pointer_text(model_id).as_bytes(),
    )?;
    let removed = prune(&models, &path, keep)?;
    Ok(Published { path, removed })
}

/// Deletes the oldest `*.segue` files in `models` beyond the newest `keep`, sparing `current`,
/// and leftovers of interrupted writes.
fn prune(models: &Path, current: &Path, keep: usize) -> io::Result<Vec<PathBuf>> {
    let mut blobs = Vec::new();
    for entry in fs::read_dir(models)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") {
            // A temp file left by a crashed run; one younger than an hour may be another
            // publisher's write in progress.
            let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
            if age.as_secs() > 3600 {
                let _ = fs::remove_file(&path);
            }
            continue;
        }
        if path.extension().is_some_and(|e| e == EXTENSION) {
            let modified = entry.metadata()?.modified()?;
            blobs.push((modified, path));
        }
    }
    blobs.sort_by(|a, b| b.cmp(a)); // newest first
    let mut removed = Vec::new();
    for (_, path) in blobs.into_iter().skip(keep.max(1)) {
        if path != current {
            fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok(removed)
}
