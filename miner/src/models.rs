//! `miner models` and `miner rollback`: the published models of a store, and pointing
//! `current` back at one of them.

use std::fmt;

use engine::{BlobHead, Head};
use store::{ModelEntry, Store, StoreError};

use crate::publish;

/// The published models, newest first, as `miner models` prints them.
#[derive(Debug, serde::Serialize)]
pub struct ModelList {
    /// The store (a path or a URL without credentials).
    pub store: String,
    /// The models.
    pub models: Vec<ModelInfo>,
}

/// One published model: what the store says of it (id, size, when written, whether current)
/// and what its blob's metadata says (when created, from which datasets).
#[derive(Debug, serde::Serialize)]
pub struct ModelInfo {
    /// Id, size, write time, current.
    #[serde(flatten)]
    pub entry: ModelEntry,
    /// When the model was created (RFC 3339, UTC), from its blob; `None` if unreadable.
    pub created_at: Option<String>,
    /// The datasets it was mined from, from its blob.
    pub datasets: Vec<String>,
    /// How many playlists were mined, from its blob.
    pub playlists: Option<u32>,
    /// Why the blob's metadata could not be read, if it could not.
    pub unreadable: Option<String>,
    /// How many leading bytes of the blob were read for its metadata (ranged reads: not the
    /// rules).
    pub head_bytes_read: u64,
}

impl fmt::Display for ModelList {
    /// One line per model, `*` marking the current one: id, when created, size, datasets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.models.is_empty() {
            return writeln!(f, "no published models in {}", self.store);
        }
        writeln!(
            f,
            "  {:<32}  {:<20}  {:>12}  datasets",
            "id", "created", "bytes"
        )?;
        for m in &self.models {
            let mark = if m.entry.current { '*' } else { ' ' };
            let datasets = match (&m.unreadable, m.datasets.as_slice()) {
                (Some(why), _) => format!("(metadata unreadable: {why})"),
                (None, [one]) => one.clone(),
                (None, [first, rest @ ..]) => format!("{first} and {} more", rest.len()),
                (None, []) => "-".into(),
            };
            writeln!(
                f,
                "{mark} {:<32}  {:<20}  {:>12}  {datasets}",
                m.entry.id,
                m.created_at.as_deref().unwrap_or("?"),
                m.entry.bytes
            )?;
        }
        Ok(())
    }
}

/// Lists the models published in the store at `location`, with each blob's metadata (read
/// from its leading bytes only).
pub fn list(location: &str) -> anyhow::Result<ModelList> {
    let store = publish::open(location)?;
    let models = publish::block_on(async {
        let mut out = Vec::new();
        for entry in store.list().await? {
            let (head, read) = read_head(&store, &entry).await?;
            let (created_at, datasets, playlists, unreadable) = match head {
                Ok(h) => (
                    Some(h.params.created_at),
                    h.params.datasets,
                    Some(h.params.playlists),
                    None,
                ),
                Err(why) => (None, Vec::new(), None, Some(why)),
            };
            out.push(ModelInfo {
                entry,
                created_at,
                datasets,
                playlists,
                unreadable,
                head_bytes_read: read,
            });
        }
        Ok::<_, StoreError>(out)
    })?;
    Ok(ModelList {
        store: store.describe(),
        models,
    })
}

/// The metadata at the front of a published blob, read [`engine::HEAD_GUESS`] bytes at a
/// time (more only if the metadata goes on; a ranged GET on object storage), and how many
/// bytes that took. A blob whose metadata does not decode gives the reason, not an error:
/// listing goes on.
async fn read_head(
    store: &Store,
    entry: &ModelEntry,
) -> Result<(Result<BlobHead, String>, u64), StoreError> {
    let path = store::layout::blob_path(&entry.id);
    let mut want = engine::HEAD_GUESS.min(entry.bytes);
    loop {
        let bytes = store.read_prefix(&path, want).await?;
        let read = bytes.len() as u64;
        match engine::read_head(&bytes) {
            Ok(Head::Complete(head)) => return Ok((Ok(head), read)),
            Ok(Head::NeedMore(more)) if read == want && want < entry.bytes => {
                want = more.min(entry.bytes);
            }
            Ok(Head::NeedMore(more)) => {
                let why = format!(
                    "the blob has {} bytes; its metadata needs {more}",
                    entry.bytes
                );
                return Ok((Err(why), read));
            }
            Err(e) => return Ok((Err(e.to_string()), read)),
        }
    }
}

/// Points `current` at model `id` in the store at `location`.
pub fn rollback(location: &str, id: &str) -> anyhow::Result<()> {
    let store = publish::open(location)?;
    publish::rollback(&store, id)?;
    Ok(())
}
