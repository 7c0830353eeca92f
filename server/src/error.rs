//! One error shape for every 4xx and 5xx: `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

use api::{ErrorBody, ErrorDetail};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is well-formed JSON but asks for something invalid.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable reason, e.g. `empty_songs`.
        code: &'static str,
        /// What is wrong, for people.
        message: String,
    },
    /// The body is not JSON.
    #[error("{0}")]
    MalformedJson(String),
    /// The body is JSON of the wrong shape (missing fields, wrong types).
    #[error("{0}")]
    InvalidJson(String),
    /// The body is larger than the limit.
    #[error("{0}")]
    BodyTooLarge(String),
    /// The request line and headers are larger than the limit.
    #[error("{0}")]
    HeadersTooLarge(String),
    /// The body is not declared as JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No such route or file.
    #[error("{0}")]
    NotFound(String),
    /// The route exists, the method does not.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// No model has been published and loaded yet.
    #[error("no model has been published yet; try again shortly")]
    NoModel,
    /// The server is shutting down (readiness only).
    #[error("the server is shutting down")]
    ShuttingDown,
    /// Too many requests at once; shed rather than queued.
    #[error("the server is at capacity; try again shortly")]
    Overloaded,
    /// The request took longer than the configured timeout.
    #[error("the request took too long")]
    Timeout,
    /// A bug or an unexpected failure; the details are logged, not returned.
    #[error("internal error")]
    Internal,
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "2";

impl ApiError {
    /// A 400 with a reason code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// Status and code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            ApiError::InvalidJson(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
            ApiError::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::HeadersTooLarge(_) => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
            ),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::NoModel => (StatusCode::SERVICE_UNAVAILABLE, "no_model"),
            ApiError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() && !matches!(self, ApiError::NoModel | ApiError::ShuttingDown) {
            tracing::warn!(%status, code, "request failed: {self}");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: Cow::Borrowed(code),
                message: Cow::Owned(self.to_string()),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

impl From<api::Invalid> for ApiError {
    fn from(invalid: api::Invalid) -> ApiError {
        ApiError::BadRequest {
            code: invalid.code,
            message: invalid.message,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let message = rejection.body_text();
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge(message),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(format!(
                "{message}; send the body as JSON with `Content-Type: application/json`"
            )),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::InvalidJson(message),
            _ => ApiError::MalformedJson(message),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

/// `axum::Json`, with its rejections in the API's error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query`, with its rejections in the API's error shape.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
