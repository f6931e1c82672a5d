//! Request bodies at the edge, over real sockets: a body that falls behind its pace gets 408 and a close,
//! a request still receiving its body holds no place under the concurrency limit, and the memory all bodies
//! hold together is bounded (503 past the wait).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::Conn;
use support::server::start;

/// `POST /len` answers the body's length; `POST /big` raises its limit to 1 MiB first; `GET /health`.
struct Len(Arc<AtomicUsize>);

#[peregrine::resource]
impl Len {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        if req.path() == "/big" {
            req.set_max_body_size(1 << 20);
        }
        let body = req.body_bytes().await?;
        resp.set_text(body.len().to_string());
        Ok(())
    }

    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("ok");
        Ok(())
    }
}

fn app(reached: &Arc<AtomicUsize>) -> App {
    App::new()
        .max_body_size(10_000)
        .add_route("/len", Len(Arc::clone(reached)))
        .add_route("/big", Len(Arc::clone(reached)))
        .add_route("/health", Len(Arc::clone(reached)))
}

fn post(path: &str, length: usize) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {length}\r\n\r\n")
}

#[tokio::test]
async fn a_body_that_falls_behind_its_pace_gets_408_and_a_close_before_any_app_code() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .body_read_timeout(Duration::from_millis(300))
        .min_body_rate(1000);
    let server = start(app(&reached), config).await;
    let mut c = Conn::open(server.addr).await;
    let started = Instant::now();
    // 100 bytes buy 100 ms: the deadline is 400 ms after the head.
    c.send(&format!("{}{}", post("/len", 5000), "x".repeat(100))).await;
    let r = c.read_response(false).await;
    let waited = started.elapsed();
    assert_eq!(r.status, 408, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(waited >= Duration::from_millis(380), "answered after {waited:?}");
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    assert!(c.closed_within(Duration::from_secs(2)).await);
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the app saw the request");
}

#[tokio::test]
async fn a_body_that_keeps_its_pace_is_served_however_long_it_takes() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .body_read_timeout(Duration::from_millis(200))
        .min_body_rate(1000);
    let server = start(app(&reached), config).await;
    let mut c = Conn::open(server.addr).await;
    c.send(&post("/len", 600)).await;
    // 100 bytes every 50 ms is 2,000 bytes/s, over the rate, for 300 ms: past the timeout alone.
    for _ in 0..6 {
        c.send(&"y".repeat(100)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"600");
}

#[tokio::test]
async fn requests_waiting_for_their_bodies_hold_no_place_under_the_limit() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new().max_concurrent_requests(2);
    let server = start(app(&reached), config).await;
    let mut slow = Vec::new();
    for _ in 0..10 {
        let mut c = Conn::open(server.addr).await;
        c.send(&format!("{}{}", post("/len", 100), "z".repeat(10))).await;
        slow.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..3 {
        let mut c = Conn::open(server.addr).await;
        let r = c.exchange(&support::server::get("/health"), false).await;
        assert_eq!(r.status, 200, "a ready request was refused while bodies were arriving");
    }
    // And the slow ones are served once their bodies are in.
    for c in &mut slow {
        c.send(&"z".repeat(90)).await;
    }
    for c in &mut slow[..2] {
        let r = c.read_response(false).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"100");
    }
}

#[tokio::test]
async fn bodies_wait_for_memory_then_get_503() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .max_body_memory(1000)
        .body_read_timeout(Duration::from_millis(300));
    let server = start(app(&reached), config).await;
    let mut first = Conn::open(server.addr).await;
    first.send(&format!("{}{}", post("/len", 800), "a".repeat(100))).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut second = Conn::open(server.addr).await;
    let r = second
        .exchange(&format!("{}{}", post("/len", 800), "b".repeat(800)), false)
        .await;
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    assert!(second.closed_within(Duration::from_secs(2)).await);
    // The first body's reservation is released with its answer; then there is room again.
    first.send(&"a".repeat(700)).await;
    assert_eq!(first.read_response(false).await.status, 200);
    let mut third = Conn::open(server.addr).await;
    let r = third
        .exchange(&format!("{}{}", post("/len", 800), "c".repeat(800)), false)
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_body_larger_than_the_whole_budget_is_left_to_the_app() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new().max_body_memory(100);
    let server = start(app(&reached), config).await;
    let mut c = Conn::open(server.addr).await;
    let r = c
        .exchange(&format!("{}{}", post("/len", 200), "d".repeat(200)), false)
        .await;
    assert_eq!(r.status, 200, "no wait can make room for it, so the app reads it");
    assert_eq!(r.body, b"200");
    let chunked = format!(
        "POST /len HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nc8\r\n{}\r\n0\r\n\r\n",
        "e".repeat(200)
    );
    let r = c.exchange(&chunked, false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"200");
}

#[tokio::test]
async fn a_content_length_alone_reserves_no_memory() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .max_body_memory(20_000)
        .body_read_timeout(Duration::from_millis(500));
    let server = start(app(&reached), config).await;
    // Two clients announce 9,000 bytes each and send one: 8 KiB reserved each, not 9,000.
    let mut claims = Vec::new();
    for _ in 0..2 {
        let mut c = Conn::open(server.addr).await;
        c.send(&format!("{}x", post("/len", 9000))).await;
        claims.push(c);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut c = Conn::open(server.addr).await;
    let r = c
        .exchange(&format!("{}{}", post("/len", 3000), "f".repeat(3000)), false)
        .await;
    assert_eq!(r.status, 200, "a complete body was refused memory by two bare claims");
}

#[tokio::test]
async fn a_large_body_a_route_reads_itself_is_paced_too() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .body_read_timeout(Duration::from_millis(300))
        .min_body_rate(1000);
    let server = start(app(&reached), config).await;
    let mut c = Conn::open(server.addr).await;
    // Over the app's 10,000-byte limit: left to the route, which raises it and reads.
    c.send(&format!("{}{}", post("/big", 50_000), "e".repeat(1000))).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 408, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(reached.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_request_that_times_out_while_its_body_arrives_gets_408_not_504() {
    let reached = Arc::new(AtomicUsize::new(0));
    let config = ServerConfig::new()
        .body_read_timeout(None)
        .request_timeout(Duration::from_millis(300));
    let server = start(app(&reached), config).await;
    let mut c = Conn::open(server.addr).await;
    c.send(&format!("{}{}", post("/big", 50_000), "f".repeat(10))).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 408, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("connection"), Some("close"));
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_reaches_the_app_whole_or_gets_413() {
    let reached = Arc::new(AtomicUsize::new(0));
    let server = start(app(&reached), ServerConfig::new()).await;
    let chunk = format!("{:x}\r\n{}\r\n", 6000, "g".repeat(6000));
    let body = format!("{chunk}{chunk}{chunk}0\r\n\r\n");
    let chunked = |path: &str| format!("POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
    let mut c = Conn::open(server.addr).await;
    let r = c.exchange(&chunked("/big"), false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"18000", "the route that raised its limit read every byte");
    let mut c = Conn::open(server.addr).await;
    let r = c.exchange(&chunked("/len"), false).await;
    assert_eq!(r.status, 413);
}
