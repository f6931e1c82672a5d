//! Cleartext HTTP/2 (prior knowledge) over real sockets: served beside HTTP/1.1 and drained at shutdown.
#![cfg(feature = "http2")]

mod support;

use std::time::Duration;

use peregrine::server::ServerConfig;
use support::http1::Conn;
use support::server::{app, get, start};

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

#[tokio::test]
async fn a_silent_or_half_prefaced_connection_is_closed_at_the_header_read_timeout() {
    // hyper sets no deadline while it reads the first bytes to tell HTTP/1 from HTTP/2; the server does.
    let config = ServerConfig::new()
        .http2(true)
        .header_read_timeout(Duration::from_millis(300));
    let server = start(app(), config).await;
    for first in ["", "PRI * HTTP/2.0\r\n"] {
        let mut c = Conn::open(server.addr).await;
        c.send(first).await;
        assert!(
            c.closed_within(Duration::from_secs(2)).await,
            "a connection that sent {first:?} stayed open"
        );
    }
    // One that sends its request in time is served, and stays open for the next as before.
    let mut c = Conn::open(server.addr).await;
    assert_eq!(c.exchange(&get("/health"), false).await.status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(c.exchange(&get("/health"), false).await.status, 200);
}
