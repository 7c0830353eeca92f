//! Following a model store in object storage (S3, GCS, Azure Blob): polls the pointer with
//! `If-None-Match` (an unchanged pointer costs one 304), downloads the blob a new pointer
//! names, checks it (checksum and every invariant on decoding, and that its model id is the
//! one its name says) and swaps it in as the directory's reloader does.
//!
//! The last good blob is kept in a local cache directory (`SEGUE_CACHE_DIR`, an `emptyDir` in
//! Kubernetes, in the directory layout), so that a replica started while the store is
//! unreachable serves it. An outage never touches the model being served: it is logged once
//! when it starts and once when it ends, counted in the metrics, and polling slows to every
//! one and a half intervals until the store answers again (so that a store that comes back
//! is noticed within two intervals).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use store::layout;
use store::object::{self, ObjectLocation, PointerPoll};

use crate::cache::{ModelCache, PendingWrites};
use crate::reload::Outcome;
use crate::state::{AppState, Loaded, Reload};

/// Follows one prefix of an object store.
#[derive(Debug)]
pub struct Follower {
    location: ObjectLocation,
    state: AppState,
    cache: Option<ModelCache>,
    /// The ETag of the last pointer dealt with (served, or rejected for good).
    e_tag: Option<String>,
    /// Since when the store has been unreachable.
    outage: Option<Instant>,
    missing_logged: bool,
}

impl Follower {
    /// A follower of `location`, installing into `state`, keeping the last good blob in
    /// `cache` if given.
    pub fn new(location: ObjectLocation, state: AppState, cache: Option<PathBuf>) -> Follower {
        Follower {
            location,
            state,
            cache: cache.map(ModelCache::new),
            e_tag: None,
            outage: None,
            missing_logged: false,
        }
    }

    /// What to wait for, once this follower is dropped, before the process exits: the cache
    /// directory's write under way (none without a cache directory).
    pub fn pending_writes(&self) -> Option<PendingWrites> {
        self.cache.as_ref().map(ModelCache::pending_writes)
    }

    /// Serves the cached blob, if there is a good one and no model is served yet: what a
    /// replica starting while the store is unreachable serves.
    pub async fn load_cache(&mut self) -> Option<String> {
        if self.state.model.load().is_some() {
            return None;
        }
        let loaded = self.cache.as_ref()?.load().await?;
        let id = loaded.model.id().to_owned();
        tracing::info!(model = %id, "serving the cached model until the store answers");
        self.state.record_reload(Reload::Loaded(Box::new(loaded)));
        Some(id)
    }

    /// Polls the pointer once and loads the model it names if that is new.
    pub async fn check(&mut self) -> Outcome {
        let metrics = &self.state.metrics;
        metrics.store_polls.inc();
        let poll = match self.location.poll_pointer(self.e_tag.as_deref()).await {
            Ok(poll) => poll,
            Err(e) => return self.unreachable(&e),
        };
        self.reachable();
        let (text, e_tag) = match poll {
            PointerPoll::NotModified => return Outcome::Unchanged,
            PointerPoll::Missing => {
                if !self.missing_logged {
                    tracing::info!(store = %self.location.url(), "no model published yet");
                    self.missing_logged = true;
                }
                return Outcome::NoModel;
            }
            PointerPoll::Found { text, e_tag } => (text, e_tag),
        };
        self.missing_logged = false;
        let pointer = match layout::parse_pointer(&text) {
            Ok(p) => p.to_owned(),
            Err(e) => return self.reject(e_tag, format!("{}/current: {e}", self.location.url())),
        };
        if let Some(current) = self.state.model.load().as_ref()
            && current.pointer == pointer
        {
            self.e_tag = e_tag;
            return Outcome::Unchanged;
        }
        let started = Instant::now();
        let bytes = match self.location.get(&pointer).await {
            Ok(bytes) => {
                let (size, seconds) = (bytes.len(), started.elapsed().as_secs_f64());
                tracing::debug!(%pointer, bytes = size, seconds, "blob downloaded");
                bytes
            }
            Err(e @ object::Error::NotFound { .. }) => {
                return self.reject(e_tag, format!("{}/{pointer}: {e}", self.location.url()));
            }
            Err(e) => return self.unreachable(&e),
        };
        let label = format!("{}/{pointer}", self.location.url());
        let loaded = tokio::task::spawn_blocking({
            let pointer = pointer.clone();
            move || decode(bytes, &pointer, &label)
        })
        .await;
        let loaded = match loaded {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(reason)) => return self.reject(e_tag, reason),
            Err(join) => return self.reject(e_tag, format!("loading panicked: {join}")),
        };
        let id = loaded.model.id().to_owned();
        let blob = loaded.blob.clone();
        loaded.log_loaded();
        self.state.record_reload(Reload::Loaded(Box::new(loaded)));
        self.e_tag = e_tag;
        // Served first, cached after, in the background: writing a large blob to disk does not
        // delay the switch (a replica that stops in between restarts on the cache's previous
        // good model).
        if let Some(cache) = &self.cache {
            cache.keep(&id, blob);
        }
        Outcome::Loaded { id }
    }

    /// A pointer or blob that will not load: logged and counted once, and not retried until
    /// the pointer changes.
    fn reject(&mut self, e_tag: Option<String>, reason: String) -> Outcome {
        tracing::error!(%reason, "new model rejected; the previous model keeps serving");
        self.state.record_reload(Reload::Rejected);
        self.e_tag = e_tag;
        Outcome::Rejected { reason }
    }

    /// The store did not answer: logged when an outage starts, counted every time.
    fn unreachable(&mut self, error: &object::Error) -> Outcome {
        self.state.metrics.store_errors.inc();
        self.state.metrics.store_up.set(0);
        if self.outage.is_none() {
            tracing::error!(
                store = %self.location.url(),
                %error,
                "the model store is unreachable; the current model keeps serving"
            );
            self.outage = Some(Instant::now());
        }
        Outcome::Unreachable {
            reason: error.to_string(),
        }
    }

    fn reachable(&mut self) {
        self.state.metrics.store_up.set(1);
        if let Some(since) = self.outage.take() {
            tracing::info!(
                store = %self.location.url(),
                seconds = since.elapsed().as_secs_f64(),
                "the model store answers again"
            );
        }
    }

    /// Polls once, serves the cache if that gave no model, then polls every `every` (every
    /// one and a half while the store is unreachable), until the task is dropped.
    pub async fn run(mut self, every: Duration) {
        self.check().await;
        if self.state.model.load().is_none() {
            self.load_cache().await;
        }
        loop {
            let pause = if self.outage.is_some() {
                every * 3 / 2
            } else {
                every
            };
            tokio::time::sleep(pause).await;
            let started = Instant::now();
            let outcome = self.check().await;
            tracing::debug!(?outcome, elapsed = ?started.elapsed(), "model store polled");
        }
    }
}

/// Decodes and checks a downloaded blob: a valid model whose id is the one its name says.
fn decode(bytes: Bytes, pointer: &str, label: &str) -> Result<Loaded, String> {
    let started = Instant::now();
    // The model's strings stay in `bytes`, which `Loaded` keeps anyway (it serves the blob).
    let model = engine::Model::from_shared_blob(&bytes).map_err(|e| format!("{label}: {e}"))?;
    let named = layout::model_id(pointer).unwrap_or_default();
    if model.id() != named {
        return Err(format!(
            "{label}: the blob holds model {}, not the {named} its name says",
            model.id()
        ));
    }
    Ok(Loaded::new(model, bytes, pointer.to_owned(), started))
}
