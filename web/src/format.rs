//! How the page writes values for people and for its own markup.

/// A model id, shortened for reading (its first 12 characters).
pub(crate) fn short(version: &str) -> String {
    version.chars().take(12).collect()
}

/// `n` with its thousands grouped: `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A recommendation's source as the API spells it (`rule`, `popular`).
pub(crate) fn source_name(source: api::SourceName) -> &'static str {
    match source {
        api::SourceName::Rule => "rule",
        api::SourceName::Popular => "popular",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }

    #[test]
    fn sources_are_named_as_in_the_json() {
        for source in [api::SourceName::Rule, api::SourceName::Popular] {
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                super::source_name(source)
            );
        }
    }
}
