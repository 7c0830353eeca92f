//! Ranking against a brute-force oracle, and the behaviours users rely on.
//! Runs natively and under wasm.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::{
    AdaptiveRule, Model, Options, Recommendation, Source, Strategy, TrackId, normalize_name,
    recommend,
};
use testkit::fixture::{self, fixture};
use testkit::{Shape, generate, generate_with_rule, rng, seed_lists};

/// What the oracle keeps of a rule that fires: confidence, lift, support as a share of the
/// playlists.
type Fired = (f32, f32, f64);

/// A strategy's score spelled out from the confidences, lifts and support shares of the rules
/// that fire, in firing order (antecedents lexicographic, as `Model::rules` lists them).
fn oracle_score(strategy: Strategy, fired: &[Fired]) -> f32 {
    let c = |&(c, _, _): &Fired| f64::from(c);
    match strategy {
        Strategy::Original | Strategy::BestConfidence => {
            fired.iter().map(|f| f.0).fold(0.0, f32::max)
        }
        Strategy::Sum => fired.iter().map(c).sum::<f64>() as f32,
        Strategy::NoisyOr => (1.0 - fired.iter().map(|f| 1.0 - c(f)).product::<f64>()) as f32,
        Strategy::LiftWeighted => fired
            .iter()
            .map(|&(c, l, _)| (f64::from(c) * f64::from(l)).sqrt())
            .sum::<f64>() as f32,
        // √(lift × support) is n(X ∪ y) / √(n(X) n(y)), up to the rounding of the lift.
        Strategy::Cosine => fired
            .iter()
            .map(|&(_, l, s)| (f64::from(l) * s).sqrt())
            .sum::<f64>() as f32,
        other => unreachable!("no oracle for {other:?}"),
    }
}

/// The ranking spelled out the slow way: scan every track and every rule.
pub(crate) fn oracle(
    model: &Model,
    seeds: &[String],
    k: usize,
    strategy: Strategy,
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
    // The adaptive default scores as the model rule's `few` strategy up to `max_few_seeds`
    // distinct resolved seeds, as its `many` strategy above.
    let rule = model.metadata().adaptive;
    let strategy = match strategy {
        Strategy::Adaptive if seed_ids.len() <= rule.max_few_seeds as usize => rule.few,
        Strategy::Adaptive => rule.many,
        other => other,
    };
    // Best rule per candidate: (confidence, lift, support) highest, then smallest antecedent;
    // and every rule that fires for it, in order.
    type Best = (TrackId, f32, f32, u32, Vec<TrackId>);
    let mut best: Vec<Best> = Vec::new();
    let mut fired: Vec<(TrackId, Vec<Fired>)> = Vec::new();
    let playlists = f64::from(model.metadata().playlists.max(1));
    for rule in model.rules() {
        let ante: Vec<TrackId> = rule.antecedent.iter().collect();
        if !ante.iter().all(|t| seed_ids.contains(t)) || seed_ids.contains(&rule.consequent) {
            continue;
        }
        if strategy == Strategy::Original && ante.len() > 1 {
            continue;
        }
        let scores = (
            rule.confidence,
            rule.lift,
            f64::from(rule.count) / playlists,
        );
        match fired.iter_mut().find(|f| f.0 == rule.consequent) {
            Some(f) => f.1.push(scores),
            None => fired.push((rule.consequent, vec![scores])),
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
    let score = |t: TrackId| {
        let rules = &fired.iter().find(|f| f.0 == t).expect("fired").1;
        oracle_score(strategy, rules)
    };
    let mut ranked: Vec<(f32, &Best)> = best.iter().map(|b| (score(b.0), b)).collect();
    ranked.sort_by(|(sa, a), (sb, b)| {
        sb.total_cmp(sa)
            .then(b.2.total_cmp(&a.2))
            .then(b.3.cmp(&a.3))
            .then(a.0.cmp(&b.0))
    });
    ranked.truncate(k);
    let mut out: Vec<(String, Source, u32, Vec<String>)> = ranked
        .iter()
        .map(|(score, b)| {
            let because = b.4.iter().map(|&t| model.track(t).uri.to_owned()).collect();
            (
                model.track(b.0).uri.to_owned(),
                Source::Rule,
                score.to_bits(),
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
    let mut rng = rng(11);
    let lists = seed_lists(&model, &mut rng, 150, 6);
    let mut fired = 0;
    for (i, seeds) in lists.iter().enumerate() {
        let k = 1 + rng.below(40);
        let strategy = Strategy::ALL[i % Strategy::ALL.len()];
        let answer = recommend(&model, seeds, &Options { k, strategy });
        let expected = oracle(&model, seeds, k, strategy);
        assert_eq!(
            summary(&answer),
            expected,
            "seeds {seeds:?}, k {k}, {strategy:?}"
        );
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

/// The adaptive default on both sides of its switch point, with the built-in rule and with
/// another one: it matches the oracle, and its answer is exactly that of the strategy the
/// model's rule picks (`few` up to `max_few_seeds` distinct resolved seeds, `many` above).
#[test]
fn adaptive_switches_by_resolved_seeds() {
    assert_eq!(Strategy::default(), Strategy::Adaptive);
    assert_eq!(
        AdaptiveRule::BUILT_IN,
        AdaptiveRule {
            few: Strategy::Sum,
            max_few_seeds: 25,
            many: Strategy::Cosine
        }
    );
    let shape = Shape {
        tracks: 800,
        rules: 4_000,
        playlists: 5_000,
        hot: 150,
        seed: 5,
    };
    let fitted = AdaptiveRule {
        few: Strategy::LiftWeighted,
        max_few_seeds: 20,
        many: Strategy::NoisyOr,
    };
    for rule in [AdaptiveRule::BUILT_IN, fitted] {
        let model = generate_with_rule(&shape, rule);
        assert_eq!(model.metadata().adaptive, rule);
        let mut rng = rng(13);
        let (mut few, mut many) = (0, 0);
        for seeds in seed_lists(&model, &mut rng, 120, 60) {
            let k = 1 + rng.below(40);
            let adaptive = recommend(
                &model,
                &seeds,
                &Options {
                    k,
                    strategy: Strategy::default(),
                },
            );
            assert_eq!(
                summary(&adaptive),
                oracle(&model, &seeds, k, Strategy::Adaptive),
                "{rule}: seeds {seeds:?}, k {k}"
            );
            let distinct = {
                let mut ids: Vec<TrackId> = adaptive.resolved.iter().map(|s| s.id).collect();
                ids.sort();
                ids.dedup();
                ids.len()
            };
            let picked = if distinct <= rule.max_few_seeds as usize {
                few += 1;
                rule.few
            } else {
                many += 1;
                rule.many
            };
            assert_eq!(picked, Strategy::Adaptive.for_seeds(distinct, &rule));
            let expected = recommend(
                &model,
                &seeds,
                &Options {
                    k,
                    strategy: picked,
                },
            );
            assert_eq!(
                adaptive, expected,
                "{rule}, {distinct} seeds: as {picked:?}"
            );
        }
        assert!(
            few > 20 && many > 20,
            "{rule}: both sides exercised ({few} few, {many} many)"
        );
    }
}

#[test]
fn matches_the_oracle_on_the_fixture() {
    let model = fixture();
    for (label, seeds, k) in fixture::cases() {
        let seeds: Vec<String> = seeds.iter().map(|s| (*s).to_owned()).collect();
        for strategy in Strategy::ALL {
            let answer = recommend(&model, &seeds, &Options { k, strategy });
            assert_eq!(
                summary(&answer),
                oracle(&model, &seeds, k, strategy),
                "{label}, {strategy:?}"
            );
        }
    }
}

#[test]
fn strategies_by_hand() {
    // HUMBLE. and DNA. together: Mr. Brightside has one rule, {DNA., HUMBLE.} -> 12/20 (0.6,
    // lift 0.6 / 0.35); Closer (CS) has {HUMBLE.} -> 10/45 and {DNA., HUMBLE.} -> 8/20.
    let model = fixture();
    let score = |strategy: Strategy, name: &str| {
        let answer = recommend(&model, &["HUMBLE.", "DNA."], &Options { k: 5, strategy });
        let t = answer.tracks.iter().find(|t| t.name == name).expect(name);
        assert_eq!(t.source, Source::Rule);
        t.score
    };
    let (c1, c2): (f64, f64) = (10.0 / 45.0, 0.4);
    assert_eq!(score(Strategy::BestConfidence, "Closer"), 0.4);
    // The original ignores {DNA., HUMBLE.} -> Closer: only HUMBLE.'s own rule counts.
    assert_eq!(score(Strategy::Original, "Closer"), c1 as f32);
    assert_eq!(
        score(Strategy::Sum, "Closer"),
        (c1 as f32 as f64 + 0.4f32 as f64) as f32
    );
    assert!((score(Strategy::Sum, "Closer") - (c1 + c2) as f32).abs() < 1e-6);
    assert!(
        (score(Strategy::NoisyOr, "Closer") - (1.0 - (1.0 - c1) * (1.0 - c2)) as f32).abs() < 1e-6
    );
    let (l1, l2): (f64, f64) = (c1 / 0.40, c2 / 0.40); // Closer (CS) is in 40 of 100 playlists
    let weighted = ((c1 * l1).sqrt() + (c2 * l2).sqrt()) as f32;
    assert!((score(Strategy::LiftWeighted, "Closer") - weighted).abs() < 1e-6);
    // Cosine: n(X ∪ y) / √(n(X) n(y)); HUMBLE. is in 45 playlists, both seeds together in 20.
    let cosine = (10.0 / (45.0f64 * 40.0).sqrt() + 8.0 / (20.0f64 * 40.0).sqrt()) as f32;
    assert!((score(Strategy::Cosine, "Closer") - cosine).abs() < 1e-6);
    // Mr. Brightside's one rule has two seeds: the original never recommends it by rule.
    let original = recommend(
        &model,
        &["HUMBLE.", "DNA."],
        &Options {
            k: 5,
            strategy: Strategy::Original,
        },
    );
    let brightside = original.tracks.iter().find(|t| t.name == "Mr. Brightside");
    assert!(brightside.is_none_or(|t| t.source == Source::Popular));
    // One rule: sum and noisy-or are its confidence; lift-weighted is √(conf × lift).
    for s in [Strategy::BestConfidence, Strategy::Sum, Strategy::NoisyOr] {
        assert_eq!(score(s, "Mr. Brightside"), 0.6, "{s:?}");
    }
    let lw = score(Strategy::LiftWeighted, "Mr. Brightside");
    assert!((lw - (0.6f64 * 0.6 / 0.35).sqrt() as f32).abs() < 1e-6);
}

#[test]
fn strategy_names_round_trip() {
    for s in Strategy::ALL {
        assert_eq!(Strategy::from_name(s.name()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).expect("serialises"),
            format!("\"{}\"", s.name())
        );
    }
    assert_eq!(Strategy::from_name("magic"), None);
}

#[test]
fn adaptive_rules_read_what_they_write() {
    let rule = AdaptiveRule {
        few: Strategy::LiftWeighted,
        max_few_seeds: 10,
        many: Strategy::NoisyOr,
    };
    assert_eq!(rule.to_string(), "lift_weighted/10/noisy_or");
    assert_eq!("lift_weighted/10/noisy_or".parse(), Ok(rule));
    assert_eq!(
        AdaptiveRule::BUILT_IN.to_string().parse(),
        Ok(AdaptiveRule::BUILT_IN)
    );
    for (bad, says) in [
        ("sum/25", "expected FEW/SEEDS/MANY"),
        ("sum/25/cosine/1", "expected FEW/SEEDS/MANY"),
        (
            "adaptive/25/cosine",
            "\"adaptive\" is not a strategy it can pick",
        ),
        ("sum/25/magic", "\"magic\" is not a strategy it can pick"),
        ("sum/-1/cosine", "\"-1\" is not a seed count"),
    ] {
        let err = bad.parse::<AdaptiveRule>().unwrap_err();
        assert!(err.contains(says) && err.contains(bad), "{bad}: {err}");
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
    // Lift-weighted puts Brightside (one pair rule) first; `sum` would rank Closer (two rules).
    let both = recommend(
        &model,
        &["HUMBLE.", "DNA."],
        &Options {
            k: 1,
            strategy: Strategy::LiftWeighted,
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

#[test]
fn every_name_finds_its_most_popular_track_and_nothing_else_finds_one() {
    let model = generate(&Shape::SMALL);
    let mut most_popular: std::collections::BTreeMap<String, TrackId> = Default::default();
    for t in model.tracks() {
        // Most popular first: the first track of a name is its most popular.
        most_popular.entry(normalize_name(t.name)).or_insert(t.id);
    }
    most_popular.remove("");
    assert!(most_popular.len() > 100);
    for (key, &id) in &most_popular {
        assert_eq!(model.track_by_name(key), Some(id), "{key:?}");
        // Before, between and after the sorted keys: no match.
        for miss in [
            format!("{key} zz"),
            format!("{key}!"),
            key[..key.len() - 1].to_owned(),
        ] {
            let k = normalize_name(&miss);
            assert_eq!(
                model.track_by_name(&miss),
                most_popular.get(&k).copied(),
                "{miss:?}"
            );
        }
    }
    assert_eq!(model.track_by_name(""), None);
    assert_eq!(model.track_by_name("\u{10FFFF}"), None);
    assert_eq!(model.track_by_name("!"), None);
}
