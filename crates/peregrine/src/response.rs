//! The response a responder fills in: status, headers, and a body of text, bytes, media or a stream.

use std::borrow::Cow;
use std::fmt::Display;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use percent_encoding::{AsciiSet, CONTROLS};
use serde::Serialize;

use crate::body::{BoxError, ResponseBody};
use crate::error::Internal;
use crate::error::{HttpError, Result};
use crate::header_pool;
use crate::media;
use crate::negotiation;
use crate::options::ResponseOptions;

/// An HTTP response under construction. The status starts at 200 and the body empty.
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: ResponseBody,
    pub(crate) error: Option<Box<HttpError>>,
    complete: bool,
    /// What most responses do without: negotiation, scheduled work.
    // PERF: one pointer in every response, so that the per-request heap block stays in malloc's thread cache.
    extras: Option<Box<Extras>>,
}

/// The futures a response scheduled (`schedule`), in the order scheduled.
pub(crate) type Scheduled = Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Result> + Send>>>;

/// The parts of a response only some apps and requests use.
#[derive(Default)]
struct Extras {
    /// The app's response options and the request's `Accept`, when the app set response options.
    negotiation: Option<Negotiation>,
    /// Work to run once the response is sent (`schedule`).
    scheduled: Scheduled,
}

/// What `set_media` negotiates with.
struct Negotiation {
    options: Arc<ResponseOptions>,
    accept: Option<HeaderValue>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = match &self.body {
            ResponseBody::Empty => "empty".to_owned(),
            ResponseBody::Full(b) => format!("{} bytes", b.len()),
            ResponseBody::Stream(_) => "stream".to_owned(),
            #[cfg(feature = "files")]
            ResponseBody::File(f) => format!("file, {} bytes", f.len()),
        };
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &body)
            .field("error", &self.error)
            .field("complete", &self.complete)
            .finish()
    }
}

impl Default for Response {
    fn default() -> Self {
        Response::new()
    }
}

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");
const JSON: HeaderValue = HeaderValue::from_static(media::JSON);

/// Characters `set_location` percent-encodes: controls, space, and those RFC 3986 never allows in a URI.
const LOCATION_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl Response {
    /// A 200 response with no headers and no body.
    #[inline]
    pub fn new() -> Self {
        Response {
            status: StatusCode::OK,
            headers: header_pool::take(),
            body: ResponseBody::default(),
            error: None,
            complete: false,
            extras: None,
        }
    }

    /// Makes `set_media` negotiate with `options` over the request's `accept`.
    pub(crate) fn negotiate(&mut self, options: Arc<ResponseOptions>, accept: Option<HeaderValue>) {
        self.extras.get_or_insert_with(Box::default).negotiation = Some(Negotiation { options, accept });
    }

    /// The app's response options, when it set them.
    fn options(&self) -> Option<&ResponseOptions> {
        self.negotiation().map(|n| &*n.options)
    }

    fn negotiation(&self) -> Option<&Negotiation> {
        self.extras.as_deref()?.negotiation.as_ref()
    }

    /// The status.
    #[inline]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Sets the status. Some statuses decide what of the response is sent, by RFC 9110's rules:
    ///
    /// - 1xx and 204 (§15.3.5) send no body and neither `Content-Length` nor `Content-Type`;
    /// - 205 (§15.3.6) sends no body and `Content-Length: 0`, without `Content-Type`;
    /// - 304 (§15.4.5) sends no body and keeps the headers set (`ETag`, `Cache-Control`, ...);
    /// - any status, to a HEAD request, sends no body and the `Content-Length` the GET body would have had.
    #[inline]
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// The headers.
    #[inline]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change freely.
    #[inline]
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// Header `name` as text (Falcon's `get_header`), or `None` when unset or not visible ASCII.
    #[inline]
    pub fn get_header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Sets header `name`, replacing earlier values.
    ///
    /// # Errors
    /// A name that is not a valid token, or a value with CR, LF or another control character, is refused:
    /// `?` turns that into a 500 whose detail is logged (it is the app's mistake, not the client's).
    pub fn set_header<N, V>(&mut self, name: N, value: V) -> Result
    where
        N: TryInto<HeaderName>,
        N::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        let (name, value) = header_pair(name, value)?;
        self.headers.insert(name, value);
        Ok(())
    }

    /// Adds a value for header `name`, keeping earlier ones. Same errors as [`Response::set_header`].
    pub fn append_header<N, V>(&mut self, name: N, value: V) -> Result
    where
        N: TryInto<HeaderName>,
        N::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        let (name, value) = header_pair(name, value)?;
        self.headers.append(name, value);
        Ok(())
    }

    /// Removes every value of header `name`.
    pub fn delete_header(&mut self, name: impl header::AsHeaderName) {
        self.headers.remove(name);
    }

    /// Sets `Content-Type`.
    pub fn set_content_type(&mut self, media_type: &'static str) {
        self.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    }

    /// The `Content-Type`, if set.
    #[inline]
    pub fn content_type(&self) -> Option<&str> {
        self.get_header(header::CONTENT_TYPE)
    }

    /// Sets `Content-Type` to `value` unless already set. The values are constants: `HeaderValue::from_static`
    /// checks every byte when it runs, and in a `const` that check runs at compile time. A lookup and an
    /// append rather than `entry`: hyper runs the same two functions for every request it parses, so their
    /// code is already in the CPU's instruction cache.
    fn default_content_type(&mut self, value: HeaderValue) {
        // PERF: a responder that set no header yet (the usual case) skips hashing the name for the lookup.
        if self.headers.is_empty() || !self.headers.contains_key(header::CONTENT_TYPE) {
            self.headers.append(header::CONTENT_TYPE, value);
        }
    }

    /// Sets a text body; `Content-Type` becomes `text/plain; charset=utf-8` unless already set. A
    /// `&'static str` is sent without copying; a `String` is sent as is.
    #[inline]
    pub fn set_text(&mut self, text: impl Into<Cow<'static, str>>) {
        self.body = ResponseBody::Full(match text.into() {
            Cow::Borrowed(s) => Bytes::from_static(s.as_bytes()),
            Cow::Owned(s) => Bytes::from(s),
        });
        self.default_content_type(TEXT_PLAIN);
    }

    /// Sets a bytes body; `Content-Type` becomes `application/octet-stream` unless already set.
    #[inline]
    pub fn set_data(&mut self, data: impl Into<Bytes>) {
        self.body = ResponseBody::Full(data.into());
        self.default_content_type(OCTET_STREAM);
    }

    /// Serializes `value` as the body, with the media handler the request's `Accept` asks for (Falcon's
    /// `resp.media`, plus negotiation).
    ///
    /// - An app with default response options sends JSON (`Content-Type: application/json` unless already
    ///   set) and does not consult `Accept`, as RFC 9110 §12.5.1 allows.
    /// - Once the app sets [`ResponseOptions`] (with [`App::resp_options`](crate::App::resp_options)): a
    ///   `Content-Type` the responder set chooses the handler; otherwise the registered type `Accept` ranks
    ///   highest does (ties: the default type, then registration order), `Content-Type` is set to it, and
    ///   `Vary: Accept` is added when more than one type is registered.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use peregrine::testing::TestClient;
    /// # struct Things;
    /// # #[peregrine::resource] impl Things {
    /// #     async fn on_get(&self, _: &mut peregrine::Request, resp: &mut peregrine::Response) -> peregrine::Result {
    /// #         resp.set_media(&["a"])
    /// #     }
    /// # }
    /// let app = peregrine::App::new()
    ///     .add_route("/things", Things)
    ///     .resp_options(|_| {}); // JSON only, but Accept is now honoured
    /// let client = TestClient::new(app);
    /// let refused = client.simulate_get("/things").header("accept", "text/html").await;
    /// assert_eq!(refused.status(), 406);
    /// # });
    /// ```
    ///
    /// # Errors
    /// - **406 Not Acceptable** naming the types it can send, when `Accept` rules out every registered type
    ///   (unless `serve_default_if_not_acceptable` is on). The 406 is rendered like any error, by `Accept`: a
    ///   client that takes none of the error formats (JSON, problem+json, XML) gets it with no body.
    /// - A value the format cannot hold (a map with non-string keys in JSON, say), or a `Content-Type` set by
    ///   the responder that has no handler: a 500 whose detail is logged.
    pub fn set_media<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let Some(negotiation) = self.negotiation() else {
            self.body = ResponseBody::Full(media::to_json(value)?);
            self.default_content_type(JSON);
            return Ok(());
        };
        let handlers = &negotiation.options.media_handlers;
        if let Some(content_type) = self.content_type() {
            let Some(kind) = handlers.get(content_type) else {
                return Err(Internal::new(format!("no response media handler for '{content_type}'")).into());
            };
            self.body = ResponseBody::Full(kind.encode(value)?);
            return Ok(());
        }
        let default = negotiation.options.default_media_type.as_str();
        let mut offers = Vec::with_capacity(handlers.len());
        offers.push(default);
        offers.extend(handlers.media_types().filter(|t| *t != default));
        let accept = negotiation
            .accept
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("*/*");
        let chosen = match negotiation::prefers(accept, &offers) {
            Some(chosen) => chosen,
            None if negotiation.options.serve_default_if_not_acceptable => default,
            None => {
                return Err(HttpError::not_acceptable()
                    .with_description(format!("This resource can be sent as: {}.", offers.join(", ")))
                    .into())
            }
        };
        let kind = handlers.get(chosen).expect("offers are registered types");
        let body = kind.encode(value)?;
        let content_type = HeaderValue::try_from(chosen).expect("registered media types are header text");
        let vary = offers.len() > 1;
        self.body = ResponseBody::Full(body);
        self.headers.insert(header::CONTENT_TYPE, content_type);
        if vary {
            self.append_vary("Accept");
        }
        Ok(())
    }

    /// Streams the body from `stream` (sent chunked unless `Content-Length` is set). `stream` is a
    /// `futures_core::Stream`, the trait behind `futures::Stream`, `tokio_stream::Stream` and the streams of
    /// `async-stream`; any of those crates can build one (`futures::stream::iter`, say). An error from the stream,
    /// or a panic inside it, ends the body: it is logged (an `ERROR` event, or a line on stderr without a
    /// `tracing` subscriber) and the connection is closed (HTTP/1) or the stream reset (HTTP/2), since the
    /// status may have gone out already. What was written before is not always sent: the server buffers small
    /// writes, so a stream that fails at once may leave the client with no response at all. The test client
    /// keeps what arrived and says why the body ended ([`TestResult::body_error`](crate::testing::TestResult::body_error)).
    pub fn set_stream<S, E>(&mut self, stream: S)
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.body = ResponseBody::Stream(Box::pin(MapErr { inner: stream }));
    }

    /// The body, when it is in memory (set with text, data or media).
    pub fn body_bytes(&self) -> Option<&Bytes> {
        match &self.body {
            ResponseBody::Full(b) => Some(b),
            _ => None,
        }
    }

    /// Sets `Location`, percent-encoding characters a URI may not contain (as Falcon does), so it cannot fail.
    pub fn set_location(&mut self, location: impl AsRef<str>) {
        self.headers.insert(header::LOCATION, uri_value(location.as_ref()));
    }

    /// Sets `Last-Modified` as an HTTP date.
    pub fn set_last_modified(&mut self, time: SystemTime) {
        let value = HeaderValue::try_from(httpdate::fmt_http_date(time)).expect("an HTTP date is a valid header value");
        self.headers.insert(header::LAST_MODIFIED, value);
    }

    /// Adds a `Set-Cookie` header for `cookie` (RFC 6265 §4.1; the value is percent-encoded), one per call.
    /// As in Falcon, a cookie is `HttpOnly` and `Secure` unless it says otherwise (`Secure` follows
    /// [`ResponseOptions::secure_cookies_by_default`](crate::ResponseOptions::secure_cookies_by_default)).
    ///
    /// ```
    /// # let mut resp = peregrine::Response::new();
    /// use peregrine::cookie::{Cookie, SameSite};
    /// resp.set_cookie(Cookie::build(("session", "abc")).path("/").same_site(SameSite::Lax))?;
    /// assert_eq!(resp.get_header("set-cookie"), Some("session=abc; HttpOnly; SameSite=Lax; Secure; Path=/"));
    /// resp.set_cookie(Cookie::build(("theme", "dark")).http_only(false).secure(false))?;
    /// assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
    /// # Ok::<(), peregrine::Error>(())
    /// ```
    ///
    /// # Errors
    /// What a browser would drop, or read as something else, is refused instead, with no header added and a
    /// 500 whose detail is logged (the app built a cookie that cannot work): a name that is not an RFC 9110
    /// token; a `Path` holding `;`, a control or a non-ASCII character, or a `Domain` that is not a host name
    /// (either built from input, say, which could otherwise add attributes of its own); `SameSite=None` or
    /// `Partitioned` without `Secure`.
    pub fn set_cookie(&mut self, cookie: impl Into<cookie::Cookie<'static>>) -> Result {
        let mut cookie = cookie.into();
        if cookie.http_only().is_none() {
            cookie.set_http_only(true);
        }
        if cookie.secure().is_none() {
            cookie.set_secure(self.options().is_none_or(|o| o.secure_cookies_by_default));
        }
        let refuse = |why: &str| -> crate::Error {
            Internal::new(format!("cookie '{}' cannot be sent: {why}", cookie.name())).into()
        };
        if cookie.name().is_empty() || http::HeaderName::from_bytes(cookie.name().as_bytes()).is_err() {
            return Err(refuse("its name is not a token"));
        }
        // RFC 6265 §4.1.1: a path is any CHAR but controls and ';', a domain a host name. Anything else would
        // end the attribute early and start another one (`Path=/x; Domain=evil.example`).
        if cookie
            .path()
            .is_some_and(|p| p.chars().any(|c| c == ';' || !c.is_ascii() || c.is_ascii_control()))
        {
            return Err(refuse(
                "its Path holds ';', a control character or a non-ASCII character",
            ));
        }
        let host_chars =
            |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if cookie.domain().is_some_and(|d| !host_chars(d.trim_start_matches('.'))) {
            return Err(refuse("its Domain is not a host name"));
        }
        let secure = cookie.secure() == Some(true);
        if cookie.same_site() == Some(cookie::SameSite::None) && !secure {
            return Err(refuse("SameSite=None needs Secure"));
        }
        if cookie.partitioned() == Some(true) && !secure {
            return Err(refuse("Partitioned needs Secure"));
        }
        let value = HeaderValue::try_from(cookie.encoded().to_string())
            .map_err(|_| refuse("an attribute holds a control character"))?;
        self.headers.append(header::SET_COOKIE, value);
        Ok(())
    }

    /// Tells the client to drop cookie `name` (an expired `Set-Cookie` with `path`).
    ///
    /// # Errors
    /// As [`Response::set_cookie`], for a `path` with control characters.
    pub fn unset_cookie(&mut self, name: &str, path: &str) -> Result {
        let mut c = cookie::Cookie::new(name.to_owned(), "");
        c.set_path(path.to_owned());
        c.make_removal();
        self.set_cookie(c)
    }

    /// Makes `error` the response; it is rendered per the client's `Accept` once the responder (or error
    /// handler) returns.
    pub fn set_error(&mut self, error: HttpError) {
        self.error = Some(Box::new(error));
    }

    /// Marks the response complete: in `process_request` middleware, this skips routing and the responder
    /// (`process_response` still runs).
    #[inline]
    pub fn complete(&mut self) {
        self.complete = true;
    }

    /// Whether [`Response::complete`] was called.
    #[inline]
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Runs `task` after the response has been sent (Falcon ASGI's `resp.schedule`): once hyper has taken the
    /// body's last byte, or dropped the body because the client went away. Tasks run one after another, in
    /// the order scheduled, on a task of their own, after every `process_response` (which may schedule more);
    /// the request and response are gone by then, so move into `task` what it needs. An error or a panic in
    /// a task is logged (`ERROR`) and changes nothing for the client; a task still running when the server
    /// stops is dropped with the runtime. Tasks belong to the response: they run when it is sent, also when
    /// the responder then failed with an error (the error is rendered on the same response), but a panic
    /// or a timeout replaces the response, and its tasks are dropped unrun. In a test, the task runs once
    /// the test client has read the response, on the test's runtime: have it send on a channel and await
    /// that, rather than checking right after the request.
    ///
    /// ```
    /// use peregrine::{Request, Response, Result};
    /// # struct Signup;
    /// # async fn send_welcome_mail(_to: String) -> Result { Ok(()) }
    ///
    /// #[peregrine::resource]
    /// impl Signup {
    ///     async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         let address = req.get_param("email").unwrap_or_default().to_owned();
    ///         resp.set_status(peregrine::StatusCode::ACCEPTED);
    ///         resp.schedule(send_welcome_mail(address));
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn schedule(&mut self, task: impl std::future::Future<Output = Result> + Send + 'static) {
        self.extras
            .get_or_insert_with(Box::default)
            .scheduled
            .push(Box::pin(task));
    }

    /// The scheduled tasks, taken out (`None` when there are none).
    pub(crate) fn take_scheduled(&mut self) -> Option<Scheduled> {
        let tasks = std::mem::take(&mut self.extras.as_deref_mut()?.scheduled);
        (!tasks.is_empty()).then_some(tasks)
    }

    pub(crate) fn into_parts(self) -> (StatusCode, HeaderMap, ResponseBody) {
        let Response {
            status,
            headers,
            body,
            error,
            extras,
            ..
        } = self;
        // PERF: the checks inline; dropping the fields whole calls their drop glue on every response.
        if let Some(error) = error {
            drop(error);
        }
        if let Some(extras) = extras {
            drop(extras);
        }
        (status, headers, body)
    }
}

/// `uri` as a header value, with what a URI may not contain percent-encoded.
pub(crate) fn uri_value(uri: &str) -> HeaderValue {
    let encoded = percent_encoding::utf8_percent_encode(uri, LOCATION_ESCAPES).to_string();
    HeaderValue::try_from(encoded).expect("percent-encoded text is a valid header value")
}

fn header_pair<N, V>(name: N, value: V) -> Result<(HeaderName, HeaderValue)>
where
    N: TryInto<HeaderName>,
    N::Error: Display,
    V: TryInto<HeaderValue>,
    V::Error: Display,
{
    let name = name
        .try_into()
        .map_err(|e| Internal::new(format!("invalid response header name: {e}")))?;
    let value = value
        .try_into()
        .map_err(|e| Internal::new(format!("invalid value for response header {name}: {e}")))?;
    Ok((name, value))
}

pin_project_lite::pin_project! {
    struct MapErr<S> {
        #[pin]
        inner: S,
    }
}

impl<S, E> Stream for MapErr<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: Into<BoxError>,
{
    type Item = std::result::Result<Bytes, BoxError>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.project()
            .inner
            .poll_next(cx)
            .map(|o| o.map(|r| r.map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_with_newlines_are_refused() {
        let mut r = Response::new();
        assert!(r.set_header("x-a", "fine").is_ok());
        assert!(r.set_header("x-b", "evil\r\nSet-Cookie: a=b").is_err());
        assert!(r.set_header("bad name", "v").is_err());
        assert_eq!(r.get_header("x-a"), Some("fine"));
        assert!(r.headers().get("x-b").is_none());
    }

    #[test]
    fn location_is_encoded_never_refused() {
        let mut r = Response::new();
        r.set_location("/users/a b\r\nx");
        assert_eq!(r.get_header("location"), Some("/users/a%20b%0D%0Ax"));
    }
}
