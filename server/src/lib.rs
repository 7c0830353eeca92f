//! Segue's recommendation server: the HTTP API over the current model, hot reload of the
//! models the miner publishes, and the web page.
//!
//! [`app`] builds the whole router from a [`state::Shared`]; [`reload::Reloader`] keeps the
//! state's model current; [`serve`] runs both until SIGTERM or SIGINT and drains.

pub mod api;
pub mod config;
pub mod error;
pub mod metrics;
pub mod reload;
pub mod search;
pub mod state;
mod web;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use config::{Config, Limits};
pub use error::ApiError;
pub use state::{AppState, Loaded, Shared};

/// What the router needs besides the shared state.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Directory of the built web page.
    pub web_dir: PathBuf,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Requests served at once before shedding.
    pub max_concurrency: usize,
    /// Origins allowed by CORS (empty: CORS off).
    pub cors_origins: Vec<String>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            web_dir: PathBuf::from("dist"),
            request_timeout: Duration::from_secs(10),
            max_concurrency: 512,
            cors_origins: Vec::new(),
        }
    }
}

impl From<&Config> for AppOptions {
    fn from(c: &Config) -> Self {
        AppOptions {
            web_dir: c.web_dir.clone(),
            request_timeout: c.request_timeout,
            max_concurrency: c.max_concurrency,
            cors_origins: c.cors_origins.clone(),
        }
    }
}

/// The route templates, as metric labels.
const ROUTES: &[&str] = &[
    "/api/recommend",
    "/api/recommend/",
    "/api/model",
    "/api/model/blob",
    "/api/tracks",
    "/api/{*rest}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/{*rest}",
];

/// The whole service: API, operations endpoints, OpenAPI + Swagger UI, the web page, and the
/// middleware (request ids, tracing, metrics, timeout, load shedding, compression, CORS).
pub fn app(state: AppState, options: &AppOptions) -> Router {
    let api = Router::new()
        .route("/recommend", post(api::recommend))
        .route("/recommend/", post(api::recommend))
        .route("/model", get(api::model))
        .route("/model/blob", get(api::model_blob))
        .route("/tracks", get(api::tracks))
        .route("/{*rest}", axum::routing::any(not_found))
        .fallback(not_found);
    let router = Router::new()
        .nest("/api", api)
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api::ApiDoc::openapi()))
        .fallback_service(web::service(&options.web_dir))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(Sequential::default()))
                .layer(TraceLayer::new_for_http().make_span_with(span))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(state.clone(), record))
                .layer(axum::error_handling::HandleErrorLayer::new(overloaded))
                .timeout(options.request_timeout)
                .load_shed()
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    options.max_concurrency,
                )),
        )
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                // A large blob would cost more CPU to compress per request than it saves.
                |_: axum::http::StatusCode,
                 _: axum::http::Version,
                 headers: &axum::http::HeaderMap,
                 _: &axum::http::Extensions| {
                    headers
                        .get(axum::http::header::CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                        .is_none_or(|len| len <= 32 << 20)
                },
            )),
        )
        .with_state(state);
    match cors(&options.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
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

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!("no route for {}", request.uri().path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn overloaded(error: BoxError) -> ApiError {
    if error.is::<tower::load_shed::error::Overloaded>() {
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
struct Sequential(std::sync::Arc<AtomicU64>);

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&n.to_string())
            .ok()
            .map(RequestId::new)
    }
}

fn span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
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

fn route_label(matched: Option<&MatchedPath>) -> &'static str {
    matched.map_or("static", |m| {
        ROUTES
            .iter()
            .find(|r| **r == m.as_str())
            .copied()
            .unwrap_or("other")
    })
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
async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
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

/// Runs the server until SIGTERM or SIGINT: binds, starts the reloader, serves, then stops
/// accepting, marks itself not ready and lets in-flight requests finish for up to the
/// configured drain time.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let state = Shared::new(config.limits);
    let options = AppOptions::from(&config);
    if !options.web_dir.join("index.html").is_file() {
        tracing::warn!(
            web_dir = %options.web_dir.display(),
            "no index.html in the web directory: `/` will answer 404 (build the page with trunk)"
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        model_dir = %config.model_dir.display(),
        poll_interval = ?config.poll_interval,
        "serving"
    );
    let reloader = reload::Reloader::new(config.model_dir.clone(), state.clone());
    let reloading = tokio::spawn(reloader.run(config.poll_interval, config.fs_events));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let draining = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        draining.draining.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(true);
    };
    let server = axum::serve(listener, app(state, &options)).with_graceful_shutdown(shutdown);
    let mut stopping = stop_rx.clone();
    let drain_limit = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
        tokio::time::sleep(config.shutdown_timeout).await;
    };
    tokio::select! {
        result = server => result.context("server failed")?,
        () = drain_limit => {
            tracing::warn!(
                timeout = ?config.shutdown_timeout,
                "requests still in flight at the end of the drain time; exiting anyway"
            );
        }
    }
    reloading.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: draining"),
        () = terminate => tracing::info!("SIGTERM: draining"),
    }
}
