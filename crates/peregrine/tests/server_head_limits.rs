//! Limits on the request head over real sockets: too large a head, or too many header fields, gets 431.

mod support;

use std::time::Duration;

use peregrine::server::ServerConfig;
use support::http1::Conn;
use support::server::{app, start};

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
