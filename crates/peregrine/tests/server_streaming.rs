//! Streamed response bodies over real sockets: each chunk is sent as soon as it is ready.

mod support;

use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::App;
use support::http1::Conn;
use support::server::{get, start};
use support::stream::{read_until, PanicsMidway, Streamed};

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

#[tokio::test]
async fn a_stream_that_panics_ends_its_body_and_the_server_serves_on() {
    let app = App::new()
        .add_route("/panics", PanicsMidway)
        .add_route("/hello", support::Hello);
    let server = start(app, ServerConfig::new()).await;
    let mut c = Conn::open(server.addr).await;
    c.send(&get("/panics")).await;
    // The body cannot be finished: the connection is closed before the last chunk (what was buffered of the
    // head and the first chunk may or may not have been written by then).
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 1024];
        while let Ok(n @ 1..) = tokio::io::AsyncReadExt::read(&mut c.stream, &mut chunk).await {
            seen.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("the connection is closed within 5 s");
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        !seen.ends_with("0\r\n\r\n"),
        "the body did not end as if complete: {seen}"
    );
    let mut again = Conn::open(server.addr).await;
    let r = again.exchange(&get("/hello"), false).await;
    assert_eq!(
        r.status,
        200,
        "the server serves on: {}",
        String::from_utf8_lossy(&r.body)
    );
}

#[tokio::test]
async fn head_of_a_streamed_body_has_no_length_on_the_wire_nor_in_the_test_client() {
    // A streamed body's length is not known, so the answer to HEAD says none (RFC 9110 §8.6), in both.
    let app = || App::new().add_route("/stream", PanicsMidway);
    let server = start(app(), ServerConfig::new()).await;
    let mut c = Conn::open(server.addr).await;
    let wire = c.exchange("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n", true).await;
    assert_eq!(wire.status, 200);
    assert_eq!(wire.header("content-length"), None, "{:?}", wire.headers);
    let simulated = peregrine::testing::TestClient::new(app())
        .simulate_head("/stream")
        .await;
    assert_eq!(simulated.status().as_u16(), 200, "{simulated}");
    assert_eq!(simulated.header("content-length"), None, "{simulated:?}");
}
