//! The one error shape of every 4xx and 5xx answer.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The error document: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ErrorBody<'a> {
    /// The error.
    pub error: ErrorDetail<'a>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ErrorDetail<'a> {
    /// Machine-readable reason: `empty_songs`, `too_many_songs`, `song_too_long`, `invalid_k`,
    /// `invalid_query`, `malformed_json`, `invalid_json`, `body_too_large`,
    /// `headers_too_large`, `unsupported_media_type`, `not_found`, `method_not_allowed`,
    /// `no_model`, `shutting_down`, `overloaded`, `timeout`, `internal`.
    #[cfg_attr(feature = "schema", schema(example = "empty_songs"))]
    pub code: Cow<'a, str>,
    /// What is wrong, for people.
    #[cfg_attr(
        feature = "schema",
        schema(example = "`songs` is empty: give at least one song name or track URI")
    )]
    pub message: Cow<'a, str>,
}
