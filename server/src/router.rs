//! The route table, and the router built from it: the API, the operations endpoints, the
//! OpenAPI document with Swagger UI, the web page, and the middleware around them all.

use std::path::PathBuf;
use std::time::Duration;

use api::paths;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::routing::{MethodRouter, any, get, post};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::middleware::{self as mw, Sequential};
use crate::routes::{model, ops, recommend, tracks};
use crate::state::AppState;
use crate::{openapi, web};

/// Who answers a route.
#[derive(Clone, Copy)]
enum Handler {
    /// One of ours.
    Ours(fn() -> MethodRouter<AppState>),
    /// Swagger UI (its routes are made by `utoipa-swagger-ui`; listed here for their labels).
    SwaggerUi,
}

/// One row of the route table.
#[derive(Clone, Copy)]
struct Route {
    /// The path template; also the route's metric label.
    path: &'static str,
    handler: Handler,
}

/// Every route the server has. The router is built from it and the metrics label requests
/// with its paths, so a route cannot be served without a label of its own.
const ROUTES: &[Route] = &[
    Route {
        path: paths::RECOMMEND,
        handler: Handler::Ours(|| post(recommend::recommend)),
    },
    Route {
        path: paths::RECOMMEND_SLASH,
        handler: Handler::Ours(|| post(recommend::recommend)),
    },
    Route {
        path: paths::MODEL,
        handler: Handler::Ours(|| get(model::model)),
    },
    Route {
        path: paths::MODEL_BLOB,
        handler: Handler::Ours(|| get(model::model_blob)),
    },
    Route {
        path: paths::TRACKS,
        handler: Handler::Ours(|| get(tracks::tracks)),
    },
    Route {
        path: "/api/{*rest}",
        handler: Handler::Ours(|| any(mw::not_found)),
    },
    Route {
        path: paths::HEALTHZ,
        handler: Handler::Ours(|| get(ops::healthz)),
    },
    Route {
        path: paths::READYZ,
        handler: Handler::Ours(|| get(ops::readyz)),
    },
    Route {
        path: paths::METRICS,
        handler: Handler::Ours(|| get(ops::metrics)),
    },
    Route {
        path: paths::OPENAPI,
        handler: Handler::SwaggerUi,
    },
    Route {
        path: paths::DOCS,
        handler: Handler::SwaggerUi,
    },
    Route {
        path: "/docs/",
        handler: Handler::SwaggerUi,
    },
    Route {
        path: "/docs/{*rest}",
        handler: Handler::SwaggerUi,
    },
];

/// The prefix of the API's routes, under which unknown paths answer 404 in the API's shape.
const API: &str = "/api";

/// A request's route label: its row's path; `static` for the page's files, `other` for a
/// template missing from [`ROUTES`] (a test keeps that from happening).
pub(crate) fn route_label(matched: Option<&MatchedPath>) -> &'static str {
    matched.map_or("static", |m| {
        ROUTES
            .iter()
            .find(|r| r.path == m.as_str())
            .map_or("other", |r| r.path)
    })
}

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
    /// The server's defaults ([`Config::defaults`]).
    fn default() -> Self {
        AppOptions::from(&Config::defaults())
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

/// The whole service: API, operations endpoints, OpenAPI + Swagger UI, the web page, and the
/// middleware (request ids, tracing, metrics, the head size limit, timeout, load shedding,
/// compression, CORS).
pub fn app(state: AppState, options: &AppOptions) -> Router {
    let mut api = Router::new().fallback(mw::not_found);
    let mut root = Router::new();
    for route in ROUTES {
        let Handler::Ours(handler) = route.handler else {
            continue;
        };
        match route.path.strip_prefix(API) {
            Some(path) => api = api.route(path, handler()),
            None => root = root.route(route.path, handler()),
        }
    }
    let router = root
        .nest(API, api)
        .merge(SwaggerUi::new(paths::DOCS).url(paths::OPENAPI, openapi::document(&state.limits)))
        .fallback_service(web::service(&options.web_dir))
        .method_not_allowed_fallback(mw::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(Sequential::default()))
                .layer(TraceLayer::new_for_http().make_span_with(mw::span))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    mw::record,
                ))
                .layer(axum::error_handling::HandleErrorLayer::new(mw::overloaded))
                .filter(mw::HeadLimit(state.limits.max_header_bytes))
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
    let router = match mw::cors(&options.cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    };
    router.layer(tower::util::MapRequestLayer::new(mw::measure_head))
}
