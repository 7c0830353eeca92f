//! Transactions: the playlists of a dataset as sets of item ids, in one flat CSR array.

/// Transactions in CSR form: transaction `t` is `items[offsets[t]..offsets[t + 1]]`, each a set
/// of distinct item ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transactions {
    /// Start of each transaction in `items`, plus the end of the last one.
    pub offsets: Vec<usize>,
    /// Item ids, transaction after transaction.
    pub items: Vec<u32>,
}

impl Default for Transactions {
    /// No transactions (`offsets` holds the single 0 that CSR needs).
    fn default() -> Self {
        Transactions::new()
    }
}

impl Transactions {
    /// No transactions.
    pub fn new() -> Self {
        Transactions {
            offsets: vec![0],
            items: Vec::new(),
        }
    }

    /// Appends a transaction; `items` must be distinct.
    pub fn push(&mut self, items: &[u32]) {
        self.items.extend_from_slice(items);
        self.offsets.push(self.items.len());
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when there are no transactions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Transaction `t`.
    pub fn get(&self, t: usize) -> &[u32] {
        &self.items[self.offsets[t]..self.offsets[t + 1]]
    }

    /// Every transaction in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u32]> {
        (0..self.len()).map(|t| self.get(t))
    }
}
