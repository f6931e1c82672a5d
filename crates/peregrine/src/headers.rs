//! The request's headers, with Falcon's getters (`get_header`, `get_header_as_int`, …) and the ones HTTP
//! gives meaning to: content type and length, `Accept` and negotiation, host, dates.

use std::borrow::Cow;
use std::time::SystemTime;

use http::header::{self, HeaderMap};

use crate::error::{HttpError, Result};
use crate::{negotiation, Request};

impl Request {
    /// All headers.
    #[inline]
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// Header `name` (case-insensitive) as text, or `None` when absent (Falcon's `get_header`). Of a header
    /// sent several times, the values joined with `, ` in the order sent (RFC 9110 §5.3), as Falcon does;
    /// [`headers`](Request::headers)`().get_all(name)` gives them one by one.
    ///
    /// A value is bytes (RFC 9110 §5.5): besides visible ASCII it may hold obs-text (0x80–0xFF), which is
    /// decoded as ISO-8859-1, as Falcon does, so every legal value is readable. The text is borrowed when the
    /// header came once and is ASCII (nearly always), and allocated only otherwise; as it borrows the request,
    /// copy it (`.into_owned()`) to keep it across a call that needs the request mutably, such as
    /// `req.media().await`. [`get_header_bytes`] gives the bytes as sent.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("X-Token", "s3cret")]);
    /// assert_eq!(req.get_header("x-token").as_deref(), Some("s3cret"));
    /// assert_eq!(req.get_header("x-other"), None);
    /// ```
    ///
    /// [`get_header_bytes`]: Request::get_header_bytes
    pub fn get_header(&self, name: impl header::AsHeaderName) -> Option<Cow<'_, str>> {
        joined(&self.head.headers, name)
    }

    /// Header `name` as the bytes that were sent, or `None` when absent. Of a header sent several times, the
    /// first value (`headers().get_all(name)` gives each).
    ///
    /// ```
    /// // A client that sends UTF-8 in a header: two bytes for "é", each one ISO-8859-1 character as text.
    /// let req = peregrine::testing::create_req("GET", "/", &[("X-Name", "café")]);
    /// assert_eq!(req.get_header_bytes("x-name"), Some("café".as_bytes()));
    /// assert_eq!(req.get_header("x-name").as_deref(), Some("cafÃ©"));
    /// let utf8 = req.get_header_bytes("x-name").and_then(|b| std::str::from_utf8(b).ok());
    /// assert_eq!(utf8, Some("café"));
    /// ```
    pub fn get_header_bytes(&self, name: impl header::AsHeaderName) -> Option<&[u8]> {
        self.head.headers.get(name).map(|v| v.as_bytes())
    }

    /// Header `name` as text, decoded as [`get_header`](Request::get_header) does.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[]);
    /// let error = req.require_header("X-Token").unwrap_err();
    /// assert_eq!(error.as_http_error().unwrap().title(), "Missing header value");
    /// ```
    ///
    /// # Errors
    /// **400 "Missing header value"** when absent. Every value that reached the app is readable: what HTTP
    /// forbids in a value (control bytes) was refused before the app with 400.
    pub fn require_header(&self, name: &str) -> Result<Cow<'_, str>> {
        self.get_header(name)
            .ok_or_else(|| HttpError::missing_header(name).into())
    }

    /// Header `name` as an integer (Falcon's `get_header_as_int`), or `None` when absent.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("X-Retries", "3")]);
    /// assert_eq!(req.get_header_as_int("x-retries").unwrap(), Some(3));
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid header value"** naming the header when it is not an integer.
    pub fn get_header_as_int(&self, name: &str) -> Result<Option<i64>> {
        match self.get_header(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| HttpError::invalid_header(name, "It must be an integer.").into()),
        }
    }

    /// Header `name` as an integer.
    ///
    /// # Errors
    /// As [`Request::get_header_as_int`], and **400 "Missing header value"** when absent.
    pub fn require_header_as_int(&self, name: &str) -> Result<i64> {
        self.get_header_as_int(name)?
            .ok_or_else(|| HttpError::missing_header(name).into())
    }

    /// Header `name` as an HTTP date (RFC 9110 §5.6.7; Falcon's `get_header_as_datetime`), or `None` when
    /// absent.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]);
    /// let since = req.get_header_as_datetime("if-modified-since").unwrap().unwrap();
    /// assert_eq!(since, std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777));
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid header value"** naming the header when it is not an HTTP date.
    pub fn get_header_as_datetime(&self, name: &str) -> Result<Option<SystemTime>> {
        match self.get_header(name) {
            None => Ok(None),
            Some(v) => httpdate::parse_http_date(&v).map(Some).map_err(|_| {
                HttpError::invalid_header(name, "It must be an HTTP date (RFC 9110, Section 5.6.7).").into()
            }),
        }
    }

    /// Header `name` as an HTTP date.
    ///
    /// # Errors
    /// As [`Request::get_header_as_datetime`], and **400 "Missing header value"** when absent.
    pub fn require_header_as_datetime(&self, name: &str) -> Result<SystemTime> {
        self.get_header_as_datetime(name)?
            .ok_or_else(|| HttpError::missing_header(name).into())
    }

    /// `Content-Type`, if present.
    pub fn content_type(&self) -> Option<&str> {
        self.head
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// `Content-Length` in bytes, or `None` when absent.
    ///
    /// # Errors
    /// **400 "Invalid header value"** when it is not a non-negative integer.
    pub fn content_length(&self) -> Result<Option<u64>> {
        match self.head.headers.get(header::CONTENT_LENGTH) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Some)
                .ok_or_else(|| HttpError::invalid_header("Content-Length", "It must be a whole number.").into()),
        }
    }

    /// `Accept`, or `*/*` when absent or empty (RFC 9110 §12.5.1).
    pub fn accept(&self) -> &str {
        accept_of(&self.head.headers)
    }

    /// `User-Agent`, if present.
    pub fn user_agent(&self) -> Option<&str> {
        self.head.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
    }

    /// The host the request was sent to, without the port: the authority of an absolute-form target
    /// (`GET http://a.example/x`, or HTTP/2's `:authority`) first, else the `Host` header (RFC 9112 §3.2.2).
    /// `None` when neither is present.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("Host", "api.example:8443")]);
    /// assert_eq!(req.host(), Some("api.example"));
    /// assert_eq!(req.netloc(), Some("api.example:8443"));
    /// let absolute = peregrine::testing::create_req("GET", "http://b.example/x", &[("Host", "ignored")]);
    /// assert_eq!(absolute.host(), Some("b.example"));
    /// ```
    pub fn host(&self) -> Option<&str> {
        let netloc = self.netloc()?;
        Some(match netloc.rsplit_once(':') {
            // `[::1]:8000` and `a.example:80`, but not the colons inside `[::1]`.
            Some((host, port)) if !port.contains(']') => host,
            _ => netloc,
        })
    }

    /// The host and port the request was sent to, as written (`api.example:8443`, `[::1]:8000`, or a host
    /// alone): from an absolute-form target first, else `Host` (Falcon's `netloc`).
    pub fn netloc(&self) -> Option<&str> {
        match self.head.uri.authority() {
            // Without any `user:password@` (RFC 9110 §4.2.4: not part of the host).
            Some(authority) => Some(
                authority
                    .as_str()
                    .rsplit_once('@')
                    .map_or(authority.as_str(), |(_, host)| host),
            ),
            // The server has checked Host's syntax (RFC 9112 §3.2, and RFC 9113 §8.3.1 for HTTP/2), so it is ASCII.
            None => self.head.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        }
    }

    /// `Date`, parsed.
    ///
    /// # Errors
    /// **400 "Invalid header value"** when it is not an HTTP date.
    pub fn date(&self) -> Result<Option<SystemTime>> {
        self.get_header_as_datetime("Date")
    }

    /// `If-Modified-Since`, parsed.
    ///
    /// # Errors
    /// **400 "Invalid header value"** when it is not an HTTP date.
    pub fn if_modified_since(&self) -> Result<Option<SystemTime>> {
        self.get_header_as_datetime("If-Modified-Since")
    }

    /// `If-Unmodified-Since`, parsed.
    ///
    /// # Errors
    /// **400 "Invalid header value"** when it is not an HTTP date.
    pub fn if_unmodified_since(&self) -> Result<Option<SystemTime>> {
        self.get_header_as_datetime("If-Unmodified-Since")
    }

    /// Whether the client accepts `media_type` (`type/subtype`).
    pub fn client_accepts(&self, media_type: &str) -> bool {
        negotiation::accepts(self.accept(), media_type)
    }

    /// Whether the client accepts JSON.
    pub fn client_accepts_json(&self) -> bool {
        self.client_accepts("application/json")
    }

    /// The offer the client prefers per `Accept` (RFC 9110 §12.5.1), or `None` if it accepts none; ties go
    /// to the earlier offer (the server's preference).
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("Accept", "text/csv;q=0.5, application/json")]);
    /// assert_eq!(req.client_prefers(&["text/csv", "application/json"]), Some("application/json"));
    /// assert!(req.client_accepts("text/csv"));
    /// ```
    pub fn client_prefers<'a>(&self, offers: &[&'a str]) -> Option<&'a str> {
        negotiation::prefers(self.accept(), offers)
    }
}

/// `Accept` in `headers`, or `*/*` when absent, empty or not text (RFC 9110 §12.5.1).
pub(crate) fn accept_of(headers: &HeaderMap) -> &str {
    match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(a) if !a.trim().is_empty() => a,
        _ => "*/*",
    }
}

/// All lines of field `name` joined with `, ` (a list field may be split over several lines), each byte past
/// ASCII one ISO-8859-1 character; borrowed when there is one line of ASCII. `None` when absent.
pub(crate) fn joined(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<Cow<'_, str>> {
    let mut values = headers.get_all(name).into_iter();
    let first = latin1(values.next()?.as_bytes());
    let Some(second) = values.next() else {
        return Some(first);
    };
    let mut joined = first.into_owned();
    for value in std::iter::once(second).chain(values) {
        joined.push_str(", ");
        joined.push_str(&latin1(value.as_bytes()));
    }
    Some(Cow::Owned(joined))
}

/// `bytes` as text, each byte one ISO-8859-1 character (so ASCII as itself): borrowed when it is all ASCII.
pub(crate) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod latin1_tests {
    use super::latin1;

    #[test]
    fn ascii_is_borrowed_and_obs_text_is_decoded_byte_by_byte() {
        assert!(matches!(
            latin1(b"plain value"),
            std::borrow::Cow::Borrowed("plain value")
        ));
        assert_eq!(latin1(b"caf\xE9"), "café");
        // UTF-8 bytes are two ISO-8859-1 characters, as Falcon reads them.
        assert_eq!(latin1("é".as_bytes()), "\u{c3}\u{a9}");
        let all: Vec<u8> = (0x80..=0xFF).collect();
        let text = latin1(&all);
        assert_eq!(
            text.chars().map(u32::from).collect::<Vec<_>>(),
            (0x80..=0xFF).collect::<Vec<u32>>()
        );
    }
}
