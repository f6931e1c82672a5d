//! The checks on a parsed request head before any app code, in one pass over its fields: the size limits,
//! each answered with its own status exactly at its bound however the bytes were split into reads (a
//! request-target longer than `max_request_target_size` gets 414, RFC 9110 §15.5.15; a head larger than
//! `max_header_size` gets 431, RFC 6585 §5), then RFC 9112's Host rule (`host.rs`, 400).
//!
//! hyper's read buffer is given room above both limits ([`read_buffer_size`]): hyper checks its own bound
//! only while a head is incomplete, so a head that arrives in one read can overshoot it by a read's size,
//! while the same bytes in many reads cannot. With the room, every head up to the limits reaches this check
//! whole; a head that does not fit in the buffer is answered 431 by hyper.
//!
//! A head's size is counted as it would be written without optional whitespace: the request line
//! (`method SP request-target SP HTTP-version CRLF`), each field as `name: value CRLF`, and the empty line.

use http::header::{HOST, TRANSFER_ENCODING};
use http::request::Parts;
use http::{Method, Uri, Version};

use super::host::{self, KnownHost};

/// Why a head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The request-target is longer than `max_request_target_size`: 414.
    TargetTooLong,
    /// The head is larger than `max_header_size`: 431.
    HeadTooLarge,
    /// The Host rule is broken: 400.
    InvalidHost,
    /// A transfer coding other than chunked alone: 501.
    UnsupportedCoding,
    /// A request-target with userinfo: 400.
    InvalidTarget,
}

/// The bounds: sizes in bytes, and the most fields (HTTP/2's; hyper counts HTTP/1's).
#[derive(Debug, Clone, Copy)]
pub(super) struct HeadLimits {
    pub(super) max_target: usize,
    pub(super) max_head: usize,
    pub(super) max_fields: usize,
}

impl HeadLimits {
    /// Whether the request whose head is `head` may be served: the request-target's length is judged first,
    /// then the head's size, then the Host rule (`known`: the connection's last valid Host, when it keeps
    /// one). It reads the request in place, before hyper's request is taken apart.
    // PERF: borrowing the taken-apart head would keep it in memory, to be copied into the Request after.
    pub(super) fn check<B>(&self, head: &http::Request<B>, known: Option<&KnownHost>) -> Result<(), Refusal> {
        if head.version() == Version::HTTP_2 {
            return self.check_http2(head);
        }
        let target = target_len(head.uri())?;
        if target > self.max_target {
            return Err(Refusal::TargetTooLong);
        }
        // The request line but its method (`HTTP/1.1` and `HTTP/1.0` are 8 bytes), and the empty line.
        let mut size = 1 + target + 1 + 8 + 2 + 2;
        // PERF: one pass sums the fields and finds Host, rather than a second lookup by name.
        let (mut hosts, mut host) = (0, None);
        for (name, value) in head.headers() {
            size += name.as_str().len() + 2 + value.len() + 2;
            if *name == HOST {
                hosts += 1;
                host = Some(value);
            }
        }
        // PERF: GET's length is known without looking it up.
        size += if head.method() == Method::GET {
            3
        } else {
            head.method().as_str().len()
        };
        if size > self.max_head {
            return Err(Refusal::HeadTooLarge);
        }
        if !host::host_rule_holds(head.version(), head.uri(), hosts, host, known) {
            return Err(Refusal::InvalidHost);
        }
        Ok(())
    }

    /// The same rules for HTTP/2 (RFC 9113 §8.3.1): the target is `:path` (hyper makes the URI absolute
    /// from `:scheme` and `:authority`, which are not counted); hyper bounds the header list's size
    /// (`max_header_list_size`), this the number of fields; `:authority` carries no userinfo, a Host field
    /// beside it must be the same, and a Host field without it must be valid.
    fn check_http2<B>(&self, head: &http::Request<B>) -> Result<(), Refusal> {
        let path = head.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if path > self.max_target {
            return Err(Refusal::TargetTooLong);
        }
        if head.headers().len() > self.max_fields {
            return Err(Refusal::HeadTooLarge);
        }
        let mut hosts = head.headers().get_all(HOST).iter();
        let (host, second) = (hosts.next(), hosts.next());
        let authority = head.uri().authority();
        let valid = second.is_none()
            && authority.is_none_or(|a| !a.as_str().contains('@'))
            && match (authority, host) {
                (Some(authority), Some(host)) => authority.as_str().as_bytes() == host.as_bytes(),
                (None, Some(host)) => host::is_host_value(host.as_bytes()),
                _ => true,
            };
        if !valid {
            return Err(Refusal::InvalidHost);
        }
        Ok(())
    }
}

/// The transfer-coding rule of a request that has a body (RFC 9112 §6.1), checked only then. hyper reads
/// `chunked` as the final coding and refuses most malformed framing itself (Transfer-Encoding in HTTP/1.0,
/// chunked not last; beside Content-Length it frames by Transfer-Encoding and closes the connection after the
/// answer, as RFC 9112 §6.3 allows), but it serves `gzip, chunked` or chunked twice, handing the app
/// gzip-coded or still-chunked bytes as the body: refused with 501, as the RFC says for a coding the server
/// does not understand.
pub(super) fn check_framing(head: &Parts) -> Result<(), Refusal> {
    let mut codings = head.headers.get_all(TRANSFER_ENCODING).iter();
    let Some(first) = codings.next() else {
        return Ok(());
    };
    // A list may hold empty elements (RFC 9110 §5.6.1): `, chunked` is chunked alone.
    let chunked_alone = first.to_str().is_ok_and(|v| {
        let mut codings = v
            .split(',')
            .map(|c| c.trim_matches([' ', '\t']))
            .filter(|c| !c.is_empty());
        codings.next().is_some_and(|c| c.eq_ignore_ascii_case("chunked")) && codings.next().is_none()
    });
    if !chunked_alone || codings.next().is_some() {
        return Err(Refusal::UnsupportedCoding);
    }
    Ok(())
}

/// The request-target's length as it came: origin-form (`/p?q`), absolute-form (`http://a/p`),
/// authority-form (`a:443`) or asterisk-form (`*`). An authority with userinfo (`http://u:p@a/`) is refused:
/// RFC 9110 §4.2.4 has it treated as an error (it is how phishing hides a host).
fn target_len(uri: &Uri) -> Result<usize, Refusal> {
    let path = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    match uri.authority() {
        None => Ok(path),
        Some(authority) if authority.as_str().contains('@') => Err(Refusal::InvalidTarget),
        Some(authority) => Ok(match uri.scheme_str() {
            Some(scheme) => scheme.len() + 3 + authority.as_str().len() + path,
            None => authority.as_str().len(),
        }),
    }
}

/// The bound of hyper's read buffer for these limits: room for twice the larger of them (optional
/// whitespace is not counted in a head's size), and at least hyper's minimum of 8 KiB.
pub(super) fn read_buffer_size(max_target: usize, max_head: usize) -> usize {
    max_target.max(max_head).saturating_mul(2).max(8192)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(target: &str, fields: &[(&str, &str)]) -> http::Request<()> {
        let mut b = http::Request::builder().uri(target);
        for (n, v) in fields {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap()
    }

    /// The size the module doc defines, written out the long way.
    fn written_size(target: &str, fields: &[(&str, &str)]) -> usize {
        let mut s = format!("GET {target} HTTP/1.1\r\n");
        for (n, v) in fields {
            s += &format!("{n}: {v}\r\n");
        }
        s += "\r\n";
        s.len()
    }

    #[test]
    fn a_head_is_refused_one_byte_over_its_bound_and_served_at_it() {
        let long = "v".repeat(300);
        let fields = [("host", "example.com"), ("x-long", long.as_str())];
        let size = written_size("/a?b=c", &fields);
        let head = parts("/a?b=c", &fields);
        let at = HeadLimits {
            max_target: 8192,
            max_head: size,
            max_fields: 100,
        };
        assert_eq!(at.check(&head, None), Ok(()));
        let under = HeadLimits {
            max_target: 8192,
            max_head: size - 1,
            max_fields: 100,
        };
        assert_eq!(under.check(&head, None), Err(Refusal::HeadTooLarge));
    }

    #[test]
    fn every_method_counts_by_its_length() {
        let head = |method: &str| {
            let b = http::Request::builder().method(method).uri("/").header("host", "h");
            b.body(()).unwrap()
        };
        for method in ["GET", "DELETE", "PROPFIND", "A-VERY-LONG-EXTENSION-METHOD"] {
            let size = format!("{method} / HTTP/1.1\r\nhost: h\r\n\r\n").len();
            let at = HeadLimits {
                max_target: 10,
                max_head: size,
                max_fields: 100,
            };
            assert_eq!(at.check(&head(method), None), Ok(()), "{method}");
            let under = HeadLimits {
                max_target: 10,
                max_head: size - 1,
                max_fields: 100,
            };
            assert_eq!(under.check(&head(method), None), Err(Refusal::HeadTooLarge), "{method}");
        }
    }

    #[test]
    fn a_target_is_measured_in_each_form() {
        for target in ["/p?q=1", "http://a.example:8080/x?y", "*", "a.example:443"] {
            let uri: Uri = target.parse().unwrap();
            assert_eq!(target_len(&uri), Ok(target.len()), "{target}");
        }
        let head = parts("/abcdef", &[("host", "h")]);
        assert_eq!(
            HeadLimits {
                max_target: 7,
                max_head: 1 << 20,
                max_fields: 100,
            }
            .check(&head, None),
            Ok(())
        );
        assert_eq!(
            HeadLimits {
                max_target: 6,
                max_head: 1 << 20,
                max_fields: 100,
            }
            .check(&head, None),
            Err(Refusal::TargetTooLong)
        );
    }

    #[test]
    fn many_small_fields_still_count() {
        let mut fields: Vec<(String, String)> = (0..50).map(|i| (format!("x-{i}"), "v".into())).collect();
        fields.push(("host".into(), "h".into()));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let size = written_size("/", &fields);
        let head = parts("/", &fields);
        assert_eq!(
            HeadLimits {
                max_target: 10,
                max_head: size,
                max_fields: 100,
            }
            .check(&head, None),
            Ok(())
        );
        assert_eq!(
            HeadLimits {
                max_target: 10,
                max_head: size - 1,
                max_fields: 100,
            }
            .check(&head, None),
            Err(Refusal::HeadTooLarge)
        );
    }
}

#[cfg(test)]
mod host_tests {
    use super::*;

    #[test]
    fn the_host_rule_is_checked_after_the_sizes() {
        let limits = HeadLimits {
            max_target: 100,
            max_head: 1000,
            max_fields: 100,
        };
        let head = |hosts: &[&str]| {
            let mut b = http::Request::builder().uri("/x");
            for h in hosts {
                b = b.header("host", *h);
            }
            b.body(()).unwrap()
        };
        assert_eq!(limits.check(&head(&["a.example"]), None), Ok(()));
        assert_eq!(limits.check(&head(&[]), None), Err(Refusal::InvalidHost));
        assert_eq!(limits.check(&head(&["a", "b"]), None), Err(Refusal::InvalidHost));
        assert_eq!(limits.check(&head(&["a b"]), None), Err(Refusal::InvalidHost));
        let small = HeadLimits {
            max_target: 100,
            max_head: 10,
            max_fields: 100,
        };
        assert_eq!(small.check(&head(&[]), None), Err(Refusal::HeadTooLarge));
    }
}

#[cfg(test)]
mod framing_tests {
    use super::*;

    fn head(version: Version, fields: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method("POST").uri("/").version(version);
        for (n, v) in fields {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_chunked_alone_passes() {
        let te = |v| ("transfer-encoding", v);
        assert_eq!(
            check_framing(&head(Version::HTTP_11, &[("content-length", "5")])),
            Ok(())
        );
        assert_eq!(check_framing(&head(Version::HTTP_11, &[te("chunked")])), Ok(()));
        assert_eq!(check_framing(&head(Version::HTTP_11, &[te(" Chunked\t")])), Ok(()));
        for bad in [
            "gzip, chunked",
            "chunked, chunked",
            "identity",
            "xchunked",
            "chunked\u{b}",
        ] {
            let Ok(value) = http::HeaderValue::from_str(bad) else {
                continue;
            };
            let mut h = head(Version::HTTP_11, &[]);
            h.headers.insert(TRANSFER_ENCODING, value);
            assert_eq!(check_framing(&h), Err(Refusal::UnsupportedCoding), "{bad:?}");
        }
        assert_eq!(
            check_framing(&head(Version::HTTP_11, &[te("chunked"), te("chunked")])),
            Err(Refusal::UnsupportedCoding)
        );
    }
}

#[cfg(test)]
mod http2_tests {
    use super::*;

    const LIMITS: HeadLimits = HeadLimits {
        max_target: 10,
        max_head: 1000,
        max_fields: 3,
    };

    fn h2(target: &str, fields: &[(&str, &str)]) -> http::Request<()> {
        let mut b = http::Request::builder().version(Version::HTTP_2).uri(target);
        for (n, v) in fields {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn the_target_is_path_alone_and_fields_are_counted() {
        assert_eq!(
            LIMITS.check(&h2("http://a-long-authority.example/123456789", &[]), None),
            Ok(())
        );
        assert_eq!(
            LIMITS.check(&h2("http://a/1234567890", &[]), None),
            Err(Refusal::TargetTooLong)
        );
        let three = [("a", "1"), ("b", "2"), ("c", "3")];
        assert_eq!(LIMITS.check(&h2("http://a/", &three), None), Ok(()));
        let four = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")];
        assert_eq!(LIMITS.check(&h2("http://a/", &four), None), Err(Refusal::HeadTooLarge));
    }

    #[test]
    fn authority_and_host_follow_rfc_9113() {
        let ok = |target: &str, fields: &[(&str, &str)]| LIMITS.check(&h2(target, fields), None);
        assert_eq!(ok("http://a/", &[]), Ok(()));
        assert_eq!(ok("http://a/", &[("host", "a")]), Ok(()));
        assert_eq!(ok("http://a/", &[("host", "b")]), Err(Refusal::InvalidHost));
        assert_eq!(ok("http://u@a/", &[]), Err(Refusal::InvalidHost));
        assert_eq!(ok("/", &[("host", "a.example")]), Ok(()));
        assert_eq!(ok("/", &[("host", "a b/c")]), Err(Refusal::InvalidHost));
        assert_eq!(ok("/", &[("host", "a"), ("host", "a")]), Err(Refusal::InvalidHost));
    }

    #[test]
    fn userinfo_in_an_http1_target_is_refused() {
        let head = http::Request::builder().uri("http://u:p@a/x").body(()).unwrap();
        assert_eq!(LIMITS.check(&head, None), Err(Refusal::InvalidTarget));
    }
}
