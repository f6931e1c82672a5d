//! A test client that needs no socket: requests built in memory go through the exact pipeline the server
//! runs (middleware, routing, hooks, responders, error handling), and come back as a [`TestResult`]. What
//! the server does before the pipeline — the limits of [`ServerConfig`](crate::server::ServerConfig) on heads
//! (414, 431), the Host rule, body pace (408) and body memory (503), shedding — is not simulated: test it
//! over a socket. The app's own limits (`App::max_body_size`, timeouts) apply here as on the server.
//!
//! ```
//! use peregrine::testing::TestClient;
//! use peregrine::{App, Request, Response, Result};
//!
//! struct Hello;
//!
//! #[peregrine::resource]
//! impl Hello {
//!     async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
//!         let name = req.get_param("name").unwrap_or("world");
//!         resp.set_text(format!("hello, {name}"));
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(App::new().add_route("/hello", Hello));
//! let result = client.simulate_get("/hello").param("name", "Ada").await;
//! assert_eq!(result.status(), 200);
//! assert_eq!(result.text(), "hello, Ada");
//! # });
//! ```

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::body::RequestBody;
use crate::pipeline::Pipeline;
use crate::App;

/// A request built in memory and not routed, as the pipeline would build it from `method`, `target` (a path
/// with an optional query string, or an absolute URI) and `headers` (Falcon's `testing.create_req`): for unit
/// tests of hooks, helpers and middleware that read a request, and for examples. `Host: localhost` is added
/// unless `headers` has a Host; the body is empty; URI fields are empty (nothing was routed).
///
/// ```
/// let req = peregrine::testing::create_req("GET", "/things?limit=5", &[("Accept", "application/json")]);
/// assert_eq!(req.get_param_as_int("limit").unwrap(), Some(5));
/// assert!(req.client_accepts_json());
/// ```
///
/// # Panics
/// When the method, target or a header is invalid (a mistake in the test itself).
#[track_caller]
pub fn create_req(method: &str, target: &str, headers: &[(&str, &str)]) -> crate::Request {
    let mut request = http::Request::new(RequestBody::Full(Bytes::new()));
    *request.method_mut() = Method::from_bytes(method.as_bytes()).expect("a valid HTTP method token");
    *request.uri_mut() = target.parse().expect("a valid request target");
    for (name, value) in headers {
        let name = HeaderName::try_from(*name).expect("a valid header name");
        let value = HeaderValue::try_from(*value).expect("a valid header value");
        request.headers_mut().append(name, value);
    }
    if !request.headers().contains_key(header::HOST) {
        request
            .headers_mut()
            .insert(header::HOST, HeaderValue::from_static("localhost"));
    }
    let (head, body) = request.into_parts();
    crate::Request::new(head, body, None, None)
}

/// Simulates requests against an app.
#[derive(Clone)]
pub struct TestClient {
    pipeline: Arc<Pipeline>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").field("app", self.pipeline.app()).finish()
    }
}

impl TestClient {
    /// Freezes `app` and wraps it.
    pub fn new(app: App) -> Self {
        TestClient {
            pipeline: Pipeline::new(app),
        }
    }

    /// A request with any method, such as `"PROPFIND"`. `path` may carry a query string (`/x?a=1`).
    ///
    /// # Panics
    /// When `method` is not a valid method token.
    #[track_caller]
    pub fn simulate_request(&self, method: &str, path: &str) -> Simulation<'_> {
        let method = Method::from_bytes(method.as_bytes()).expect("a valid HTTP method token");
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (path.to_owned(), None),
        };
        Simulation {
            client: self,
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            remote_addr: Some(SocketAddr::from(([127, 0, 0, 1], 50000))),
            has_host: false,
        }
    }

    /// A GET request.
    #[track_caller]
    pub fn simulate_get(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("GET", path)
    }

    /// A HEAD request.
    #[track_caller]
    pub fn simulate_head(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("HEAD", path)
    }

    /// A POST request.
    #[track_caller]
    pub fn simulate_post(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("POST", path)
    }

    /// A PUT request.
    #[track_caller]
    pub fn simulate_put(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("PUT", path)
    }

    /// A PATCH request.
    #[track_caller]
    pub fn simulate_patch(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("PATCH", path)
    }

    /// A DELETE request.
    #[track_caller]
    pub fn simulate_delete(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("DELETE", path)
    }

    /// An OPTIONS request.
    #[track_caller]
    pub fn simulate_options(&self, path: &str) -> Simulation<'_> {
        self.simulate_request("OPTIONS", path)
    }
}

/// A request being built; `.await` it to run it.
#[must_use = "a simulation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Simulation<'c> {
    client: &'c TestClient,
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    remote_addr: Option<SocketAddr>,
    /// Whether the test set its own Host (which then replaces the default `localhost`).
    has_host: bool,
}

impl<'c> Simulation<'c> {
    /// Sets the raw query string (without `?`), replacing any.
    pub fn query_string(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }

    /// Adds a query parameter, percent-encoded.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let pair = format!("{}={}", enc(name), enc(value));
        self.query = Some(match self.query.take() {
            Some(q) if !q.is_empty() => format!("{q}&{pair}"),
            _ => pair,
        });
        self
    }

    /// Adds query parameters, percent-encoded.
    pub fn params(mut self, pairs: &[(&str, &str)]) -> Self {
        for (name, value) in pairs {
            self = self.param(name, value);
        }
        self
    }

    /// Adds a header.
    ///
    /// # Panics
    /// When the name or value is invalid (a mistake in the test itself).
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("a valid header name");
        let value = HeaderValue::try_from(value).expect("a valid header value");
        self.has_host |= name == header::HOST;
        self.headers.append(name, value);
        self
    }

    /// Adds a header whose value is any bytes HTTP allows in a field value (RFC 9110 §5.5), obs-text
    /// (0x80–0xFF) included.
    ///
    /// # Panics
    /// When the name or value is invalid (a mistake in the test itself).
    #[track_caller]
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        let name = HeaderName::try_from(name).expect("a valid header name");
        let value = HeaderValue::from_bytes(value).expect("a valid header value");
        self.has_host |= name == header::HOST;
        self.headers.append(name, value);
        self
    }

    /// Adds a cookie to the `Cookie` header.
    pub fn cookie(self, name: &str, value: &str) -> Self {
        self.header("cookie", &format!("{name}={value}"))
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and, unless set, `Content-Type: application/json`.
    ///
    /// # Panics
    /// When `value` cannot be serialized.
    #[track_caller]
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = Bytes::from(serde_json::to_vec(value).expect("a serializable value"));
        if !self.headers.contains_key(header::CONTENT_TYPE) {
            self.headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self
    }

    /// Sets the peer address the request seems to come from (default 127.0.0.1:50000).
    pub fn remote_addr(mut self, addr: SocketAddr) -> Self {
        self.remote_addr = Some(addr);
        self
    }

    /// Runs the request through the app.
    ///
    /// # Panics
    /// When the path and query are not a request target `http::Uri` accepts (a space, a control byte, more
    /// than 64 KiB): a mistake in the test itself. What the server answers such bytes with (400, 414) is
    /// tested over a socket.
    pub async fn send(self) -> TestResult {
        let target = match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        };
        let mut request = http::Request::new(RequestBody::Full(self.body.clone()));
        *request.method_mut() = self.method;
        *request.uri_mut() = target.parse().expect("a valid request target");
        let headers = request.headers_mut();
        if !self.has_host {
            headers.insert(header::HOST, HeaderValue::from_static("localhost"));
        }
        if !self.body.is_empty() {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        }
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        let (head, body) = request.into_parts();
        let mut req = self.client.pipeline.request(head, body, self.remote_addr);
        let response = self.client.pipeline.handle(&mut req).await;
        let (mut parts, body) = response.into_parts();
        // What hyper writes on the wire for a body of known length: nothing for a status without content, nor
        // a length of 0 for HEAD (the pipeline has set the GET body's length where it knew it).
        if let Some(length) = http_body::Body::size_hint(&body).exact() {
            let no_body = parts.status.is_informational() || parts.status == StatusCode::NO_CONTENT;
            let head = req.method() == Method::HEAD && length == 0;
            if !no_body && !head && parts.status != StatusCode::NOT_MODIFIED {
                parts
                    .headers
                    .entry(header::CONTENT_LENGTH)
                    .or_insert_with(|| HeaderValue::from(length));
            }
        }
        // What arrived before a failure is kept, and the failure recorded: a real client would see the body end
        // early (the connection closed).
        let mut chunks = Chunks::default();
        let mut body = std::pin::pin!(body);
        let body_error = loop {
            match body.frame().await {
                None => break None,
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        chunks.push(data);
                    }
                }
                Some(Err(e)) => break Some(e.to_string()),
            }
        };
        TestResult {
            status: parts.status,
            headers: parts.headers,
            body: chunks.into_bytes(),
            body_error,
        }
    }
}

impl<'c> IntoFuture for Simulation<'c> {
    type Output = TestResult;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResult> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What the app answered.
///
/// It prints usefully in a failed assert: `{}` gives the status line, the content type and the first
/// 1,000 bytes of the body; [`TestResult::assert_status`] shows them when the status is not the one expected.
///
/// ```
/// # use peregrine::{App, testing::TestClient};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let result = TestClient::new(App::new()).simulate_get("/nowhere").await;
/// result.assert_status(404);
/// assert!(result.to_string().starts_with("404 Not Found (application/json) {\"title\":\"404 Not Found\""));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TestResult {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    body_error: Option<String>,
}

/// A body's chunks joined: one chunk (an in-memory body) is kept as it is, without a copy.
#[derive(Default)]
struct Chunks {
    first: Bytes,
    rest: Option<bytes::BytesMut>,
}

impl Chunks {
    fn push(&mut self, data: Bytes) {
        match &mut self.rest {
            Some(rest) => rest.extend_from_slice(&data),
            None if self.first.is_empty() => self.first = data,
            None => {
                let mut rest = bytes::BytesMut::from(&self.first[..]);
                rest.extend_from_slice(&data);
                self.rest = Some(rest);
            }
        }
    }

    fn into_bytes(self) -> Bytes {
        self.rest.map_or(self.first, bytes::BytesMut::freeze)
    }
}

/// The most body bytes a [`TestResult`] prints.
const SHOWN_BODY: usize = 1000;

impl std::fmt::Display for TestResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({})",
            crate::HttpError::new(self.status).title(),
            self.header("content-type").unwrap_or("no content type")
        )?;
        let shown = &self.body[..self.body.len().min(SHOWN_BODY)];
        if !shown.is_empty() {
            write!(f, " {}", String::from_utf8_lossy(shown))?;
        }
        if self.body.len() > SHOWN_BODY {
            write!(f, "… ({} bytes in all)", self.body.len())?;
        }
        if let Some(error) = &self.body_error {
            write!(f, " [body ended early: {error}]")?;
        }
        Ok(())
    }
}

impl TestResult {
    /// Asserts the status, showing the whole result (status, content type, body) when it differs.
    ///
    /// # Panics
    /// When the status is not `expected`, at the caller's line.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert!(
            self.status.as_u16() == expected,
            "expected status {expected}, got {self}"
        );
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body bytes (those sent before the body failed, when it did: see [`TestResult::body_error`]).
    pub fn content(&self) -> &Bytes {
        &self.body
    }

    /// Why the body ended early, when it did: a streamed body whose stream failed or panicked after the
    /// status line was sent. A client over the network sees the connection closed before the body's end.
    /// `None` for a complete body.
    pub fn body_error(&self) -> Option<&str> {
        self.body_error.as_deref()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body deserialized from JSON.
    ///
    /// # Panics
    /// When the body is not JSON of that shape, showing the body.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not the JSON expected ({e}): {}", self.text()))
    }

    /// The cookies set by `Set-Cookie`.
    pub fn cookies(&self) -> Vec<cookie::Cookie<'static>> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| cookie::Cookie::parse_encoded(v.to_owned()).ok())
            .collect()
    }

    /// The cookie `name` set by `Set-Cookie`.
    pub fn cookie(&self, name: &str) -> Option<cookie::Cookie<'static>> {
        self.cookies().into_iter().find(|c| c.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: u16, body: &str) -> TestResult {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        TestResult {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
            body_error: None,
        }
    }

    #[test]
    fn a_result_prints_its_status_type_and_the_start_of_its_body() {
        assert_eq!(result(201, "made").to_string(), "201 Created (text/plain) made");
        let long = "x".repeat(SHOWN_BODY + 5);
        let shown = result(200, &long).to_string();
        assert!(
            shown.ends_with(&format!("… ({} bytes in all)", SHOWN_BODY + 5)),
            "{shown}"
        );
    }

    #[test]
    fn assert_status_shows_the_body_when_it_fails() {
        let caught = std::panic::catch_unwind(|| {
            result(422, "name is empty").assert_status(201);
        });
        let message = caught.unwrap_err().downcast_ref::<String>().cloned().unwrap();
        assert_eq!(
            message,
            "expected status 201, got 422 Unprocessable Content (text/plain) name is empty"
        );
        result(204, "").assert_status(204);
    }
}
