//! Models mined from generated data, states that serve them, and one-request helpers.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use server::{AppOptions, AppState, Limits, Loaded, Shared};
use tower::ServiceExt;

/// Serialises the tests that time real sockets and processes, so that on a two-core machine
/// they do not starve each other (route tests, which time nothing, still run alongside).
pub(crate) fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A model mined from `playlists` generated playlists (seed `seed`) at support 1%.
pub(crate) fn mined(seed: u64, playlists: usize) -> engine::Model {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("synth-{seed}.csv"));
    miner::synth::write(
        &miner::synth::SynthOptions { playlists, seed },
        miner::dataset::Format::Csv,
        &path,
    )
    .expect("generates");
    let dataset = miner::dataset::read(
        &[path],
        miner::dataset::ReadOptions {
            format: miner::dataset::Format::Csv,
            skip_invalid: false,
        },
    )
    .expect("reads");
    let options = miner::mine::MineOptions {
        min_support: Some(0.01),
        min_count: None,
        max_len: 3,
        min_confidence: 0.05,
    };
    miner::mine::mine(&dataset, &options, "2026-11-28T12:00:00Z".into())
        .expect("mines")
        .model
}

/// The model most route tests share (mined once per test binary).
pub(crate) fn shared_model() -> &'static (engine::Model, Vec<u8>) {
    static MODEL: OnceLock<(engine::Model, Vec<u8>)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let model = mined(11, 3000);
        let blob = model.to_blob();
        (model, blob)
    })
}

/// A state serving the shared model.
pub(crate) fn serving() -> AppState {
    let (_, blob) = shared_model();
    let state = Shared::new(Limits::default());
    state.install(loaded(blob));
    state
}

/// `blob` decoded as the reloader would.
pub(crate) fn loaded(blob: &[u8]) -> Loaded {
    let model = engine::Model::from_blob(blob).expect("decodes");
    Loaded::new(
        model,
        blob.to_vec().into(),
        "models/test.segue".into(),
        Instant::now(),
    )
}

/// Publishes `model` into the model directory `dir` as the miner does.
pub(crate) fn publish(dir: &Path, model: &engine::Model) {
    store::dir::publish(dir, model.id(), &model.to_blob(), 5).expect("publishes");
}

/// A response, its body as bytes.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    /// The error code of an error document.
    pub(crate) fn code(&self) -> String {
        let json = self.json();
        let error = &json["error"];
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        error["code"].as_str().expect("code").to_owned()
    }
}

/// Sends one request through the router.
pub(crate) async fn send(state: &AppState, options: &AppOptions, request: Request<Body>) -> Answer {
    let response = server::app(state.clone(), options)
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub(crate) async fn get(state: &AppState, uri: &str) -> Answer {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    send(state, &AppOptions::default(), request).await
}

pub(crate) async fn post_json(state: &AppState, uri: &str, body: impl Into<Body>) -> Answer {
    let request = Request::post(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request");
    send(state, &AppOptions::default(), request).await
}
