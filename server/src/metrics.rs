//! Prometheus metrics (OpenMetrics text at `/metrics`): requests and latency by route and
//! status, connections, the model being served, and reloads.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a served request. Routes are the router's templates (a fixed set), so the
/// number of series stays bounded whatever clients send.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Matched route template, or `static` / `not_found`.
    pub route: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Response status code.
    pub status: u16,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Matched route template.
    pub route: &'static str,
    /// HTTP method.
    pub method: &'static str,
}

/// The model being served, as an info metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabels {
    /// Model id.
    pub version: String,
    /// When the model was mined.
    pub created_at: String,
}

/// Outcome of a reload.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `success` or `failure`.
    pub result: ReloadResult,
}

/// The `result` label of a reload.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum ReloadResult {
    /// A new model is being served.
    success,
    /// The published blob was rejected.
    failure,
}

/// Labels of a connection closed by a timeout.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TimeoutLabels {
    /// Which timeout.
    pub timeout: Timeout,
}

/// The `timeout` label of a closed connection.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Timeout {
    /// The request line and headers did not arrive in time.
    header_read,
    /// No byte moved either way while no request was being handled.
    idle,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Every metric the server exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency by route and method.
    pub latency: LatencyFamily,
    /// Requests being served.
    pub in_flight: Gauge,
    /// Connections open.
    pub connections: Gauge,
    /// Times every connection slot was taken, so that accepting paused until one closed.
    pub connection_waits: Counter,
    /// Connections closed by a timeout, by timeout.
    pub connection_timeouts: Family<TimeoutLabels, Counter>,
    /// The current model (value 1).
    pub model_info: Family<ModelLabels, Gauge>,
    /// Reloads by outcome.
    pub reloads: Family<ReloadLabels, Counter>,
    /// Unix time of the last successful reload.
    pub last_reload: Gauge<f64, AtomicU64>,
    /// Tracks in the current model.
    pub tracks: Gauge,
    /// Rules in the current model.
    pub rules: Gauge,
    /// Polls of an object store's pointer.
    pub store_polls: Counter,
    /// Requests to an object store that failed (the store unreachable or erring).
    pub store_errors: Counter,
    /// 1 while the object store answers, 0 during an outage.
    pub store_up: Gauge,
}

fn latency_histogram() -> Histogram {
    // 25 µs .. ~3.3 s, doubling.
    Histogram::new(exponential_buckets(25e-6, 2.0, 18))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("segue");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let in_flight = Gauge::default();
        let connections = Gauge::default();
        let connection_waits = Counter::default();
        let connection_timeouts = Family::<TimeoutLabels, Counter>::default();
        let model_info = Family::<ModelLabels, Gauge>::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        let last_reload = Gauge::<f64, AtomicU64>::default();
        let tracks = Gauge::default();
        let rules = Gauge::default();
        let store_polls = Counter::default();
        let store_errors = Counter::default();
        let store_up = Gauge::default();
        registry.register(
            "model_store_polls",
            "Conditional reads of the object store's pointer",
            store_polls.clone(),
        );
        registry.register(
            "model_store_errors",
            "Requests to the object store that failed (unreachable or erring); the model keeps serving",
            store_errors.clone(),
        );
        registry.register(
            "model_store_up",
            "1 while the object store answers, 0 during an outage",
            store_up.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests served, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served",
            in_flight.clone(),
        );
        registry.register(
            "http_connections",
            "HTTP connections open",
            connections.clone(),
        );
        registry.register(
            "http_connection_waits",
            "Times every HTTP connection slot was taken and accepting paused (new connections wait in the listen backlog)",
            connection_waits.clone(),
        );
        registry.register(
            "http_connection_timeouts",
            "HTTP connections closed by a timeout, by timeout",
            connection_timeouts.clone(),
        );
        registry.register(
            "model_info",
            "The model being served: its id (version) and creation time",
            model_info.clone(),
        );
        registry.register(
            "model_reloads",
            "Attempts to load a newly published model, by result",
            reloads.clone(),
        );
        registry.register(
            "model_last_reload_timestamp_seconds",
            "Unix time of the last successful model load",
            last_reload.clone(),
        );
        registry.register(
            "model_tracks",
            "Tracks in the model being served",
            tracks.clone(),
        );
        registry.register(
            "model_rules",
            "Rules in the model being served",
            rules.clone(),
        );
        // Every label value exists from the start, so that rate() and alerts see zeroes.
        for result in [ReloadResult::success, ReloadResult::failure] {
            drop(reloads.get_or_create(&ReloadLabels { result }));
        }
        for timeout in [Timeout::header_read, Timeout::idle] {
            drop(connection_timeouts.get_or_create(&TimeoutLabels { timeout }));
        }
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            connections,
            connection_waits,
            connection_timeouts,
            model_info,
            reloads,
            last_reload,
            tracks,
            rules,
            store_polls,
            store_errors,
            store_up,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
