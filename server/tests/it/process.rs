//! The real binary: SIGTERM lets in-flight requests finish, then exits 0, without waiting
//! for idle connections; a request that never finishes cannot hold the process past the
//! drain time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::{Binary, request};

/// The binary with a drain time of `shutdown_timeout`.
fn start(shutdown_timeout: &str) -> Binary {
    Binary::start(&["--shutdown-timeout", shutdown_timeout])
}

/// CPU time the process has used, in clock ticks (user + system).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("reads stat");
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[test]
fn an_idle_server_stays_idle() {
    let _heavy = crate::common::heavy();
    // Watching the model directory must not wake the server for its own reads of `current`.
    let server = start("10s");
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(server.child.id());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(server.child.id()) - before;
    // Clock ticks are usually 1/100 s: polling every 100 ms costs well under 0.1 s in 2 s.
    assert!(used < 20, "{used} ticks of CPU in 2 s of idling");
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status;
        }
        assert!(started.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Opens a POST whose body is only half sent: the request is in flight until the rest comes.
fn half_sent_request(addr: SocketAddr) -> (TcpStream, &'static [u8]) {
    let body: &'static [u8] = br#"{"songs": ["Nothing By This Name", "Another One"], "k": 3}"#;
    let mut stream = TcpStream::connect(addr).expect("connects");
    let head = format!(
        "POST /api/recommend HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("writes");
    stream.write_all(&body[..10]).expect("writes");
    (stream, &body[10..])
}

#[test]
fn sigterm_drains_in_flight_requests_then_exits_zero() {
    let _heavy = crate::common::heavy();
    let mut server = start("10s");
    let (mut stream, rest) = half_sent_request(server.addr);
    std::thread::sleep(Duration::from_millis(300));
    terminate(&server.child);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.child.try_wait().expect("waits").is_none(),
        "exited with a request in flight"
    );
    // No new connections once draining.
    assert!(
        request(server.addr, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").is_none(),
        "still accepting after SIGTERM"
    );
    stream.write_all(rest).expect("writes the rest");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""unknown":["Nothing By This Name","Another One"]"#),
        "{answer}"
    );
    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
}

#[test]
fn a_stuck_request_cannot_hold_the_process_past_the_drain_time() {
    let _heavy = crate::common::heavy();
    let mut server = start("1s");
    let (_stream, _) = half_sent_request(server.addr);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    terminate(&server.child);
    let status = wait_exit(&mut server.child, Duration::from_secs(8));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "did not wait for the request: {:?}",
        started.elapsed()
    );
}

#[test]
fn sigterm_does_not_wait_for_idle_connections() {
    let _heavy = crate::common::heavy();
    let mut server = start("10s");
    // Idle kept-alive connections (their timeouts are 10 s and 30 s away) and one that
    // connected without sending a byte.
    let idle: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).expect("connects");
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                .expect("writes");
            let mut answer = [0; 12];
            s.read_exact(&mut answer).expect("answers");
            s
        })
        .collect();
    let silent = TcpStream::connect(server.addr).expect("connects");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    terminate(&server.child);
    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?} for idle connections",
        started.elapsed()
    );
    drop((idle, silent));
}
