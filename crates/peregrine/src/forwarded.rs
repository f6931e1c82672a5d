//! What proxies say about a request: `Forwarded` (RFC 7239), `X-Forwarded-For`, `X-Forwarded-Proto`,
//! `X-Real-IP`, and the request's scheme and port; plus `Referer` and `Authorization`.
//!
//! These headers are whatever the client or a proxy wrote. `access_route()` and `scheme()` believe them
//! only when the peer is a trusted proxy ([`TrustedProxies`](crate::TrustedProxies); none by default). Falcon believes them always;
//! this crate follows RFC 7239 §8's advice instead and says so here.

use http::header;

use crate::Request;

/// One element of a `Forwarded` header (RFC 7239 §4): what one proxy recorded. Parameters it did not
/// record are `None`; values are unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forwarded {
    /// `for`: the client (or previous proxy) as the proxy saw it: an address, `[v6]:port`, `unknown` or an
    /// obfuscated name (`_hidden`). Falcon's `src`.
    pub for_: Option<String>,
    /// `by`: the proxy's own interface. Falcon's `dest`.
    pub by: Option<String>,
    /// `host`: the `Host` the proxy received.
    pub host: Option<String>,
    /// `proto`: the scheme the proxy received (`http`, `https`). Falcon's `scheme`.
    pub proto: Option<String>,
}

/// Splits on `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
            }
            out
        }
        None => value.to_owned(),
    }
}

/// Parses `Forwarded` field values into elements, skipping pairs that are not `name=value`.
pub(crate) fn parse_forwarded<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Forwarded> {
    let mut elements = Vec::new();
    for value in values {
        for element in split_unquoted(value, ',') {
            let mut forwarded = Forwarded::default();
            for pair in split_unquoted(element, ';') {
                let Some((name, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                let value = Some(unquote(value.trim()));
                match name.trim().to_ascii_lowercase().as_str() {
                    "for" => forwarded.for_ = value,
                    "by" => forwarded.by = value,
                    "host" => forwarded.host = value,
                    "proto" => forwarded.proto = value.map(|p| p.to_ascii_lowercase()),
                    _ => {}
                }
            }
            if forwarded != Forwarded::default() {
                elements.push(forwarded);
            }
        }
    }
    elements
}

/// The address in a `for` value or an `X-Forwarded-For` item, without brackets or port; the text as is
/// when it is not an address (`unknown`, `_hidden`).
fn address_of(node: &str) -> String {
    let node = node.trim();
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match node.split_once(':') {
        // `192.0.2.1:8080`; an IPv6 address without brackets has several colons and stays whole.
        Some((host, port)) if !port.contains(':') => host.to_owned(),
        _ => node.to_owned(),
    }
}

impl Request {
    /// The elements of the `Forwarded` header (RFC 7239), nearest the client first; `None` without one.
    /// Parsed as sent, whoever sent it: see [`TrustedProxies`](crate::TrustedProxies) before believing it.
    ///
    /// ```
    /// let req = peregrine::testing::create_req(
    ///     "GET", "/", &[("Forwarded", "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"")]);
    /// let hops = req.forwarded().unwrap();
    /// assert_eq!(hops[0].for_.as_deref(), Some("192.0.2.60"));
    /// assert_eq!(hops[0].proto.as_deref(), Some("https"));
    /// assert_eq!(hops[1].for_.as_deref(), Some("[2001:db8::1]:4711"));
    /// ```
    pub fn forwarded(&self) -> Option<Vec<Forwarded>> {
        let values = self.head.headers.get_all(header::FORWARDED);
        let parsed = parse_forwarded(values.iter().filter_map(|v| v.to_str().ok()));
        (!parsed.is_empty()).then_some(parsed)
    }

    /// The addresses the request came through, the client first and the peer last (Falcon's
    /// `access_route`): from `Forwarded`'s `for`, else `X-Forwarded-For`, else `X-Real-IP`, then the peer.
    /// The headers count only when the peer is trusted ([`RequestOptions::trusted_proxies`]); otherwise the
    /// route is the peer alone. Entries are addresses without port or brackets, or the header's text
    /// (`unknown`) when it is not one. Empty for a request with no peer and no trusted header.
    ///
    /// [`RequestOptions::trusted_proxies`]: crate::RequestOptions::trusted_proxies
    pub fn access_route(&self) -> Vec<String> {
        let peer = self.remote_addr().map(|a| a.ip());
        let mut route = Vec::new();
        if self.options().trusted_proxies.trusts(peer) {
            if let Some(hops) = self.forwarded() {
                route.extend(hops.iter().filter_map(|h| h.for_.as_deref()).map(address_of));
            }
            if route.is_empty() {
                for value in self.head.headers.get_all("x-forwarded-for") {
                    if let Ok(text) = value.to_str() {
                        route.extend(text.split(',').filter(|s| !s.trim().is_empty()).map(address_of));
                    }
                }
            }
            if route.is_empty() {
                if let Some(real) = self.head.headers.get("x-real-ip").and_then(|v| v.to_str().ok()) {
                    route.push(address_of(real));
                }
            }
        }
        if let Some(peer) = peer {
            route.push(peer.to_string());
        }
        route
    }

    /// The scheme the client used: `https` or `http`. From an absolute-form target first; else, when the
    /// peer is a trusted proxy, the last `Forwarded` element's `proto`, else the last `X-Forwarded-Proto`
    /// value (the ones that proxy wrote: earlier ones may be the client's own); else `https` when the
    /// connection is TLS and `http` otherwise.
    pub fn scheme(&self) -> &str {
        if let Some(scheme) = self.head.uri.scheme_str() {
            return scheme;
        }
        let peer = self.remote_addr().map(|a| a.ip());
        if self.options().trusted_proxies.trusts(peer) {
            let forwarded = self
                .forwarded()
                .and_then(|hops| hops.into_iter().last())
                .map(|h| h.proto);
            let x_forwarded = || {
                let last_line = self.head.headers.get_all("x-forwarded-proto").iter().next_back()?;
                last_line.to_str().ok()?.rsplit(',').next().map(str::trim)
            };
            let proto = match &forwarded {
                Some(proto) => proto.as_deref(),
                None => x_forwarded(),
            };
            match proto {
                Some(p) if p.eq_ignore_ascii_case("https") => return "https",
                Some(p) if p.eq_ignore_ascii_case("http") => return "http",
                _ => {}
            }
        }
        if self.options().tls {
            "https"
        } else {
            "http"
        }
    }

    /// The port the request was sent to: the one in the target's authority or `Host`, else the scheme's
    /// default (443 for `https`, 80 otherwise). Falcon's `port`.
    pub fn port(&self) -> u16 {
        let explicit = self.netloc().and_then(|netloc| {
            let (_, port) = netloc.rsplit_once(':')?;
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            port.parse().ok().filter(|&p: &u16| p != 0)
        });
        explicit.unwrap_or(if self.scheme() == "https" { 443 } else { 80 })
    }

    /// `Referer`, as sent.
    pub fn referer(&self) -> Option<&str> {
        self.head.headers.get(header::REFERER).and_then(|v| v.to_str().ok())
    }

    /// `Authorization`, as sent (Falcon's `auth`): the scheme and credentials, such as `Bearer abc`.
    pub fn auth(&self) -> Option<&str> {
        self.head
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_elements_and_quoting() {
        let hops = parse_forwarded(
            [
                "for=\"_gazonk\"",
                "For=\"[2001:db8:cafe::17]:4711\";proto=HTTPS, for=192.0.2.43;by=203.0.113.60;x=1",
            ]
            .into_iter(),
        );
        assert_eq!(hops.len(), 3);
        assert_eq!(hops[0].for_.as_deref(), Some("_gazonk"));
        assert_eq!(hops[1].proto.as_deref(), Some("https"));
        assert_eq!(hops[2].by.as_deref(), Some("203.0.113.60"));
        let quoted = parse_forwarded(["for=\"a,b;c\";host=\"h\\\"x\""].into_iter());
        assert_eq!(quoted[0].for_.as_deref(), Some("a,b;c"));
        assert_eq!(quoted[0].host.as_deref(), Some("h\"x"));
        assert!(parse_forwarded(["garbage, ;;"].into_iter()).is_empty());
    }

    #[test]
    fn addresses_lose_ports_and_brackets() {
        assert_eq!(address_of("[2001:db8::1]:4711"), "2001:db8::1");
        assert_eq!(address_of(" 192.0.2.1:8080"), "192.0.2.1");
        assert_eq!(address_of("2001:db8::1"), "2001:db8::1");
        assert_eq!(address_of("unknown"), "unknown");
    }
}
