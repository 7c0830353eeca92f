//! Segue's engine: the rule-blob format and the ranking.
//!
//! The miner builds a [`Model`] with [`ModelBuilder`] and publishes [`Model::to_blob`]; the
//! server and the browser load it with [`Model::from_blob`] and answer requests with
//! [`recommend`]. The engine does no I/O and reads no clock, so the same blob and the same
//! seeds give the same answer natively and in WebAssembly. [`SplitMix64`], the workspace's
//! one seeded generator (for generated data and tests), lives here too: deterministic, it
//! draws no entropy.
//!
//! ```
//! use engine::{AdaptiveRule, Model, ModelBuilder, ModelParams, Options, RuleInput, Source, TrackInput, recommend};
//!
//! let mut b = ModelBuilder::new(ModelParams {
//!     created_at: "2026-01-01T00:00:00Z".into(),
//!     datasets: vec!["example".into()],
//!     playlists: 10,
//!     min_support: 0.2,
//!     min_count: 2,
//!     min_confidence: 0.1,
//!     max_len: 3,
//!     miner_version: "doc".into(),
//!     adaptive: AdaptiveRule::BUILT_IN,
//! });
//! let mut track = |uri: &str, name: &str, count| {
//!     b.add_track(TrackInput {
//!         uri: uri.into(), name: name.into(), artist: "Artist".into(), album: "Album".into(), count,
//!     })
//! };
//! let humble = track("spotify:track:humble", "HUMBLE.", 6);
//! let dna = track("spotify:track:dna", "DNA.", 4);
//! let closer = track("spotify:track:closer", "Closer", 3);
//! b.add_rule(RuleInput { antecedent: vec![humble], consequent: dna, count: 4, antecedent_count: 6 });
//! let blob = b.build().unwrap().to_blob();
//!
//! let model = Model::from_blob(&blob).unwrap();
//! let answer = recommend(&model, &["humble.", "No Such Song"], &Options { k: 2, ..Options::default() });
//! assert_eq!(answer.resolved[0].uri, "spotify:track:humble");
//! assert_eq!(answer.unknown, ["No Such Song"]);
//! assert_eq!(answer.tracks[0].name, "DNA.");
//! assert_eq!(answer.tracks[0].because, ["spotify:track:humble"]);
//! assert_eq!(answer.tracks[1].source, Source::Popular); // filled with the most popular other track
//! # let _ = closer;
//! ```
#![deny(missing_docs)]

mod blob;
mod builder;
mod columns;
mod error;
mod index;
mod model;
mod normalize;
mod rank;
mod rng;
mod validate;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use blob::{BlobHead, FORMAT_VERSION, HEAD_GUESS, HEADER_LEN, Head, MAGIC, read_head};
pub use builder::{ModelBuilder, ModelParams, RuleInput, TrackInput};
pub use error::{BuildError, DecodeError, InvalidModel};
pub use model::{
    Antecedent, MemoryUsage, Metadata, Model, Rule, Track, TrackId, meets_min_confidence,
    rule_scores,
};
pub use normalize::normalize_name;
pub use rank::{
    AdaptiveRule, DEFAULT_K, Options, Recommendation, Recommended, ResolvedSeed, Source, Strategy,
    recommend,
};
pub use rng::SplitMix64;
pub use validate::is_rfc3339_utc;
