//! `GET /api/model` and `GET /api/model/blob`.

use api::{ErrorBody, ModelInfo};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::current;
use crate::error::ApiError;
use crate::state::AppState;

/// Metadata and statistics of the model being served.
#[utoipa::path(
    get,
    path = "/api/model",
    tag = "model",
    responses(
        (status = 200, description = "The model", body = ModelInfo),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn model(State(state): State<AppState>) -> Result<Json<ModelInfo>, ApiError> {
    let loaded = current(&state)?;
    let m = &loaded.model;
    let meta = m.metadata();
    let reloads = state.reload_counts();
    Ok(Json(ModelInfo {
        version: m.id().to_owned(),
        model_date: meta.created_at.clone(),
        loaded_at: humantime::format_rfc3339_seconds(loaded.loaded_at).to_string(),
        load_seconds: loaded.load_seconds,
        datasets: meta.datasets.clone(),
        playlists: meta.playlists,
        tracks: m.track_count(),
        rules: m.rule_count(),
        antecedents: m.antecedent_count(),
        min_support: meta.min_support,
        min_count: meta.min_count,
        min_confidence: meta.min_confidence,
        max_len: meta.max_len,
        miner_version: meta.miner_version.clone(),
        format_version: meta.format_version,
        adaptive: meta.adaptive.into(),
        blob_bytes: loaded.blob.len(),
        reloads: reloads.loaded,
        reload_failures: reloads.rejected,
    }))
}

/// The model's blob, for clients that rank on their own (the web page's wasm engine).
#[utoipa::path(
    get,
    path = "/api/model/blob",
    tag = "model",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The blob; `ETag` is the quoted model id", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client's copy is current"),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn model_blob(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let loaded = current(&state)?;
    let etag = format!("\"{}\"", loaded.model.id());
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ApiError::Internal)?;
    // The URL's content changes with each new model: clients must revalidate every time.
    let cache = HeaderValue::from_static("no-cache");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        loaded.blob.clone(),
    )
        .into_response())
}
