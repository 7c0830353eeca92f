//! A replica's local copy of the last good blob it downloaded from an object store
//! (`SEGUE_CACHE_DIR`, an `emptyDir` in Kubernetes, in the directory layout): what it serves
//! when it starts while the store is unreachable.
//!
//! A new blob is written after the swap, in the background ([`crate::background`]): copying
//! 150 MB into the page cache costs about as much CPU as decoding it, and it is not needed to
//! serve. One writer thread writes the blobs in turn; one that a newer blob overtakes before
//! its turn is skipped. A replica that stops mid-write restarts on the previous good copy (the
//! directory store publishes atomically).

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use bytes::Bytes;

use crate::state::Loaded;

/// The cache directory, and the writer thread's queue once it has one.
#[derive(Debug)]
pub(crate) struct ModelCache {
    dir: PathBuf,
    writer: Option<mpsc::Sender<(String, Bytes)>>,
}

impl ModelCache {
    pub(crate) fn new(dir: PathBuf) -> ModelCache {
        ModelCache { dir, writer: None }
    }

    /// The cached model, if the directory holds a good one.
    pub(crate) async fn load(&self) -> Option<Loaded> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let pointer = store::dir::read_pointer(&dir).ok()??;
            Loaded::load(&dir, &pointer).ok()
        })
        .await
        .ok()?
    }

    /// Queues `blob`, model `id`, for writing, and returns at once (best effort: a failure is
    /// logged).
    pub(crate) fn keep(&mut self, id: &str, blob: Bytes) {
        let job = (id.to_owned(), blob);
        let job = match &self.writer {
            Some(writer) => match writer.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job, // the writer is gone: start another
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel();
        let dir = self.dir.clone();
        match crate::background::spawn("model-cache", move || write_in_turn(&dir, &rx)) {
            Ok(_) => {
                if tx.send(job).is_ok() {
                    self.writer = Some(tx);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the cache writer: the model is not cached")
            }
        }
    }
}

/// Writes each queued blob, the newest when several wait, until the queue is dropped.
fn write_in_turn(dir: &Path, queue: &mpsc::Receiver<(String, Bytes)>) {
    while let Ok(mut job) = queue.recv() {
        while let Ok(newer) = queue.try_recv() {
            job = newer;
        }
        let (id, blob) = job;
        if let Err(e) = store::dir::publish(dir, &id, &blob, 1) {
            tracing::warn!(error = %e, "could not keep the model in the cache directory");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_overtaken_before_their_turn_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = mpsc::channel();
        for id in ["a", "b", "c"] {
            tx.send((id.to_owned(), Bytes::from(format!("blob {id}"))))
                .expect("queued");
        }
        drop(tx);
        write_in_turn(dir.path(), &rx);
        let models: Vec<_> = std::fs::read_dir(dir.path().join("models"))
            .expect("the models directory")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(models, ["c.segue"], "only the newest was written");
        let pointer = store::dir::read_pointer(dir.path()).expect("reads");
        assert_eq!(pointer.as_deref(), Some("models/c.segue"));
    }

    #[test]
    fn a_kept_blob_is_written_in_the_background() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cache = ModelCache::new(dir.path().to_owned());
        cache.keep("a", Bytes::from_static(b"blob a"));
        cache.keep("b", Bytes::from_static(b"blob b"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while store::dir::read_pointer(dir.path())
            .ok()
            .flatten()
            .as_deref()
            != Some("models/b.segue")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "b is not cached after 10 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let blob = std::fs::read(dir.path().join("models/b.segue")).expect("reads the blob");
        assert_eq!(blob, b"blob b");
    }
}
