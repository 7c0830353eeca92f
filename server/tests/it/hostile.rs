//! Hostile clients against the real binary on a real socket: slow headers (one client, and a
//! thousand beside a normal one), oversized heads, idle kept-alive connections by the
//! hundred, more connections than the limit, a client that stops reading, HTTP/2.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::{Binary, heavy};

/// A kept-alive connection that sends requests one at a time and reads each answer.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Client {
            reader: BufReader::new(stream),
        }
    }

    /// Sends `request` and reads the answer: status and body (`Content-Length` framed).
    fn exchange(&mut self, request: &[u8]) -> io::Result<(u16, Vec<u8>)> {
        self.reader.get_mut().write_all(request)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("no status line: {line:?}")))?;
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(io::Error::other)?;
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }

    /// How long until the server closes the connection (at most `limit`), reading and
    /// dropping whatever it still sends.
    fn closed_within(&mut self, limit: Duration) -> Duration {
        closed_within(self.reader.get_mut(), limit)
    }
}

fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut sink = [0; 64 * 1024];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        assert!(!left.is_zero(), "still open after {limit:?}");
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut sink) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return started.elapsed(),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                panic!("still open after {limit:?}")
            }
            Err(e) => panic!("{e}"),
        }
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

/// `n` connections that send a request line and then one more header line every `every`,
/// never finishing the head, until dropped.
struct Slowloris {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Slowloris {
    fn start(addr: SocketAddr, n: usize, every: Duration) -> Slowloris {
        let mut streams: Vec<TcpStream> = (0..n)
            .map(|_| {
                let mut s = TcpStream::connect(addr).expect("connects");
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
                    .expect("writes");
                s
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                streams.retain_mut(|s| s.write_all(b"X-Slow: 1\r\n").is_ok());
            }
        });
        Slowloris {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Slowloris {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn slow_headers_are_cut_at_the_header_read_timeout() {
    let _heavy = heavy();
    let server = Binary::start(&["--header-read-timeout", "1s", "--idle-timeout", "30s"]);
    let mut stream = TcpStream::connect(server.addr).expect("connects");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .expect("writes");
    // One header line every 200 ms: bytes keep moving, the head never ends.
    let mut dripping = stream.try_clone().expect("clones");
    let drip = std::thread::spawn(move || {
        while dripping.write_all(b"X-Slow: 1\r\n").is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let closed = closed_within(&mut stream, Duration::from_secs(5));
    assert!(
        closed >= Duration::from_millis(900) && closed < Duration::from_millis(2500),
        "closed after {closed:?}"
    );
    drip.join().expect("drips");
    assert_eq!(
        server.metric(r#"segue_http_connection_timeouts_total{timeout="header_read"}"#),
        1.0
    );
}

/// Every recommendation is answered while 1,000 slow-header connections stay open. How fast
/// they are answered is a benchmark figure (docs/benchmarks.md, `SLOWLORIS=1000
/// bench/server.sh`), printed here but not asserted: a timed assertion fails on a loaded
/// machine for reasons that are not the server's.
#[test]
fn a_thousand_slow_header_connections_leave_recommendations_answered() {
    let _heavy = heavy();
    // A long header timeout, so that all 1,000 stay open while the normal client measures.
    let server = Binary::start(&["--header-read-timeout", "60s"]);
    let slow = Slowloris::start(server.addr, 1000, Duration::from_secs(1));
    let started = Instant::now();
    while server.metric("segue_http_connections") < 1001.0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not all accepted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let body = r#"{"songs": ["Heart", "Sorry", "No Such Song"], "k": 10}"#;
    let request = format!(
        "POST /api/recommend HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = Client::connect(server.addr);
    let mut times: Vec<Duration> = (0..500)
        .map(|_| {
            let sent = Instant::now();
            let (status, _) = client.exchange(request.as_bytes()).expect("answers");
            assert_eq!(status, 200);
            sent.elapsed()
        })
        .collect();
    times.sort_unstable();
    let (p50, p99) = (times[250], times[494]);
    eprintln!("with 1,000 slow-header connections open: p50 {p50:?}, p99 {p99:?}");
    assert!(server.metric("segue_http_connections") >= 1001.0);
    drop(slow);
}

#[test]
fn oversized_heads_get_431() {
    let _heavy = heavy();
    let server = Binary::start(&["--max-header-bytes", "16384"]);
    // Over the limit, under twice it: the API's error shape, and the connection stays usable.
    let mut client = Client::connect(server.addr);
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let (status, body) = client.exchange(big.as_bytes()).expect("answers");
    assert_eq!(status, 431);
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json["error"]["code"], "headers_too_large", "{json}");
    assert_eq!(client.exchange(HEALTHZ).expect("answers").0, 200);
    // 200 KB (the issue's probe): hyper stops reading at twice the limit and answers 431
    // without a body, then closes.
    let mut stream = TcpStream::connect(server.addr).expect("connects");
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let mut writer = stream.try_clone().expect("clones");
    let write = std::thread::spawn(move || {
        // The server stops reading part-way: this write may fail.
        let _ = writer.write_all(huge.as_bytes());
    });
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 431 ") && answer.contains("content-length: 0"),
        "{answer}"
    );
    write.join().expect("writes");
}

/// `n` connections that each get one answer and then sit idle; how long after the last
/// answer until the server has closed them all.
fn idle_flood(server: &Binary, n: usize) -> Duration {
    let mut clients: Vec<Client> = (0..n)
        .map(|_| {
            let mut c = Client::connect(server.addr);
            assert_eq!(c.exchange(HEALTHZ).expect("answers").0, 200);
            c
        })
        .collect();
    let answered = Instant::now();
    for c in &mut clients {
        c.closed_within(Duration::from_secs(10));
    }
    answered.elapsed()
}

#[test]
fn idle_kept_alive_connections_are_reaped() {
    let _heavy = heavy();
    // By the idle timeout, when it is the shorter one...
    let server = Binary::start(&["--idle-timeout", "1s", "--header-read-timeout", "30s"]);
    let reaped = idle_flood(&server, 500);
    // Long before the other timeout (30 s), with room for a loaded machine (4 s was once
    // missed under load); the metric says which timeout reaped them.
    assert!(reaped < Duration::from_secs(10), "{reaped:?}");
    assert_eq!(
        server.metric(r#"segue_http_connection_timeouts_total{timeout="idle"}"#),
        500.0
    );
    assert_eq!(
        server.metric("segue_http_connections"),
        1.0,
        "only /metrics's own"
    );
    drop(server);
    // ...and by hyper's header read timeout otherwise: its clock starts as soon as a
    // connection waits for a request, so an idle kept-alive connection is a slow header.
    let server = Binary::start(&["--idle-timeout", "30s", "--header-read-timeout", "1s"]);
    let reaped = idle_flood(&server, 500);
    assert!(reaped < Duration::from_secs(10), "{reaped:?}");
    assert_eq!(
        server.metric(r#"segue_http_connection_timeouts_total{timeout="header_read"}"#),
        500.0
    );
}

#[test]
fn beyond_the_connection_limit_clients_wait_until_one_closes() {
    let _heavy = heavy();
    let server = Binary::start(&["--max-connections", "4"]);
    // The readiness probe's connection has closed; wait until its slot is back.
    std::thread::sleep(Duration::from_millis(200));
    let mut open: Vec<Client> = (0..4)
        .map(|_| {
            let mut c = Client::connect(server.addr);
            assert_eq!(c.exchange(HEALTHZ).expect("answers").0, 200);
            c
        })
        .collect();
    // Two more: the kernel completes their handshakes, the server does not take them.
    let mut waiting: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).expect("the backlog takes it");
            s.write_all(HEALTHZ).expect("writes");
            s.set_read_timeout(Some(Duration::from_millis(700)))
                .expect("timeout");
            s
        })
        .collect();
    let mut byte = [0; 1];
    for s in &mut waiting {
        let e = s.read(&mut byte).expect_err("no answer beyond the limit");
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{e}"
        );
    }
    // Closing two lets both in.
    open.truncate(2);
    for s in &mut waiting {
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut answer = [0; 12];
        s.read_exact(&mut answer)
            .expect("answered once a slot is free");
        assert_eq!(&answer, b"HTTP/1.1 200");
    }
    drop(waiting);
    drop(open);
    std::thread::sleep(Duration::from_millis(200));
    assert!(server.metric("segue_http_connection_waits_total") >= 1.0);
    assert_eq!(server.logged("at the connection limit"), 1, "logged once");
}

#[test]
fn a_client_that_stops_reading_is_cut_at_the_idle_timeout() {
    let _heavy = heavy();
    let server = Binary::start(&["--idle-timeout", "1s"]);
    // Forty pipelined requests for Swagger UI's 1.4 MB bundle, and not a byte read: the
    // answers fill the socket buffers and the server's writes stall.
    let mut stream = TcpStream::connect(server.addr).expect("connects");
    let request = b"GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: t\r\n\r\n";
    stream.write_all(&request.repeat(40)).expect("writes");
    std::thread::sleep(Duration::from_secs(3));
    let mut received = 0usize;
    let mut sink = vec![0; 1 << 16];
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    loop {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("not closed: {e} after {received} bytes"),
        }
    }
    assert!(
        received < 40 * 1_000_000,
        "{received} bytes: it was not cut"
    );
    assert_eq!(
        server.metric(r#"segue_http_connection_timeouts_total{timeout="idle"}"#),
        1.0
    );
}

#[test]
fn http2_is_not_spoken() {
    let _heavy = heavy();
    let server = Binary::start(&[]);
    let mut stream = TcpStream::connect(server.addr).expect("connects");
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .expect("writes");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
}
