//! The verdict: the server's answer and the browser's compared field by field.

use api::RecommendResponse;

use crate::format::source_name;

/// How the browser's answer compares with the server's.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Same tracks, in the same order, with the same scores, sources and reasons.
    Identical { tracks: usize },
    /// The answers differ at these places.
    Differs(Vec<Difference>),
    /// The two answers come from different models: nothing to compare yet.
    OtherModel { server: String, browser: String },
}

/// One place where the answers differ.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Difference {
    /// 1-based position in the list; 0 for the seeds.
    pub(crate) position: usize,
    /// What differs there.
    pub(crate) what: String,
}

/// Compares two answers field by field (scores exactly: both are the same `f32`s).
pub(crate) fn compare(server: &RecommendResponse<'_>, browser: &RecommendResponse<'_>) -> Verdict {
    if server.version != browser.version {
        return Verdict::OtherModel {
            server: server.version.clone().into_owned(),
            browser: browser.version.clone().into_owned(),
        };
    }
    let mut differences = Vec::new();
    if server.resolved != browser.resolved || server.unknown != browser.unknown {
        differences.push(Difference {
            position: 0,
            what: "the seeds resolve differently".into(),
        });
    }
    let n = server.tracks.len().max(browser.tracks.len());
    for i in 0..n {
        let what = match (server.tracks.get(i), browser.tracks.get(i)) {
            (Some(s), Some(b)) if s == b => continue,
            (Some(s), Some(b)) if s.uri != b.uri => {
                format!("server: {} — browser: {}", s.name, b.name)
            }
            (Some(s), Some(b)) => {
                let mut fields = Vec::new();
                if s.score.to_bits() != b.score.to_bits() {
                    fields.push(format!("score {} vs {}", s.score, b.score));
                }
                if s.confidence.to_bits() != b.confidence.to_bits() {
                    fields.push(format!("confidence {} vs {}", s.confidence, b.confidence));
                }
                if s.lift.to_bits() != b.lift.to_bits() {
                    fields.push(format!("lift {} vs {}", s.lift, b.lift));
                }
                if s.support != b.support {
                    fields.push(format!("support {} vs {}", s.support, b.support));
                }
                if s.source != b.source {
                    fields.push(format!(
                        "source {} vs {}",
                        source_name(s.source),
                        source_name(b.source)
                    ));
                }
                if s.because != b.because {
                    fields.push("the rule behind it".into());
                }
                if s.name != b.name || s.artist != b.artist {
                    fields.push("its name".into());
                }
                format!("{}: {}", s.name, fields.join(", "))
            }
            (Some(s), None) => format!("only the server has {}", s.name),
            (None, Some(b)) => format!("only the browser has {}", b.name),
            (None, None) => continue,
        };
        differences.push(Difference {
            position: i + 1,
            what,
        });
    }
    if differences.is_empty() {
        Verdict::Identical {
            tracks: server.tracks.len(),
        }
    } else {
        Verdict::Differs(differences)
    }
}

#[cfg(test)]
mod tests {
    use api::{RecommendedTrack, SourceName};

    use super::*;

    fn track(uri: &str, score: f32) -> RecommendedTrack<'static> {
        RecommendedTrack {
            uri: uri.to_owned().into(),
            name: uri.to_uppercase().into(),
            artist: "A".into(),
            score,
            confidence: score,
            lift: 2.0,
            support: 10,
            source: SourceName::Rule,
            because: vec!["s".into()],
        }
    }

    fn answer(tracks: Vec<RecommendedTrack<'static>>) -> RecommendResponse<'static> {
        RecommendResponse {
            songs: tracks.iter().map(|t| t.name.clone()).collect(),
            tracks,
            resolved: Vec::new(),
            unknown: vec!["x".into()],
            version: "v1".into(),
            model_date: "2026-11-28T00:00:00Z".into(),
        }
    }

    #[test]
    fn identical_answers_agree() {
        let a = answer(vec![track("a", 0.5), track("b", 0.25)]);
        assert_eq!(compare(&a, &a.clone()), Verdict::Identical { tracks: 2 });
    }

    #[test]
    fn every_kind_of_difference_is_located() {
        let server = answer(vec![track("a", 0.5), track("b", 0.25), track("c", 0.1)]);
        let mut browser = server.clone();
        browser.tracks[1].score = f32::from_bits(0.25f32.to_bits() + 1);
        browser.tracks[2] = track("d", 0.1);
        browser.tracks.push(track("e", 0.05));
        browser.unknown.clear();
        let Verdict::Differs(d) = compare(&server, &browser) else {
            panic!("should differ");
        };
        let positions: Vec<usize> = d.iter().map(|d| d.position).collect();
        assert_eq!(positions, [0, 2, 3, 4]);
        assert!(d[1].what.contains("score 0.25 vs 0.25000003"), "{:?}", d[1]);
        assert!(d[2].what.contains("server: C — browser: D"), "{:?}", d[2]);
        assert!(d[3].what.contains("only the browser has E"), "{:?}", d[3]);
    }

    #[test]
    fn answers_of_different_models_are_not_compared() {
        let server = answer(vec![track("a", 0.5)]);
        let mut browser = server.clone();
        browser.version = "v2".into();
        assert!(matches!(
            compare(&server, &browser),
            Verdict::OtherModel { .. }
        ));
    }
}
