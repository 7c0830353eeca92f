//! One store, either kind: opening it from a location, and the operations the miner and the
//! tools share (publish, list, roll back, read the current model).

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;

use crate::layout::{self, CURRENT};
use crate::object::{self, ObjectLocation, PointerPoll};
use crate::{dir, layout::PointerError};

/// A model store: a directory or a prefix in object storage.
#[derive(Clone, Debug)]
pub enum Store {
    /// A model directory on a file system (atomic renames; see [`crate::dir`]).
    Dir(PathBuf),
    /// A prefix in object storage (conditional writes; see [`crate::object`]).
    Object(ObjectLocation),
}

/// Why a location names no usable store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Not a URL Segue understands.
    #[error("{location:?}: not a path or a URL (`s3://`, `gs://`, `az://`, `file://`): {source}")]
    Url {
        /// The location.
        location: String,
        /// What is wrong with it.
        source: url::ParseError,
    },
    /// A URL scheme that names no store.
    #[error(
        "{location:?}: unsupported scheme `{scheme}` (use `s3://`, `gs://`, `az://`, `file://` or a path)"
    )]
    Scheme {
        /// The location.
        location: String,
        /// Its scheme.
        scheme: String,
    },
    /// The object store's configuration (from the URL and the environment) is incomplete.
    #[error("{location}: configuring the object store: {source}")]
    Object {
        /// The location.
        location: String,
        /// What `object_store` reported.
        source: object::Error,
    },
}

/// Opens the store `location` names: `s3://bucket/prefix`, `gs://bucket/prefix`,
/// `az://container/prefix` (object storage, configured from the environment), or
/// `file:///path` and a plain path (a model directory). Nothing is read yet.
pub fn open(location: &str) -> Result<Store, OpenError> {
    open_with(location, &[])
}

/// [`open`], with configuration keys of `object_store`'s builders applied after the
/// environment's (e.g. `("aws_endpoint", "http://127.0.0.1:9000")`): for tests and tools that
/// cannot set environment variables. Ignored for directories.
pub fn open_with(location: &str, options: &[(&str, &str)]) -> Result<Store, OpenError> {
    if !location.contains("://") {
        return Ok(Store::Dir(PathBuf::from(location)));
    }
    let url = url::Url::parse(location).map_err(|source| OpenError::Url {
        location: location.to_owned(),
        source,
    })?;
    if url.scheme() == "file" {
        return url
            .to_file_path()
            .map(Store::Dir)
            .map_err(|()| OpenError::Scheme {
                location: location.to_owned(),
                scheme: "file (with a host)".into(),
            });
    }
    const OBJECT_SCHEMES: [&str; 8] = ["s3", "s3a", "gs", "az", "adl", "azure", "abfs", "abfss"];
    if !OBJECT_SCHEMES.contains(&url.scheme()) {
        return Err(OpenError::Scheme {
            location: location.to_owned(),
            scheme: url.scheme().to_owned(),
        });
    }
    match ObjectLocation::from_url(&url, options) {
        Ok(Some(object)) => Ok(Store::Object(object)),
        Ok(None) => Err(OpenError::Scheme {
            location: location.to_owned(),
            scheme: url.scheme().to_owned(),
        }),
        Err(source) => Err(OpenError::Object {
            location: object_display(&url),
            source,
        }),
    }
}

fn object_display(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

/// Why a store operation failed. Nothing was half done: the pointer is only ever replaced
/// whole, after the blob it names is complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file system operation failed.
    #[error("{location}: {source}")]
    Io {
        /// The file or directory.
        location: String,
        /// The system's error.
        source: io::Error,
    },
    /// An object store request failed.
    #[error("{location}: {source}")]
    Object {
        /// The object.
        location: String,
        /// What `object_store` reported.
        source: object::Error,
    },
    /// The pointer's content is not the layout's.
    #[error("{location}: {source}")]
    Pointer {
        /// The pointer.
        location: String,
        /// What is wrong with it.
        source: PointerError,
    },
    /// Another publisher replaced the pointer since this one read it: nothing was changed.
    #[error(
        "{location}: another publisher changed `current` since this run read it; nothing was changed (run again to publish on top of theirs)"
    )]
    Raced {
        /// The pointer.
        location: String,
    },
    /// No published model has this id.
    #[error("{location}: no published model `{id}`")]
    NoSuchModel {
        /// The store.
        location: String,
        /// The id asked for.
        id: String,
    },
}

/// The pointer's state a publisher based its run on, so that publishing fails rather than
/// silently overwrite another publisher's model ([`Store::pointer_version`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Replace whatever is there (a directory's publishing, which its lock serialises).
    Any,
    /// There is no pointer yet: create it, fail if one appeared.
    Absent,
    /// The pointer had this ETag.
    ETag(String),
}

/// What publishing did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// Where the blob is (a path or a URL).
    pub location: String,
    /// Older blobs deleted to respect `keep`.
    pub removed: Vec<String>,
}

/// One published model, as listing the store finds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModelEntry {
    /// The model id.
    pub id: String,
    /// The blob's size.
    pub bytes: u64,
    /// When the blob was written (RFC 3339, UTC, to the millisecond).
    pub written_at: String,
    /// Whether `current` names it.
    pub current: bool,
}

impl Store {
    /// The store's location for messages: a path or a URL without credentials.
    pub fn describe(&self) -> String {
        match self {
            Store::Dir(dir) => dir.display().to_string(),
            Store::Object(o) => o.url().to_owned(),
        }
    }

    /// The model directory, for the directory kind.
    pub fn as_dir(&self) -> Option<&Path> {
        match self {
            Store::Dir(dir) => Some(dir),
            Store::Object(_) => None,
        }
    }

    fn at(&self, relative: &str) -> String {
        match self {
            Store::Dir(dir) => dir.join(relative).display().to_string(),
            Store::Object(o) => format!("{}/{relative}", o.url().trim_end_matches('/')),
        }
    }

    fn object_error(&self, relative: &str) -> impl FnOnce(object::Error) -> StoreError + '_ {
        let location = self.at(relative);
        move |source| StoreError::Object { location, source }
    }

    /// The pointer's blob path (`models/<id>.segue`) and version; `None`: nothing published.
    pub async fn read_pointer(&self) -> Result<Option<(String, Expected)>, StoreError> {
        match self {
            Store::Dir(dir) => match dir::read_pointer(dir) {
                Ok(p) => Ok(p.map(|blob| (blob, Expected::Any))),
                Err(source) => Err(StoreError::Io {
                    location: self.at(CURRENT),
                    source,
                }),
            },
            Store::Object(o) => {
                match o
                    .poll_pointer(None)
                    .await
                    .map_err(self.object_error(CURRENT))?
                {
                    PointerPoll::Missing | PointerPoll::NotModified => Ok(None),
                    PointerPoll::Found { text, e_tag } => {
                        let blob =
                            layout::parse_pointer(&text).map_err(|source| StoreError::Pointer {
                                location: self.at(CURRENT),
                                source,
                            })?;
                        let version = e_tag.map_or(Expected::Any, Expected::ETag);
                        Ok(Some((blob.to_owned(), version)))
                    }
                }
            }
        }
    }

    /// The version of the pointer now: what a publisher passes to [`Store::publish`] so that
    /// it fails rather than overwrite a model published meanwhile.
    pub async fn pointer_version(&self) -> Result<Expected, StoreError> {
        Ok(self.pointer_and_version().await?.1)
    }

    /// The pointer's blob path (`None`: nothing published) and its version as
    /// [`Store::pointer_version`] gives it, from one read.
    pub async fn pointer_and_version(&self) -> Result<(Option<String>, Expected), StoreError> {
        let found = self.read_pointer().await?;
        let version = match (self, &found) {
            (Store::Dir(_), _) => Expected::Any,
            (Store::Object(_), None) => Expected::Absent,
            (Store::Object(_), Some((_, version))) => version.clone(),
        };
        Ok((found.map(|(pointer, _)| pointer), version))
    }

    /// The object or file at `relative` (e.g. a pointer's blob path), whole.
    pub async fn read(&self, relative: &str) -> Result<Bytes, StoreError> {
        match self {
            Store::Dir(dir) => {
                std::fs::read(dir.join(relative))
                    .map(Bytes::from)
                    .map_err(|source| StoreError::Io {
                        location: self.at(relative),
                        source,
                    })
            }
            Store::Object(o) => o.get(relative).await.map_err(self.object_error(relative)),
        }
    }

    /// The first `len` bytes of the file or object at `relative` (all of it if shorter): a
    /// ranged GET on object storage, so that reading a blob's metadata does not download
    /// its rules.
    pub async fn read_prefix(&self, relative: &str, len: u64) -> Result<Bytes, StoreError> {
        match self {
            Store::Dir(dir) => {
                let io_error = |source| StoreError::Io {
                    location: self.at(relative),
                    source,
                };
                let file = std::fs::File::open(dir.join(relative)).map_err(io_error)?;
                let mut out = Vec::new();
                io::Read::read_to_end(&mut io::Read::take(file, len), &mut out)
                    .map_err(io_error)?;
                Ok(Bytes::from(out))
            }
            Store::Object(o) => o
                .get_prefix(relative, len)
                .await
                .map_err(self.object_error(relative)),
        }
    }

    /// The file or object at `relative`, whole; `None` when there is none (a record kept
    /// beside the models, such as the publish guard's).
    pub async fn read_optional(&self, relative: &str) -> Result<Option<Bytes>, StoreError> {
        match self.read(relative).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(StoreError::Object {
                source: object::Error::NotFound { .. },
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the small record `relative` beside the models (not a blob, not the pointer)
    /// whole: an atomic rename in a directory, one PUT in object storage (last writer wins).
    pub async fn write_record(&self, relative: &str, bytes: Bytes) -> Result<(), StoreError> {
        match self {
            Store::Dir(dir) => std::fs::create_dir_all(dir)
                .and_then(|()| dir::write_atomic(&dir.join(relative), &bytes))
                .map_err(|source| StoreError::Io {
                    location: self.at(relative),
                    source,
                }),
            Store::Object(o) => o
                .put(relative, bytes)
                .await
                .map_err(self.object_error(relative)),
        }
    }

    /// Publishes `blob` as model `id`: the blob, then the pointer, then pruning beyond the
    /// newest `keep`. On object storage the pointer is replaced only if it is still as
    /// `expected`; otherwise nothing is changed ([`StoreError::Raced`]) and a blob this call
    /// wrote is removed again. A directory publishes as it always has (atomic renames).
    pub async fn publish(
        &self,
        id: &str,
        blob: Bytes,
        keep: usize,
        expected: &Expected,
    ) -> Result<Published, StoreError> {
        let blob_path = layout::blob_path(id);
        let o = match self {
            Store::Dir(dir) => {
                let published =
                    dir::publish(dir, id, &blob, keep).map_err(|source| StoreError::Io {
                        location: dir.display().to_string(),
                        source,
                    })?;
                return Ok(Published {
                    location: published.path.display().to_string(),
                    removed: published
                        .removed
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                });
            }
            Store::Object(o) => o,
        };
        let wrote = o
            .put_blob(id, blob)
            .await
            .map_err(self.object_error(&blob_path))?;
        let version = match expected {
            Expected::Any => self.pointer_version().await?,
            other => other.clone(),
        };
        let e_tag = match &version {
            Expected::ETag(tag) => Some(tag.as_str()),
            _ => None,
        };
        self.finish(id, keep, e_tag, wrote).await
    }

    async fn finish(
        &self,
        id: &str,
        keep: usize,
        e_tag: Option<&str>,
        wrote: bool,
    ) -> Result<Published, StoreError> {
        let Store::Object(o) = self else {
            unreachable!("only object stores get here")
        };
        let blob_path = layout::blob_path(id);
        match o.put_pointer(id, e_tag).await {
            Ok(()) => {}
            Err(object::Error::Precondition { .. } | object::Error::AlreadyExists { .. }) => {
                if wrote && self.pointed_at().await.as_deref() != Some(id) {
                    let _ = o.delete(&blob_path).await;
                }
                return Err(StoreError::Raced {
                    location: self.at(CURRENT),
                });
            }
            Err(source) => {
                return Err(StoreError::Object {
                    location: self.at(CURRENT),
                    source,
                });
            }
        }
        let removed = self.prune(id, keep).await?;
        Ok(Published {
            location: self.at(&blob_path),
            removed,
        })
    }

    /// The id the pointer names now, if it can be read.
    async fn pointed_at(&self) -> Option<String> {
        let (pointer, _) = self.read_pointer().await.ok()??;
        layout::model_id(&pointer).map(str::to_owned)
    }

    /// Deletes the oldest blobs beyond the newest `keep` (never `current`'s).
    async fn prune(&self, current: &str, keep: usize) -> Result<Vec<String>, StoreError> {
        let mut models = self.list().await?;
        models.sort_by(|a, b| b.written_at.cmp(&a.written_at)); // newest first
        let mut removed = Vec::new();
        for model in models.into_iter().skip(keep.max(1)) {
            if model.id != current && !model.current {
                let path = layout::blob_path(&model.id);
                if let Store::Object(o) = self {
                    o.delete(&path).await.map_err(self.object_error(&path))?;
                }
                removed.push(self.at(&path));
            }
        }
        Ok(removed)
    }

    /// Every published model, newest first.
    pub async fn list(&self) -> Result<Vec<ModelEntry>, StoreError> {
        let current = self.pointed_at().await;
        let mut out = Vec::new();
        match self {
            Store::Dir(dir) => {
                let models = dir.join(layout::MODELS);
                let entries = match std::fs::read_dir(&models) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
                    Err(source) => {
                        return Err(StoreError::Io {
                            location: models.display().to_string(),
                            source,
                        });
                    }
                };
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let Some(id) =
                        layout::model_id(&format!("{}/{name}", layout::MODELS)).map(str::to_owned)
                    else {
                        continue;
                    };
                    let Ok(meta) = entry.metadata() else { continue };
                    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    out.push(ModelEntry {
                        current: current.as_deref() == Some(id.as_str()),
                        id,
                        bytes: meta.len(),
                        written_at: humantime::format_rfc3339_millis(modified).to_string(),
                    });
                }
            }
            Store::Object(o) => {
                let blobs = o
                    .list_blobs()
                    .await
                    .map_err(self.object_error(layout::MODELS))?;
                let prefix = o.prefix().as_ref().to_owned();
                for meta in blobs {
                    let full = meta.location.as_ref();
                    let relative = full
                        .strip_prefix(prefix.as_str())
                        .map_or(full, |r| r.trim_start_matches('/'));
                    let Some(id) = layout::model_id(relative).map(str::to_owned) else {
                        continue;
                    };
                    out.push(ModelEntry {
                        current: current.as_deref() == Some(id.as_str()),
                        id,
                        bytes: meta.size,
                        written_at: rfc3339_millis(meta.last_modified.timestamp_millis()),
                    });
                }
            }
        }
        out.sort_by(|a, b| b.written_at.cmp(&a.written_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Points `current` at the published model `id` (atomically; conditionally on object
    /// storage, failing with [`StoreError::Raced`] if a publisher got in between).
    pub async fn rollback(&self, id: &str) -> Result<(), StoreError> {
        let blob_path = layout::blob_path(id);
        if layout::model_id(&blob_path) != Some(id)
            || !self.list().await?.iter().any(|m| m.id == id)
        {
            return Err(StoreError::NoSuchModel {
                location: self.describe(),
                id: id.to_owned(),
            });
        }
        match self {
            Store::Dir(dir) => {
                dir::write_atomic(&dir.join(CURRENT), layout::pointer_text(id).as_bytes()).map_err(
                    |source| StoreError::Io {
                        location: self.at(CURRENT),
                        source,
                    },
                )
            }
            Store::Object(o) => {
                let e_tag = match self.pointer_version().await? {
                    Expected::ETag(tag) => Some(tag),
                    _ => None,
                };
                match o.put_pointer(id, e_tag.as_deref()).await {
                    Ok(()) => Ok(()),
                    Err(
                        object::Error::Precondition { .. } | object::Error::AlreadyExists { .. },
                    ) => Err(StoreError::Raced {
                        location: self.at(CURRENT),
                    }),
                    Err(source) => Err(StoreError::Object {
                        location: self.at(CURRENT),
                        source,
                    }),
                }
            }
        }
    }
}

/// Milliseconds since the Unix epoch as RFC 3339 in UTC.
fn rfc3339_millis(millis: i64) -> String {
    let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(millis.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}
