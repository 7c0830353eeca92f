//! The web page (trunk's `dist/`): files as they are, `index.html` for client-side routes,
//! and cache headers that let browsers keep hashed assets for good.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

use crate::error::ApiError;

/// Serves `dir`; paths without a file extension that name no file get `index.html` (the
/// page's own routes), other missing files 404.
pub(crate) fn service(dir: &Path) -> Router {
    let index = Arc::new(dir.join("index.html"));
    let page = (move |uri: Uri| spa(State(Arc::clone(&index)), uri)).into_service();
    Router::new()
        .fallback_service(
            ServeDir::new(dir)
                .append_index_html_on_directories(true)
                .fallback(page),
        )
        .layer(middleware::from_fn(cache_headers))
}

async fn spa(State(index): State<Arc<PathBuf>>, uri: Uri) -> Response {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return ApiError::NotFound(format!("no file {}", uri.path())).into_response();
    }
    match tokio::fs::read(index.as_path()).await {
        Ok(html) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response(),
        Err(_) => ApiError::NotFound(format!(
            "the web page is not installed ({} is missing); the API is at /api and its documentation at /docs",
            index.display()
        ))
        .into_response(),
    }
}

/// Trunk names assets `<name>-<16 hex digits>[_bg].<ext>`: such a file never changes, so it is
/// cached for a year; everything else (the HTML) is revalidated on every load.
async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status() == StatusCode::OK || response.status() == StatusCode::NOT_MODIFIED {
        let value = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn trunk_hashed_assets_are_recognised() {
        assert!(is_hashed("/web-949206d789b3c09a.js"));
        assert!(is_hashed("/web-949206d789b3c09a_bg.wasm"));
        assert!(is_hashed("/assets/style-0123456789abcdef.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/"));
        assert!(!is_hashed("/web-1234.js"));
        assert!(!is_hashed("/-949206d789b3c09a.js"));
    }
}
