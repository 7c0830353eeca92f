//! The browser's own engine: the blob decoded in wasm, answers built in the server's shape, the
//! comparison of both answers, and the figures of the model view.

use std::borrow::Cow;

use api::RecommendResponse;

use crate::format::source_name;

/// A model decoded in the browser, with what the page shows about it.
#[derive(Debug)]
pub(crate) struct LocalModel {
    pub(crate) model: engine::Model,
    /// Rules per confidence decile: `[0, 0.1)`, ..., `[0.9, 1]`.
    pub(crate) histogram: [usize; 10],
    pub(crate) top_rules: Vec<TopRule>,
}

/// A rule, for people.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TopRule {
    pub(crate) antecedent: Vec<String>,
    pub(crate) consequent: String,
    pub(crate) confidence: f32,
    pub(crate) lift: f32,
    pub(crate) count: u32,
}

impl LocalModel {
    /// Decodes and validates `blob` (the same checks as the server's).
    pub(crate) fn decode(blob: &[u8]) -> Result<LocalModel, engine::DecodeError> {
        let model = engine::Model::from_blob(blob)?;
        let mut histogram = [0usize; 10];
        let mut top: Vec<(f32, f32, u32, usize)> = Vec::new();
        for (i, rule) in model.rules().enumerate() {
            let bin = ((rule.confidence * 10.0) as usize).min(9);
            histogram[bin] += 1;
            top.push((rule.confidence, rule.lift, rule.count, i));
        }
        let n = top.len().min(10);
        let order = |a: &(f32, f32, u32, usize), b: &(f32, f32, u32, usize)| {
            b.0.total_cmp(&a.0)
                .then(b.1.total_cmp(&a.1))
                .then(b.2.cmp(&a.2))
                .then(a.3.cmp(&b.3))
        };
        if top.len() > n && n > 0 {
            top.select_nth_unstable_by(n - 1, order);
        }
        top.truncate(n);
        top.sort_unstable_by(order);
        let wanted: Vec<usize> = top.iter().map(|t| t.3).collect();
        let label = |id: engine::TrackId| {
            let t = model.track(id);
            format!("{} — {}", t.name, t.artist)
        };
        let mut top_rules: Vec<(usize, TopRule)> = model
            .rules()
            .enumerate()
            .filter_map(|(i, r)| {
                let rank = wanted.iter().position(|&w| w == i)?;
                Some((
                    rank,
                    TopRule {
                        antecedent: r.antecedent.iter().map(label).collect(),
                        consequent: label(r.consequent),
                        confidence: r.confidence,
                        lift: r.lift,
                        count: r.count,
                    },
                ))
            })
            .collect();
        top_rules.sort_by_key(|(rank, _)| *rank);
        Ok(LocalModel {
            model,
            histogram,
            top_rules: top_rules.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The model id.
    pub(crate) fn version(&self) -> &str {
        self.model.id()
    }

    /// Ranks `songs` in the browser with `strategy` (the one the server was asked for), in
    /// the server's answer type, built as the server builds it.
    pub(crate) fn recommend(
        &self,
        songs: &[String],
        k: usize,
        strategy: engine::Strategy,
    ) -> RecommendResponse<'static> {
        let options = engine::Options { k, strategy };
        let answer = engine::recommend(&self.model, songs, &options);
        owned(RecommendResponse::new(answer, &self.model))
    }
}

/// `response` with its own strings, to outlive the model it borrows from.
fn owned(response: RecommendResponse<'_>) -> RecommendResponse<'static> {
    fn own(s: Cow<'_, str>) -> Cow<'static, str> {
        Cow::Owned(s.into_owned())
    }
    RecommendResponse {
        songs: response.songs.into_iter().map(own).collect(),
        tracks: response
            .tracks
            .into_iter()
            .map(|t| api::RecommendedTrack {
                uri: own(t.uri),
                name: own(t.name),
                artist: own(t.artist),
                score: t.score,
                confidence: t.confidence,
                lift: t.lift,
                support: t.support,
                source: t.source,
                because: t.because.into_iter().map(own).collect(),
            })
            .collect(),
        resolved: response
            .resolved
            .into_iter()
            .map(|s| api::ResolvedSeed {
                input: s.input,
                uri: own(s.uri),
                name: own(s.name),
                artist: own(s.artist),
            })
            .collect(),
        unknown: response.unknown,
        version: own(response.version),
        model_date: own(response.model_date),
    }
}

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
