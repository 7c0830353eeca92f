//! An output of the Spark job in object storage (`s3://`, `gs://`, `az://`, opened as the
//! model store opens its location: [`store::open`], credentials and endpoint from the
//! environment), and finding the newest complete run under a prefix.
//!
//! Objects are read whole into memory, as [`super::LocalDir`] reads files: the outputs are the
//! itemsets and the track table, not the playlists.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};
use store::object::ObjectLocation;

use super::{MANIFEST, OutputSource};

/// An output under a prefix in object storage.
#[derive(Debug)]
pub struct ObjectDir {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl ObjectDir {
    /// The output at `location`'s prefix itself.
    pub fn new(location: &ObjectLocation) -> io::Result<ObjectDir> {
        Ok(ObjectDir {
            store: Arc::clone(location.store()),
            prefix: location.prefix().clone(),
            url: location.url().trim_end_matches('/').to_owned(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        })
    }

    /// The output to import from `location`: its prefix itself when it holds a manifest (or
    /// holds no run), otherwise its newest complete run: the "subdirectory" (common prefix)
    /// with a manifest whose name sorts last, as for a directory
    /// ([`super::newest_output`]). A run still writing has no manifest yet and is passed over.
    pub fn newest(location: &ObjectLocation) -> io::Result<ObjectDir> {
        let mut dir = ObjectDir::new(location)?;
        if dir.exists(MANIFEST)? {
            return Ok(dir);
        }
        let listing = dir
            .runtime
            .block_on(dir.store.list_with_delimiter(Some(&dir.prefix)))
            .map_err(io_error)?;
        let mut runs: Vec<Path> = listing.common_prefixes;
        runs.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
        for run in runs.into_iter().rev() {
            let manifest = run.clone().join(MANIFEST);
            match dir.runtime.block_on(dir.store.head(&manifest)) {
                Ok(_) => {
                    let name = run.filename().unwrap_or_default().to_owned();
                    dir.url = format!("{}/{name}", dir.url);
                    dir.prefix = run;
                    return Ok(dir);
                }
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(dir)
    }

    /// The object `relative` (`/`-separated) under the prefix.
    fn path(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|s| !s.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    fn exists(&self, relative: &str) -> io::Result<bool> {
        match self.runtime.block_on(self.store.head(&self.path(relative))) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(io_error(e)),
        }
    }
}

/// An `object_store` error as an I/O error (the caller names the object).
fn io_error(e: object_store::Error) -> io::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

impl OutputSource for ObjectDir {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn read(&self, name: &str) -> io::Result<Option<Bytes>> {
        let path = self.path(name);
        let result = self.runtime.block_on(async {
            match self.store.get(&path).await {
                Ok(got) => got.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        result.map_err(io_error)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<(String, u64)>> {
        let prefix = self.path(dir);
        let listing = self
            .runtime
            .block_on(self.store.list_with_delimiter(Some(&prefix)))
            .map_err(io_error)?;
        Ok(listing
            .objects
            .into_iter()
            .filter_map(|o| {
                let name = o.location.filename()?.to_owned();
                Some((name, o.size))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;

    /// A store holding `objects` (relative to `runs`), and the location of `runs`.
    fn location(objects: &[&str]) -> ObjectLocation {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for name in objects {
            let path = Path::from(format!("spark/runs/{name}"));
            runtime
                .block_on(store.put(&path, Bytes::from_static(b"x").into()))
                .unwrap();
        }
        ObjectLocation::new(
            store,
            Path::from("spark/runs"),
            "memory:///spark/runs".into(),
        )
    }

    #[test]
    fn newest_passes_over_runs_still_writing() {
        let at = location(&[
            "20261201T020000Z/_manifest.json",
            "20261201T020000Z/tracks/part-0.parquet",
            "20261202T020000Z/_manifest.json",
            "20261202T020000Z/itemsets/part-0.parquet",
            "20261202T020000Z/itemsets/nested/part-9.parquet",
            "20261203T020000Z/tracks/part-0.parquet", // no manifest yet
        ]);
        let dir = ObjectDir::newest(&at).unwrap();
        assert_eq!(dir.describe(), "memory:///spark/runs/20261202T020000Z");
        // A directory's files, not what lies deeper.
        assert_eq!(
            dir.list("itemsets").unwrap(),
            [("part-0.parquet".to_owned(), 1)]
        );
        assert_eq!(dir.read("itemsets/part-0.parquet").unwrap().unwrap(), "x");
        assert!(dir.read("tracks/part-0.parquet").unwrap().is_none());
        assert!(dir.list("tracks").unwrap().is_empty());
    }

    #[test]
    fn an_output_itself_and_a_prefix_without_runs_are_taken_as_they_are() {
        let at = location(&["_manifest.json", "old/_manifest.json"]);
        assert_eq!(
            ObjectDir::newest(&at).unwrap().describe(),
            "memory:///spark/runs"
        );
        let at = location(&["20261203T020000Z/tracks/part-0.parquet"]);
        let dir = ObjectDir::newest(&at).unwrap();
        assert_eq!(dir.describe(), "memory:///spark/runs");
        assert!(dir.read(MANIFEST).unwrap().is_none());
    }
}
