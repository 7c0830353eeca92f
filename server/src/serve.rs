//! Running the server: bind, follow the model store (a directory or object storage), serve until SIGTERM or SIGINT, then
//! drain.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use store::Store;

use crate::config::Config;
use crate::connections::{ServeOptions, serve_connections};
use crate::follow::Follower;
use crate::reload::Reloader;
use crate::router::{AppOptions, app};
use crate::state::Shared;

/// Runs the server until SIGTERM or SIGINT: binds, starts the reloader, serves, then stops
/// accepting, marks itself not ready and lets in-flight requests finish for up to the
/// configured drain time; a follower of object storage then finishes its cache's write under
/// way (up to 5 s).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let state = Shared::new(config.limits);
    let options = AppOptions::from(&config);
    if !options.web_dir.join("index.html").is_file() {
        tracing::warn!(
            web_dir = %options.web_dir.display(),
            "no index.html in the web directory: `/` will answer 404 (build the page with trunk)"
        );
    }
    let mut serving = ServeOptions::from(&config);
    serving.max_connections = connection_budget(serving.max_connections, open_file_limit());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let model_store = match &config.store {
        Some(location) => store::open(location).context("--store / SEGUE_MODEL_STORE")?,
        None => Store::Dir(config.model_dir.clone()),
    };
    tracing::info!(
        listen = %listener.local_addr()?,
        store = %model_store.describe(),
        poll_interval = ?config.poll_interval,
        max_connections = serving.max_connections,
        "serving"
    );
    let (reloading, cache_writes) = match model_store {
        Store::Dir(dir) => {
            let reloader = Reloader::new(dir, state.clone());
            let reloading = tokio::spawn(reloader.run(config.poll_interval, config.fs_events));
            (reloading, None)
        }
        Store::Object(location) => {
            let follower = Follower::new(location, state.clone(), config.cache_dir.clone());
            let writes = follower.pending_writes();
            (tokio::spawn(follower.run(config.poll_interval)), writes)
        }
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let draining = state.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        draining.draining.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(true);
    });
    let mut stop = stop_rx.clone();
    let stopped = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let server = serve_connections(
        listener,
        app(state.clone(), &options),
        &state,
        &serving,
        stopped,
    );
    let mut stopping = stop_rx;
    let drain_limit = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
        tokio::time::sleep(config.shutdown_timeout).await;
    };
    tokio::select! {
        () = server => {}
        () = drain_limit => {
            tracing::warn!(
                timeout = ?config.shutdown_timeout,
                "requests still in flight at the end of the drain time; exiting anyway"
            );
        }
    }
    reloading.abort();
    // The follower is dropped once its task is: its cache writer then gets no more blobs, and
    // the one it is writing is finished, so that a replica restarted right after a switch comes
    // back on the model it served.
    let _ = reloading.await;
    if let Some(writes) = cache_writes {
        writes.finish(CACHE_WRITE_LIMIT).await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for the cache directory's write under way (a 150 MB blob
/// takes well under a second): with the manifests' 10 s preStop pause and 20 s drain, inside
/// their 40 s grace period.
const CACHE_WRITE_LIMIT: Duration = Duration::from_secs(5);

/// Descriptors kept for everything but connections: the listener, the runtime, the model
/// directory's watch, blobs being loaded, standard streams.
const RESERVED_DESCRIPTORS: usize = 64;

/// The connections the open-file limit leaves room for, at most `wanted`: each connection
/// takes a descriptor, and a second one while it streams a file of the web page.
fn connection_budget(wanted: usize, open_file_limit: Option<usize>) -> usize {
    let Some(limit) = open_file_limit else {
        return wanted;
    };
    let room = (limit.saturating_sub(RESERVED_DESCRIPTORS) / 2).max(1);
    if room < wanted {
        tracing::warn!(
            max_connections = wanted,
            open_file_limit = limit,
            "the open-file limit leaves room for {room} connections: serving at most that many"
        );
        return room;
    }
    wanted
}

/// The process's soft limit on open files, where the system says (Linux); `None` if
/// unlimited or unknown.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_the_open_file_limit() {
        assert_eq!(connection_budget(4096, None), 4096);
        assert_eq!(connection_budget(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_budget(4096, Some(20_000)), 4096);
        assert_eq!(connection_budget(4096, Some(1024)), 480);
        assert_eq!(connection_budget(4096, Some(10)), 1);
    }

    #[test]
    fn the_open_file_limit_is_read() {
        let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
            return;
        };
        let unlimited = limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.contains("unlimited"));
        assert_eq!(open_file_limit().is_some_and(|n| n > 0), !unlimited);
    }
}
