//! Pipelining and persistence (RFC 9112 §9.3): requests sent back to back are answered in order, each read
//! exactly to its end; a refused one ends the connection, and what follows it is never read.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

const GET: &str = "GET {p} HTTP/1.1\r\nHost: t\r\n\r\n";

fn cases() -> Vec<Case> {
    vec![
        case(
            "RFC 9112 §9.3.2",
            "two GETs in one write are both answered",
            GET.repeat(2),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "ten GETs in one write are all answered",
            GET.repeat(10),
            Want::Served(&[200; 10]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "a POST with a body between GETs",
            format!("{GET}POST {{p}} HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc{GET}"),
            Want::Served(&[200, 200, 200]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "a chunked POST then a GET",
            format!("POST {{p}} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n{GET}"),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9110 §9.3.2",
            "HEAD then GET: the HEAD answer has no body",
            format!("HEAD {{p}} HTTP/1.1\r\nHost: t\r\n\r\n{GET}"),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "a slow request does not let the next one overtake it",
            format!("GET {{p}}/slow HTTP/1.1\r\nHost: t\r\n\r\n{GET}"),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "a 404 and a 405 keep the connection",
            format!("GET {{p}}/a/b/c HTTP/1.1\r\nHost: t\r\n\r\nOPTIONS {{p}} HTTP/1.1\r\nHost: t\r\n\r\n{GET}"),
            Want::Served(&[404, 200, 200]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "a malformed request after a good one ends the connection",
            format!("{GET}GET  {{p}} HTTP/1.1\r\nHost: t\r\n\r\n{GET}"),
            Want::Closed(&[200, 400]),
        ),
        case(
            "RFC 9112 §3.2",
            "a request without Host after a good one ends the connection",
            format!("{GET}GET {{p}} HTTP/1.1\r\n\r\n{GET}"),
            Want::Closed(&[200, 400]),
        ),
        case(
            "RFC 9112 §9.6",
            "Connection: close ends the connection after its answer",
            format!("GET {{p}} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n{GET}"),
            Want::Closed(&[200]),
        ),
        case(
            "RFC 9112 §9.3",
            "HTTP/1.0 closes after its answer",
            format!("GET {{p}} HTTP/1.0\r\n\r\n{GET}"),
            Want::Closed(&[200]),
        ),
        case(
            "RFC 9112 §9.3",
            "HTTP/1.0 with keep-alive stays open",
            format!("GET {{p}} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n{GET}"),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9112 §2.2",
            "empty lines between pipelined requests are ignored",
            format!("{GET}\r\n{GET}"),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9110 §15.5.14",
            "a body refused unread ends the connection",
            format!("POST {{p}} HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n{GET}"),
            Want::Closed(&[413]),
        ),
        case(
            "RFC 9112 §9.3.2",
            "an unknown method keeps the connection",
            format!("BREW {{p}} HTTP/1.1\r\nHost: t\r\n\r\n{GET}"),
            Want::Served(&[501, 200]),
        ),
    ]
}

#[tokio::test]
async fn pipelining() {
    check_group("pipelining", ServerConfig::new(), cases()).await;
}
