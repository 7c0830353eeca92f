//! The builder: one model whatever order its input comes in, and a typed error for every kind
//! of bad input. Runs natively and under wasm.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::{BuildError, InvalidModel, Model, ModelBuilder, ModelParams, RuleInput, TrackInput};
use testkit::fixture::{fixture, params};

fn track(uri: &str, count: u32) -> TrackInput {
    TrackInput {
        uri: uri.into(),
        name: uri.into(),
        artist: "Artist".into(),
        album: "Album".into(),
        count,
    }
}

fn rule(antecedent: &[u32], consequent: u32, count: u32, antecedent_count: u32) -> RuleInput {
    RuleInput {
        antecedent: antecedent.to_vec(),
        consequent,
        count,
        antecedent_count,
    }
}

/// Tracks `C` (count 3), `A` (9) and `B` (6), added in that order: as added they are 0, 1
/// and 2, by popularity A, B, C. Then `rules`.
fn build(params: ModelParams, rules: &[RuleInput]) -> Result<Model, BuildError> {
    let mut b = ModelBuilder::new(params);
    for (uri, count) in [("C", 3), ("A", 9), ("B", 6)] {
        b.add_track(track(uri, count));
    }
    for r in rules {
        b.add_rule(r.clone());
    }
    b.build()
}

fn check(rules: &[RuleInput], expected: BuildError) {
    assert_eq!(build(params(10), rules).expect_err("must fail"), expected);
}

#[test]
fn bad_rules() {
    let (c, a, b) = (0, 1, 2);
    check(
        &[rule(&[a], b, 2, 9), rule(&[], b, 2, 9)],
        BuildError::EmptyAntecedent { rule: 1 },
    );
    check(
        &[rule(&[a, 7], b, 2, 6)],
        BuildError::UnknownTrack {
            rule: 0,
            track: 7,
            tracks: 3,
        },
    );
    check(
        &[rule(&[a], 3, 2, 9)],
        BuildError::UnknownTrack {
            rule: 0,
            track: 3,
            tracks: 3,
        },
    );
    // The repeated track is named as added (0), not by its id in the model (2).
    check(
        &[rule(&[a], b, 2, 9), rule(&[c, a, c], b, 2, 3)],
        BuildError::RepeatedTrack { rule: 1, track: c },
    );
    check(
        &[rule(&[a], b, 2, 9), rule(&[a], c, 2, 8)],
        BuildError::AntecedentCountMismatch {
            first: 0,
            second: 1,
        },
    );
    match build(
        params(10),
        &[
            rule(&[a], b, 2, 9),
            rule(&[a], c, 2, 9),
            rule(&[a], b, 3, 9),
        ],
    ) {
        Err(BuildError::DuplicateRule { first, second }) => {
            assert_eq!((first.min(second), first.max(second)), (0, 2));
        }
        other => panic!("expected a duplicate rule, got {other:?}"),
    }
}

#[test]
fn bad_parameters_and_counts() {
    let bad = |name, value: &str, why| BuildError::BadParameter {
        name,
        value: value.into(),
        why,
    };
    let with = |f: fn(&mut ModelParams)| {
        let mut p = params(10);
        f(&mut p);
        build(p, &[]).expect_err("must fail")
    };
    assert_eq!(
        with(|p| p.min_support = 1.5),
        bad("min_support", "1.5", "must be within [0, 1]")
    );
    assert_eq!(
        with(|p| p.min_confidence = -0.5),
        bad("min_confidence", "-0.5", "must be within [0, 1]")
    );
    assert_eq!(
        with(|p| p.created_at = "yesterday".into()),
        bad(
            "created_at",
            "\"yesterday\"",
            "must be RFC 3339 UTC, e.g. 2026-01-31T12:00:00Z"
        )
    );
    // More playlists with a track than playlists: the validator's error, through the builder.
    let e = build(params(5), &[]).expect_err("must fail");
    let BuildError::Invalid(InvalidModel::Inconsistent(message)) = &e else {
        panic!("expected an inconsistent model, got {e}");
    };
    assert!(message.contains("in 9 playlists"), "{e}");
    // An antecedent count of 0 gives no score; the validator names the counts.
    let e = build(params(10), &[rule(&[1], 2, 1, 0)]).expect_err("must fail");
    assert!(matches!(e, BuildError::Invalid(_)), "{e}");
}

/// The fixture rebuilt from its own tracks and rules, both given in reverse: the same bytes.
#[test]
fn input_order_does_not_matter() {
    let model = fixture();
    let mut b = ModelBuilder::new(params(100));
    let n = model.track_count() as u32;
    let tracks: Vec<_> = model.tracks().collect();
    for t in tracks.iter().rev() {
        b.add_track(TrackInput {
            uri: t.uri.into(),
            name: t.name.into(),
            artist: t.artist.into(),
            album: t.album.into(),
            count: t.count,
        });
    }
    let added = |id: engine::TrackId| n - 1 - id.0;
    let rules: Vec<_> = model.rules().collect();
    for r in rules.iter().rev() {
        let mut antecedent: Vec<u32> = r.antecedent.iter().map(added).collect();
        antecedent.reverse();
        b.add_rule(RuleInput {
            antecedent,
            consequent: added(r.consequent),
            count: r.count,
            antecedent_count: r.antecedent_count,
        });
    }
    let rebuilt = b.build().expect("valid");
    assert_eq!(rebuilt.id(), model.id());
    assert_eq!(rebuilt.to_blob(), model.to_blob());
}
