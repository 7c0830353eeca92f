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

/// Every subcommand's flags with their short form, environment variable, default, arity and
/// delimiter: the contract that `k8s/`, the `Dockerfile` and the scripts rely on (the deploy
/// test in `server/` parses the manifests with these definitions). Sorted by name, so that
/// moving flags between clap groups does not show here, only changing one.
#[test]
fn flags_env_vars_and_defaults_stay_put() {
    let mut command = miner::cli::command();
    command.build();
    let mut lines = Vec::new();
    for sub in std::iter::once(&command).chain(command.get_subcommands()) {
        let mut args: Vec<String> = sub
            .get_arguments()
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|a| {
                let name = a
                    .get_long()
                    .map_or_else(|| a.get_id().to_string(), |l| format!("--{l}"));
                let short = a.get_short().map(|s| format!(" -{s}")).unwrap_or_default();
                let env = a
                    .get_env()
                    .map(|e| format!(" env={}", e.to_string_lossy()))
                    .unwrap_or_default();
                let default: Vec<String> = a
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect();
                let default = if default.is_empty() {
                    String::new()
                } else {
                    format!(" default={}", default.join(","))
                };
                let delimiter = a
                    .get_value_delimiter()
                    .map(|d| format!(" delimiter={d:?}"))
                    .unwrap_or_default();
                let required = if a.is_required_set() { " required" } else { "" };
                let global = if a.is_global_set() { " global" } else { "" };
                format!(
                    "{} {name}{short}{env}{default}{delimiter} {:?} {:?}{required}{global}",
                    sub.get_name(),
                    a.get_action(),
                    a.get_num_args(),
                )
            })
            .collect();
        args.sort();
        lines.extend(args);
    }
    let got = lines.join("\n");
    assert_eq!(got, FLAGS.trim());
}

const FLAGS: &str = "
miner --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
mine --adaptive env=SEGUE_ADAPTIVE default=fit Set Some(1)
mine --force env=SEGUE_FORCE default=false SetTrue Some(0)
mine --format env=SEGUE_FORMAT default=auto Set Some(1)
mine --guard-min-playlists env=SEGUE_GUARD_MIN_PLAYLISTS default=0.5 Set Some(1)
mine --guard-min-tracks env=SEGUE_GUARD_MIN_TRACKS default=0.5 Set Some(1)
mine --input -i env=SEGUE_INPUT delimiter=',' Append Some(1..) required
mine --itemsets env=SEGUE_ITEMSETS Set Some(1)
mine --json env=SEGUE_JSON default=false SetTrue Some(0)
mine --keep env=SEGUE_KEEP default=5 Set Some(1)
mine --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
mine --max-consequents env=SEGUE_MAX_CONSEQUENTS Set Some(1)
mine --max-len env=SEGUE_MAX_LEN default=3 Set Some(1)
mine --min-confidence env=SEGUE_MIN_CONFIDENCE default=0.05 Set Some(1)
mine --min-count env=SEGUE_MIN_COUNT Set Some(1)
mine --min-support env=SEGUE_MIN_SUPPORT default=0.01 Set Some(1)
mine --neighbor-min-count env=SEGUE_NEIGHBOR_MIN_COUNT default=2 Set Some(1)
mine --neighbors env=SEGUE_NEIGHBORS Set Some(1)
mine --out -o env=SEGUE_MODEL_DIR default=models Set Some(1)
mine --skip-invalid env=SEGUE_SKIP_INVALID default=false SetTrue Some(0)
mine --store env=SEGUE_MODEL_STORE Set Some(1)
import --adaptive env=SEGUE_ADAPTIVE default=built-in Set Some(1)
import --force env=SEGUE_FORCE default=false SetTrue Some(0)
import --from env=SEGUE_IMPORT_FROM Set Some(1) required
import --guard-min-playlists env=SEGUE_GUARD_MIN_PLAYLISTS default=0.5 Set Some(1)
import --guard-min-tracks env=SEGUE_GUARD_MIN_TRACKS default=0.5 Set Some(1)
import --keep env=SEGUE_KEEP default=5 Set Some(1)
import --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
import --min-confidence env=SEGUE_MIN_CONFIDENCE default=0.05 Set Some(1)
import --out -o env=SEGUE_MODEL_DIR default=models Set Some(1)
import --store env=SEGUE_MODEL_STORE Set Some(1)
inspect --json default=false SetTrue Some(0)
inspect --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
inspect --top default=10 Set Some(1)
inspect path Set Some(1) required
run --adaptive env=SEGUE_ADAPTIVE default=fit Set Some(1)
run --datasets env=SEGUE_DATASETS default=datasets Set Some(1)
run --force env=SEGUE_FORCE default=false SetTrue Some(0)
run --format env=SEGUE_FORMAT default=auto Set Some(1)
run --glob env=SEGUE_GLOB default=*.csv Set Some(1)
run --guard-min-playlists env=SEGUE_GUARD_MIN_PLAYLISTS default=0.5 Set Some(1)
run --guard-min-tracks env=SEGUE_GUARD_MIN_TRACKS default=0.5 Set Some(1)
run --history env=SEGUE_HISTORY Set Some(1)
run --if-no-model env=SEGUE_IF_NO_MODEL default=false SetTrue Some(0)
run --itemsets env=SEGUE_ITEMSETS Set Some(1)
run --json env=SEGUE_JSON default=false SetTrue Some(0)
run --keep env=SEGUE_KEEP default=5 Set Some(1)
run --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
run --max-consequents env=SEGUE_MAX_CONSEQUENTS Set Some(1)
run --max-len env=SEGUE_MAX_LEN default=3 Set Some(1)
run --min-confidence env=SEGUE_MIN_CONFIDENCE default=0.05 Set Some(1)
run --min-count env=SEGUE_MIN_COUNT Set Some(1)
run --min-support env=SEGUE_MIN_SUPPORT default=0.01 Set Some(1)
run --neighbor-min-count env=SEGUE_NEIGHBOR_MIN_COUNT default=2 Set Some(1)
run --neighbors env=SEGUE_NEIGHBORS Set Some(1)
run --out -o env=SEGUE_MODEL_DIR default=models Set Some(1)
run --skip-invalid env=SEGUE_SKIP_INVALID default=false SetTrue Some(0)
run --store env=SEGUE_MODEL_STORE Set Some(1)
run --synth-if-empty env=SEGUE_SYNTH_IF_EMPTY Set Some(1)
sweep --adaptive env=SEGUE_ADAPTIVE default=fit Set Some(1)
sweep --format env=SEGUE_FORMAT default=auto Set Some(1)
sweep --input -i env=SEGUE_INPUT delimiter=',' Append Some(1..) required
sweep --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
sweep --max-consequents default=0 delimiter=',' Append Some(1)
sweep --max-len env=SEGUE_MAX_LEN default=3 Set Some(1)
sweep --min-confidence env=SEGUE_MIN_CONFIDENCE default=0.05 Set Some(1)
sweep --report default=sweep Set Some(1)
sweep --seed default=1 Set Some(1)
sweep --skip-invalid env=SEGUE_SKIP_INVALID default=false SetTrue Some(0)
sweep --supports default=0.02,0.01,0.005,0.002,0.001 delimiter=',' Append Some(1)
sweep --test-fraction default=0.2 Set Some(1)
models --json default=false SetTrue Some(0)
models --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
models --out -o env=SEGUE_MODEL_DIR default=models Set Some(1)
models --store env=SEGUE_MODEL_STORE Set Some(1)
rollback --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
rollback --out -o env=SEGUE_MODEL_DIR default=models Set Some(1)
rollback --store env=SEGUE_MODEL_STORE Set Some(1)
rollback id Set Some(1) required
synth --format env=SEGUE_SYNTH_FORMAT default=csv Set Some(1)
synth --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
synth --out -o env=SEGUE_SYNTH_OUT Set Some(1) required
synth --playlists env=SEGUE_SYNTH_PLAYLISTS default=10000 Set Some(1)
synth --profile env=SEGUE_SYNTH_PROFILE default=mpd Set Some(1)
synth --seed env=SEGUE_SYNTH_SEED default=1 Set Some(1)
synth --stats default=false SetTrue Some(0)
evaluate --adaptive env=SEGUE_ADAPTIVE default=fit Set Some(1)
evaluate --format env=SEGUE_FORMAT default=auto Set Some(1)
evaluate --input -i env=SEGUE_INPUT delimiter=',' Append Some(1..) required
evaluate --knn-neighbors default=200 Set Some(1)
evaluate --log-format env=SEGUE_LOG_FORMAT default=text Set Some(1) global
evaluate --max-consequents env=SEGUE_MAX_CONSEQUENTS Set Some(1)
evaluate --max-len env=SEGUE_MAX_LEN default=3 Set Some(1)
evaluate --min-confidence env=SEGUE_MIN_CONFIDENCE default=0.05 Set Some(1)
evaluate --min-count env=SEGUE_MIN_COUNT Set Some(1)
evaluate --min-support env=SEGUE_MIN_SUPPORT default=0.01 Set Some(1)
evaluate --neighbor-min-count env=SEGUE_NEIGHBOR_MIN_COUNT default=2 Set Some(1)
evaluate --neighbors env=SEGUE_NEIGHBORS Set Some(1)
evaluate --report default=evaluation Set Some(1)
evaluate --resamples default=1000 Set Some(1)
evaluate --seed default=1 Set Some(1)
evaluate --skip-invalid env=SEGUE_SKIP_INVALID default=false SetTrue Some(0)
evaluate --test-fraction default=0.2 Set Some(1)
evaluate --validation default=false SetTrue Some(0)
";
