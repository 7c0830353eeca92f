//! Publishing through the model store (a directory or object storage, [`store::Store`]): the
//! miner's one call site for each store operation, run to completion on a small runtime of
//! their own (the rest of the miner is synchronous).

use std::future::Future;

use bytes::Bytes;
use store::{CurrentModel, Expected, ModelEntry, OpenError, Published, Store, StoreError};

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

/// The state of the pointer a run starts from: publishing fails rather than overwrite a
/// model that another publisher put there meanwhile.
pub fn base(store: &Store) -> Result<Expected, StoreError> {
    block_on(store.pointer_version())
}

/// The current model's id and blob, if one is published (for checks that compare a new
/// model with it before publishing).
pub fn current(store: &Store) -> Result<Option<CurrentModel>, StoreError> {
    block_on(store.current())
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
