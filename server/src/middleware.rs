//! The layers every request passes: request ids, the tracing span, metrics, and the
//! answers for what the router and the limits refuse.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::BoxError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::error::ApiError;
use crate::metrics;
use crate::router::route_label;
use crate::state::AppState;

/// CORS for `origins` (`*` for any); `None` when the list is empty.
pub(crate) fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([axum::http::header::CONTENT_TYPE]),
    )
}

/// 404 in the API's shape.
pub(crate) async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!("no route for {}", request.uri().path()))
}

/// 405 in the API's shape.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The size of a request's head as it arrived, measured before any layer adds a header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadSize(usize);

/// Measures the head (the outermost layer; a plain function, so no allocation per request).
pub(crate) fn measure_head(mut request: Request) -> Request {
    let size = head_size(&request);
    request.extensions_mut().insert(HeadSize(size));
    request
}

/// Refuses a request whose head is over the limit (a `tower` filter inside the error
/// handler, which turns the refusal into a 431 in the API's shape: request ids, tracing and
/// metrics see it like any other answer). Hyper refuses heads over twice the limit before
/// any of this runs (`connections`), with a bare 431.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeadLimit(pub(crate) usize);

/// A head over the limit.
#[derive(Debug, thiserror::Error)]
#[error("the request line and headers take {size} bytes; at most {limit} are allowed")]
pub(crate) struct HeadTooLarge {
    size: usize,
    limit: usize,
}

impl tower::filter::Predicate<Request> for HeadLimit {
    type Request = Request;

    fn check(&mut self, request: Request) -> Result<Request, BoxError> {
        let size = request
            .extensions()
            .get::<HeadSize>()
            .map_or_else(|| head_size(&request), |s| s.0);
        if size > self.0 {
            return Err(HeadTooLarge {
                size,
                limit: self.0,
            }
            .into());
        }
        Ok(request)
    }
}

/// The bytes of a request's head as it came: `METHOD TARGET HTTP/1.1`, each `name: value`
/// line and the blank line, each with its CRLF (whitespace around values aside).
fn head_size(request: &Request) -> usize {
    let uri = request.uri();
    let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len());
    let line = request.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": ".len() + value.len() + "\r\n".len())
        .sum();
    line + headers + "\r\n".len()
}

/// What the head limit, load shedding and the timeout turn into.
pub(crate) async fn overloaded(error: BoxError) -> ApiError {
    if let Some(too_large) = error.downcast_ref::<HeadTooLarge>() {
        ApiError::HeadersTooLarge(too_large.to_string())
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::Overloaded
    } else if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::Timeout
    } else {
        tracing::error!(%error, "middleware failed");
        ApiError::Internal
    }
}

/// Request ids `1`, `2`, ... per process (cheaper than UUIDs; unique enough for one log).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sequential(std::sync::Arc<AtomicU64>);

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&n.to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// The request's span: method, matched route and request id.
pub(crate) fn span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, id)
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Counts every request and its latency by route, method and status.
pub(crate) async fn record(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_label(request.extensions().get::<MatchedPath>());
    let method = method_label(request.method());
    let m = &state.metrics;
    m.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    m.in_flight.dec();
    m.requests
        .get_or_create(&metrics::RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    m.latency
        .get_or_create(&metrics::RouteLabels { route, method })
        .observe(elapsed);
    response.into_response()
}
