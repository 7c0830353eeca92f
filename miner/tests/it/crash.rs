//! Publishing survives a kill at any moment: `current` always names a complete model.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use miner::dataset::Format;
use miner::synth::{SynthOptions, write};

fn check_current(out: &std::path::Path) -> Option<String> {
    let path = store::dir::current(out).expect("current is never malformed")?;
    let bytes = std::fs::read(&path).expect("current names an existing blob");
    let model = engine::Model::from_blob(&bytes).expect("current names a complete, valid blob");
    Some(model.id().to_owned())
}

#[test]
fn killing_a_publishing_miner_at_random_points_never_breaks_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data.dat");
    write(
        &SynthOptions {
            playlists: 3_000,
            seed: 5,
        },
        Format::Baskets,
        &data,
    )
    .expect("writes");
    let out = dir.path().join("models");
    let mine = |min_count: &str| {
        Command::new(env!("CARGO_BIN_EXE_miner"))
            .args([
                "mine",
                "--input",
                data.to_str().expect("utf-8"),
                "--min-count",
                min_count,
                "--keep",
                "2",
            ])
            .env("SEGUE_MODEL_DIR", &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns")
    };
    // How long one whole run takes here, to spread the kills over it.
    let start = Instant::now();
    assert!(mine("30").wait().expect("waits").success());
    let full = start.elapsed();
    let mut ids = vec![check_current(&out).expect("published")];
    let mut state = 0x5EED_u64;
    let (mut killed, mut finished) = (0, 0);
    for i in 0..40 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // 40% to 120% of a full run: reading and mining, and above all the publishing at the end.
        let at = full.mul_f64(0.4 + (state >> 11) as f64 / (1u64 << 53) as f64 * 0.8);
        // Alternate supports so that every finished run publishes a different model.
        let mut child = mine(if i % 2 == 0 { "25" } else { "35" });
        std::thread::sleep(at);
        match child.try_wait().expect("polls") {
            Some(_) => finished += 1,
            None => {
                child.kill().expect("kills");
                killed += 1;
            }
        }
        child.wait().expect("reaps");
        let id = check_current(&out).expect("a model stays current");
        if !ids.contains(&id) {
            ids.push(id);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        killed >= 10,
        "the test should kill runs mid-way ({killed} killed, {finished} finished)"
    );
    assert!(
        ids.len() <= 3,
        "only the three supports' models can ever be current: {ids:?}"
    );
    // Leftover temp files are not blobs, and the next full run cleans up after itself.
    assert!(mine("30").wait().expect("waits").success());
    check_current(&out).expect("published");
}
