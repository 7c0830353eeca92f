//! A replica's local copy of the last good blob it downloaded from an object store
//! (`SEGUE_CACHE_DIR`, an `emptyDir` in Kubernetes, in the directory layout): what it serves
//! when it starts while the store is unreachable.
//!
//! A new blob is written after the swap, in the background ([`crate::background`]): copying
//! 150 MB into the page cache costs about as much CPU as decoding it, and it is not needed to
//! serve. One writer thread writes the blobs in turn; one that a newer blob overtakes before
//! its turn is skipped. A server that stops waits for the write under way ([`PendingWrites`]),
//! so that a replica restarted right after a switch comes back on the model it served; one
//! killed mid-write restarts on the previous good copy (the directory store publishes
//! atomically).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::state::Loaded;

/// The cache directory, and its writer thread's queue (none if the thread could not start).
#[derive(Debug)]
pub(crate) struct ModelCache {
    dir: PathBuf,
    writer: Option<mpsc::Sender<(String, Bytes)>>,
    pending: PendingWrites,
}

/// What a stopping server waits for: the cache directory's writer, done once the follower that
/// feeds it is dropped and the blobs queued before are written
/// ([`crate::follow::Follower::pending_writes`]).
#[derive(Clone, Debug)]
pub struct PendingWrites(Arc<Mutex<Option<oneshot::Receiver<()>>>>);

impl PendingWrites {
    /// Waits up to `limit` for the writer to finish (call it once the cache is dropped: the
    /// writer ends when its queue does).
    pub async fn finish(&self, limit: Duration) {
        let done = self.0.lock().ok().and_then(|mut done| done.take());
        let Some(done) = done else {
            return;
        };
        if tokio::time::timeout(limit, done).await.is_err() {
            tracing::warn!(
                ?limit,
                "the model is still being written to the cache directory; stopping anyway (the cache keeps its previous good model)"
            );
        }
    }
}

impl ModelCache {
    /// The cache in `dir`, with its writer thread started (idle until a blob is kept).
    pub(crate) fn new(dir: PathBuf) -> ModelCache {
        let (tx, rx) = mpsc::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let writer_dir = dir.clone();
        let write = move || {
            write_in_turn(&writer_dir, &rx);
            let _ = done_tx.send(());
        };
        // If the thread does not start, `done_tx` is dropped with it: nothing to wait for.
        let writer = match crate::background::spawn("model-cache", write) {
            Ok(_) => Some(tx),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the cache writer: models will not be cached");
                None
            }
        };
        ModelCache {
            dir,
            writer,
            pending: PendingWrites(Arc::new(Mutex::new(Some(done_rx)))),
        }
    }

    /// What a stopping server waits for once this cache is dropped.
    pub(crate) fn pending_writes(&self) -> PendingWrites {
        self.pending.clone()
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
    pub(crate) fn keep(&self, id: &str, blob: Bytes) {
        let Some(writer) = &self.writer else {
            return;
        };
        if writer.send((id.to_owned(), blob)).is_err() {
            tracing::warn!("the cache writer has stopped: the model is not cached");
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
        let cache = ModelCache::new(dir.path().to_owned());
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

    #[tokio::test]
    async fn a_stopping_server_waits_for_the_write_under_way() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ModelCache::new(dir.path().to_owned());
        let pending = cache.pending_writes();
        // Large enough that writing it (and syncing it) takes a while.
        let blob = Bytes::from(vec![7u8; 64 << 20]);
        cache.keep("big", blob.clone());
        drop(cache);
        pending.finish(Duration::from_secs(30)).await;
        let pointer = store::dir::read_pointer(dir.path()).expect("reads");
        assert_eq!(
            pointer.as_deref(),
            Some("models/big.segue"),
            "written before finish returned"
        );
        let written = std::fs::read(dir.path().join("models/big.segue")).expect("reads the blob");
        assert!(written == blob, "the whole blob");
    }
}
