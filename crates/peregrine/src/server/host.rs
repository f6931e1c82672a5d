//! The Host rule of RFC 9112 §3.2: the server answers 400 before any app code to "any HTTP/1.1 request message
//! that lacks a Host header field and to any request message that contains more than one Host header field
//! line or a Host header field with an invalid field value" (one that is not `uri-host [ ":" port ]`, RFC
//! 3986 §3.2.2). So a missing `Host` is refused only in HTTP/1.1 with an origin-form target (an absolute-form
//! target, `GET http://a.example/x HTTP/1.1`, names its host itself, and the core's `host()` and `netloc()`
//! read it from there); two `Host` fields or a malformed one are refused in any request. HTTP/2's rule
//! (RFC 9113 §8.3.1, `:authority` beside Host) is `head_check`'s, which uses [`is_host_value`].

use std::cell::OnceCell;

use http::{HeaderValue, Uri, Version};

/// Whether an HTTP/1 request of `version` to `target` with `count` Host fields, the last of them `host`,
/// satisfies the Host rule. (The fields are counted in the one pass over them that `head_check` makes.)
/// `known` is the connection's memory of its first valid value, when it keeps one.
pub(super) fn host_rule_holds(
    version: Version,
    target: &Uri,
    count: usize,
    host: Option<&HeaderValue>,
    known: Option<&KnownHost>,
) -> bool {
    match (count, host) {
        (1, Some(host)) => match known {
            Some(known) => known.is_valid(host),
            None => is_host_value(host.as_bytes()),
        },
        (0, _) => version != Version::HTTP_11 || target.authority().is_some(),
        _ => false,
    }
}

/// The first valid Host value one HTTP/1 connection sent.
// PERF: a keep-alive connection sends the same Host each time; comparing it costs less than validating it.
#[derive(Default)]
pub(super) struct KnownHost(OnceCell<HeaderValue>);

impl KnownHost {
    /// Whether `host` is a valid value: the one remembered, or one that passes [`is_host_value`] (the first
    /// such value is remembered).
    fn is_valid(&self, host: &HeaderValue) -> bool {
        if let Some(known) = self.0.get() {
            if same_bytes(known.as_bytes(), host.as_bytes()) {
                return true;
            }
            return is_host_value(host.as_bytes());
        }
        let valid = is_host_value(host.as_bytes());
        if valid {
            // A copy: a clone would share, and so keep alive, the read buffer the head was parsed from.
            let _ = self
                .0
                .set(HeaderValue::from_bytes(host.as_bytes()).expect("a valid Host is a valid value"));
        }
        valid
    }
}

/// Whether `a` and `b` hold the same bytes.
// PERF: most Host values are 8 to 16 bytes long; two word compares cost less than a call to memcmp.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    if !(8..=16).contains(&n) {
        return a == b;
    }
    // Two 8-byte words, overlapping when shorter than 16 bytes, cover the whole value.
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
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
pub(super) fn is_host_value(value: &[u8]) -> bool {
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

    struct Head {
        version: Version,
        target: Uri,
        hosts: Vec<HeaderValue>,
    }

    fn request(version: Version, target: &str, hosts: &[&str]) -> Head {
        Head {
            version,
            target: target.parse().unwrap(),
            hosts: hosts.iter().map(|h| HeaderValue::from_str(h).unwrap()).collect(),
        }
    }

    fn has_valid_host(head: &Head) -> bool {
        let plain = host_rule_holds(head.version, &head.target, head.hosts.len(), head.hosts.last(), None);
        let known = KnownHost::default();
        let remembered = host_rule_holds(
            head.version,
            &head.target,
            head.hosts.len(),
            head.hosts.last(),
            Some(&known),
        );
        assert_eq!(plain, remembered);
        plain
    }

    #[test]
    fn a_remembered_host_is_only_a_valid_one() {
        let known = KnownHost::default();
        let v = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(known.is_valid(&v("a.example:80")));
        assert!(known.is_valid(&v("a.example:80")));
        assert!(!known.is_valid(&v("a b")));
        assert!(!known.is_valid(&v("a b")), "an invalid value is never remembered");
        assert!(known.is_valid(&v("a.example:80")));
        assert!(
            known.is_valid(&v("b.example")),
            "another valid value is checked, not refused"
        );
        assert!(!known.is_valid(&v("b.example/")));
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

    mod properties {
        use super::super::{is_host_value, same_bytes};
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn words_compare_as_bytes_do(a in proptest::collection::vec(0u8..4, 0..40), flip in 0usize..40) {
                prop_assert!(same_bytes(&a, &a));
                let mut b = a.clone();
                if let Some(byte) = b.get_mut(flip) {
                    *byte += 1;
                }
                prop_assert_eq!(same_bytes(&a, &b), a == b);
                prop_assert_eq!(same_bytes(&a, &b[..b.len().saturating_sub(1)]), a.is_empty());
            }

            #[test]
            fn a_reg_name_with_an_optional_port_is_valid(
                name in "[A-Za-z0-9._~!$&'()*+,;=-]{0,20}",
                port in proptest::option::of("[0-9]{0,5}"),
            ) {
                let value = match &port {
                    Some(p) => format!("{name}:{p}"),
                    None => name.clone(),
                };
                prop_assert!(is_host_value(value.as_bytes()), "{:?}", value);
            }

            #[test]
            fn an_ipv6_literal_is_valid(addr in any::<std::net::Ipv6Addr>(), port in proptest::option::of(0u16..)) {
                let value = match port {
                    Some(p) => format!("[{addr}]:{p}"),
                    None => format!("[{addr}]"),
                };
                prop_assert!(is_host_value(value.as_bytes()), "{:?}", value);
            }

            #[test]
            fn a_delimiter_outside_brackets_is_invalid(
                name in "[a-z0-9.-]{0,10}",
                bad in prop_oneof![Just('/'), Just(' '), Just('@'), Just('#'), Just('?'), Just('"'), Just('\\')],
                rest in "[a-z0-9.-]{0,10}",
            ) {
                let value = format!("{name}{bad}{rest}");
                prop_assert!(!is_host_value(value.as_bytes()), "{:?}", value);
            }

            #[test]
            fn any_bytes_are_judged_without_a_panic(value in proptest::collection::vec(any::<u8>(), 0..40)) {
                let _ = is_host_value(&value);
            }
        }
    }
}
