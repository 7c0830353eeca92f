//! The handlers, one module per resource, and what they share.

pub mod model;
pub mod ops;
pub mod recommend;
pub mod tracks;

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::{AppState, Loaded};

/// The model being served, or 503 `no_model`.
fn current(state: &AppState) -> Result<Arc<Loaded>, ApiError> {
    state.model.load_full().ok_or(ApiError::NoModel)
}

/// Serializes `value` into one buffer sized for a typical answer (a recommendation of ten
/// tracks is 2-4 KB), rather than growing one from a few bytes.
fn json_response(value: &impl Serialize) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(4096);
    serde_json::to_writer(&mut body, value).map_err(|e| {
        tracing::error!(error = %e, "cannot serialize a response");
        ApiError::Internal
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}
