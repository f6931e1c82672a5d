//! Streamed response bodies over real sockets: each chunk is sent as soon as it is ready.

mod support;

use peregrine::server::ServerConfig;
use peregrine::App;
use support::http1::Conn;
use support::server::{get, start};
use support::stream::{read_until, Streamed};

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
