//! The request line (RFC 9112 §3): method, request-target and version, and the bytes around them.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

const H: &str = "Host: t\r\n\r\n";

fn cases() -> Vec<Case> {
    vec![
        case(
            "RFC 9112 §3",
            "a plain GET is served",
            format!("GET {{p}} HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §9.1",
            "methods are case-sensitive: `get` is not GET (501)",
            format!("get {{p}} HTTP/1.1\r\n{H}"),
            Want::Served(&[501]),
        ),
        case(
            "RFC 9110 §9.1",
            "an unknown method gets 501",
            format!("BREW {{p}} HTTP/1.1\r\n{H}"),
            Want::Served(&[501]),
        ),
        case(
            "RFC 9110 §9.1",
            "a long extension method gets 501",
            format!("{} {{p}} HTTP/1.1\r\n{H}", "X".repeat(100)),
            Want::Served(&[501]),
        ),
        case(
            "RFC 9112 §3.1",
            "a method with a delimiter is refused",
            format!("GE(T {{p}} HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3",
            "two spaces after the method are refused",
            format!("GET  {{p}} HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3",
            "a tab between method and target is refused",
            format!("GET\t{{p}} HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3",
            "a request line without a version is refused",
            "GET {p}\r\nHost: t\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §2.3",
            "the version is case-sensitive: `http/1.1` is refused",
            format!("GET {{p}} http/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §15.6.6",
            "HTTP/2.0 in an HTTP/1 request line is refused",
            format!("GET {{p}} HTTP/2.0\r\n{H}"),
            Want::RefusedAny(&[400, 505]),
        ),
        case(
            "RFC 9112 §2.3",
            "a version without its minor digit is refused",
            format!("GET {{p}} HTTP/1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "a space inside the target is refused",
            format!("GET {{p}}/a b HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "a NUL inside the target is refused",
            format!("GET {{p}}/a\0b HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2",
            "a DEL inside the target is refused",
            format!("GET {{p}}/a\x7fb HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2.2",
            "an absolute-form target is served",
            format!("GET http://t{{p}} HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §4.2.4",
            "userinfo in an absolute-form target is refused",
            format!("GET http://u:p@t{{p}} HTTP/1.1\r\n{H}"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3.2.4",
            "the asterisk form is only for OPTIONS",
            format!("GET * HTTP/1.1\r\n{H}"),
            Want::Served(&[400]),
        ),
        case(
            "RFC 9110 §9.3.7",
            "OPTIONS * is answered by the server",
            format!("OPTIONS * HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §3.2.3",
            "the authority form is only for CONNECT",
            format!("GET t:80 HTTP/1.1\r\n{H}"),
            Want::Served(&[400]),
        ),
        case(
            "RFC 9112 §2.2",
            "an empty line before the request line is ignored",
            format!("\r\nGET {{p}} HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §2.2",
            "bare LF line endings are accepted",
            "GET {p} HTTP/1.1\nHost: t\n\n",
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §2.2",
            "a bare CR as a line ending is refused",
            "GET {p} HTTP/1.1\rHost: t\r\r",
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §3",
            "a request line that is not HTTP is refused",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
            Want::RefusedAny(&[400]),
        ),
        case(
            "RFC 3986 §2.1",
            "a percent-encoded NUL is data: it reaches the app as a field",
            format!("GET {{p}}/%00 HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
        // Outside RFC 9112's grammar; the `http` crate's parser drops it, as browsers never send one.
        case(
            "RFC 9112 §3.2",
            "a fragment in the target is dropped, not served as part of the path",
            format!("GET {{p}}#frag HTTP/1.1\r\n{H}"),
            Want::Served(&[200]),
        ),
    ]
}

#[tokio::test]
async fn request_line() {
    check_group("request line", ServerConfig::new(), cases()).await;
}
