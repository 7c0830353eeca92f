//! The model view's figures: rules per confidence decile and the rules of highest confidence.

/// Rules in the model view's list.
const TOP_RULES: usize = 10;

/// What the model view shows about a model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelStats {
    /// Rules per confidence decile: `[0, 0.1)`, ..., `[0.9, 1]`.
    pub(crate) histogram: [usize; 10],
    /// The rules of highest confidence (then lift, then playlists), best first.
    pub(crate) top_rules: Vec<TopRule>,
}

/// A rule, for people.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TopRule {
    /// Its seeds, as "name — artist".
    pub(crate) antecedent: Vec<String>,
    /// The track it recommends, as "name — artist".
    pub(crate) consequent: String,
    /// Its confidence.
    pub(crate) confidence: f32,
    /// Its lift.
    pub(crate) lift: f32,
    /// Playlists that contain all its tracks.
    pub(crate) count: u32,
}

impl ModelStats {
    /// The figures of `model`.
    pub(crate) fn of(model: &engine::Model) -> ModelStats {
        let mut histogram = [0usize; 10];
        let mut top: Vec<(f32, f32, u32, usize)> = Vec::new();
        for (i, rule) in model.rules().enumerate() {
            let bin = ((rule.confidence * 10.0) as usize).min(9);
            histogram[bin] += 1;
            top.push((rule.confidence, rule.lift, rule.count, i));
        }
        let n = top.len().min(TOP_RULES);
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
        ModelStats {
            histogram,
            top_rules: top_rules.into_iter().map(|(_, r)| r).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use engine::{ModelBuilder, ModelParams, RuleInput, TrackInput};

    use super::*;

    /// Rules `seed → t<i>` with confidence `counts[i] / 100`, every track in every playlist
    /// (so that lift equals confidence).
    fn model(counts: &[u32]) -> engine::Model {
        let mut b = ModelBuilder::new(ModelParams {
            created_at: "2026-01-01T00:00:00Z".into(),
            datasets: vec!["test".into()],
            playlists: 100,
            min_support: 0.01,
            min_count: 1,
            min_confidence: 0.01,
            max_len: 2,
            miner_version: "test".into(),
            adaptive: engine::AdaptiveRule::BUILT_IN,
        });
        let mut track = |uri: String| {
            b.add_track(TrackInput {
                name: uri.to_uppercase(),
                uri,
                artist: "A".into(),
                album: "B".into(),
                count: 100,
            })
        };
        let seed = track("seed".into());
        let consequents: Vec<u32> = (0..counts.len()).map(|i| track(format!("t{i}"))).collect();
        for (&count, consequent) in counts.iter().zip(consequents) {
            b.add_rule(RuleInput {
                antecedent: vec![seed],
                consequent,
                count,
                antecedent_count: 100,
            });
        }
        b.build().expect("builds")
    }

    #[test]
    fn rules_are_counted_by_decile_and_the_best_listed_first() {
        let stats = ModelStats::of(&model(&[5, 15, 95, 25, 35, 45, 55, 65, 75, 85, 55, 100]));
        assert_eq!(stats.histogram, [1, 1, 1, 1, 1, 2, 1, 1, 1, 2]);
        let listed: Vec<(u32, &str)> = stats
            .top_rules
            .iter()
            .map(|r| ((r.confidence * 100.0).round() as u32, r.consequent.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                (100, "T11 — A"),
                (95, "T2 — A"),
                (85, "T9 — A"),
                (75, "T8 — A"),
                (65, "T7 — A"),
                // A tie to the last: the model's order (equally popular tracks by URI).
                (55, "T10 — A"),
                (55, "T6 — A"),
                (45, "T5 — A"),
                (35, "T4 — A"),
                (25, "T3 — A"),
            ]
        );
        assert!(stats.top_rules.iter().all(|r| r.antecedent == ["SEED — A"]));
    }

    #[test]
    fn a_model_without_rules_has_empty_figures() {
        let stats = ModelStats::of(&model(&[]));
        assert_eq!(stats.histogram, [0; 10]);
        assert!(stats.top_rules.is_empty());
    }
}
