//! `miner sweep`: one row per support, consistent with mining at that support, and a report.

use std::process::Command;

use miner::dataset::{Format, ReadOptions, read};
use miner::mine::{MineOptions, mine};
use miner::report::Report;
use miner::sweep::{SweepOptions, sweep};
use miner::synth::{SynthOptions, write};

use crate::text;

/// Generated baskets in a temporary directory (kept alive by the returned guard).
fn baskets(playlists: usize, seed: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.dat");
    write(&SynthOptions { playlists, seed }, Format::Baskets, &path).expect("writes");
    (dir, path)
}

#[test]
fn rows_match_single_runs_and_fall_with_support() {
    let (_dir, path) = baskets(4_000, 9);
    let data = read(
        &[path],
        ReadOptions {
            format: Format::Baskets,
            skip_invalid: false,
        },
    )
    .expect("reads");
    let base = MineOptions {
        min_support: None,
        min_count: None,
        max_len: 3,
        min_confidence: 0.05,
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    };
    let supports = [0.2, 0.02, 0.01, 0.005];
    let options = SweepOptions {
        mine: base.clone(),
        supports: supports.to_vec(),
        max_consequents: vec![],
        test_fraction: 0.0,
        seed: 1,
    };
    let rows = sweep(&data, &options).expect("sweeps");
    assert_eq!(rows.iter().map(|r| r.support).collect::<Vec<_>>(), supports);
    assert_eq!(
        rows[0].rules, 0,
        "nothing is frequent at 20%: a row of zeros, not an error"
    );
    assert!(
        rows.windows(2).all(|w| w[0].rules <= w[1].rules),
        "lower support, more rules"
    );
    assert!(rows[3].rules > 0);
    let single = mine(
        &data,
        &MineOptions {
            min_support: Some(0.01),
            ..base.clone()
        },
        "2026-01-01T00:00:00Z".into(),
    )
    .expect("mines");
    assert_eq!(rows[2].rules, single.report.rules);
    assert_eq!(rows[2].itemsets_by_len, single.report.itemsets_by_len);
    assert_eq!(rows.markdown().lines().count(), 2 + supports.len());
}

#[test]
fn the_command_writes_table_json_and_chart() {
    let (dir, path) = baskets(2_000, 2);
    let report = dir.path().join("report");
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args([
            "sweep",
            "--input",
            path.to_str().expect("utf-8"),
            "--supports",
            "0.05,0.01",
            "--test-fraction",
            "0",
        ])
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("| 0.01 | all | 20 |"), "{}", text(&o));
    assert!(
        !text(&o).contains("R-precision"),
        "no held-out part, no quality"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("sweep.json")).expect("reads"))
            .expect("json");
    assert_eq!(json.as_array().expect("rows").len(), 2);
    let svg = std::fs::read_to_string(report.join("sweep.svg")).expect("reads");
    assert!(
        svg.starts_with("<svg") && svg.contains("rules and mining time"),
        "an SVG chart"
    );
    // By default a fifth is held out: the rows say what each support gives in quality.
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["sweep", "--input", path.to_str().expect("utf-8")])
        .args(["--supports", "0.01"])
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("| R-precision [95% CI] | NDCG [95% CI] | hit@10 | rule-based |"),
        "{}",
        text(&o)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("sweep.json")).expect("reads"))
            .expect("json");
    assert!(json[0]["quality"]["ndcg"].as_f64().expect("ndcg") > 0.0);
    let svg = std::fs::read_to_string(report.join("sweep.svg")).expect("reads");
    assert!(svg.contains("held-out NDCG"), "the quality panel");
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args([
            "sweep",
            "--input",
            path.to_str().expect("utf-8"),
            "--supports",
            "0.05,1.5",
        ])
        .output()
        .expect("runs");
    assert!(
        !o.status.success() && text(&o).contains("1.5 is not within (0, 1]"),
        "{}",
        text(&o)
    );
}

#[test]
fn the_sweep_prunes_each_support_to_each_setting() {
    let (_dir, path) = baskets(3_000, 5);
    let data = read(
        &[path],
        ReadOptions {
            format: Format::Baskets,
            skip_invalid: false,
        },
    )
    .expect("reads");
    let options = SweepOptions {
        mine: MineOptions {
            min_support: None,
            min_count: None,
            max_len: 3,
            min_confidence: 0.0,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
            adaptive: miner::fit::Adaptive::BUILT_IN,
        },
        supports: vec![0.01, 0.004],
        max_consequents: vec![0, 5, 1],
        test_fraction: 0.0,
        seed: 1,
    };
    let rows = sweep(&data, &options).expect("sweeps");
    let settings: Vec<(f64, Option<usize>)> = rows
        .iter()
        .map(|r| (r.support, r.max_consequents))
        .collect();
    assert_eq!(
        settings,
        [
            (0.01, None),
            (0.01, Some(5)),
            (0.01, Some(1)),
            (0.004, None),
            (0.004, Some(5)),
            (0.004, Some(1))
        ]
    );
    for w in rows.chunks(3) {
        assert!(
            w[0].rules > w[1].rules && w[1].rules > w[2].rules,
            "fewer rules kept"
        );
        assert!(w[0].model_bytes > w[2].model_bytes, "a smaller blob");
    }
    assert!(rows.markdown().contains("| 0.004 | 5 |"));
}
