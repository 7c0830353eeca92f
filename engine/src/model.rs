//! The in-memory model: a columnar track table, rules grouped by antecedent, and the indexes
//! that ranking needs. Built by [`crate::ModelBuilder`] or decoded by [`crate::Model::from_blob`];
//! both produce the same canonical layout, so equal models have equal bytes and ids.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::columns::Columns;
use crate::index::HashIndex;
use crate::rank::AdaptiveRule;

/// Dense id of a track inside one model: its rank by popularity (0 is the most popular).
///
/// Ids are only meaningful for the model that issued them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackId(pub u32);

impl TrackId {
    /// The id as an index into the model's track columns.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Everything a model says about how and from what it was mined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Blob format version the model was decoded from or will be encoded with.
    pub format_version: u32,
    /// Content hash of the model (32 lowercase hex digits). Mining the same input with the same
    /// settings gives the same id; the creation time does not enter it.
    pub model_id: String,
    /// When the model was created, RFC 3339 in UTC (for example `2026-11-28T12:00:00Z`).
    pub created_at: String,
    /// Labels of the datasets the model was mined from (usually file names).
    pub datasets: Vec<String>,
    /// Number of playlists (transactions) mined.
    pub playlists: u32,
    /// Minimum support as a fraction of the playlists.
    pub min_support: f64,
    /// The lowest count a rule may have (the validator checks every rule against it): the
    /// minimum support as an absolute count, `ceil(min_support * playlists)` or given directly;
    /// lower when the miner added neighbor rules below the support (`miner mine --neighbors`).
    pub min_count: u32,
    /// Minimum confidence of a kept rule.
    pub min_confidence: f64,
    /// Largest itemset mined (so antecedents have at most `max_len - 1` tracks).
    pub max_len: u32,
    /// Version of the miner that produced the model.
    pub miner_version: String,
    /// How [`crate::Strategy::Adaptive`] picks a strategy on this model: as stored in its
    /// blob (the miner fits one per model, or is given one), or the built-in rule for a blob
    /// of format 1.
    pub adaptive: AdaptiveRule,
}

/// A borrowed view of one track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Track<'m> {
    /// The track's id in this model.
    pub id: TrackId,
    /// Unique identifier, usually a Spotify URI such as `spotify:track:...`.
    pub uri: &'m str,
    /// Song name as published.
    pub name: &'m str,
    /// Artist name.
    pub artist: &'m str,
    /// Album name.
    pub album: &'m str,
    /// Number of playlists that contain the track.
    pub count: u32,
}

/// A borrowed view of one association rule `antecedent -> consequent`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule<'m> {
    /// The tracks of the antecedent X, ascending by id (never empty).
    pub antecedent: Antecedent<'m>,
    /// The single consequent y (never in X).
    pub consequent: TrackId,
    /// Support count of X ∪ {y}: playlists that contain all of them.
    pub count: u32,
    /// Support count of X.
    pub antecedent_count: u32,
    /// `count / antecedent_count`.
    pub confidence: f32,
    /// `confidence / (count(y) / playlists)`.
    pub lift: f32,
}

/// The tracks of an antecedent: the first one (the smallest id) and the rest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Antecedent<'m> {
    pub(crate) first: TrackId,
    pub(crate) tail: &'m [u32],
}

impl<'m> Antecedent<'m> {
    /// Number of tracks in the antecedent.
    pub fn len(&self) -> usize {
        1 + self.tail.len()
    }

    /// Always false: an antecedent has at least one track.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The tracks, ascending by id.
    pub fn iter(&self) -> impl Iterator<Item = TrackId> + 'm {
        std::iter::once(self.first).chain(self.tail.iter().map(|&t| TrackId(t)))
    }
}

impl fmt::Debug for Antecedent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Heap bytes a model holds, by part (see [`Model::memory`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryUsage {
    /// Track table: strings, columns, the lookup indexes by URI and by name, and the per-track
    /// index into the antecedents (4 bytes a track).
    pub tracks: usize,
    /// Antecedents and rules.
    pub rules: usize,
    /// The blob a built model keeps for [`Model::to_blob`] (0 for a decoded model).
    pub blob: usize,
}

/// A decoded, validated model: tracks, rules and the indexes that ranking uses.
///
/// Layout (all ids are [`TrackId`]s, tracks sorted by popularity, most popular first):
/// - track columns: URI, name, artist and album (interned, each distinct string stored once)
///   and playlist count;
/// - `name_keys`: the distinct normalised names, sorted, each with its most popular track;
/// - a hash index by URI, derived when the model is loaded (a normalised name is found by
///   binary search in the sorted `name_keys`, so loading builds nothing for names);
/// - antecedents sorted lexicographically by their track ids, so that the antecedents whose
///   smallest track is `t` are one contiguous run `ante_by_first[t]..ante_by_first[t + 1]`:
///   the index from a track to every rule that can fire when it is a seed;
/// - rules grouped by antecedent, each group sorted by consequent.
///
/// The stored columns, and how the blob holds each, are declared in one list (`columns.rs`).
#[derive(Clone)]
pub struct Model {
    pub(crate) meta: Metadata,
    /// Everything the blob stores besides the metadata.
    pub(crate) columns: Columns,
    /// Derived at load: URI -> track id.
    pub(crate) uri_index: HashIndex,
    /// What the model keeps of its blob.
    pub(crate) encoded: Encoded,
}

/// What a model keeps of its own blob.
#[derive(Clone)]
pub(crate) enum Encoded {
    /// A built model: its blob, encoded once when the builder hashed the body for the id, so
    /// that [`Model::to_blob`] copies it instead of encoding again.
    Kept(Box<[u8]>),
    /// A decoded model: the length of the blob it came from. The caller has the bytes; a
    /// second copy would double a server's memory for the model.
    Len(usize),
}

/// Models are equal when their content is: metadata and columns (the indexes are derived
/// from the columns, and a built and a decoded model keep different things of their blob).
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.meta == other.meta && self.columns == other.columns
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("meta", &self.meta)
            .field("tracks", &self.track_count())
            .field("antecedents", &self.antecedent_count())
            .field("rules", &self.rule_count())
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Derives the lookup indexes and trims spare capacity. Called once by the builder and the
    /// decoder, after validation.
    pub(crate) fn finish(mut self) -> Result<Model, crate::InvalidModel> {
        self.columns.shrink_to_fit();
        let uris = &self.columns.uris;
        self.uri_index = HashIndex::build(uris.len(), |i| uris.get(i)).map_err(|dup| {
            crate::InvalidModel::DuplicateUri {
                uri: uris.get(dup).to_owned(),
            }
        })?;
        Ok(self)
    }

    /// The model's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// The content-hash id of the model.
    pub fn id(&self) -> &str {
        &self.meta.model_id
    }

    /// Number of tracks.
    pub fn track_count(&self) -> usize {
        self.columns.counts.len()
    }

    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.columns.rules.len()
    }

    /// Number of distinct antecedents.
    pub fn antecedent_count(&self) -> usize {
        self.columns.ante_count.len()
    }

    /// The track with id `id`. Panics if `id` is not a track of this model.
    pub fn track(&self, id: TrackId) -> Track<'_> {
        let (i, c) = (id.index(), &self.columns);
        let (uri, name, artist) = self.shown(id);
        Track {
            id,
            uri,
            name,
            artist,
            album: c.albums.get(c.album_of[i] as usize),
            count: c.counts[i],
        }
    }

    /// A track's URI, name and artist: what an answer shows. Cheaper than [`Model::track`] on
    /// a hot path, since on a large model every column read is a cache miss.
    pub(crate) fn shown(&self, id: TrackId) -> (&str, &str, &str) {
        let (i, c) = (id.index(), &self.columns);
        (
            c.uris.get(i),
            c.names.get(c.name_of[i] as usize),
            c.artists.get(c.artist_of[i] as usize),
        )
    }

    /// Every track, most popular first.
    pub fn tracks(&self) -> impl ExactSizeIterator<Item = Track<'_>> {
        (0..self.track_count()).map(|i| self.track(TrackId(i as u32)))
    }

    /// The track whose URI is exactly `uri`.
    pub fn track_by_uri(&self, uri: &str) -> Option<TrackId> {
        self.uri_index
            .get(uri, |i| self.columns.uris.get(i))
            .map(TrackId)
    }

    /// The most popular track whose normalised name (see [`crate::normalize_name`]) equals the
    /// normalised `name`.
    pub fn track_by_name(&self, name: &str) -> Option<TrackId> {
        let key = crate::normalize_name(name);
        self.track_by_name_key(&key)
    }

    pub(crate) fn track_by_name_key(&self, key: &str) -> Option<TrackId> {
        // Validated strictly ascending.
        self.columns
            .name_keys
            .find_sorted(key)
            .map(|i| TrackId(self.columns.name_key_track[i]))
    }

    /// Every rule, grouped by antecedent (antecedents in lexicographic order of their ids),
    /// each group by consequent id.
    pub fn rules(&self) -> impl Iterator<Item = Rule<'_>> {
        (0..self.antecedent_count()).flat_map(move |a| {
            let range = self.rules_of(a);
            range.map(move |r| self.rule(a, r))
        })
    }

    /// Heap bytes held by the model, by part.
    pub fn memory(&self) -> MemoryUsage {
        let mut usage = self.columns.memory();
        usage.tracks += self.uri_index.heap_bytes()
            + self
                .meta
                .datasets
                .iter()
                .map(String::capacity)
                .sum::<usize>();
        if let Encoded::Kept(blob) = &self.encoded {
            usage.blob = blob.len();
        }
        usage
    }

    pub(crate) fn first_of(&self, ante: usize) -> TrackId {
        // The run of antecedents starting at a track is found by binary search on the CSR.
        let t = self
            .columns
            .ante_by_first
            .partition_point(|&start| start as usize <= ante)
            - 1;
        TrackId(t as u32)
    }

    pub(crate) fn tail_of(&self, ante: usize) -> &[u32] {
        &self.columns.ante_tail_items[self.columns.ante_tail_end.run(ante)]
    }

    pub(crate) fn antecedent(&self, ante: usize) -> Antecedent<'_> {
        Antecedent {
            first: self.first_of(ante),
            tail: self.tail_of(ante),
        }
    }

    pub(crate) fn antecedents_of(&self, first: TrackId) -> std::ops::Range<usize> {
        let (t, offsets) = (first.index(), &self.columns.ante_by_first);
        offsets[t] as usize..offsets[t + 1] as usize
    }

    pub(crate) fn rules_of(&self, ante: usize) -> std::ops::Range<usize> {
        self.columns.ante_rule_end.run(ante)
    }

    pub(crate) fn rule(&self, ante: usize, r: usize) -> Rule<'_> {
        let rec = self.columns.rules[r];
        Rule {
            antecedent: self.antecedent(ante),
            consequent: TrackId(rec.consequent),
            count: rec.count,
            antecedent_count: self.columns.ante_count[ante],
            confidence: rec.confidence,
            lift: rec.lift,
        }
    }
}

/// Whether a rule seen in `count` playlists, whose antecedent is in `antecedent_count`, meets
/// `min_confidence`: the exact `f64` ratio of the counts, not the `f32` confidence stored
/// (rounding moves 1/100 below 0.01 and 1/3 above 0.33333334). The one test of the
/// threshold: the miner keeps rules by it and the validator checks every rule with it.
pub fn meets_min_confidence(count: u32, antecedent_count: u32, min_confidence: f64) -> bool {
    f64::from(count) / f64::from(antecedent_count) >= min_confidence
}

/// Confidence and lift as the model stores them, computed the one way every part of Segue
/// computes them (in `f64`, rounded once to `f32`).
pub fn rule_scores(
    count: u32,
    antecedent_count: u32,
    consequent_count: u32,
    playlists: u32,
) -> (f32, f32) {
    let confidence = f64::from(count) / f64::from(antecedent_count);
    let lift = confidence / (f64::from(consequent_count) / f64::from(playlists));
    (confidence as f32, lift as f32)
}
