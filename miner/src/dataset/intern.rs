//! Interning: track URIs (and basket tokens) to item ids, in order of first sight, with each
//! track's names kept on first sight.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::TrackMeta;

/// Item ids by URI, and the track of each id.
#[derive(Default)]
pub(super) struct Interner {
    index: UriIndex,
    /// Item ids of canonical integers ([`small_integer`]), indexed by the integer
    /// (`u32::MAX`: not seen yet).
    dense: Vec<u32>,
    /// Tracks by item id.
    pub(super) tracks: Vec<TrackMeta>,
}

/// Track URI -> item id. foldhash rather than FxHash: short, similar keys (basket tokens,
/// URIs) collide under FxHash.
///
/// Keys of up to [`INLINE`] bytes (every `spotify:track:` URI, most basket tokens) live in the
/// table's slots themselves: with 2M tracks the table is far larger than the caches, and a
/// `String` key costs a second cache miss per lookup (its heap bytes) on top of the slot's,
/// which made the string compare the biggest single cost of reading a million playlists.
#[derive(Default)]
struct UriIndex {
    inline: HashMap<InlineKey, u32, foldhash::fast::RandomState>,
    long: HashMap<String, u32, foldhash::fast::RandomState>,
}

/// Longest key stored inline in [`UriIndex`].
const INLINE: usize = 39;

/// A key of at most [`INLINE`] bytes, zero-padded, its length in the last byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct InlineKey([u8; INLINE + 1]);

impl InlineKey {
    fn new(key: &str) -> Option<Self> {
        let bytes = key.as_bytes();
        (bytes.len() <= INLINE).then(|| {
            let mut k = [0; INLINE + 1];
            k[..bytes.len()].copy_from_slice(bytes);
            k[INLINE] = bytes.len() as u8;
            Self(k)
        })
    }
}

impl UriIndex {
    /// The id `key` already has, or `None` after registering it with the id `fresh`.
    fn get_or_insert(&mut self, key: &str, fresh: u32) -> Option<u32> {
        let slot = match InlineKey::new(key) {
            Some(k) => self.inline.entry(k),
            None => match self.long.get(key) {
                Some(&id) => return Some(id),
                None => {
                    self.long.insert(key.to_owned(), fresh);
                    return None;
                }
            },
        };
        match slot {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(e) => {
                e.insert(fresh);
                None
            }
        }
    }
}

/// Canonical integers below this (URIs and basket tokens such as `42`) find their item id in
/// [`Interner`]'s dense array: no hashing and no string compares for FIMI-style baskets.
pub(super) const DENSE_LIMIT: u32 = 1 << 26;

impl Interner {
    /// The item id of `uri`, registering the track (with `meta`) on first sight. Ids that are
    /// canonical small integers (FIMI baskets) skip hashing via a dense array.
    pub(super) fn item(&mut self, uri: &str, meta: impl FnOnce() -> TrackMeta) -> u32 {
        if let Some(n) = small_integer(uri.as_bytes()) {
            return self.dense_item(n, || (uri.to_owned(), meta()));
        }
        let fresh = self.tracks.len() as u32;
        if let Some(id) = self.index.get_or_insert(uri, fresh) {
            return id;
        }
        let mut m = meta();
        m.uri = uri.to_owned();
        self.tracks.push(m);
        fresh
    }

    /// The item id of the track whose URI is the canonical integer `n` (< [`DENSE_LIMIT`]);
    /// `meta` gives the URI and the rest on first sight.
    fn dense_item(&mut self, n: u32, meta: impl FnOnce() -> (String, TrackMeta)) -> u32 {
        if self.dense.len() <= n as usize {
            self.dense.resize(
                (n as usize + 1)
                    .next_power_of_two()
                    .min(DENSE_LIMIT as usize),
                u32::MAX,
            );
        }
        if self.dense[n as usize] != u32::MAX {
            return self.dense[n as usize];
        }
        let fresh = self.tracks.len() as u32;
        self.dense[n as usize] = fresh;
        let (uri, mut m) = meta();
        m.uri = uri;
        self.tracks.push(m);
        fresh
    }

    /// The item id of a basket token: the token is both the id and the name.
    pub(super) fn token(&mut self, token: &str) -> u32 {
        self.item(token, || TrackMeta {
            name: token.to_owned(),
            ..TrackMeta::default()
        })
    }

    /// The item id of a basket token that is the canonical integer `n`.
    pub(super) fn integer(&mut self, n: u32) -> u32 {
        self.dense_item(n, || {
            let token = n.to_string();
            let name = token.clone();
            (
                token,
                TrackMeta {
                    name,
                    ..TrackMeta::default()
                },
            )
        })
    }

    /// The item id of the canonical integer `n` if it has one yet, else `u32::MAX`: a plain
    /// load, for the basket reader's loop of independent lookups.
    #[inline]
    pub(super) fn known_integer(&self, n: u32) -> u32 {
        self.dense.get(n as usize).copied().unwrap_or(u32::MAX)
    }
}

/// `token` as an integer below [`DENSE_LIMIT`] when it is written canonically (digits, no
/// leading zero), so that each such token has exactly one integer and vice versa.
pub(super) fn small_integer(b: &[u8]) -> Option<u32> {
    if b.is_empty()
        || b.len() > 8
        || (b.len() > 1 && b[0] == b'0')
        || !b.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let n = b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    (n < DENSE_LIMIT).then_some(n)
}
