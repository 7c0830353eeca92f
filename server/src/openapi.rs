//! The OpenAPI document: derived from the handlers and the `api` crate's types, then given
//! the bounds the server enforces, from the same configured [`Limits`] the handlers check.

use api::{Limits, MAX_TRACKS};
use utoipa::OpenApi as _;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

use crate::routes::{model, ops, recommend, tracks};

/// The handlers and schemas, before the configured bounds are applied.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Segue",
        description = "Playlist continuation: give a few songs, get the songs that most often go with them in real playlists, each with the rule that explains it."
    ),
    paths(
        recommend::recommend,
        model::model,
        model::model_blob,
        tracks::tracks,
        ops::healthz,
        ops::readyz,
        ops::metrics
    ),
    tags(
        (name = "recommend", description = "Recommendations"),
        (name = "model", description = "The model being served"),
        (name = "tracks", description = "The catalog, for pickers"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

/// The OpenAPI document of a server that enforces `limits`.
pub fn document(limits: &Limits) -> OpenApi {
    let mut doc = ApiDoc::openapi();
    if let Some(components) = doc.components.as_mut()
        && let Some(RefOr::T(Schema::Object(request))) =
            components.schemas.get_mut("RecommendRequest")
    {
        if let Some(RefOr::T(Schema::Array(songs))) = request.properties.get_mut("songs") {
            songs.min_items = Some(1);
            songs.max_items = Some(limits.max_songs);
            if let ArrayItems::RefOrSchema(item) = &mut songs.items
                && let RefOr::T(Schema::Object(song)) = item.as_mut()
            {
                song.min_length = None;
                song.max_length = Some(limits.max_song_bytes);
                song.description =
                    Some("A song name or a track URI, at most `maxLength` bytes of UTF-8.".into());
            }
        }
        if let Some(RefOr::T(Schema::Object(k))) = request.properties.get_mut("k") {
            k.minimum = Some(1.into());
            k.maximum = Some(limits.max_k.into());
        }
    }
    if let Some(get) = doc
        .paths
        .paths
        .get_mut(api::paths::TRACKS)
        .and_then(|item| item.get.as_mut())
    {
        get.description = Some(
            "Exactly one of `sample` (popular tracks) and `q` (search) must be given, \
             else the answer is 400 `invalid_query`. `seed` applies to `sample` and `limit` \
             to `q`; each is ignored with the other."
                .into(),
        );
        for parameter in get.parameters.iter_mut().flatten() {
            if !matches!(parameter.name.as_str(), "sample" | "limit") {
                continue;
            }
            if let Some(RefOr::T(Schema::Object(count))) = parameter.schema.as_mut() {
                count.minimum = Some(1.into());
                count.maximum = Some(MAX_TRACKS.into());
            }
        }
    }
    doc
}
