//! Hot reload: follows `<model dir>/current` (one line, `models/<id>.segue`, written
//! atomically by the miner) and swaps in each newly named model once it is fully loaded.
//!
//! A change is noticed by polling and by file-system notifications, whichever comes first
//! (notifications do not cross nodes on network volumes; polling does). A blob that cannot be
//! loaded is logged and counted, the old model keeps serving, and that pointer is not retried
//! until it, or the blob it names, changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher as _;
use notify::event::{EventKind, ModifyKind};
use tokio::sync::Notify;

use crate::state::{AppState, Loaded, Reload};

pub use store::layout::CURRENT;

/// What one look at the model directory did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No pointer yet (a fresh volume).
    NoModel,
    /// The pointer still names the model being served (or a blob already rejected).
    Unchanged,
    /// A new model is being served.
    Loaded {
        /// Its id.
        id: String,
    },
    /// The pointer or the blob it names is unusable; the previous model keeps serving.
    Rejected {
        /// Why.
        reason: String,
    },
    /// The model store (object storage) did not answer; the previous model keeps serving.
    Unreachable {
        /// Why.
        reason: String,
    },
}

/// Identity of a pointer target, to avoid reloading a rejected blob over and over.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    pointer: String,
    len: Option<u64>,
    modified: Option<SystemTime>,
}

/// Follows one model directory.
#[derive(Debug)]
pub struct Reloader {
    dir: PathBuf,
    state: AppState,
    rejected: Option<Stamp>,
    missing_logged: bool,
}

impl Reloader {
    /// A reloader for `dir`, installing into `state`.
    pub fn new(dir: PathBuf, state: AppState) -> Reloader {
        Reloader {
            dir,
            state,
            rejected: None,
            missing_logged: false,
        }
    }

    /// Looks at the pointer once and loads the model it names if that is new.
    pub async fn check(&mut self) -> Outcome {
        let pointer = match read_pointer(&self.dir).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                if !self.missing_logged {
                    tracing::info!(dir = %self.dir.display(), "no model published yet");
                    self.missing_logged = true;
                }
                return Outcome::NoModel;
            }
            Err(reason) => return self.reject(None, reason),
        };
        self.missing_logged = false;
        if let Some(current) = self.state.model.load().as_ref()
            && current.pointer == pointer
        {
            return Outcome::Unchanged;
        }
        let stamp = stamp(&self.dir, &pointer).await;
        if self.rejected.as_ref() == Some(&stamp) {
            return Outcome::Unchanged;
        }
        let dir = self.dir.clone();
        let target = pointer.clone();
        let loaded = tokio::task::spawn_blocking(move || Loaded::load(&dir, &target)).await;
        match loaded {
            Ok(Ok(loaded)) => {
                let id = loaded.model.id().to_owned();
                loaded.log_loaded();
                self.state.record_reload(Reload::Loaded(Box::new(loaded)));
                self.rejected = None;
                Outcome::Loaded { id }
            }
            Ok(Err(e)) => self.reject(Some(stamp), e.to_string()),
            Err(join) => self.reject(Some(stamp), format!("loading panicked: {join}")),
        }
    }

    fn reject(&mut self, stamp: Option<Stamp>, reason: String) -> Outcome {
        let fresh = stamp.is_none() || self.rejected != stamp;
        if fresh {
            tracing::error!(
                dir = %self.dir.display(),
                %reason,
                "new model rejected; the previous model keeps serving"
            );
            self.state.record_reload(Reload::Rejected);
        }
        if stamp.is_some() {
            self.rejected = stamp;
        }
        Outcome::Rejected { reason }
    }

    /// Checks now, then whenever `every` passes or (with `notifications`) the directory
    /// reports a change, until the task is dropped.
    pub async fn run(mut self, every: Duration, notifications: bool) {
        let changed = Arc::new(Notify::new());
        let mut watcher = None;
        loop {
            if notifications && watcher.is_none() {
                // The directory may not exist yet; try again on every round until it does.
                watcher = watch(&self.dir, Arc::clone(&changed));
            }
            let started = Instant::now();
            let outcome = self.check().await;
            tracing::debug!(?outcome, elapsed = ?started.elapsed(), "model directory checked");
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = changed.notified() => {}
            }
        }
    }
}

/// Watches `dir` for changes to the pointer file, where the platform can.
fn watch(dir: &Path, changed: Arc<Notify>) -> Option<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Only changes count: reading the pointer ourselves raises access events, and
        // reacting to those would spin.
        let change = |kind: &EventKind| {
            matches!(
                kind,
                EventKind::Create(_)
                    | EventKind::Remove(_)
                    | EventKind::Modify(
                        ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any
                    )
            )
        };
        if let Ok(event) = event
            && change(&event.kind)
            && event
                .paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == CURRENT))
        {
            changed.notify_one();
        }
    })
    .ok()?;
    watcher
        .watch(dir, notify::RecursiveMode::NonRecursive)
        .ok()?;
    Some(watcher)
}

/// The blob the pointer names (`models/<id>.segue`, the store's layout). `Ok(None)`: no
/// pointer.
async fn read_pointer(dir: &Path) -> Result<Option<String>, String> {
    let path = dir.join(CURRENT);
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    match store::layout::parse_pointer(&text) {
        Ok(blob) => Ok(Some(blob.to_owned())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

async fn stamp(dir: &Path, pointer: &str) -> Stamp {
    let meta = tokio::fs::metadata(dir.join(pointer)).await.ok();
    Stamp {
        pointer: pointer.to_owned(),
        len: meta.as_ref().map(std::fs::Metadata::len),
        modified: meta.and_then(|m| m.modified().ok()),
    }
}
