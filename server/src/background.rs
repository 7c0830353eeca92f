//! Work a replica does beside serving, on threads of lower priority (nice +10: about a tenth
//! of a busy core's share): building a new model's search index, and copying a new blob into
//! the cache directory. Both follow a swap, when requests are being served and the replicas
//! beside this one on the same node may still be decoding the same model; neither is needed
//! to serve recommendations.

use std::thread::JoinHandle;

/// The nice value of the background threads.
const NICE: i32 = 10;

/// Runs `work` on a new thread named `name`, at the lower priority.
pub(crate) fn spawn(
    name: &str,
    work: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let tid = rustix::thread::gettid();
            if let Err(e) = rustix::process::setpriority_process(Some(tid), NICE) {
                tracing::debug!(error = %e, "cannot lower a background thread's priority");
            }
            work();
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_work_runs_on_a_named_thread_of_lower_priority() {
        let (tx, rx) = std::sync::mpsc::channel();
        spawn("low-test", move || {
            let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid()));
            let name = std::thread::current().name().map(str::to_owned);
            tx.send((name, nice)).expect("the test waits");
        })
        .expect("spawns")
        .join()
        .expect("joins");
        let (name, nice) = rx.recv().expect("the work ran");
        assert_eq!(name.as_deref(), Some("low-test"));
        // At least +10: a process started at a lower priority still is.
        assert!(nice.expect("reads its own priority") >= NICE);
    }
}
