//! `miner models` and `miner rollback`: the published models of a store, and pointing
//! `current` back at one of them.

use std::fmt;

use store::ModelEntry;

use crate::publish;

/// The published models, newest first, as `miner models` prints them.
#[derive(Debug, serde::Serialize)]
pub struct ModelList {
    /// The store (a path or a URL without credentials).
    pub store: String,
    /// The models.
    pub models: Vec<ModelEntry>,
}

impl fmt::Display for ModelList {
    /// One line per model, `*` marking the current one: id, when written, size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.models.is_empty() {
            return writeln!(f, "no published models in {}", self.store);
        }
        writeln!(f, "  {:<32}  {:<24}  {:>12}", "id", "written", "bytes")?;
        for m in &self.models {
            let mark = if m.current { '*' } else { ' ' };
            writeln!(
                f,
                "{mark} {:<32}  {:<24}  {:>12}",
                m.id, m.written_at, m.bytes
            )?;
        }
        Ok(())
    }
}

/// Lists the models published in the store at `location`.
pub fn list(location: &str) -> anyhow::Result<ModelList> {
    let store = publish::open(location)?;
    let models = publish::list(&store)?;
    Ok(ModelList {
        store: store.describe(),
        models,
    })
}

/// Points `current` at model `id` in the store at `location`.
pub fn rollback(location: &str, id: &str) -> anyhow::Result<()> {
    let store = publish::open(location)?;
    publish::rollback(&store, id)?;
    Ok(())
}
