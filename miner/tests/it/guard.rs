//! The publish guard, through the binary: a good model stays current when a run would replace
//! it with garbage (far fewer playlists, a dataset changed under its name), `--force` and
//! `SEGUE_FORCE` publish anyway, the first model of an empty store is always accepted, and
//! `miner inspect` shows what was compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use miner::dataset::Format;
use miner::synth::{SynthOptions, write};

use crate::text;

fn miner(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(args)
        .envs(envs.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// `miner mine --input input --out out` at support 2%, and `extra` flags.
fn mine(input: &Path, out: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "mine",
        "--min-support",
        "0.02",
        "--input",
        s(input),
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    miner(&args, envs)
}

fn current(out: &Path) -> String {
    std::fs::read_to_string(out.join("current")).expect("a current model")
}

fn blobs(out: &Path) -> usize {
    std::fs::read_dir(out.join("models"))
        .expect("models")
        .count()
}

fn synth_csv(dir: &Path, name: &str, playlists: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    write(&SynthOptions { playlists, seed }, Format::Csv, &path).expect("writes");
    path
}

fn one_playlist(dir: &Path) -> PathBuf {
    let path = dir.join("tiny.csv");
    std::fs::write(
        &path,
        "pid,track_uri,track_name\n0,spotify:track:a,A\n0,spotify:track:b,B\n",
    )
    .expect("writes");
    path
}

#[test]
fn a_one_playlist_run_never_replaces_a_good_model_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("models");
    let good = synth_csv(dir.path(), "good.csv", 2_000, 3);
    let o = mine(&good, &out, &[], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let before = current(&out);

    let tiny = one_playlist(dir.path());
    let o = mine(&tiny, &out, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("the publish guard refused the model"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 playlists, under 0.5 × the current model's 2000"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was published"), "{stderr}");
    assert_eq!(current(&out), before, "current unchanged");
    assert_eq!(blobs(&out), 1, "no blob written");

    // --json: the refusal's comparison on stdout.
    let o = mine(&tiny, &out, &["--json"], &[]);
    assert!(!o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let refused = &json["refused"];
    assert_eq!(refused["decision"], "refused");
    assert_eq!(refused["candidate"]["playlists"], 1);
    assert_eq!(refused["current"]["playlists"], 2000);
    let kinds: Vec<&str> = refused["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["fewer_playlists", "fewer_tracks"]);

    // inspect: the check that published the good model, and the refusal since.
    let o = miner(&["inspect", s(&out), "--top", "1"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(
        shown.contains(
            "publish guard, when this model was published: guard accepted (no current model)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("publish guard, last check: guard refused"),
        "{shown}"
    );
    assert!(
        shown.contains("reason: 1 playlists, under 0.5 × the current model's 2000"),
        "{shown}"
    );
    let o = miner(&["inspect", s(&out), "--json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(json["guard"]["last"]["decision"], "refused");
    assert_eq!(json["guard"]["published"]["decision"], "first");

    // A lower threshold lets it through the size checks; --force through everything.
    let o = mine(&tiny, &out, &["--force"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(current(&out), before);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("publishing it anyway (forced)"),
        "{}",
        text(&o)
    );
    let o = miner(&["inspect", s(&out), "--json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(json["guard"]["published"]["decision"], "forced");
    assert_eq!(json["metadata"]["playlists"], 1);

    // Back to the good model: more playlists, accepted without force.
    let o = mine(&good, &out, &[], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(current(&out), before);
}

#[test]
fn thresholds_and_the_force_variable_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("models");
    let good = synth_csv(dir.path(), "good.csv", 1_000, 4);
    assert!(mine(&good, &out, &[], &[]).status.success());
    let small = synth_csv(dir.path(), "small.csv", 300, 4);
    let o = mine(&small, &out, &[], &[]);
    assert!(!o.status.success(), "300 of 1000 playlists: {}", text(&o));
    // Both thresholds lowered: accepted.
    let o = mine(
        &small,
        &out,
        &[],
        &[
            ("SEGUE_GUARD_MIN_PLAYLISTS", "0.25"),
            ("SEGUE_GUARD_MIN_TRACKS", "0.25"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // A threshold out of range fails before reading.
    let o = mine(&good, &out, &["--guard-min-tracks", "2"], &[]);
    assert!(
        text(&o).contains("--guard-min-tracks must be within [0, 1], got 2"),
        "{}",
        text(&o)
    );
    let o = mine(
        &one_playlist(dir.path()),
        &out,
        &[],
        &[("SEGUE_FORCE", "true")],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn the_first_model_of_an_empty_store_is_always_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("models");
    let o = mine(&one_playlist(dir.path()), &out, &["--min-count", "1"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("guard accepted (no current model)"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_dataset_published_before_under_its_name_must_keep_its_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("models");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let ds1 = synth_csv(&data, "ds1.csv", 1_000, 1);
    assert!(mine(&ds1, &out, &[], &[]).status.success());
    let ds2 = synth_csv(&data, "ds2.csv", 1_000, 2);
    assert!(mine(&ds2, &out, &[], &[]).status.success());
    // The same file again: accepted (a rotation comes back to it).
    let o = mine(&ds1, &out, &[], &[]);
    assert!(o.status.success(), "{}", text(&o));
    // ds1.csv replaced by other playlists of the same size: refused.
    synth_csv(&data, "ds1.csv", 1_000, 9);
    let o = mine(&ds1, &out, &[], &[]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("dataset ds1.csv was published on"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("with other content"), "{}", text(&o));
}

#[test]
fn miner_run_refuses_too_and_leaves_the_history_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datasets = dir.path().join("datasets");
    std::fs::create_dir(&datasets).expect("mkdir");
    synth_csv(&datasets, "ds1.csv", 1_500, 1);
    std::fs::copy(one_playlist(dir.path()), datasets.join("ds2.csv")).expect("copies");
    let out = dir.path().join("models");
    let run = |envs: &[(&str, &str)]| {
        let mut all = vec![
            ("SEGUE_DATASETS", s(&datasets)),
            ("SEGUE_MODEL_DIR", s(&out)),
            ("SEGUE_MIN_SUPPORT", "0.02"),
        ];
        all.extend_from_slice(envs);
        miner(&["run"], &all)
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    let before = current(&out);
    let history = std::fs::read_to_string(out.join("history.csv")).expect("history");
    let o = run(&[]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("the publish guard refused the model"),
        "{}",
        text(&o)
    );
    assert_eq!(current(&out), before);
    assert_eq!(
        std::fs::read_to_string(out.join("history.csv")).expect("history"),
        history,
        "a refused run is not in the history"
    );
}

/// A publish reads the pointer once (when it starts) and the current blob at most once: the
/// guard compares with the model the run's first read found, from the blob already read.
#[test]
fn a_publish_reads_the_pointer_once_and_the_current_blob_at_most_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("models");
    let current = testkit::fixture::fixture();
    store::dir::publish(&out, current.id(), &current.to_blob(), 5).expect("publishes");
    let store = store::open(s(&out)).expect("opens");
    let mut base = miner::publish::base(&store).expect("reads the pointer");
    let blob_path = store::layout::blob_path(current.id());
    assert_eq!(base.pointer.as_deref(), Some(blob_path.as_str()));
    let read = base.current_blob(&store).expect("reads").cloned();
    assert_eq!(read.as_deref(), Some(&current.to_blob()[..]));

    // Neither is read again: the blob gone and the pointer replaced behind the run's back.
    std::fs::remove_file(out.join(&blob_path)).expect("removes");
    std::fs::write(out.join("current"), "models/elsewhere.segue\n").expect("writes");
    assert_eq!(base.current_blob(&store).expect("kept").cloned(), read);
    let candidate = testkit::generate(&testkit::Shape::SMALL);
    let options = miner::guard::GuardOptions {
        thresholds: miner::guard::Thresholds::default(),
        force: false,
    };
    let (check, _) = miner::guard::publish_checked(
        &store,
        &candidate,
        Vec::new(),
        &options,
        5,
        &mut base,
        "2026-12-02T05:00:00Z".into(),
    )
    .expect("publishes");
    let compared = check.current.expect("compared with the current model");
    assert_eq!(compared.model_id, current.id());
    assert!(check.notes.is_empty(), "{:?}", check.notes);
    assert_eq!(
        store::dir::read_pointer(&out).expect("reads"),
        Some(store::layout::blob_path(candidate.id()))
    );
}
