//! Tests that run natively AND under wasm (wasm-bindgen-test), against the same snapshot
//! files: both platforms must produce these bytes, so they produce the same bytes as each other.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::{AdaptiveRule, Model, Options, Strategy, recommend};
use testkit::fixture::{cases, empty, fixture, fixture_with_rule};
use testkit::{Shape, generate, generate_with_rule, rng, seed_lists};

/// Natively: compare with (or, with `UPDATE_EXPECT=1`, rewrite) the snapshot file.
/// Under wasm: compare with the same file, compiled in.
macro_rules! snapshot {
    ($path:literal, $actual:expr) => {{
        let actual: String = $actual;
        #[cfg(not(target_arch = "wasm32"))]
        expect_test::expect_file![$path].assert_eq(&actual);
        #[cfg(target_arch = "wasm32")]
        assert!(
            actual == include_str!($path),
            "wasm output differs from the native snapshot {}:\n{actual}",
            $path
        );
    }};
}

/// The cases answered with [`Strategy::BestConfidence`], in full: the default when this
/// snapshot was taken (before [`Strategy::Original`] existed), pinned so that the snapshot keeps
/// checking the same answers, and able to fire the fixture's two-track antecedents, which
/// `Original` ignores.
fn run_cases(model: &Model, cases: &[(&str, Vec<&str>, usize)]) -> String {
    let mut out = String::new();
    for (label, seeds, k) in cases {
        let answer = recommend(
            model,
            seeds,
            &Options {
                k: *k,
                strategy: Strategy::BestConfidence,
            },
        );
        out.push_str(&format!("## {label}: seeds {seeds:?}, k {k}\n"));
        out.push_str(&serde_json::to_string_pretty(&answer).expect("serialises"));
        out.push('\n');
    }
    out
}

#[test]
fn fixture_cases() {
    let model = Model::from_blob(&fixture().to_blob()).expect("fixture decodes");
    snapshot!("snapshots/fixture_cases.txt", run_cases(&model, &cases()));
}

/// One line per recommended track: name, source, score (with its bits) and the best rule's
/// antecedent.
fn push_tracks(out: &mut String, answer: &engine::Recommendation<'_>) {
    for t in &answer.tracks {
        out.push_str(&format!(
            "{} {:?} {} ({:08x}) because {:?}\n",
            t.name,
            t.source,
            t.score,
            t.score.to_bits(),
            t.because
        ));
    }
}

/// The cases under every strategy, one line per track: URI, source, score (with its bits) and
/// the best rule's antecedent.
#[test]
fn fixture_cases_by_strategy() {
    let model = Model::from_blob(&fixture().to_blob()).expect("fixture decodes");
    let mut out = String::new();
    for (label, seeds, k) in cases() {
        for strategy in Strategy::ALL {
            let answer = recommend(&model, &seeds, &Options { k, strategy });
            out.push_str(&format!("## {label}, k {k}, {}\n", strategy.name()));
            push_tracks(&mut out, &answer);
        }
    }
    snapshot!("snapshots/fixture_strategies.txt", out);
}

/// A model whose adaptive rule is not the built-in one, decoded from its blob: `adaptive`
/// answers every case exactly as the strategy the rule picks (both sides of the switch occur
/// among the cases), and the answers are the same bytes natively and in wasm.
#[test]
fn fixture_cases_with_a_fitted_rule() {
    let rule = AdaptiveRule {
        few: Strategy::LiftWeighted,
        max_few_seeds: 1,
        many: Strategy::NoisyOr,
    };
    let model = Model::from_blob(&fixture_with_rule(rule).to_blob()).expect("fixture decodes");
    assert_eq!(model.metadata().adaptive, rule);
    let mut out = format!("model {}, rule {rule}\n", model.id());
    let mut sides = [0, 0];
    for (label, seeds, k) in cases() {
        let adaptive = recommend(
            &model,
            &seeds,
            &Options {
                k,
                strategy: Strategy::Adaptive,
            },
        );
        let mut distinct: Vec<_> = adaptive.resolved.iter().map(|s| s.id).collect();
        distinct.sort();
        distinct.dedup();
        let picked = rule.pick(distinct.len());
        sides[usize::from(picked == rule.many)] += 1;
        let expected = recommend(
            &model,
            &seeds,
            &Options {
                k,
                strategy: picked,
            },
        );
        assert_eq!(adaptive, expected, "{label}: as {picked:?}");
        out.push_str(&format!(
            "## {label}, k {k}, adaptive as {}\n",
            picked.name()
        ));
        push_tracks(&mut out, &adaptive);
    }
    assert!(sides[0] > 0 && sides[1] > 0, "both sides: {sides:?}");
    snapshot!("snapshots/fixture_fitted_rule.txt", out);
}

#[test]
fn empty_model_cases() {
    let model = Model::from_blob(&empty().to_blob()).expect("empty model decodes");
    let cases = [(
        "empty model",
        vec!["HUMBLE.", "spotify:track:7KXjTSCq5nL1LoYtL7XAwS"],
        5,
    )];
    snapshot!("snapshots/empty_model_cases.txt", run_cases(&model, &cases));
}

#[test]
fn fixture_blob_and_metadata() {
    let model = fixture();
    let blob = model.to_blob();
    let mut out = format!(
        "blob: {} bytes, xxh3-64 {:016x}\n",
        blob.len(),
        xxhash_rust::xxh3::xxh3_64(&blob)
    );
    out.push_str(&serde_json::to_string_pretty(model.metadata()).expect("serialises"));
    out.push('\n');
    for rule in model.rules() {
        let name = |t: engine::TrackId| model.track(t).name;
        let ante: Vec<&str> = rule.antecedent.iter().map(name).collect();
        out.push_str(&format!(
            "{ante:?} -> {:?}: count {}/{} confidence {} lift {}\n",
            name(rule.consequent),
            rule.count,
            rule.antecedent_count,
            rule.confidence,
            rule.lift
        ));
    }
    snapshot!("snapshots/fixture_blob.txt", out);
}

/// Hundreds of requests on a generated model: a digest of every serialised answer (and of the
/// blob) must be the same natively and in wasm.
#[test]
fn generated_model_digest() {
    let model = generate(&Shape::SMALL);
    let blob = model.to_blob();
    let decoded = Model::from_blob(&blob).expect("generated model decodes");
    let mut out = format!(
        "model {} ({} tracks, {} rules)\nblob xxh3-64 {:016x}\n",
        decoded.id(),
        decoded.track_count(),
        decoded.rule_count(),
        xxhash_rust::xxh3::xxh3_64(&blob),
    );
    for strategy in Strategy::ALL {
        let mut rng = rng(42);
        let mut all = String::new();
        for seeds in seed_lists(&decoded, &mut rng, 300, 12) {
            let k = 1 + rng.below(60);
            let answer = recommend(&decoded, &seeds, &Options { k, strategy });
            all.push_str(&serde_json::to_string(&answer).expect("serialises"));
            all.push('\n');
        }
        out.push_str(&format!(
            "{}: answers {} bytes, xxh3-64 {:016x}\n",
            strategy.name(),
            all.len(),
            xxhash_rust::xxh3::xxh3_64(all.as_bytes()),
        ));
    }
    // The same model with a rule that is not the built-in one: `adaptive` switches at 5.
    let rule = AdaptiveRule {
        few: Strategy::BestConfidence,
        max_few_seeds: 5,
        many: Strategy::LiftWeighted,
    };
    let fitted = Model::from_blob(&generate_with_rule(&Shape::SMALL, rule).to_blob())
        .expect("generated model decodes");
    let mut rng = rng(42);
    let mut all = String::new();
    for seeds in seed_lists(&fitted, &mut rng, 300, 12) {
        let k = 1 + rng.below(60);
        let answer = recommend(
            &fitted,
            &seeds,
            &Options {
                k,
                strategy: Strategy::Adaptive,
            },
        );
        all.push_str(&serde_json::to_string(&answer).expect("serialises"));
        all.push('\n');
    }
    out.push_str(&format!(
        "model {} (rule {rule}): adaptive answers {} bytes, xxh3-64 {:016x}\n",
        fitted.id(),
        all.len(),
        xxhash_rust::xxh3::xxh3_64(all.as_bytes()),
    ));
    snapshot!("snapshots/generated_digest.txt", out);
}
