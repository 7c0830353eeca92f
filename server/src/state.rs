//! What every request shares: the model being served (swapped atomically on reload), the
//! limits and the metrics.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwapOption;
use bytes::Bytes;

use crate::config::Limits;
use crate::metrics::{Metrics, ReloadLabels, ReloadResult};
use crate::search::Catalog;

/// A model loaded from its blob, with what serving it needs.
#[derive(Debug)]
pub struct Loaded {
    /// The decoded, validated model.
    pub model: engine::Model,
    /// The blob's bytes, for `GET /api/model/blob`.
    pub blob: Bytes,
    /// Track search, built after the model is swapped in ([`Loaded::catalog`]).
    catalog: OnceLock<Catalog>,
    /// The blob's path relative to the model directory, as `current` names it.
    pub pointer: String,
    /// When this server loaded it.
    pub loaded_at: SystemTime,
    /// How long reading, validating and indexing took (not the search index, built after).
    pub load_seconds: f64,
}

/// Why a blob could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The blob's path.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid blob.
    #[error("{}: {source}", path.display())]
    Decode {
        /// The blob's path.
        path: PathBuf,
        /// What is wrong with it.
        source: engine::DecodeError,
    },
}

impl Loaded {
    /// Logs that this model was loaded (the one "model loaded" line of both ways of following
    /// a store).
    pub fn log_loaded(&self) {
        tracing::info!(
            model = %self.model.id(),
            pointer = %self.pointer,
            tracks = self.model.track_count(),
            rules = self.model.rule_count(),
            seconds = self.load_seconds,
            "model loaded"
        );
    }

    /// Reads, validates and indexes the blob at `dir/pointer` (blocking: call it off the
    /// request path).
    pub fn load(dir: &Path, pointer: &str) -> Result<Loaded, LoadError> {
        let started = Instant::now();
        let path = dir.join(pointer);
        let bytes = Bytes::from(std::fs::read(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?);
        // The model's strings stay in `bytes`, which the server keeps anyway (it serves the blob).
        let model =
            engine::Model::from_shared_blob(&bytes).map_err(|source| LoadError::Decode {
                path: path.clone(),
                source,
            })?;
        Ok(Loaded::new(model, bytes, pointer.to_owned(), started))
    }

    /// Wraps a model already decoded from `blob`.
    pub fn new(model: engine::Model, blob: Bytes, pointer: String, started: Instant) -> Loaded {
        Loaded {
            model,
            blob,
            catalog: OnceLock::new(),
            pointer,
            loaded_at: SystemTime::now(),
            load_seconds: started.elapsed().as_secs_f64(),
        }
    }
}

impl Loaded {
    /// Track search over this model. The index is built once: by the thread
    /// [`Shared::install`] starts right after the swap, or by the first search if that comes
    /// first; a search that arrives while it is being built waits for it (blocking: call it
    /// off the async workers unless [`Loaded::catalog_if_built`] has it).
    pub fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| Catalog::new(&self.model))
    }

    /// Track search, if its index is built.
    pub fn catalog_if_built(&self) -> Option<&Catalog> {
        self.catalog.get()
    }
}

/// State shared by every request and the reloader.
#[derive(Debug)]
pub struct Shared {
    /// The model being served; `None` until one has been published and loaded.
    pub model: ArcSwapOption<Loaded>,
    /// Request limits.
    pub limits: Limits,
    /// Metrics.
    pub metrics: Metrics,
    /// Set on SIGTERM: readiness turns 503 while in-flight requests finish.
    pub draining: AtomicBool,
}

/// The outcome of one attempt to load a newly published model.
#[derive(Debug)]
pub enum Reload {
    /// It loaded: serve it.
    Loaded(Box<Loaded>),
    /// It could not be loaded; the previous model keeps serving.
    Rejected,
}

/// How many published models this server has loaded and rejected since it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReloadCounts {
    /// Models loaded.
    pub loaded: u64,
    /// Blobs rejected.
    pub rejected: u64,
}

/// The handle handlers get: cheap to clone.
pub type AppState = Arc<Shared>;

impl Shared {
    /// State with no model yet.
    pub fn new(limits: Limits) -> AppState {
        Arc::new(Shared {
            model: ArcSwapOption::empty(),
            limits,
            metrics: Metrics::default(),
            draining: AtomicBool::new(false),
        })
    }

    /// Records a reload attempt (in the metrics, which [`Shared::reload_counts`] reads) and,
    /// if it loaded, serves the new model from now on.
    pub fn record_reload(&self, reload: Reload) {
        let result = match reload {
            Reload::Loaded(loaded) => {
                self.install(*loaded);
                ReloadResult::success
            }
            Reload::Rejected => ReloadResult::failure,
        };
        self.metrics
            .reloads
            .get_or_create(&ReloadLabels { result })
            .inc();
    }

    /// Reloads so far, by outcome.
    pub fn reload_counts(&self) -> ReloadCounts {
        let count = |result| {
            self.metrics
                .reloads
                .get_or_create(&ReloadLabels { result })
                .get()
        };
        ReloadCounts {
            loaded: count(ReloadResult::success),
            rejected: count(ReloadResult::failure),
        }
    }

    /// Serves `loaded` from now on; requests in flight finish on the model they started with.
    pub fn install(&self, loaded: Loaded) {
        let m = &self.metrics;
        m.model_info.clear();
        m.model_info
            .get_or_create(&crate::metrics::ModelLabels {
                version: loaded.model.id().to_owned(),
                created_at: loaded.model.metadata().created_at.clone(),
            })
            .set(1);
        m.tracks.set(loaded.model.track_count() as i64);
        m.rules.set(loaded.model.rule_count() as i64);
        let now = loaded
            .loaded_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        m.last_reload.set(now);
        let loaded = Arc::new(loaded);
        self.model.store(Some(Arc::clone(&loaded)));
        // The search index (2-3 s of CPU on 2M tracks) is built after the swap, so that a new
        // model serves recommendations without waiting for it, in the background.
        let build = move || {
            let started = Instant::now();
            loaded.catalog();
            tracing::info!(
                model = loaded.model.id(),
                seconds = started.elapsed().as_secs_f64(),
                "search index built"
            );
        };
        if let Err(e) = crate::background::spawn("search-index", build) {
            tracing::warn!(error = %e, "cannot start the search index thread; the first search builds it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_index_is_built_once_on_first_use_even_by_racing_searches() {
        let model = testkit::generate(&testkit::Shape::SMALL);
        let expected = Catalog::new(&model).search("a", 20);
        let loaded = Loaded::new(model, Bytes::new(), "models/x.segue".into(), Instant::now());
        assert!(loaded.catalog_if_built().is_none());
        let built: Vec<usize> = std::thread::scope(|s| {
            let racing: Vec<_> = (0..4)
                .map(|_| s.spawn(|| std::ptr::from_ref(loaded.catalog()) as usize))
                .collect();
            racing.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(built.windows(2).all(|w| w[0] == w[1]), "one index for all");
        let catalog = loaded.catalog_if_built().expect("built");
        assert_eq!(catalog.search("a", 20), expected);
        assert!(!expected.is_empty());
    }
}
