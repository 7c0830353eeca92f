//! The invariants of a model, checked on every decoded blob and on every built model.
//!
//! A model that passes cannot make ranking panic or index out of bounds, and it is canonical:
//! one content has exactly one valid layout, so equal models encode to equal bytes.

use crate::columns::StrPool;
use crate::error::InvalidModel;
use crate::model::{Model, meets_min_confidence, rule_scores};
use crate::rank::{AdaptiveRule, Strategy};

fn inconsistent(msg: String) -> InvalidModel {
    InvalidModel::Inconsistent(msg)
}

fn check_len(column: &'static str, found: usize, expected: usize) -> Result<(), InvalidModel> {
    if found == expected {
        Ok(())
    } else {
        Err(InvalidModel::LengthMismatch {
            column,
            expected: expected as u64,
            found: found as u64,
        })
    }
}

fn check_ids(column: &'static str, ids: &[u32], limit: usize) -> Result<(), InvalidModel> {
    match ids.iter().position(|&id| id as usize >= limit) {
        None => Ok(()),
        Some(index) => Err(InvalidModel::OutOfRange {
            column,
            index,
            value: u64::from(ids[index]),
            limit: limit as u64,
        }),
    }
}

/// The pool is strictly ascending: sorted, each string stored once.
fn check_sorted_pool(column: &'static str, pool: &StrPool) -> Result<(), InvalidModel> {
    for i in 1..pool.len() {
        if pool.get(i - 1) >= pool.get(i) {
            return Err(InvalidModel::NotSorted {
                column,
                index: i,
                detail: format!(": {:?} then {:?}", pool.get(i - 1), pool.get(i)),
            });
        }
    }
    Ok(())
}

/// The adaptive rule picks one of the other strategies, never `adaptive` itself.
pub(crate) fn check_adaptive(rule: &AdaptiveRule) -> Result<(), InvalidModel> {
    for (field, strategy) in [("few", rule.few), ("many", rule.many)] {
        if strategy == Strategy::Adaptive {
            return Err(InvalidModel::BadAdaptiveRule {
                field,
                found: strategy.name().to_owned(),
                why: "must be one of the other strategies (adaptive cannot pick itself)",
            });
        }
    }
    Ok(())
}

/// Checks every invariant of `m` (see the module documentation).
pub(crate) fn validate(m: &Model) -> Result<(), InvalidModel> {
    let (meta, c) = (&m.meta, &m.columns);
    for (name, value) in [
        ("min_support", meta.min_support),
        ("min_confidence", meta.min_confidence),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(inconsistent(format!(
                "metadata `{name}` = {value} is not within [0, 1]"
            )));
        }
    }
    if !is_rfc3339_utc(&meta.created_at) {
        return Err(inconsistent(format!(
            "metadata `created_at` = {:?} is not an RFC 3339 UTC time such as 2026-01-31T12:00:00Z",
            meta.created_at
        )));
    }

    check_adaptive(&meta.adaptive)?;

    // Tracks.
    let n = c.counts.len();
    check_len("uris", c.uris.len(), n)?;
    check_len("name_of", c.name_of.len(), n)?;
    check_len("artist_of", c.artist_of.len(), n)?;
    check_len("album_of", c.album_of.len(), n)?;
    check_ids("name_of", &c.name_of, c.names.len())?;
    check_ids("artist_of", &c.artist_of, c.artists.len())?;
    check_ids("album_of", &c.album_of, c.albums.len())?;
    check_sorted_pool("names", &c.names)?;
    check_sorted_pool("artists", &c.artists)?;
    check_sorted_pool("albums", &c.albums)?;
    for (i, &count) in c.counts.iter().enumerate() {
        if count == 0 || count > meta.playlists {
            return Err(inconsistent(format!(
                "track {i} ({:?}) is in {count} playlists, outside 1..={}",
                c.uris.get(i),
                meta.playlists
            )));
        }
        // Canonical order: most popular first, ties by URI.
        if i > 0 && (c.counts[i - 1], c.uris.get(i)) <= (count, c.uris.get(i - 1)) {
            return Err(InvalidModel::NotSorted {
                column: "tracks (by count descending, then URI)",
                index: i,
                detail: String::new(),
            });
        }
    }
    check_len("name_key_track", c.name_key_track.len(), c.name_keys.len())?;
    check_sorted_pool("name_keys", &c.name_keys)?;
    check_ids("name_key_track", &c.name_key_track, n)?;

    // Antecedents.
    let antes = c.ante_count.len();
    check_len("ante_by_first", c.ante_by_first.len(), n + 1)?;
    check_len("ante_tail_end", c.ante_tail_end.len(), antes)?;
    check_len("ante_rule_end", c.ante_rule_end.len(), antes)?;
    check_csr("ante_by_first", &c.ante_by_first, antes)?;
    check_ends("ante_tail_end", &c.ante_tail_end, c.ante_tail_items.len())?;
    check_ends("ante_rule_end", &c.ante_rule_end, c.rules.len())?;
    check_ids("ante_tail_items", &c.ante_tail_items, n)?;
    let max_ante_len = (meta.max_len as usize).saturating_sub(1);
    for first in 0..n {
        let run = c.ante_by_first[first] as usize..c.ante_by_first[first + 1] as usize;
        for a in run.clone() {
            let tail = m.tail_of(a);
            let mut prev = first as u32;
            for &t in tail {
                if t <= prev {
                    return Err(InvalidModel::UnsortedAntecedent { index: a });
                }
                prev = t;
            }
            if a > run.start && m.tail_of(a - 1) >= tail {
                return Err(InvalidModel::DuplicateAntecedent { index: a });
            }
            if 1 + tail.len() > max_ante_len {
                return Err(inconsistent(format!(
                    "antecedent {a} has {} tracks, more than max_len - 1 = {max_ante_len}",
                    1 + tail.len()
                )));
            }
            let count = c.ante_count[a];
            let min_item = std::iter::once(first as u32)
                .chain(tail.iter().copied())
                .map(|t| c.counts[t as usize])
                .min()
                .unwrap_or(0);
            if count == 0 || count > min_item {
                return Err(inconsistent(format!(
                    "antecedent {a} has count {count}, outside 1..={min_item} (the count of its rarest track)"
                )));
            }
            check_rules(m, a, first as u32, tail)?;
        }
    }
    Ok(())
}

fn check_rules(m: &Model, a: usize, first: u32, tail: &[u32]) -> Result<(), InvalidModel> {
    let c = &m.columns;
    let rules = m.rules_of(a);
    if rules.is_empty() {
        return Err(InvalidModel::EmptyAntecedentGroup { index: a });
    }
    let ante_count = c.ante_count[a];
    let n = c.counts.len();
    for r in rules.clone() {
        let rec = c.rules[r];
        let y = rec.consequent;
        if y as usize >= n {
            return Err(InvalidModel::OutOfRange {
                column: "rule_consequent",
                index: r,
                value: u64::from(y),
                limit: n as u64,
            });
        }
        if r > rules.start && c.rules[r - 1].consequent >= y {
            return Err(InvalidModel::NotSorted {
                column: "rule_consequent",
                index: r,
                detail: format!(" (consequents of antecedent {a})"),
            });
        }
        if y == first || tail.binary_search(&y).is_ok() {
            return Err(InvalidModel::ConsequentInAntecedent { index: r });
        }
        let count = rec.count;
        let y_count = c.counts[y as usize];
        if count < m.meta.min_count.max(1) || count > ante_count.min(y_count) {
            return Err(inconsistent(format!(
                "rule {r} has count {count}, outside {}..={} (min count; counts of its antecedent and consequent)",
                m.meta.min_count.max(1),
                ante_count.min(y_count)
            )));
        }
        let (confidence, lift) = (rec.confidence, rec.lift);
        if confidence.is_nan() {
            return Err(InvalidModel::NotANumber {
                column: "rule_confidence",
                index: r,
            });
        }
        if lift.is_nan() {
            return Err(InvalidModel::NotANumber {
                column: "rule_lift",
                index: r,
            });
        }
        let expected = rule_scores(count, ante_count, y_count, m.meta.playlists);
        if (confidence.to_bits(), lift.to_bits()) != (expected.0.to_bits(), expected.1.to_bits()) {
            return Err(inconsistent(format!(
                "rule {r} stores confidence {confidence} and lift {lift}, but its counts give {} and {}",
                expected.0, expected.1
            )));
        }
        if !meets_min_confidence(count, ante_count, m.meta.min_confidence) {
            return Err(inconsistent(format!(
                "rule {r} has confidence {confidence}, below the model's min_confidence {}",
                m.meta.min_confidence
            )));
        }
    }
    Ok(())
}

/// `offsets` is a CSR index (non-decreasing, first entry 0) whose last entry is `total`.
fn check_csr(column: &'static str, offsets: &[u32], total: usize) -> Result<(), InvalidModel> {
    if offsets.first() != Some(&0) {
        return Err(inconsistent(format!("`{column}` does not start at 0")));
    }
    check_ends(column, &offsets[1..], total)
}

/// `ends` is non-decreasing and its last entry (if any) is `total`.
fn check_ends(column: &'static str, ends: &[u32], total: usize) -> Result<(), InvalidModel> {
    if let Some(i) = ends.windows(2).position(|w| w[0] > w[1]) {
        return Err(InvalidModel::NotSorted {
            column,
            index: i + 1,
            detail: String::new(),
        });
    }
    let last = ends.last().map_or(0, |&e| e as usize);
    if last != total {
        return Err(inconsistent(format!(
            "`{column}` ends at {last}, but there are {total} entries"
        )));
    }
    Ok(())
}

/// Whether `s` is an RFC 3339 time in UTC as models store it:
/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with plausible field ranges.
///
/// ```
/// assert!(engine::is_rfc3339_utc("2026-11-28T12:00:00Z"));
/// assert!(!engine::is_rfc3339_utc("2026-11-28 12:00"));
/// ```
pub fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > 40 || !s.is_ascii() {
        return false;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[range];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let shape = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
    let fields = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(se)) = fields else {
        return false;
    };
    let tail = &s[19..];
    let tail_ok = tail == "Z"
        || (tail.len() >= 3
            && tail.starts_with('.')
            && tail.ends_with('Z')
            && tail[1..tail.len() - 1].bytes().all(|c| c.is_ascii_digit()));
    shape
        && (1..=12).contains(&mo)
        && (1..=31).contains(&d)
        && h < 24
        && mi < 60
        && se <= 60
        && tail_ok
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339_utc;

    #[test]
    fn rfc3339() {
        assert!(is_rfc3339_utc("2026-11-28T12:00:00Z"));
        assert!(is_rfc3339_utc("2026-11-28T12:00:00.123456Z"));
        assert!(!is_rfc3339_utc("2026-11-28 12:00:00Z"));
        assert!(!is_rfc3339_utc("2026-13-28T12:00:00Z"));
        assert!(!is_rfc3339_utc("2026-11-28T12:00:00+01:00"));
        assert!(!is_rfc3339_utc("2026-11-28T12:00:00.Z"));
        assert!(!is_rfc3339_utc(""));
        assert!(!is_rfc3339_utc("２026-11-28T12:00:00Z"));
    }
}
