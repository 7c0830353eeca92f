//! `GET /api/model`: the model being served.

use serde::{Deserialize, Serialize};

use crate::recommend::StrategyName;

/// The model being served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ModelInfo {
    /// Model id (content hash).
    #[cfg_attr(
        feature = "schema",
        schema(example = "39d4bc2f04cee5fd5047d1b2fd631897")
    )]
    pub version: String,
    /// When it was mined (RFC 3339).
    pub model_date: String,
    /// When this server loaded it (RFC 3339).
    pub loaded_at: String,
    /// Seconds reading, validating and indexing took.
    pub load_seconds: f64,
    /// Datasets it was mined from.
    pub datasets: Vec<String>,
    /// Playlists mined.
    pub playlists: u32,
    /// Tracks in the catalog.
    pub tracks: usize,
    /// Rules.
    pub rules: usize,
    /// Distinct rule antecedents.
    pub antecedents: usize,
    /// Minimum support (fraction of playlists).
    pub min_support: f64,
    /// Minimum support (playlists).
    pub min_count: u32,
    /// Minimum confidence.
    pub min_confidence: f64,
    /// Largest itemset mined.
    pub max_len: u32,
    /// Miner version.
    pub miner_version: String,
    /// Blob format version.
    pub format_version: u32,
    /// How the default strategy, `adaptive`, picks a strategy on this model.
    pub adaptive: AdaptiveInfo,
    /// Blob size in bytes.
    pub blob_bytes: usize,
    /// Models this server has loaded since it started.
    pub reloads: u64,
    /// Published blobs it rejected since it started.
    pub reload_failures: u64,
}

/// The model's adaptive rule: `adaptive` scores as `few` with at most `max_few_seeds`
/// distinct resolved seeds and as `many` with more (fitted by the miner on a validation part
/// of the model's own playlists, or given; the built-in rule is `sum`/25/`cosine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AdaptiveInfo {
    /// The strategy with few seeds.
    pub few: StrategyName,
    /// The most distinct resolved seeds scored with `few`.
    pub max_few_seeds: u32,
    /// The strategy with more seeds.
    pub many: StrategyName,
}

impl From<engine::AdaptiveRule> for AdaptiveInfo {
    fn from(rule: engine::AdaptiveRule) -> AdaptiveInfo {
        AdaptiveInfo {
            few: rule.few.into(),
            max_few_seeds: rule.max_few_seeds,
            many: rule.many.into(),
        }
    }
}
