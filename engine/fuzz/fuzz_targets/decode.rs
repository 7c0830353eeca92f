//! Feeds arbitrary bytes to the blob decoder: it must return a model or an error, never panic,
//! and any blob it accepts must be canonical (re-encoding gives the same bytes).
//!
//! `cargo +nightly fuzz run decode` from `engine/` (see README, "Fuzzing"). The input is also
//! tried behind a valid header, so that mutations reach the payload decoder and the validator.

#![no_main]

use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    let copied = engine::Model::from_blob(bytes);
    // The decoder that keeps slices of the blob must agree, error for error.
    let shared = engine::Model::from_shared_blob(&bytes::Bytes::copy_from_slice(bytes));
    assert_eq!(
        shared.map(|m| m.to_blob()).map_err(|e| e.to_string()),
        copied.as_ref().map(|m| m.to_blob()).map_err(ToString::to_string),
        "the two decoders disagree"
    );
    if let Ok(model) = copied {
        assert_eq!(model.to_blob(), bytes, "accepted blob is not canonical");
        let _ = engine::recommend(&model, &["a", "spotify:track:x"], &engine::Options::default());
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut wrapped = Vec::with_capacity(engine::HEADER_LEN + data.len());
    wrapped.extend_from_slice(&engine::MAGIC);
    wrapped.extend_from_slice(&engine::FORMAT_VERSION.to_le_bytes());
    wrapped.extend_from_slice(&(data.len() as u64).to_le_bytes());
    wrapped.extend_from_slice(&xxh3_64(data).to_le_bytes());
    wrapped.extend_from_slice(data);
    check(&wrapped);
});

fn xxh3_64(data: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(data)
}
