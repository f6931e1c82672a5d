//! Request smuggling variants (RFC 9112 §6.1, §6.3, §11.2): a message whose framing a front end could read
//! differently is refused with a close, and a message hidden in a body never reaches the app.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

/// A POST whose head is `fields`, then `body`, and a smuggled request after it.
fn smuggle(fields: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = b"POST {p} HTTP/1.1\r\nHost: t\r\n".to_vec();
    out.extend_from_slice(fields);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

const HIDDEN: &str = "GET {p}/smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

fn cases() -> Vec<Case> {
    let chunked_hiding = format!("0\r\n\r\n{HIDDEN}");
    let cl_hiding = HIDDEN.to_owned();
    let cl_len = format!("Content-Length: {}\r\n", cl_hiding.len());
    vec![
        case(
            "RFC 9112 §5.1",
            "`Transfer-Encoding :` is refused, not read as another field",
            smuggle(
                b"Content-Length: 5\r\nTransfer-Encoding : chunked\r\n",
                chunked_hiding.as_bytes(),
            ),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §6.3",
            "a tab before chunked is whitespace: chunked framing, then a close",
            smuggle(
                b"Content-Length: 5\r\nTransfer-Encoding:\tchunked\r\n",
                chunked_hiding.as_bytes(),
            ),
            Want::Closed(&[200]),
        ),
        case(
            "RFC 9112 §6.1",
            "`xchunked` is an unknown coding",
            smuggle(b"Transfer-Encoding: xchunked\r\n", chunked_hiding.as_bytes()),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.1",
            "`chunked` followed by a vertical tab is not chunked",
            smuggle(b"Transfer-Encoding: chunked\x0b\r\n", chunked_hiding.as_bytes()),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.1",
            "a vertical tab before chunked is not whitespace",
            smuggle(b"Transfer-Encoding:\x0bchunked\r\n", chunked_hiding.as_bytes()),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.1",
            "a form feed before chunked is not whitespace",
            smuggle(b"Transfer-Encoding:\x0cchunked\r\n", chunked_hiding.as_bytes()),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9110 §5.5",
            "a NUL before chunked is refused",
            smuggle(b"Transfer-Encoding: \x00chunked\r\n", chunked_hiding.as_bytes()),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §5.2",
            "chunked folded onto a second line is refused",
            smuggle(b"Transfer-Encoding:\r\n chunked\r\n", chunked_hiding.as_bytes()),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §6.1",
            "a second Transfer-Encoding field with another coding is refused",
            smuggle(
                b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                chunked_hiding.as_bytes(),
            ),
            Want::RefusedAny(&[400, 501]),
        ),
        case(
            "RFC 9112 §6.1",
            "transfer codings are case-insensitive: CHUNKED is chunked",
            smuggle(b"Transfer-Encoding: CHUNKED\r\n", chunked_hiding.as_bytes()),
            Want::Served(&[200, 200]),
        ),
        case(
            "RFC 9110 §5.1",
            "`Transfer_Encoding` is another field: the body is framed by Content-Length",
            smuggle(
                format!("Transfer_Encoding: chunked\r\n{cl_len}").as_bytes(),
                cl_hiding.as_bytes(),
            ),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §6.2",
            "a request inside a Content-Length body is body",
            smuggle(cl_len.as_bytes(), cl_hiding.as_bytes()),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §8.6",
            "Content-Length with whitespace inside is refused",
            smuggle(b"Content-Length: 1 0\r\n", b"0123456789"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §5.2",
            "Content-Length folded onto a second line is refused",
            smuggle(b"Content-Length:\r\n 5\r\n", b"hello"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "a chunk size followed by garbage is refused",
            smuggle(b"Transfer-Encoding: chunked\r\n", b"5 x\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "a bare LF ending a chunk's data is refused",
            smuggle(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "chunk data shorter than its size swallows what follows, which is refused",
            smuggle(
                b"Transfer-Encoding: chunked\r\n",
                format!("9\r\nhello\r\n0\r\n\r\n{HIDDEN}").as_bytes(),
            ),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1",
            "a negative chunk size is refused",
            smuggle(b"Transfer-Encoding: chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §7.1.1",
            "a chunk extension with a bare LF is refused",
            smuggle(b"Transfer-Encoding: chunked\r\n", b"5;a\nb\r\nhello\r\n0\r\n\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §6.3",
            "chunked then Content-Length: chunked framing, then a close",
            smuggle(
                b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                chunked_hiding.as_bytes(),
            ),
            Want::Closed(&[200]),
        ),
    ]
}

#[tokio::test]
async fn smuggling() {
    check_group("smuggling", ServerConfig::new(), cases()).await;
}
