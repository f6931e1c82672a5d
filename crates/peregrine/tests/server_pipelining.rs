//! HTTP/1.1 pipelining over real sockets: responses come back in order, with and without coalesced writes, and a
//! large body arrives whole between small ones.

mod support;

use peregrine::server::ServerConfig;
use peregrine::{Request, Response, Result};
use support::http1::Conn;
use support::server::{app, get, start};

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
