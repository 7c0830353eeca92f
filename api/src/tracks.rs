//! `GET /api/tracks`: a sample of popular tracks, or a search.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Most tracks `sample` or `limit` may ask for.
pub const MAX_TRACKS: usize = 100;

/// Search results when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;

/// What `/api/tracks` is asked: exactly one of `sample` and `q`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "schema", into_params(parameter_in = Query))]
pub struct TracksQuery {
    /// A sample of this many popular tracks. Give either `sample` or `q`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<usize>,
    /// Seed of the sample: the same seed gives the same sample of the same model (only with
    /// `sample`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Search text: every word must occur in the song or artist name (case and accents
    /// ignored); the most popular matches first. Give either `q` or `sample`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Most search results (default 10; only with `q`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// Tracks, for pickers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TrackList<'m> {
    /// The sample's seed (for `sample`), to ask for the same sample again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The tracks, most popular first.
    pub tracks: Vec<TrackInfo<'m>>,
}

/// A catalog track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TrackInfo<'m> {
    /// Track URI.
    pub uri: Cow<'m, str>,
    /// Song name.
    pub name: Cow<'m, str>,
    /// Artist.
    pub artist: Cow<'m, str>,
    /// Album.
    pub album: Cow<'m, str>,
    /// Playlists that contain it.
    pub playlists: u32,
}

impl<'m> TrackInfo<'m> {
    /// Track `id` of `model`, borrowing its strings.
    pub fn new(model: &'m engine::Model, id: engine::TrackId) -> Self {
        let t = model.track(id);
        TrackInfo {
            uri: Cow::Borrowed(t.uri),
            name: Cow::Borrowed(t.name),
            artist: Cow::Borrowed(t.artist),
            album: Cow::Borrowed(t.album),
            playlists: t.count,
        }
    }
}
