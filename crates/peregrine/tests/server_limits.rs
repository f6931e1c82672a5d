//! The server's limits over real sockets: shedding, connection limit, timeouts, header limits, draining,
//! readiness, Unix sockets and HTTP/2.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use peregrine::server::{BindAddr, Liveness, Readiness, ServerConfig};
use peregrine::{App, Request, Response, Result, Server};
use support::http1::Conn;
use tokio::sync::oneshot;

/// `GET /wait/{ms:int}` sleeps that long, then answers "done".
struct Wait;

#[peregrine::resource]
impl Wait {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let ms: i64 = req.field("ms")?;
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        resp.set_text("done");
        Ok(())
    }
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Triggers shutdown and waits for the server to return, failing after `limit`.
    async fn stop_within(mut self, limit: Duration) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(limit, self.task)
            .await
            .expect("the server returns in time")
            .unwrap()
            .unwrap();
    }
}

fn app() -> App {
    App::new()
        .add_route("/wait/{ms:int}", Wait)
        .add_route("/health", Liveness)
}

async fn start(app: App, config: ServerConfig) -> Running {
    let server = Server::bind(config.bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap())))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(app, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n")
}

#[tokio::test]
async fn past_max_concurrent_requests_the_server_sheds_with_503_at_once() {
    let metrics = peregrine::metrics::Metrics::new();
    let server = start(
        app().metrics(metrics.clone()),
        ServerConfig::new().max_concurrent_requests(2),
    )
    .await;
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut c = Conn::open(server.addr).await;
        c.send(&get("/wait/800")).await;
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut extra = Conn::open(server.addr).await;
    let asked = Instant::now();
    let r = extra
        .exchange(
            "GET /wait/800 HTTP/1.1\r\nHost: t\r\nAccept: application/problem+json\r\n\r\n",
            false,
        )
        .await;
    assert!(asked.elapsed() < Duration::from_millis(300), "shed without waiting");
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));

    for mut c in busy {
        assert_eq!(c.read_response(false).await.status, 200);
    }
    // Places free up: the same connection is served normally now.
    assert_eq!(extra.exchange(&get("/health"), false).await.status, 200);
    let text = metrics.render();
    assert!(text.contains("peregrine_requests_shed_total 1\n"), "{text}");
    assert!(text.contains(r#"peregrine_requests_total{method="GET",route="/wait/{ms:int}",status="200"} 2"#));
}

#[tokio::test]
async fn at_max_connections_new_clients_wait_until_one_closes() {
    let server = start(app(), ServerConfig::new().max_connections(1)).await;
    let mut first = Conn::open(server.addr).await;
    assert_eq!(first.exchange(&get("/health"), false).await.status, 200);

    let mut second = Conn::open(server.addr).await;
    second.send(&get("/health")).await;
    let waited = tokio::time::timeout(Duration::from_millis(300), second.read_response(false)).await;
    assert!(
        waited.is_err(),
        "the second connection is not served while the first is open"
    );

    drop(first);
    let r = tokio::time::timeout(Duration::from_secs(3), second.read_response(false))
        .await
        .expect("served once the first connection closed");
    assert_eq!(r.status, 200);
}

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

#[tokio::test]
async fn a_request_head_over_max_header_size_gets_431() {
    let server = start(app(), ServerConfig::new().max_header_size(8192)).await;
    let mut c = Conn::open(server.addr).await;
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let r = c.exchange(&big, false).await;
    assert_eq!(r.status, 431);
    assert!(c.closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn too_many_header_fields_get_431() {
    let server = start(app(), ServerConfig::new().max_headers(10)).await;
    let mut c = Conn::open(server.addr).await;
    let fields: String = (0..20).map(|i| format!("X-{i}: v\r\n")).collect();
    let r = c
        .exchange(&format!("GET /health HTTP/1.1\r\nHost: t\r\n{fields}\r\n"), false)
        .await;
    assert_eq!(r.status, 431);
}

#[tokio::test]
async fn readiness_turns_503_when_draining_starts_while_requests_finish() {
    let readiness = Readiness::new();
    let app = app().add_route("/ready", readiness.clone());
    let server = start(app, ServerConfig::new().readiness(readiness.clone())).await;
    let mut probe = Conn::open(server.addr).await;
    assert_eq!(probe.exchange(&get("/ready"), false).await.status, 200);

    let mut busy = Conn::open(server.addr).await;
    busy.send(&get("/wait/500")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let Running { addr, stop, task } = server;
    stop.unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!readiness.is_ready());

    let r = busy.read_response(false).await;
    assert_eq!((r.status, r.body.as_slice()), (200, b"done".as_slice()));
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the server returns once drained")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections() {
    let server = start(app(), ServerConfig::new()).await;
    let mut idle = Conn::open(server.addr).await;
    assert_eq!(idle.exchange(&get("/health"), false).await.status, 200);
    server.stop_within(Duration::from_secs(2)).await;
    assert!(idle.closed_within(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn the_drain_timeout_bounds_shutdown() {
    let config = ServerConfig::new().drain_timeout(Duration::from_millis(200));
    let server = start(app(), config).await;
    let mut busy = Conn::open(server.addr).await;
    busy.send(&get("/wait/10000")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.stop_within(Duration::from_secs(3)).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        busy.closed_within(Duration::from_secs(1)).await,
        "the unfinished connection is closed"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn serves_on_a_unix_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let path = std::env::temp_dir().join(format!("peregrine-test-{}.sock", std::process::id()));
    let server = Server::bind(ServerConfig::new().bind(BindAddr::Unix(path.clone())))
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(app(), async {
        let _ = stopped.await;
    }));
    let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with(r#"{"status":"ok"}"#), "{out}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn serves_http2_with_prior_knowledge_beside_http1() {
    let server = start(app(), ServerConfig::new().http2(true)).await;

    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let response = support::http2::get(stream, &format!("http://{}/wait/1", server.addr)).await;
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"done");

    let mut h1 = Conn::open(server.addr).await;
    assert_eq!(h1.exchange(&get("/health"), false).await.status, 200);
}

#[tokio::test]
async fn shutdown_drains_the_idle_connections_of_the_http2_capable_server() {
    let server = start(app(), ServerConfig::new().http2(true)).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let h2_client = tokio::spawn(connection);
    let request = http::Request::get(format!("http://{}/health", server.addr))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    assert_eq!(sender.send_request(request).await.unwrap().status(), 200);
    let mut h1 = Conn::open(server.addr).await;
    assert_eq!(h1.exchange(&get("/health"), false).await.status, 200);

    // The drain timeout is 30 s: returning within 2 means both idle connections were closed gracefully.
    server.stop_within(Duration::from_secs(2)).await;
    assert!(h1.closed_within(Duration::from_secs(1)).await);
    let ended = tokio::time::timeout(Duration::from_secs(1), h2_client).await;
    assert!(ended.is_ok(), "the HTTP/2 connection was closed by the server");
    drop(sender);
}

async fn pipelined_requests_are_answered_in_order(config: ServerConfig) {
    let server = start(app(), config).await;
    let mut c = Conn::open(server.addr).await;
    c.send(&format!("{}{}{}", get("/wait/30"), get("/health"), get("/wait/1")))
        .await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(c.read_response(false).await.body);
    }
    assert_eq!(got[0], b"done");
    assert_eq!(got[1], br#"{"status":"ok"}"#);
    assert_eq!(got[2], b"done");
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_with_coalesced_writes() {
    pipelined_requests_are_answered_in_order(ServerConfig::new()).await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_without_coalesced_writes() {
    pipelined_requests_are_answered_in_order(ServerConfig::new().pipeline_flush(false)).await;
}

/// `GET /stream` sends "first", then whatever the test puts in the channel, then ends when it is dropped.
struct Streamed(std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<bytes::Bytes>>>);

struct ChannelStream {
    first: Option<bytes::Bytes>,
    rest: tokio::sync::mpsc::Receiver<bytes::Bytes>,
}

impl futures_core::Stream for ChannelStream {
    type Item = std::result::Result<bytes::Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(first)));
        }
        self.rest.poll_recv(cx).map(|o| o.map(Ok))
    }
}

#[peregrine::resource]
impl Streamed {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let rest = self.0.lock().unwrap().take().expect("one request");
        resp.set_stream(ChannelStream {
            first: Some(bytes::Bytes::from_static(b"first")),
            rest,
        });
        Ok(())
    }
}

#[tokio::test]
async fn a_streamed_chunk_reaches_the_client_while_the_stream_waits_for_the_next() {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let server = start(
        App::new().add_route("/stream", Streamed(std::sync::Mutex::new(Some(rx)))),
        ServerConfig::new(),
    )
    .await;
    let mut c = Conn::open(server.addr).await;
    c.send(&get("/stream")).await;
    // The stream cannot go on until this test sends more, so "first" must arrive on its own.
    let seen = read_until(&mut c, |text| text.contains("first")).await;
    assert!(seen.contains("first"));
    tx.send(bytes::Bytes::from_static(b"second")).await.unwrap();
    drop(tx);
    let rest = read_until(&mut c, |text| text.ends_with("0\r\n\r\n")).await;
    assert!(rest.contains("second"), "{rest}");
}

/// Reads raw bytes until `done` holds for all read so far; fails after 5 s.
async fn read_until(c: &mut Conn, done: impl Fn(&str) -> bool) -> String {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 1024];
        while !done(&String::from_utf8_lossy(&seen)) {
            let n = tokio::io::AsyncReadExt::read(&mut c.stream, &mut chunk).await.unwrap();
            assert!(n > 0, "closed early");
            seen.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("the bytes arrive within 5 s");
    String::from_utf8_lossy(&seen).into_owned()
}

/// `GET /big` answers 1 MiB of a repeating pattern.
struct Big;

#[peregrine::resource]
impl Big {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_data((0..1 << 20).map(|i: u32| (i % 251) as u8).collect::<Vec<u8>>());
        Ok(())
    }
}

#[tokio::test]
async fn large_bodies_arrive_whole_and_in_order_between_small_ones() {
    let server = start(app().add_route("/big", Big), ServerConfig::new()).await;
    let mut c = Conn::open(server.addr).await;
    c.send(&format!("{}{}{}", get("/health"), get("/big"), get("/health")))
        .await;
    assert_eq!(c.read_response(false).await.body, br#"{"status":"ok"}"#);
    let big = c.read_response(false).await.body;
    assert_eq!(big.len(), 1 << 20);
    assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    assert_eq!(c.read_response(false).await.body, br#"{"status":"ok"}"#);
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

/// `GET /db`: holds one of two "database connections" for 10 ms, so requests queue once more than two run.
struct Db(std::sync::Arc<tokio::sync::Semaphore>);

#[peregrine::resource]
impl Db {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let _connection = self.0.acquire().await.expect("never closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
        resp.set_text("row");
        Ok(())
    }
}

/// What a run of clients saw after its settling time: latencies of the 200s, and the number of 503s.
struct Seen {
    ok: Vec<Duration>,
    shed: usize,
}

impl Seen {
    fn median_ok(&mut self) -> Duration {
        self.ok.sort();
        self.ok[self.ok.len() / 2]
    }
}

/// `clients` connections ask for `/db` in a loop for `run`; what the last `measure` of it saw. A client that
/// gets a 503 waits 5 ms before asking again.
async fn hammer_db(addr: SocketAddr, clients: usize, run: Duration, measure: Duration) -> Seen {
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            tokio::spawn(async move {
                let mut c = Conn::open(addr).await;
                let mut seen = Seen {
                    ok: Vec::new(),
                    shed: 0,
                };
                while start.elapsed() < run {
                    let asked = Instant::now();
                    let status = c.exchange(&get("/db"), false).await.status;
                    let counted = start.elapsed() > run - measure;
                    match status {
                        200 if counted => seen.ok.push(asked.elapsed()),
                        200 => {}
                        503 => {
                            seen.shed += usize::from(counted);
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        other => panic!("unexpected status {other}"),
                    }
                }
                seen
            })
        })
        .collect();
    let mut all = Seen {
        ok: Vec::new(),
        shed: 0,
    };
    for task in tasks {
        let seen = task.await.unwrap();
        all.ok.extend(seen.ok);
        all.shed += seen.shed;
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adaptive_limit_sheds_when_requests_queue_and_keeps_latency_near_normal() {
    let app = App::new().add_route("/db", Db(std::sync::Arc::new(tokio::sync::Semaphore::new(2))));
    let config = ServerConfig::new()
        .max_concurrent_requests(64)
        .adaptive_concurrency(true);
    let server = start(app, config).await;
    // Two clients: no queue; the server learns that /db takes about 10 ms.
    let mut calm = hammer_db(server.addr, 2, Duration::from_millis(1500), Duration::from_millis(500)).await;
    assert_eq!(calm.shed, 0, "nothing is shed while nothing queues");
    let usual = calm.median_ok();
    // Forty-eight clients: with a fixed limit of 64 all would queue for the two connections (~240 ms each).
    let mut busy = hammer_db(server.addr, 48, Duration::from_secs(4), Duration::from_millis(1500)).await;
    let median = busy.median_ok();
    eprintln!(
        "usual {usual:?}; under 48 clients: median {median:?}, {} answered, {} shed",
        busy.ok.len(),
        busy.shed
    );
    assert!(busy.shed > 0, "the limit came down and requests were shed");
    assert!(
        median < Duration::from_millis(100),
        "median latency of admitted requests {median:?}"
    );
    server.stop_within(Duration::from_secs(5)).await;
}
