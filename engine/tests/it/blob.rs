//! The blob format: round trips, and a typed error for every kind of damage.
//! Runs natively and under wasm.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::{
    AdaptiveRule, BuildError, DecodeError, HEADER_LEN, Head, InvalidModel, Model, Options,
    Strategy, recommend,
};
use serde::{Deserialize, Serialize};
use testkit::fixture::{cases, empty, fixture, fixture_with_rule};

/// An independent statement of the payload layout (field order = wire order), used to forge
/// payloads that are well-formed postcard but break the model's invariants.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct RawPool {
    data: String,
    lens: Vec<u32>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct RawBody {
    datasets: Vec<String>,
    playlists: u32,
    min_support: f64,
    min_count: u32,
    min_confidence: f64,
    max_len: u32,
    miner_version: String,
    few: String,
    max_few_seeds: u32,
    many: String,
    uris: RawPool,
    names: RawPool,
    name_of: Vec<u32>,
    artists: RawPool,
    artist_of: Vec<u32>,
    albums: RawPool,
    album_of: Vec<u32>,
    counts: Vec<u32>,
    name_keys: RawPool,
    name_key_track: Vec<u32>,
    antes_per_track: Vec<u32>,
    ante_tail_len: Vec<u32>,
    ante_tail_items: Vec<u32>,
    ante_count: Vec<u32>,
    ante_rules: Vec<u32>,
    rule_consequent: Vec<u32>,
    rule_count: Vec<u32>,
    rule_confidence: Vec<f32>,
    rule_lift: Vec<f32>,
}

fn split(blob: &[u8]) -> (String, RawBody) {
    let (created_at, rest) =
        postcard::take_from_bytes::<String>(&blob[HEADER_LEN..]).expect("created_at");
    let body = postcard::from_bytes::<RawBody>(rest).expect("body");
    (created_at, body)
}

/// A blob with a correct header around `payload`.
fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&engine::MAGIC);
    out.extend_from_slice(&engine::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn forge(created_at: &str, body: &RawBody) -> Vec<u8> {
    let mut payload = postcard::to_allocvec(&created_at).expect("encodes");
    payload.extend(postcard::to_allocvec(body).expect("encodes"));
    wrap(&payload)
}

/// Decodes the fixture after `mutate` has damaged its body.
fn decode_forged(mutate: impl FnOnce(&mut RawBody)) -> Result<Model, DecodeError> {
    let (created_at, mut body) = split(&fixture().to_blob());
    mutate(&mut body);
    Model::from_blob(&forge(&created_at, &body))
}

fn invalid(result: Result<Model, DecodeError>) -> InvalidModel {
    match result {
        Err(DecodeError::Invalid(e)) => e,
        other => panic!("expected an invalid-model error, got {other:?}"),
    }
}

#[test]
fn round_trip_is_exact_and_deterministic() {
    for model in [fixture(), empty()] {
        let blob = model.to_blob();
        let decoded = Model::from_blob(&blob).expect("decodes");
        assert_eq!(decoded, model);
        assert_eq!(decoded.to_blob(), blob, "re-encoding gives the same bytes");
        assert_eq!(fixture().to_blob(), fixture().to_blob());
    }
}

#[test]
fn blob_len_and_the_kept_blob() {
    for model in [fixture(), empty()] {
        let blob = model.to_blob();
        assert_eq!(model.blob_len(), blob.len());
        let decoded = Model::from_blob(&blob).expect("decodes");
        assert_eq!(decoded.blob_len(), blob.len());
        // A built model keeps the blob it encoded for its id; a decoded one keeps no copy.
        assert_eq!(model.memory().blob, blob.len());
        assert_eq!(decoded.memory().blob, 0);
        assert_eq!(
            (decoded.memory().tracks, decoded.memory().rules),
            (model.memory().tracks, model.memory().rules)
        );
    }
}

#[test]
fn a_shared_blob_decodes_to_the_same_model_and_keeps_its_strings_in_the_blob() {
    for model in [fixture(), empty()] {
        let blob = bytes::Bytes::from(model.to_blob());
        let shared = Model::from_shared_blob(&blob).expect("decodes");
        assert_eq!(shared, model);
        assert_eq!(
            shared.to_blob(),
            &blob[..],
            "re-encoding gives the same bytes"
        );
        assert_eq!(
            shared.memory(),
            Model::from_blob(&blob).expect("decodes").memory()
        );
        if model.track_count() > 0 {
            // The string pools are slices of the blob, not copies: it has other owners
            // while the model lives, and none after.
            assert!(!blob.is_unique(), "the model holds slices of the blob");
            drop(shared);
            assert!(blob.is_unique(), "dropping the model releases the blob");
        }
    }
}

#[test]
fn a_shared_blob_is_checked_like_any_other() {
    let (created_at, body) = split(&fixture().to_blob());
    let mut damaged = Vec::new();
    let mut broken = body.clone();
    broken.names.lens[0] += 1;
    damaged.push(forge(&created_at, &broken));
    let mut broken = body.clone();
    broken.names.data = broken.names.data.replace("Closer", "Zloser");
    damaged.push(forge(&created_at, &broken));
    let mut flipped = forge(&created_at, &body);
    *flipped.last_mut().expect("bytes") ^= 1;
    damaged.push(flipped);
    let whole = forge(&created_at, &body);
    damaged.push(whole[..whole.len() - 3].to_vec());
    for bytes in damaged {
        let copied = Model::from_blob(&bytes).expect_err("damaged");
        let shared = Model::from_shared_blob(&bytes::Bytes::from(bytes)).expect_err("damaged");
        assert_eq!(shared.to_string(), copied.to_string());
    }
}

#[test]
fn forge_helper_reproduces_the_encoder() {
    let blob = fixture().to_blob();
    let (created_at, body) = split(&blob);
    assert_eq!(forge(&created_at, &body), blob);
}

#[test]
fn model_id_ignores_creation_time_only() {
    let blob = fixture().to_blob();
    let (_, body) = split(&blob);
    let later = Model::from_blob(&forge("2030-01-01T00:00:00.5Z", &body)).expect("decodes");
    assert_eq!(later.id(), fixture().id());
    assert_eq!(later.metadata().created_at, "2030-01-01T00:00:00.5Z");
    assert_eq!(fixture().id().len(), 32);
    assert_ne!(empty().id(), fixture().id());
}

#[test]
fn header_errors() {
    let blob = fixture().to_blob();
    let check = |bytes: &[u8], expected: DecodeError| {
        assert_eq!(Model::from_blob(bytes).expect_err("must fail"), expected);
    };
    check(
        b"",
        DecodeError::Truncated {
            what: "header",
            needed: 28,
            available: 0,
        },
    );
    check(
        b"SEGU",
        DecodeError::Truncated {
            what: "header",
            needed: 28,
            available: 4,
        },
    );
    check(
        b"PK\x03\x04 a zip file",
        DecodeError::BadMagic {
            found: b"PK\x03\x04 a z".to_vec(),
        },
    );
    check(
        &blob[..5],
        DecodeError::Truncated {
            what: "header",
            needed: 28,
            available: 5,
        },
    );
    for version in [0, 3] {
        let mut other = blob.clone();
        other[8] = version;
        check(
            &other,
            DecodeError::UnsupportedVersion {
                found: u32::from(version),
                supported: 2,
            },
        );
    }
    let payload_len = (blob.len() - HEADER_LEN) as u64;
    check(
        &blob[..blob.len() - 3],
        DecodeError::Truncated {
            what: "payload",
            needed: payload_len,
            available: payload_len - 3,
        },
    );
    let mut longer = blob.clone();
    longer.extend_from_slice(b"xyz");
    check(
        &longer,
        DecodeError::TrailingBytes {
            what: "payload",
            extra: 3,
        },
    );
    let mut flipped = blob.clone();
    *flipped.last_mut().expect("non-empty") ^= 0x40;
    assert!(matches!(
        Model::from_blob(&flipped),
        Err(DecodeError::ChecksumMismatch { .. })
    ));
}

#[test]
fn payload_errors() {
    let blob = fixture().to_blob();
    let mut payload = blob[HEADER_LEN..].to_vec();
    payload.push(0);
    assert_eq!(
        Model::from_blob(&wrap(&payload)).expect_err("must fail"),
        DecodeError::TrailingBytes {
            what: "model body inside the payload",
            extra: 1
        }
    );
    let cut = &blob[HEADER_LEN..blob.len() - 10];
    let err = Model::from_blob(&wrap(cut)).expect_err("must fail");
    assert!(
        matches!(
            err,
            DecodeError::Malformed {
                section: "body",
                ..
            }
        ),
        "{err}"
    );
    let err = Model::from_blob(&wrap(&[0xff, 0xff, 0xff])).expect_err("must fail");
    assert!(
        matches!(
            err,
            DecodeError::Malformed {
                section: "created_at",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn ids_out_of_range() {
    let e = invalid(decode_forged(|b| b.rule_consequent[0] = 12));
    assert_eq!(
        e,
        InvalidModel::OutOfRange {
            column: "rule_consequent",
            index: 0,
            value: 12,
            limit: 12
        }
    );
    let e = invalid(decode_forged(|b| b.name_of[3] = 1000));
    assert!(
        matches!(
            e,
            InvalidModel::OutOfRange {
                column: "name_of",
                index: 3,
                value: 1000,
                ..
            }
        ),
        "{e}"
    );
    let e = invalid(decode_forged(|b| b.ante_tail_items[0] = 99));
    assert!(
        matches!(
            e,
            InvalidModel::OutOfRange {
                column: "ante_tail_items",
                ..
            }
        ),
        "{e}"
    );
    let e = invalid(decode_forged(|b| b.name_key_track[0] = u32::MAX));
    assert!(
        matches!(
            e,
            InvalidModel::OutOfRange {
                column: "name_key_track",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn unsorted_or_duplicate_antecedents() {
    // The fixture's two-track antecedents are {HUMBLE, DNA} = [0, 3] and {CLOSER_CS, ROSES} = [1, 5].
    let e = invalid(decode_forged(|b| b.ante_tail_items[0] = 0));
    assert!(matches!(e, InvalidModel::UnsortedAntecedent { .. }), "{e}");
    // Canonically, antecedent 0 is {HUMBLE} and antecedent 1 is {HUMBLE, DNA}: dropping the
    // second's tail makes it a duplicate of the first.
    let e = invalid(decode_forged(|b| {
        assert_eq!((b.ante_tail_len[0], b.ante_tail_len[1]), (0, 1));
        b.ante_tail_len[1] = 0;
        b.ante_tail_items.remove(0);
    }));
    assert_eq!(e, InvalidModel::DuplicateAntecedent { index: 1 });
    let e = invalid(decode_forged(|b| {
        // Swap two consequents within the first antecedent's group.
        b.rule_consequent.swap(0, 1);
        b.rule_count.swap(0, 1);
        b.rule_confidence.swap(0, 1);
        b.rule_lift.swap(0, 1);
    }));
    assert!(
        matches!(
            e,
            InvalidModel::NotSorted {
                column: "rule_consequent",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn nan_and_inconsistent_scores() {
    let e = invalid(decode_forged(|b| b.rule_confidence[2] = f32::NAN));
    assert_eq!(
        e,
        InvalidModel::NotANumber {
            column: "rule_confidence",
            index: 2
        }
    );
    let e = invalid(decode_forged(|b| b.rule_lift[4] = f32::NAN));
    assert_eq!(
        e,
        InvalidModel::NotANumber {
            column: "rule_lift",
            index: 4
        }
    );
    let e = invalid(decode_forged(|b| b.rule_confidence[1] = 0.99));
    assert!(
        matches!(e, InvalidModel::Inconsistent(ref m) if m.contains("rule 1 stores confidence 0.99")),
        "{e}"
    );
    let e = invalid(decode_forged(|b| b.rule_count[0] = 1000));
    assert!(
        matches!(e, InvalidModel::Inconsistent(ref m) if m.contains("rule 0 has count 1000")),
        "{e}"
    );
}

#[test]
fn broken_tracks_and_pools() {
    let e = invalid(decode_forged(|b| b.counts.swap(0, 1)));
    assert!(matches!(e, InvalidModel::NotSorted { .. }), "{e}");
    let e = invalid(decode_forged(|b| b.counts.pop().map(drop).unwrap_or(())));
    assert!(matches!(e, InvalidModel::LengthMismatch { .. }), "{e}");
    let e = invalid(decode_forged(|b| b.names.lens[0] += 1));
    assert!(
        matches!(e, InvalidModel::BadStringPool { pool: "names", .. }),
        "{e}"
    );
    let e = invalid(decode_forged(|b| {
        // "ΣΊΣΥΦΟΣ" is multi-byte: cut a pool inside a character.
        let i = b.artists.data.find('Χ').expect("greek artist");
        let pos = b
            .artists
            .lens
            .iter()
            .scan(0, |s, &l| {
                *s += l;
                Some(*s)
            })
            .position(|end| end as usize > i)
            .expect("found");
        b.artists.lens[pos - 1] += 1;
        b.artists.lens[pos] -= 1;
    }));
    assert!(
        matches!(
            e,
            InvalidModel::BadStringPool {
                pool: "artists",
                ..
            }
        ),
        "{e}"
    );
    let e = invalid(decode_forged(|b| {
        b.names.data = b.names.data.replace("Closer", "Zloser")
    }));
    assert!(
        matches!(
            e,
            InvalidModel::NotSorted {
                column: "names",
                ..
            }
        ),
        "{e}"
    );
    let e = invalid(decode_forged(|b| b.min_confidence = f64::NAN));
    assert!(
        matches!(e, InvalidModel::Inconsistent(ref m) if m.contains("min_confidence")),
        "{e}"
    );
    let e = invalid(decode_forged(|b| {
        let dup = b.uris.data[..b.uris.lens[0] as usize].to_owned();
        let second = b.uris.lens[0] as usize..(b.uris.lens[0] + b.uris.lens[1]) as usize;
        b.uris.data.replace_range(second, &dup);
    }));
    assert!(
        matches!(
            e,
            InvalidModel::DuplicateUri { .. } | InvalidModel::NotSorted { .. }
        ),
        "{e}"
    );
}

#[test]
fn bad_creation_time() {
    let (_, body) = split(&fixture().to_blob());
    let e = invalid(Model::from_blob(&forge("yesterday", &body)));
    assert!(
        matches!(e, InvalidModel::Inconsistent(ref m) if m.contains("created_at")),
        "{e}"
    );
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    let created_at = postcard::to_allocvec(&"2026-11-28T12:00:00Z").expect("encodes");
    // A sequence, then a string, claiming about 2^35 and 2^32 entries in a few bytes.
    for body in [
        &[0xff, 0xff, 0xff, 0xff, 0x7f][..],
        &[0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, b'x'],
    ] {
        let mut payload = created_at.clone();
        payload.extend_from_slice(body);
        let err = Model::from_blob(&wrap(&payload)).expect_err("must fail");
        assert!(
            matches!(
                err,
                DecodeError::Malformed {
                    section: "body",
                    ..
                }
            ),
            "{err}"
        );
    }
}

/// `read_head` on every prefix of a blob: `NeedMore` with a larger length until the metadata
/// is in, then the metadata `from_blob` decodes, whatever the rules after it.
#[test]
fn read_head_gives_the_metadata_from_any_long_enough_prefix() {
    // MPD's thousand slices: metadata longer than the first guess.
    let (created_at, mut body) = split(&fixture().to_blob());
    body.datasets = (0..1000)
        .map(|i| format!("mpd.slice.{}-{}.json", i * 1000, i * 1000 + 999))
        .collect();
    let forged = forge(&created_at, &body);
    for blob in [fixture().to_blob(), empty().to_blob(), forged] {
        let meta = Model::from_blob(&blob).expect("decodes").metadata().clone();
        let mut complete_from = None;
        let step = (blob.len() / 400).max(1);
        for len in (0..=blob.len()).step_by(step).chain([blob.len()]) {
            match engine::read_head(&blob[..len]).expect("a prefix of a good blob") {
                Head::NeedMore(n) => {
                    assert!(complete_from.is_none(), "{len}: more asked after complete");
                    assert!(
                        n as usize > len && n as usize <= blob.len(),
                        "{len}: asks {n}"
                    );
                }
                Head::Complete(head) => {
                    complete_from.get_or_insert(len);
                    assert_eq!(head.blob_len, blob.len() as u64);
                    assert_eq!(
                        (
                            &head.params.created_at,
                            &head.params.datasets,
                            head.params.playlists
                        ),
                        (&meta.created_at, &meta.datasets, meta.playlists)
                    );
                    assert_eq!(
                        (
                            head.params.min_support,
                            head.params.min_count,
                            head.params.min_confidence
                        ),
                        (meta.min_support, meta.min_count, meta.min_confidence)
                    );
                    assert_eq!(
                        (head.params.max_len, &head.params.miner_version),
                        (meta.max_len, &meta.miner_version)
                    );
                }
            }
        }
        let from = complete_from.expect("the whole blob is enough");
        assert!(from < blob.len(), "the metadata ends before the rules");
    }
}

#[test]
fn read_head_rejects_what_is_not_a_blob_head() {
    let blob = fixture().to_blob();
    assert!(matches!(
        engine::read_head(b"PK\x03\x04"),
        Err(DecodeError::BadMagic { .. })
    ));
    let mut newer = blob.clone();
    newer[8] = 9;
    assert!(matches!(
        engine::read_head(&newer),
        Err(DecodeError::UnsupportedVersion { found: 9, .. })
    ));
    // A whole payload that ends inside the metadata is malformed, not "read more".
    let cut = wrap(&blob[HEADER_LEN..HEADER_LEN + 5]);
    assert!(matches!(
        engine::read_head(&cut),
        Err(DecodeError::Malformed { .. })
    ));
}

/// The fixture as main's engine (format 1, before the adaptive rule was stored) encoded it.
const FIXTURE_V1: &[u8] = include_bytes!("data/fixture-v1.segue");

/// A rule other than the built-in one, with both sides reachable from the fixture's cases.
const FITTED: AdaptiveRule = AdaptiveRule {
    few: Strategy::LiftWeighted,
    max_few_seeds: 1,
    many: Strategy::NoisyOr,
};

/// A format 1 blob still decodes: the built-in rule, `format_version` 1, its old id, the same
/// tracks, rules and answers as today's fixture, and it re-encodes to its own bytes.
#[test]
fn a_format_1_blob_decodes_with_the_built_in_rule() {
    assert_eq!(u32::from_le_bytes(FIXTURE_V1[8..12].try_into().unwrap()), 1);
    let old = Model::from_blob(FIXTURE_V1).expect("a format 1 blob decodes");
    assert_eq!(old.metadata().format_version, 1);
    assert_eq!(old.metadata().adaptive, AdaptiveRule::BUILT_IN);
    assert_eq!(
        old.id(),
        "bc98ab9455437509c8428ca76cd6c18d",
        "its id under main"
    );
    assert_eq!(old.to_blob(), FIXTURE_V1, "re-encodes to its own bytes");
    let new = fixture();
    assert_eq!(new.metadata().format_version, engine::FORMAT_VERSION);
    assert_ne!(new.id(), old.id(), "format 2 bodies hold the rule");
    assert!(new.rules().eq(old.rules()));
    assert!(new.tracks().eq(old.tracks()));
    for (label, seeds, k) in cases() {
        for strategy in Strategy::ALL {
            let options = Options { k, strategy };
            assert_eq!(
                recommend(&old, &seeds, &options),
                recommend(&new, &seeds, &options),
                "{label}, {strategy:?}"
            );
        }
    }
    let Head::Complete(head) = engine::read_head(FIXTURE_V1).expect("head") else {
        panic!("the whole blob holds the head")
    };
    assert_eq!(head.params.adaptive, AdaptiveRule::BUILT_IN);
}

/// A rule other than the built-in one survives the round trip (blob and `read_head`), and
/// gives the model another id.
#[test]
fn a_fitted_rule_round_trips() {
    let model = fixture_with_rule(FITTED);
    let blob = model.to_blob();
    let decoded = Model::from_blob(&blob).expect("decodes");
    assert_eq!(decoded, model);
    assert_eq!(decoded.metadata().adaptive, FITTED);
    assert_eq!(decoded.metadata().format_version, 2);
    assert_eq!(decoded.to_blob(), blob);
    assert_ne!(decoded.id(), fixture().id());
    let (_, body) = split(&blob);
    assert_eq!(
        (body.few.as_str(), body.max_few_seeds, body.many.as_str()),
        ("lift_weighted", 1, "noisy_or")
    );
    let Head::Complete(head) = engine::read_head(&blob).expect("head") else {
        panic!("the whole blob holds the head")
    };
    assert_eq!(head.params.adaptive, FITTED);
    assert_eq!(FITTED.to_string(), "lift_weighted/1/noisy_or");
}

/// A rule naming `adaptive` or a strategy this engine does not know is a typed error, from
/// the decoder, from `read_head` and from the builder.
#[test]
fn a_bad_rule_is_a_typed_error() {
    let bad = |field: &str, found: &str| {
        let (created_at, mut body) = split(&fixture().to_blob());
        match field {
            "few" => body.few = found.to_owned(),
            _ => body.many = found.to_owned(),
        }
        forge(&created_at, &body)
    };
    for (field, found, why) in [
        (
            "few",
            "adaptive",
            "must be one of the other strategies (adaptive cannot pick itself)",
        ),
        (
            "many",
            "adaptive",
            "must be one of the other strategies (adaptive cannot pick itself)",
        ),
        ("few", "median", "not a strategy this engine knows"),
        ("many", "", "not a strategy this engine knows"),
    ] {
        let expected = InvalidModel::BadAdaptiveRule {
            field: if field == "few" { "few" } else { "many" },
            found: found.to_owned(),
            why,
        };
        let blob = bad(field, found);
        assert_eq!(invalid(Model::from_blob(&blob)), expected);
        assert_eq!(
            engine::read_head(&blob),
            Err(DecodeError::Invalid(expected.clone()))
        );
        assert!(
            expected
                .to_string()
                .starts_with(&format!("metadata `adaptive.{field}` = "))
        );
    }
    let inside = AdaptiveRule {
        many: Strategy::Adaptive,
        ..AdaptiveRule::BUILT_IN
    };
    let built = engine::ModelBuilder::new(engine::ModelParams {
        adaptive: inside,
        ..testkit::fixture::params(10)
    })
    .build();
    assert!(matches!(
        built,
        Err(BuildError::Invalid(InvalidModel::BadAdaptiveRule {
            field: "many",
            ..
        }))
    ));
}
