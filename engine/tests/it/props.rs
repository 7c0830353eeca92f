//! Property tests (native only): round trips, damage never panics, ranking invariants.

use engine::{DecodeError, HEADER_LEN, Model, Options, Source, Strategy as Ranking, recommend};
use proptest::prelude::*;
use testkit::fixture::fixture;
use testkit::{Shape, generate, rng, seed_lists};

use crate::rank::{oracle, summary};

fn shape() -> impl Strategy<Value = Shape> {
    (0usize..300, 0usize..800, any::<u64>()).prop_map(|(tracks, rules, seed)| Shape {
        tracks,
        rules: if tracks < 3 { 0 } else { rules },
        playlists: 1_000,
        hot: (tracks / 3).max(3),
        seed,
    })
}

/// A header with the right magic, version, length and checksum around `payload`, so that
/// random payloads reach the payload decoder and the validator.
fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&engine::MAGIC);
    out.extend_from_slice(&engine::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(shape in shape()) {
        let model = generate(&shape);
        let blob = model.to_blob();
        let decoded = Model::from_blob(&blob).expect("decodes");
        prop_assert_eq!(&decoded, &model);
        prop_assert_eq!((model.blob_len(), decoded.blob_len()), (blob.len(), blob.len()));
        prop_assert_eq!(decoded.to_blob(), blob);
    }

    #[test]
    fn ranking_invariants_and_oracle(
        shape in shape(),
        seed in any::<u64>(),
        k in 0usize..60,
        strategy in proptest::sample::select(Ranking::ALL.to_vec()),
    ) {
        prop_assume!(shape.tracks > 0);
        let model = generate(&shape);
        let mut rng = rng(seed);
        for seeds in seed_lists(&model, &mut rng, 8, 8) {
            let answer = recommend(&model, &seeds, &Options { k, strategy });
            prop_assert!(answer.tracks.len() <= k);
            let seed_uris: Vec<&str> = answer.resolved.iter().map(|r| r.uri).collect();
            prop_assert!(answer.tracks.iter().all(|t| !seed_uris.contains(&t.uri)), "a seed was recommended");
            let mut uris: Vec<&str> = answer.tracks.iter().map(|t| t.uri).collect();
            uris.sort_unstable();
            uris.dedup();
            prop_assert_eq!(uris.len(), answer.tracks.len(), "duplicates in the answer");
            // Rule picks first, by descending score; then popularity picks by descending count.
            let rules = answer.tracks.iter().take_while(|t| t.source == Source::Rule).count();
            prop_assert!(answer.tracks[rules..].iter().all(|t| t.source == Source::Popular));
            prop_assert!(answer.tracks[..rules].windows(2).all(|w| w[0].score >= w[1].score));
            prop_assert!(answer.tracks[rules..].windows(2).all(|w| w[0].support >= w[1].support));
            let available = model.track_count() - seed_uris.iter().collect::<std::collections::BTreeSet<_>>().len();
            prop_assert_eq!(answer.tracks.len(), k.min(available));
            prop_assert_eq!(summary(&answer), oracle(&model, &seeds, k, strategy));
        }
    }

    #[test]
    fn arbitrary_bytes_are_rejected(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(Model::from_blob(&bytes).is_err());
        // Behind a valid header, the payload decoder and the validator must cope too.
        let wrapped = wrap(&bytes);
        if let Ok(model) = Model::from_blob(&wrapped) {
            prop_assert_eq!(model.to_blob(), wrapped, "an accepted blob is canonical");
        }
    }

    #[test]
    fn mutated_blobs_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        fix_checksum in any::<bool>(),
    ) {
        let mut blob = fixture().to_blob();
        for (at, byte) in &flips {
            let i = at.index(blob.len());
            blob[i] = *byte;
        }
        if fix_checksum && blob.len() >= HEADER_LEN {
            let blob2 = wrap(&blob[HEADER_LEN..]);
            blob = blob2;
        }
        // The decoder that keeps slices of the blob must agree, error for error.
        let outcome = |m: Result<Model, DecodeError>| m.map(|m| m.to_blob()).map_err(|e| e.to_string());
        prop_assert_eq!(
            outcome(Model::from_shared_blob(&bytes::Bytes::from(blob.clone()))),
            outcome(Model::from_blob(&blob))
        );
        match Model::from_blob(&blob) {
            // Only a no-op mutation (or one the format ignores nowhere) can be accepted, and
            // then the blob must be canonical.
            Ok(model) => prop_assert_eq!(model.to_blob(), blob),
            Err(DecodeError::BadMagic { .. } | DecodeError::UnsupportedVersion { .. }) => prop_assert!(!fix_checksum || flips.iter().any(|(at, _)| at.index(fixture().to_blob().len()) < 12)),
            Err(_) => {}
        }
    }

    #[test]
    fn truncated_blobs_are_rejected(cut in 0usize..10_000) {
        let blob = fixture().to_blob();
        let cut = cut % blob.len();
        prop_assert!(Model::from_blob(&blob[..cut]).is_err());
    }
}

#[test]
fn generated_models_are_valid_at_many_shapes() {
    for seed in 0..20 {
        let shape = Shape {
            tracks: 200,
            rules: 600,
            playlists: 2_000,
            hot: 60,
            seed,
        };
        let model = generate(&shape);
        assert_eq!(model.rule_count(), 600);
        assert_eq!(Model::from_blob(&model.to_blob()).expect("valid"), model);
    }
}
