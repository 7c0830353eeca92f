//! Song-name normalisation: how a typed name is matched against the catalog.

use unicode_normalization::UnicodeNormalization;

/// The key a song name is matched by: Unicode NFKC, case-folded, trimmed, with every run of
/// inner whitespace collapsed to a single space.
///
/// ```
/// assert_eq!(engine::normalize_name("  Mr.   Brightside "), "mr. brightside");
/// assert_eq!(engine::normalize_name("ＣＬＯＳＥＲ"), "closer"); // full-width letters (NFKC)
/// assert_eq!(engine::normalize_name("Straße"), "strasse"); // full case folding
/// ```
pub fn normalize_name(name: &str) -> String {
    if name.is_ascii() {
        // NFKC and case folding are the identity and `to_ascii_lowercase` on ASCII: one
        // allocation, no per-word strings (unknown seeds come through here on every request).
        let mut out = String::with_capacity(name.len());
        for word in name.split_ascii_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        }
        return out;
    }
    let nfkc: String = name.nfkc().collect();
    let folded = caseless::default_case_fold_str(&nfkc);
    // Case folding can produce sequences that are no longer NFKC-normal; normalise again.
    let renormalized: String = folded.nfkc().collect();
    collapse_whitespace(renormalized.split_whitespace().map(str::to_owned))
}

fn collapse_whitespace(words: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for word in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn ascii_and_unicode_paths_agree() {
        for name in ["Closer", " HUMBLE. ", "a\t\tb\nc", "", "   "] {
            let unicode_path: String = {
                let s: String = unicode_normalization::UnicodeNormalization::nfkc(name).collect();
                caseless::default_case_fold_str(&s)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            assert_eq!(normalize_name(name), unicode_path, "{name:?}");
        }
    }

    #[test]
    fn unicode_names() {
        assert_eq!(normalize_name("Beyoncé"), normalize_name("BEYONCE\u{301}"));
        assert_eq!(normalize_name("Ⅻ"), "xii");
        assert_eq!(
            normalize_name("\u{3000}Ólafur\u{3000}Arnalds "),
            "ólafur arnalds"
        );
        assert_eq!(normalize_name("ΣΊΣΥΦΟΣ"), normalize_name("σίσυφος"));
    }
}
