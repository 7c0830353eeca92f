//! A test's server process on 127.0.0.1 behind a TCP relay, which a test can cut
//! (connections refused and dropped, as when a store is unreachable) and restore
//! ([`Fronted`]); and the small helpers that start such servers.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binds 127.0.0.1:0")
        .port()
}

/// Waits until something listens on `addr` (`what` names it in the panic after 30 s).
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

/// A server process listening on a 127.0.0.1 port, behind a [`Relay`]; the process is
/// killed when this is dropped.
#[derive(Debug)]
pub(crate) struct Fronted {
    child: Child,
    /// The server itself (past the relay).
    pub(crate) server: SocketAddr,
    /// The relay clients go through.
    pub(crate) relay: Relay,
}

impl Fronted {
    /// Starts `command` (which makes its server listen on 127.0.0.1:`port`) with no output,
    /// waits until it listens (`what` names it in a panic) and puts a relay in front of it.
    pub(crate) fn start(mut command: Command, port: u16, what: &str) -> Fronted {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {what}: {e}"));
        let server = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for(server, what);
        Fronted {
            child,
            server,
            relay: Relay::start(server),
        }
    }
}

impl Drop for Fronted {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its end and panics, saying `what` failed, unless it succeeds.
pub(crate) fn run(mut command: Command, what: &str) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("{what}: cannot run it: {e}"));
    assert!(status.success(), "{what} failed");
}

/// A TCP relay on a fixed port that can refuse and drop connections; it stops when dropped.
#[derive(Debug)]
pub(crate) struct Relay {
    /// Where clients connect.
    pub(crate) addr: SocketAddr,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    /// A relay on a free port of 127.0.0.1 to `target`.
    pub(crate) fn start(target: SocketAddr) -> Relay {
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

    /// Cuts (`false`) or restores (`true`) the relay: while cut, connections are refused and
    /// open ones dropped.
    pub(crate) fn set_up(&self, up: bool) {
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

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
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
