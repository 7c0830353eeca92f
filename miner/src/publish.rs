//! Publishing through the model store (a directory or object storage, [`store::Store`]): the
//! miner's one call site for each store operation, run to completion on a small runtime of
//! their own (the rest of the miner is synchronous).

use std::future::Future;

use bytes::Bytes;
use store::{Expected, ModelEntry, OpenError, Published, Store, StoreError};

/// What a publishing run found in the store when it started, read once and passed along:
/// the pointer's version (publishing fails if another publisher replaced it meanwhile), the
/// blob it named, and that blob once something needed it (read at most once per run).
#[derive(Debug)]
pub struct Base {
    /// The pointer's version, for the conditional replacement.
    pub version: Expected,
    /// The blob path the pointer named (`models/<id>.segue`); `None`: nothing published.
    pub pointer: Option<String>,
    /// The blob it named, once read (`Some(None)`: missing).
    blob: Option<Option<Bytes>>,
}

impl Base {
    /// The blob the pointer named (`None`: nothing published, or the blob is missing), read
    /// from `store` the first time only.
    pub fn current_blob(&mut self, store: &Store) -> Result<Option<&Bytes>, StoreError> {
        if self.blob.is_none() {
            let read = match &self.pointer {
                Some(pointer) => block_on(store.read_optional(pointer))?,
                None => None,
            };
            self.blob = Some(read);
        }
        Ok(self.blob.as_ref().and_then(Option::as_ref))
    }
}

/// Runs one store operation to completion.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts")
        .block_on(future)
}

/// The store `location` names (a path, `file://`, `s3://`, `gs://`, `az://`).
pub fn open(location: &str) -> Result<Store, OpenError> {
    store::open(location)
}

/// The state of the pointer a run starts from (one read): publishing fails rather than
/// overwrite a model that another publisher put there meanwhile, and the publish guard
/// compares the new model with the one it names.
pub fn base(store: &Store) -> Result<Base, StoreError> {
    let (pointer, version) = block_on(store.pointer_and_version())?;
    Ok(Base {
        version,
        pointer,
        blob: None,
    })
}

/// Publishes `model` (blob, then pointer, then pruning beyond `keep`), if the pointer is still
/// as `base` found it.
pub fn publish(
    store: &Store,
    model: &engine::Model,
    keep: usize,
    base: &Expected,
) -> Result<Published, StoreError> {
    let blob = Bytes::from(model.blob().into_owned());
    block_on(store.publish(model.id(), blob, keep, base))
}

/// The published models, newest first.
pub fn list(store: &Store) -> Result<Vec<ModelEntry>, StoreError> {
    block_on(store.list())
}

/// Points `current` at the published model `id`.
pub fn rollback(store: &Store, id: &str) -> Result<(), StoreError> {
    block_on(store.rollback(id))
}
