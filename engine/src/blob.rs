//! The rule blob: a fixed header followed by a postcard payload.
//!
//! ```text
//! offset  size  field
//!      0     8  magic            b"SEGUERB\0"
//!      8     4  format version   u32 little-endian (currently 1)
//!     12     8  payload length   u64 little-endian
//!     20     8  checksum         u64 little-endian, XXH3-64 of the payload
//!     28     …  payload          postcard: created_at (string), then the body
//! ```
//!
//! The body holds everything but the creation time; the model id is the XXH3-128 of the body's
//! bytes, so mining the same input the same way gives the same id. Column lengths are stored
//! instead of offsets (smaller varints); the decoder rebuilds the offsets with overflow checks.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, InvalidModel};
use crate::model::{Metadata, Model, RuleRec, StrPool};
use crate::validate::validate;

/// The first bytes of every blob.
pub const MAGIC: [u8; 8] = *b"SEGUERB\0";
/// The format version this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 28;

#[derive(Serialize, Deserialize)]
struct WirePool<'a> {
    #[serde(borrow)]
    data: &'a str,
    lens: Cow<'a, [u32]>,
}

#[derive(Serialize, Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    datasets: Vec<&'a str>,
    playlists: u32,
    min_support: f64,
    min_count: u32,
    min_confidence: f64,
    max_len: u32,
    miner_version: &'a str,
    #[serde(borrow)]
    uris: WirePool<'a>,
    #[serde(borrow)]
    names: WirePool<'a>,
    name_of: Cow<'a, [u32]>,
    #[serde(borrow)]
    artists: WirePool<'a>,
    artist_of: Cow<'a, [u32]>,
    #[serde(borrow)]
    albums: WirePool<'a>,
    album_of: Cow<'a, [u32]>,
    counts: Cow<'a, [u32]>,
    #[serde(borrow)]
    name_keys: WirePool<'a>,
    name_key_track: Cow<'a, [u32]>,
    /// Number of antecedents whose first track is each track.
    antes_per_track: Cow<'a, [u32]>,
    /// Number of tracks after the first, per antecedent.
    ante_tail_len: Cow<'a, [u32]>,
    ante_tail_items: Cow<'a, [u32]>,
    ante_count: Cow<'a, [u32]>,
    /// Number of rules per antecedent.
    ante_rules: Cow<'a, [u32]>,
    rule_consequent: Cow<'a, [u32]>,
    rule_count: Cow<'a, [u32]>,
    rule_confidence: Cow<'a, [f32]>,
    rule_lift: Cow<'a, [f32]>,
}

fn lens_of(ends: &[u32]) -> Vec<u32> {
    let mut prev = 0;
    ends.iter()
        .map(|&e| {
            let len = e - prev;
            prev = e;
            len
        })
        .collect()
}

fn wire_pool(pool: &StrPool) -> WirePool<'_> {
    WirePool {
        data: &pool.data,
        lens: Cow::Owned(lens_of(&pool.ends)),
    }
}

fn body(m: &Model) -> Body<'_> {
    Body {
        datasets: m.meta.datasets.iter().map(String::as_str).collect(),
        playlists: m.meta.playlists,
        min_support: m.meta.min_support,
        min_count: m.meta.min_count,
        min_confidence: m.meta.min_confidence,
        max_len: m.meta.max_len,
        miner_version: &m.meta.miner_version,
        uris: wire_pool(&m.uris),
        names: wire_pool(&m.names),
        name_of: Cow::Borrowed(&m.name_of),
        artists: wire_pool(&m.artists),
        artist_of: Cow::Borrowed(&m.artist_of),
        albums: wire_pool(&m.albums),
        album_of: Cow::Borrowed(&m.album_of),
        counts: Cow::Borrowed(&m.counts),
        name_keys: wire_pool(&m.name_keys),
        name_key_track: Cow::Borrowed(&m.name_key_track),
        antes_per_track: Cow::Owned(m.ante_by_first.windows(2).map(|w| w[1] - w[0]).collect()),
        ante_tail_len: Cow::Owned(lens_of(&m.ante_tail_end)),
        ante_tail_items: Cow::Borrowed(&m.ante_tail_items),
        ante_count: Cow::Borrowed(&m.ante_count),
        ante_rules: Cow::Owned(lens_of(&m.ante_rule_end)),
        rule_consequent: Cow::Owned(m.rules.iter().map(|r| r.consequent).collect()),
        rule_count: Cow::Owned(m.rules.iter().map(|r| r.count).collect()),
        rule_confidence: Cow::Owned(m.rules.iter().map(|r| r.confidence).collect()),
        rule_lift: Cow::Owned(m.rules.iter().map(|r| r.lift).collect()),
    }
}

fn encode_body(m: &Model) -> Vec<u8> {
    postcard::to_allocvec(&body(m)).expect("postcard cannot fail to encode into a Vec")
}

fn id_of(body: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body))
}

/// The content id of a model: the XXH3-128 of its encoded body, in hex.
pub(crate) fn content_id(m: &Model) -> String {
    id_of(&encode_body(m))
}

impl Model {
    /// Encodes the model as a blob. Deterministic: equal models give equal bytes.
    pub fn to_blob(&self) -> Vec<u8> {
        let created_at = postcard::to_allocvec(&self.meta.created_at)
            .expect("postcard cannot fail to encode into a Vec");
        let body = encode_body(self);
        let payload_len = created_at.len() + body.len();
        let mut out = Vec::with_capacity(HEADER_LEN + payload_len);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload_len as u64).to_le_bytes());
        out.extend_from_slice(&[0; 8]); // checksum, filled in below
        out.extend_from_slice(&created_at);
        out.extend_from_slice(&body);
        let checksum = xxhash_rust::xxh3::xxh3_64(&out[HEADER_LEN..]);
        out[20..28].copy_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Decodes and fully validates a blob. Any byte string gives a model or a typed error,
    /// never a panic.
    pub fn from_blob(bytes: &[u8]) -> Result<Model, DecodeError> {
        let payload = check_header(bytes)?;
        let malformed = |section| {
            move |e: postcard::Error| DecodeError::Malformed {
                section,
                message: e.to_string(),
            }
        };
        let (created_at, body_bytes) =
            postcard::take_from_bytes::<&str>(payload).map_err(malformed("created_at"))?;
        let (body, rest) =
            postcard::take_from_bytes::<Body<'_>>(body_bytes).map_err(malformed("body"))?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes {
                what: "model body inside the payload",
                extra: rest.len() as u64,
            });
        }
        let model = from_body(body, created_at, id_of(body_bytes))?;
        validate(&model)?;
        Ok(model.finish()?)
    }
}

/// Checks magic, version, length and checksum; returns the payload.
fn check_header(bytes: &[u8]) -> Result<&[u8], DecodeError> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(DecodeError::BadMagic {
            found: bytes[..magic_len].to_vec(),
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available: bytes.len() as u64,
        });
    }
    let word = |at: usize, len: usize| {
        let mut buf = [0u8; 8];
        buf[..len].copy_from_slice(&bytes[at..at + len]);
        u64::from_le_bytes(buf)
    };
    let version = word(8, 4) as u32;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let payload_len = word(12, 8);
    let expected = word(20, 8);
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
    Ok(payload)
}

/// Rebuilds a pool's offsets from its lengths.
fn pool_from_wire(pool: &'static str, wire: WirePool<'_>) -> Result<StrPool, InvalidModel> {
    let bad = |detail: String| InvalidModel::BadStringPool { pool, detail };
    let ends = ends_from_lens(&wire.lens).ok_or_else(|| bad("lengths overflow".into()))?;
    let total = ends.last().map_or(0, |&e| e as usize);
    if total != wire.data.len() {
        return Err(bad(format!(
            "lengths add up to {total}, text has {} bytes",
            wire.data.len()
        )));
    }
    if let Some(i) = ends
        .iter()
        .position(|&e| !wire.data.is_char_boundary(e as usize))
    {
        return Err(bad(format!("string {i} ends inside a UTF-8 character")));
    }
    Ok(StrPool {
        data: wire.data.to_owned(),
        ends,
    })
}

/// Prefix sums, or `None` on overflow of `u32`.
fn ends_from_lens(lens: &[u32]) -> Option<Vec<u32>> {
    let mut total = 0u32;
    lens.iter()
        .map(|&len| {
            total = total.checked_add(len)?;
            Some(total)
        })
        .collect()
}

/// Zips the rule columns into records; all four must be equally long.
fn rule_records(body: &Body<'_>) -> Result<Vec<RuleRec>, InvalidModel> {
    let n = body.rule_consequent.len();
    for (column, len) in [
        ("rule_count", body.rule_count.len()),
        ("rule_confidence", body.rule_confidence.len()),
        ("rule_lift", body.rule_lift.len()),
    ] {
        if len != n {
            return Err(InvalidModel::LengthMismatch {
                column,
                expected: n as u64,
                found: len as u64,
            });
        }
    }
    Ok((0..n)
        .map(|r| RuleRec {
            consequent: body.rule_consequent[r],
            count: body.rule_count[r],
            confidence: body.rule_confidence[r],
            lift: body.rule_lift[r],
        })
        .collect())
}

fn from_body(body: Body<'_>, created_at: &str, model_id: String) -> Result<Model, InvalidModel> {
    let overflow = |column| InvalidModel::Inconsistent(format!("`{column}` lengths overflow"));
    let rules = rule_records(&body)?;
    let mut ante_by_first = Vec::with_capacity(body.antes_per_track.len() + 1);
    ante_by_first.push(0);
    ante_by_first
        .extend(ends_from_lens(&body.antes_per_track).ok_or_else(|| overflow("antes_per_track"))?);
    Ok(Model {
        meta: Metadata {
            format_version: FORMAT_VERSION,
            model_id,
            created_at: created_at.to_owned(),
            datasets: body.datasets.iter().map(|&s| s.to_owned()).collect(),
            playlists: body.playlists,
            min_support: body.min_support,
            min_count: body.min_count,
            min_confidence: body.min_confidence,
            max_len: body.max_len,
            miner_version: body.miner_version.to_owned(),
        },
        uris: pool_from_wire("uris", body.uris)?,
        names: pool_from_wire("names", body.names)?,
        name_of: body.name_of.into_owned(),
        artists: pool_from_wire("artists", body.artists)?,
        artist_of: body.artist_of.into_owned(),
        albums: pool_from_wire("albums", body.albums)?,
        album_of: body.album_of.into_owned(),
        counts: body.counts.into_owned(),
        name_keys: pool_from_wire("name_keys", body.name_keys)?,
        name_key_track: body.name_key_track.into_owned(),
        uri_index: Default::default(),
        name_index: Default::default(),
        ante_by_first,
        ante_tail_end: ends_from_lens(&body.ante_tail_len)
            .ok_or_else(|| overflow("ante_tail_len"))?,
        ante_tail_items: body.ante_tail_items.into_owned(),
        ante_count: body.ante_count.into_owned(),
        ante_rule_end: ends_from_lens(&body.ante_rules).ok_or_else(|| overflow("ante_rules"))?,
        rules,
    })
}
