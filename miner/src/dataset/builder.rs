//! The dataset under construction: the readers intern a playlist's tracks into `current`, and
//! each playlist's end turns it into a transaction (and, when asked, its reading order).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::intern::Interner;
use super::{Dataset, Transactions};
use crate::progress::Counters;

/// How many skip reasons are kept for the report.
const MAX_REASONS: usize = 5;

/// What the readers fill in, file after file.
#[derive(Default)]
pub(super) struct Builder {
    /// Item ids and tracks.
    pub(super) intern: Interner,
    transactions: Transactions,
    /// The playlist being read: item ids as read, repeats included.
    pub(super) current: Vec<u32>,
    /// Playlist entries read.
    pub(super) rows: u64,
    skipped: u64,
    skip_reasons: Vec<String>,
    /// The labels of the files read.
    pub(super) labels: Vec<String>,
    /// Where reading reports its progress (bytes and rows).
    pub(super) progress: Arc<Counters>,
    /// Playlists in reading order, when asked for.
    order: Option<Transactions>,
    seen: rustc_hash::FxHashSet<u32>,
    ordered: Vec<u32>,
}

impl Builder {
    /// A builder that reports to `progress` and, with `keep_order`, also keeps each playlist
    /// in reading order.
    pub(super) fn new(progress: Arc<Counters>, keep_order: bool) -> Self {
        Builder {
            progress,
            order: keep_order.then(Transactions::new),
            ..Builder::default()
        }
    }

    /// Ends the playlist in `current` (nothing when it is empty).
    pub(super) fn end_playlist(&mut self) {
        self.progress.rows.store(self.rows, Ordering::Relaxed);
        if !self.current.is_empty() {
            if let Some(order) = &mut self.order {
                self.seen.clear();
                self.ordered.clear();
                for &t in &self.current {
                    if self.seen.insert(t) {
                        self.ordered.push(t);
                    }
                }
                order.push(&self.ordered);
            }
            self.current.sort_unstable();
            self.current.dedup();
            self.transactions.push(&self.current);
            self.current.clear();
        }
    }

    /// Counts a skipped row (or file), keeping the first few reasons.
    pub(super) fn skip(&mut self, reason: String) {
        self.skipped += 1;
        if self.skip_reasons.len() < MAX_REASONS {
            self.skip_reasons.push(reason);
        }
    }

    /// Ends the last playlist and hands the dataset over.
    pub(super) fn finish(mut self) -> Dataset {
        self.end_playlist();
        Dataset {
            labels: self.labels,
            tracks: self.intern.tracks,
            transactions: self.transactions,
            order: self.order,
            rows: self.rows,
            skipped: self.skipped,
            skip_reasons: self.skip_reasons,
        }
    }
}
