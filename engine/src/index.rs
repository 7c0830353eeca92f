//! Open-addressing hash index from a string key to a track or key id, built when a model is
//! loaded. Deterministic (XXH3 with a fixed seed, linear probing), so it behaves the same
//! natively and in wasm.

/// Slots hold `id + 1`; 0 is empty. The table is at most half full.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct HashIndex {
    slots: Vec<u32>,
}

fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl HashIndex {
    /// Indexes ids `0..n` by `key(id)`. Returns the first id whose key repeats an earlier one.
    pub(crate) fn build<'a>(n: usize, key: impl Fn(usize) -> &'a str) -> Result<HashIndex, usize> {
        let size = (n * 2).next_power_of_two().max(8);
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for id in 0..n {
            let k = key(id);
            let mut at = hash(k) as usize & mask;
            loop {
                match slots[at] {
                    0 => {
                        slots[at] = id as u32 + 1;
                        break;
                    }
                    other if key(other as usize - 1) == k => return Err(id),
                    _ => at = (at + 1) & mask,
                }
            }
        }
        Ok(HashIndex { slots })
    }

    /// The id whose key is `k`, given the same `key` function as at build time.
    pub(crate) fn get<'a>(&self, k: &str, key: impl Fn(usize) -> &'a str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash(k) as usize & mask;
        loop {
            match self.slots[at] {
                0 => return None,
                id if key(id as usize - 1) == k => return Some(id - 1),
                _ => at = (at + 1) & mask,
            }
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4
    }
}
