//! `GET /api/tracks`: a sample of popular tracks, or a search.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Most tracks `sample` or `limit` may ask for.
pub const MAX_TRACKS: usize = 100;

/// Search results when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;

/// What `/api/tracks` is asked, in one of two forms: `sample` (with `seed`), or `q` (with
/// `limit`). [`TracksQuery::form`] tells which, or why neither.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "schema", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct TracksQuery {
    /// A sample of this many popular tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<usize>,
    /// Seed of the sample: the same seed gives the same sample of the same model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Search text: every word must occur in the song or artist name (case and accents
    /// ignored); the most popular matches first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Most search results (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// The two things `/api/tracks` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TracksForm<'a> {
    /// `sample=N[&seed=S]`: N popular tracks.
    Sample {
        /// How many, within `1..=MAX_TRACKS`.
        n: usize,
        /// The seed, if the client chose one.
        seed: Option<u64>,
    },
    /// `q=TEXT[&limit=N]`: a search.
    Search {
        /// The search text.
        q: &'a str,
        /// Most results, within `1..=MAX_TRACKS`.
        limit: usize,
    },
}

impl TracksQuery {
    /// Which form the query has, with its counts checked; an `invalid_query` otherwise.
    pub fn form(&self) -> Result<TracksForm<'_>, Invalid> {
        let count = |n: usize, name: &str| match n {
            1..=MAX_TRACKS => Ok(n),
            n => Err(Invalid::query(format!(
                "`{name}` is {n}; it must be between 1 and {MAX_TRACKS}"
            ))),
        };
        match self {
            TracksQuery {
                sample: Some(n),
                seed,
                q: None,
                limit: None,
            } => Ok(TracksForm::Sample {
                n: count(*n, "sample")?,
                seed: *seed,
            }),
            TracksQuery {
                sample: None,
                seed: None,
                q: Some(q),
                limit,
            } => Ok(TracksForm::Search {
                q,
                limit: count(limit.unwrap_or(DEFAULT_LIMIT), "limit")?,
            }),
            TracksQuery {
                sample: Some(_),
                q: Some(_),
                ..
            }
            | TracksQuery {
                sample: None,
                q: None,
                ..
            } => Err(Invalid::query(
                "give either `sample=N` (popular tracks) or `q=TEXT` (search)",
            )),
            TracksQuery {
                sample: Some(_), ..
            } => Err(Invalid::query(
                "`limit` goes with `q`; a sample takes `sample` and `seed`",
            )),
            TracksQuery { .. } => Err(Invalid::query(
                "`seed` goes with `sample`; a search takes `q` and `limit`",
            )),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, expect: Result<TracksForm<'_>, &str>) {
        let parsed: Result<TracksQuery, _> = serde_json::from_str(query);
        let got = match &parsed {
            Ok(q) => q.form().map_err(|e| e.message),
            Err(e) => Err(e.to_string()),
        };
        match (got, expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{query}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{query}: {got}"),
            (got, want) => panic!("{query}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn exactly_one_form() {
        check(
            r#"{"sample": 3}"#,
            Ok(TracksForm::Sample { n: 3, seed: None }),
        );
        check(
            r#"{"sample": 3, "seed": 9}"#,
            Ok(TracksForm::Sample {
                n: 3,
                seed: Some(9),
            }),
        );
        check(
            r#"{"q": "x"}"#,
            Ok(TracksForm::Search { q: "x", limit: 10 }),
        );
        check(
            r#"{"q": "", "limit": 100}"#,
            Ok(TracksForm::Search { q: "", limit: 100 }),
        );
        check(r#"{}"#, Err("give either"));
        check(r#"{"seed": 1}"#, Err("give either"));
        check(r#"{"sample": 1, "q": ""}"#, Err("give either"));
        check(r#"{"sample": 1, "limit": 5}"#, Err("`limit` goes with `q`"));
        check(r#"{"q": "x", "seed": 5}"#, Err("`seed` goes with `sample`"));
        check(r#"{"sample": 0}"#, Err("`sample` is 0"));
        check(r#"{"sample": 101}"#, Err("`sample` is 101"));
        check(r#"{"q": "x", "limit": 0}"#, Err("`limit` is 0"));
        check(r#"{"sample": 1, "page": 2}"#, Err("unknown field `page`"));
    }
}
