//! How the page writes values for people and for its own markup.

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
    fn sources_are_named_as_in_the_json() {
        for source in [api::SourceName::Rule, api::SourceName::Popular] {
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                super::source_name(source)
            );
        }
    }
}
