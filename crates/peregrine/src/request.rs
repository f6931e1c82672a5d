//! The request a responder reads: method, path, URI fields, headers, query parameters, cookies, context,
//! body.
//!
//! Nothing is parsed until asked: the query string, cookies and body are read on first use and kept.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, OnceLock};

use bytes::Bytes;
use http::header;
use http::{Method, Uri, Version};
use serde::de::DeserializeOwned;

use crate::body::RequestBody;
use crate::error::Internal;
use crate::error::{HttpError, Result};
use crate::media::{self, Kind};
use crate::options::RequestOptions;
use crate::routing::words::next_byte;
use crate::routing::{Fields, FromField};

/// An HTTP request as a responder sees it.
pub struct Request {
    pub(crate) head: http::request::Parts,
    pub(crate) body: RequestBody,
    path: Option<Box<str>>,
    pub(crate) fields: Fields,
    query: OnceLock<Box<[(String, String)]>>,
    cookies: OnceLock<Box<[(String, String)]>>,
    context: Context,
    /// The app's (or the route's) request options, the body limit among them; `None`: the defaults.
    options: Option<Arc<RequestOptions>>,
    remote_addr: Option<SocketAddr>,
}

/// The length of the path's prefix where the app serving a request is mounted. Kept in the request's
/// context, which is empty (one word) unless something is stored, so requests to apps without mounts carry
/// nothing for it.
// PERF: a field of its own would grow every request's heap block past malloc's thread cache.
struct MountPrefix(usize);

/// The options of an app that changed none.
static DEFAULT_OPTIONS: LazyLock<RequestOptions> = LazyLock::new(RequestOptions::default);

/// Shows the method, target, version, the matched template and the URI fields; not the body.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("version", &self.version())
            .field("uri_template", &self.uri_template())
            .field("fields", &self.fields().collect::<Vec<_>>())
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl Request {
    #[inline]
    pub(crate) fn new(
        head: http::request::Parts,
        body: RequestBody,
        options: Option<Arc<RequestOptions>>,
        remote_addr: Option<SocketAddr>,
    ) -> Self {
        Request {
            head,
            body,
            path: None,
            fields: Fields::default(),
            query: OnceLock::new(),
            cookies: OnceLock::new(),
            context: Context::default(),
            options,
            remote_addr,
        }
    }

    /// Enters an app mounted `len` bytes further into the path.
    pub(crate) fn enter_mount(&mut self, len: usize) {
        let now = self.prefix_len();
        self.context.insert(MountPrefix(now + len));
    }

    /// The length of [`Request::prefix`].
    #[inline]
    pub(crate) fn prefix_len(&self) -> usize {
        self.context.get::<MountPrefix>().map_or(0, |m| m.0)
    }

    /// The request options in force: the route's once routed, else the app's.
    pub fn options(&self) -> &RequestOptions {
        self.options.as_deref().unwrap_or(&DEFAULT_OPTIONS)
    }

    /// Switches to a route's own options (its body limit included).
    pub(crate) fn set_options(&mut self, options: Arc<RequestOptions>) {
        self.options = Some(options);
    }

    /// Whether the options ask for form bodies to be read into the query parameters before the responder.
    pub(crate) fn auto_parses_form(&self) -> bool {
        self.options.as_ref().is_some_and(|o| o.auto_parse_form_urlencoded)
    }

    /// Falcon's `auto_parse_form_urlencoded`: reads an `application/x-www-form-urlencoded` body (within the
    /// body limit) and appends its fields to the query parameters. Other bodies are left alone.
    pub(crate) async fn parse_form_into_params(&mut self) -> Result<()> {
        let is_form = self.content_type().is_some_and(|ct| media::essence(ct) == media::FORM);
        if !is_form {
            return Ok(());
        }
        let body = self.body_bytes().await?;
        let max_fields = self.options().max_form_fields;
        if media::count_fields(&body) > max_fields {
            return Err(media::too_many_fields(max_fields).into());
        }
        let Ok(text) = std::str::from_utf8(&body) else {
            return Err(HttpError::bad_request()
                .with_title("Invalid form")
                .with_description("The form body is not valid UTF-8.")
                .into());
        };
        let mut pairs = self.query_pairs().to_vec();
        pairs.extend(parse_query(text, self.options()));
        self.query = OnceLock::from(pairs.into_boxed_slice());
        Ok(())
    }

    /// Decodes the path once; `Err` when an escape is malformed or the decoded bytes are not UTF-8.
    #[inline]
    pub(crate) fn decode_path(&mut self) -> std::result::Result<(), ()> {
        // PERF: most paths hold no `%`; read by words (bench/NOTES.md, "A request through the app's tower service")
        if next_byte(self.head.uri.path().as_bytes(), 0, b'%').is_some() {
            return self.decode_escapes();
        }
        Ok(())
    }

    /// [`Request::decode_path`] for a path with a `%`.
    // PERF: out of line, so that the usual path's check needs few registers where it is inlined.
    #[cold]
    fn decode_escapes(&mut self) -> std::result::Result<(), ()> {
        let decoded = decode_path(self.head.uri.path()).ok_or(())?;
        self.path = Some(decoded.into_boxed_str());
        Ok(())
    }

    /// The method.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("PATCH", "/users/7", &[]);
    /// assert_eq!(req.method(), peregrine::Method::PATCH);
    /// ```
    #[inline]
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request target as received.
    #[inline]
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The HTTP version.
    #[inline]
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The percent-decoded path, as routed. An encoded slash (`%2F`) stays encoded, so that it cannot be
    /// mistaken for a segment boundary (RFC 3986 §2.2; Falcon decodes it, which changes routing); `%252F` reads
    /// `%2F` too, so compare [`Request::raw_path`] where the two must differ. A malformed escape or a path that
    /// is not UTF-8 once decoded is answered 400 before routing. Before routing (in `process_request`), and in
    /// a request made with
    /// [`create_req`](crate::testing::create_req), it is the path as received.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/files/a%20b?x=1", &[]);
    /// assert_eq!(req.raw_path(), "/files/a%20b");
    /// assert_eq!(req.query_string(), Some("x=1"));
    /// ```
    #[inline]
    pub fn path(&self) -> &str {
        self.path.as_deref().unwrap_or_else(|| self.head.uri.path())
    }

    /// Where the app serving the request is mounted ([`App::mount`](crate::App::mount)): `"/admin"` for
    /// `/admin/users` served by an app mounted at `/admin`, `""` for the top-level app (Falcon's
    /// `req.prefix`, without scheme and host).
    #[inline]
    pub fn prefix(&self) -> &str {
        &self.path()[..self.prefix_len()]
    }

    /// The path below [`Request::prefix`], as the mounted app routes it: `/users` for `/admin/users`
    /// under `/admin`; `/` when the path is the prefix itself. The whole path in a top-level app.
    #[inline]
    pub fn relative_path(&self) -> &str {
        self.path_below(self.prefix_len())
    }

    /// The path without its first `prefix_len` bytes; `/` when nothing is left.
    #[inline]
    pub(crate) fn path_below(&self, prefix_len: usize) -> &str {
        below(self.path(), prefix_len)
    }

    /// [`Request::path_below`] and the request's URI fields, borrowed together: routing records its captures
    /// in the fields while it reads the path.
    // PERF: captures recorded in place are neither moved into the request nor is an empty set dropped.
    #[inline]
    pub(crate) fn path_below_and_fields(&mut self, prefix_len: usize) -> (&str, &mut Fields) {
        // `Request::path`, read from the fields themselves so that `fields` can be borrowed beside it.
        let path = self.path.as_deref().unwrap_or_else(|| self.head.uri.path());
        (below(path, prefix_len), &mut self.fields)
    }

    /// [`Request::relative_path`] with the query string, `?` and all, when there is one (Falcon's
    /// `req.relative_uri`).
    pub fn relative_uri(&self) -> String {
        match self.query_string() {
            Some(q) => format!("{}?{q}", self.relative_path()),
            None => self.relative_path().to_owned(),
        }
    }

    /// The path exactly as received, before percent-decoding.
    #[inline]
    pub fn raw_path(&self) -> &str {
        self.head.uri.path()
    }

    /// The query string without `?`, as received.
    #[inline]
    pub fn query_string(&self) -> Option<&str> {
        self.head.uri.query()
    }

    /// The peer's address, when the request came over a socket.
    #[inline]
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The template of the route that matched, such as `/users/{id:int}`; `None` before routing and when no
    /// route matched. In a mounted app it is the template as that app added it, without the mount's prefix
    /// ([`Request::prefix`] gives that).
    #[inline]
    pub fn uri_template(&self) -> Option<&str> {
        self.fields.info.as_deref().map(|i| i.template())
    }

    /// The matched template, shared.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))] // used by metrics
    pub(crate) fn uri_template_shared(&self) -> Option<&std::sync::Arc<str>> {
        self.fields.info.as_deref().map(|i| i.template_shared())
    }

    /// URI field `name` converted to `T` (Falcon passes these to responders as keyword arguments).
    ///
    /// ```
    /// use peregrine::testing::TestClient;
    /// use peregrine::{App, Request, Response, Result};
    ///
    /// struct User;
    ///
    /// #[peregrine::resource]
    /// impl User {
    ///     async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         let id: u64 = req.field("id")?;
    ///         resp.set_text(format!("user {id}"));
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let client = TestClient::new(App::new().add_route("/users/{id}", User));
    /// assert_eq!(client.simulate_get("/users/7").await.text(), "user 7");
    /// assert_eq!(client.simulate_get("/users/seven").await.status(), 404);
    /// # });
    /// ```
    ///
    /// # Errors
    /// - **404 Not Found** ("The URI field 'id' must be a whole number in range.") when the text does not
    ///   convert to `T`: the path names no resource, as when a converter refuses it.
    /// - **500** (detail only in the log) when the route's template has no field `name`: a programming error.
    pub fn field<T: FromField>(&self, name: &str) -> Result<T> {
        let Some((text, value)) = self.fields.lookup(self.path(), name) else {
            let template = self.uri_template().unwrap_or("(no route)");
            return Err(Internal::new(format!("the route '{template}' has no field '{name}'")).into());
        };
        T::from_field(text, &value).ok_or_else(|| {
            HttpError::not_found()
                .with_description(format!("The URI field '{name}' must be a {}.", type_word::<T>()))
                .into()
        })
    }

    /// URI field `name` as text (percent-decoded, as routed: `%2F` stays encoded, as in [`Request::path`]), or
    /// `None` when the route has no such field.
    #[inline]
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.fields.text(self.path(), name)
    }

    /// The path of the route named `name` in the app serving this request (see
    /// [`App::route_name`](crate::App::route_name)), its URI fields filled from `fields`; for a `Location`
    /// header or a link in a body. Rules as [`App::url_for`](crate::App::url_for); in a mounted app, the
    /// path starts with [`Request::prefix`].
    ///
    /// # Errors
    /// A 500 whose detail (the [`RouteError`](crate::routing::RouteError)) is logged: a wrong name or field
    /// is a mistake in the app, not in the request. Also before routing, and for a request no route matched.
    pub fn url_for(&self, name: &str, fields: &[(&str, &str)]) -> Result<String> {
        let Some(info) = self.fields.info.as_deref() else {
            return Err(Internal::new(format!("url_for('{name}') before the request was routed")).into());
        };
        let path = info.url_for(name, fields).map_err(|e| Internal::new(e.to_string()))?;
        Ok(match self.prefix() {
            "" => path,
            prefix => format!("{prefix}{path}"),
        })
    }

    /// Every URI field as `(name, text)`, in template order; empty before routing.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter(self.path())
    }

    pub(crate) fn query_pairs(&self) -> &[(String, String)] {
        self.query.get_or_init(|| {
            self.query_string()
                .map(|q| parse_query(q, self.options()))
                .unwrap_or_default()
                .into_boxed_slice()
        })
    }

    /// The value of cookie `name` (the first, if sent more than once; RFC 6265 §5.4), exactly as sent: no
    /// percent-decoding, as in Falcon. A malformed or non-UTF-8 pair in the same header is skipped without
    /// hiding the others.
    ///
    /// ```
    /// let req = peregrine::testing::create_req("GET", "/", &[("Cookie", "session=abc; theme=dark")]);
    /// assert_eq!(req.cookie("theme"), Some("dark"));
    /// assert_eq!(req.cookie("missing"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookie_pairs()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value sent for cookie `name`.
    pub fn cookie_values(&self, name: &str) -> Vec<&str> {
        self.cookie_pairs()
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// All cookies as `(name, value)`.
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cookie_pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn cookie_pairs(&self) -> &[(String, String)] {
        self.cookies.get_or_init(|| {
            self.head
                .headers
                .get_all(header::COOKIE)
                .iter()
                .flat_map(|v| parse_cookie_pairs(v.as_bytes()))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect::<Vec<_>>()
                .into_boxed_slice()
        })
    }

    /// The per-request context: values middleware and hooks leave for responders, one per type.
    #[inline]
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The per-request context, to add values.
    #[inline]
    pub fn context_mut(&mut self) -> &mut Context {
        &mut self.context
    }

    /// The body limit for this request (the app's `max_body_size` unless changed).
    pub fn max_body_size(&self) -> usize {
        self.options().max_body_size
    }

    /// Changes the body limit for this request, before the body is read (a hook can raise it for an upload
    /// route or lower it).
    pub fn set_max_body_size(&mut self, limit: usize) {
        // The options are shared with every request of the app: this request gets its own copy.
        let options = self.options.get_or_insert_with(|| Arc::new(RequestOptions::default()));
        Arc::make_mut(options).max_body_size = limit;
    }

    /// The whole body, read once and kept (a second call returns the same bytes).
    ///
    /// # Errors
    /// **413 "Content Too Large"** past [`Request::max_body_size`] (before reading, when `Content-Length`
    /// says so; else as soon as the limit is crossed); **400 "Incomplete request body"** when the connection
    /// fails while reading.
    pub async fn body_bytes(&mut self) -> Result<Bytes> {
        let limit = self.max_body_size();
        self.body.read(limit).await
    }

    /// The body as UTF-8 text.
    ///
    /// # Errors
    /// **400 "Invalid body"** when it is not UTF-8; as [`Request::body_bytes`] otherwise.
    pub async fn text(&mut self) -> Result<String> {
        let bytes = self.body_bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            HttpError::bad_request()
                .with_title("Invalid body")
                .with_description("The request body is not valid UTF-8.")
                .into()
        })
    }

    /// The body deserialized straight into `T` by the media handler its `Content-Type` names (Falcon's
    /// `req.get_media()`): JSON (also for `+json` types, and when `Content-Type` is absent), URL-encoded
    /// forms, and whatever the app registered in [`RequestOptions::media_handlers`](crate::RequestOptions).
    /// The bytes are kept: `req.body_bytes()` still reads them afterwards (to check a signature, say).
    ///
    /// ```
    /// use peregrine::testing::TestClient;
    /// use peregrine::{App, Request, Response, Result, StatusCode};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct NewUser {
    ///     username: String,
    /// }
    ///
    /// struct Users;
    ///
    /// #[peregrine::resource]
    /// impl Users {
    ///     async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         let new: NewUser = req.media().await?;
    ///         resp.set_status(StatusCode::CREATED);
    ///         resp.set_text(new.username);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let client = TestClient::new(App::new().add_route("/users", Users));
    /// let created = client.simulate_post("/users").body(r#"{"username": "ada"}"#).await;
    /// assert_eq!((created.status(), created.text()), (StatusCode::CREATED, "ada".to_owned()));
    /// let wrong = client.simulate_post("/users").body(r#"{"name": "ada"}"#).await;
    /// wrong.assert_status(400);
    /// # });
    /// ```
    ///
    /// # Errors
    /// - **415 "Unsupported Media Type"** for a `Content-Type` no handler reads, naming those that do. A
    ///   `multipart/form-data` body gets it too (it is read with `req.multipart()`; a warning in the log
    ///   says so).
    /// - **400** for an empty, malformed or wrongly shaped body, titled by format ("Invalid JSON", "Invalid
    ///   form", "Invalid MessagePack"; the description says where and what, without the app's type names);
    ///   **400 "JSON nested too deeply"** past `max_json_depth`.
    /// - **413** past the body limit, or "Too many form fields" past `max_form_fields`.
    pub async fn media<T: DeserializeOwned>(&mut self) -> Result<T> {
        let kind = self.media_handler()?;
        let bytes = self.body_bytes().await?;
        let options = self.options();
        kind.decode(&bytes, options.max_json_depth, options.max_form_fields)
    }

    /// The handler for this request's `Content-Type` (the default media type when it has none).
    fn media_handler(&self) -> Result<Kind> {
        let options = self.options();
        let content_type = self.content_type().unwrap_or(&options.default_media_type);
        if let Some(kind) = options.media_handlers.for_content_type(content_type) {
            return Ok(kind.clone());
        }
        if media::essence(content_type) == media::MULTIPART {
            // For the app's developer, not the client: the 415 names only what this call reads.
            tracing::warn!(
                path = self.path(),
                "req.media() does not read multipart/form-data; use req.multipart()"
            );
        }
        Err(options.media_handlers.unsupported(content_type).into())
    }
}

fn type_word<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    match name.rsplit("::").next().unwrap_or(name) {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            "whole number in range"
        }
        "f32" | "f64" => "number",
        "bool" => "boolean",
        "Uuid" => "UUID",
        _ => "valid value",
    }
}

/// The `name=value` pairs of a `Cookie` field value (RFC 6265 §4.2.1: pairs separated by `;` and optional
/// spaces), one at a time: a pair that is malformed (no `=`, an empty name) or not UTF-8 is skipped without
/// hiding its neighbours, and values are returned exactly as sent (no percent-decoding, quotes kept), as
/// Falcon does.
pub(crate) fn parse_cookie_pairs(field: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    field.split(|&b| b == b';').filter_map(|pair| {
        let pair = pair.trim_ascii();
        let eq = pair.iter().position(|&b| b == b'=')?;
        let name = std::str::from_utf8(pair[..eq].trim_ascii()).ok()?;
        let value = std::str::from_utf8(pair[eq + 1..].trim_ascii()).ok()?;
        (!name.is_empty()).then_some((name, value))
    })
}

/// `path` without its first `prefix_len` bytes; `/` when nothing is left.
#[inline]
fn below(path: &str, prefix_len: usize) -> &str {
    match &path[prefix_len..] {
        "" => "/",
        rest => rest,
    }
}

/// Percent-decodes a path, keeping `%2F` encoded; `None` when a `%` is not followed by two hex digits (RFC 3986
/// §2.1) or the result is not UTF-8.
fn decode_path(raw: &str) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        let byte = (hex(i + 1)? * 16 + hex(i + 2)?) as u8;
        if byte == b'/' {
            out.extend_from_slice(&bytes[i..i + 3]);
        } else {
            out.push(byte);
        }
        i += 3;
    }
    String::from_utf8(out).ok()
}

/// Parses `application/x-www-form-urlencoded` pairs; blank values are kept, a key without `=` has value "".
/// A field with neither name nor value (`&&`, `&=&`) is skipped, as Falcon skips it.
/// The name-value pairs of a query string (or a form body), with Falcon's `keep_blank_qs_values` and
/// `auto_parse_qs_csv` rules from `options`.
pub(crate) fn parse_query(query: &str, options: &RequestOptions) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty() && *p != "=") {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_form(k);
        if options.auto_parse_qs_csv && v.contains(',') {
            for piece in v.split(',') {
                if !piece.is_empty() || options.keep_blank_qs_values {
                    pairs.push((name.clone(), decode_form(piece)));
                }
            }
            continue;
        }
        if !v.is_empty() || options.keep_blank_qs_values {
            pairs.push((name, decode_form(v)));
        }
    }
    pairs
}

fn decode_form(text: &str) -> String {
    if !text.contains(['%', '+']) {
        return text.to_owned();
    }
    let plus_free = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_free)
        .decode_utf8_lossy()
        .into_owned()
}

/// Values a request carries for its responder, one per type; set by middleware and hooks. Nothing is
/// allocated until the first value is stored.
///
/// ```
/// # use peregrine::request::Context;
/// #[derive(Debug, PartialEq)]
/// struct User(u64);
/// let mut ctx = Context::default();
/// ctx.insert(User(7));
/// assert_eq!(ctx.get::<User>(), Some(&User(7)));
/// ```
#[derive(Default)]
pub struct Context {
    /// Boxed: most requests store nothing, and an empty `Context` is then one word of the request.
    #[allow(clippy::box_collection)]
    values: Option<Box<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stored = self.values.as_ref().map_or(0, |v| v.len());
        f.debug_struct("Context").field("values", &stored).finish()
    }
}

impl Context {
    /// Stores `value`, returning the one of the same type it replaces.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.values
            .get_or_insert_with(Box::default)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// The value of type `T`, if one was stored.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.values.as_ref()?.get(&TypeId::of::<T>())?.downcast_ref()
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.values.as_mut()?.get_mut(&TypeId::of::<T>())?.downcast_mut()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        self.values
            .as_mut()?
            .remove(&TypeId::of::<T>())
            .and_then(|b| b.downcast().ok().map(|b| *b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_decoding_keeps_encoded_slash() {
        assert_eq!(decode_path("/a%20b/c%2Fd").unwrap(), "/a b/c%2Fd");
        assert_eq!(decode_path("/caf%C3%A9").unwrap(), "/café");
        assert_eq!(decode_path("/%41%2f%2F").unwrap(), "/A%2f%2F");
        for malformed in ["/bad%zz", "/end%2", "/end%", "/%", "/%%41", "/%4G", "/%\u{e9}9"] {
            assert_eq!(
                decode_path(malformed),
                None,
                "{malformed}: RFC 3986 §2.1 wants two hex digits"
            );
        }
        assert!(decode_path("/x%FF").is_none());
    }

    #[test]
    fn cookie_pairs_are_read_one_at_a_time_and_kept_as_sent() {
        let pairs: Vec<_> =
            parse_cookie_pairs(b"theme=caf\xC3\xA9; bad; =x; s=abc%20d; q=\"v\"; n=\xFF; last=1;").collect();
        assert_eq!(
            pairs,
            [("theme", "café"), ("s", "abc%20d"), ("q", "\"v\""), ("last", "1")]
        );
        let dup: Vec<_> = parse_cookie_pairs(b"a=1;a=2").collect();
        assert_eq!(dup, [("a", "1"), ("a", "2")]);
    }

    #[test]
    fn query_options_drop_blanks_and_split_commas() {
        let pairs = |q: &str, keep: bool, csv: bool| {
            let o = RequestOptions {
                keep_blank_qs_values: keep,
                auto_parse_qs_csv: csv,
                ..RequestOptions::default()
            };
            parse_query(q, &o)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs("a=&b=1&c", false, false), ["b=1"]);
        assert_eq!(pairs("t=x,,y%2Cz&u=", true, true), ["t=x", "t=", "t=y,z", "u="]);
        assert_eq!(pairs("t=x,,y", false, true), ["t=x", "t=y"]);
        assert_eq!(pairs("t=x,y", true, false), ["t=x,y"]);
    }

    #[test]
    fn query_parsing_keeps_blanks_and_decodes() {
        let q = parse_query("a=1&b=&c&d=x+y%21&&a=2", &RequestOptions::default());
        let want = [("a", "1"), ("b", ""), ("c", ""), ("d", "x y!"), ("a", "2")];
        assert_eq!(q.len(), want.len());
        for ((k, v), (wk, wv)) in q.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
    }
}
