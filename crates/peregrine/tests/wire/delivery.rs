//! Slow and split delivery (RFC 9112 §2.2, §9.5): a message is the same however its bytes are split into
//! reads, and a client that stops sending is disconnected at the header-read or body-read timeout (here
//! 1 s each, with no minimum body rate after it).

use std::time::Duration;

use peregrine::server::ServerConfig;

use crate::harness::{check_group_quiet, split_case, Case, Want};

fn cases() -> Vec<Case> {
    vec![
        split_case(
            "RFC 9112 §2.2",
            "a request line split in three",
            &[b"GE", b"T {p} HT", b"TP/1.1\r\nHost: t\r\n\r\n"],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §2.2",
            "a field name split",
            &[b"GET {p} HTTP/1.1\r\nHo", b"st: t\r\n\r\n"],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §2.2",
            "CR and LF in different reads",
            &[b"GET {p} HTTP/1.1\r", b"\nHost: t\r", b"\n\r", b"\n"],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §2.2",
            "a request one byte per read",
            &b"GET {p} HTTP/1.1\r\nHost: t\r\n\r\n"
                .iter()
                .map(std::slice::from_ref)
                .collect::<Vec<_>>(),
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §6.2",
            "a body split over reads",
            &[
                b"POST {p} HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01",
                b"234",
                b"56789",
            ],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §7.1",
            "a chunk-size line split",
            &[
                b"POST {p} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"1",
                b"0\r",
                b"\n0123456789abcdef\r\n0\r\n\r\n",
            ],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §7.1",
            "a last chunk split",
            &[
                b"POST {p} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r",
                b"\n\r",
                b"\n",
            ],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §9.3.2",
            "two requests split across their boundary",
            &[
                b"GET {p} HTTP/1.1\r\nHost: t\r\n\r\nGET {p} HT",
                b"TP/1.1\r\nHost: t\r\n\r\n",
            ],
            Want::Served(&[200, 200]),
        ),
        split_case(
            "RFC 9112 §2.2",
            "the head's end split from the body",
            &[b"POST {p} HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r", b"\nok"],
            Want::Served(&[200]),
        ),
        split_case(
            "RFC 9112 §9.5",
            "a head never finished is closed at the header-read timeout",
            &[b"GET {p} HTTP/1.1\r\nHost: t\r\n"],
            Want::Closed(&[]),
        )
        .without_canary(),
        split_case(
            "RFC 9112 §9.5",
            "a request line never finished is closed at the header-read timeout",
            &[b"GET {p} HT"],
            Want::Closed(&[]),
        )
        .without_canary(),
        split_case(
            "RFC 9110 §15.5.9",
            "a body never finished gets 408 at the body-read timeout",
            &[b"POST {p} HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc"],
            Want::Closed(&[408]),
        )
        .without_canary(),
        split_case(
            "RFC 9110 §15.5.9",
            "a chunked body never finished gets 408",
            &[b"POST {p} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"],
            Want::Closed(&[408]),
        )
        .without_canary(),
        split_case(
            "RFC 9112 §9.5",
            "an idle connection after an answer is closed at the timeout",
            &[b"GET {p} HTTP/1.1\r\nHost: t\r\n\r\n"],
            Want::Closed(&[200]),
        )
        .without_canary(),
    ]
}

#[tokio::test]
async fn delivery() {
    let config = ServerConfig::new()
        .header_read_timeout(Duration::from_secs(1))
        .body_read_timeout(Duration::from_secs(1))
        .min_body_rate(0);
    check_group_quiet("slow and split delivery", config, cases(), Duration::from_secs(4)).await;
}
