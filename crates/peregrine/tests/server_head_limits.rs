//! The head limits over real sockets, each at its bound, one byte under and one byte over, with the bytes in
//! one write and in many: a request-target over `max_request_target_size` gets 414, a head over
//! `max_header_size` or more than `max_headers` fields get 431, a body over `max_body_size` gets 413.

mod support;

use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::{Conn, Raw};
use support::server::{app, start};
use tokio::io::AsyncWriteExt;

/// How the request's bytes reach the server.
#[derive(Debug, Clone, Copy)]
enum Delivery {
    OneWrite,
    /// Writes of this many bytes, a few milliseconds apart, so the server reads them one at a time.
    Pieces(usize),
}

const DELIVERIES: [Delivery; 3] = [Delivery::OneWrite, Delivery::Pieces(4096), Delivery::Pieces(1000)];

async fn deliver(c: &mut Conn, bytes: &[u8], delivery: Delivery) {
    c.stream.set_nodelay(true).unwrap();
    match delivery {
        // A server that answers before the request's end may close while the rest is being written.
        Delivery::OneWrite => {
            let _ = c.stream.write_all(bytes).await;
        }
        Delivery::Pieces(n) => {
            for piece in bytes.chunks(n) {
                if c.stream.write_all(piece).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
    }
}

async fn exchange(addr: std::net::SocketAddr, request: &str, delivery: Delivery) -> (Raw, Conn) {
    let mut c = Conn::open(addr).await;
    deliver(&mut c, request.as_bytes(), delivery).await;
    let r = c.read_response(false).await;
    (r, c)
}

/// A GET head of exactly `size` bytes (counted as `max_header_size` documents), padded in one field.
fn head_of_size(size: usize) -> String {
    let fixed = "GET /health HTTP/1.1\r\nHost: t\r\nX-Pad: \r\n\r\n".len();
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(size - fixed)
    );
    assert_eq!(head.len(), size);
    head
}

/// A GET whose request-target is exactly `len` bytes.
fn target_of_len(len: usize) -> String {
    let target = format!("/health?{}", "q".repeat(len - "/health?".len()));
    assert_eq!(target.len(), len);
    format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")
}

#[tokio::test]
async fn a_head_over_max_header_size_gets_431_however_it_is_split() {
    let limit = 32 * 1024;
    let server = start(app(), ServerConfig::new().max_header_size(limit)).await;
    for delivery in DELIVERIES {
        for (size, want) in [
            (limit - 1, 200),
            (limit, 200),
            (limit + 1, 431),
            (40 * 1024, 431),
            (60 * 1024, 431),
        ] {
            let (r, mut c) = exchange(server.addr, &head_of_size(size), delivery).await;
            assert_eq!(r.status, want, "a {size}-byte head, {delivery:?}: {:?}", r.headers);
            if want == 431 {
                assert_eq!(r.header("connection"), Some("close"), "{size}, {delivery:?}");
                assert!(c.closed_within(Duration::from_secs(2)).await, "{size}, {delivery:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_small_max_header_size_is_exact_too() {
    let limit = 1000;
    let server = start(app(), ServerConfig::new().max_header_size(limit)).await;
    for delivery in [Delivery::OneWrite, Delivery::Pieces(100)] {
        for (size, want) in [(limit - 1, 200), (limit, 200), (limit + 1, 431)] {
            let (r, _) = exchange(server.addr, &head_of_size(size), delivery).await;
            assert_eq!(r.status, want, "a {size}-byte head, {delivery:?}");
        }
    }
}

#[tokio::test]
async fn optional_whitespace_is_not_counted_in_the_head() {
    let limit = 1000;
    let server = start(app(), ServerConfig::new().max_header_size(limit)).await;
    let head = head_of_size(limit)
        .replacen("X-Pad: ", "X-Pad:      ", 1)
        .replacen("\r\n\r\n", "   \r\n\r\n", 1);
    let (r, _) = exchange(server.addr, &head, Delivery::OneWrite).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn a_request_target_over_its_limit_gets_414_and_a_close() {
    let limit = 8 * 1024;
    let server = start(app(), ServerConfig::new()).await;
    for delivery in DELIVERIES {
        for (len, want) in [(limit - 1, 200), (limit, 200), (limit + 1, 414), (30 * 1024, 414)] {
            let (r, mut c) = exchange(server.addr, &target_of_len(len), delivery).await;
            assert_eq!(r.status, want, "a {len}-byte target, {delivery:?}");
            if want == 414 {
                assert_eq!(r.header("connection"), Some("close"));
                assert!(
                    r.header("content-type").is_some_and(|t| t.contains("json")),
                    "{:?}",
                    r.headers
                );
                assert!(c.closed_within(Duration::from_secs(2)).await);
            }
        }
    }
}

#[tokio::test]
async fn a_target_too_long_for_the_read_buffer_gets_431() {
    // The buffer holds twice the larger limit: 64 KiB here.
    let server = start(app(), ServerConfig::new()).await;
    let (r, mut c) = exchange(server.addr, &target_of_len(70 * 1024), Delivery::Pieces(4096)).await;
    assert_eq!(r.status, 431);
    assert!(c.closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn max_request_target_size_is_configurable() {
    let server = start(app(), ServerConfig::new().max_request_target_size(100)).await;
    let (r, _) = exchange(server.addr, &target_of_len(100), Delivery::OneWrite).await;
    assert_eq!(r.status, 200);
    let (r, _) = exchange(server.addr, &target_of_len(101), Delivery::OneWrite).await;
    assert_eq!(r.status, 414);
}

#[tokio::test]
async fn more_than_max_headers_fields_get_431() {
    let server = start(app(), ServerConfig::new().max_headers(10)).await;
    for delivery in [Delivery::OneWrite, Delivery::Pieces(7)] {
        // Host is one of the fields.
        for (extra, want) in [(8, 200), (9, 200), (10, 431)] {
            let fields: String = (0..extra).map(|i| format!("X-{i}: v\r\n")).collect();
            let request = format!("GET /health HTTP/1.1\r\nHost: t\r\n{fields}\r\n");
            let (r, _) = exchange(server.addr, &request, delivery).await;
            assert_eq!(r.status, want, "{} fields, {delivery:?}", extra + 1);
        }
    }
}

/// `POST /len` answers the body's length.
struct Len;

#[peregrine::resource]
impl Len {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let body = req.body_bytes().await?;
        resp.set_text(body.len().to_string());
        Ok(())
    }
}

#[tokio::test]
async fn a_body_over_max_body_size_gets_413_by_length_and_chunked() {
    let limit = 10_000;
    let server = start(
        App::new().add_route("/len", Len),
        ServerConfig::new().max_body_size(limit),
    )
    .await;
    for delivery in [Delivery::OneWrite, Delivery::Pieces(1500)] {
        for (size, want) in [(limit - 1, 200), (limit, 200), (limit + 1, 413)] {
            let body = "b".repeat(size);
            let request = format!("POST /len HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n{body}");
            let (r, _) = exchange(server.addr, &request, delivery).await;
            assert_eq!(r.status, want, "a {size}-byte body, {delivery:?}");
            if want == 200 {
                assert_eq!(r.body, size.to_string().as_bytes());
            }
            let chunks: String = body
                .as_bytes()
                .chunks(3000)
                .map(|c| format!("{:x}\r\n{}\r\n", c.len(), String::from_utf8_lossy(c)))
                .collect();
            let request =
                format!("POST /len HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}0\r\n\r\n");
            let (r, _) = exchange(server.addr, &request, delivery).await;
            assert_eq!(r.status, want, "a chunked {size}-byte body, {delivery:?}");
        }
    }
}

#[tokio::test]
async fn the_status_line_of_413_is_rfc_9110s() {
    use tokio::io::AsyncReadExt;
    let server = start(App::new().add_route("/len", Len), ServerConfig::new().max_body_size(10)).await;
    let mut c = Conn::open(server.addr).await;
    c.send("POST /len HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nConnection: close\r\n\r\n01234567890")
        .await;
    let mut out = Vec::new();
    let _ = c.stream.read_to_end(&mut out).await;
    let head = String::from_utf8_lossy(&out);
    assert!(head.starts_with("HTTP/1.1 413 Content Too Large\r\n"), "{head}");
}
