//! `POST /api/recommend`: the request, the answer, and how an engine answer becomes one.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A recommendation request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(example = json!({"songs": ["Broken Canción", "Niño"], "k": 5, "strategy": "lift_weighted"})))]
pub struct RecommendRequest {
    /// Seed songs: song names (matched ignoring case, width and spacing; a name several songs
    /// share means the most popular of them) or track URIs (`spotify:track:...`, exact).
    pub songs: Vec<String>,
    /// How many tracks to return (default 10, or the largest `k` allowed if that is less).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integer::optional_usize"
    )]
    #[cfg_attr(feature = "schema", schema(example = 10))]
    pub k: Option<usize>,
    /// How to score candidates (default `adaptive`: the model's rule, fitted by the miner,
    /// picks a strategy by the number of resolved seeds; see `/api/model`'s `adaptive`;
    /// `original` is the original service's ranking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<StrategyName>,
}

/// Scoring strategies: how the rules that fire for a candidate combine into its score
/// (the engine's `Strategy`; `docs/quality.md` compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// The original service's ranking: the best confidence among the rules whose antecedent
    /// is a single seed.
    Original,
    /// The best confidence among all the rules that fire (single seeds and pairs).
    BestConfidence,
    /// The sum of the confidences of every rule that fires.
    Sum,
    /// `1 - Π(1 - confidence)` over the rules that fire.
    NoisyOr,
    /// The sum of `√(confidence × lift)` over the rules that fire: confidence discounted by
    /// the square root of the candidate's popularity.
    LiftWeighted,
    /// The sum of `√(lift × support)` over the rules that fire: the cosine of the
    /// antecedent's and the candidate's playlists.
    Cosine,
    /// The default: the model's adaptive rule (`/api/model`'s `adaptive`) picks one of the
    /// others by the number of distinct resolved seeds; built in: `sum` with at most 25,
    /// `cosine` with more.
    Adaptive,
}

impl StrategyName {
    /// Every strategy, in the engine's order.
    pub const ALL: [StrategyName; 7] = [
        StrategyName::Original,
        StrategyName::BestConfidence,
        StrategyName::Sum,
        StrategyName::NoisyOr,
        StrategyName::LiftWeighted,
        StrategyName::Cosine,
        StrategyName::Adaptive,
    ];
}

impl From<StrategyName> for engine::Strategy {
    fn from(s: StrategyName) -> engine::Strategy {
        match s {
            StrategyName::Original => engine::Strategy::Original,
            StrategyName::BestConfidence => engine::Strategy::BestConfidence,
            StrategyName::Sum => engine::Strategy::Sum,
            StrategyName::NoisyOr => engine::Strategy::NoisyOr,
            StrategyName::LiftWeighted => engine::Strategy::LiftWeighted,
            StrategyName::Cosine => engine::Strategy::Cosine,
            StrategyName::Adaptive => engine::Strategy::Adaptive,
        }
    }
}

impl From<engine::Strategy> for StrategyName {
    /// The API's name of an engine strategy (every engine strategy has one: a unit test
    /// checks both lists).
    fn from(s: engine::Strategy) -> StrategyName {
        StrategyName::ALL
            .into_iter()
            .find(|n| engine::Strategy::from(*n) == s)
            .unwrap_or_default()
    }
}

impl Default for StrategyName {
    fn default() -> Self {
        engine::Strategy::default().into()
    }
}

/// A recommendation, from the server or from the browser's engine in exactly the same shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RecommendResponse<'m> {
    /// Names of the recommended tracks, best first (the original service's field).
    #[cfg_attr(feature = "schema", schema(example = json!(["Heart", "Sorry"])))]
    pub songs: Vec<Cow<'m, str>>,
    /// The recommended tracks, best first.
    pub tracks: Vec<RecommendedTrack<'m>>,
    /// Seeds that matched a track.
    pub resolved: Vec<ResolvedSeed<'m>>,
    /// Seeds that matched nothing, as given.
    pub unknown: Vec<String>,
    /// Id of the model that answered.
    #[cfg_attr(
        feature = "schema",
        schema(example = "39d4bc2f04cee5fd5047d1b2fd631897")
    )]
    pub version: Cow<'m, str>,
    /// When that model was mined (RFC 3339).
    #[cfg_attr(feature = "schema", schema(example = "2026-11-28T14:29:25Z"))]
    pub model_date: Cow<'m, str>,
}

/// One recommended track. Scores are the engine's `f32`: JSON carries the shortest decimal
/// that reads back as the same `f32`, so a client compares them exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RecommendedTrack<'m> {
    /// Track URI.
    pub uri: Cow<'m, str>,
    /// Song name.
    pub name: Cow<'m, str>,
    /// Artist.
    pub artist: Cow<'m, str>,
    /// Ranking score: the strategy's combination of the rules that fired (for
    /// `best_confidence`, the best rule's confidence); 0 for popularity picks.
    pub score: f32,
    /// Confidence of the best rule that recommends it; for popularity picks, the share of
    /// the model's playlists that contain the track.
    pub confidence: f32,
    /// Lift of that rule; 1 for popularity picks.
    pub lift: f32,
    /// Playlists containing that rule's tracks (for popularity picks: the track's playlists).
    pub support: u32,
    /// `rule` when a rule recommends it, `popular` when it fills the list by popularity.
    pub source: SourceName,
    /// The seeds (URIs) of the rule that recommends it; empty for popularity picks.
    pub because: Vec<Cow<'m, str>>,
}

/// Where a recommendation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    /// An association rule fired for it.
    Rule,
    /// A popular track filling the list when rules gave fewer than `k`.
    Popular,
}

impl From<engine::Source> for SourceName {
    fn from(source: engine::Source) -> SourceName {
        match source {
            engine::Source::Rule => SourceName::Rule,
            engine::Source::Popular => SourceName::Popular,
        }
    }
}

/// A seed that matched a track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ResolvedSeed<'m> {
    /// The seed as given.
    pub input: String,
    /// The track it matched.
    pub uri: Cow<'m, str>,
    /// Its name.
    pub name: Cow<'m, str>,
    /// Its artist.
    pub artist: Cow<'m, str>,
}

impl<'m> RecommendResponse<'m> {
    /// The answer to a request, from the engine's `answer` on `model`: borrows every string
    /// from the model, copies nothing.
    pub fn new(answer: engine::Recommendation<'m>, model: &'m engine::Model) -> Self {
        RecommendResponse {
            songs: answer
                .tracks
                .iter()
                .map(|t| Cow::Borrowed(t.name))
                .collect(),
            tracks: answer
                .tracks
                .into_iter()
                .map(|t| RecommendedTrack {
                    uri: Cow::Borrowed(t.uri),
                    name: Cow::Borrowed(t.name),
                    artist: Cow::Borrowed(t.artist),
                    score: t.score,
                    confidence: t.confidence,
                    lift: t.lift,
                    support: t.support,
                    source: t.source.into(),
                    because: t.because.into_iter().map(Cow::Borrowed).collect(),
                })
                .collect(),
            resolved: answer
                .resolved
                .into_iter()
                .map(|s| ResolvedSeed {
                    input: s.input,
                    uri: Cow::Borrowed(s.uri),
                    name: Cow::Borrowed(s.name),
                    artist: Cow::Borrowed(s.artist),
                })
                .collect(),
            unknown: answer.unknown,
            version: Cow::Borrowed(model.id()),
            model_date: Cow::Borrowed(&model.metadata().created_at),
        }
    }
}

impl RecommendResponse<'_> {
    /// The same answer owning its strings, to keep after the model it borrows from is gone.
    pub fn into_owned(self) -> RecommendResponse<'static> {
        fn own(s: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(s.into_owned())
        }
        RecommendResponse {
            songs: self.songs.into_iter().map(own).collect(),
            tracks: self
                .tracks
                .into_iter()
                .map(|t| RecommendedTrack {
                    uri: own(t.uri),
                    name: own(t.name),
                    artist: own(t.artist),
                    score: t.score,
                    confidence: t.confidence,
                    lift: t.lift,
                    support: t.support,
                    source: t.source,
                    because: t.because.into_iter().map(own).collect(),
                })
                .collect(),
            resolved: self
                .resolved
                .into_iter()
                .map(|s| ResolvedSeed {
                    input: s.input,
                    uri: own(s.uri),
                    name: own(s.name),
                    artist: own(s.artist),
                })
                .collect(),
            unknown: self.unknown,
            version: own(self.version),
            model_date: own(self.model_date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_strategy_has_its_api_name() {
        assert_eq!(StrategyName::ALL.len(), engine::Strategy::ALL.len());
        for (name, strategy) in StrategyName::ALL.into_iter().zip(engine::Strategy::ALL) {
            assert_eq!(engine::Strategy::from(name), strategy);
            assert_eq!(StrategyName::from(strategy), name);
            assert_eq!(
                serde_json::to_value(name).unwrap(),
                serde_json::to_value(strategy).unwrap(),
                "the JSON names agree"
            );
        }
        assert_eq!(
            engine::Strategy::from(StrategyName::default()),
            engine::Strategy::default()
        );
    }
}
