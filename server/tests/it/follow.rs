//! Following object storage on real endpoints, S3 (moto_server) and Azure Blob (Azurite), on
//! 127.0.0.1, each test run on both (`s3::*`, `azure::*`): concurrent
//! clients while models are published, rejected and rolled forward; a 20-second outage
//! under traffic; a replica started while the store is down serving its cache.
// Each test owns its runtime: `common::heavy()`'s lock only orders whole tests, it is never
// contended inside one, so holding it across awaits cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use server::follow::Follower;
use server::{AppState, Limits, Shared};
use store::object::ObjectLocation;
use store::{Expected, Store};
use testkit::object::Endpoint;

use crate::common::{Running, mined, serve_following, until_version, version};
use crate::traffic::{check_clients, clients};

fn bucket(endpoint: &impl Endpoint, name: &str) -> Store {
    endpoint.create_bucket(name);
    let options = endpoint.options();
    let options: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    store::open_with(&endpoint.url(name, "segue"), &options).expect("opens")
}

testkit::on_each_endpoint!(
    async models_switch_on_object_storage_under_load_without_a_failed_request,
    a_store_outage_under_traffic_fails_no_request,
    a_replica_started_while_the_store_is_down_serves_its_cache,
);

fn object(store: &Store) -> ObjectLocation {
    match store {
        Store::Object(o) => o.clone(),
        Store::Dir(_) => panic!("an object store"),
    }
}

/// Publishes `model` as the miner does; returns when the pointer was written.
async fn publish(store: &Store, model: &engine::Model) -> SystemTime {
    store
        .publish(model.id(), Bytes::from(model.to_blob()), 5, &Expected::Any)
        .await
        .expect("publishes");
    SystemTime::now()
}

/// Points `current` at `models/<id>.segue`, whatever is there.
async fn point_at(store: &Store, id: &str) {
    let e_tag = match store.pointer_version().await.expect("reads") {
        Expected::ETag(tag) => Some(tag),
        _ => None,
    };
    object(store)
        .put_pointer(id, e_tag.as_deref())
        .await
        .expect("writes the pointer");
}

async fn start(store: &Store, poll: Duration, cache: Option<&Path>) -> Running {
    let state = Shared::new(Limits::default());
    let follower = Follower::new(object(store), state.clone(), cache.map(Path::to_owned));
    serve_following(state, tokio::spawn(follower.run(poll))).await
}

/// From the pointer write to the install of the model served now (the server's clock).
fn switch_time(state: &AppState, written: SystemTime) -> Duration {
    let loaded = state.model.load_full().expect("a model").loaded_at;
    loaded.duration_since(written).unwrap_or_default()
}

async fn metrics(addr: SocketAddr) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

async fn ready(addr: SocketAddr) -> reqwest::StatusCode {
    reqwest::get(format!("http://{addr}/readyz"))
        .await
        .expect("answers")
        .status()
}

async fn models_switch_on_object_storage_under_load_without_a_failed_request<E: Endpoint>() {
    let models = [mined(1, 1500), mined(2, 1500), mined(3, 1500)];
    let ids: Vec<&str> = models.iter().map(engine::Model::id).collect();
    let endpoint = E::start();
    let store = bucket(&endpoint, "follow");
    publish(&store, &models[0]).await;
    let _heavy = crate::common::heavy();
    let poll = Duration::from_secs(1);
    let server = start(&store, poll, None).await;
    let addr = server.addr;
    let client = reqwest::Client::new();
    until_version(&client, addr, ids[0], poll * 2).await;
    let stop = Arc::new(AtomicBool::new(false));
    let running = clients(addr, &models[0], &stop);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let written = publish(&store, &models[1]).await;
    until_version(&client, addr, ids[1], poll * 2).await;
    let took = switch_time(&server.state, written);
    assert!(
        took <= poll * 2,
        "B installed after {took:?} (poll {poll:?})"
    );

    // A truncated blob, a blob whose model is not the one its name says, and a pointer to a
    // blob that does not exist: each rejected once and counted, and B keeps serving.
    let o = object(&store);
    let blob = models[2].to_blob();
    let put = |name: &str, bytes: Vec<u8>| {
        let o = o.clone();
        let path = o.path(&store::layout::blob_path(name));
        async move {
            o.store()
                .put_opts(&path, bytes.into(), Default::default())
                .await
                .expect("puts");
        }
    };
    let truncated = format!("{:032x}", 1);
    put(&truncated, blob[..blob.len() / 2].to_vec()).await;
    let misnamed = format!("{:032x}", 2);
    put(&misnamed, blob.clone()).await;
    let missing = format!("{:032x}", 3);
    for (n, id) in [&truncated, &misnamed, &missing].into_iter().enumerate() {
        point_at(&store, id).await;
        let started = Instant::now();
        while server.state.reload_counts().rejected < n as u64 + 1 {
            assert!(started.elapsed() < poll * 6, "bad blob {id} not noticed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            started.elapsed() <= poll * 2,
            "rejected after {:?}",
            started.elapsed()
        );
    }
    // Rejections are not retried while the pointer does not change.
    tokio::time::sleep(poll * 3).await;
    assert_eq!(server.state.reload_counts().rejected, 3);
    assert_eq!(version(&client, addr).await.as_deref(), Some(ids[1]));

    let written = publish(&store, &models[2]).await;
    until_version(&client, addr, ids[2], poll * 2).await;
    let took = switch_time(&server.state, written);
    assert!(took <= poll * 2, "C installed after {took:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let total = check_clients(&stop, running, &ids, 2).await;
    assert!(total > 100, "only {total} requests");
    let metrics = metrics(addr).await;
    for line in [
        r#"segue_model_reloads_total{result="failure"} 3"#,
        r#"segue_model_reloads_total{result="success"} 3"#,
        "segue_model_store_errors_total 0",
        "segue_model_store_up 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

async fn a_store_outage_under_traffic_fails_no_request<E: Endpoint>() {
    let models = [mined(4, 1000), mined(5, 1000)];
    let ids: Vec<&str> = models.iter().map(engine::Model::id).collect();
    let endpoint = E::start();
    let store = bucket(&endpoint, "outage");
    publish(&store, &models[0]).await;
    let _heavy = crate::common::heavy();
    let poll = Duration::from_secs(1);
    let server = start(&store, poll, None).await;
    let addr = server.addr;
    let client = reqwest::Client::new();
    until_version(&client, addr, ids[0], poll * 2).await;
    let stop = Arc::new(AtomicBool::new(false));
    let running = clients(addr, &models[0], &stop);

    endpoint.set_reachable(false);
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(20) {
        assert_eq!(
            ready(addr).await,
            reqwest::StatusCode::OK,
            "ready through the outage"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let during = metrics(addr).await;
    assert!(during.contains("segue_model_store_up 0"), "{during}");
    let errors = during
        .lines()
        .find_map(|l| l.strip_prefix("segue_model_store_errors_total "))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("an error count");
    // Backed off: at most one failed poll per 1.5 intervals (plus the one in flight).
    assert!(
        (1.0..=15.0).contains(&errors),
        "{errors} failed polls in 20 s"
    );

    endpoint.set_reachable(true);
    let back = Instant::now();
    while !metrics(addr).await.contains("segue_model_store_up 1") {
        assert!(
            back.elapsed() < poll * 6,
            "not recovered after {:?}",
            back.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        back.elapsed() <= poll * 2,
        "recovered after {:?}",
        back.elapsed()
    );
    let written = publish(&store, &models[1]).await;
    until_version(&client, addr, ids[1], poll * 2).await;
    let took = switch_time(&server.state, written);
    assert!(took <= poll * 2, "B installed after {took:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    check_clients(&stop, running, &ids, 1).await;
}

/// Waits (up to 10 s) until the cache directory's pointer names model `id`: a replica caches
/// a model just after it starts serving it.
async fn until_cached(cache: &Path, id: &str) {
    let want = Some(store::layout::blob_path(id));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let cached = store::dir::read_pointer(cache).expect("reads the cache");
        if cached == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the cache holds {cached:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_replica_started_while_the_store_is_down_serves_its_cache<E: Endpoint>() {
    let models = [mined(6, 800), mined(7, 800)];
    let endpoint = E::start();
    let store = bucket(&endpoint, "cache");
    publish(&store, &models[0]).await;
    let _heavy = crate::common::heavy();
    let cache = tempfile::tempdir().expect("tempdir");
    let poll = Duration::from_millis(500);
    let client = reqwest::Client::new();
    {
        let first = start(&store, poll, Some(cache.path())).await;
        until_version(&client, first.addr, models[0].id(), poll * 2).await;
        until_cached(cache.path(), models[0].id()).await;
    }

    endpoint.set_reachable(false);
    let second = start(&store, poll, Some(cache.path())).await;
    until_version(
        &client,
        second.addr,
        models[0].id(),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(ready(second.addr).await, reqwest::StatusCode::OK);

    endpoint.set_reachable(true);
    publish(&store, &models[1]).await;
    until_version(&client, second.addr, models[1].id(), poll * 4).await;
    until_cached(cache.path(), models[1].id()).await;
    // A replica with no cache and no store has nothing to serve, and says so.
    endpoint.set_reachable(false);
    let empty = tempfile::tempdir().expect("tempdir");
    let third = start(&store, poll, Some(empty.path())).await;
    tokio::time::sleep(poll * 2).await;
    assert_eq!(
        ready(third.addr).await,
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
}
