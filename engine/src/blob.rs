//! The rule blob: a fixed header followed by a postcard payload.
//!
//! ```text
//! offset  size  field
//!      0     8  magic            b"SEGUERB\0"
//!      8     4  format version   u32 little-endian (currently 2; 1 is still read)
//!     12     8  payload length   u64 little-endian
//!     20     8  checksum         u64 little-endian, XXH3-64 of the payload
//!     28     …  payload          postcard: created_at (string), then the body
//! ```
//!
//! The body, in postcard order:
//!
//! ```text
//! head fields     datasets, playlists, min_support, min_count, min_confidence, max_len,
//!                 miner_version
//! adaptive rule   few (strategy name), max_few_seeds (u32), many (strategy name)
//!                 (format 2 on; a format 1 body has none and reads as sum/25/cosine)
//! columns         declared in `columns.rs`
//! ```
//!
//! The body holds everything but the creation time; the model id is the XXH3-128 of the body's
//! bytes, so mining the same input the same way gives the same id. A model decoded from a
//! format 1 blob keeps `format_version` 1 and encodes again as format 1, to its own bytes and
//! id.
//!
//! The metadata comes first (creation time, datasets, mining settings, miner version, the
//! adaptive rule), so the leading bytes of a blob tell what it is without decoding the rules:
//! [`read_head`].

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::builder::ModelParams;
use crate::columns::{Columns, WireColumns};
use crate::error::{DecodeError, InvalidModel};
use crate::model::{Encoded, Metadata, Model};
use crate::rank::{AdaptiveRule, Strategy};
use crate::validate::{check_adaptive, validate};

/// The first bytes of every blob.
pub const MAGIC: [u8; 8] = *b"SEGUERB\0";
/// The format version this engine writes (it reads every version from 1 up to this one).
pub const FORMAT_VERSION: u32 = 2;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 28;

/// The payload after the creation time: the metadata, the adaptive rule, then the columns.
/// (postcard writes a nested struct as its fields in order, so this is the flat sequence of
/// all three.)
#[derive(Serialize, Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    head: HeadFields<'a>,
    #[serde(borrow)]
    adaptive: WireRule<'a>,
    #[serde(borrow)]
    columns: WireColumns<'a>,
}

/// The body of a format 1 blob: no adaptive rule.
#[derive(Serialize, Deserialize)]
struct BodyV1<'a> {
    #[serde(borrow)]
    head: HeadFields<'a>,
    #[serde(borrow)]
    columns: WireColumns<'a>,
}

/// The adaptive rule as stored: the strategies by their names ([`Strategy::name`]), so that a
/// name this engine does not know is a typed error rather than a misread index.
#[derive(Serialize, Deserialize)]
struct WireRule<'a> {
    few: &'a str,
    max_few_seeds: u32,
    many: &'a str,
}

impl<'a> WireRule<'a> {
    fn of(rule: &AdaptiveRule) -> WireRule<'static> {
        WireRule {
            few: rule.few.name(),
            max_few_seeds: rule.max_few_seeds,
            many: rule.many.name(),
        }
    }

    /// The rule, if both names are strategies other than `adaptive`.
    fn rule(&self) -> Result<AdaptiveRule, InvalidModel> {
        let strategy = |field, name: &str| {
            Strategy::from_name(name).ok_or_else(|| InvalidModel::BadAdaptiveRule {
                field,
                found: name.to_owned(),
                why: "not a strategy this engine knows",
            })
        };
        let rule = AdaptiveRule {
            few: strategy("few", self.few)?,
            max_few_seeds: self.max_few_seeds,
            many: strategy("many", self.many)?,
        };
        check_adaptive(&rule)?;
        Ok(rule)
    }
}

/// The front of [`Body`]: its metadata, without the columns (postcard reads fields in order
/// and stops after the last one asked for, which is how [`read_head`] reads it alone).
#[derive(Serialize, Deserialize)]
struct HeadFields<'a> {
    #[serde(borrow)]
    datasets: Vec<&'a str>,
    playlists: u32,
    min_support: f64,
    min_count: u32,
    min_confidence: f64,
    max_len: u32,
    miner_version: &'a str,
}

impl HeadFields<'_> {
    /// The settings these fields, the creation time and the adaptive rule describe.
    fn params(&self, created_at: &str, adaptive: AdaptiveRule) -> ModelParams {
        ModelParams {
            created_at: created_at.to_owned(),
            datasets: self.datasets.iter().map(|&s| s.to_owned()).collect(),
            playlists: self.playlists,
            min_support: self.min_support,
            min_count: self.min_count,
            min_confidence: self.min_confidence,
            max_len: self.max_len,
            miner_version: self.miner_version.to_owned(),
            adaptive,
        }
    }
}

/// What the leading bytes of a blob say: its metadata and size, read without decoding (or
/// checking) the rules. The checksum covers the whole payload, so these fields are not
/// verified by it: a server loading the blob checks everything ([`Model::from_blob`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BlobHead {
    /// The size of the whole blob, from its header.
    pub blob_len: u64,
    /// How the model was mined: creation time, datasets, playlists, settings.
    pub params: ModelParams,
}

/// The result of [`read_head`] on some leading bytes of a blob.
#[derive(Clone, Debug, PartialEq)]
pub enum Head {
    /// The metadata, all of it within the bytes given.
    Complete(BlobHead),
    /// The metadata goes on past the bytes given: read at least this many leading bytes (never
    /// more than the blob has) and call again.
    NeedMore(u64),
}

/// How many leading bytes to read first: the metadata of a blob mined from a thousand files
/// (MPD's slices) takes about 40 KB.
pub const HEAD_GUESS: u64 = 64 * 1024;

/// Reads the metadata at the front of a blob from its first `prefix.len()` bytes (any number;
/// the whole blob works too) without decoding the rules. Checks the magic, the format version
/// and that the metadata is well formed; not the checksum (that needs the whole payload).
///
/// ```
/// # use engine::{Head, ModelBuilder, ModelParams, read_head};
/// # let params = ModelParams { created_at: "2026-01-01T00:00:00Z".into(), datasets: vec!["a.csv".into()],
/// #     playlists: 10, min_support: 0.2, min_count: 2, min_confidence: 0.1, max_len: 3, miner_version: "doc".into(),
/// #     adaptive: engine::AdaptiveRule::BUILT_IN };
/// let blob = ModelBuilder::new(params).build().unwrap().to_blob();
/// let Head::Complete(head) = read_head(&blob[..200.min(blob.len())]).unwrap() else { panic!() };
/// assert_eq!((head.params.created_at.as_str(), head.params.datasets.as_slice()), ("2026-01-01T00:00:00Z", &["a.csv".to_owned()][..]));
/// assert_eq!(head.blob_len, blob.len() as u64);
/// ```
pub fn read_head(prefix: &[u8]) -> Result<Head, DecodeError> {
    check_magic(prefix)?;
    if prefix.len() < HEADER_LEN {
        return Ok(Head::NeedMore(HEADER_LEN as u64));
    }
    let (version, payload_len, _) = header_fields(prefix)?;
    let blob_len = HEADER_LEN as u64 + payload_len;
    let end = (prefix.len() as u64).min(blob_len) as usize;
    let payload = &prefix[HEADER_LEN..end];
    let whole = end as u64 == blob_len;
    let more = || Head::NeedMore((2 * prefix.len() as u64).max(HEAD_GUESS).min(blob_len));
    let malformed = |section| {
        move |e: postcard::Error| DecodeError::Malformed {
            section,
            message: e.to_string(),
        }
    };
    let short =
        |e: &postcard::Error| !whole && matches!(e, postcard::Error::DeserializeUnexpectedEnd);
    let (created_at, rest) = match postcard::take_from_bytes::<&str>(payload) {
        Ok(v) => v,
        Err(e) if short(&e) => return Ok(more()),
        Err(e) => return Err(malformed("created_at")(e)),
    };
    let (fields, rest) = match postcard::take_from_bytes::<HeadFields<'_>>(rest) {
        Ok(v) => v,
        Err(e) if short(&e) => return Ok(more()),
        Err(e) => return Err(malformed("body")(e)),
    };
    let adaptive = if version == 1 {
        AdaptiveRule::BUILT_IN
    } else {
        match postcard::take_from_bytes::<WireRule<'_>>(rest) {
            Ok((rule, _)) => rule.rule()?,
            Err(e) if short(&e) => return Ok(more()),
            Err(e) => return Err(malformed("adaptive rule")(e)),
        }
    };
    Ok(Head::Complete(BlobHead {
        blob_len,
        params: fields.params(created_at, adaptive),
    }))
}

fn head_fields(m: &Model) -> HeadFields<'_> {
    HeadFields {
        datasets: m.meta.datasets.iter().map(String::as_str).collect(),
        playlists: m.meta.playlists,
        min_support: m.meta.min_support,
        min_count: m.meta.min_count,
        min_confidence: m.meta.min_confidence,
        max_len: m.meta.max_len,
        miner_version: &m.meta.miner_version,
    }
}

/// The blob of `m` (its id is not part of it), encoded in one pass in the model's format
/// version (a model decoded from a format 1 blob encodes to those bytes again), and its content
/// id: the XXH3-128 of the body's bytes, in hex.
pub(crate) fn encode(m: &Model) -> (Vec<u8>, String) {
    let infallible = "postcard cannot fail to encode into a Vec";
    let version = m.meta.format_version;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&[0; 16]); // payload length and checksum, filled in below
    let out = postcard::to_extend(&m.meta.created_at, out).expect(infallible);
    let body_start = out.len();
    let (head, columns) = (head_fields(m), m.columns.to_wire());
    let mut out = if version == 1 {
        // Only a decoded format 1 model has version 1, and its rule is the built-in one.
        debug_assert_eq!(m.meta.adaptive, AdaptiveRule::BUILT_IN);
        postcard::to_extend(&BodyV1 { head, columns }, out)
    } else {
        let adaptive = WireRule::of(&m.meta.adaptive);
        postcard::to_extend(
            &Body {
                head,
                adaptive,
                columns,
            },
            out,
        )
    }
    .expect(infallible);
    out.shrink_to_fit();
    let payload_len = (out.len() - HEADER_LEN) as u64;
    out[12..20].copy_from_slice(&payload_len.to_le_bytes());
    let checksum = xxhash_rust::xxh3::xxh3_64(&out[HEADER_LEN..]);
    out[20..28].copy_from_slice(&checksum.to_le_bytes());
    let id = id_of(&out[body_start..]);
    (out, id)
}

fn id_of(body: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body))
}

impl Model {
    /// Encodes the model as a blob. Deterministic: equal models give equal bytes. A built
    /// model returns a copy of the blob the builder encoded (once, to compute the id); a
    /// decoded model encodes again (to the bytes it was decoded from).
    pub fn to_blob(&self) -> Vec<u8> {
        self.blob().into_owned()
    }

    /// The blob, borrowed where the model keeps it (a built model: no copy of a blob that can
    /// be hundreds of megabytes), encoded where it does not (a decoded model).
    pub fn blob(&self) -> std::borrow::Cow<'_, [u8]> {
        match &self.encoded {
            Encoded::Kept(blob) => std::borrow::Cow::Borrowed(blob),
            Encoded::Len(_) => std::borrow::Cow::Owned(encode(self).0),
        }
    }

    /// The length of [`Model::to_blob`]'s bytes, without encoding: a built model keeps its
    /// blob, a decoded one the length of the blob it came from.
    pub fn blob_len(&self) -> usize {
        match &self.encoded {
            Encoded::Kept(blob) => blob.len(),
            &Encoded::Len(len) => len,
        }
    }

    /// Decodes and fully validates a blob. Any byte string gives a model or a typed error,
    /// never a panic.
    pub fn from_blob(bytes: &[u8]) -> Result<Model, DecodeError> {
        decode(bytes, None)
    }

    /// [`Model::from_blob`] for a blob held as [`Bytes`]: the same checks and the same model,
    /// but its string pools (track URIs, names, artists, albums: most of a blob's bytes) stay
    /// slices of `blob` instead of being copied, so `blob` lives as long as the model does. For
    /// a holder that keeps the blob anyway (the server serves it to the page), a load then
    /// writes a third fewer bytes into fresh memory.
    pub fn from_shared_blob(blob: &Bytes) -> Result<Model, DecodeError> {
        decode(blob, Some(blob))
    }
}

/// Decodes and validates `bytes`; `shared` is the same bytes as [`Bytes`], when the model may
/// keep slices of them.
fn decode(bytes: &[u8], shared: Option<&Bytes>) -> Result<Model, DecodeError> {
    let (version, payload) = check_header(bytes)?;
    let malformed = |section| {
        move |e: postcard::Error| DecodeError::Malformed {
            section,
            message: e.to_string(),
        }
    };
    let (created_at, body_bytes) =
        postcard::take_from_bytes::<&str>(payload).map_err(malformed("created_at"))?;
    let (parts, rest) = if version == 1 {
        let (body, rest) =
            postcard::take_from_bytes::<BodyV1<'_>>(body_bytes).map_err(malformed("body"))?;
        ((body.head, AdaptiveRule::BUILT_IN, body.columns), rest)
    } else {
        let (body, rest) =
            postcard::take_from_bytes::<Body<'_>>(body_bytes).map_err(malformed("body"))?;
        let rule = body.adaptive.rule()?;
        ((body.head, rule, body.columns), rest)
    };
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes {
            what: "model body inside the payload",
            extra: rest.len() as u64,
        });
    }
    let id = id_of(body_bytes);
    let model = from_body(parts, created_at, version, id, bytes.len(), shared)?;
    validate(&model)?;
    Ok(model.finish()?)
}

/// Checks the magic as far as `bytes` go.
fn check_magic(bytes: &[u8]) -> Result<(), DecodeError> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(DecodeError::BadMagic {
            found: bytes[..magic_len].to_vec(),
        });
    }
    Ok(())
}

/// Checks the version of a header (`bytes` holds at least [`HEADER_LEN`] bytes); returns the
/// version, and the payload length and checksum it declares.
fn header_fields(bytes: &[u8]) -> Result<(u32, u64, u64), DecodeError> {
    let word = |at: usize, len: usize| {
        let mut buf = [0u8; 8];
        buf[..len].copy_from_slice(&bytes[at..at + len]);
        u64::from_le_bytes(buf)
    };
    let version = word(8, 4) as u32;
    if !(1..=FORMAT_VERSION).contains(&version) {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok((version, word(12, 8), word(20, 8)))
}

/// Checks magic, version, length and checksum; returns the version and the payload.
fn check_header(bytes: &[u8]) -> Result<(u32, &[u8]), DecodeError> {
    check_magic(bytes)?;
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available: bytes.len() as u64,
        });
    }
    let (version, payload_len, expected) = header_fields(bytes)?;
    let available = (bytes.len() - HEADER_LEN) as u64;
    if available < payload_len {
        return Err(DecodeError::Truncated {
            what: "payload",
            needed: payload_len,
            available,
        });
    }
    if available > payload_len {
        return Err(DecodeError::TrailingBytes {
            what: "payload",
            extra: available - payload_len,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    let actual = xxhash_rust::xxh3::xxh3_64(payload);
    if actual != expected {
        return Err(DecodeError::ChecksumMismatch { expected, actual });
    }
    Ok((version, payload))
}

/// The model of a decoded body (its head fields, adaptive rule and columns), not yet
/// validated; `blob_len` is the size of its blob (every accepted blob is canonical:
/// re-encoding the model gives those bytes).
fn from_body(
    (head, adaptive, columns): (HeadFields<'_>, AdaptiveRule, WireColumns<'_>),
    created_at: &str,
    format_version: u32,
    model_id: String,
    blob_len: usize,
    shared: Option<&Bytes>,
) -> Result<Model, InvalidModel> {
    let p = head.params(created_at, adaptive);
    Ok(Model {
        meta: Metadata {
            format_version,
            model_id,
            created_at: p.created_at,
            datasets: p.datasets,
            playlists: p.playlists,
            min_support: p.min_support,
            min_count: p.min_count,
            min_confidence: p.min_confidence,
            max_len: p.max_len,
            miner_version: p.miner_version,
            adaptive: p.adaptive,
        },
        columns: Columns::from_wire(columns, shared)?,
        uri_index: Default::default(),
        encoded: Encoded::Len(blob_len),
    })
}
