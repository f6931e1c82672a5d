//! HTTP/2 abuse over h2c (RFC 9113 §10.5 and the floods reported against HTTP/2 servers since 2019): each
//! is contained — the connection closed or the abuse limited — with the server's memory bounded and other
//! clients served meanwhile. Frames come from `support/h2frames.rs`, as no client library sends these.
#![cfg(feature = "http2")]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::h2frames::*;
use support::server::{app, start, Running};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// `GET /big`: a 1 MiB body.
struct Big;

#[peregrine::resource]
impl Big {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        static BODY: [u8; 1 << 20] = [b'b'; 1 << 20];
        resp.set_data(bytes::Bytes::from_static(&BODY));
        Ok(())
    }
}

async fn server() -> Running {
    let app: App = app().add_route("/big", Big);
    start(app, ServerConfig::new().http2(true)).await
}

/// A fresh client gets `/health` over HTTP/2 within 2 s.
async fn assert_healthy(addr: SocketAddr) {
    let answer = tokio::time::timeout(Duration::from_secs(2), async {
        let stream = TcpStream::connect(addr).await.unwrap();
        support::http2::get(stream, &format!("http://{addr}/health")).await
    })
    .await
    .expect("a fresh client was not answered within 2 s during the abuse");
    assert_eq!(answer.status(), 200);
}

/// Whether any HEADERS frame among `frames` answers with `:status 200` (static index 8, RFC 7541 App. A).
fn answered_200(frames: &[Frame]) -> bool {
    frames
        .iter()
        .any(|f| f.kind == HEADERS && f.payload.first() == Some(&0x88))
}

fn rss_growth_mib(before: usize) -> usize {
    rss_kib().saturating_sub(before) / 1024
}

#[tokio::test]
async fn rapid_reset_is_answered_with_goaway() {
    let server = server().await;
    let before = rss_kib();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    open(&mut wr).await;
    let writer = tokio::spawn(async move {
        let block = get_block("t", "/wait/1000");
        for batch in 0..100u32 {
            if wr.write_all(&opened_and_reset(&block, batch * 100, 100)).await.is_err() {
                return batch * 100;
            }
        }
        10_000
    });
    let (frames, ended) = frames_until_closed(&mut rd, Duration::from_secs(10)).await;
    let sent = writer.await.unwrap();
    let goaway = frames.iter().find(|f| f.kind == GOAWAY);
    assert!(ended, "the connection stayed open after {sent} reset streams");
    // ENHANCE_YOUR_CALM (0xb): h2's limit on streams reset before they were accepted.
    assert_eq!(
        goaway.and_then(Frame::error_code),
        Some(0xb),
        "{goaway:?} after {sent} streams"
    );
    assert_healthy(server.addr).await;
    assert!(
        rss_growth_mib(before) < 64,
        "RSS grew by {} MiB",
        rss_growth_mib(before)
    );
}

#[tokio::test]
async fn a_continuation_flood_is_cut_off() {
    let server = server().await;
    let before = rss_kib();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    open(&mut wr).await;
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        if wr
            .write_all(&frame(HEADERS, 0, 1, &get_block("t", "/health")))
            .await
            .is_err()
        {
            return (sent, true);
        }
        let fragment = literal(b"x-flood", &[b'a'; 16_000]);
        let continuation = frame(CONTINUATION, 0, 1, &fragment);
        // Up to 64 MiB of one header block that never ends.
        while sent < 64 << 20 {
            if wr.write_all(&continuation).await.is_err() {
                return (sent, true);
            }
            sent += continuation.len();
        }
        (sent, false)
    });
    let (frames, ended) = frames_until_closed(&mut rd, Duration::from_secs(10)).await;
    let (sent, refused) = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .unwrap()
        .unwrap();
    assert!(ended || refused, "still accepting after {sent} bytes of CONTINUATION");
    assert!(sent < 16 << 20, "the server read {sent} bytes of one header block");
    assert!(!answered_200(&frames));
    assert_healthy(server.addr).await;
    assert!(
        rss_growth_mib(before) < 64,
        "RSS grew by {} MiB",
        rss_growth_mib(before)
    );
}

/// Sends `flood` (frames the server must answer) for up to 3 s without reading any answer, then checks that
/// the server's memory stayed bounded and other clients were served throughout.
async fn flood_unread(flood: Vec<u8>) {
    let server = server().await;
    let before = rss_kib();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (rd, mut wr) = stream.into_split();
    open(&mut wr).await;
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout_at(deadline, wr.write_all(&flood)).await {
                Ok(Ok(())) => sent += flood.len(),
                // Closed by the server, or it stopped reading (backpressure): either contains the flood.
                Ok(Err(_)) | Err(_) => break,
            }
        }
        sent
    });
    for _ in 0..5 {
        assert_healthy(server.addr).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let sent = writer.await.unwrap();
    drop(rd);
    assert!(
        rss_growth_mib(before) < 64,
        "RSS grew by {} MiB after {sent} bytes",
        rss_growth_mib(before)
    );
}

#[tokio::test]
async fn a_settings_flood_left_unacknowledged_is_contained() {
    let one = settings(&[(0x3, 100)]);
    flood_unread(one.repeat(4096)).await;
}

#[tokio::test]
async fn a_ping_flood_left_unanswered_is_contained() {
    let one = frame(PING, 0, 0, &[7; 8]);
    flood_unread(one.repeat(4096)).await;
}

#[tokio::test]
async fn an_hpack_bomb_is_refused() {
    let server = server().await;
    let before = rss_kib();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    open(&mut wr).await;
    // One 4 KiB field enters the dynamic table; 3,000 one-byte references to it decode to 12 MiB.
    let mut block = get_block("t", "/health");
    block.extend(literal_indexed(b"x-bomb", &[b'b'; 4000]));
    for _ in 0..3000 {
        block.extend(indexed(62));
    }
    wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
        .await
        .unwrap();
    let (frames, _) = frames_until_closed(&mut rd, Duration::from_secs(3)).await;
    assert!(!answered_200(&frames), "the bomb was served: {frames:?}");
    let refused = frames
        .iter()
        .any(|f| matches!(f.kind, GOAWAY | RST_STREAM) || (f.kind == HEADERS && f.stream == 1));
    assert!(refused, "no refusal: {frames:?}");
    assert_healthy(server.addr).await;
    assert!(
        rss_growth_mib(before) < 64,
        "RSS grew by {} MiB",
        rss_growth_mib(before)
    );
}

#[tokio::test]
async fn a_header_list_over_max_header_size_is_refused() {
    let server = server().await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    open(&mut wr).await;
    let mut block = get_block("t", "/health");
    block.extend(literal(b"x-big", &[b'v'; 40_000]));
    let (first, rest) = block.split_at(16_000);
    let mut bytes = frame(HEADERS, END_STREAM, 1, first);
    let mut chunks = rest.chunks(16_000).peekable();
    while let Some(chunk) = chunks.next() {
        let flags = if chunks.peek().is_none() { END_HEADERS } else { 0 };
        bytes.extend(frame(CONTINUATION, flags, 1, chunk));
    }
    wr.write_all(&bytes).await.unwrap();
    let (frames, _) = frames_until_closed(&mut rd, Duration::from_secs(3)).await;
    assert!(!answered_200(&frames), "a 40 KB header list was served: {frames:?}");
    assert_healthy(server.addr).await;
}

#[tokio::test]
async fn zero_window_clients_hold_no_more_than_their_streams() {
    let server = server().await;
    let before = rss_kib();
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (rd, mut wr) = stream.into_split();
        wr.write_all(PREFACE).await.unwrap();
        // SETTINGS_INITIAL_WINDOW_SIZE 0: the server may send no DATA until a WINDOW_UPDATE that never comes.
        wr.write_all(&settings(&[(0x4, 0)])).await.unwrap();
        for id in [1u32, 3, 5, 7] {
            wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, id, &get_block("t", "/big")))
                .await
                .unwrap();
        }
        stalled.push((rd, wr));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_healthy(server.addr).await;
    }
    // 200 stalled responses of 1 MiB each share one static body: nothing is copied per stream.
    assert!(
        rss_growth_mib(before) < 64,
        "RSS grew by {} MiB",
        rss_growth_mib(before)
    );
    drop(stalled);
}

/// The first HEADERS frame answering stream 1.
async fn answer_to_stream_1(rd: &mut tokio::net::tcp::OwnedReadHalf) -> Option<Frame> {
    let (frames, _) = frames_until_closed(rd, Duration::from_secs(2)).await;
    frames.into_iter().find(|f| f.kind == HEADERS && f.stream == 1)
}

#[tokio::test]
async fn the_host_rule_holds_over_http2() {
    // RFC 9113 §8.3.1: without :authority, Host is the authority and must be valid; with it, they agree.
    let server = server().await;
    let cases: [(&str, Vec<u8>, u8); 3] = [
        (
            "an invalid Host without :authority",
            literal(b"host", b"evil.example/x y"),
            0x8c,
        ),
        ("a Host unlike :authority", literal(b"host", b"other.example"), 0x8c),
        ("a valid Host equal to :authority", literal(b"host", b"t"), 0x88),
    ];
    for (what, host, want) in cases {
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut rd, mut wr) = stream.into_split();
        open(&mut wr).await;
        let mut block = if what.contains("without") {
            // :method GET, :scheme http, :path /health, and no :authority.
            let mut b = vec![0x82, 0x86];
            b.extend(hpack_int(0x00, 4, 4));
            b.extend(hpack_int(0, 7, 7));
            b.extend_from_slice(b"/health");
            b
        } else {
            get_block("t", "/health")
        };
        block.extend(host);
        wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
            .await
            .unwrap();
        let answer = answer_to_stream_1(&mut rd).await;
        // :status 400 is static entry 12 (0x8c), 200 entry 8 (0x88).
        assert_eq!(
            answer.as_ref().and_then(|f| f.payload.first()),
            Some(&want),
            "{what}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn max_headers_holds_over_http2() {
    let app: App = app();
    let server = start(app, ServerConfig::new().http2(true).max_headers(10)).await;
    for (extra, served) in [(9, true), (11, false)] {
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut rd, mut wr) = stream.into_split();
        open(&mut wr).await;
        let mut block = get_block("t", "/health");
        for i in 0..extra {
            block.extend(literal(format!("x-{i}").as_bytes(), b"v"));
        }
        wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
            .await
            .unwrap();
        let answer = answer_to_stream_1(&mut rd).await.expect("an answer");
        assert_eq!(
            answer.payload.first() == Some(&0x88),
            served,
            "{extra} fields: {answer:?}"
        );
    }
}
