//! Every option is checked before the first byte of input is read: a typo must not cost a
//! 30-second read of a 10 GB file. The inputs here do not exist, so an error about the option
//! (and not about the file) shows that nothing was read, nor even listed, first.

use std::path::{Path, PathBuf};
use std::process::Command;

use miner::dataset::{Format, ReadOptions};
use miner::guard::GuardOptions;
use miner::mine::{MineError, MineOptions};
use miner::pipeline::{PipelineError, PipelineOptions, mine_and_publish};

use crate::text;

/// `miner ARGS...` must fail with `message`, and say nothing of `missing`.
fn fails_on_the_option(args: &[&str], missing: &Path, message: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    let out = text(&o);
    assert!(!o.status.success(), "{args:?}: {out}");
    assert!(
        out.contains(message),
        "{args:?}: expected {message:?} in:\n{out}"
    );
    let name = missing.file_name().expect("a name").to_string_lossy();
    assert!(
        !out.contains(&*name) && !out.contains("No such file"),
        "{args:?}: the input was looked at first:\n{out}"
    );
}

fn missing(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    assert!(!path.exists());
    path
}

#[test]
fn mine_evaluate_sweep_and_import_check_their_options_before_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = missing(dir.path(), "ten-gigabytes.csv");
    let input = input.to_str().expect("utf-8");
    let report = dir.path().join("report");
    let report = report.to_str().expect("utf-8");
    let out = dir.path().join("models");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "mine",
            &["--max-len", "1"],
            "--max-len 1 must be at least 2",
        ),
        (
            "mine",
            &["--min-confidence", "1.5"],
            "--min-confidence 1.5 must be within [0, 1]",
        ),
        (
            "mine",
            &["--min-support", "0"],
            "--min-support 0 must be within (0, 1]",
        ),
        (
            "evaluate",
            &["--test-fraction", "1"],
            "--test-fraction 1 must be within (0, 1)",
        ),
        (
            "evaluate",
            &["--min-support", "2"],
            "--min-support 2 must be within (0, 1]",
        ),
        (
            "evaluate",
            &["--max-len", "0"],
            "--max-len 0 must be at least 2",
        ),
        (
            "sweep",
            &["--supports", "0.01,2"],
            "--supports: 2 is not within (0, 1]",
        ),
        (
            "sweep",
            &["--test-fraction", "1"],
            "--test-fraction 1 is not within [0, 1)",
        ),
        (
            "sweep",
            &["--test-fraction=-0.5"],
            "--test-fraction -0.5 is not within [0, 1)",
        ),
        (
            "sweep",
            &["--min-confidence=-1"],
            "--min-confidence -1 must be within [0, 1]",
        ),
        (
            "mine",
            &["--adaptive", "sum/x/cosine"],
            "adaptive rule \"sum/x/cosine\": \"x\" is not a seed count",
        ),
        (
            "evaluate",
            &["--adaptive", "adaptive/5/sum"],
            "\"adaptive\" is not a strategy it can pick",
        ),
        (
            "import",
            &["--adaptive", "fit"],
            "--adaptive fit needs the playlists, which the importer does not read",
        ),
    ];
    for &(command, extra, message) in cases {
        let mut args = vec![command, "--input", input];
        match command {
            "import" => {
                args = vec![
                    command,
                    "--from",
                    input,
                    "--out",
                    out.to_str().expect("utf-8"),
                ]
            }
            "mine" => args.extend(["--out", out.to_str().expect("utf-8")]),
            _ => args.extend(["--report", report]),
        }
        args.extend_from_slice(extra);
        fails_on_the_option(&args, Path::new(input), message);
    }
    assert!(!out.exists(), "nothing published, not even a directory");
    assert!(!Path::new(report).exists(), "no report");
}

#[test]
fn run_checks_its_options_before_it_locks_generates_or_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datasets = missing(dir.path(), "datasets");
    let out = dir.path().join("models");
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["run", "--max-len", "1", "--synth-if-empty", "100"])
        .env("SEGUE_DATASETS", &datasets)
        .env("SEGUE_MODEL_DIR", &out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("--max-len 1 must be at least 2"),
        "{}",
        text(&o)
    );
    assert!(
        !datasets.exists() && !out.exists(),
        "no synthetic data, no lock file, no model directory"
    );
}

#[test]
fn the_pipeline_checks_its_options_before_it_lists_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = missing(dir.path(), "ten-gigabytes.csv");
    let options = PipelineOptions {
        read: ReadOptions {
            format: Format::Auto,
            skip_invalid: false,
        },
        mine: MineOptions {
            min_support: Some(0.01),
            min_count: None,
            max_len: 3,
            min_confidence: 7.0,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
            adaptive: miner::fit::Adaptive::BUILT_IN,
        },
        store: dir.path().join("models").display().to_string(),
        keep: 5,
        itemsets: None,
        guard: GuardOptions::default(),
    };
    let err =
        mine_and_publish(&[input], &options, "2026-01-01T00:00:00Z".into()).expect_err("fails");
    assert!(
        matches!(&err, PipelineError::Mine(MineError::BadOption(m)) if m.contains("--min-confidence 7")),
        "{err}"
    );
}

/// Mining options with the given support settings (itemsets up to 3, confidence 0.05, every
/// rule, no neighbors, the built-in adaptive rule).
fn support(min_support: Option<f64>, min_count: Option<u32>) -> MineOptions {
    MineOptions {
        min_support,
        min_count,
        max_len: 3,
        min_confidence: 0.05,
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    }
}

#[test]
fn a_min_count_replaces_the_support_and_its_check() {
    // As before the checks moved up front: with a minimum count, the support is not used.
    let options = support(Some(5.0), Some(3));
    assert_eq!(options.validate(), Ok(()));
    assert_eq!(miner::mine::min_count_for(&options, 100), Ok(3));
}

#[test]
fn a_min_count_is_recorded_as_the_support_it_stands_for() {
    // The fraction given beside it was not used, so the model does not claim it.
    let mut tx = miner::dataset::Transactions::new();
    for p in testkit::random_sets(7, 200, 30, 6, 1.5) {
        tx.push(&p);
    }
    let options = support(Some(0.5), Some(4));
    let data = crate::neighbors::dataset(tx, 30);
    let mined = miner::mine::mine(&data, &options, "2026-01-01T00:00:00Z".into()).expect("mines");
    let meta = mined.model.metadata();
    assert_eq!((meta.min_count, meta.min_support), (4, 4.0 / 200.0));
    let by_fraction = MineOptions {
        min_count: None,
        min_support: Some(0.02),
        ..options
    };
    let mined =
        miner::mine::mine(&data, &by_fraction, "2026-01-01T00:00:00Z".into()).expect("mines");
    let meta = mined.model.metadata();
    assert_eq!((meta.min_count, meta.min_support), (4, 0.02));
}

#[test]
fn keeping_no_consequent_is_refused() {
    let options = MineOptions {
        min_support: Some(0.01),
        min_count: None,
        max_len: 3,
        min_confidence: 0.05,
        max_consequents: Some(0),
        neighbors: None,
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    };
    let err = options.validate().expect_err("0 keeps nothing");
    assert!(err.to_string().contains("--max-consequents 0"), "{err}");
}

#[test]
fn no_neighbors_and_a_zero_neighbor_count_are_refused() {
    let base = MineOptions {
        min_support: Some(0.01),
        min_count: None,
        max_len: 3,
        min_confidence: 0.05,
        max_consequents: None,
        neighbors: Some(10),
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    };
    assert_eq!(base.validate(), Ok(()));
    let err = MineOptions {
        neighbors: Some(0),
        ..base.clone()
    }
    .validate()
    .expect_err("0 neighbors adds nothing");
    assert!(err.to_string().contains("--neighbors 0"), "{err}");
    let err = MineOptions {
        neighbor_min_count: 0,
        adaptive: miner::fit::Adaptive::BUILT_IN,
        ..base
    }
    .validate()
    .expect_err("a rule needs a playlist");
    assert!(err.to_string().contains("--neighbor-min-count 0"), "{err}");
}
