//! Each limit answers with its own status exactly at its bound, in one write or many (RFC 9110 §15.5.14,
//! §15.5.15, RFC 6585 §5): here `max_request_target_size` 200, `max_header_size` 1,000, `max_headers` 20 and
//! the app's `max_body_size` 4,096.

use std::time::Duration;

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, split_case, Case, Want};

/// A GET whose request-target is exactly `len` bytes long (the `{p}` prefix is 3 or 4 bytes: `/c7`, `/c12`,
/// so targets are padded after `{p}?` to `len` counting a 4-byte prefix, and cases sit at indices 10-99).
fn target(len: usize) -> String {
    format!("GET {{p}}?{} HTTP/1.1\r\nHost: t\r\n\r\n", "q".repeat(len - 4 - 1))
}

/// A GET whose head is exactly `size` bytes, as `max_header_size` counts it, with a 4-byte `{p}`.
fn head(size: usize) -> String {
    let fixed = "GET /c10 HTTP/1.1\r\nHost: t\r\nX-Pad: \r\n\r\n".len();
    format!(
        "GET {{p}} HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(size - fixed)
    )
}

fn fields(n: usize) -> String {
    let extra: String = (1..n).map(|i| format!("X-{i}: v\r\n")).collect();
    format!("GET {{p}} HTTP/1.1\r\nHost: t\r\n{extra}\r\n")
}

fn body(len: usize) -> String {
    format!(
        "POST {{p}} HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\n\r\n{}",
        "b".repeat(len)
    )
}

fn chunked(len: usize) -> String {
    let data = "c".repeat(len);
    let chunks: String = data
        .as_bytes()
        .chunks(1000)
        .map(|c| format!("{:x}\r\n{}\r\n", c.len(), std::str::from_utf8(c).unwrap()))
        .collect();
    format!("POST {{p}} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}0\r\n\r\n")
}

fn in_pieces(text: &str, n: usize) -> Vec<&[u8]> {
    text.as_bytes().chunks(n).collect()
}

fn cases() -> Vec<Case> {
    let (t200, t201) = (target(200), target(201));
    let (h1000, h1001) = (head(1000), head(1001));
    let mut cases = vec![
        case(
            "RFC 9110 §15.5.15",
            "a request-target at its bound is served",
            &t200,
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §15.5.15",
            "a request-target one byte under its bound is served",
            target(199),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §15.5.15",
            "a request-target one byte over its bound gets 414",
            &t201,
            Want::Refused(414),
        ),
        split_case(
            "RFC 9110 §15.5.15",
            "a request-target over its bound in pieces gets 414",
            &in_pieces(&t201, 50),
            Want::Refused(414),
        ),
        case(
            "RFC 9110 §15.5.15",
            "a request-target past the read buffer gets 431",
            target(10_000),
            Want::Refused(431),
        ),
        case(
            "RFC 6585 §5",
            "a head at its bound is served",
            &h1000,
            Want::Served(&[200]),
        ),
        case(
            "RFC 6585 §5",
            "a head one byte under its bound is served",
            head(999),
            Want::Served(&[200]),
        ),
        case(
            "RFC 6585 §5",
            "a head one byte over its bound gets 431",
            &h1001,
            Want::Refused(431),
        ),
        split_case(
            "RFC 6585 §5",
            "a head at its bound in pieces is served",
            &in_pieces(&h1000, 100),
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 6585 §5",
            "a head over its bound in pieces gets 431",
            &in_pieces(&h1001, 100),
            Want::Refused(431),
        ),
        case(
            "RFC 6585 §5",
            "a head far over its bound gets 431",
            head(5000),
            Want::Refused(431),
        ),
        case("RFC 6585 §5", "20 fields are served", fields(20), Want::Served(&[200])),
        case("RFC 6585 §5", "21 fields get 431", fields(21), Want::Refused(431)),
        case(
            "RFC 9110 §15.5.14",
            "a body at its bound is served",
            body(4096),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §15.5.14",
            "a body one byte over its bound gets 413, and the connection goes on",
            body(4097),
            Want::Served(&[413]),
        ),
        case(
            "RFC 9110 §15.5.14",
            "a chunked body at its bound is served",
            chunked(4096),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §15.5.14",
            "a chunked body one byte over its bound gets 413, and the connection goes on",
            chunked(4097),
            Want::Served(&[413]),
        ),
        split_case(
            "RFC 9110 §15.5.14",
            "a body over its bound in pieces gets 413",
            &in_pieces(&body(4097), 700),
            Want::Closed(&[413]),
        ),
    ];
    // Padding to index 10 keeps every case's `{p}` four bytes long (`/c10`..`/c99`), which the sizes assume.
    let mut padded: Vec<Case> = (0..10)
        .map(|_| {
            case(
                "RFC 9112 §3",
                "a plain GET (padding)",
                "GET {p} HTTP/1.1\r\nHost: t\r\n\r\n",
                Want::Served(&[200]),
            )
        })
        .collect();
    padded.append(&mut cases);
    padded
}

#[tokio::test]
async fn limits() {
    let config = ServerConfig::new()
        .max_request_target_size(200)
        .max_header_size(1000)
        .max_headers(20)
        .header_read_timeout(Duration::from_secs(5));
    check_group("limits", config, cases()).await;
}
