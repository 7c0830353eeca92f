//! The server's configuration: command-line flags, each also read from a `SEGUE_...`
//! environment variable (the names the Kubernetes manifests use).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use api::Limits;

/// Segue's recommendation server.
///
/// Serves `POST /api/recommend` from the model published in the model directory (the
/// miner's `--out`), follows that directory for new models without a restart, and serves the
/// web page, the OpenAPI document (`/openapi.json`, Swagger UI at `/docs`), health, readiness
/// and Prometheus metrics.
#[derive(Clone, Debug, clap::Parser)]
#[command(version, about, long_about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "SEGUE_LISTEN", default_value = "0.0.0.0:31000")]
    pub listen: SocketAddr,

    /// Directory the miner publishes into: `<dir>/current` names the model to serve,
    /// `<dir>/models/<id>.segue` holds the blobs. It may be empty or missing at start.
    #[arg(long, env = "SEGUE_MODEL_DIR", default_value = "models")]
    pub model_dir: PathBuf,

    /// Model store to follow as a URL, in place of --model-dir: `s3://bucket/prefix`,
    /// `gs://bucket/prefix`, `az://container/prefix` (polled; credentials and endpoint from
    /// the cloud's standard environment, e.g. AWS_*, or workload identity), or `file:///path`
    /// / a plain path (a model directory).
    #[arg(long, env = "SEGUE_MODEL_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// Where to keep the last good model from object storage, so that a restart while the
    /// store is unreachable still serves it (an `emptyDir` in Kubernetes). Unset: no cache.
    #[arg(long, env = "SEGUE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Directory of the built web page (trunk's `dist/`), served at `/`.
    #[arg(long, env = "SEGUE_WEB_DIR", default_value = "dist")]
    pub web_dir: PathBuf,

    /// How often to look at `<model dir>/current` for a new model ("2s", "500ms"). File-system
    /// notifications also trigger a look where they work; polling covers network volumes.
    #[arg(long, env = "SEGUE_POLL_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,

    /// Also watch the model directory with file-system notifications for a quicker switch
    /// (`true` or `false`). Polling continues either way; notifications do not cross nodes on
    /// network volumes.
    #[arg(long, env = "SEGUE_FS_EVENTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub fs_events: bool,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "SEGUE_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Longest a request may take before it is answered with 503.
    #[arg(long, env = "SEGUE_REQUEST_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Requests served at once; beyond it requests are shed with 503 rather than queued.
    #[arg(long, env = "SEGUE_MAX_CONCURRENCY", default_value_t = 512)]
    pub max_concurrency: usize,

    /// On SIGTERM or SIGINT: how long in-flight requests may take to finish before exit.
    #[arg(long, env = "SEGUE_SHUTDOWN_TIMEOUT", default_value = "20s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,

    /// Origins allowed to call the API from other sites (comma-separated, or `*`). Empty: CORS
    /// off, only same-origin pages can call it.
    #[arg(long, env = "SEGUE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub connections: ConnectionLimits,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: Limits,
}

/// Bounds on connections, whatever their requests ask: what a client that holds connections
/// open, sends slowly or stops reading can take from the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::Args)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request line and its headers, counted from when
    /// the connection opens or its previous answer has been written; a connection that misses
    /// it is closed without an answer. So it is also the longest a kept-alive connection may
    /// sit idle.
    #[arg(long, env = "SEGUE_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub header_read_timeout: Duration,

    /// Longest a connection may go without a byte moving either way while none of its requests
    /// is being handled, e.g. a client that stops reading an answer; then it is closed. Set it
    /// below the header read timeout to close idle kept-alive connections sooner.
    #[arg(long, env = "SEGUE_IDLE_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    pub idle_timeout: Duration,

    /// Connections open at once. Beyond it new connections wait in the kernel's listen
    /// backlog (and are refused when that is full) until one closes. Lowered at start to what
    /// the process's open-file limit allows.
    #[arg(long, env = "SEGUE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

/// A duration above zero ("10s", "500ms").
fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("must be more than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The clap command, for `--help` and for checks that deployment files use real flags.
    pub fn command() -> clap::Command {
        <Self as clap::CommandFactory>::command()
    }

    /// Every option at its default, whatever the environment says: the defaults have one
    /// home, the flags' declarations above.
    pub fn defaults() -> Config {
        use clap::FromArgMatches as _;
        let command = Self::command().mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command
            .try_get_matches_from(["server"])
            .expect("every option has a default");
        Config::from_arg_matches(&matches).expect("the defaults parse")
    }
}
