//! A real Azure Blob API for tests: Azurite (Microsoft's emulator, from npm) started on a free
//! 127.0.0.1 port with its objects in memory, behind a relay that a test can cut and restore
//! (the crate's TCP relay).
//!
//! Azurite is found at `SEGUE_AZURITE` (the directory `npm install` put it in, set by
//! `scripts/env.sh`) or at `.tools/azurite` (where `scripts/setup.sh azurite` installs it,
//! with `@azure/storage-blob`, which creates containers); when it is missing the test fails
//! and says how to install it.

use std::path::PathBuf;
use std::process::Command;

use crate::object::Endpoint;
use crate::relay::{Fronted, free_port, run};

/// Azurite's one account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// Its published key (the same in every Azurite; not a secret).
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite blob service and its relay; both stop when this is dropped.
#[derive(Debug)]
pub struct Azurite {
    azurite: Fronted,
    install: PathBuf,
    /// Azurite's working directory (dropped after `azurite`, which stops the service).
    _workspace: tempfile::TempDir,
}

/// Where Azurite and `@azure/storage-blob` are installed (a `node_modules` parent).
fn install_dir() -> PathBuf {
    if let Some(path) = std::env::var_os("SEGUE_AZURITE") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/azurite")
}

impl Endpoint for Azurite {
    /// Starts Azurite's blob service and the relay. Panics, saying how to install it, when
    /// Azurite is missing.
    fn start() -> Azurite {
        let install = install_dir();
        let bin = install.join("node_modules/.bin/azurite-blob");
        assert!(
            bin.is_file(),
            "azurite-blob not found at {} (set SEGUE_AZURITE, or run `scripts/setup.sh azurite`): \
             the Azure object-store tests need a real Azure Blob endpoint",
            bin.display()
        );
        // Its objects are kept in memory; its debug and extent files, if any, go to a
        // working directory of its own.
        let workspace = tempfile::tempdir().expect("a working directory for Azurite");
        let port = free_port();
        let mut command = Command::new(&bin);
        command
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args([
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",
            ])
            .current_dir(workspace.path());
        Azurite {
            azurite: Fronted::start(command, port, "azurite-blob"),
            install,
            _workspace: workspace,
        }
    }

    fn url(&self, bucket: &str, prefix: &str) -> String {
        format!("az://{bucket}/{prefix}")
    }

    /// The configuration keys for `object_store`'s Azure builder: the account's endpoint
    /// (path style, as Azurite serves it) and its shared key.
    fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "azure_storage_endpoint",
                format!("http://{}/{ACCOUNT}", self.azurite.relay.addr),
            ),
            ("azure_allow_http", "true".into()),
            ("azure_storage_account_name", ACCOUNT.into()),
            ("azure_storage_account_key", ACCOUNT_KEY.into()),
        ]
    }

    /// Creates container `name` (with `@azure/storage-blob` under node: container creation
    /// is not part of `object_store`).
    fn create_bucket(&self, name: &str) {
        let script = format!(
            "const b = require('@azure/storage-blob');\
             new b.BlobServiceClient('http://{}/{ACCOUNT}', \
               new b.StorageSharedKeyCredential('{ACCOUNT}', '{ACCOUNT_KEY}'))\
             .getContainerClient('{name}').create()\
             .catch((e) => {{ console.error(e.message); process.exit(1); }});",
            self.azurite.server
        );
        let mut command = Command::new("node");
        command.args(["-e", &script]).current_dir(&self.install);
        run(command, &format!("creating container {name}"));
    }

    fn set_reachable(&self, reachable: bool) {
        self.azurite.relay.set_up(reachable);
    }
}
