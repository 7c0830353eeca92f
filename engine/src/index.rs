//! Open-addressing hash index from a string key to a track id, built when a model is
//! loaded. Deterministic (XXH3 with a fixed seed, linear probing), so it behaves the same
//! natively and in wasm.

/// Each slot holds a tag (the high 32 bits of the key's hash) and `id + 1` (0: empty), so
/// that a probe compares strings only when the tags agree: a lookup that misses (a song name
/// tried against the URI index) almost never reads the string pool, and a hit usually reads
/// one string. The table is at most half full.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct HashIndex {
    slots: Vec<u64>,
}

fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

fn slot(tag: u32, id: usize) -> u64 {
    (u64::from(tag) << 32) | (id as u64 + 1)
}

impl HashIndex {
    /// Indexes keys `0..n`. Fails with the first id whose key repeats an earlier one.
    pub(crate) fn build<'a>(n: usize, key: impl Fn(usize) -> &'a str) -> Result<HashIndex, usize> {
        let size = (n * 2).next_power_of_two().max(8);
        let mask = size - 1;
        let mut slots = vec![0u64; size];
        for id in 0..n {
            let k = key(id);
            let h = hash(k);
            let tag = (h >> 32) as u32;
            let mut at = h as usize & mask;
            loop {
                let s = slots[at];
                if s == 0 {
                    slots[at] = slot(tag, id);
                    break;
                }
                if (s >> 32) as u32 == tag && key((s as u32) as usize - 1) == k {
                    return Err(id);
                }
                at = (at + 1) & mask;
            }
        }
        Ok(HashIndex { slots })
    }

    /// The id whose key equals `k`.
    pub(crate) fn get<'a>(&self, k: &str, key: impl Fn(usize) -> &'a str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let h = hash(k);
        let tag = (h >> 32) as u32;
        let mut at = h as usize & mask;
        loop {
            let s = self.slots[at];
            if s == 0 {
                return None;
            }
            let id = s as u32;
            if (s >> 32) as u32 == tag && key(id as usize - 1) == k {
                return Some(id - 1);
            }
            at = (at + 1) & mask;
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 8
    }
}
