//! Which files an input names: the MPD archive as it extracts, directories with nothing to
//! read, the challenge set, course CSVs told by their header, `.txt` never taken as baskets,
//! an explicit format against a mixed directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use miner::dataset::{Format, discover};
use miner::synth::{SynthOptions, write};

use crate::text;

fn miner(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(args)
        .args(paths)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("writes");
}

/// The Million Playlist Dataset as its archive extracts, with generated slices under data/.
fn mpd_archive(root: &Path) -> PathBuf {
    let data = root.join("data");
    write(
        &SynthOptions {
            playlists: 2_500,
            seed: 5,
        },
        Format::Mpd,
        &data,
    )
    .expect("writes slices");
    put(&root.join("README.md"), "# The Million Playlist Dataset\n");
    put(&root.join("license.txt"), "Terms of use\n");
    put(&root.join("md5sums"), "0123  data/mpd.slice.0-999.json\n");
    put(
        &root.join("stats.txt"),
        "number of playlists 1000000\nnumber of tracks 66346428\n",
    );
    put(&root.join("src/stats.py"), "print('stats')\n");
    put(&root.join("src/check.py"), "print('check')\n");
    data
}

#[test]
fn the_mpd_archive_root_reads_exactly_its_slices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("spotify_million_playlist_dataset");
    let data = mpd_archive(&root);

    let found = discover(std::slice::from_ref(&root), Format::Auto).expect("discovers");
    let slices = discover(std::slice::from_ref(&data), Format::Auto).expect("discovers");
    assert_eq!(found.paths(), slices.paths());
    assert_eq!(found.paths().len(), 3, "{found:?}");
    assert!(found.found.iter().all(|f| f.format == Format::Mpd));
    let mut skipped: Vec<String> = found
        .skipped
        .iter()
        .map(|s| {
            s.path
                .strip_prefix(&root)
                .expect("under the root")
                .display()
                .to_string()
        })
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            "README.md",
            "license.txt",
            "md5sums",
            "src/check.py",
            "src/stats.py",
            "stats.txt"
        ]
    );

    // The binary, end to end: the same itemsets and the same model from the root as from
    // data/, and the skipped files listed in the JSON summary.
    let mine = |input: &Path, name: &str| {
        let itemsets = dir.path().join(format!("{name}.tsv"));
        let out = dir.path().join(format!("{name}-models"));
        let o = miner(
            &["mine", "--min-support", "0.02", "--json", "--input"],
            &[
                input,
                Path::new("--out"),
                &out,
                Path::new("--itemsets"),
                &itemsets,
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        (std::fs::read(&itemsets).expect("itemsets"), summary)
    };
    let (from_root, summary) = mine(&root, "root");
    let (from_data, direct) = mine(&data, "data");
    assert!(
        from_root.len() > 1000,
        "{} bytes of itemsets",
        from_root.len()
    );
    assert!(from_root == from_data, "the itemsets differ");
    assert_eq!(summary["model_id"], direct["model_id"]);
    let found = summary["discovery"]["found"].as_array().expect("found");
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|f| f["format"] == "mpd"), "{found:?}");
    let skipped = summary["discovery"]["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    let stats = skipped
        .iter()
        .find(|s| s["path"].as_str().is_some_and(|p| p.ends_with("stats.txt")))
        .expect("stats.txt listed");
    assert!(
        stats["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not taken as baskets")),
        "{stats}"
    );
}

#[test]
fn a_directory_with_no_dataset_is_an_error_and_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("download");
    put(&input.join("README.md"), "# read me\n");
    put(&input.join("license.txt"), "licence\n");
    let out = dir.path().join("models");
    let o = miner(&["mine", "--input"], &[&input, Path::new("--out"), &out]);
    assert!(!o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no dataset files found"), "{stderr}");
    assert!(
        stderr.contains("mpd.slice.*.json"),
        "says what is taken: {stderr}"
    );
    assert!(
        stderr.contains("README.md (not a dataset file name)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("license.txt (a .txt file is not taken"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was published"), "{stderr}");
    assert!(!out.join("current").exists());
    assert!(!out.join("models").exists());
}

#[test]
fn the_challenge_set_is_refused_as_test_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let challenge = dir.path().join("challenge/challenge_set.json");
    put(
        &challenge,
        r#"{"date": "2018-01-16", "version": "v1", "playlists": []}"#,
    );
    for format in ["auto", "mpd"] {
        let o = miner(
            &["mine", "--format", format, "--input"],
            &[&challenge, Path::new("--out"), &dir.path().join("m")],
        );
        assert!(!o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains(
                "challenge set (playlists with held-out tracks) is test data, not training data"
            ),
            "{}",
            text(&o)
        );
    }
    // In a directory it is left out, with the reason.
    let err = discover(&[dir.path().join("challenge")], Format::Auto).expect_err("nothing else");
    assert!(err.to_string().contains("not training data"), "{err}");
}

#[test]
fn course_csvs_are_told_by_their_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("datasets");
    put(
        &input.join("2023_spotify_ds1.csv"),
        "track_name,pid,track_uri\nA,0,spotify:track:a\nB,0,spotify:track:b\n",
    );
    // A history file: a CSV, but not playlists.
    put(
        &input.join("history.csv"),
        "time,dataset_index,dataset_file\n2026-01-01T00:00:00Z,0,ds1.csv\n",
    );
    let gz = input.join("more/ds2.csv.gz");
    std::fs::create_dir_all(gz.parent().expect("parent")).expect("mkdir");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("creates"),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut encoder, b"pid,track_uri\n1,spotify:track:c\n").expect("writes");
    encoder.finish().expect("finishes");

    let found = discover(std::slice::from_ref(&input), Format::Auto).expect("discovers");
    assert_eq!(
        found.paths(),
        [input.join("2023_spotify_ds1.csv"), gz.clone()]
    );
    assert_eq!(found.skipped.len(), 1);
    assert_eq!(found.skipped[0].path, input.join("history.csv"));
    assert_eq!(
        found.skipped[0].reason,
        "a CSV file without the course columns: no column `pid` or `track_uri` in the header \
         (found: time, dataset_index, dataset_file)"
    );
    // Named, the history file is refused with the same reason.
    let err = discover(&[input.join("history.csv")], Format::Auto).expect_err("refused");
    assert!(
        err.to_string().contains("no column `pid` or `track_uri`"),
        "{err}"
    );
}

#[test]
fn txt_files_are_never_baskets_unless_named_with_a_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let txt = dir.path().join("baskets.txt");
    put(&txt, "a b c\na b\n");
    let err = discover(std::slice::from_ref(&txt), Format::Auto).expect_err("refused");
    assert!(err.to_string().contains("--format baskets"), "{err}");
    let found = discover(std::slice::from_ref(&txt), Format::Baskets).expect("named");
    assert_eq!(found.paths(), std::slice::from_ref(&txt));
    let data = miner::dataset::read(
        &found.paths(),
        miner::dataset::ReadOptions {
            format: Format::Baskets,
            skip_invalid: false,
        },
    )
    .expect("reads");
    assert_eq!(data.transactions.len(), 2);
}

#[test]
fn an_explicit_format_needs_a_directory_of_that_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    put(&dir.path().join("a.csv"), "pid,track_uri\n0,x\n0,y\n");
    put(&dir.path().join("b.dat"), "x y\n");
    put(&dir.path().join("c.baskets"), "x z\n");
    put(&dir.path().join("stats.json"), "{\"playlists\": 2}");
    put(&dir.path().join(".hidden.dat"), "q r\n");
    let input = [dir.path().to_owned()];
    let err = discover(&input, Format::Csv).expect_err("mixed");
    assert!(
        err.to_string()
            .contains("--format csv asked, but the directory holds baskets (2), csv (1)"),
        "{err}"
    );
    let all = discover(&input, Format::Auto).expect("auto reads them all");
    assert_eq!(all.found.len(), 3);
    let reasons: Vec<(&str, &str)> = all
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                s.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (".hidden.dat", "hidden"),
            (
                "stats.json",
                "a JSON file not named mpd.slice.*.json: not an MPD slice"
            )
        ]
    );
    // A directory of one format with that format given.
    let baskets = dir.path().join("only");
    put(&baskets.join("x.dat"), "a b\n");
    let found = discover(&[baskets], Format::Baskets).expect("one format");
    assert_eq!(found.found.len(), 1);
}
