//! Spark: the job in `spark/` run in local mode (one JVM start) on generated playlists with
//! name collisions, Unicode names and repeated tracks, imported, and compared with the model
//! `miner mine` makes of the same files; the import's refusals; Parquet playlist tables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use miner::dataset::{self, Format, ReadOptions};
use miner::guard::GuardOptions;
use miner::import::{self, ImportError, ImportOptions, Imported, LocalDir};
use miner::mine::{MineOptions, mine};
use miner::pipeline::{PipelineError, PipelineOptions, mine_and_publish};

const CREATED: &str = "2026-01-01T00:00:00Z";
const MIN_SUPPORT: f64 = 0.03;
pub(crate) const MIN_CONFIDENCE: f64 = 0.05;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// One playlist entry: pid, uri, name, artist, album.
type Row = (u64, String, String, String, String);

/// Playlists drawn from a small catalog (deterministic): tracks share names ("Closer" by two
/// artists), names are Unicode with commas and quotes, a few URIs come with a second name in
/// later rows (the first seen must win), and some playlists repeat a track.
fn playlists(first_pid: u64, n: u64, seed: u64) -> Vec<Row> {
    let names = [
        "Closer",
        "Closer",
        "Señorita",
        "Ça plane pour moi",
        "\"Heroes\"",
        "Bad, Bad Leroy Brown",
        "東京フラッシュ",
        "Déjà Vu 🎶",
        "Zürich",
        "Под небом",
    ];
    let artists = [
        "The Chainsmokers",
        "Nine Inch Nails",
        "Shawn Mendes",
        "Plastic Bertrand",
    ];
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut rows = Vec::new();
    for pid in first_pid..first_pid + n {
        let len = 3 + next() % 8;
        for k in 0..len {
            // Popular low ids, a long tail.
            let t = (next() % 30).min(next() % 90);
            let uri = format!("spotify:track:{:0>22}", format!("T{t}"));
            // A later sighting sometimes calls the track differently: the first name stays.
            let variant = if next() % 5 == 0 { " (Remix)" } else { "" };
            let name = format!("{}{variant}", names[t % names.len()]);
            rows.push((
                pid,
                uri.clone(),
                name,
                artists[t % artists.len()].to_owned(),
                format!("Album «{}»", t % 7),
            ));
            if k == 1 && next() % 3 == 0 {
                rows.push(rows.last().unwrap().clone()); // the same track twice in a playlist
            }
        }
    }
    rows
}

fn write_csv(path: &Path, rows: &[Row]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    // Columns in an unusual order: found by name.
    w.write_record([
        "track_name",
        "pid",
        "album_name",
        "track_uri",
        "artist_name",
        "duration_ms",
    ])
    .unwrap();
    for (pid, uri, name, artist, album) in rows {
        w.write_record([name, &pid.to_string(), album, uri, artist, "1000"])
            .unwrap();
    }
    w.flush().unwrap();
}

fn write_mpd(path: &Path, rows: &[Row]) {
    let mut playlists: Vec<serde_json::Value> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let pid = rows[i].0;
        let mut tracks = Vec::new();
        while i < rows.len() && rows[i].0 == pid {
            let (_, uri, name, artist, album) = &rows[i];
            tracks.push(serde_json::json!({
                "pos": tracks.len(), "track_uri": uri, "track_name": name,
                "artist_name": artist, "album_name": album, "artist_uri": "spotify:artist:x",
                "album_uri": "spotify:album:x", "duration_ms": 1000,
            }));
            i += 1;
        }
        playlists.push(serde_json::json!({
            "pid": pid, "name": "p", "collaborative": "false", "tracks": tracks,
        }));
    }
    let doc =
        serde_json::json!({"info": {"slice": "0-999", "version": "v1"}, "playlists": playlists});
    std::fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
}

/// A Parquet playlist table: `pid` as int64, the rest strings; `columns` picks (and renames)
/// which columns are written.
fn write_parquet(path: &Path, rows: &[Row], columns: &[(&str, usize)]) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for &(name, which) in columns {
        if which == 0 {
            fields.push(Field::new(name, DataType::Int64, false));
            arrays.push(Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.0 as i64),
            )));
        } else {
            fields.push(Field::new(name, DataType::Utf8, true));
            let pick = |r: &Row| match which {
                1 => r.1.clone(),
                2 => r.2.clone(),
                3 => r.3.clone(),
                _ => r.4.clone(),
            };
            arrays.push(Arc::new(StringArray::from_iter_values(
                rows.iter().map(pick),
            )));
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(50))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

const ALL: [(&str, usize); 5] = [
    ("pid", 0),
    ("track_uri", 1),
    ("track_name", 2),
    ("artist_name", 3),
    ("album_name", 4),
];

/// The job's Python (the venv scripts/setup.sh makes). Missing: the test fails and says how
/// to fix it.
fn spark_python() -> PathBuf {
    let python = root().join(".tools/spark-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh (it installs Java and pyspark for the Spark tests)",
        python.display()
    );
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.is_ok_and(|o| o.status.success()),
        "java is missing: run scripts/setup.sh (default-jre-headless)"
    );
    python
}

fn options() -> MineOptions {
    MineOptions {
        min_support: Some(MIN_SUPPORT),
        min_count: None,
        max_len: 3,
        min_confidence: MIN_CONFIDENCE,
        max_consequents: None,
        neighbors: None,
        neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    }
}

/// Every track (uri, name, artist, album, count) and every rule (URIs, counts, scores).
fn contents(model: &engine::Model) -> (Vec<String>, Vec<String>) {
    let tracks = model
        .tracks()
        .map(|t| format!("{}|{}|{}|{}|{}", t.uri, t.name, t.artist, t.album, t.count))
        .collect();
    let mut rules: Vec<String> = model
        .rules()
        .map(|r| {
            let mut x: Vec<&str> = r.antecedent.iter().map(|t| model.track(t).uri).collect();
            x.sort_unstable();
            format!(
                "{:?} -> {} {} {} {} {}",
                x,
                model.track(r.consequent).uri,
                r.count,
                r.antecedent_count,
                r.confidence,
                r.lift
            )
        })
        .collect();
    rules.sort();
    (tracks, rules)
}

fn current_model(store: &Path) -> engine::Model {
    let blob = store::dir::current(store)
        .unwrap()
        .expect("a current model");
    engine::Model::from_blob(&std::fs::read(blob).unwrap()).unwrap()
}

#[test]
fn spark_import_equals_native_mining_and_refuses_bad_outputs() {
    let python = spark_python();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).unwrap();
    // Three formats in nested directories, with files that are not datasets beside them: both
    // find the same files in the same order (paths compared component by component: `lake/`
    // before `lake-extra.csv`, which a plain string sort puts first). Pids overlap across
    // files (a pid's playlist is per file), and a track's first name comes from the first file.
    write_csv(&input.join("a_course.csv"), &playlists(0, 70, 1));
    std::fs::create_dir_all(input.join("lake")).unwrap();
    write_parquet(
        &input.join("lake/part-0.parquet"),
        &playlists(0, 50, 2),
        &ALL,
    );
    write_csv(&input.join("lake-extra.csv"), &playlists(0, 20, 4));
    std::fs::create_dir_all(input.join("mpd/data")).unwrap();
    write_mpd(
        &input.join("mpd/data/mpd.slice.0-999.json"),
        &playlists(1000, 40, 3),
    );
    std::fs::write(input.join("mpd/README.md"), "the MPD's readme").unwrap();
    std::fs::write(input.join("mpd/challenge_set.json"), "{}").unwrap();
    std::fs::write(input.join("mpd/stats.json"), "{}").unwrap();
    std::fs::write(input.join("lake/_SUCCESS"), "").unwrap();
    std::fs::write(input.join("notes.csv"), "note,text\n1,not playlists\n").unwrap();
    std::fs::create_dir_all(input.join(".cache")).unwrap();
    write_csv(&input.join(".cache/hidden.csv"), &playlists(0, 5, 5));

    // The job writes to object storage (a real S3 endpoint); the directory tests below read
    // a copy of what it wrote.
    let s3 = crate::spark_s3::start();
    let status = Command::new(&python)
        .arg(root().join("spark/segue_itemsets.py"))
        .args([
            "--out",
            crate::spark_s3::RUN,
            "--min-support",
            &MIN_SUPPORT.to_string(),
        ])
        .arg(&input)
        .args([
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.ui.showConsoleProgress=false",
        ])
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("PYSPARK_PYTHON", &python)
        .envs(crate::spark_s3::job_env(&s3))
        .status()
        .unwrap();
    assert!(status.success(), "the Spark job failed");
    let out = tmp.path().join("spark-out");
    crate::spark_s3::download(&s3, crate::spark_s3::RUN, &out);

    // Native: the same files, the same settings.
    let files = dataset::discover(std::slice::from_ref(&input), Format::Auto)
        .unwrap()
        .paths();
    let expected: Vec<PathBuf> = [
        "a_course.csv",
        "lake/part-0.parquet",
        "lake-extra.csv",
        "mpd/data/mpd.slice.0-999.json",
    ]
    .iter()
    .map(|f| input.join(f))
    .collect();
    assert_eq!(files, expected, "the miner's discovery");
    // The job's listing (the manifest's input paths): the same files in the same order.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(import::MANIFEST)).unwrap()).unwrap();
    let listed: Vec<PathBuf> = manifest["input_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect();
    assert_eq!(listed, files, "the job's discovery equals the miner's");
    let read = ReadOptions {
        format: Format::Auto,
        skip_invalid: false,
    };
    let mut data = dataset::read(&files, read).unwrap();
    assert!(
        data.rows > data.transactions.items.len() as u64,
        "the data repeats tracks"
    );
    let native = mine(&data, &options(), CREATED.into()).unwrap();

    // The itemsets: the same sets with the same counts.
    let output = import::read_output(&LocalDir(out.clone())).unwrap();
    let uris = |tracks: &[dataset::TrackMeta], sets: &[miner::fpgrowth::Itemset]| {
        let mut v: Vec<String> = sets
            .iter()
            .map(|s| {
                let mut u: Vec<&str> = s
                    .items
                    .iter()
                    .map(|&i| tracks[i as usize].uri.as_str())
                    .collect();
                u.sort_unstable();
                format!("{u:?}:{}", s.count)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        uris(&output.tracks, &output.itemsets),
        uris(&data.tracks, &native.itemsets)
    );
    assert!(
        native.itemsets.iter().any(|s| s.items.len() == 3),
        "the data has triples"
    );

    // Imported and published: the same tracks and rules, value for value.
    let store = tmp.path().join("models");
    let import_options = ImportOptions {
        store: store.display().to_string(),
        guard: GuardOptions::default(),
        keep: 5,
        min_confidence: MIN_CONFIDENCE,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    };
    let source = LocalDir(out.clone());
    let imported = import::import_and_publish(&source, &import_options, CREATED.into()).unwrap();
    let Imported::Published(summary) = imported else {
        panic!("the first import published nothing")
    };
    let model = current_model(&store);
    assert_eq!(summary.model_id, model.id());
    assert_eq!(contents(&model), contents(&native.model));
    assert!(model.rule_count() > 0);

    // With the same metadata (the import adds its output's label), the same model id.
    data.labels = model.metadata().datasets.clone();
    let relabelled = mine(&data, &options(), CREATED.into()).unwrap();
    assert_eq!(relabelled.model.id(), model.id());
    assert_eq!(relabelled.model.metadata(), model.metadata());

    // Again: skipped, nothing new.
    let again = import::import_and_publish(&source, &import_options, CREATED.into()).unwrap();
    assert!(matches!(again, Imported::Skipped { ref model_id, .. } if model_id == model.id()));

    // The same output in object storage (no second Spark run): the same model.
    crate::spark_s3::check_import_from_s3(&s3, &out, &native.model, model.id(), contents);

    // Refusals, nothing published: no manifest; a manifest that disagrees with the files.
    let fresh = tmp.path().join("fresh-store");
    let refuse = |dir: &Path| {
        let options = ImportOptions {
            store: fresh.display().to_string(),
            ..import_options.clone()
        };
        let err = import::import_and_publish(&LocalDir(dir.to_owned()), &options, CREATED.into())
            .unwrap_err();
        assert!(
            store::dir::current(&fresh).unwrap().is_none(),
            "published despite {err}"
        );
        err
    };
    let copy = tmp.path().join("copy");
    copy_dir(&out, &copy);
    std::fs::remove_file(copy.join(import::MANIFEST)).unwrap();
    let err = refuse(&copy);
    assert!(
        matches!(err, PipelineError::Import(ImportError::Incomplete { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("_manifest.json"), "{err}");

    let manifest = std::fs::read_to_string(out.join(import::MANIFEST)).unwrap();
    let rows = import::read_output(&source)
        .unwrap()
        .manifest
        .files
        .itemsets[0]
        .rows;
    std::fs::write(
        copy.join(import::MANIFEST),
        manifest.replacen(
            &format!("\"rows\": {rows}"),
            &format!("\"rows\": {}", rows + 1),
            1,
        ),
    )
    .unwrap();
    let err = refuse(&copy);
    assert!(
        matches!(err, PipelineError::Import(ImportError::Mismatch { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("rows"), "{err}");

    // A data file missing from the copy.
    std::fs::write(copy.join(import::MANIFEST), &manifest).unwrap();
    for entry in std::fs::read_dir(copy.join(import::ITEMSETS)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "parquet") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let err = refuse(&copy);
    assert!(
        matches!(err, PipelineError::Import(ImportError::Mismatch { .. })),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `miner mine` on a Parquet table equals it on the same rows as CSV.
#[test]
fn parquet_playlist_table_reads_like_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = playlists(0, 80, 7);
    let (csv, pq) = (tmp.path().join("p.csv"), tmp.path().join("p.parquet"));
    write_csv(&csv, &rows);
    // Columns in another order; several row groups.
    write_parquet(
        &pq,
        &rows,
        &[
            ("album_name", 4),
            ("track_uri", 1),
            ("pid", 0),
            ("artist_name", 3),
            ("track_name", 2),
        ],
    );
    let read = ReadOptions {
        format: Format::Auto,
        skip_invalid: false,
    };
    let a = dataset::read(&[csv], read).unwrap();
    let mut b = dataset::read(&[pq], read).unwrap();
    b.labels = a.labels.clone();
    assert_eq!(a.tracks, b.tracks);
    assert_eq!(a.rows, b.rows);
    let (ma, mb) = (
        mine(&a, &options(), CREATED.into()).unwrap(),
        mine(&b, &options(), CREATED.into()).unwrap(),
    );
    assert_eq!(ma.model.id(), mb.model.id());
}

/// A broken Parquet playlist table: a clear error naming the file (and column or row group),
/// nothing published.
#[test]
fn broken_parquet_tables_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = playlists(0, 30, 9);
    let check = |name: &str, write: &dyn Fn(&Path), expect: &[&str]| {
        let path = tmp.path().join(name);
        write(&path);
        let store = tmp.path().join(format!("store-{name}"));
        let options = PipelineOptions {
            read: ReadOptions {
                format: Format::Auto,
                skip_invalid: false,
            },
            mine: MineOptions {
                min_count: Some(2),
                ..options()
            },
            store: store.display().to_string(),
            keep: 5,
            itemsets: None,
            guard: GuardOptions::default(),
        };
        let err = mine_and_publish(&[path], &options, CREATED.into())
            .unwrap_err()
            .to_string();
        for e in expect {
            assert!(err.contains(e), "{err:?} lacks {e:?}");
        }
        assert!(!store.exists() || store::dir::current(&store).unwrap().is_none());
    };
    check(
        "missing.parquet",
        &|p| write_parquet(p, &rows, &[("pid", 0), ("track_name", 2)]),
        &[
            "missing.parquet",
            "missing column `track_uri`",
            "pid, track_name",
        ],
    );
    check(
        "wrongtype.parquet",
        &|p| write_parquet(p, &rows, &[("pid", 0), ("track_uri", 1), ("track_name", 0)]),
        &[
            "wrongtype.parquet",
            "column `track_name`",
            "Int64",
            "expected a string",
        ],
    );
    check(
        "wrongtype2.parquet",
        &|p| write_parquet(p, &rows, &[("pid", 0), ("track_uri", 0)]),
        &[
            "wrongtype2.parquet",
            "column `track_uri`",
            "Int64",
            "expected a string",
        ],
    );
    check(
        "truncated.parquet",
        &|p| {
            write_parquet(p, &rows, &ALL);
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() - 20]).unwrap();
        },
        &["truncated.parquet", "not a readable Parquet file"],
    );
}
