//! Accepting connections and serving HTTP/1.1 on them under the connection limits: a header
//! read timeout, a cap on the request head, an idle timeout, and a cap on open connections.
//!
//! `axum::serve` exposes none of these, so connections go through hyper's own HTTP/1
//! builder (with tokio's timer), the way `axum::serve` drives it. HTTP/2 is not served: no
//! client of a cleartext port asks for it (browsers speak HTTP/2 only over TLS, which ends in
//! front of this server), and a protocol not served needs no stream limits.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tower::ServiceExt as _;

use crate::config::Config;
use crate::metrics::{Timeout, TimeoutLabels};
use crate::state::AppState;

/// How connections are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// Longest the request line and headers may take to arrive, from when the connection
    /// opens or its previous answer is written.
    pub header_read_timeout: Duration,
    /// Longest a connection may go without moving a byte while no request is handled.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Largest request head the router answers (431 in the API's shape beyond it). Hyper
    /// reads heads of up to twice this, so that those still get that answer; a larger head
    /// gets hyper's own 431, without a body, and the connection closes.
    pub max_header_bytes: usize,
}

impl From<&Config> for ServeOptions {
    fn from(c: &Config) -> Self {
        ServeOptions {
            header_read_timeout: c.connections.header_read_timeout,
            idle_timeout: c.connections.idle_timeout,
            max_connections: c.connections.max_connections as usize,
            max_header_bytes: c.limits.max_header_bytes,
        }
    }
}

impl Default for ServeOptions {
    /// The server's defaults ([`Config::defaults`]).
    fn default() -> Self {
        ServeOptions::from(&Config::defaults())
    }
}

impl ServeOptions {
    /// The largest head hyper reads to its end.
    fn head_cap(&self) -> usize {
        self.max_header_bytes.saturating_mul(2)
    }
}

/// How often at most the log says that the connection limit has been reached.
const SATURATION_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Accepts connections on `listener` and serves `app` on them until `stop` completes; then
/// stops accepting (closing the listener), lets every open connection finish the request it
/// is in (idle ones close at once) and returns once all are closed. `state` is `app`'s
/// state, for the connection metrics.
///
/// A connection takes one of `max_connections` slots before it is accepted, so beyond the
/// limit clients wait in the kernel's listen backlog instead of costing a descriptor, and
/// holds it until it closes.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    state: &AppState,
    options: &ServeOptions,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_header_size(options.head_cap());
    let http = Arc::new(http);
    // `acquire_many` below counts in u32.
    let max = options
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let slots = Arc::new(Semaphore::new(max));
    let (closing_tx, closing) = watch::channel(false);
    let metrics = ConnectionMetrics {
        open: state.metrics.connections.clone(),
        timeouts: state.metrics.connection_timeouts.clone(),
    };
    let mut stop = pin!(stop);
    let mut warned: Option<Instant> = None;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                state.metrics.connection_waits.inc();
                if warned.is_none_or(|at| at.elapsed() >= SATURATION_LOG_INTERVAL) {
                    tracing::warn!(
                        max_connections = max,
                        "at the connection limit: new connections wait in the listen backlog \
                         until one closes"
                    );
                    warned = Some(Instant::now());
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = &mut stop => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        tokio::spawn(connection(
            stream,
            app.clone(),
            Arc::clone(&http),
            options.idle_timeout,
            closing.clone(),
            slot,
            metrics.clone(),
        ));
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Each connection holds its slot until it is closed.
    let _all = slots.acquire_many(max as u32).await;
}

/// What an accept error calls for: nothing if it concerned one connection only; otherwise
/// (out of descriptors or memory, which the connection limit should prevent) a pause, so that
/// the loop does not spin.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The metrics a connection updates.
#[derive(Clone)]
struct ConnectionMetrics {
    open: Gauge,
    timeouts: Family<TimeoutLabels, Counter>,
}

impl ConnectionMetrics {
    fn timed_out(&self, timeout: Timeout) {
        self.timeouts
            .get_or_create(&TimeoutLabels { timeout })
            .inc();
    }
}

/// Serves one connection until it closes, the idle timeout closes it, or shutdown lets it
/// finish its request.
async fn connection(
    stream: TcpStream,
    app: Router,
    http: Arc<hyper::server::conn::http1::Builder>,
    idle_timeout: Duration,
    mut closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
    metrics: ConnectionMetrics,
) {
    metrics.open.inc();
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let handling = activity.handling();
            let response = app.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(handling);
                response
            }
        })
    };
    let mut conn = pin!(http.serve_connection(io, service));
    let mut shutting_down = *closing.borrow_and_update();
    if shutting_down {
        conn.as_mut().graceful_shutdown();
    }
    let mut idle = IdleClock::new(idle_timeout);
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    if error.is_timeout() {
                        metrics.timed_out(Timeout::header_read);
                    }
                    tracing::debug!(%error, "connection closed");
                }
                break;
            }
            changed = closing.changed(), if !shutting_down => {
                // Closing, or the accept loop is gone (dropped before its drain): finish up.
                if changed.is_err() || *closing.borrow_and_update() {
                    conn.as_mut().graceful_shutdown();
                    shutting_down = true;
                }
            }
            () = idle.tick() => {
                if idle.expired(&activity) {
                    metrics.timed_out(Timeout::idle);
                    tracing::debug!(timeout = ?idle_timeout, "idle connection closed");
                    break;
                }
            }
        }
    }
    metrics.open.dec();
}

/// What the idle timeout watches: bytes moving, and requests being handled.
#[derive(Debug, Default)]
struct Activity {
    /// Reads and writes that moved at least one byte.
    moves: AtomicU64,
    /// Requests being handled (from the head read to the answer's head).
    handling: AtomicUsize,
}

impl Activity {
    /// Counts a request as being handled until the guard drops.
    fn handling(self: &Arc<Self>) -> Handling {
        self.handling.fetch_add(1, Ordering::Relaxed);
        Handling(Arc::clone(self))
    }
}

/// A request being handled (see [`Activity::handling`]).
struct Handling(Arc<Activity>);

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.handling.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Decides, a few times per timeout, whether a connection has been idle for the whole
/// timeout: it closes between one and one and a quarter timeouts after the last activity.
struct IdleClock {
    timeout: Duration,
    ticks: tokio::time::Interval,
    moves: u64,
    quiet_since: Instant,
}

impl IdleClock {
    fn new(timeout: Duration) -> IdleClock {
        let mut ticks = tokio::time::interval(timeout / 4);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        IdleClock {
            timeout,
            ticks,
            moves: 0,
            quiet_since: Instant::now(),
        }
    }

    async fn tick(&mut self) {
        self.ticks.tick().await;
    }

    /// Whether nothing has happened for the whole timeout.
    fn expired(&mut self, activity: &Activity) -> bool {
        let now = Instant::now();
        let moves = activity.moves.load(Ordering::Relaxed);
        if moves != self.moves || activity.handling.load(Ordering::Relaxed) > 0 {
            self.moves = moves;
            self.quiet_since = now;
            return false;
        }
        now.duration_since(self.quiet_since) >= self.timeout
    }
}

/// A socket that counts the reads and writes that move bytes.
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    /// Counts a write that moved bytes.
    fn wrote(&self, result: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moves.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.moves.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
