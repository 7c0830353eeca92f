//! The miner on object storage (real endpoints on 127.0.0.1: S3 from moto_server, Azure Blob
//! from Azurite; each test runs on both, `s3::*` and `azure::*`): `mine`, `models`,
//! `rollback`, `run`'s history and lock, and two miners racing on the pointer.

use std::path::Path;
use std::process::{Command, Output};

use testkit::object::Endpoint;

use crate::text;

/// The miner with the endpoint's settings in its environment.
fn miner(endpoint: &dyn Endpoint, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_miner"));
    command
        .args(args)
        .envs(endpoint.env())
        .env("RUST_LOG", "warn");
    command
}

fn output(mut command: Command) -> Output {
    command.output().expect("runs")
}

/// Writes `playlists` generated playlists (seed `seed`) to `dir/synth-<seed>.csv`.
fn synth(dir: &Path, seed: u64, playlists: usize) -> String {
    let path = dir.join(format!("synth-{seed}.csv"));
    miner::synth::write(
        &miner::synth::SynthOptions { playlists, seed },
        miner::dataset::Format::Csv,
        &path,
    )
    .expect("generates");
    path.display().to_string()
}

fn mine(endpoint: &dyn Endpoint, store: &str, input: &str) -> Output {
    output(miner(
        endpoint,
        &[
            "mine",
            "--store",
            store,
            "--input",
            input,
            "--min-support",
            "0.02",
        ],
    ))
}

/// The ids `miner models` lists, the current one marked with `*`.
fn models(endpoint: &dyn Endpoint, store: &str) -> Vec<String> {
    let o = output(miner(endpoint, &["models", "--json", "--store", store]));
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    json["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| {
            let star = if m["current"] == true { "*" } else { "" };
            format!("{star}{}", m["id"].as_str().expect("id"))
        })
        .collect()
}

fn published_id(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.starts_with("published "))
        .unwrap_or_else(|| panic!("no `published` line: {}", text(o)));
    let name = line.split('/').next_back().expect("path");
    name.split('.').next().expect("id").to_owned()
}

testkit::on_each_endpoint!(
    mine_list_and_roll_back,
    two_miners_racing_on_the_pointer_one_wins,
    run_keeps_its_history_and_lock_in_the_bucket,
    models_show_blob_metadata_on_object_storage,
);

fn mine_list_and_roll_back<E: Endpoint>() {
    let endpoint = E::start();
    endpoint.create_bucket("mine");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = &endpoint.url("mine", "segue");
    let a = mine(&endpoint, store, &synth(dir.path(), 1, 600));
    assert!(a.status.success(), "{}", text(&a));
    let a = published_id(&a);
    std::thread::sleep(std::time::Duration::from_millis(1100)); // store times are to the second
    let b = mine(&endpoint, store, &synth(dir.path(), 2, 600));
    assert!(b.status.success(), "{}", text(&b));
    let b = published_id(&b);
    assert_ne!(a, b);
    assert_eq!(models(&endpoint, store), [format!("*{b}"), a.clone()]);

    let o = output(miner(&endpoint, &["rollback", &a, "--store", store]));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(models(&endpoint, store), [b.clone(), format!("*{a}")]);

    let o = output(miner(&endpoint, &["rollback", "0123", "--store", store]));
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no published model `0123`"),
        "{}",
        text(&o)
    );
    assert_eq!(models(&endpoint, store), [b, format!("*{a}")]);
}

/// Two miners race: the late one read `current` before the early one replaced it. The order
/// is forced, not hoped for: the late miner's input starts as a named pipe, whose first open
/// (after the late miner has read the pointer: it reads it before looking at its inputs)
/// blocks it until the early miner has published. The playlists file then takes the pipe's
/// name, so every later open reads a plain file.
fn two_miners_racing_on_the_pointer_one_wins<E: Endpoint>() {
    let endpoint = E::start();
    endpoint.create_bucket("race");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = &endpoint.url("race", "segue");
    let early_input = synth(dir.path(), 3, 600);
    let late_playlists = synth(dir.path(), 4, 600);
    let pipe = dir.path().join("late.csv");
    let made = Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", pipe.display());
    let pipe_name = pipe.display().to_string();
    let late = miner(
        &endpoint,
        &[
            "mine",
            "--store",
            store,
            "--input",
            &pipe_name,
            "--min-support",
            "0.02",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("starts");
    // Returns once the late miner has opened its input; it waits for bytes meanwhile.
    let mut first_open = std::fs::OpenOptions::new()
        .write(true)
        .open(&pipe)
        .expect("the late miner opens its input");
    let bytes = std::fs::read(&late_playlists).expect("reads");
    std::fs::rename(&late_playlists, &pipe).expect("renames");
    let early = mine(&endpoint, store, &early_input);
    assert!(early.status.success(), "{}", text(&early));
    // The first reader may stop early (a header sniff): a broken pipe is fine.
    let _ = std::io::Write::write_all(&mut first_open, &bytes);
    drop(first_open);
    let late = late.wait_with_output().expect("waits");
    assert!(
        !late.status.success(),
        "the late miner won: {}",
        text(&late)
    );
    assert!(
        text(&late).contains("another publisher changed `current`"),
        "{}",
        text(&late)
    );
    // `current` names the early miner's complete blob, and the late one left nothing behind.
    let winner = published_id(&early);
    assert_eq!(models(&endpoint, store), [format!("*{winner}")]);
}

fn run_keeps_its_history_and_lock_in_the_bucket<E: Endpoint>() {
    let endpoint = E::start();
    endpoint.create_bucket("run");
    let dir = tempfile::tempdir().expect("tempdir");
    let datasets = dir.path().join("datasets");
    std::fs::create_dir(&datasets).expect("mkdir");
    for seed in 1..=2 {
        let file = synth(dir.path(), seed, 300);
        std::fs::rename(&file, datasets.join(format!("ds{seed}.csv"))).expect("moves");
    }
    let store = &endpoint.url("run", "segue");
    let run = || {
        let mut command = miner(
            &endpoint,
            &["run", "--store", store, "--min-support", "0.02"],
        );
        command.env("SEGUE_DATASETS", &datasets);
        output(command)
    };
    let mut mined = Vec::new();
    for _ in 0..3 {
        let o = run();
        assert!(o.status.success(), "{}", text(&o));
        mined.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.starts_with("dataset "))
                .map(str::to_owned),
        );
    }
    assert_eq!(
        mined,
        [
            "dataset 1 of 2: ds1.csv",
            "dataset 2 of 2: ds2.csv",
            "dataset 1 of 2: ds1.csv"
        ]
    );
    // The lock is released after each run; a lock held elsewhere makes a run do nothing.
    let options = endpoint.options();
    let options: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let Ok(store::Store::Object(o)) = store::open_with(store, &options) else {
        panic!("an object store")
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let history = rt.block_on(o.get("history.csv")).expect("history");
    assert_eq!(
        String::from_utf8_lossy(&history).lines().count(),
        4,
        "header and 3 runs"
    );
    let hour = std::time::Duration::from_secs(3600);
    assert!(
        rt.block_on(o.try_lock(".miner.lock", "another run", hour))
            .expect("locks")
    );
    let o2 = run();
    assert!(o2.status.success(), "{}", text(&o2));
    assert!(
        text(&o2).contains(&format!("holds {store}/.miner.lock")),
        "{}",
        text(&o2)
    );
    let history = rt.block_on(o.get("history.csv")).expect("history");
    assert_eq!(
        String::from_utf8_lossy(&history).lines().count(),
        4,
        "nothing mined"
    );
}

/// `miner models --json --store STORE`'s models.
fn models_json(endpoint: Option<&dyn Endpoint>, store: &str) -> Vec<serde_json::Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_miner"));
    command.args(["models", "--json", "--store", store]);
    if let Some(endpoint) = endpoint {
        command.envs(endpoint.env());
    }
    let o = output(command);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    json["models"].as_array().expect("models").clone()
}

/// A generated model larger than the first ranged read, and a mined one, published into
/// `store`: `miner models` shows each one's creation time and datasets from its blob, having
/// read only the blob's leading bytes, and marks the current one.
fn models_show_blob_metadata(endpoint: Option<&dyn Endpoint>, store: &str, dir: &Path) {
    let big = testkit::generate(&testkit::Shape::SMALL);
    let blob = big.to_blob();
    assert!(
        blob.len() as u64 > 4 * engine::HEAD_GUESS,
        "{} bytes",
        blob.len()
    );
    let opened = match endpoint {
        Some(endpoint) => {
            let options = endpoint.options();
            let options: Vec<(&str, &str)> =
                options.iter().map(|(k, v)| (*k, v.as_str())).collect();
            store::open_with(store, &options)
        }
        None => store::open(store),
    }
    .expect("opens");
    miner::publish::block_on(opened.publish(
        big.id(),
        bytes::Bytes::from(blob.clone()),
        5,
        &store::Expected::Any,
    ))
    .expect("publishes the generated model");
    std::thread::sleep(std::time::Duration::from_millis(1100)); // store times are to the second
    let mut command = Command::new(env!("CARGO_BIN_EXE_miner"));
    command
        .args(["mine", "--store", store, "--input", &synth(dir, 5, 600)])
        // Forced: the publish guard would refuse a model of far fewer playlists.
        .args(["--min-support", "0.02", "--force"])
        .env("RUST_LOG", "warn");
    if let Some(endpoint) = endpoint {
        command.envs(endpoint.env());
    }
    let mined = output(command);
    assert!(mined.status.success(), "{}", text(&mined));
    let mined = published_id(&mined);

    let listed = models_json(endpoint, store);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let (newest, oldest) = (&listed[0], &listed[1]);
    assert_eq!(newest["id"], mined.as_str());
    assert_eq!(newest["current"], true);
    assert_eq!(newest["datasets"], serde_json::json!(["synth-5.csv"]));
    assert_eq!(newest["playlists"], 600);
    let created = newest["created_at"].as_str().expect("created_at");
    assert!(engine::is_rfc3339_utc(created), "{created}");
    let bytes = newest["bytes"].as_u64().expect("bytes");
    assert_eq!(newest["head_bytes_read"], bytes.min(engine::HEAD_GUESS));

    assert_eq!(oldest["id"], big.id());
    assert_eq!(oldest["current"], false);
    assert_eq!(oldest["created_at"], big.metadata().created_at.as_str());
    assert_eq!(
        oldest["datasets"],
        serde_json::json!(big.metadata().datasets)
    );
    assert_eq!(oldest["bytes"], blob.len());
    assert_eq!(
        oldest["head_bytes_read"],
        engine::HEAD_GUESS,
        "only the leading bytes of a large blob are read"
    );
    assert!(oldest["unreadable"].is_null());

    // The text listing: id, creation time, size, datasets.
    let mut command = Command::new(env!("CARGO_BIN_EXE_miner"));
    command.args(["models", "--store", store]);
    if let Some(endpoint) = endpoint {
        command.envs(endpoint.env());
    }
    let o = output(command);
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.contains(big.id()))
        .unwrap_or_else(|| panic!("{out}"));
    for part in [
        "2026-11-28T00:00:00Z",
        &blob.len().to_string(),
        &big.metadata().datasets[0],
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("* {mined}")) && l.contains("synth-5.csv")),
        "{out}"
    );
}

fn models_show_blob_metadata_on_object_storage<E: Endpoint>() {
    let endpoint = E::start();
    endpoint.create_bucket("heads");
    let dir = tempfile::tempdir().expect("tempdir");
    models_show_blob_metadata(Some(&endpoint), &endpoint.url("heads", "segue"), dir.path());
}

#[test]
fn models_show_blob_metadata_in_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store").display().to_string();
    models_show_blob_metadata(None, &store, dir.path());
}

#[test]
fn models_report_a_blob_whose_metadata_is_unreadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let blob = testkit::fixture::fixture().to_blob();
    store::dir::publish(&store, "good", &blob, 5).expect("publishes");
    // A damaged blob beside it: listing goes on and says what is wrong with it.
    std::fs::write(store.join("models/bad.segue"), b"not a blob at all").expect("writes");
    let listed = models_json(None, &store.display().to_string());
    let bad = listed
        .iter()
        .find(|m| m["id"] == "bad")
        .expect("bad listed");
    assert!(bad["created_at"].is_null());
    let why = bad["unreadable"].as_str().expect("a reason");
    assert!(why.contains("magic"), "{why}");
    let good = listed
        .iter()
        .find(|m| m["id"] == "good")
        .expect("good listed");
    assert_eq!(
        good["created_at"],
        testkit::fixture::fixture().metadata().created_at.as_str()
    );
}
