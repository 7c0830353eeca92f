//! A real S3 API for tests: `moto_server` started on a free 127.0.0.1 port, behind a relay
//! that a test can cut (connections refused and dropped, as when a store is unreachable) and
//! restore without losing the bucket's objects.
//!
//! `moto_server` is found at `SEGUE_MOTO_SERVER` (set by `scripts/env.sh`) or at
//! `.tools/moto-venv/bin/moto_server` (where `scripts/setup.sh moto` installs it); when it is
//! missing the test fails and says how to install it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The access key the tests sign with (moto accepts any).
pub const ACCESS_KEY: &str = "segue-test";
/// The secret key the tests sign with.
pub const SECRET_KEY: &str = "segue-test-secret";
/// The region the tests name.
pub const REGION: &str = "us-east-1";

/// A running `moto_server` and its relay; both stop when this is dropped.
#[derive(Debug)]
pub struct S3 {
    child: Child,
    moto: SocketAddr,
    relay: Relay,
    python: PathBuf,
}

/// Where `moto_server` is.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("SEGUE_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/moto-venv/bin/moto_server")
}

/// A port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binds 127.0.0.1:0")
        .port()
}

fn wait_for(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {addr} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl S3 {
    /// Starts `moto_server` and the relay. Panics, saying how to install it, when
    /// `moto_server` is missing.
    pub fn start() -> S3 {
        let bin = moto_server();
        assert!(
            bin.is_file(),
            "moto_server not found at {} (set SEGUE_MOTO_SERVER, or run `scripts/setup.sh moto`): \
             the object-store tests need a real S3 endpoint",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let moto = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for(moto, "moto_server");
        let relay = Relay::start(moto);
        S3 {
            child,
            moto,
            relay,
            python: bin.with_file_name("python"),
        }
    }

    /// The endpoint clients use (the relay's), `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.relay.addr)
    }

    /// The configuration keys for `object_store`'s S3 builder (`store::open_with`).
    pub fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("aws_endpoint", self.endpoint()),
            ("aws_allow_http", "true".into()),
            ("aws_access_key_id", ACCESS_KEY.into()),
            ("aws_secret_access_key", SECRET_KEY.into()),
            ("aws_region", REGION.into()),
        ]
    }

    /// The same as environment variables, for the binaries.
    pub fn env(&self) -> Vec<(String, String)> {
        self.options()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect()
    }

    /// Creates bucket `name` (with boto3 from moto's venv: bucket creation is not part of
    /// `object_store`).
    pub fn create_bucket(&self, name: &str) {
        let script = format!(
            "import boto3; boto3.client('s3', endpoint_url='http://{}', \
             aws_access_key_id='{ACCESS_KEY}', aws_secret_access_key='{SECRET_KEY}', \
             region_name='{REGION}').create_bucket(Bucket='{name}')",
            self.moto
        );
        let status = Command::new(&self.python)
            .args(["-c", &script])
            .status()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.python.display()));
        assert!(status.success(), "creating bucket {name} failed");
    }

    /// Cuts (`false`) or restores (`true`) the endpoint: while cut, connections are refused
    /// and open ones dropped; the objects stay.
    pub fn set_reachable(&self, reachable: bool) {
        self.relay.set_up(reachable);
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        self.relay.stop.store(true, Ordering::SeqCst);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay on a fixed port that can refuse and drop connections.
#[derive(Debug)]
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds the relay");
        let addr = listener.local_addr().expect("relay address");
        let relay = Relay {
            addr,
            up: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (up, stop, open) = (
            Arc::clone(&relay.up),
            Arc::clone(&relay.stop),
            Arc::clone(&relay.open),
        );
        std::thread::spawn(move || accept_loop(Some(listener), addr, target, &up, &stop, &open));
        relay
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for stream in self.open.lock().expect("relay lock").drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        // Let the accept loop close or reopen its listener.
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn accept_loop(
    mut listener: Option<TcpListener>,
    addr: SocketAddr,
    target: SocketAddr,
    up: &AtomicBool,
    stop: &AtomicBool,
    open: &Mutex<Vec<TcpStream>>,
) {
    while !stop.load(Ordering::SeqCst) {
        let want = up.load(Ordering::SeqCst);
        if !want {
            listener = None; // closed: connections are refused
        } else if listener.is_none() {
            listener = TcpListener::bind(addr).ok();
        }
        let Some(l) = &listener else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        l.set_nonblocking(true).expect("nonblocking");
        match l.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                if let Ok(server) = TcpStream::connect(target) {
                    let mut list = open.lock().expect("relay lock");
                    list.extend(client.try_clone().ok());
                    list.extend(server.try_clone().ok());
                    drop(list);
                    pipe(client, server);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Copies both ways until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (Ok(a2), Ok(b2)) = (a.try_clone(), b.try_clone()) else {
        return;
    };
    std::thread::spawn(move || copy(a, b));
    std::thread::spawn(move || copy(b2, a2));
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
