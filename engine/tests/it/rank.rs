//! Ranking against a brute-force oracle, and the behaviours users rely on.
//! Runs natively and under wasm.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::{Model, Options, Recommendation, Source, TrackId, normalize_name, recommend};

use crate::fixture::{self, fixture};
use crate::generated::{Rng, Shape, generate, seed_lists};

/// The ranking spelled out the slow way: scan every track and every rule.
pub(crate) fn oracle(
    model: &Model,
    seeds: &[String],
    k: usize,
) -> Vec<(String, Source, u32, Vec<String>)> {
    let resolve = |input: &str| -> Option<TrackId> {
        let by_uri = |u: &str| model.tracks().find(|t| t.uri == u).map(|t| t.id);
        by_uri(input).or_else(|| by_uri(input.trim())).or_else(|| {
            let key = normalize_name(input);
            if key.is_empty() {
                return None;
            }
            // Most popular = highest count, ties by lowest id (= URI order among equals).
            model
                .tracks()
                .filter(|t| normalize_name(t.name) == key)
                .max_by(|a, b| a.count.cmp(&b.count).then(b.id.cmp(&a.id)))
                .map(|t| t.id)
        })
    };
    let mut seed_ids: Vec<TrackId> = seeds.iter().filter_map(|s| resolve(s)).collect();
    seed_ids.sort();
    seed_ids.dedup();
    // Best rule per candidate: (confidence, lift, support) highest, then smallest antecedent.
    let mut best: Vec<(TrackId, f32, f32, u32, Vec<TrackId>)> = Vec::new();
    for rule in model.rules() {
        let ante: Vec<TrackId> = rule.antecedent.iter().collect();
        if !ante.iter().all(|t| seed_ids.contains(t)) || seed_ids.contains(&rule.consequent) {
            continue;
        }
        let entry = (
            rule.consequent,
            rule.confidence,
            rule.lift,
            rule.count,
            ante,
        );
        match best.iter_mut().find(|b| b.0 == rule.consequent) {
            None => best.push(entry),
            Some(b) => {
                let better = (entry.1, entry.2, entry.3) > (b.1, b.2, b.3)
                    || ((entry.1, entry.2, entry.3) == (b.1, b.2, b.3) && entry.4 < b.4);
                if better {
                    *b = entry;
                }
            }
        }
    }
    best.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(b.2.total_cmp(&a.2))
            .then(b.3.cmp(&a.3))
            .then(a.0.cmp(&b.0))
    });
    best.truncate(k);
    let mut out: Vec<(String, Source, u32, Vec<String>)> = best
        .iter()
        .map(|b| {
            let because = b.4.iter().map(|&t| model.track(t).uri.to_owned()).collect();
            (
                model.track(b.0).uri.to_owned(),
                Source::Rule,
                b.1.to_bits(),
                because,
            )
        })
        .collect();
    for t in model.tracks() {
        if out.len() >= k {
            break;
        }
        if !seed_ids.contains(&t.id) && !best.iter().any(|b| b.0 == t.id) {
            out.push((
                t.uri.to_owned(),
                Source::Popular,
                0f32.to_bits(),
                Vec::new(),
            ));
        }
    }
    out
}

pub(crate) fn summary(answer: &Recommendation<'_>) -> Vec<(String, Source, u32, Vec<String>)> {
    answer
        .tracks
        .iter()
        .map(|t| {
            (
                t.uri.to_owned(),
                t.source,
                t.score.to_bits(),
                t.because.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect()
}

#[test]
fn matches_the_oracle_on_a_generated_model() {
    let model = generate(&Shape {
        tracks: 800,
        rules: 4_000,
        playlists: 5_000,
        hot: 150,
        seed: 3,
    });
    let mut rng = Rng::new(11);
    let lists = seed_lists(&model, &mut rng, 150, 6);
    let mut fired = 0;
    for seeds in &lists {
        let k = 1 + rng.below(40) as usize;
        let answer = recommend(
            &model,
            seeds,
            &Options {
                k,
                ..Options::default()
            },
        );
        let expected = oracle(&model, seeds, k);
        assert_eq!(summary(&answer), expected, "seeds {seeds:?}, k {k}");
        fired += answer
            .tracks
            .iter()
            .filter(|t| t.source == Source::Rule)
            .count();
    }
    assert!(
        fired > 500,
        "the test should exercise rules, not just popularity ({fired} rule picks)"
    );
}

#[test]
fn matches_the_oracle_on_the_fixture() {
    let model = fixture();
    for (label, seeds, k) in fixture::cases() {
        let seeds: Vec<String> = seeds.iter().map(|s| (*s).to_owned()).collect();
        let answer = recommend(
            &model,
            &seeds,
            &Options {
                k,
                ..Options::default()
            },
        );
        assert_eq!(summary(&answer), oracle(&model, &seeds, k), "{label}");
    }
}

#[test]
fn resolution_and_reporting() {
    let model = fixture();
    let answer = recommend(
        &model,
        &["closer", "nope", "nope", fixture::CLOSER_NIN],
        &Options::default(),
    );
    let resolved: Vec<(&str, &str)> = answer
        .resolved
        .iter()
        .map(|r| (r.input.as_str(), r.artist))
        .collect();
    assert_eq!(
        resolved,
        [
            ("closer", "The Chainsmokers"),
            (fixture::CLOSER_NIN, "Nine Inch Nails")
        ]
    );
    assert_eq!(answer.unknown, ["nope"]);
    // Both Closers are seeds, so neither is recommended; each fires its own rules.
    assert!(answer.tracks.iter().all(|t| t.name != "Closer"));
    let hurt = answer
        .tracks
        .iter()
        .find(|t| t.name == "Hurt")
        .expect("NIN's rule fires");
    assert_eq!(hurt.because, [fixture::CLOSER_NIN]);
    assert_eq!(hurt.confidence, 0.5);
}

#[test]
fn multi_track_antecedents_need_every_track() {
    let model = fixture();
    let only_humble = recommend(
        &model,
        &["HUMBLE."],
        &Options {
            k: 20,
            ..Options::default()
        },
    );
    let brightside = only_humble
        .tracks
        .iter()
        .find(|t| t.name == "Mr. Brightside")
        .expect("listed");
    assert_eq!(
        brightside.source,
        Source::Popular,
        "{{HUMBLE., DNA.}} -> Brightside must not fire on HUMBLE. alone"
    );
    let both = recommend(
        &model,
        &["HUMBLE.", "DNA."],
        &Options {
            k: 1,
            ..Options::default()
        },
    );
    assert_eq!(both.tracks[0].name, "Mr. Brightside");
    assert_eq!(both.tracks[0].because, [fixture::HUMBLE, fixture::DNA]);
    assert_eq!(both.tracks[0].confidence, 0.6);
}

#[test]
fn popularity_fill_and_limits() {
    let model = fixture();
    let all = recommend(
        &model,
        &["No such"],
        &Options {
            k: 100,
            ..Options::default()
        },
    );
    assert_eq!(
        all.tracks.len(),
        model.track_count(),
        "k beyond the catalog returns every track once"
    );
    assert!(all.tracks.iter().all(|t| t.source == Source::Popular));
    assert!(
        all.tracks.windows(2).all(|w| w[0].support >= w[1].support),
        "most popular first"
    );
    let some = recommend(
        &model,
        &[fixture::HUMBLE],
        &Options {
            k: 100,
            ..Options::default()
        },
    );
    assert_eq!(
        some.tracks.len(),
        model.track_count() - 1,
        "never the seed itself"
    );
    let none = recommend(
        &model,
        &[fixture::HUMBLE],
        &Options {
            k: 0,
            ..Options::default()
        },
    );
    assert!(none.tracks.is_empty());
}

#[test]
fn default_k_is_ten() {
    let model = generate(&Shape {
        tracks: 50,
        rules: 30,
        playlists: 100,
        hot: 20,
        seed: 5,
    });
    let seeds: [&str; 0] = [];
    assert_eq!(
        recommend(&model, &seeds, &Options::default()).tracks.len(),
        10
    );
}
