//! The server's timeouts over real sockets: the header-read timeout (slow clients, idle keep-alive, never while
//! responding), and the request and per-route timeouts that answer 504.

mod support;

use std::time::{Duration, Instant};

use peregrine::server::ServerConfig;
use peregrine::App;
use support::http1::Conn;
use support::server::{app, get, start, Wait};
use support::stream::{read_until, Streamed};

#[tokio::test]
async fn a_client_sending_headers_too_slowly_is_cut_off_and_others_are_served() {
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(300));
    let server = start(app(), config).await;
    let mut slow = Conn::open(server.addr).await;
    slow.send("GET /health HTTP/1.1\r\nHo").await;

    let mut other = Conn::open(server.addr).await;
    assert_eq!(other.exchange(&get("/health"), false).await.status, 200);

    let started = Instant::now();
    assert!(
        slow.closed_within(Duration::from_secs(3)).await,
        "the slow client is disconnected"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_header_read_timeout() {
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(300));
    let server = start(app(), config).await;
    let mut c = Conn::open(server.addr).await;
    assert_eq!(c.exchange(&get("/health"), false).await.status, 200);
    assert!(c.closed_within(Duration::from_secs(3)).await);
}

#[tokio::test]
async fn a_keep_alive_connection_that_keeps_asking_outlives_the_header_read_timeout() {
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(300));
    let server = start(app(), config).await;
    let mut c = Conn::open(server.addr).await;
    // Each wait is under the timeout, their sum well past it: the deadline restarts with every request.
    for _ in 0..8 {
        assert_eq!(c.exchange(&get("/health"), false).await.status, 200);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(c.exchange(&get("/health"), false).await.status, 200);
}

#[tokio::test]
async fn a_responder_slower_than_the_header_read_timeout_is_not_cut_off() {
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(200));
    let server = start(app(), config).await;
    let mut c = Conn::open(server.addr).await;
    let r = c.exchange(&get("/wait/700"), false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"done");
    assert_eq!(
        c.exchange(&get("/health"), false).await.status,
        200,
        "the connection stays open"
    );
}

#[tokio::test]
async fn a_body_streamed_for_longer_than_the_header_read_timeout_arrives_whole() {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(200));
    let server = start(
        App::new().add_route("/stream", Streamed(std::sync::Mutex::new(Some(rx)))),
        config,
    )
    .await;
    let mut c = Conn::open(server.addr).await;
    c.send(&get("/stream")).await;
    read_until(&mut c, |text| text.contains("first")).await;
    // The stream waits three times the header-read timeout before its next chunk.
    tokio::time::sleep(Duration::from_millis(600)).await;
    tx.send(bytes::Bytes::from_static(b"second")).await.unwrap();
    drop(tx);
    let rest = read_until(&mut c, |text| text.ends_with("0\r\n\r\n")).await;
    assert!(rest.contains("second"), "{rest}");
    // Once the body is done, the deadline for the next head runs again.
    assert!(c.closed_within(Duration::from_secs(3)).await);
}

/// Answers GET with 16 MiB of text.
struct Big;

#[peregrine::resource]
impl Big {
    async fn on_get(&self, _req: &mut peregrine::Request, resp: &mut peregrine::Response) -> peregrine::Result {
        resp.set_text("x".repeat(16 << 20));
        Ok(())
    }
}

#[tokio::test]
async fn a_large_body_read_slowly_for_longer_than_the_header_read_timeout_arrives_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = ServerConfig::new().header_read_timeout(Duration::from_millis(700));
    let server = start(app().add_route("/big", Big), config).await;
    // A small receive window, and reads paced at 8 MB/s, so the server's writes wait on this reader for
    // about three times the timeout (the kernel wakes a writer once a third of its buffer has drained, which
    // at this pace is well within the timeout).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let mut stream = socket.connect(server.addr).await.unwrap();
    stream.write_all(get("/big").as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
        let head_end = received.windows(4).position(|w| w == b"\r\n\r\n");
        if head_end.is_some_and(|h| received.len() >= h + 4 + (16 << 20)) {
            break;
        }
        let due = started + Duration::from_micros(received.len() as u64 / 8);
        tokio::time::sleep_until(due.into()).await;
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed > Duration::from_millis(600),
        "the read took {elapsed:?}: not slow enough to test anything"
    );
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        received.len() - head_end,
        16 << 20,
        "the body was cut off after {elapsed:?}"
    );
}

#[tokio::test]
async fn a_request_past_the_request_timeout_gets_504_and_the_connection_goes_on() {
    let config = ServerConfig::new().request_timeout(Duration::from_millis(200));
    let server = start(app(), config).await;
    let mut c = Conn::open(server.addr).await;
    let asked = Instant::now();
    let r = c.exchange(&get("/wait/5000"), false).await;
    assert_eq!(r.status, 504);
    assert!(asked.elapsed() < Duration::from_secs(2));
    assert_eq!(c.exchange(&get("/wait/1"), false).await.status, 200);
}

#[tokio::test]
async fn a_route_timeout_replaces_the_apps_both_ways() {
    let app = App::new()
        .add_route("/wait/{ms:int}", Wait)
        .add_route("/slow/{ms:int}", Wait)
        .request_timeout(Some(Duration::from_millis(200)))
        .route_timeout("/slow/{ms:int}", Duration::from_millis(1500));
    let server = start(app, ServerConfig::new()).await;
    let mut c = Conn::open(server.addr).await;
    assert_eq!(c.exchange(&get("/wait/500"), false).await.status, 504);
    assert_eq!(c.exchange(&get("/slow/500"), false).await.status, 200);
    assert_eq!(c.exchange(&get("/slow/3000"), false).await.status, 504);
}
