//! The Host rule (RFC 9112 §3.2, RFC 3986 §3.2.2): one valid Host in every HTTP/1.1 request, refused with 400
//! before any app code otherwise; an absolute-form target names its host itself.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

fn with_host(host: &str) -> String {
    format!("GET {{p}} HTTP/1.1\r\nHost: {host}\r\n\r\n")
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "RFC 9112 §3.2",
            "an HTTP/1.1 request without Host is refused",
            "GET {p} HTTP/1.1\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "two Host fields are refused",
            "GET {p} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "two identical Host fields are refused",
            "GET {p} HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "a Host with a path is refused",
            with_host("a.example/x"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "a Host with userinfo is refused",
            with_host("u@a.example"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "a Host with a space is refused",
            with_host("a b"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "a Host with a fragment is refused",
            with_host("a#b"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.3",
            "a Host with letters in its port is refused",
            with_host("a.example:8o"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "an unclosed IPv6 literal is refused",
            with_host("[::1"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §3.2.2",
            "an invalid IPv6 literal is refused",
            with_host("[zz::1]"),
            Want::Refused(400),
        ),
        case(
            "RFC 3986 §2.1",
            "a broken percent-encoding in Host is refused",
            with_host("a%zz"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "two Hosts beside an absolute-form target are refused",
            "GET http://t{p} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "a host and port are served",
            with_host("a.example:8080"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §7.2",
            "an empty Host is served",
            "GET {p} HTTP/1.1\r\nHost:\r\n\r\n",
            Want::Served(&[200]),
        ),
        case(
            "RFC 3986 §3.2.2",
            "an IPv6 literal with a port is served",
            with_host("[::1]:80"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 3986 §3.2.2",
            "an IPv4 address is served",
            with_host("127.0.0.1"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 3986 §3.2.2",
            "a percent-encoded reg-name is served",
            with_host("caf%C3%A9.example"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §3.2.2",
            "an absolute-form target needs no Host",
            "GET http://t{p} HTTP/1.1\r\n\r\n",
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §3.2.2",
            "an absolute-form target overrides a different Host",
            "GET http://t{p} HTTP/1.1\r\nHost: other\r\n\r\n",
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §3.2",
            "HTTP/1.0 may omit Host",
            "GET {p} HTTP/1.0\r\n\r\n",
            Want::Closed(&[200]),
        ),
        case(
            "RFC 9112 §3.2",
            "HTTP/1.0 may not send two Hosts",
            "GET {p} HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
            Want::Refused(400),
        ),
    ]
}

#[tokio::test]
async fn host() {
    check_group("Host", ServerConfig::new(), cases()).await;
}
