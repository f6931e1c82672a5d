//! Message framing (RFC 9112 §6, §7): Content-Length, Transfer-Encoding and the chunked coding; a message
//! whose length cannot be known for sure is refused and the connection closed.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

fn post(fields: &str, body: &str) -> String {
    format!("POST {{p}} HTTP/1.1\r\nHost: t\r\n{fields}\r\n{body}")
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "RFC 9112 §6.2",
            "a Content-Length body is served",
            post("Content-Length: 5\r\n", "hello"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §6.2",
            "leading zeros in Content-Length are digits",
            post("Content-Length: 0005\r\n", "hello"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §6.2",
            "Content-Length 0 is an empty body",
            post("Content-Length: 0\r\n", ""),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §8.6",
            "two different Content-Length fields are refused",
            post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a Content-Length list of different values is refused",
            post("Content-Length: 5, 6\r\n", "hello!"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a negative Content-Length is refused",
            post("Content-Length: -1\r\n", "hello"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a signed Content-Length is refused",
            post("Content-Length: +5\r\n", "hello"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a Content-Length that is not a number is refused",
            post("Content-Length: five\r\n", "hello"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a hex Content-Length is refused",
            post("Content-Length: 0x5\r\n", "hello"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §8.6",
            "a Content-Length with trailing garbage is refused",
            post("Content-Length: 5abc\r\n", "hello"),
            Want::Refused(400),
        ),
        // hyper answers 431 for a Content-Length past 2^64 - 3 (its own rule, before any Peregrine code).
        case(
            "RFC 9110 §8.6",
            "a Content-Length too large for the server is refused",
            post("Content-Length: 18446744073709551615\r\n", "hello"),
            Want::RefusedAny(&[400, 413, 431]),
        ),
        case(
            "RFC 9112 §7.1",
            "a chunked body is served",
            post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §7.1",
            "chunk sizes are hex, any case",
            post(
                "Transfer-Encoding: chunked\r\n",
                "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
            ),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §7.1.1",
            "chunk extensions are ignored",
            post(
                "Transfer-Encoding: chunked\r\n",
                "5;name=value;x\r\nhello\r\n0;last\r\n\r\n",
            ),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §7.1.2",
            "trailer fields are accepted",
            post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §7.1",
            "a chunk size that is not hex is refused",
            post("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "a chunk size that overflows is refused",
            post(
                "Transfer-Encoding: chunked\r\n",
                "fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            ),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "a chunk size with a 0x prefix is refused",
            post("Transfer-Encoding: chunked\r\n", "0x5\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "chunk data longer than its size is refused",
            post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.6.1",
            "an empty list element before chunked is allowed",
            post("Transfer-Encoding: , chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            Want::Served(&[200]),
        ),
        // RFC 9110 §5.6.1 asks recipients to accept this too; hyper looks at the last element only.
        case(
            "RFC 9110 §5.6.1",
            "an empty list element after chunked is refused by hyper",
            post("Transfer-Encoding: chunked ,\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §6.1",
            "an unknown transfer coding gets 501",
            post("Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(501),
        ),
        case(
            "RFC 9112 §6.1",
            "identity is not a transfer coding any more",
            post("Transfer-Encoding: identity\r\n", "hello"),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.3",
            "chunked that is not the final coding is refused",
            post("Transfer-Encoding: chunked, gzip\r\n", "5\r\nhello\r\n0\r\n\r\n"),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.1",
            "chunked applied twice is refused",
            post(
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                "5\r\nhello\r\n0\r\n\r\n",
            ),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.3",
            "Transfer-Encoding beside Content-Length frames by chunked, then closes",
            post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
            Want::Closed(&[200]),
        ),
        case(
            "RFC 9112 §6.1",
            "Transfer-Encoding in HTTP/1.0 is refused",
            "POST {p} HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §6.3",
            "a GET with a body has its body read, not parsed as a request",
            "GET {p} HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nGET ",
            Want::Served(&[200]),
        ),
    ]
}

#[tokio::test]
async fn framing() {
    check_group("message framing", ServerConfig::new(), cases()).await;
}
