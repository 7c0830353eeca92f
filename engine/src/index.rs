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

/// Inserts are grouped by the top `BUCKET_BITS` bits of their home slot, so that each group
/// writes one stretch of the table (at 2M keys: 16 KB) instead of random slots of a table
/// far larger than the caches.
const BUCKET_BITS: u32 = 11;

impl HashIndex {
    /// Indexes keys `0..n`. Fails with an id whose key repeats another's.
    ///
    /// Every key is hashed in id order (reading the pool front to back), the (hash, id) pairs
    /// are put in the order of their home slots' top bits by one counting pass (ids ascending
    /// within a group), and inserted in that order: a load's index costs cache hits, not one
    /// miss per key. The table depends only on the keys, so it is the same natively and in
    /// wasm.
    pub(crate) fn build<'a>(n: usize, key: impl Fn(usize) -> &'a str) -> Result<HashIndex, usize> {
        let size = (n * 2).next_power_of_two().max(8);
        let mask = size - 1;
        let shift = size.trailing_zeros().saturating_sub(BUCKET_BITS);
        let group = |h: u64| (h as usize & mask) >> shift;
        let hashes: Vec<u64> = (0..n).map(|id| hash(key(id))).collect();
        let mut starts = vec![0usize; (mask >> shift) + 2];
        for &h in &hashes {
            starts[group(h) + 1] += 1;
        }
        for g in 1..starts.len() {
            starts[g] += starts[g - 1];
        }
        let mut by_group = vec![(0u64, 0u32); n];
        for (id, &h) in hashes.iter().enumerate() {
            let at = &mut starts[group(h)];
            by_group[*at] = (h, id as u32);
            *at += 1;
        }
        drop(hashes);
        let mut slots = vec![0u64; size];
        for (h, id) in by_group {
            let tag = (h >> 32) as u32;
            let mut at = h as usize & mask;
            loop {
                let s = slots[at];
                if s == 0 {
                    slots[at] = slot(tag, id as usize);
                    break;
                }
                if (s >> 32) as u32 == tag && key((s as u32) as usize - 1) == key(id as usize) {
                    return Err(id as usize);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_and_nothing_else() {
        for n in [0, 1, 7, 5_000] {
            let keys: Vec<String> = (0..n).map(|i| format!("spotify:track:{i:x}")).collect();
            let Ok(index) = HashIndex::build(n, |i| keys[i].as_str()) else {
                panic!("no key repeats")
            };
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(index.get(k, |i| keys[i].as_str()), Some(i as u32));
            }
            assert_eq!(index.get("spotify:track:zz", |i| keys[i].as_str()), None);
        }
    }

    #[test]
    fn a_repeated_key_is_refused() {
        let keys = ["a", "b", "c", "b", "d"];
        assert_eq!(HashIndex::build(keys.len(), |i| keys[i]).err(), Some(3));
    }
}
