//! End to end in real headless Chromium: the real server on 127.0.0.1 serving a model mined
//! from generated playlists and the trunk-built page (`dist/`); seeds picked from the sample
//! and through search; the server's list rendered, the browser's wasm engine agreeing with it;
//! a new model published and picked up; the server stopped and the browser still answering.
//!
//! Needs `dist/` (`trunk build --release --offline`), `chromium` and `chromedriver`
//! (`scripts/setup.sh` installs them). Screenshots go to `target/e2e/`.
#![cfg(not(target_arch = "wasm32"))]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_owned()
}

/// A model mined by the miner from `playlists` generated playlists.
fn mined(seed: u64, playlists: usize) -> engine::Model {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("synth.csv");
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
        min_support: Some(0.005),
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

fn publish(dir: &Path, model: &engine::Model) {
    store::dir::publish(dir, model.id(), &model.to_blob(), 5).expect("publishes");
}

/// The server, in process on a real socket, following `dir` like the binary does.
struct Server {
    addr: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    async fn start(dir: &Path, web: &Path) -> Server {
        let state = server::Shared::new(server::Limits::default());
        let reloader = server::reload::Reloader::new(dir.to_owned(), state.clone());
        let reloading = tokio::spawn(reloader.run(Duration::from_millis(300), true));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("addr");
        let options = server::AppOptions {
            web_dir: web.to_owned(),
            ..server::AppOptions::default()
        };
        let app = server::app(state, &options);
        let serving = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        Server {
            addr,
            tasks: vec![reloading, serving],
        }
    }

    async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// chromedriver, and the profile directory of the browser it starts.
struct Driver(Child, PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        // End the browsers this test started (found by their profile directory), even when
        // the test failed before closing its session; then chromedriver.
        let profile = self.1.to_string_lossy().into_owned();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid.parse::<u32>().is_err() {
                continue;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&profile) {
                let _ = Command::new("kill").args(["-s", "KILL", &pid]).status();
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port()
}

async fn browser(profile: &Path) -> (Driver, Client) {
    for tool in ["chromium", "chromedriver"] {
        assert!(
            Command::new("which")
                .arg(tool)
                .output()
                .is_ok_and(|o| o.status.success()),
            "{tool} is not installed: run scripts/setup.sh (apt: chromium chromium-driver)"
        );
    }
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        profile.to_owned(),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1200,1800",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let started = Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => break c,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    };
    (driver, client)
}

async fn screenshot(client: &Client, name: &str) {
    let dir = root().join("target/e2e");
    std::fs::create_dir_all(&dir).expect("creates target/e2e");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("writes");
}

/// Polls `check` until it returns `Some`, or panics after `limit` saying `what`.
async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn attrs(client: &Client, css: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client.find_all(Locator::Css(css)).await.unwrap_or_default() {
        if let Ok(Some(v)) = e.attr(attr).await {
            out.push(v);
        }
    }
    out
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .ok()?
        .attr(name)
        .await
        .ok()?
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// Presses Recommend and waits for the answer numbered `run`.
async fn recommend(client: &Client, run: u32) {
    click(client, "[data-testid=recommend]").await;
    until("an answer", Duration::from_secs(15), || async {
        (attr(client, "[data-testid=results]", "data-run").await? == run.to_string()).then_some(())
    })
    .await;
}

/// An index in `0..n` from the workspace's SplitMix64 (by `% n`, the draws this test has
/// always made).
fn below(rng: &mut engine::SplitMix64, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_recommends_like_the_server_and_keeps_going_without_it() {
    let dist = root().join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the page first (trunk build --release --offline)",
        dist.display()
    );
    let models = tempfile::tempdir().expect("tempdir");
    let a = mined(41, 4000);
    let b = mined(42, 4000);
    assert!(
        a.rule_count() > 100 && b.rule_count() > 100,
        "models with rules"
    );
    // A fresh volume: the server starts with no model, and the page says so.
    let server = Server::start(models.path(), &dist).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let profile = tempfile::tempdir().expect("tempdir");
    let (_driver, client) = browser(profile.path()).await;

    client.goto(&base).await.expect("opens the page");
    until("the no-model notice", Duration::from_secs(20), || async {
        client
            .find(Locator::Css("[data-testid=no-model]"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    screenshot(&client, "0-no-model").await;
    publish(models.path(), &a);
    until("the model's version", Duration::from_secs(20), || async {
        (attr(&client, "[data-testid=model-version]", "data-version").await? == a.id())
            .then_some(())
    })
    .await;
    until("the sample", Duration::from_secs(20), || async {
        let n = client
            .find_all(Locator::Css("[data-testid=sample-track]"))
            .await
            .ok()?
            .len();
        (n > 0).then_some(())
    })
    .await;
    until("the browser's model", Duration::from_secs(20), || async {
        let text = client
            .find(Locator::Css("[data-testid=browser-model]"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("loaded").then_some(())
    })
    .await;
    screenshot(&client, "1-loaded").await;

    let mut rng = engine::SplitMix64::new(2026);
    let mut run = 0;
    for set in 0..20 {
        // Start from no seeds.
        while let Ok(chip) = client.find(Locator::Css("[data-testid=chip] button")).await {
            chip.click().await.expect("removes a chip");
        }
        if set % 5 == 4 {
            click(&client, "[data-testid=new-sample]").await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let boxes = client
            .find_all(Locator::Css("[data-testid=sample-track]"))
            .await
            .expect("sample");
        let mut picked = Vec::new();
        for _ in 0..1 + below(&mut rng, 3) {
            let i = below(&mut rng, boxes.len());
            if !picked.contains(&i) {
                picked.push(i);
                boxes[i].click().await.expect("ticks");
            }
        }
        if set % 2 == 0 {
            // Through search: a few letters of a popular track's name, then its suggestion.
            let track = a.track(engine::TrackId(below(&mut rng, 200) as u32));
            let typed: String = track.name.to_lowercase().chars().take(5).collect();
            let input = client
                .find(Locator::Css("[data-testid=search]"))
                .await
                .expect("search");
            input.send_keys(&typed).await.expect("types");
            until("suggestions", Duration::from_secs(10), || async {
                let found = client
                    .find_all(Locator::Css("[data-testid=suggestion]"))
                    .await
                    .ok()?;
                (!found.is_empty()).then_some(())
            })
            .await;
            click(&client, "[data-testid=suggestion]").await;
        }
        if set % 3 == 0 {
            let input = client
                .find(Locator::Css("[data-testid=search]"))
                .await
                .expect("search");
            input
                .send_keys(&format!("No Such Song {set}\u{E007}"))
                .await
                .expect("types and presses Enter");
        }
        // Every strategy in turn: the page asks the server for it and ranks with it locally.
        let strategy = engine::Strategy::ALL[set % engine::Strategy::ALL.len()];
        client
            .find(Locator::Css("[data-testid=strategy]"))
            .await
            .expect("strategy selector")
            .select_by_value(strategy.name())
            .await
            .expect("selects the strategy");
        let seeds = attrs(&client, "[data-testid=chip]", "data-input").await;
        assert!(!seeds.is_empty(), "set {set}: seeds chosen");
        run += 1;
        recommend(&client, run).await;
        assert_eq!(
            attr(&client, "[data-testid=results]", "data-strategy")
                .await
                .as_deref(),
            Some(strategy.name()),
            "set {set}"
        );

        let server_list = attrs(
            &client,
            "[data-testid=server] [data-testid=track]",
            "data-uri",
        )
        .await;
        let browser_list = attrs(
            &client,
            "[data-testid=browser] [data-testid=track]",
            "data-uri",
        )
        .await;
        // The rendered list is the server's answer to these seeds.
        let direct: Value = http
            .post(format!("{base}/api/recommend"))
            .json(&json!({"songs": seeds, "k": 10, "strategy": strategy.name()}))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("json");
        let want: Vec<String> = direct["tracks"]
            .as_array()
            .expect("tracks")
            .iter()
            .map(|t| t["uri"].as_str().expect("uri").to_owned())
            .collect();
        assert_eq!(
            server_list, want,
            "set {set}: seeds {seeds:?}, {strategy:?}"
        );
        assert_eq!(
            browser_list, server_list,
            "set {set}: seeds {seeds:?}, {strategy:?}"
        );
        assert_eq!(
            attr(&client, "[data-testid=verdict]", "data-verdict")
                .await
                .as_deref(),
            Some("identical"),
            "set {set}: seeds {seeds:?}"
        );
        if set == 0 {
            screenshot(&client, "2-identical").await;
        }
    }

    // A new model: the page notices, fetches the new blob, and both agree on it.
    publish(models.path(), &b);
    until(
        "the new version on the page",
        Duration::from_secs(20),
        || async {
            (attr(&client, "[data-testid=model-version]", "data-version").await? == b.id())
                .then_some(())
        },
    )
    .await;
    // The page took a fresh sample of the new catalog: seeds from it fire the new rules.
    while let Ok(chip) = client.find(Locator::Css("[data-testid=chip] button")).await {
        chip.click().await.expect("removes a chip");
    }
    let b_uris: Vec<String> = b.tracks().take(500).map(|t| t.uri.to_owned()).collect();
    until(
        "a sample of the new model",
        Duration::from_secs(10),
        || async {
            let sample = attrs(&client, "[data-testid=sample-track]", "data-uri").await;
            (!sample.is_empty() && sample.iter().all(|u| b_uris.contains(u))).then_some(())
        },
    )
    .await;
    let boxes = client
        .find_all(Locator::Css("[data-testid=sample-track]"))
        .await
        .expect("sample");
    for b in boxes.iter().take(2) {
        b.click().await.expect("ticks");
    }
    run += 1;
    recommend(&client, run).await;
    assert_eq!(
        attr(&client, "[data-testid=browser]", "data-version")
            .await
            .as_deref(),
        Some(b.id())
    );
    let sources = attrs(
        &client,
        "[data-testid=browser] [data-testid=track]",
        "data-source",
    )
    .await;
    assert!(
        sources.iter().any(|s| s == "rule"),
        "rules fire: {sources:?}"
    );
    assert_eq!(
        attr(&client, "[data-testid=verdict]", "data-verdict")
            .await
            .as_deref(),
        Some("identical")
    );
    screenshot(&client, "3-new-model").await;

    // The server goes away: the browser keeps recommending and says so.
    let expected = attrs(
        &client,
        "[data-testid=browser] [data-testid=track]",
        "data-uri",
    )
    .await;
    server.stop().await;
    assert!(
        http.get(format!("{base}/healthz")).send().await.is_err(),
        "the server is down"
    );
    run += 1;
    recommend(&client, run).await;
    assert!(
        client
            .find(Locator::Css("[data-testid=offline]"))
            .await
            .is_ok(),
        "the page says the server is unreachable"
    );
    assert!(
        client
            .find(Locator::Css("[data-testid=server-error]"))
            .await
            .is_ok()
    );
    let offline = attrs(
        &client,
        "[data-testid=browser] [data-testid=track]",
        "data-uri",
    )
    .await;
    assert_eq!(offline, expected, "the browser answers alone, as before");
    screenshot(&client, "4-offline").await;
    assert!(
        client
            .find(Locator::Css("[data-testid=panic]"))
            .await
            .is_err(),
        "the page panicked"
    );
    client.close().await.expect("closes");
}
