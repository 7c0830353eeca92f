//! Track search for the test page: every word of the query must occur in the song or artist
//! name (anywhere: prefix or substring), ignoring case and accents; results come in popularity
//! order.
//!
//! Built once per model, off the request path: each track's folded "name artist" text in
//! one arena, and a trigram index (posting lists of track ids, ascending, so in popularity
//! order). A query walks the intersection of its posting lists, shortest first, and checks
//! each candidate's text, stopping at `limit` matches: the most popular ones come first, so common
//! queries end early and rare ones have short lists.

use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use engine::{Model, TrackId};

/// The search index of one model.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Folded texts of every track, back to back.
    text: String,
    /// `text[ends[i - 1]..ends[i]]` is track i's text.
    ends: Vec<u32>,
    /// Trigram -> its posting list `postings[starts[k]..starts[k + 1]]`.
    trigrams: FxHashMap<u32, u32>,
    starts: Vec<u32>,
    postings: Vec<u32>,
}

/// Separates name and artist in a track's text, so no word matches across the two.
const SEPARATOR: char = '\u{1f}';

impl Catalog {
    /// Indexes every track of `model`.
    pub fn new(model: &Model) -> Catalog {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(model.track_count());
        for track in model.tracks() {
            fold_into(track.name, &mut text);
            text.push(SEPARATOR);
            fold_into(track.artist, &mut text);
            ends.push(u32::try_from(text.len()).expect("catalog text under 4 GiB"));
        }
        let mut catalog = Catalog {
            text,
            ends,
            ..Catalog::default()
        };
        catalog.index();
        catalog
    }

    /// Counts each track's distinct trigrams, then fills the posting lists in track order
    /// (two passes, no temporary list of pairs).
    fn index(&mut self) {
        let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
        let mut grams = Vec::new();
        for i in 0..self.ends.len() {
            track_trigrams(self.text_of(i), &mut grams);
            for &g in &grams {
                *counts.entry(g).or_default() += 1;
            }
        }
        let mut keys: Vec<u32> = counts.keys().copied().collect();
        keys.sort_unstable();
        let mut starts = Vec::with_capacity(keys.len() + 1);
        let mut total = 0u32;
        for (k, key) in keys.iter().enumerate() {
            starts.push(total);
            total += counts[key];
            self.trigrams.insert(*key, k as u32);
        }
        starts.push(total);
        let mut fill = starts.clone();
        let mut postings = vec![0u32; total as usize];
        for i in 0..self.ends.len() {
            track_trigrams(self.text_of(i), &mut grams);
            for g in &grams {
                let k = self.trigrams[g] as usize;
                postings[fill[k] as usize] = i as u32;
                fill[k] += 1;
            }
        }
        self.starts = starts;
        self.postings = postings;
    }

    fn text_of(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn postings_of(&self, gram: u32) -> &[u32] {
        match self.trigrams.get(&gram) {
            Some(&k) => {
                let k = k as usize;
                &self.postings[self.starts[k] as usize..self.starts[k + 1] as usize]
            }
            None => &[],
        }
    }

    /// Up to `limit` tracks whose name or artist contains every word of `query`, most
    /// popular first. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<TrackId> {
        let mut folded = String::new();
        fold_into(query, &mut folded);
        let words: Vec<&str> = folded.split_whitespace().collect();
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let matches = |i: u32| {
            let text = self.text_of(i as usize);
            words.iter().all(|w| text.contains(w))
        };
        let mut lists: Vec<&[u32]> = Vec::new();
        let mut grams = Vec::new();
        for word in &words {
            trigrams(word, &mut grams);
            lists.extend(grams.iter().map(|&g| self.postings_of(g)));
        }
        let mut found = Vec::new();
        if lists.is_empty() {
            // Only words under three bytes: check tracks in popularity order.
            for i in 0..self.ends.len() as u32 {
                if matches(i) {
                    found.push(TrackId(i));
                    if found.len() == limit {
                        break;
                    }
                }
            }
            return found;
        }
        lists.sort_unstable_by_key(|l| l.len());
        lists.dedup_by(|a, b| std::ptr::eq(*a, *b));
        let (shortest, others) = lists.split_first().expect("not empty");
        let mut cursors = vec![0usize; others.len()];
        'candidates: for &i in *shortest {
            // Gallop through every other list (all ascending): a candidate must hold every
            // trigram of the query before its text is checked.
            for (list, at) in others.iter().zip(cursors.iter_mut()) {
                *at += gallop(&list[*at..], i);
                match list.get(*at) {
                    Some(&x) if x == i => {}
                    Some(_) => continue 'candidates,
                    None => break 'candidates,
                }
            }
            if matches(i) {
                found.push(TrackId(i));
                if found.len() == limit {
                    break;
                }
            }
        }
        found
    }

    /// Heap bytes held by the index.
    pub fn memory(&self) -> usize {
        self.text.capacity()
            + 4 * (self.ends.capacity() + self.starts.capacity() + self.postings.capacity())
            + self.trigrams.capacity() * 12
    }
}

/// Index of the first element of ascending `list` that is `>= target` (`list.len()` if none).
fn gallop(list: &[u32], target: u32) -> usize {
    let mut bound = 1;
    while bound < list.len() && list[bound - 1] < target {
        bound *= 2;
    }
    let low = bound / 2;
    let high = bound.min(list.len());
    low + list[low..high].partition_point(|&x| x < target)
}

/// Appends `s` case- and accent-folded: compatibility decomposition (NFKD), combining marks
/// dropped, lower case, whitespace runs as one space. "Beyoncé" and "BEYONCE" fold alike.
pub fn fold_into(s: &str, out: &mut String) {
    let mut space = true;
    if s.is_ascii() {
        // NFKD and combining marks do nothing to ASCII: lower case and spacing only.
        for b in s.bytes() {
            if char::from(b).is_whitespace() || b == SEPARATOR as u8 {
                if !space {
                    out.push(' ');
                    space = true;
                }
            } else {
                space = false;
                out.push(char::from(b.to_ascii_lowercase()));
            }
        }
        if out.ends_with(' ') {
            out.pop();
        }
        return;
    }
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() || c == SEPARATOR {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// The byte trigrams of `word`, as 24-bit keys.
fn trigrams(word: &str, out: &mut Vec<u32>) {
    out.clear();
    push_trigrams(word, out);
}

fn push_trigrams(word: &str, out: &mut Vec<u32>) {
    out.extend(
        word.as_bytes()
            .windows(3)
            .map(|w| (u32::from(w[0]) << 16) | (u32::from(w[1]) << 8) | u32::from(w[2])),
    );
}

/// The distinct trigrams of every word of a track's text.
fn track_trigrams(text: &str, out: &mut Vec<u32>) {
    out.clear();
    for word in text.split([' ', SEPARATOR]) {
        push_trigrams(word, out);
    }
    out.sort_unstable();
    out.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_spacing() {
        let fold = |s: &str| {
            let mut out = String::new();
            fold_into(s, &mut out);
            out
        };
        assert_eq!(fold("  Beyoncé\tKNOWLES "), "beyonce knowles");
        assert_eq!(fold("Ｍｏｔｏｒｈｅａｄ"), "motorhead");
        assert_eq!(fold("Sigur Rós"), "sigur ros");
        // The ASCII path agrees with the general one.
        for s in [
            "  Mr.  Brightside\t",
            "ABC\u{1f}def",
            "a\u{b}b",
            "",
            " ",
            "x",
        ] {
            let mut general = String::new();
            for c in s.chars() {
                general.push(c);
            }
            general.push('é');
            let folded = fold(&general);
            assert_eq!(folded.trim_end_matches('e').trim_end(), fold(s), "{s:?}");
        }
    }

    #[test]
    fn gallop_finds_the_first_not_below() {
        let list = [1, 3, 5, 7, 9, 11];
        for target in 0..13 {
            let want = list.iter().position(|&x| x >= target).unwrap_or(list.len());
            assert_eq!(gallop(&list, target), want, "target {target}");
        }
        assert_eq!(gallop(&[], 4), 0);
    }
}
