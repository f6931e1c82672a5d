//! The Host rule of RFC 9112 §3.2: the server answers 400 before any app code to "any HTTP/1.1 request message
//! that lacks a Host header field and to any request message that contains more than one Host header field
//! line or a Host header field with an invalid field value" (one that is not `uri-host [ ":" port ]`, RFC
//! 3986 §3.2.2). So a missing `Host` is refused only in HTTP/1.1 with an origin-form target (an absolute-form
//! target, `GET http://a.example/x HTTP/1.1`, names its host itself, and the core's `host()` and `netloc()`
//! read it from there); two `Host` fields or a malformed one are refused in any request. HTTP/2 has
//! `:authority` instead.

use http::header::HOST;
use http::request::Parts;
use http::Version;

/// Whether the request whose head is `head` satisfies the Host rule.
pub(super) fn has_valid_host(head: &Parts) -> bool {
    if head.version == Version::HTTP_2 {
        return true;
    }
    let mut hosts = head.headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(host), None) => is_host_value(host.as_bytes()),
        (None, _) => head.version != Version::HTTP_11 || head.uri.authority().is_some(),
        (Some(_), Some(_)) => false,
    }
}

/// Bytes of a reg-name that need no second look (unreserved and sub-delims), and `:`.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            )
            || matches!(c, b',' | b';' | b'=' | b':');
        b += 1;
    }
    table
};

/// `uri-host [ ":" port ]`: an IP literal in brackets, or a reg-name (an IPv4 address is one too), then an
/// optional port of digits. An empty value is allowed (RFC 9110 §7.2: a target without an authority).
fn is_host_value(value: &[u8]) -> bool {
    // PERF: one table lookup per byte decides the usual `name[:port]`; brackets and `%` take the long way.
    let mut colon = None;
    for (i, &b) in value.iter().enumerate() {
        if !PLAIN[usize::from(b)] {
            return is_unusual_host_value(value);
        }
        if b == b':' {
            if colon.is_some() {
                return false;
            }
            colon = Some(i);
        }
    }
    colon.is_none_or(|c| value[c + 1..].iter().all(u8::is_ascii_digit))
}

/// [`is_host_value`] for a value with an IP literal or percent-encoding.
fn is_unusual_host_value(value: &[u8]) -> bool {
    let (host, port) = match value.first() {
        Some(b'[') => match value.iter().position(|&b| b == b']') {
            Some(end) => (&value[..=end], &value[end + 1..]),
            None => return false,
        },
        _ => match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &value[value.len()..]),
        },
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    port_ok
        && if host.first() == Some(&b'[') {
            is_ip_literal(host)
        } else {
            is_reg_name(host)
        }
}

/// `[` IPv6address or IPvFuture `]`.
fn is_ip_literal(host: &[u8]) -> bool {
    let inner = &host[1..host.len() - 1];
    match inner.first() {
        Some(b'v' | b'V') => {
            inner.len() > 1
                && inner[1..]
                    .iter()
                    .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':')
        }
        _ => std::str::from_utf8(inner).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok()),
    }
}

/// `*( unreserved / pct-encoded / sub-delims )`.
fn is_reg_name(host: &[u8]) -> bool {
    let mut i = 0;
    while i < host.len() {
        match host[i] {
            b'%' => {
                if !(i + 2 < host.len() && host[i + 1].is_ascii_hexdigit() && host[i + 2].is_ascii_hexdigit()) {
                    return false;
                }
                i += 3;
            }
            b if is_unreserved(b) || is_sub_delim(b) => i += 1,
            _ => return false,
        }
    }
    true
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, target: &str, hosts: &[&str]) -> Parts {
        let mut r = http::Request::builder().version(version).uri(target);
        for h in hosts {
            r = r.header(HOST, *h);
        }
        r.body(()).unwrap().into_parts().0
    }

    #[test]
    fn one_valid_host_is_required_of_http_1_1() {
        let ok = |hosts: &[&str]| has_valid_host(&request(Version::HTTP_11, "/x", hosts));
        for good in [
            "a.example",
            "a.example:8080",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:8000",
            "",
            "x:",
            "caf%C3%A9.example",
            "[v1.fe]",
        ] {
            assert!(ok(&[good]), "{good:?} is a valid Host");
        }
        for bad in [
            "a b/c",
            "evil.com/x?y#z",
            "[::1",
            "[::1]x",
            "a.example:8o",
            "user@a.example",
            "a%zz",
            "a%2",
            "[zz::1]",
            "a\"b",
        ] {
            assert!(!ok(&[bad]), "{bad:?} is not a valid Host");
        }
        assert!(!ok(&[]), "a missing Host");
        assert!(!ok(&["a", "b"]), "two Host fields");
        assert!(!ok(&["a", "a"]), "two Host fields, even alike");
    }

    #[test]
    fn absolute_form_and_http_1_0_may_omit_host_but_not_send_a_bad_one() {
        assert!(has_valid_host(&request(Version::HTTP_11, "http://a.example/x", &[])));
        assert!(has_valid_host(&request(Version::HTTP_10, "/x", &[])));
        assert!(has_valid_host(&request(Version::HTTP_10, "/x", &["a.example"])));
        assert!(has_valid_host(&request(Version::HTTP_2, "/x", &[])));
        // "any request message that contains more than one Host ... or ... an invalid field value"
        assert!(!has_valid_host(&request(
            Version::HTTP_11,
            "http://a.example/x",
            &["b", "c"]
        )));
        assert!(!has_valid_host(&request(
            Version::HTTP_11,
            "http://a.example/x",
            &["a b"]
        )));
        assert!(!has_valid_host(&request(Version::HTTP_10, "/x", &["a/b"])));
        assert!(!has_valid_host(&request(Version::HTTP_10, "/x", &["a", "b"])));
    }
}
