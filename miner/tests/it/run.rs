//! `miner run`: rotation through datasets with a history, and a lock against overlap.

use std::path::Path;
use std::process::{Command, Output};

use crate::text;

fn run(datasets: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["run", "--min-count", "1"])
        .env("SEGUE_DATASETS", datasets)
        .env("SEGUE_MODEL_DIR", out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let datasets = dir.path().join("datasets");
    std::fs::create_dir(&datasets).expect("mkdir");
    for (i, tracks) in [("1", "a b"), ("2", "c d"), ("3", "e f")] {
        let mut csv = String::from("pid,track_uri,track_name\n");
        for (p, pair) in [tracks, tracks].iter().enumerate() {
            for t in pair.split(' ') {
                csv.push_str(&format!("{p},{t},{t}\n"));
            }
        }
        std::fs::write(datasets.join(format!("2023_spotify_ds{i}.csv")), csv).expect("writes");
    }
    std::fs::write(datasets.join("notes.txt"), "not matched by *.csv").expect("writes");
    let out = dir.path().join("models");
    (dir, datasets, out)
}

fn history(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("history.csv"))
        .expect("reads")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn rotates_and_wraps_around() {
    let (_dir, datasets, out) = setup();
    let mut mined = Vec::new();
    for _ in 0..4 {
        let o = run(&datasets, &out);
        assert!(o.status.success(), "{}", text(&o));
        let line = text(&o)
            .lines()
            .find(|l| l.starts_with("dataset "))
            .expect("reports the dataset")
            .to_owned();
        mined.push(line);
    }
    assert_eq!(
        mined,
        [
            "dataset 1 of 3: 2023_spotify_ds1.csv",
            "dataset 2 of 3: 2023_spotify_ds2.csv",
            "dataset 3 of 3: 2023_spotify_ds3.csv",
            "dataset 1 of 3: 2023_spotify_ds1.csv"
        ]
    );
    let h = history(&out);
    assert_eq!(h[0], "time,dataset_index,dataset_file");
    assert_eq!(h.len(), 5);
    assert!(h[4].ends_with(",0,2023_spotify_ds1.csv"), "{h:?}");
    // The current model is the last dataset's.
    let current = store::dir::current(&out).expect("reads").expect("exists");
    let model = engine::Model::from_blob(&std::fs::read(current).expect("reads")).expect("decodes");
    assert_eq!(model.metadata().datasets, ["2023_spotify_ds1.csv"]);
}

#[test]
fn survives_a_missing_or_malformed_history() {
    let (_dir, datasets, out) = setup();
    assert!(run(&datasets, &out).status.success());
    // A crash mid-append, then garbage: the last good line (dataset 1) counts.
    let path = out.join("history.csv");
    let mut h = std::fs::read_to_string(&path).expect("reads");
    h.push_str("2026-11-28T1");
    std::fs::write(&path, h).expect("writes");
    let o = run(&datasets, &out);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("dataset 2 of 3"), "{}", text(&o));
    assert!(
        text(&o).contains("ignoring a malformed history line"),
        "{}",
        text(&o)
    );

    std::fs::remove_file(&path).expect("removes");
    let o = run(&datasets, &out);
    assert!(text(&o).contains("dataset 1 of 3"), "{}", text(&o));
}

#[test]
fn an_overlapping_run_does_nothing() {
    let (_dir, datasets, out) = setup();
    let _held = miner::rotate::try_lock(&out.join(".miner.lock"))
        .expect("locks")
        .expect("free");
    let o = run(&datasets, &out);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("another `miner run` holds"),
        "{}",
        text(&o)
    );
    assert!(!out.join("current").exists() && !out.join("history.csv").exists());
}

#[test]
fn no_matching_dataset_is_an_error() {
    let (_dir, datasets, out) = setup();
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["run", "--glob", "*.parquet"])
        .env("SEGUE_DATASETS", &datasets)
        .env("SEGUE_MODEL_DIR", &out)
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(text(&o).contains("matches \"*.parquet\""), "{}", text(&o));
}

fn run_with(datasets: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["run", "--min-support", "0.05"])
        .args(args)
        .env("SEGUE_DATASETS", datasets)
        .env("SEGUE_MODEL_DIR", out)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .output()
        .expect("runs")
}

#[test]
fn synth_if_empty_fills_a_missing_datasets_directory_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (datasets, out) = (dir.path().join("datasets"), dir.path().join("models"));
    let o = run_with(&datasets, &out, &[], &[("SEGUE_SYNTH_IF_EMPTY", "300")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("wrote synthetic playlists (--synth-if-empty)"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("dataset 1 of 1: synthetic.csv"),
        "{}",
        text(&o)
    );
    let csv = std::fs::read_to_string(datasets.join("synthetic.csv")).expect("reads");
    assert!(csv.starts_with("pid,track_name,track_uri,"), "{csv:.100}");
    let current = store::dir::current(&out).expect("reads").expect("exists");
    let model = engine::Model::from_blob(&std::fs::read(current).expect("reads")).expect("decodes");
    assert_eq!(model.metadata().playlists, 300);
    assert!(model.rule_count() > 0);

    // The directory is no longer empty: nothing is generated again.
    let o = run_with(&datasets, &out, &["--synth-if-empty", "50"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("synthetic playlists"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(datasets.join("synthetic.csv")).expect("reads"),
        csv
    );
}

#[test]
fn synth_if_empty_follows_the_glob_and_leaves_matching_datasets_alone() {
    let (_dir, datasets, out) = setup();
    let o = run_with(&datasets, &out, &["--synth-if-empty", "100"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!datasets.join("synthetic.csv").exists());
    assert!(text(&o).contains("dataset 1 of 3"), "{}", text(&o));

    // Nothing matches `ds*.dat` yet (the CSVs do not count): baskets are written.
    let o = run_with(
        &datasets,
        &out,
        &["--synth-if-empty", "300", "--glob", "ds*.dat"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("format=baskets"), "{}", text(&o));
    assert!(
        text(&o).contains("dataset 1 of 1: dssynthetic.dat"),
        "{}",
        text(&o)
    );

    // A glob that names no known format needs --format.
    let o = run_with(
        &datasets,
        &out,
        &["--synth-if-empty", "100", "--glob", "*.orc"],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("cannot tell a format from --glob \"*.orc\""),
        "{}",
        text(&o)
    );
    // Parquet is read, not generated.
    let o = run_with(
        &datasets,
        &out,
        &["--synth-if-empty", "100", "--glob", "*.parquet"],
        &[],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("not parquet"), "{}", text(&o));
}

#[test]
fn if_no_model_mines_only_into_an_empty_model_directory() {
    let (_dir, datasets, out) = setup();
    let o = run_with(&datasets, &out, &["--if-no-model", "--min-count", "1"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("dataset 1 of 3"), "{}", text(&o));
    let o = run_with(
        &datasets,
        &out,
        &["--min-count", "1"],
        &[("SEGUE_IF_NO_MODEL", "true")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already published: "), "{}", text(&o));
    assert_eq!(history(&out).len(), 2, "one run mined");
}
