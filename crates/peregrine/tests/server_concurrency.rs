//! Concurrency limits over real sockets: the request limit that sheds with an immediate 503 and Retry-After,
//! the adaptive limit that sheds when requests queue, and the connection limit that makes new clients wait.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::Conn;
use support::server::{app, get, start};

#[tokio::test]
async fn past_max_concurrent_requests_the_server_sheds_with_503_at_once() {
    #[cfg(feature = "metrics")]
    let metrics = peregrine::metrics::Metrics::new();
    #[cfg(feature = "metrics")]
    let app = app().metrics(metrics.clone());
    #[cfg(not(feature = "metrics"))]
    let app = app();
    let server = start(app, ServerConfig::new().max_concurrent_requests(2)).await;
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
    #[cfg(feature = "metrics")]
    {
        let text = metrics.render();
        assert!(text.contains("peregrine_requests_shed_total 1\n"), "{text}");
        assert!(text.contains(r#"peregrine_requests_total{method="GET",route="/wait/{ms:int}",status="200"} 2"#));
    }
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
