//! [`HttpStatus`]: a response that is not an error but ends the request early, such as a redirect; and the
//! status-line and header helpers that it and `HttpError` share.

use std::fmt;

use http::header::{HeaderName, HeaderValue};
use http::StatusCode;

/// A response that is not an error but ends the request early, such as a redirect.
///
/// ```
/// use peregrine::{HttpStatus, Result};
///
/// fn old_home() -> Result {
///     Err(HttpStatus::moved_permanently("/home").into())
/// }
/// assert!(old_home().unwrap_err().as_http_status().is_some());
/// ```
#[derive(Debug, Clone)]
pub struct HttpStatus {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) text: Option<String>,
}

impl HttpStatus {
    /// A response with `status` and no body.
    pub fn new(status: StatusCode) -> Self {
        HttpStatus {
            status,
            headers: Vec::new(),
            text: None,
        }
    }

    /// Adds a header, as [`HttpError::with_header`](crate::HttpError::with_header) does.
    ///
    /// # Panics
    /// Where it is called, when the name is not a token or the value holds control characters.
    #[track_caller]
    #[must_use]
    pub fn with_header<N, V>(mut self, name: N, value: V) -> Self
    where
        N: TryInto<HeaderName>,
        N::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.headers.push(header_pair_or_panic(name, value));
        self
    }

    /// Sets a plain-text body.
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    fn redirect(status: StatusCode, location: &str) -> Self {
        HttpStatus::new(status).with_header(http::header::LOCATION, location)
    }

    /// 301 Moved Permanently to `location`.
    pub fn moved_permanently(location: &str) -> Self {
        Self::redirect(StatusCode::MOVED_PERMANENTLY, location)
    }

    /// 302 Found at `location`.
    pub fn found(location: &str) -> Self {
        Self::redirect(StatusCode::FOUND, location)
    }

    /// 303 See Other at `location`.
    pub fn see_other(location: &str) -> Self {
        Self::redirect(StatusCode::SEE_OTHER, location)
    }

    /// 307 Temporary Redirect to `location` (the method and body are kept).
    pub fn temporary_redirect(location: &str) -> Self {
        Self::redirect(StatusCode::TEMPORARY_REDIRECT, location)
    }

    /// 308 Permanent Redirect to `location` (the method and body are kept).
    pub fn permanent_redirect(location: &str) -> Self {
        Self::redirect(StatusCode::PERMANENT_REDIRECT, location)
    }
}

impl fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", status_line(self.status))
    }
}

impl std::error::Error for HttpStatus {}

/// The reason phrase RFC 9110 gives where the `http` crate still has a pre-9110 one (413 and 422).
pub(crate) fn renamed_reason(status: StatusCode) -> Option<&'static str> {
    match status.as_u16() {
        413 => Some("Content Too Large"),
        422 => Some("Unprocessable Content"),
        _ => None,
    }
}

/// The status line RFC 9110 gives (the `http` crate still has pre-9110 names for 413 and 422).
pub(crate) fn status_line(status: StatusCode) -> String {
    let reason = renamed_reason(status).or_else(|| status.canonical_reason());
    match reason {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A header name and value, or a panic at the caller's line naming what is wrong.
#[track_caller]
pub(crate) fn header_pair_or_panic<N, V>(name: N, value: V) -> (HeaderName, HeaderValue)
where
    N: TryInto<HeaderName>,
    N::Error: fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Display,
{
    let name = match name.try_into() {
        Ok(name) => name,
        Err(e) => panic!("invalid header name: {e}"),
    };
    match value.try_into() {
        Ok(value) => (name, value),
        Err(e) => panic!("invalid value for header {name}: {e}"),
    }
}
