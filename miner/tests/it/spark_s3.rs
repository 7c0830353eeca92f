//! The Spark job's output in object storage (a real S3 endpoint, moto_server on 127.0.0.1):
//! the job (run once, by `spark.rs`'s test) writes it there; `miner import --from s3://...`
//! imports it with the endpoint and credentials from the environment; the newest complete run
//! is chosen; a second import is skipped; refusals (no manifest, files that disagree with it,
//! a truncated footer) name the object, with nothing published.

use std::path::Path;
use std::process::{Command, Output};

use bytes::Bytes;
use object_store::ObjectStoreExt as _;
use store::object::ObjectLocation;
use testkit::object::Endpoint as _;
use testkit::s3::S3;

use crate::text;

const BUCKET: &str = "spark";
/// Where the job writes its output (a run of `--out-parent s3://spark/runs`).
pub(crate) const RUN: &str = "s3://spark/runs/20261201T020000Z";

/// The endpoint, with the bucket the job writes to.
pub(crate) fn start() -> S3 {
    let s3 = S3::start();
    s3.create_bucket(BUCKET);
    s3
}

/// The job's environment for the endpoint: credentials and region as the miner's, the
/// endpoint as boto3 reads it.
pub(crate) fn job_env(s3: &S3) -> Vec<(String, String)> {
    let mut env = s3.env();
    env.push(("AWS_ENDPOINT_URL".into(), s3.endpoint()));
    env.push(("AWS_DEFAULT_REGION".into(), testkit::s3::REGION.into()));
    env
}

/// Downloads every object under `url` into `dir` (the same relative names).
pub(crate) fn download(s3: &S3, url: &str, dir: &Path) {
    use futures_util::TryStreamExt as _;
    let at = location(s3, url);
    miner::publish::block_on(async {
        let objects: Vec<_> = at
            .store()
            .list(Some(at.prefix()))
            .try_collect()
            .await
            .unwrap();
        assert!(!objects.is_empty(), "nothing under {url}");
        for meta in objects {
            let rel: Vec<_> = meta.location.prefix_match(at.prefix()).unwrap().collect();
            let rel: Vec<&str> = rel.iter().map(|p| p.as_ref()).collect();
            let path = dir.join(rel.join("/"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let bytes = at
                .store()
                .get(&meta.location)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    });
}

/// Every file under `dir`, as (`/`-separated relative name, bytes), the manifest last (as the
/// job writes it: the completion marker).
fn files(dir: &Path) -> Vec<(String, Bytes)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Bytes)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((rel.join("/"), Bytes::from(std::fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort_by_key(|(name, _)| (name == miner::import::MANIFEST, name.clone()));
    out
}

fn location(s3: &S3, url: &str) -> ObjectLocation {
    let options = s3.options();
    let options: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match store::open_with(url, &options).unwrap() {
        store::Store::Object(o) => o,
        store::Store::Dir(_) => unreachable!("an s3:// URL"),
    }
}

/// Uploads `files` under `url`.
fn upload(s3: &S3, url: &str, files: &[(String, Bytes)]) {
    let at = location(s3, url);
    miner::publish::block_on(async {
        for (name, bytes) in files {
            at.put(name, bytes.clone()).await.unwrap();
        }
    });
}

fn import(s3: &S3, from: &str, store: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["import", "--from", from, "--store", store])
        .args([
            "--min-confidence",
            &super::spark::MIN_CONFIDENCE.to_string(),
        ])
        .envs(s3.env())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The current model of the store at `url`, if any.
fn current(s3: &S3, url: &str) -> Option<engine::Model> {
    let store = store::Store::Object(location(s3, url));
    let mut base = miner::publish::base(&store).unwrap();
    let blob = base.current_blob(&store).unwrap()?;
    Some(engine::Model::from_blob(blob).unwrap())
}

/// Imports the Spark output in `out` from S3 and checks the model against `native` (mined from
/// the same files) and `local_id` (the same output imported from the directory).
pub(crate) fn check_import_from_s3(
    s3: &S3,
    out: &Path,
    native: &engine::Model,
    local_id: &str,
    contents: fn(&engine::Model) -> (Vec<String>, Vec<String>),
) {
    let output = files(out);
    let runs = format!("s3://{BUCKET}/runs");
    // The job's run (RUN), then a newer one still writing (no manifest yet): the job's is the
    // newest complete output.
    let partial: Vec<_> = output
        .iter()
        .filter(|(n, _)| n != miner::import::MANIFEST)
        .cloned()
        .collect();
    upload(s3, &format!("{runs}/20261201T030000Z"), &partial);

    let models = format!("s3://{BUCKET}/models");
    let o = import(s3, &runs, &models);
    assert!(o.status.success(), "{}", text(&o));
    let model = current(s3, &models).expect("published");
    assert_eq!(model.id(), local_id, "the same output, the same model");
    assert_eq!(contents(&model), contents(native), "value for value");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(model.id()),
        "{}",
        text(&o)
    );

    // Again: skipped, the same current model.
    let o = import(s3, &runs, &models);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("skipped"), "{}", text(&o));
    assert!(stdout.contains("20261201T020000Z"), "{}", text(&o));
    assert_eq!(current(s3, &models).unwrap().id(), model.id());

    // Refusals: the error names the object; nothing is published.
    let fresh = format!("s3://{BUCKET}/fresh");
    let refuse = |from: &str, expect: &[&str]| {
        let o = import(s3, from, &fresh);
        assert!(!o.status.success(), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        for e in expect {
            assert!(err.contains(e), "{err:?} lacks {e:?}");
        }
        assert!(current(s3, &fresh).is_none(), "published despite {err}");
    };
    // The run without its completion marker, named directly.
    let partial_url = format!("{runs}/20261201T030000Z");
    refuse(
        &partial_url,
        &[&partial_url, "no _manifest.json", "not completed"],
    );

    // A data file missing.
    let itemsets = output
        .iter()
        .find(|(n, _)| n.starts_with("itemsets/") && n.ends_with(".parquet"))
        .expect("an itemsets file")
        .clone();
    let missing: Vec<_> = output
        .iter()
        .filter(|(n, _)| *n != itemsets.0)
        .cloned()
        .collect();
    let missing_url = format!("s3://{BUCKET}/missing");
    upload(s3, &missing_url, &missing);
    refuse(
        &missing_url,
        &[&missing_url, "disagree with _manifest.json"],
    );

    // A truncated footer, the manifest agreeing on its size: the Parquet reader refuses it.
    let cut = itemsets.1.len() - 20;
    let mut manifest: serde_json::Value = serde_json::from_slice(
        &output
            .iter()
            .find(|(n, _)| n == miner::import::MANIFEST)
            .unwrap()
            .1,
    )
    .unwrap();
    let name = itemsets.0.trim_start_matches("itemsets/");
    for f in manifest["files"]["itemsets"].as_array_mut().unwrap() {
        if f["name"] == name {
            f["bytes"] = cut.into();
        }
    }
    let truncated: Vec<_> = output
        .iter()
        .map(|(n, b)| {
            let b = if *n == itemsets.0 {
                b.slice(..cut)
            } else if n == miner::import::MANIFEST {
                Bytes::from(serde_json::to_vec(&manifest).unwrap())
            } else {
                b.clone()
            };
            (n.clone(), b)
        })
        .collect();
    let truncated_url = format!("s3://{BUCKET}/truncated");
    upload(s3, &truncated_url, &truncated);
    refuse(
        &truncated_url,
        &[
            &format!("{truncated_url}/{}", itemsets.0),
            "not a readable Parquet file",
        ],
    );
}
