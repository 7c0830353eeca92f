//! Assembling a model from tracks and rules given in any order.

use crate::columns::{Columns, Ends, Offsets, PoolBuilder, RuleRec, StrPool};
use crate::error::BuildError;
use crate::model::{Encoded, Metadata, Model, rule_scores};
use crate::normalize::normalize_name;
use crate::rank::AdaptiveRule;

/// One track as the miner knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackInput {
    /// Unique id, usually a Spotify URI.
    pub uri: String,
    /// Song name.
    pub name: String,
    /// Artist name.
    pub artist: String,
    /// Album name.
    pub album: String,
    /// Number of playlists that contain the track (at least 1).
    pub count: u32,
}

/// One rule `antecedent -> consequent`, its tracks given as indexes in the order they were
/// added to the builder. Confidence and lift are computed by the builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInput {
    /// The tracks of X, in any order.
    pub antecedent: Vec<u32>,
    /// The consequent y.
    pub consequent: u32,
    /// Playlists containing X ∪ {y}.
    pub count: u32,
    /// Playlists containing X.
    pub antecedent_count: u32,
}

/// How the model was mined: everything of [`Metadata`] but the computed fields.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelParams {
    /// Creation time, RFC 3339 UTC (the engine has no clock; the caller provides it).
    pub created_at: String,
    /// Dataset labels.
    pub datasets: Vec<String>,
    /// Number of playlists mined.
    pub playlists: u32,
    /// Minimum support as a fraction.
    pub min_support: f64,
    /// The lowest count a rule may have (the minimum support as a count, or lower: see
    /// [`crate::Metadata::min_count`]).
    pub min_count: u32,
    /// Minimum confidence of a rule.
    pub min_confidence: f64,
    /// Largest itemset mined.
    pub max_len: u32,
    /// Version of the miner.
    pub miner_version: String,
    /// How [`crate::Strategy::Adaptive`] picks a strategy on the model
    /// ([`AdaptiveRule::BUILT_IN`] unless the miner fitted one).
    pub adaptive: AdaptiveRule,
}

/// Collects tracks and rules in any order and builds the canonical [`Model`].
///
/// ```
/// use engine::{AdaptiveRule, ModelBuilder, ModelParams, RuleInput, TrackInput};
/// let params = ModelParams {
///     created_at: "2026-01-01T00:00:00Z".into(),
///     datasets: vec!["demo".into()],
///     playlists: 4,
///     min_support: 0.5,
///     min_count: 2,
///     min_confidence: 0.1,
///     max_len: 3,
///     miner_version: "doc".into(),
///     adaptive: AdaptiveRule::BUILT_IN,
/// };
/// let mut b = ModelBuilder::new(params);
/// let track = |uri: &str, count| TrackInput {
///     uri: uri.into(), name: uri.into(), artist: "A".into(), album: "B".into(), count,
/// };
/// let x = b.add_track(track("x", 3));
/// let y = b.add_track(track("y", 2));
/// b.add_rule(RuleInput { antecedent: vec![x], consequent: y, count: 2, antecedent_count: 3 });
/// let model = b.build().unwrap();
/// assert_eq!(model.rule_count(), 1);
/// assert_eq!(model.rules().next().unwrap().confidence, 2.0 / 3.0);
/// ```
#[derive(Clone, Debug)]
pub struct ModelBuilder {
    params: ModelParams,
    tracks: Vec<TrackInput>,
    rules: Vec<RuleInput>,
}

impl ModelBuilder {
    /// An empty builder for a model mined with `params`.
    pub fn new(params: ModelParams) -> Self {
        ModelBuilder {
            params,
            tracks: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// Adds a track; returns the index rules refer to it by.
    pub fn add_track(&mut self, track: TrackInput) -> u32 {
        self.tracks.push(track);
        (self.tracks.len() - 1) as u32
    }

    /// Adds a rule over tracks added before or after it.
    pub fn add_rule(&mut self, rule: RuleInput) {
        self.rules.push(rule);
    }

    /// Number of tracks added so far.
    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Builds the model: sorts tracks by popularity, interns strings, groups rules by
    /// antecedent, computes confidence, lift and the model id, and checks every invariant.
    pub fn build(self) -> Result<Model, BuildError> {
        let ModelBuilder {
            params,
            tracks,
            rules,
        } = self;
        check_params(&params, tracks.len())?;
        let order = popularity_order(&tracks);
        let columns = columns(&tracks, &order, rules, params.playlists)?;
        seal(metadata(params), columns)
    }
}

/// Checks the parameters and the number of tracks before any work.
fn check_params(p: &ModelParams, tracks: usize) -> Result<(), BuildError> {
    let bad = |name, value: String, why| Err(BuildError::BadParameter { name, value, why });
    if !(0.0..=1.0).contains(&p.min_support) {
        return bad(
            "min_support",
            p.min_support.to_string(),
            "must be within [0, 1]",
        );
    }
    if !(0.0..=1.0).contains(&p.min_confidence) {
        return bad(
            "min_confidence",
            p.min_confidence.to_string(),
            "must be within [0, 1]",
        );
    }
    if !crate::validate::is_rfc3339_utc(&p.created_at) {
        return bad(
            "created_at",
            format!("{:?}", p.created_at),
            "must be RFC 3339 UTC, e.g. 2026-01-31T12:00:00Z",
        );
    }
    if u32::try_from(tracks).is_err() {
        return bad("tracks", tracks.to_string(), "at most 2^32 - 1 tracks");
    }
    Ok(())
}

/// The canonical track order, most popular first, then by URI: `order[id] = index added`.
fn popularity_order(tracks: &[TrackInput]) -> Vec<u32> {
    sort_by_text(
        tracks.len(),
        |i| u64::from(u32::MAX - tracks[i].count),
        |i| &tracks[i].uri,
    )
}

/// Every column of the model, from the tracks as added, their canonical `order` and the rules
/// as added (tracks first: their temporaries are freed before the rules are prepared).
fn columns(
    tracks: &[TrackInput],
    order: &[u32],
    rules: Vec<RuleInput>,
    playlists: u32,
) -> Result<Columns, BuildError> {
    let sorted: Vec<&TrackInput> = order.iter().map(|&old| &tracks[old as usize]).collect();
    let mut uris = PoolBuilder::default();
    for t in &sorted {
        uris.push(&t.uri);
    }
    let uris = uris.finish();
    let (names, name_of) = intern(sorted.iter().map(|t| t.name.as_str()));
    let (artists, artist_of) = intern(sorted.iter().map(|t| t.artist.as_str()));
    let (albums, album_of) = intern(sorted.iter().map(|t| t.album.as_str()));
    let counts: Vec<u32> = sorted.iter().map(|t| t.count).collect();
    let (name_keys, name_key_track) = name_keys(&names, &name_of);

    let rules = prepare_rules(rules, order)?;
    let grouped = group_rules(&rules, &counts, playlists)?;
    Ok(Columns {
        uris,
        names,
        name_of,
        artists,
        artist_of,
        albums,
        album_of,
        counts,
        name_keys,
        name_key_track,
        ante_by_first: grouped.ante_by_first,
        ante_tail_end: grouped.ante_tail_end,
        ante_tail_items: grouped.ante_tail_items,
        ante_count: grouped.ante_count,
        ante_rule_end: grouped.ante_rule_end,
        rules: grouped.rules,
    })
}

/// The name index: each distinct non-empty normalised name, sorted, with its most popular
/// track (the lowest id), from the interned names and each track's name.
fn name_keys(names: &StrPool, name_of: &[u32]) -> (StrPool, Vec<u32>) {
    let name_key_of: Vec<String> = names.iter().map(normalize_name).collect();
    // Sorted by (key, track id) with `sort_by_text` (fixed-size keys first: a plain sort
    // of (&str, u32) pairs spent most of its time in memcmp at 2M tracks).
    let keyed: Vec<(&str, u32)> = name_of
        .iter()
        .enumerate()
        .map(|(id, &name)| (name_key_of[name as usize].as_str(), id as u32))
        .filter(|(key, _)| !key.is_empty())
        .collect();
    let mut name_keys = PoolBuilder::default();
    let mut name_key_track = Vec::new();
    let mut prev: Option<&str> = None;
    for i in sort_by_text(keyed.len(), |_| 0, |i| keyed[i].0) {
        let (key, id) = keyed[i as usize];
        if prev != Some(key) {
            name_keys.push(key);
            name_key_track.push(id);
            prev = Some(key);
        }
    }
    (name_keys.finish(), name_key_track)
}

/// A rule with its tracks renumbered to canonical ids, its antecedent sorted.
struct Prepared {
    antecedent: Vec<u32>,
    consequent: u32,
    count: u32,
    antecedent_count: u32,
    /// Its position among the rules as added, for errors.
    input: usize,
}

/// Every rule renumbered to canonical track ids (see [`prepare_rule`]), sorted by
/// (antecedent, consequent).
fn prepare_rules(rules: Vec<RuleInput>, order: &[u32]) -> Result<Vec<Prepared>, BuildError> {
    let mut new_id = vec![0u32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_id[old as usize] = new as u32;
    }
    let mut prepared = Vec::with_capacity(rules.len());
    for (i, rule) in rules.into_iter().enumerate() {
        prepared.push(prepare_rule(i, rule, &new_id, order)?);
    }
    prepared.sort_unstable_by(|a, b| {
        a.antecedent
            .cmp(&b.antecedent)
            .then(a.consequent.cmp(&b.consequent))
    });
    Ok(prepared)
}

/// Rule `i` renumbered through `new_id` (index added -> id), its antecedent sorted; its
/// antecedent must be non-empty, its tracks known and distinct.
fn prepare_rule(
    i: usize,
    rule: RuleInput,
    new_id: &[u32],
    order: &[u32],
) -> Result<Prepared, BuildError> {
    let map = |t: u32| {
        new_id
            .get(t as usize)
            .copied()
            .ok_or(BuildError::UnknownTrack {
                rule: i,
                track: t,
                tracks: new_id.len(),
            })
    };
    if rule.antecedent.is_empty() {
        return Err(BuildError::EmptyAntecedent { rule: i });
    }
    let mut antecedent = rule
        .antecedent
        .iter()
        .map(|&t| map(t))
        .collect::<Result<Vec<_>, _>>()?;
    antecedent.sort_unstable();
    if let Some(w) = antecedent.windows(2).find(|w| w[0] == w[1]) {
        return Err(BuildError::RepeatedTrack {
            rule: i,
            track: order[w[0] as usize],
        });
    }
    Ok(Prepared {
        antecedent,
        consequent: map(rule.consequent)?,
        count: rule.count,
        antecedent_count: rule.antecedent_count,
        input: i,
    })
}

/// The antecedent and rule columns (see [`Columns`]).
struct Grouped {
    ante_by_first: Offsets,
    ante_tail_end: Ends,
    ante_tail_items: Vec<u32>,
    ante_count: Vec<u32>,
    ante_rule_end: Ends,
    rules: Vec<RuleRec>,
}

/// Groups the sorted rules by antecedent into the CSR columns and scores each rule
/// ([`rule_scores`]). The rules of one antecedent must have distinct consequents and agree on
/// the antecedent's count; `counts` are the tracks' counts, by id.
fn group_rules(rules: &[Prepared], counts: &[u32], playlists: u32) -> Result<Grouped, BuildError> {
    let n = counts.len();
    let mut ante_by_first = vec![0u32; n + 1];
    let mut ante_tail_end = Vec::new();
    let mut ante_tail_items = Vec::new();
    let mut ante_count = Vec::new();
    let mut ante_rule_end = Vec::new();
    let mut rule_recs = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let new_group = i == 0 || rules[i - 1].antecedent != rule.antecedent;
        if new_group {
            ante_by_first[rule.antecedent[0] as usize + 1] += 1;
            ante_tail_items.extend_from_slice(&rule.antecedent[1..]);
            ante_tail_end.push(ante_tail_items.len() as u32);
            ante_count.push(rule.antecedent_count);
            ante_rule_end.push(0);
        } else {
            let prev = &rules[i - 1];
            if prev.consequent == rule.consequent {
                return Err(BuildError::DuplicateRule {
                    first: prev.input,
                    second: rule.input,
                });
            }
            if prev.antecedent_count != rule.antecedent_count {
                return Err(BuildError::AntecedentCountMismatch {
                    first: prev.input,
                    second: rule.input,
                });
            }
        }
        let y_count = counts[rule.consequent as usize];
        let (confidence, lift) = if rule.antecedent_count == 0 || playlists == 0 {
            (f32::NAN, f32::NAN) // rejected by validation, with the counts named
        } else {
            rule_scores(rule.count, rule.antecedent_count, y_count, playlists)
        };
        rule_recs.push(RuleRec {
            consequent: rule.consequent,
            count: rule.count,
            confidence,
            lift,
        });
        *ante_rule_end.last_mut().expect("a group was opened") = rule_recs.len() as u32;
    }
    for t in 0..n {
        ante_by_first[t + 1] += ante_by_first[t];
    }
    Ok(Grouped {
        ante_by_first: Offsets(ante_by_first),
        ante_tail_end: Ends(ante_tail_end),
        ante_tail_items,
        ante_count,
        ante_rule_end: Ends(ante_rule_end),
        rules: rule_recs,
    })
}

/// The metadata of a model built with `params` (its id is set by [`seal`]).
fn metadata(params: ModelParams) -> Metadata {
    let ModelParams {
        created_at,
        datasets,
        playlists,
        min_support,
        min_count,
        min_confidence,
        max_len,
        miner_version,
        adaptive,
    } = params;
    Metadata {
        format_version: crate::blob::FORMAT_VERSION,
        model_id: String::new(),
        created_at,
        datasets,
        playlists,
        min_support,
        min_count,
        min_confidence,
        max_len,
        miner_version,
        adaptive,
    }
}

/// The finished model: checks every invariant, encodes the blob (once: the model keeps it for
/// [`Model::to_blob`]), names the model by the hash of the blob's body and derives its indexes.
fn seal(meta: Metadata, columns: Columns) -> Result<Model, BuildError> {
    let mut model = Model {
        meta,
        columns,
        uri_index: Default::default(),
        encoded: Encoded::Len(0), // set below, once valid
    };
    crate::validate::validate(&model)?;
    let (blob, id) = crate::blob::encode(&model);
    model.meta.model_id = id;
    model.encoded = Encoded::Kept(blob.into_boxed_slice());
    Ok(model.finish()?)
}

/// Distinct strings sorted ascending, and each input's index among them.
fn intern<'a>(strings: impl Iterator<Item = &'a str>) -> (StrPool, Vec<u32>) {
    let strings: Vec<&str> = strings.collect();
    let order = sort_by_text(strings.len(), |_| 0, |i| strings[i]);
    let mut pool = PoolBuilder::default();
    let mut of = vec![0u32; strings.len()];
    let mut prev: Option<&str> = None;
    for &i in &order {
        let s = strings[i as usize];
        if prev != Some(s) {
            pool.push(s);
            prev = Some(s);
        }
        of[i as usize] = (pool.len() - 1) as u32;
    }
    (pool.finish(), of)
}

/// The indices `0..n` sorted by `(major(i), text(i))`, fast: it sorts fixed-size keys made of
/// `major` and the 8 bytes that follow the prefix shared by every text (URIs all start with
/// `spotify:track:`), and compares whole texts only within runs of equal keys.
fn sort_by_text<'a>(
    n: usize,
    major: impl Fn(usize) -> u64,
    text: impl Fn(usize) -> &'a str,
) -> Vec<u32> {
    let common = (1..n).fold(if n == 0 { 0 } else { text(0).len() }, |lcp, i| {
        let (a, b) = (text(0).as_bytes(), text(i).as_bytes());
        lcp.min(a.iter().zip(b).take_while(|(x, y)| x == y).count())
    });
    let prefix = |i: usize| {
        let bytes = text(i).as_bytes().get(common..).unwrap_or_default();
        let mut buf = [0u8; 8];
        let take = bytes.len().min(8);
        buf[..take].copy_from_slice(&bytes[..take]);
        u64::from_be_bytes(buf)
    };
    let mut keys: Vec<(u64, u64, u32)> = (0..n).map(|i| (major(i), prefix(i), i as u32)).collect();
    keys.sort_unstable();
    let mut start = 0;
    while start < keys.len() {
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| (k.0, k.1) == (keys[start].0, keys[start].1))
                .count();
        if end - start > 1 {
            keys[start..end].sort_unstable_by(|a, b| {
                text(a.2 as usize)
                    .cmp(text(b.2 as usize))
                    .then(a.2.cmp(&b.2))
            });
        }
        start = end;
    }
    keys.into_iter().map(|k| k.2).collect()
}

#[cfg(test)]
mod tests {
    use super::sort_by_text;

    #[test]
    fn sorts_like_a_plain_comparison() {
        let texts = [
            "spotify:track:b",
            "spotify:track:a",
            "spotify:track:",
            "spotify:track:a\0",
            "spotify:track:aaaaaaaaZ",
            "spotify:track:aaaaaaaaA",
            "spotify:track:aaaaaaaa",
            "x",
            "",
            "é",
            "spotify:track:a",
        ];
        for major in [|_: usize| 0u64, |i: usize| (i % 3) as u64] {
            let got: Vec<(u64, &str)> = sort_by_text(texts.len(), major, |i| texts[i])
                .iter()
                .map(|&i| (major(i as usize), texts[i as usize]))
                .collect();
            let mut expected: Vec<(u64, &str)> =
                (0..texts.len()).map(|i| (major(i), texts[i])).collect();
            expected.sort();
            assert_eq!(got, expected);
        }
        assert!(sort_by_text(0, |_| 0, |_| "").is_empty());
    }
}
