//! The real `miner` binary, end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::text;

fn miner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn baskets(dir: &Path) -> String {
    // 6 playlists: a and b go together.
    let path = dir.join("demo.dat");
    std::fs::write(&path, "a b c\na b\na b d\nc d\na b c\ne\n").expect("writes");
    path.display().to_string()
}

#[test]
fn mine_publish_inspect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = baskets(dir.path());
    let out = dir.path().join("models");
    let itemsets = dir.path().join("itemsets.tsv");
    let o = miner(&[
        "mine",
        "--input",
        &input,
        "--out",
        out.to_str().expect("utf-8"),
        "--min-count",
        "2",
        "--min-confidence",
        "0.5",
        "--itemsets",
        itemsets.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let report = text(&o);
    assert!(
        report.contains("playlists 6  rows 14  tracks 5  min count 2"),
        "{report}"
    );
    assert!(
        report.contains("frequent itemsets by size  1: 4  2: 3  3: 1"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(&itemsets).expect("reads"),
        "4\ta\n4\tb\n3\tc\n2\td\n4\ta b\n2\ta c\n2\tb c\n2\ta b c\n"
    );

    let o = miner(&["inspect", out.to_str().expect("utf-8"), "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["metadata"]["playlists"], 6);
    assert_eq!(v["metadata"]["min_count"], 2);
    assert_eq!(v["metadata"]["datasets"][0], "demo.dat");
    assert_eq!(v["top_rules"][0]["antecedent"][0], "a");
    assert_eq!(v["top_rules"][0]["consequent"], "b");
    assert_eq!(v["top_rules"][0]["confidence"], 1.0);
}

/// `miner mine --input INPUT EXTRA...` must fail with `message` and publish nothing.
fn fails_without_publishing(input: &Path, extra: &[&str], message: &str) {
    let out = input.with_file_name("never-published");
    let mut args = vec![
        "mine",
        "--input",
        input.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let o = miner(&args);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(message),
        "expected {message:?} in:\n{}",
        text(&o)
    );
    assert!(text(&o).contains("nothing was published"), "{}", text(&o));
    assert!(!out.exists(), "nothing published");
}

#[test]
fn bad_input_fails_and_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "pid,track_uri\n1,u1\n2,\n").expect("writes");
    fails_without_publishing(&bad, &[], "bad.csv:3:2: empty track_uri");
    let input = PathBuf::from(baskets(dir.path()));
    fails_without_publishing(
        &input,
        &["--min-count", "100"],
        "no itemset reaches the minimum count 100 of 6 playlists",
    );
    let empty = dir.path().join("empty.dat");
    std::fs::write(&empty, "").expect("writes");
    fails_without_publishing(&empty, &[], "the input has no playlists");
    fails_without_publishing(
        &input,
        &["--max-len", "1"],
        "--max-len 1 must be at least 2",
    );
}

#[test]
fn options_come_from_the_environment_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = baskets(dir.path());
    let out = dir.path().join("m");
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["mine"])
        .env("SEGUE_INPUT", &input)
        .env("SEGUE_MODEL_DIR", &out)
        .env("SEGUE_MIN_COUNT", "3")
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(out.join("current").exists());
    assert!(text(&o).contains("min count 3"), "{}", text(&o));
}
