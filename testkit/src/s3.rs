//! A real S3 API for tests: `moto_server` started on a free 127.0.0.1 port, behind a relay
//! that a test can cut (connections refused and dropped, as when a store is unreachable) and
//! restore without losing the bucket's objects.
//!
//! `moto_server` is found at `SEGUE_MOTO_SERVER` (set by `scripts/env.sh`) or at
//! `.tools/moto-venv/bin/moto_server` (where `scripts/setup.sh moto` installs it); when it is
//! missing the test fails and says how to install it.

use std::path::PathBuf;
use std::process::Command;

use crate::object::Endpoint;
use crate::relay::{Fronted, free_port, run};

/// The access key the tests sign with (moto accepts any).
pub const ACCESS_KEY: &str = "segue-test";
/// The secret key the tests sign with.
pub const SECRET_KEY: &str = "segue-test-secret";
/// The region the tests name.
pub const REGION: &str = "us-east-1";

/// A running `moto_server` and its relay; both stop when this is dropped.
#[derive(Debug)]
pub struct S3 {
    moto: Fronted,
    python: PathBuf,
}

/// Where `moto_server` is.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("SEGUE_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/moto-venv/bin/moto_server")
}

impl S3 {
    /// The endpoint clients use (the relay's), `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.moto.relay.addr)
    }
}

impl Endpoint for S3 {
    /// Starts `moto_server` and the relay. Panics, saying how to install it, when
    /// `moto_server` is missing.
    fn start() -> S3 {
        let bin = moto_server();
        assert!(
            bin.is_file(),
            "moto_server not found at {} (set SEGUE_MOTO_SERVER, or run `scripts/setup.sh moto`): \
             the object-store tests need a real S3 endpoint",
            bin.display()
        );
        let port = free_port();
        let mut command = Command::new(&bin);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        S3 {
            moto: Fronted::start(command, port, "moto_server"),
            python: bin.with_file_name("python"),
        }
    }

    fn url(&self, bucket: &str, prefix: &str) -> String {
        format!("s3://{bucket}/{prefix}")
    }

    /// The configuration keys for `object_store`'s S3 builder (`store::open_with`).
    fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("aws_endpoint", self.endpoint()),
            ("aws_allow_http", "true".into()),
            ("aws_access_key_id", ACCESS_KEY.into()),
            ("aws_secret_access_key", SECRET_KEY.into()),
            ("aws_region", REGION.into()),
        ]
    }

    /// Creates bucket `name` (with boto3 from moto's venv: bucket creation is not part of
    /// `object_store`).
    fn create_bucket(&self, name: &str) {
        let script = format!(
            "import boto3; boto3.client('s3', endpoint_url='http://{}', \
             aws_access_key_id='{ACCESS_KEY}', aws_secret_access_key='{SECRET_KEY}', \
             region_name='{REGION}').create_bucket(Bucket='{name}')",
            self.moto.server
        );
        let mut command = Command::new(&self.python);
        command.args(["-c", &script]);
        run(command, &format!("creating bucket {name}"));
    }

    /// Cuts (`false`) or restores (`true`) the endpoint: while cut, connections are refused
    /// and open ones dropped; the objects stay.
    fn set_reachable(&self, reachable: bool) {
        self.moto.relay.set_up(reachable);
    }
}
