//! Parsing ahead: the CSV and basket readers parse on their own thread, a few buffers ahead of
//! the interning on the calling thread, and the buffers go back to the parser for reuse.
//!
//! The two halves cost about the same, so reading takes one core each.

use std::sync::mpsc;

/// Parsed buffers that may wait for the consumer.
const AHEAD: usize = 4;

/// The parsing thread's end: parsed buffers go out, used ones come back.
pub(super) struct Parser<T> {
    full: mpsc::SyncSender<T>,
    empty: mpsc::Receiver<T>,
}

impl<T> Parser<T> {
    /// A buffer the consumer is done with, if one has come back.
    pub(super) fn recycled(&self) -> Option<T> {
        self.empty.try_recv().ok()
    }

    /// Hands a parsed buffer to the consumer, waiting while [`AHEAD`] are queued. False when
    /// the consumer has hung up (it stopped early): then parsing should stop.
    pub(super) fn send(&self, buffer: T) -> bool {
        self.full.send(buffer).is_ok()
    }
}

/// The consumer's end: parsed buffers in order, and the way back for used ones.
pub(super) struct Consumer<T> {
    full: mpsc::Receiver<T>,
    empty: mpsc::Sender<T>,
}

impl<T> Consumer<T> {
    /// The parsed buffers in order, until the parser is done.
    pub(super) fn iter(&self) -> mpsc::Iter<'_, T> {
        self.full.iter()
    }

    /// Gives a used buffer back to the parser (dropped if the parser has finished).
    pub(super) fn recycle(&self, buffer: T) {
        let _ = self.empty.send(buffer);
    }
}

/// Runs `parse` on a thread of its own and `consume` on this one, and returns what `consume`
/// returns once both are done.
///
/// `consume` owns its end: when it returns early (at an error), the parser's next
/// [`Parser::send`] fails and the parser stops, instead of staying blocked on a full queue
/// while this function waits for its thread.
pub(super) fn parse_ahead<T: Send, R>(
    parse: impl FnOnce(Parser<T>) + Send,
    consume: impl FnOnce(Consumer<T>) -> R,
) -> R {
    let (full_tx, full_rx) = mpsc::sync_channel(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            parse(Parser {
                full: full_tx,
                empty: empty_rx,
            });
        });
        consume(Consumer {
            full: full_rx,
            empty: empty_tx,
        })
    })
}
