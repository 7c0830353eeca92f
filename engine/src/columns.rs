//! The columns a model stores, declared once: the list in this file gives [`Columns`], its form
//! in the blob body, its decoding with typed errors, shrinking and memory accounting.
//!
//! A column's type says how it is stored ([`Column`]): a [`StrPool`] as its text and the length
//! of each string, a `Vec<u32>` as is, [`Offsets`] and [`Ends`] as the lengths of their runs
//! (smaller varints; decoding rebuilds the offsets with overflow checks), the rules as four
//! columns. Postcard writes a struct as its fields one after the other, so the list's order is
//! the body's layout: reordering it changes the format.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use bytestring::ByteString;
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidModel;
use crate::model::MemoryUsage;

/// How one column lives in memory and in the blob body.
pub(crate) trait Column: Sized {
    /// The column as the blob body stores it, borrowing from the model (to encode) or from the
    /// blob (to decode).
    type Wire<'a>: Serialize
    where
        Self: 'a;

    /// The column in its stored form.
    fn to_wire(&self) -> Self::Wire<'_>;

    /// The column from its stored form, checked only as far as building it needs (the
    /// validator checks the rest); `name` is its name in the body, for errors. `shared` is
    /// the blob the wire form borrows from, when the caller holds it as [`Bytes`]: a column
    /// may then keep slices of it instead of copies (the string pools do).
    fn from_wire(
        wire: Self::Wire<'_>,
        name: &'static str,
        shared: Option<&Bytes>,
    ) -> Result<Self, InvalidModel>;

    /// Drops spare capacity: a finished model never grows.
    fn shrink_to_fit(&mut self);

    /// Heap bytes held.
    fn heap_bytes(&self) -> usize;
}

/// Declares [`Columns`] and everything that follows from its list. An entry is a column's doc
/// comment, `name: Type as "name in the body" in part`, where `part` is the field of
/// [`MemoryUsage`] it counts toward.
macro_rules! columns {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty as $wire:literal in $part:ident,
    )*) => {
        /// The columns of a model, in blob-body order (all ids are track ids, tracks in
        /// popularity order, most popular first).
        #[derive(Clone, Default, PartialEq)]
        pub(crate) struct Columns {
            $($(#[doc = $doc])* pub(crate) $field: $ty,)*
        }

        /// [`Columns`] as the blob body stores them.
        #[derive(Serialize, Deserialize)]
        pub(crate) struct WireColumns<'a> {
            $(#[serde(borrow)] $field: <$ty as Column>::Wire<'a>,)*
        }

        impl Columns {
            /// The columns in their stored form.
            pub(crate) fn to_wire(&self) -> WireColumns<'_> {
                WireColumns { $($field: self.$field.to_wire(),)* }
            }

            /// The columns from their stored form, in body order (the first bad one is named);
            /// `shared` as in [`Column::from_wire`].
            pub(crate) fn from_wire(
                wire: WireColumns<'_>,
                shared: Option<&Bytes>,
            ) -> Result<Columns, InvalidModel> {
                Ok(Columns { $($field: Column::from_wire(wire.$field, $wire, shared)?,)* })
            }

            /// Drops spare capacity in every column.
            pub(crate) fn shrink_to_fit(&mut self) {
                $(self.$field.shrink_to_fit();)*
            }

            /// Heap bytes of the columns, by part.
            pub(crate) fn memory(&self) -> MemoryUsage {
                let mut usage = MemoryUsage::default();
                $(usage.$part += self.$field.heap_bytes();)*
                usage
            }
        }
    };
}

columns! {
    /// Track URIs, in track order (each unique).
    uris: StrPool as "uris" in tracks,
    /// Distinct song names, sorted.
    names: StrPool as "names" in tracks,
    /// Each track's name, as a position in `names`.
    name_of: Vec<u32> as "name_of" in tracks,
    /// Distinct artist names, sorted.
    artists: StrPool as "artists" in tracks,
    /// Each track's artist, as a position in `artists`.
    artist_of: Vec<u32> as "artist_of" in tracks,
    /// Distinct album names, sorted.
    albums: StrPool as "albums" in tracks,
    /// Each track's album, as a position in `albums`.
    album_of: Vec<u32> as "album_of" in tracks,
    /// Number of playlists that contain each track (descending: ids are popularity ranks).
    counts: Vec<u32> as "counts" in tracks,
    /// Distinct normalised names, sorted.
    name_keys: StrPool as "name_keys" in tracks,
    /// The most popular track of each normalised name.
    name_key_track: Vec<u32> as "name_key_track" in tracks,
    /// CSR over antecedents by their first (smallest) track; `tracks + 1` entries. Stored as
    /// the number of antecedents per track.
    ante_by_first: Offsets as "antes_per_track" in tracks,
    /// CSR over `ante_tail_items`: the tracks after the first; `antecedents` entries. Stored as
    /// the number of tracks after the first, per antecedent.
    ante_tail_end: Ends as "ante_tail_len" in rules,
    /// The tracks after the first of every antecedent, ascending within each.
    ante_tail_items: Vec<u32> as "ante_tail_items" in rules,
    /// Support count of each antecedent.
    ante_count: Vec<u32> as "ante_count" in rules,
    /// CSR over rules by antecedent; `antecedents` entries. Stored as the number of rules per
    /// antecedent.
    ante_rule_end: Ends as "ante_rules" in rules,
    /// Rules grouped by antecedent, each group by consequent, as 16-byte records: ranking reads
    /// a rule's fields together, and a group's rules share cache lines. Stored as four
    /// columns (`rule_consequent`, `rule_count`, `rule_confidence`, `rule_lift`).
    rules: Vec<RuleRec> as "rule_*" in rules,
}

/// A column of numbers as the body stores it, a postcard sequence: borrowed from the model
/// to encode, owned when decoded.
///
/// Decoding reserves the declared length up front (up to [`RESERVE_MAX`] elements), where
/// serde's own `Vec` reserves at most 1 MiB and then doubles: on a 2M-track model that was a
/// chain of reallocations and copies into fresh pages for every column.
pub(crate) struct Nums<'a, T: Clone>(pub(crate) Cow<'a, [T]>);

/// The most elements a [`Nums`] reserves before reading them: a column of 4M numbers (16 MiB)
/// is read without a reallocation, and a blob that declares more than it holds cannot make
/// the decoder reserve more than that per column (the checksum does not stop a crafted blob).
const RESERVE_MAX: usize = 1 << 22;

impl<T: Clone> Deref for Nums<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Clone> Nums<'_, T> {
    /// The numbers, owned (no copy after a decode).
    fn into_vec(self) -> Vec<T> {
        self.0.into_owned()
    }
}

impl<T: Clone + Serialize> Serialize for Nums<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Clone + Deserialize<'de>> Deserialize<'de> for Nums<'_, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = Vec<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of numbers")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(RESERVE_MAX));
                while let Some(x) = seq.next_element()? {
                    out.push(x);
                }
                Ok(out)
            }
        }

        let vec = deserializer.deserialize_seq(Elements(std::marker::PhantomData))?;
        Ok(Nums(Cow::Owned(vec)))
    }
}

impl Column for Vec<u32> {
    type Wire<'a> = Nums<'a, u32>;

    fn to_wire(&self) -> Self::Wire<'_> {
        Nums(Cow::Borrowed(self))
    }

    fn from_wire(
        wire: Self::Wire<'_>,
        _: &'static str,
        _: Option<&Bytes>,
    ) -> Result<Self, InvalidModel> {
        Ok(wire.into_vec())
    }

    fn shrink_to_fit(&mut self) {
        Vec::shrink_to_fit(self);
    }

    fn heap_bytes(&self) -> usize {
        self.capacity() * 4
    }
}

/// A list of strings stored as one buffer and the end offset of each string. The buffer is
/// immutable and cheap to clone ([`ByteString`]): either its own allocation (a built model,
/// [`PoolBuilder`]) or a slice of the blob the model was decoded from
/// ([`Model::from_shared_blob`](crate::Model::from_shared_blob)), which is then not copied.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct StrPool {
    pub(crate) data: ByteString,
    pub(crate) ends: Vec<u32>,
}

impl StrPool {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The position of `key` in a strictly ascending pool (as the validator checks every
    /// sorted pool to be), by binary search.
    pub(crate) fn find_sorted(&self, key: &str) -> Option<usize> {
        let i = crate::rank::lower_bound(0..self.len(), |i| self.get(i) < key);
        (i < self.len() && self.get(i) == key).then_some(i)
    }
}

impl fmt::Debug for StrPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A [`StrPool`] being filled, one string after another.
#[derive(Default)]
pub(crate) struct PoolBuilder {
    data: String,
    ends: Vec<u32>,
}

impl PoolBuilder {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends
            .push(u32::try_from(self.data.len()).expect("string pool over 4 GiB"));
    }

    pub(crate) fn finish(mut self) -> StrPool {
        self.data.shrink_to_fit();
        StrPool {
            data: ByteString::from(self.data),
            ends: self.ends,
        }
    }
}

/// A string pool as the body stores it: the text, and the length of each string.
#[derive(Serialize, Deserialize)]
pub(crate) struct WirePool<'a> {
    #[serde(borrow)]
    data: &'a str,
    lens: Nums<'a, u32>,
}

impl Column for StrPool {
    type Wire<'a> = WirePool<'a>;

    fn to_wire(&self) -> Self::Wire<'_> {
        WirePool {
            data: &self.data,
            lens: Nums(Cow::Owned(lens_of(&self.ends))),
        }
    }

    /// Rebuilds the offsets from the lengths; they must cut the text at character boundaries
    /// and add up to its size.
    /// The text is a slice of `shared` when given (no copy), a copy otherwise.
    fn from_wire(
        wire: Self::Wire<'_>,
        pool: &'static str,
        shared: Option<&Bytes>,
    ) -> Result<Self, InvalidModel> {
        let bad = |detail: String| InvalidModel::BadStringPool { pool, detail };
        let ends =
            ends_from_lens(wire.lens.into_vec()).ok_or_else(|| bad("lengths overflow".into()))?;
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
        let data = match shared {
            // `wire.data` borrows from `shared`'s bytes (the decoder's input), so the slice
            // is in bounds; the text is UTF-8 (postcard checked), checked again by `try_from`.
            Some(blob) => ByteString::try_from(blob.slice_ref(wire.data.as_bytes()))
                .map_err(|e| bad(e.to_string()))?,
            None => ByteString::from(wire.data),
        };
        Ok(StrPool { data, ends })
    }

    fn shrink_to_fit(&mut self) {
        self.ends.shrink_to_fit();
    }

    /// The text counts whether it is owned or a slice of the blob: either way it is in memory
    /// while the model is.
    fn heap_bytes(&self) -> usize {
        self.data.len() + self.ends.capacity() * 4
    }
}

/// CSR offsets: run `i` is `self[i]..self[i + 1]`; one more entry than runs, the first 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Offsets(pub(crate) Vec<u32>);

impl Deref for Offsets {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        &self.0
    }
}

impl Column for Offsets {
    type Wire<'a> = Nums<'a, u32>;

    fn to_wire(&self) -> Self::Wire<'_> {
        Nums(Cow::Owned(self.windows(2).map(|w| w[1] - w[0]).collect()))
    }

    fn from_wire(
        wire: Self::Wire<'_>,
        name: &'static str,
        _: Option<&Bytes>,
    ) -> Result<Self, InvalidModel> {
        let mut offsets = Vec::with_capacity(wire.len() + 1);
        offsets.push(0u32);
        let mut total = 0u32;
        for &len in wire.iter() {
            total = total.checked_add(len).ok_or_else(|| overflow(name))?;
            offsets.push(total);
        }
        Ok(Offsets(offsets))
    }

    fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.0.capacity() * 4
    }
}

/// The end of each run, runs back to back from 0: run `i` is `self[i - 1]..self[i]` (from 0
/// for the first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ends(pub(crate) Vec<u32>);

impl Ends {
    /// The range of run `i`.
    pub(crate) fn run(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.0[i - 1] as usize };
        start..self.0[i] as usize
    }
}

impl Deref for Ends {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        &self.0
    }
}

impl Column for Ends {
    type Wire<'a> = Nums<'a, u32>;

    fn to_wire(&self) -> Self::Wire<'_> {
        Nums(Cow::Owned(lens_of(self)))
    }

    fn from_wire(
        wire: Self::Wire<'_>,
        name: &'static str,
        _: Option<&Bytes>,
    ) -> Result<Self, InvalidModel> {
        Ok(Ends(
            ends_from_lens(wire.into_vec()).ok_or_else(|| overflow(name))?,
        ))
    }

    fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.0.capacity() * 4
    }
}

/// One rule's consequent, support count and scores, stored together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RuleRec {
    pub(crate) consequent: u32,
    pub(crate) count: u32,
    pub(crate) confidence: f32,
    pub(crate) lift: f32,
}

/// The rules as the body stores them: one column per field.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireRules<'a> {
    consequent: Nums<'a, u32>,
    count: Nums<'a, u32>,
    confidence: Nums<'a, f32>,
    lift: Nums<'a, f32>,
}

impl Column for Vec<RuleRec> {
    type Wire<'a> = WireRules<'a>;

    fn to_wire(&self) -> Self::Wire<'_> {
        WireRules {
            consequent: Nums(Cow::Owned(self.iter().map(|r| r.consequent).collect())),
            count: Nums(Cow::Owned(self.iter().map(|r| r.count).collect())),
            confidence: Nums(Cow::Owned(self.iter().map(|r| r.confidence).collect())),
            lift: Nums(Cow::Owned(self.iter().map(|r| r.lift).collect())),
        }
    }

    /// Zips the four columns into records; they must be equally long.
    fn from_wire(
        wire: Self::Wire<'_>,
        _: &'static str,
        _: Option<&Bytes>,
    ) -> Result<Self, InvalidModel> {
        let n = wire.consequent.len();
        for (column, len) in [
            ("rule_count", wire.count.len()),
            ("rule_confidence", wire.confidence.len()),
            ("rule_lift", wire.lift.len()),
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
                consequent: wire.consequent[r],
                count: wire.count[r],
                confidence: wire.confidence[r],
                lift: wire.lift[r],
            })
            .collect())
    }

    fn shrink_to_fit(&mut self) {
        Vec::shrink_to_fit(self);
    }

    fn heap_bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<RuleRec>()
    }
}

fn overflow(name: &'static str) -> InvalidModel {
    InvalidModel::Inconsistent(format!("`{name}` lengths overflow"))
}

/// The length of each run, from the end of each.
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

/// Prefix sums, in place, or `None` on overflow of `u32`.
fn ends_from_lens(mut lens: Vec<u32>) -> Option<Vec<u32>> {
    let mut total = 0u32;
    for len in &mut lens {
        total = total.checked_add(*len)?;
        *len = total;
    }
    Some(lens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nums_are_stored_as_a_plain_sequence() {
        let v: Vec<u32> = (0..1000).map(|i| i * 7919 % 100_003).collect();
        let as_vec = postcard::to_allocvec(&v).unwrap();
        assert_eq!(
            postcard::to_allocvec(&Nums(Cow::Borrowed(&v[..]))).unwrap(),
            as_vec
        );
        let back: Nums<'_, u32> = postcard::from_bytes(&as_vec).unwrap();
        assert_eq!(back.into_vec(), v);
    }

    #[test]
    fn a_declared_length_beyond_the_bytes_is_an_error_not_a_reservation() {
        // Length 2^40, then three numbers: the decoder must not try to reserve 4 TiB.
        let mut bytes = Vec::new();
        let mut n: u64 = 1 << 40;
        while n >= 0x80 {
            bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        bytes.push(n as u8);
        bytes.extend([1, 2, 3]);
        assert!(postcard::from_bytes::<Nums<'_, u32>>(&bytes).is_err());
    }

    #[test]
    fn prefix_sums_check_overflow() {
        assert_eq!(ends_from_lens(vec![3, 0, 4]), Some(vec![3, 3, 7]));
        assert_eq!(ends_from_lens(vec![u32::MAX, 1]), None);
    }
}
