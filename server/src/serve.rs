//! Running the server: bind, follow the model directory, serve until SIGTERM or SIGINT, then
//! drain.

use std::sync::atomic::Ordering;

use anyhow::Context as _;

use crate::config::Config;
use crate::reload::Reloader;
use crate::router::{AppOptions, app};
use crate::state::Shared;

/// Runs the server until SIGTERM or SIGINT: binds, starts the reloader, serves, then stops
/// accepting, marks itself not ready and lets in-flight requests finish for up to the
/// configured drain time.
pub async fn serve(config: Config) -> anyhow::Result<()> {
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
    let reloader = Reloader::new(config.model_dir.clone(), state.clone());
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
