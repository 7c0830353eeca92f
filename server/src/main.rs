//! Segue's recommendation server (see `server --help`).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: a recommendation allocates a few dozen small
/// objects across tokio's worker threads, and with glibc they cost about 5 µs of the ~50 µs
/// of CPU a request takes over HTTP (`docs/benchmarks.md`). Built with `no_thp` (no
/// `madvise(MADV_HUGEPAGE)` on its arenas): faulting in a new model's memory as transparent
/// huge pages made loading a 150 MB model take 1.7-2.9 s instead of 0.6-0.8 s on this VM, and
/// recommendations were no faster with them (same section).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = server::Config::parse();
    // object_store logs every retry of a request at info; an outage is the follower's to
    // report, once.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,object_store=warn".into());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match config.log_format {
        server::config::LogFormat::Json => subscriber.json().init(),
        server::config::LogFormat::Text => subscriber.init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
