//! Header field syntax (RFC 9110 §5, RFC 9112 §5): names are tokens, values are visible bytes, obs-text and
//! whitespace, and the line structure around them.

use peregrine::server::ServerConfig;

use crate::harness::{case, check_group, Case, Want};

fn get(fields: &str) -> String {
    format!("GET {{p}} HTTP/1.1\r\nHost: t\r\n{fields}\r\n")
}

fn get_bytes(fields: &[u8]) -> Vec<u8> {
    let mut out = b"GET {p} HTTP/1.1\r\nHost: t\r\n".to_vec();
    out.extend_from_slice(fields);
    out.extend_from_slice(b"\r\n");
    out
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "RFC 9112 §5.1",
            "whitespace between a field name and the colon is refused",
            get("X-A : v\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §5.2",
            "obs-fold is refused",
            get("X-A: a\r\n b\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §5.2",
            "obs-fold with a tab is refused",
            get("X-A: a\r\n\tb\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §2.2",
            "whitespace before the first field line is refused",
            "GET {p} HTTP/1.1\r\n Host: t\r\n\r\n",
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.1",
            "a delimiter in a field name is refused",
            get("X(A): v\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.1",
            "an empty field name is refused",
            get(": v\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9112 §5",
            "a field line without a colon is refused",
            get("X-A v\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.5",
            "a NUL in a value is refused",
            get("X-A: a\0b\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.5",
            "a bare CR in a value is refused",
            get("X-A: a\rb\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.5",
            "a DEL in a value is refused",
            get("X-A: a\x7fb\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.5",
            "a control byte in a value is refused",
            get("X-A: a\x01b\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.1",
            "UTF-8 in a field name is refused",
            get_bytes(b"X-\xc3\xa9: v\r\n"),
            Want::Refused(400),
        ),
        case(
            "RFC 9110 §5.5",
            "obs-text in a value is served",
            get_bytes(b"X-A: caf\xe9\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.5",
            "UTF-8 bytes in a value are served",
            get_bytes(b"X-A: caf\xc3\xa9\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.5",
            "a tab inside a value is served",
            get("X-A: a\tb\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.5",
            "whitespace around a value is served",
            get("X-A: \t v \t\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.5",
            "an empty value is served",
            get("X-A:\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.1",
            "a name with every token character is served",
            get("!#$%&'*+-.^_`|~09AZaz: v\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.3",
            "a field repeated 50 times is served",
            get(&"X-A: v\r\n".repeat(50)),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9110 §5.3",
            "a repeated Content-Type-like field does not upset anything",
            get("Accept: a/b\r\nAccept: c/d\r\n"),
            Want::Served(&[200]),
        ),
        case(
            "RFC 9112 §5.1",
            "whitespace between the colon and a value is not part of the name",
            get("X-A:v\r\n"),
            Want::Served(&[200]),
        ),
    ]
}

#[tokio::test]
async fn header_syntax() {
    check_group("header syntax", ServerConfig::new(), cases()).await;
}
