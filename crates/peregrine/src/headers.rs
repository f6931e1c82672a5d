//! The request's headers, with Falcon's getters (`get_header`, `get_header_as_int`, …) and the ones HTTP
//! gives meaning to: content type and length, `Accept` and negotiation, host, dates.

use std::time::SystemTime;

use http::header::{self, HeaderMap};

use crate::error::{HttpError, Result};
use crate::{negotiation, Request};

impl Request {
    /// All headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// Header `name` (case-insensitive) as text, or `None` when absent or not visible ASCII (Falcon's
    /// `get_header`). Of a header sent several times, the first value.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("X-Token", "s3cret")]);
    /// assert_eq!(req.get_header("x-token"), Some("s3cret"));
    /// assert_eq!(req.get_header("x-other"), None);
    /// ```
    pub fn get_header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.head.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Header `name` as text.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[]);
    /// let error = req.require_header("X-Token").unwrap_err();
    /// assert_eq!(error.as_http_error().unwrap().title(), "Missing header value");
    /// ```
    ///
    /// # Errors
    /// **400 "Missing header value"** when absent; **400 "Invalid header value"** when not visible ASCII.
    pub fn require_header(&self, name: &str) -> Result<&str> {
        match self.head.headers.get(name) {
            None => Err(HttpError::missing_header(name).into()),
            Some(v) => v
                .to_str()
                .map_err(|_| HttpError::invalid_header(name, "It must be visible ASCII.").into()),
        }
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
            Some(v) => httpdate::parse_http_date(v).map(Some).map_err(|_| {
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
        self.get_header(header::CONTENT_TYPE)
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
        self.get_header(header::USER_AGENT)
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
            None => self.get_header(header::HOST),
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
