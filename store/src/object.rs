//! A model store in object storage (S3 and S3-compatible endpoints, GCS, Azure Blob): the
//! layout's objects under a prefix, the pointer replaced only by conditional writes.
//!
//! Credentials and endpoints come from each cloud's standard sources through the builders'
//! `from_env` (environment variables, web identity / workload identity, instance metadata):
//! Segue has no flag of its own for them and never logs them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt as _;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt as _, ObjectStoreScheme, PutMode,
    PutOptions, PutPayload, RetryConfig, UpdateVersion,
};

use crate::layout::{self, CURRENT, MODELS};

/// The failure of one request to the object store.
pub type Error = object_store::Error;

/// A prefix in an object store: where the layout's objects live.
#[derive(Clone, Debug)]
pub struct ObjectLocation {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    url: String,
}

/// The pointer as one conditional GET found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerPoll {
    /// No pointer object.
    Missing,
    /// It still has the ETag the caller gave.
    NotModified,
    /// Its content and ETag.
    Found {
        /// The content (unchecked: parse it with [`layout::parse_pointer`]).
        text: String,
        /// Its ETag, for the next poll and for a conditional replacement.
        e_tag: Option<String>,
    },
}

/// How long a request may take, and how it is retried, for every kind of object store.
/// Short retries: the server polls again soon anyway, and a poll must not hang through an
/// outage. The request timeout leaves room for a large blob's download.
fn retry() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(10),
        ..RetryConfig::default()
    }
}

const CONNECT_TIMEOUT: &str = "3s";
const REQUEST_TIMEOUT: &str = "600s";

impl ObjectLocation {
    /// The store a URL names (`s3://bucket/prefix`, `gs://...`, `az://container/prefix`),
    /// configured from the environment by `object_store`'s builders, then by `options`
    /// (their configuration keys, e.g. `aws_endpoint`; unknown keys are an error).
    /// `Ok(None)`: the URL is not an object store's.
    pub fn from_url(
        url: &url::Url,
        options: &[(&str, &str)],
    ) -> Result<Option<ObjectLocation>, Error> {
        use object_store::ClientConfigKey::{ConnectTimeout, Timeout};
        let (scheme, prefix) = ObjectStoreScheme::parse(url).map_err(|e| Error::Generic {
            store: "url",
            source: Box::new(e),
        })?;
        let store: Arc<dyn ObjectStore> = match scheme {
            ObjectStoreScheme::AmazonS3 => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey::Client};
                Arc::new(
                    configure(
                        AmazonS3Builder::from_env(),
                        options,
                        AmazonS3Builder::with_config,
                    )?
                    .with_url(url.as_str())
                    .with_config(Client(ConnectTimeout), CONNECT_TIMEOUT)
                    .with_config(Client(Timeout), REQUEST_TIMEOUT)
                    .with_retry(retry())
                    .build()?,
                )
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey::Client};
                Arc::new(
                    configure(
                        GoogleCloudStorageBuilder::from_env(),
                        options,
                        GoogleCloudStorageBuilder::with_config,
                    )?
                    .with_url(url.as_str())
                    .with_config(Client(ConnectTimeout), CONNECT_TIMEOUT)
                    .with_config(Client(Timeout), REQUEST_TIMEOUT)
                    .with_retry(retry())
                    .build()?,
                )
            }
            ObjectStoreScheme::MicrosoftAzure => {
                use object_store::azure::{AzureConfigKey::Client, MicrosoftAzureBuilder};
                Arc::new(
                    configure(
                        MicrosoftAzureBuilder::from_env(),
                        options,
                        MicrosoftAzureBuilder::with_config,
                    )?
                    .with_url(url.as_str())
                    .with_config(Client(ConnectTimeout), CONNECT_TIMEOUT)
                    .with_config(Client(Timeout), REQUEST_TIMEOUT)
                    .with_retry(retry())
                    .build()?,
                )
            }
            _ => return Ok(None),
        };
        Ok(Some(ObjectLocation::new(store, prefix, display(url))))
    }

    /// A location in an already built store (tests, other tools).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path, url: String) -> ObjectLocation {
        ObjectLocation { store, prefix, url }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The prefix the layout lives under.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The URL, for messages (no credentials: they never are in it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The object at `relative` (`/`-separated, e.g. `models/<id>.segue`) under the prefix.
    pub fn path(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|s| !s.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Reads the pointer with `If-None-Match: e_tag` when an ETag is given.
    pub async fn poll_pointer(&self, e_tag: Option<&str>) -> Result<PointerPoll, Error> {
        let options = GetOptions {
            if_none_match: e_tag.map(str::to_owned),
            ..GetOptions::default()
        };
        let result = match self.store.get_opts(&self.path(CURRENT), options).await {
            Ok(result) => result,
            Err(Error::NotFound { .. }) => return Ok(PointerPoll::Missing),
            Err(Error::NotModified { .. }) => return Ok(PointerPoll::NotModified),
            Err(e) => return Err(e),
        };
        let e_tag = result.meta.e_tag.clone();
        let bytes = result.bytes().await?;
        Ok(PointerPoll::Found {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            e_tag,
        })
    }

    /// The whole object at `relative`.
    pub async fn get(&self, relative: &str) -> Result<Bytes, Error> {
        self.store.get(&self.path(relative)).await?.bytes().await
    }

    /// The first `len` bytes of the object at `relative` (one ranged GET; `len` must not
    /// exceed the object's size).
    pub async fn get_prefix(&self, relative: &str, len: u64) -> Result<Bytes, Error> {
        self.store.get_range(&self.path(relative), 0..len).await
    }

    /// Replaces the object `relative` whole (one PUT; last writer wins).
    pub async fn put(&self, relative: &str, bytes: Bytes) -> Result<(), Error> {
        self.store
            .put(&self.path(relative), bytes.into())
            .await
            .map(drop)
    }

    /// Writes model `id`'s blob unless it is there already (a model id is its content's hash,
    /// so an existing blob of that name holds the same model). `true`: this call wrote it.
    pub async fn put_blob(&self, id: &str, blob: Bytes) -> Result<bool, Error> {
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let path = self.path(&layout::blob_path(id));
        match self.store.put_opts(&path, blob.into(), options).await {
            Ok(_) => Ok(true),
            Err(Error::AlreadyExists { .. } | Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Points `current` at model `id`: created if `e_tag` is `None` (and fails if one exists),
    /// replaced only while it still has ETag `e_tag` otherwise. A lost race is
    /// [`Error::Precondition`] or [`Error::AlreadyExists`].
    pub async fn put_pointer(&self, id: &str, e_tag: Option<&str>) -> Result<(), Error> {
        let mode = match e_tag {
            None => PutMode::Create,
            Some(tag) => PutMode::Update(UpdateVersion {
                e_tag: Some(tag.to_owned()),
                version: None,
            }),
        };
        self.put_conditional(CURRENT, layout::pointer_text(id).into_bytes().into(), mode)
            .await
    }

    /// Writes `relative` with `mode`.
    async fn put_conditional(
        &self,
        relative: &str,
        payload: PutPayload,
        mode: PutMode,
    ) -> Result<(), Error> {
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&self.path(relative), payload, options)
            .await
            .map(drop)
    }

    /// Every blob under `models/`, with its metadata.
    pub async fn list_blobs(&self) -> Result<Vec<ObjectMeta>, Error> {
        let prefix = self.path(MODELS);
        self.store.list(Some(&prefix)).try_collect().await
    }

    /// Deletes `relative` (nothing when it is gone already).
    pub async fn delete(&self, relative: &str) -> Result<(), Error> {
        match self.store.delete(&self.path(relative)).await {
            Ok(()) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Appends `line` to the object `relative` (created if missing) with a conditional write,
    /// reading and retrying when another writer got there first, so no line is lost.
    pub async fn append(&self, relative: &str, header: &[u8], line: &[u8]) -> Result<(), Error> {
        for _ in 0..20 {
            let (mut content, mode) = match self.store.get(&self.path(relative)).await {
                Ok(result) => {
                    let version = UpdateVersion {
                        e_tag: result.meta.e_tag.clone(),
                        version: result.meta.version.clone(),
                    };
                    (result.bytes().await?.to_vec(), PutMode::Update(version))
                }
                Err(Error::NotFound { .. }) => (header.to_vec(), PutMode::Create),
                Err(e) => return Err(e),
            };
            content.extend_from_slice(line);
            match self.put_conditional(relative, content.into(), mode).await {
                Ok(()) => return Ok(()),
                Err(Error::Precondition { .. } | Error::AlreadyExists { .. }) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Generic {
            store: "append",
            source: format!("{relative}: still contended after 20 conditional writes").into(),
        })
    }

    /// Takes the lock object `relative` (created only if absent), holding `owner`. A lock
    /// older than `stale` (its holder crashed) is taken over with a conditional replace.
    /// `Ok(false)`: another holder has it.
    pub async fn try_lock(
        &self,
        relative: &str,
        owner: &str,
        stale: Duration,
    ) -> Result<bool, Error> {
        let payload = || PutPayload::from(owner.as_bytes().to_vec());
        match self
            .put_conditional(relative, payload(), PutMode::Create)
            .await
        {
            Ok(()) => return Ok(true),
            Err(Error::AlreadyExists { .. } | Error::Precondition { .. }) => {}
            Err(e) => return Err(e),
        }
        let meta = match self.store.head(&self.path(relative)).await {
            Ok(meta) => meta,
            Err(Error::NotFound { .. }) => return Ok(false), // released meanwhile: next run
            Err(e) => return Err(e),
        };
        let age = (chrono_now() - meta.last_modified.timestamp()).max(0) as u64;
        if age < stale.as_secs() {
            return Ok(false);
        }
        let version = UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        };
        match self
            .put_conditional(relative, payload(), PutMode::Update(version))
            .await
        {
            Ok(()) => Ok(true),
            Err(Error::Precondition { .. } | Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Applies `options` (configuration keys and values) to a builder.
fn configure<B, K>(
    builder: B,
    options: &[(&str, &str)],
    with: fn(B, K, String) -> B,
) -> Result<B, Error>
where
    K: std::str::FromStr<Err = Error>,
{
    options.iter().try_fold(builder, |builder, (key, value)| {
        let key = key.to_ascii_lowercase().parse::<K>()?;
        Ok(with(builder, key, (*value).to_owned()))
    })
}

/// Seconds since the Unix epoch.
fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A URL for messages: scheme, host and path, never user info or query parameters.
fn display(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}
