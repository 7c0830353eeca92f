//! `POST /api/recommend`.

use api::{ErrorBody, RecommendRequest, RecommendResponse};
use axum::extract::State;
use axum::response::Response;

use super::{current, json_response};
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

/// Recommend tracks that go with the given songs.
#[utoipa::path(
    post,
    path = "/api/recommend",
    tag = "recommend",
    request_body(
        content = RecommendRequest,
        examples(
            ("known songs" = (summary = "Songs in the demo model", value = json!({"songs": ["Broken Canción", "Niño"], "k": 5}))),
            ("unknown songs" = (summary = "Nothing matches: popular tracks fill the answer", value = json!({"songs": ["No Such Song Anywhere"]}))),
            ("mixed" = (summary = "A name, a URI and an unknown song", value = json!({"songs": ["Broken Canción", "spotify:track:does-not-exist", "Heart"], "k": 10}))),
        )
    ),
    responses(
        (status = 200, description = "Ranked tracks", body = RecommendResponse),
        (status = 400, description = "Empty or too many songs, a song too long, a bad k, or malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over the size limit", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = ErrorBody),
        (status = 503, description = "No model yet, or at capacity (see Retry-After)", body = ErrorBody),
    )
)]
pub async fn recommend(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RecommendRequest>,
) -> Result<Response, ApiError> {
    let options = request.validate(&state.limits)?;
    let loaded = current(&state)?;
    let answer = engine::recommend(&loaded.model, &request.songs, &options);
    json_response(&RecommendResponse::new(answer, &loaded.model))
}
