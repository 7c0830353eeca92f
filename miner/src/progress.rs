//! Progress of long phases: an indicatif bar on a terminal, a plain log line every few seconds
//! otherwise (Kubernetes logs), both fed by shared counters that the work updates cheaply.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters a phase advances from any thread.
#[derive(Debug, Default)]
pub struct Counters {
    /// Work to do, when known (0: unknown yet).
    pub total: AtomicU64,
    /// Work done (bytes read, items mined).
    pub done: AtomicU64,
    /// Rows or other secondary count.
    pub rows: AtomicU64,
}

/// A running progress display; stops (and reports the end) when dropped.
#[derive(Debug)]
pub struct Progress {
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Shows progress of `phase` towards `total` units (`bytes` formats them as sizes).
    pub fn start(phase: &'static str, total: u64, bytes: bool) -> Progress {
        let counters = Arc::new(Counters::default());
        counters.total.store(total, Ordering::Relaxed);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (counters, stop) = (Arc::clone(&counters), Arc::clone(&stop));
            std::thread::Builder::new()
                .name(format!("progress-{phase}"))
                .spawn(move || {
                    if std::io::stderr().is_terminal() {
                        bar(phase, total, bytes, &counters, &stop);
                    } else {
                        log_lines(phase, bytes, &counters, &stop);
                    }
                })
                .ok()
        };
        Progress {
            counters,
            stop,
            thread,
        }
    }

    /// The counters to advance.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn bar(phase: &'static str, total: u64, bytes: bool, counters: &Counters, stop: &AtomicBool) {
    let template = if bytes {
        "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}"
    } else {
        "{prefix:>8} [{bar:30}] {pos}/{len} {msg} eta {eta}"
    };
    let pb = indicatif::ProgressBar::new(total).with_prefix(phase);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    while !stop.load(Ordering::Relaxed) {
        pb.set_length(counters.total.load(Ordering::Relaxed));
        pb.set_position(counters.done.load(Ordering::Relaxed));
        let rows = counters.rows.load(Ordering::Relaxed);
        if rows > 0 {
            pb.set_message(format!("{rows} rows"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pb.finish_and_clear();
}

fn log_lines(phase: &'static str, bytes: bool, counters: &Counters, stop: &AtomicBool) {
    let start = Instant::now();
    let mut next = Duration::from_secs(5);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() < next {
            continue;
        }
        next += Duration::from_secs(5);
        let done = counters.done.load(Ordering::Relaxed);
        let total = counters.total.load(Ordering::Relaxed);
        let share = if total == 0 {
            0.0
        } else {
            done as f64 / total as f64 * 100.0
        };
        let rows = counters.rows.load(Ordering::Relaxed);
        if bytes {
            tracing::info!(
                phase,
                "{:.0} of {:.0} MB ({share:.0}%), {rows} rows, {:.0?} so far",
                done as f64 / 1e6,
                total as f64 / 1e6,
                start.elapsed()
            );
        } else {
            tracing::info!(
                phase,
                "{done} of {total} ({share:.0}%), {:.0?} so far",
                start.elapsed()
            );
        }
    }
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
