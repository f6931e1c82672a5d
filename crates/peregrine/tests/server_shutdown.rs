//! Graceful shutdown over real sockets: readiness turns 503 while in-flight requests finish, idle keep-alive
//! connections are closed, and the drain timeout bounds how long it takes.

mod support;

use std::time::{Duration, Instant};

use peregrine::server::{Readiness, ServerConfig};
use support::http1::Conn;
use support::server::{app, get, start, Running};

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
