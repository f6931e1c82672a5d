//! `Expect: 100-continue` (RFC 9110 §10.1.1): the server sends 100 before reading a body it will read, and
//! never for a body it refuses unread.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, split_case, Case, Want};

fn head(fields: &str) -> String {
    format!("POST {{p}} HTTP/1.1\r\nHost: t\r\n{fields}\r\n")
}

fn cases() -> Vec<Case> {
    let continue5 = head("Expect: 100-continue\r\nContent-Length: 5\r\n");
    vec![
        split_case(
            "RFC 9110 §10.1.1",
            "100 Continue, then the answer, when the body waits for it",
            &[continue5.as_bytes(), b"hello"],
            Want::Served(&[100, 200]),
        ),
        split_case(
            "RFC 9110 §10.1.1",
            "the expectation is case-insensitive",
            &[
                head("Expect: 100-Continue\r\nContent-Length: 5\r\n").as_bytes(),
                b"hello",
            ],
            Want::Served(&[100, 200]),
        ),
        split_case(
            "RFC 9110 §10.1.1",
            "100 Continue for a chunked body",
            &[
                head("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n").as_bytes(),
                b"5\r\nhello\r\n0\r\n\r\n",
            ],
            Want::Served(&[100, 200]),
        ),
        case(
            "RFC 9110 §10.1.1",
            "a GET without a body needs no 100",
            "GET {p} HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n",
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §10.1.1",
            "an empty body needs no 100",
            head("Expect: 100-continue\r\nContent-Length: 0\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §10.1.1",
            "a body over the limit is refused without 100",
            head("Expect: 100-continue\r\nContent-Length: 100000\r\n"),
            Want::Closed(&[413]),
        ),
        case(
            "RFC 9110 §10.1.1",
            "an unknown expectation is ignored",
            format!("{}hello", head("Expect: teapot\r\nContent-Length: 5\r\n")),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §10.1.1",
            "HTTP/1.0 ignores 100-continue",
            "POST {p} HTTP/1.0\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
            Want::Closed(&[200]),
        ),
        split_case(
            "RFC 9110 §10.1.1",
            "a body sent before the 100 arrives is read as well",
            &[format!("{continue5}hel").as_bytes(), b"lo"],
            Want::Served(&[100, 200]),
        ),
        split_case(
            "RFC 9110 §10.1.1",
            "a 100-continue request with a bad body is refused after the 100",
            &[
                head("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n").as_bytes(),
                b"zz\r\nhello\r\n0\r\n\r\n",
            ],
            Want::Closed(&[100, 400]),
        ),
    ]
}

#[tokio::test]
async fn expect() {
    check_group("Expect", ServerConfig::new(), cases()).await;
}
