//! Hot reload on a real socket: concurrent clients while models are published, a corrupt and
//! a missing blob rejected, and a server that starts before any model exists.
// Each test owns its runtime: `common::heavy()`'s lock only orders whole tests, it is never
// contended inside one, so holding it across awaits cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use server::reload::Reloader;
use server::{Limits, Shared};

use crate::common::{Running, mined, publish, serve_following, until_version, version};
use crate::traffic::{check_clients, clients};

async fn start(dir: &Path, poll: Duration, notifications: bool) -> Running {
    let state = Shared::new(Limits::default());
    let reloader = Reloader::new(dir.to_owned(), state.clone());
    serve_following(state, tokio::spawn(reloader.run(poll, notifications))).await
}

/// How long after the pointer changed the server installed the model it serves now: from
/// `current`'s modification time to the model's `loaded_at` (the server's own clock, so a
/// busy test machine's slow clients do not count against the reloader).
fn switch_time(state: &server::AppState, dir: &Path) -> Duration {
    let changed = std::fs::metadata(dir.join("current"))
        .and_then(|m| m.modified())
        .expect("current exists");
    let loaded = state.model.load_full().expect("a model").loaded_at;
    loaded.duration_since(changed).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_switch_under_load_without_a_failed_request() {
    let models = [mined(1, 1500), mined(2, 1500), mined(3, 1500)];
    let ids: Vec<String> = models.iter().map(|m| m.id().to_owned()).collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2],
        "three different models"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    publish(dir.path(), &models[0]);
    // Polling only: the path that works on network volumes, and the slower one.
    let _heavy = crate::common::heavy();
    let poll = Duration::from_secs(1);
    let server = start(dir.path(), poll, false).await;
    let addr = server.addr;
    let client = reqwest::Client::new();
    until_version(&client, addr, &ids[0], poll * 2).await;

    let stop = Arc::new(AtomicBool::new(false));
    let running = clients(addr, &models[0], &stop);

    tokio::time::sleep(Duration::from_millis(300)).await;
    publish(dir.path(), &models[1]);
    until_version(&client, addr, &ids[1], poll * 2).await;
    let took = switch_time(&server.state, dir.path());
    assert!(
        took <= poll * 2,
        "B installed after {took:?} (poll {poll:?})"
    );

    // A truncated blob, then a pointer to a blob that does not exist: both rejected, counted,
    // and B keeps serving.
    let blob = models[2].to_blob();
    let models_dir = dir.path().join("models");
    store::dir::write_atomic(&models_dir.join("truncated.segue"), &blob[..blob.len() / 2])
        .expect("writes");
    store::dir::write_atomic(&dir.path().join("current"), b"models/truncated.segue\n")
        .expect("writes");
    let started = Instant::now();
    while server.state.reload_counts().rejected < 1 {
        assert!(started.elapsed() < poll * 6, "corrupt blob not noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        started.elapsed() <= poll * 2,
        "rejected after {:?}",
        started.elapsed()
    );
    store::dir::write_atomic(&dir.path().join("current"), b"models/missing.segue\n")
        .expect("writes");
    let started = Instant::now();
    while server.state.reload_counts().rejected < 2 {
        assert!(started.elapsed() < poll * 6, "missing blob not noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Rejections are not retried while nothing changes.
    tokio::time::sleep(poll * 3).await;
    assert_eq!(server.state.reload_counts().rejected, 2);
    assert_eq!(
        version(&client, addr).await.as_deref(),
        Some(ids[1].as_str())
    );

    publish(dir.path(), &models[2]);
    until_version(&client, addr, &ids[2], poll * 2).await;
    let took = switch_time(&server.state, dir.path());
    assert!(took <= poll * 2, "C installed after {took:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let total = check_clients(&stop, running, &ids, 2).await;
    assert!(total > 100, "only {total} requests");
    let metrics = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"segue_model_reloads_total{result="failure"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"segue_model_reloads_total{result="success"} 3"#),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(r#"segue_model_info{{version="{}""#, ids[2])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_model_directory_becomes_ready_without_a_restart() {
    let _heavy = crate::common::heavy();
    let root = tempfile::tempdir().expect("tempdir");
    // Not even the directory exists yet (a fresh volume before the first mining job).
    let dir = root.path().join("models-volume");
    let poll = Duration::from_secs(1);
    let server = start(&dir, poll, false).await;
    let client = reqwest::Client::new();
    let ready = |client: reqwest::Client| async move {
        client
            .get(format!("http://{}/readyz", server.addr))
            .send()
            .await
            .expect("answers")
            .status()
    };
    tokio::time::sleep(poll * 2).await;
    assert_eq!(
        ready(client.clone()).await,
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    let response = client
        .post(format!("http://{}/api/recommend", server.addr))
        .json(&serde_json::json!({"songs": ["a"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));

    let model = mined(4, 800);
    publish(&dir, &model);
    until_version(&client, server.addr, model.id(), poll * 2).await;
    let took = switch_time(&server.state, &dir);
    assert!(took <= poll * 2, "ready after {took:?}");
    assert_eq!(ready(client.clone()).await, reqwest::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_system_notifications_beat_a_slow_poll() {
    let _heavy = crate::common::heavy();
    let dir = tempfile::tempdir().expect("tempdir");
    let a = mined(5, 800);
    let b = mined(6, 800);
    publish(dir.path(), &a);
    // A poll far too slow to explain a quick switch: only a notification can.
    let server = start(dir.path(), Duration::from_secs(60), true).await;
    let client = reqwest::Client::new();
    until_version(&client, server.addr, a.id(), Duration::from_secs(2)).await;
    publish(dir.path(), &b);
    let took = until_version(&client, server.addr, b.id(), Duration::from_secs(2)).await;
    assert!(took < Duration::from_secs(5), "switched after {took:?}");
}
