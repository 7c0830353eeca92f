//! Segue's HTTP API contract, in one place: the JSON shapes of every request and answer,
//! the routes' paths, and the limits a request must respect.
//!
//! The server serializes these types (and, with the `schema` feature, documents them in its
//! OpenAPI document), the web page deserializes the same types, and the tests check both
//! against them, so the three cannot drift apart. Answers borrow from the model where the
//! server builds them ([`Cow::Borrowed`](std::borrow::Cow)) and own their strings where a
//! client reads them.
//!
//! ```
//! let limits = api::Limits::default();
//! let request = api::RecommendRequest { songs: vec!["Heart".into()], k: Some(5), strategy: None };
//! let options = request.validate(&limits).unwrap();
//! assert_eq!(options.k, 5);
//! ```

#![deny(missing_docs)]

mod error;
mod integer;
mod limits;
mod model;
pub mod paths;
mod recommend;
mod status;
mod tracks;

pub use error::{ErrorBody, ErrorDetail};
pub use limits::{Invalid, Limits};
pub use model::{AdaptiveInfo, ModelInfo};
pub use recommend::{
    RecommendRequest, RecommendResponse, RecommendedTrack, ResolvedSeed, SourceName, StrategyName,
};
pub use status::Status;
pub use tracks::{DEFAULT_LIMIT, MAX_TRACKS, TrackInfo, TrackList, TracksForm, TracksQuery};
