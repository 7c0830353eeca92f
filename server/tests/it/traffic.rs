//! Traffic during model switches: clients posting recommendations until told to stop, and
//! the check that none failed and that each saw the published models in order, never going
//! back. Shared by the directory (reload.rs) and object-store (follow.rs) tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A client task: its requests, the versions it saw in order, its failures.
pub(crate) type Client = tokio::task::JoinHandle<(usize, Vec<String>, Vec<String>)>;

/// Clients posting recommendations until `stop`: (requests, versions seen in order,
/// failures).
pub(crate) fn clients(
    addr: SocketAddr,
    model: &engine::Model,
    stop: &Arc<AtomicBool>,
) -> Vec<Client> {
    let seeds: Vec<String> = vec![
        model.track(engine::TrackId(0)).name.into(),
        model.track(engine::TrackId(2)).name.into(),
        model.track(engine::TrackId(4)).uri.into(),
        "Nothing By This Name".into(),
    ];
    let client = reqwest::Client::new();
    (0..8usize)
        .map(|c| {
            let (stop, seeds, client) = (Arc::clone(stop), seeds.clone(), client.clone());
            tokio::spawn(async move {
                let (mut n, mut seen, mut failures) = (0usize, Vec::<String>::new(), Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    let songs: Vec<&String> =
                        seeds.iter().skip((c + n) % 4).take(1 + n % 3).collect();
                    n += 1;
                    let sent = client
                        .post(format!("http://{addr}/api/recommend"))
                        .json(&serde_json::json!({"songs": songs, "k": 5}))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            let json: serde_json::Value = r.json().await.expect("json");
                            let v = json["version"].as_str().expect("version").to_owned();
                            assert!(json["tracks"].is_array(), "no tracks: {json}");
                            if seen.last() != Some(&v) {
                                seen.push(v);
                            }
                        }
                        Ok(r) => failures.push(format!("status {}", r.status())),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                (n, seen, failures)
            })
        })
        .collect()
}

/// Stops the clients and checks: no failed request, versions only ever move forward in
/// `ids`' order, ending on `last`.
pub(crate) async fn check_clients(
    stop: &AtomicBool,
    clients: Vec<Client>,
    ids: &[&str],
    last: usize,
) -> usize {
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for c in clients {
        let (n, seen, failures) = c.await.expect("client");
        total += n;
        assert!(failures.is_empty(), "failed requests: {failures:?}");
        let order: Vec<usize> = seen
            .iter()
            .map(|v| {
                ids.iter()
                    .position(|id| id == v)
                    .expect("a published version")
            })
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "went back: {order:?}"
        );
        assert_eq!(order.last(), Some(&last), "ends on the last: {order:?}");
    }
    total
}
