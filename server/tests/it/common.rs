//! Models mined from generated data, states that serve them, the real binary, and
//! one-request helpers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
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

/// The server binary, serving a small published model on a free port of 127.0.0.1; killed
/// when dropped.
pub(crate) struct Binary {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    /// Every log line so far (JSON).
    pub(crate) log: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    /// Starts the binary with `args` besides the address, model, page and a 100 ms poll, and
    /// waits until it is ready.
    pub(crate) fn start(args: &[&str]) -> Binary {
        let dir = tempfile::tempdir().expect("tempdir");
        publish(dir.path(), &mined(21, 800));
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--model-dir")
            .arg(dir.path())
            .arg("--web-dir")
            .arg(dir.path().join("no-page"))
            .args(["--poll-interval", "100ms"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr: SocketAddr = loop {
            let line = lines
                .next()
                .expect("the server logs before exiting")
                .expect("reads");
            let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
            if json["fields"]["message"] == "serving" {
                break json["fields"]["listen"]
                    .as_str()
                    .expect("listen")
                    .parse()
                    .expect("an address");
            }
        };
        // Keep reading the log, so the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                keep.lock().expect("log").push(line);
            }
        });
        let binary = Binary {
            child,
            addr,
            log,
            dir,
        };
        let started = Instant::now();
        while request(
            binary.addr,
            "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .is_none_or(|r| !r.starts_with("HTTP/1.1 200"))
        {
            assert!(started.elapsed() < Duration::from_secs(20), "never ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        binary
    }

    /// The value of the metric line that starts with `series` (e.g.
    /// `segue_http_connections`), read over a connection of its own.
    pub(crate) fn metric(&self, series: &str) -> f64 {
        let text = request(
            self.addr,
            "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .expect("metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .expect("a number")
    }

    /// The model directory the binary follows.
    pub(crate) fn model_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Log lines whose message contains `text`.
    pub(crate) fn logged(&self, text: &str) -> usize {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }
}

/// Sends `text` on a new connection and reads until the server closes it.
pub(crate) fn request(addr: SocketAddr, text: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.write_all(text.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A server on a loopback port, following a store with a task of its own; both tasks end
/// when it is dropped.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) state: AppState,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Serves `state` on a free loopback port beside `following` (the task that installs its
/// models: a reloader or a follower).
pub(crate) async fn serve_following(
    state: AppState,
    following: tokio::task::JoinHandle<()>,
) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("addr");
    let app = server::app(state.clone(), &AppOptions::default());
    let served = state.clone();
    let serving = tokio::spawn(async move {
        let options = server::ServeOptions::default();
        server::serve_connections(listener, app, &served, &options, std::future::pending()).await;
    });
    Running {
        addr,
        state,
        tasks: vec![following, serving],
    }
}

/// The version `/api/model` reports (None: 503).
pub(crate) async fn version(client: &reqwest::Client, addr: SocketAddr) -> Option<String> {
    let response = client
        .get(format!("http://{addr}/api/model"))
        .send()
        .await
        .expect("answers");
    if !response.status().is_success() {
        return None;
    }
    let json: serde_json::Value = response.json().await.expect("json");
    json["version"].as_str().map(str::to_owned)
}

/// Waits until `/api/model` reports `want` (failing after three times `limit`), returning
/// how long that took.
pub(crate) async fn until_version(
    client: &reqwest::Client,
    addr: SocketAddr,
    want: &str,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        if version(client, addr).await.as_deref() == Some(want) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit * 3,
            "model {want} not served after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
