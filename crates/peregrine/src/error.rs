//! Errors are HTTP responses: [`HttpError`] for 4xx/5xx, [`HttpStatus`] (in `status.rs`) for other
//! short-circuits (redirects), and [`Error`], which carries either of them or any other error a responder's
//! `?` met.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;

pub use crate::status::HttpStatus;
use crate::status::{header_pair_or_panic, status_line};

use http::header::{HeaderName, HeaderValue};
use http::StatusCode;

/// The result of a responder, hook, middleware or handler.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

/// Any error a responder returns.
///
/// `?` converts every `std::error::Error + Send + Sync + 'static` into it. [`HttpError`] and [`HttpStatus`]
/// become the response they describe; any other error goes to the handler the app registered for its type (or
/// for a type in its `source()` chain), and without one becomes a generic 500 whose detail is only logged.
pub struct Error {
    kind: Kind,
}

enum Kind {
    Http(Box<HttpError>),
    Status(Box<HttpStatus>),
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// Wraps any error.
    pub fn new<E: std::error::Error + Send + Sync + 'static>(error: E) -> Self {
        Self::from(error)
    }

    /// Is this an [`HttpError`]?
    pub fn is_http_error(&self) -> bool {
        matches!(self.kind, Kind::Http(_))
    }

    /// The [`HttpError`] inside, if it is one.
    pub fn as_http_error(&self) -> Option<&HttpError> {
        match &self.kind {
            Kind::Http(e) => Some(e),
            _ => None,
        }
    }

    /// The [`HttpStatus`] inside, if it is one.
    pub fn as_http_status(&self) -> Option<&HttpStatus> {
        match &self.kind {
            Kind::Status(s) => Some(s),
            _ => None,
        }
    }

    /// The error as a `std::error::Error`, for inspection and logging.
    pub fn as_std(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match &self.kind {
            Kind::Http(e) => &**e,
            Kind::Status(s) => &**s,
            Kind::Other(e) => &**e,
        }
    }

    /// Is the error (or one in its `source()` chain) of type `E`?
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.downcast_ref::<E>().is_some()
    }

    /// The first error of type `E` in this error's `source()` chain, starting with itself.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(self.as_std());
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<E>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }

    pub(crate) fn into_parts(self) -> ErrorParts {
        match self.kind {
            Kind::Http(e) => ErrorParts::Http(e),
            Kind::Status(s) => ErrorParts::Status(s),
            Kind::Other(e) => ErrorParts::Other(e),
        }
    }
}

pub(crate) enum ErrorParts {
    Http(Box<HttpError>),
    Status(Box<HttpStatus>),
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        let mut slot = Some(error);
        let any: &mut dyn Any = &mut slot;
        if let Some(http) = any.downcast_mut::<Option<HttpError>>().and_then(Option::take) {
            return Error {
                kind: Kind::Http(Box::new(http)),
            };
        }
        if let Some(status) = any.downcast_mut::<Option<HttpStatus>>().and_then(Option::take) {
            return Error {
                kind: Kind::Status(Box::new(status)),
            };
        }
        let error = slot.take().expect("the error was not taken");
        Error {
            kind: Kind::Other(Box::new(error)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Http(e) => fmt::Debug::fmt(e, f),
            Kind::Status(s) => fmt::Debug::fmt(s, f),
            Kind::Other(e) => fmt::Debug::fmt(e, f),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_std(), f)
    }
}

/// A link attached to an [`HttpError`], rendered as Falcon does (`{"text", "href", "rel"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Link {
    /// Human-readable text.
    pub text: String,
    /// The URI.
    pub href: String,
    /// The relation (Falcon uses `"help"`).
    pub rel: String,
}

/// An HTTP error response: status, title, optional description, headers, application code and link.
///
/// The body is JSON (`{"title": "404 Not Found", ...}`), `application/problem+json` (RFC 9457) when the
/// client prefers it, or XML when the client accepts XML but not JSON; with `Vary: Accept`. The default title
/// is the status line, as in Falcon.
///
/// ```
/// use peregrine::HttpError;
///
/// let e = HttpError::not_found().with_description("No user has the id 42.");
/// assert_eq!(e.status(), 404);
/// assert_eq!(e.title(), "404 Not Found");
/// ```
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    title: Option<Cow<'static, str>>,
    description: Option<Cow<'static, str>>,
    headers: Vec<(HeaderName, HeaderValue)>,
    code: Option<i64>,
    link: Option<Link>,
}

impl HttpError {
    /// An error with `status` (which should be 4xx or 5xx) and the default title.
    pub fn new(status: StatusCode) -> Self {
        HttpError {
            status,
            title: None,
            description: None,
            headers: Vec::new(),
            code: None,
            link: None,
        }
    }

    /// Replaces the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description (RFC 9457's `detail`).
    #[must_use]
    pub fn with_description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a header to the error response; `name` is a `&str` in any case (`"Retry-After"`) or a
    /// [`HeaderName`], as with [`Response::set_header`](crate::Response::set_header).
    ///
    /// ```
    /// let e = peregrine::HttpError::service_unavailable().with_header("Retry-After", "30");
    /// assert_eq!(e.headers()[0].0, "retry-after");
    /// ```
    ///
    /// # Panics
    /// Where it is called, when `name` is not a header-name token or `value` holds CR, LF or another control
    /// character: a programming error, found the first time the line runs rather than turned into a 500 on
    /// every request.
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

    /// Sets an application-specific error code.
    #[must_use]
    pub fn with_code(mut self, code: i64) -> Self {
        self.code = Some(code);
        self
    }

    /// Sets a link to documentation.
    #[must_use]
    pub fn with_link(mut self, text: impl Into<String>, href: impl Into<String>) -> Self {
        self.link = Some(Link {
            text: text.into(),
            href: href.into(),
            rel: "help".into(),
        });
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The title: the one set, else the status line (`"404 Not Found"`).
    pub fn title(&self) -> Cow<'_, str> {
        match &self.title {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(status_line(self.status)),
        }
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Extra headers for the response.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The application code, if any.
    pub fn code(&self) -> Option<i64> {
        self.code
    }

    /// The link, if any.
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// 400, for a required query parameter that is absent (Falcon's `HTTPMissingParam`).
    pub fn missing_param(name: &str) -> Self {
        HttpError::bad_request()
            .with_title("Missing parameter")
            .with_description(format!("The \"{name}\" parameter is required."))
    }

    /// 400, for a query parameter whose value is unusable (Falcon's `HTTPInvalidParam`).
    pub fn invalid_param(name: &str, why: &str) -> Self {
        HttpError::bad_request()
            .with_title("Invalid parameter")
            .with_description(format!("The \"{name}\" parameter is invalid. {why}"))
    }

    /// 400, for a required header that is absent (Falcon's `HTTPMissingHeader`).
    pub fn missing_header(name: &str) -> Self {
        HttpError::bad_request()
            .with_title("Missing header value")
            .with_description(format!("The \"{name}\" header is required."))
    }

    /// 400, for a header whose value is unusable (Falcon's `HTTPInvalidHeader`).
    pub fn invalid_header(name: &str, why: &str) -> Self {
        HttpError::bad_request()
            .with_title("Invalid header value")
            .with_description(format!(
                "The value provided for the \"{name}\" header is invalid. {why}"
            ))
    }

    /// 405 with the `Allow` header.
    pub fn method_not_allowed_with(allowed: HeaderValue) -> Self {
        let mut e = HttpError::method_not_allowed();
        e.headers.push((http::header::ALLOW, allowed));
        e
    }
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $status:ident;)*) => {
        impl HttpError {
            $(
                $(#[$doc])*
                pub fn $name() -> Self {
                    HttpError::new(StatusCode::$status)
                }
            )*
        }
    };
}

constructors! {
    /// 400 Bad Request.
    bad_request => BAD_REQUEST;
    /// 401 Unauthorized. RFC 9110 wants a `WWW-Authenticate` header: add it with [`HttpError::with_header`].
    unauthorized => UNAUTHORIZED;
    /// 402 Payment Required.
    payment_required => PAYMENT_REQUIRED;
    /// 403 Forbidden.
    forbidden => FORBIDDEN;
    /// 404 Not Found.
    not_found => NOT_FOUND;
    /// 405 Method Not Allowed (see [`HttpError::method_not_allowed_with`] for the `Allow` header).
    method_not_allowed => METHOD_NOT_ALLOWED;
    /// 406 Not Acceptable.
    not_acceptable => NOT_ACCEPTABLE;
    /// 407 Proxy Authentication Required.
    proxy_authentication_required => PROXY_AUTHENTICATION_REQUIRED;
    /// 408 Request Timeout.
    request_timeout => REQUEST_TIMEOUT;
    /// 409 Conflict.
    conflict => CONFLICT;
    /// 410 Gone.
    gone => GONE;
    /// 411 Length Required.
    length_required => LENGTH_REQUIRED;
    /// 412 Precondition Failed.
    precondition_failed => PRECONDITION_FAILED;
    /// 413 Content Too Large.
    content_too_large => PAYLOAD_TOO_LARGE;
    /// 414 URI Too Long.
    uri_too_long => URI_TOO_LONG;
    /// 415 Unsupported Media Type.
    unsupported_media_type => UNSUPPORTED_MEDIA_TYPE;
    /// 416 Range Not Satisfiable.
    range_not_satisfiable => RANGE_NOT_SATISFIABLE;
    /// 417 Expectation Failed.
    expectation_failed => EXPECTATION_FAILED;
    /// 418 I'm a teapot.
    im_a_teapot => IM_A_TEAPOT;
    /// 421 Misdirected Request.
    misdirected_request => MISDIRECTED_REQUEST;
    /// 422 Unprocessable Content (RFC 9110's name; see also [`HttpError::unprocessable_entity`]).
    unprocessable_content => UNPROCESSABLE_ENTITY;
    /// 423 Locked.
    locked => LOCKED;
    /// 424 Failed Dependency.
    failed_dependency => FAILED_DEPENDENCY;
    /// 426 Upgrade Required.
    upgrade_required => UPGRADE_REQUIRED;
    /// 428 Precondition Required.
    precondition_required => PRECONDITION_REQUIRED;
    /// 429 Too Many Requests.
    too_many_requests => TOO_MANY_REQUESTS;
    /// 431 Request Header Fields Too Large.
    request_header_fields_too_large => REQUEST_HEADER_FIELDS_TOO_LARGE;
    /// 451 Unavailable For Legal Reasons.
    unavailable_for_legal_reasons => UNAVAILABLE_FOR_LEGAL_REASONS;
    /// 500 Internal Server Error.
    internal_server_error => INTERNAL_SERVER_ERROR;
    /// 501 Not Implemented.
    not_implemented => NOT_IMPLEMENTED;
    /// 502 Bad Gateway.
    bad_gateway => BAD_GATEWAY;
    /// 503 Service Unavailable (add `Retry-After` with [`HttpError::with_header`]).
    service_unavailable => SERVICE_UNAVAILABLE;
    /// 504 Gateway Timeout.
    gateway_timeout => GATEWAY_TIMEOUT;
    /// 505 HTTP Version Not Supported.
    http_version_not_supported => HTTP_VERSION_NOT_SUPPORTED;
    /// 506 Variant Also Negotiates.
    variant_also_negotiates => VARIANT_ALSO_NEGOTIATES;
    /// 507 Insufficient Storage.
    insufficient_storage => INSUFFICIENT_STORAGE;
    /// 508 Loop Detected.
    loop_detected => LOOP_DETECTED;
    /// 510 Not Extended.
    not_extended => NOT_EXTENDED;
    /// 511 Network Authentication Required.
    network_authentication_required => NETWORK_AUTHENTICATION_REQUIRED;
}

impl HttpError {
    /// 422 Unprocessable Content, under the name Falcon and RFC 4918 give it (`HTTPUnprocessableEntity`);
    /// the same error as [`HttpError::unprocessable_content`].
    pub fn unprocessable_entity() -> Self {
        Self::unprocessable_content()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title())?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Storage;
    impl fmt::Display for Storage {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("storage is down")
        }
    }
    impl std::error::Error for Storage {}

    #[test]
    fn question_mark_keeps_http_errors_apart_from_others() {
        let e: Error = HttpError::not_found().into();
        assert_eq!(e.as_http_error().unwrap().status(), 404);
        let e: Error = HttpStatus::found("/x").into();
        assert_eq!(e.as_http_status().unwrap().status(), 302);
        let e: Error = Storage.into();
        assert!(!e.is_http_error());
        assert!(e.is::<Storage>());
        assert_eq!(e.to_string(), "storage is down");
    }

    #[test]
    fn default_title_is_the_status_line() {
        assert_eq!(HttpError::not_found().title(), "404 Not Found");
        assert_eq!(HttpError::content_too_large().title(), "413 Content Too Large");
        assert_eq!(HttpError::bad_request().with_title("Nope").title(), "Nope");
    }
}

/// A programming error found while serving a request (a missing URI field, an unserializable body, a bad
/// header value): it becomes a 500 whose detail goes to the log, never to the client.
#[derive(Debug)]
pub(crate) struct Internal {
    message: String,
}

impl Internal {
    pub(crate) fn new(message: String) -> Self {
        Internal { message }
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Internal {}
