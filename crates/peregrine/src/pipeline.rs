//! The way of a request, shared by the server and the test client:
//!
//! ```text
//! process_request (in order; may complete the response or fail)
//!   -> route: path -> resource + URI fields, else a sink (the last added first), else 404
//!   -> process_resource (in order)
//!   -> the route's own middleware: process_request, then process_resource (in order)
//!   -> responder (with its hooks), or HEAD via GET, or the default OPTIONS, or 405 / 501
//!   -> on error: the handler registered for its type, else HttpError rendered per Accept, else 500
//!   -> on success, a GET/HEAD 200 with ETag or Last-Modified: 304 or 412 when its conditions say so
//!   -> process_response (reverse order, told whether the request succeeded): the route's, then the app's
//!   -> compression, when the app turned it on
//!   -> HEAD, 204 and 304 send no body (HEAD keeps the Content-Length its GET would have)
//! ```
//!
//! A panic anywhere on that way becomes a 500 with a generic body; the detail goes to the log. A request that
//! outlives its timeout (the route's, else the app's) has its future dropped and gets 504, or 408 and a close
//! when it was still reading its body (the client is the slow party).

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::time::Instant;

use crate::catch_unwind::CatchUnwind;

use http::header::{self, HeaderMap, HeaderValue};
use http::StatusCode;

use crate::app::{App, Target};
use crate::body::{HyperBody, RequestBody, ResponseBody};
use crate::error::{ErrorParts, HttpError};
use crate::header_pool;
use crate::headers::accept_of;
use crate::methods::{self, GET, HEAD, OPTIONS};
use crate::middleware::DynMiddleware;
use crate::render::{render_error, PrerenderedError};
use crate::resource::BoxFuture;
use crate::routing::{Captures, Fields};
use crate::trace::{InSpan, RequestTrace};
use crate::{conditional, ranges};
use crate::{Error, Request, Response, Result};

/// A frozen app, shared by every connection.
pub(crate) struct Pipeline {
    app: App,
    /// `Allow` for `OPTIONS *`: every method some route, sink or mounted app serves, then OPTIONS (RFC 9110
    /// §9.3.7).
    allow_any_route: HeaderValue,
    /// The methods behind `allow_any_route`, by [`methods::index`], for the app this one is mounted in.
    served: [bool; methods::METHODS.len()],
    /// Apps mounted under a prefix (without a trailing `/`), in the order mounted.
    mounts: Vec<Mount>,
    /// Whether this app is mounted in another (its requests carry a prefix).
    mounted: bool,
    /// The app inside its tower layers (`App::layer`), when it has some.
    #[cfg(feature = "tower")]
    layered: Option<crate::app::Handler>,
}

/// The body of [`Pipeline::handle`] and of the future [`Pipeline::handle_on_heap`] boxes, written once:
/// `$pipeline` (a `&Pipeline` or an `Arc<Pipeline>`) serves `$req` (a `&mut Request`), start to finish, and
/// the expression is the `http::Response`. Inside an `async` body; the layered path returns from it.
macro_rules! serve {
    ($pipeline:expr, $req:expr) => {{
        let (pipeline, req): (&Pipeline, &mut Request) = (&$pipeline, $req);
        #[cfg(feature = "tower")]
        if let Some(layered) = &pipeline.layered {
            if req.context().get::<layered::InsideLayers>().is_none() {
                return layered(layered::into_http(req)).await;
            }
        }
        #[cfg(feature = "metrics")]
        let in_flight = pipeline.app.options.metrics.as_ref().map(|m| m.start());
        let trace = RequestTrace::start(req);
        let mut resp = Response::new();
        match &trace {
            Some(trace) => InSpan::new(trace.span(), pipeline.run(req, &mut resp)).await,
            None => pipeline.run(req, &mut resp).await,
        }
        #[cfg(feature = "compression")]
        if let Some(settings) = &pipeline.app.compression {
            crate::compression::apply(settings, req.method(), req.headers(), &mut resp);
        }
        #[cfg(feature = "metrics")]
        if let Some(in_flight) = in_flight {
            in_flight.finish(req, resp.status());
        }
        if let Some(trace) = trace {
            trace.finish(req, resp.status());
        }
        header_pool::give_back(&mut req.head.headers);
        finish(req.method(), resp)
    }};
}

impl Pipeline {
    pub(crate) fn new(app: App) -> Arc<Self> {
        Self::build(app, false)
    }

    fn build(mut app: App, mounted: bool) -> Arc<Self> {
        app.freeze_route_options();
        let mounts: Vec<Mount> = std::mem::take(&mut app.mounts)
            .into_iter()
            .map(|(prefix, child)| Mount {
                middleware: app.middleware_of(&prefix).collect(),
                pipeline: Pipeline::build(child, true),
                prefix,
            })
            .collect();
        let mut served = [false; methods::METHODS.len()];
        let targets = app.router.routes().map(|(_, target)| target);
        for target in targets.chain(app.sinks.iter().map(|sink| &sink.target)) {
            for name in &target.route.methods {
                if let Some(i) = methods::index_of_name(name) {
                    served[i] = true;
                }
            }
        }
        for mount in &mounts {
            for (here, there) in served.iter_mut().zip(mount.pipeline.served) {
                *here |= there;
            }
        }
        served[methods::OPTIONS] = true;
        let allow: Vec<&str> = (0..served.len())
            .filter(|&i| served[i])
            .map(|i| methods::METHODS[i])
            .collect();
        let allow_any_route = HeaderValue::try_from(allow.join(", ")).expect("method names are valid header text");
        #[cfg(feature = "tower")]
        let layering = app.layering.take();
        Arc::new_cyclic(|_pipeline| Pipeline {
            app,
            allow_any_route,
            served,
            mounts,
            mounted,
            #[cfg(feature = "tower")]
            layered: layering.map(|layering| layering(layered::app_handler(_pipeline.clone()))),
        })
    }

    /// The request the pipeline serves, from what hyper (or the test client) parsed.
    #[inline]
    pub(crate) fn request(
        &self,
        head: http::request::Parts,
        body: RequestBody,
        remote_addr: Option<SocketAddr>,
    ) -> Request {
        Request::new(head, body, self.app.req_options.clone(), remote_addr)
    }

    /// The request the pipeline serves, from an `http` request with any body of bytes (a tower caller's): the
    /// client's address from a [`SocketAddr`] in its extensions, when there is one.
    #[cfg(feature = "tower")]
    pub(crate) fn request_from_http<B>(&self, request: http::Request<B>) -> Request
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<crate::body::BoxError>,
    {
        use http_body_util::BodyExt;
        let (head, body) = request.into_parts();
        let remote_addr = head.extensions.get::<SocketAddr>().copied();
        let body = if body.is_end_stream() {
            RequestBody::Full(bytes::Bytes::new())
        } else {
            RequestBody::Stream(Box::pin(body.map_err(Into::into)))
        };
        self.request(head, body, remote_addr)
    }

    /// Serves one request, start to finish. The caller owns the request, so its state is stored once, in the
    /// caller's future, rather than once more in this one's arguments.
    pub(crate) async fn handle(&self, req: &mut Request) -> http::Response<HyperBody> {
        serve!(self, req)
    }

    /// The app's part of serving a request, on `resp` (fresh, or as the parent app left it): its middleware,
    /// routing, the responder, error handling and the representation rules, within its timeouts. A mounted
    /// app's part is nested in its parent's.
    async fn run(&self, req: &mut Request, resp: &mut Response) {
        if let Some(options) = &self.app.resp_options {
            resp.negotiate(options.clone(), req.headers().get(header::ACCEPT).cloned());
        }
        let routed = AtomicU32::new(NOT_ROUTED);
        let dispatch = CatchUnwind::new(self.dispatch(req, resp, &routed));
        let outcome = Deadline::new(dispatch, self, &routed).await;
        let succeeded = match outcome {
            Some(Ok(Ok(()))) => true,
            Some(Ok(Err(e))) => {
                self.handle_error(e, req, resp);
                false
            }
            Some(Err(panic)) => {
                self.handle_panic(panic, req, resp);
                false
            }
            // Timed out while the request body was still arriving: the client is the slow party (408).
            None if req.body.is_unfinished() => {
                tracing::debug!(method = %req.method(), path = req.path(), "request body timed out; answering 408");
                *resp = Response::new();
                resp.set_error(crate::body::body_timed_out());
                false
            }
            None => {
                tracing::warn!(
                    method = %req.method(),
                    path = req.path(),
                    route = req.uri_template().unwrap_or("-"),
                    "request timed out; answering 504"
                );
                *resp = Response::new();
                resp.set_error(HttpError::gateway_timeout());
                false
            }
        };
        if succeeded {
            self.representation_rules(req, resp);
        }
        self.render_pending_error(req, resp);

        // The matched route's own middleware, then the app's, each in reverse order of addition.
        let routed = self.target(routed.load(Ordering::Relaxed));
        if let Some(target) = routed.filter(|t| !t.middleware.is_empty()) {
            for middleware in target.middleware.iter().rev() {
                self.process_response(&**middleware, req, resp, succeeded).await;
            }
        }
        for middleware in self.app.middleware.iter().rev() {
            self.process_response(&**middleware, req, resp, succeeded).await;
        }
    }

    /// Hands the request to the app mounted at its path, when there is one.
    fn mount_for(&self, req: &Request) -> Option<&Mount> {
        let path = if self.mounted { req.relative_path() } else { req.path() };
        self.mounts
            .iter()
            .find(|mount| crate::route_set::under_prefix(path, &mount.prefix))
    }

    /// Serves the request with the mounted app, inside this app's per-route middleware whose set holds the
    /// mount's prefix: their `process_request` before the mounted app, their `process_response` after it.
    /// An error there is handled by this app; to this app's own middleware, the mounted app's answer is a
    /// success whatever its status.
    // PERF: boxed, as the call is recursive, and so that apps without mounts do not carry it in their future.
    fn serve_mounted<'a>(
        &'a self,
        mount: &'a Mount,
        req: &'a mut Request,
        resp: &'a mut Response,
    ) -> BoxFuture<'a, Result> {
        Box::pin(async move {
            req.enter_mount(mount.prefix.len());
            let child = &mount.pipeline;
            if let Some(options) = &child.app.req_options {
                req.set_options(options.clone());
            }
            let mut outcome: std::result::Result<Result, Box<dyn std::any::Any + Send>> = Ok(Ok(()));
            for middleware in mount.middleware.iter() {
                let Some(phase) = middleware.process_request(req, resp) else {
                    continue;
                };
                outcome = CatchUnwind::new(phase).await;
                if !matches!(outcome, Ok(Ok(()))) || resp.is_complete() {
                    break;
                }
            }
            let succeeded = match outcome {
                Ok(Ok(())) => {
                    if !resp.is_complete() {
                        child.run(req, resp).await;
                    }
                    true
                }
                Ok(Err(e)) => {
                    self.handle_error(e, req, resp);
                    false
                }
                Err(panic) => {
                    self.handle_panic(panic, req, resp);
                    false
                }
            };
            self.render_pending_error(req, resp);
            for middleware in mount.middleware.iter().rev() {
                self.process_response(&**middleware, req, resp, succeeded).await;
            }
            Ok(())
        })
    }

    /// Runs one middleware's `process_response`, turning its error or panic into the response.
    async fn process_response(&self, middleware: &dyn DynMiddleware, req: &mut Request, resp: &mut Response, ok: bool) {
        let Some(phase) = middleware.process_response(req, resp, ok) else {
            return;
        };
        match CatchUnwind::new(phase).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.handle_error(e, req, resp),
            Err(panic) => self.handle_panic(panic, req, resp),
        }
        self.render_pending_error(req, resp);
    }

    /// Serves `req` as [`handle`](Self::handle) does, with the request and its future in one heap block rather
    /// than in the connection's own future.
    ///
    /// Why: every request writes that state afresh, and a connection's future sits wherever the connection
    /// was allocated, cold in the CPU's caches once there are hundreds of connections, while the allocator
    /// hands out the block the previous request freed, still warm. The block stays within the sizes glibc's
    /// malloc keeps in a cache per thread (1,032 bytes; a unit test checks): a larger one takes malloc's
    /// slower path. The block also holds a handle on the pipeline, so the future borrows nothing and the
    /// server's per-request future around it stays a few words (`server::serving`).
    // PERF: figures for the heap block are in bench/NOTES.md ("Per-request heap block").
    pub(crate) fn handle_on_heap(
        self: &Arc<Self>,
        mut req: Request,
    ) -> Pin<Box<impl Future<Output = http::Response<HyperBody>> + 'static>> {
        let pipeline = Arc::clone(self);
        // PERF: allocated first, so that the future is written into the block, not built aside and copied in.
        let block = Box::new_uninit();
        // PERF: `handle`'s body in this future, not awaited inside it: one future level fewer.
        Box::into_pin(Box::write(block, async move {
            let req = &mut req;
            serve!(pipeline, req)
        }))
    }

    /// The app being served.
    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    /// The app's metrics, when it records them.
    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(&self) -> Option<&crate::metrics::Metrics> {
        self.app.options.metrics.as_ref()
    }

    /// Renders `error` as the answer to a request the pipeline will not run (shed at the door, say), honouring
    /// its `Accept`. No middleware runs, and no [`Request`] is built.
    pub(crate) fn reject(&self, head: &http::request::Parts, error: &PrerenderedError) -> http::Response<HyperBody> {
        let mut resp = Response::new();
        error.render(accept_of(&head.headers), &mut resp);
        finish(&head.method, resp)
    }

    /// Runs the request's stages up to its responder; `routed` is told the route once it is known.
    async fn dispatch(&self, req: &mut Request, resp: &mut Response, routed: &AtomicU32) -> Result {
        for middleware in &self.app.middleware {
            let Some(phase) = middleware.process_request(req, resp) else {
                continue;
            };
            phase.await?;
            if resp.is_complete() {
                return Ok(());
            }
        }

        if req.decode_path().is_err() {
            return Err(HttpError::bad_request()
                .with_title("Invalid path")
                .with_description(
                    "The request path has a `%` not followed by two hex digits, or is not valid UTF-8 once \
                     percent-decoded.",
                )
                .into());
        }
        if !self.mounts.is_empty() {
            if let Some(mount) = self.mount_for(req) {
                return self.serve_mounted(mount, req, resp).await;
            }
        }
        let Some((code, target)) = self.route(req) else {
            return self.no_route(req, resp);
        };
        routed.store(code, Ordering::Relaxed);
        if let Some(options) = &target.req_options {
            req.set_options(options.clone());
        }
        if req.auto_parses_form() {
            // PERF: boxed, so that the rare form read does not grow every request's future.
            Box::pin(req.parse_form_into_params()).await?;
        }

        for middleware in &self.app.middleware {
            let Some(phase) = middleware.process_resource(req, resp, &target.route) else {
                continue;
            };
            phase.await?;
            if resp.is_complete() {
                return Ok(());
            }
        }
        if !target.middleware.is_empty() {
            Self::route_middleware(target, req, resp).await?;
            if resp.is_complete() {
                return Ok(());
            }
        }

        let Some(method) = methods::index(req.method()) else {
            return Err(HttpError::not_implemented()
                .with_description(format!("The method {} is not recognized by this server.", req.method()))
                .into());
        };
        let responder = match target.responders[method] {
            Some(i) => Some(i),
            None if method == HEAD => target.responders[GET],
            None => None,
        };
        match responder {
            Some(i) => target.resource.respond_unboxed(usize::from(i), req, resp).await,
            None if method == OPTIONS => {
                resp.set_status(StatusCode::OK);
                resp.headers_mut().insert(header::ALLOW, target.allow_options.clone());
                resp.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
                Ok(())
            }
            None => Err(HttpError::method_not_allowed_with(target.allow_405.clone()).into()),
        }
    }

    /// The matched route's own middleware: `process_request`, then `process_resource`, each in order. Stops
    /// at an error or a completed response.
    // PERF: boxed, so that apps without per-route middleware do not carry its state in every request's future.
    fn route_middleware<'a>(target: &'a Target, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(async move {
            for middleware in target.middleware.iter() {
                let Some(phase) = middleware.process_request(req, resp) else {
                    continue;
                };
                phase.await?;
                if resp.is_complete() {
                    return Ok(());
                }
            }
            for middleware in target.middleware.iter() {
                let Some(phase) = middleware.process_resource(req, resp, &target.route) else {
                    continue;
                };
                phase.await?;
                if resp.is_complete() {
                    return Ok(());
                }
            }
            Ok(())
        })
    }

    /// The answer when no route matches: `OPTIONS *` asks about the server as a whole (RFC 9110 §9.3.7) and
    /// gets 200 with every method some route serves; `*` with another method, or an authority-form target
    /// (`a.example:443`) with a method other than CONNECT, is 400 "Invalid request-target" (RFC 9112 §3.2.3,
    /// §3.2.4); anything else is 404.
    #[cold]
    fn no_route(&self, req: &Request, resp: &mut Response) -> Result {
        let asterisk = req.raw_path() == "*";
        // The asterisk form is only for OPTIONS, the authority form (`host:port`) only for CONNECT (RFC 9112
        // §3.2.3, §3.2.4); neither names a resource.
        let authority_form = req.head.uri.scheme().is_none() && req.head.uri.authority().is_some();
        if (asterisk && req.method() != http::Method::OPTIONS)
            || (authority_form && req.method() != http::Method::CONNECT)
        {
            return Err(HttpError::bad_request()
                .with_title("Invalid request-target")
                .with_description("The asterisk form is for OPTIONS only, the authority form for CONNECT only.")
                .into());
        }
        if !asterisk {
            return Err(HttpError::not_found().into());
        }
        resp.set_status(StatusCode::OK);
        resp.headers_mut().insert(header::ALLOW, self.allow_any_route.clone());
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        Ok(())
    }

    /// The rules RFC 9110 sets for a GET or HEAD answered 200, applied when the response opts in by its
    /// headers: with `ETag` or `Last-Modified`, conditional requests (304, 412); with `Accept-Ranges:
    /// bytes`, ranges (206, 416). Not when the responder left an error to render.
    #[inline]
    fn representation_rules(&self, req: &Request, resp: &mut Response) {
        let method = req.method();
        if resp.status() != StatusCode::OK
            || !(*method == http::Method::GET || *method == http::Method::HEAD)
            || resp.error.is_some()
        {
            return;
        }
        // PERF: one pass over the (few) response headers instead of three hashed lookups on every GET.
        let opted_in = resp
            .headers()
            .keys()
            .any(|n| n == header::ETAG || n == header::LAST_MODIFIED || n == header::ACCEPT_RANGES);
        if opted_in {
            self.apply_representation_rules(req, resp);
        }
    }

    #[inline(never)]
    fn apply_representation_rules(&self, req: &Request, resp: &mut Response) {
        // With compression on, the 200 may be sent encoded: its validators and Vary are set now, so that a
        // 304 carries the ones the encoded 200 would have, and an encoded body is never ranged (a range is
        // of one representation's bytes; RFC 9110 §14.2 lets a server ignore Range).
        #[cfg(feature = "compression")]
        let encoded = self
            .app
            .compression
            .as_ref()
            .is_some_and(|c| crate::compression::prepare(c, req.headers(), resp));
        #[cfg(not(feature = "compression"))]
        let encoded = false;
        let headers = resp.headers();
        if headers.contains_key(header::ETAG) || headers.contains_key(header::LAST_MODIFIED) {
            conditional::answer_with_validators(req.method(), req.headers(), resp);
        }
        if !encoded && resp.status() == StatusCode::OK && resp.headers().contains_key(header::ACCEPT_RANGES) {
            ranges::answer(req.method(), req.headers(), resp);
        }
    }

    /// Finds the route for the request's path and records its URI fields on the request.
    /// Returns the target with its code for [`Pipeline::target`].
    fn route(&self, req: &mut Request) -> Option<(u32, &Target)> {
        // An authority-form target (`host:port`, no path) and the asterisk form (`*`) name no route and no sink;
        // `no_route` answers them.
        if !req.path().starts_with('/') {
            return None;
        }
        // PERF: only a mounted app looks for its prefix, which rides in the request's context.
        let (prefix_len, path_len) = if self.mounted {
            (req.prefix_len(), req.path().len())
        } else {
            (0, 0)
        };
        let (mut path, fields) = req.path_below_and_fields(prefix_len);
        if self.app.options.strip_trailing_slash && path.len() > 1 {
            path = path.strip_suffix('/').unwrap_or(path);
        }
        fields.captures.clear();
        let Some(index) = self.app.router.find_index(path, &mut fields.captures) else {
            fields.info = None;
            return self.sink(req, prefix_len);
        };
        let entry = self.app.router.entry(index);
        shift_captures(&mut fields.captures, prefix_len, path_len);
        fields.info = Some(entry.info.clone());
        Some((route_code(index), &entry.value))
    }

    /// The target a code from [`Pipeline::route`] stands for; `None` for [`NOT_ROUTED`].
    #[inline]
    fn target(&self, code: u32) -> Option<&Target> {
        match code {
            NOT_ROUTED => None,
            c if c & SINK != 0 => Some(&self.app.sinks[(c & !SINK) as usize].target),
            c => Some(&self.app.router.entry(c as usize - 1).value),
        }
    }

    /// The sink that takes the request's path, when no route did; records its fields on the request.
    fn sink(&self, req: &mut Request, prefix_len: usize) -> Option<(u32, &Target)> {
        let path = req.path_below(prefix_len);
        let (index, mut captures) =
            (self.app.sinks.iter().enumerate()).find_map(|(i, s)| Some((i, s.matcher.matches(path)?)))?;
        shift_captures(&mut captures, prefix_len, req.path().len());
        let sink = &self.app.sinks[index];
        req.fields = Fields {
            info: Some(sink.info.clone()),
            captures,
        };
        Some((
            SINK | u32::try_from(index).expect("fewer than 2^31 sinks"),
            &sink.target,
        ))
    }

    fn handle_error(&self, error: Error, req: &Request, resp: &mut Response) {
        match error.into_parts() {
            ErrorParts::Http(e) => {
                if !self.run_handler(&*e, req, resp) {
                    resp.set_error(*e);
                }
            }
            ErrorParts::Status(s) => {
                resp.set_status(s.status);
                for (name, value) in s.headers {
                    resp.headers_mut().insert(name, value);
                }
                match s.text {
                    Some(text) => resp.set_text(text),
                    None => resp.body = ResponseBody::Empty,
                }
            }
            ErrorParts::Other(e) => {
                let mut link: Option<&(dyn std::error::Error + 'static)> = Some(&*e);
                while let Some(current) = link {
                    if self.run_handler(current, req, resp) {
                        return;
                    }
                    link = current.source();
                }
                self.report_500(req, "unhandled error", &ErrorChain(&*e));
                resp.set_error(HttpError::internal_server_error());
            }
        }
    }

    /// Logs why `req` is answered 500 (`what`, and `detail`, which never reaches the client): an `ERROR`
    /// event, and one stderr line when no `tracing` subscriber is set.
    fn report_500(&self, req: &Request, what: &str, detail: &dyn std::fmt::Display) {
        let route = req.uri_template().unwrap_or("-");
        tracing::error!(method = %req.method(), path = req.path(), route, detail = %detail, "{what}; answering 500");
        crate::stderr::fallback_to_stderr(
            self.app.options.stderr_fallback,
            format_args!(
                "{what}; answering 500: {} {} (route {route}): {detail}",
                req.method(),
                req.path()
            ),
        );
    }

    fn run_handler(&self, error: &(dyn std::error::Error + 'static), req: &Request, resp: &mut Response) -> bool {
        self.app.error_handlers.iter().any(|h| (h.call)(error, req, resp))
    }

    fn handle_panic(&self, panic: Box<dyn Any + Send>, req: &Request, resp: &mut Response) {
        let message = crate::catch_unwind::panic_message(&*panic);
        self.report_500(req, "panic while serving a request", &message);
        *resp = Response::new();
        resp.set_error(HttpError::internal_server_error());
    }

    #[inline]
    fn render_pending_error(&self, req: &Request, resp: &mut Response) {
        if let Some(error) = resp.error.take() {
            render_error(&error, req.accept(), resp);
        }
    }
}

/// An app mounted under a prefix, with the per-route middleware of its parent whose set holds the prefix.
struct Mount {
    /// The prefix, without a trailing `/`.
    prefix: String,
    pipeline: Arc<Pipeline>,
    middleware: Box<[Arc<dyn DynMiddleware>]>,
}

/// [`Pipeline::route`]'s code for "no route yet".
const NOT_ROUTED: u32 = 0;
/// The bit of a route code that marks a sink; the rest is the sink's index.
const SINK: u32 = 1 << 31;

/// The code of the route at `index` in the router.
fn route_code(index: usize) -> u32 {
    u32::try_from(index + 1)
        .ok()
        .filter(|c| c & SINK == 0)
        .expect("fewer than 2^31 routes")
}

/// Moves captures found in the path below a mount prefix of `prefix_len` bytes to their place in the whole
/// path.
#[inline]
fn shift_captures(captures: &mut Captures, prefix_len: usize, path_len: usize) {
    if prefix_len > 0 {
        let by = u32::try_from(prefix_len).expect("a prefix shorter than the path");
        // A path that is the prefix itself was matched as `/`, which is not in the path: what the match took
        // from it is empty, at the path's end.
        let stand_in = path_len == prefix_len;
        for capture in captures.iter_mut() {
            (capture.start, capture.end) = if stand_in {
                (by, by)
            } else {
                (capture.start + by, capture.end + by)
            };
        }
    }
}

/// Turns the finished [`Response`] into what hyper sends.
fn finish(method: &http::Method, mut resp: Response) -> http::Response<HyperBody> {
    let scheduled = resp.take_scheduled();
    let (status, mut headers, body) = resp.into_parts();
    // PERF: a 200 to anything but HEAD, the usual answer, takes one comparison of each.
    let body = if status == StatusCode::OK && method != http::Method::HEAD {
        // A body of known length reports it as an exact size hint, from which hyper writes Content-Length
        // itself, with no header value to allocate here.
        body
    } else {
        body_to_send(method, status, &mut headers, body)
    };
    let mut body = HyperBody::new(body);
    if let Some(tasks) = scheduled {
        crate::after_response::attach(&mut body, tasks);
    }
    let mut out = http::Response::new(body);
    *out.status_mut() = status;
    // PERF: the empty map `http::Response::new` made has no allocation to drop (a unit test checks).
    std::mem::forget(std::mem::replace(out.headers_mut(), headers));
    out
}

/// The body a response sends when it is not a 200 to a method other than HEAD, by RFC 9110's rules.
fn body_to_send(
    method: &http::Method,
    status: StatusCode,
    headers: &mut HeaderMap,
    body: ResponseBody,
) -> ResponseBody {
    if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::RESET_CONTENT {
        // No content in these (RFC 9110 §15.2, §15.3.5, §15.3.6), so nothing describes any: the body is dropped;
        // hyper sends a 205 with `Content-Length: 0` and the others without one.
        headers.remove(header::CONTENT_LENGTH);
        headers.remove(header::CONTENT_TYPE);
        ResponseBody::Empty
    } else if status == StatusCode::NOT_MODIFIED {
        ResponseBody::Empty
    } else if method == http::Method::HEAD {
        // The length the GET body would have had; hyper sends no body for HEAD.
        if let Some(length) = body.known_length() {
            headers
                .entry(header::CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(length));
        }
        ResponseBody::Empty
    } else {
        body
    }
}

struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

pin_project_lite::pin_project! {
    /// Polls a request's future against its timeout: the app's, or the route's own once routing has told
    /// `route` the route. Resolves to `None` when time runs out, after dropping the future, so that a panic in
    /// the drop of one of its locals is caught and logged like a panic in the responder (the answer stays
    /// 504).
    ///
    /// The clock starts the first time the request has to wait: a request that completes in its first poll
    /// never reads the clock nor touches the timer wheel, which keeps the fast path free of both.
    struct Deadline<'a, F> {
        #[pin]
        inner: Option<F>,
        pipeline: &'a Pipeline,
        routed: &'a AtomicU32,
        timer: Option<Pin<Box<Timer>>>,
    }
}

pin_project_lite::pin_project! {
    /// A deadline's clock, started on the first wait: when it started, and its sleep.
    struct Timer {
        start: Instant,
        #[pin]
        sleep: tokio::time::Sleep,
    }
}

impl<'a, F> Deadline<'a, F> {
    fn new(inner: F, pipeline: &'a Pipeline, routed: &'a AtomicU32) -> Self {
        Deadline {
            inner: Some(inner),
            pipeline,
            routed,
            timer: None,
        }
    }
}

impl<F: Future> Future for Deadline<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(v) = inner.poll(cx) {
            return Poll::Ready(Some(v));
        }
        let pipeline = *this.pipeline;
        let route_timeout = pipeline
            .target(this.routed.load(Ordering::Relaxed))
            .and_then(|t| t.timeout);
        let limit = route_timeout.or(pipeline.app.options.request_timeout);
        let Some(limit) = limit else {
            return Poll::Pending;
        };
        let timer = this.timer.get_or_insert_with(|| {
            let start = Instant::now();
            Box::pin(Timer {
                start,
                sleep: tokio::time::sleep_until(start + limit),
            })
        });
        let mut timer = timer.as_mut().project();
        let deadline = *timer.start + limit;
        if timer.sleep.deadline() != deadline {
            timer.sleep.as_mut().reset(deadline);
        }
        match timer.sleep.poll(cx) {
            Poll::Ready(()) => {
                drop_timed_out(this.inner, pipeline);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Drops a request's future that ran out of time, catching a panic in the drop of one of its locals.
#[cold]
fn drop_timed_out<F>(mut inner: Pin<&mut Option<F>>, pipeline: &Pipeline) {
    // An assignment whose drop panics still stores the new value, so `inner` is `None` either way.
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| inner.set(None))) {
        let message = crate::catch_unwind::panic_message(&*panic);
        tracing::error!(panic = %message, "panic while dropping a timed-out request's future; answering 504");
        crate::stderr::fallback_to_stderr(
            pipeline.app.options.stderr_fallback,
            format_args!("panic while dropping a timed-out request's future; answering 504: {message}"),
        );
    }
}

/// Tower layers around the app (`App::layer`, feature `tower`): the request handed to them, and the app's
/// own pipeline as their innermost service.
#[cfg(feature = "tower")]
pub(crate) mod layered {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::BodyExt;

    use super::Pipeline;
    use crate::app::{Handler, LayerBody};
    use crate::body::{BoxError, HyperBody, RequestBody, ResponseBody};
    use crate::resource::BoxFuture;

    /// The request, back in `http`'s shape, for the layers.
    pub(crate) fn into_http(req: &mut crate::Request) -> http::Request<LayerBody> {
        let head = std::mem::replace(&mut req.head, http::Request::new(()).into_parts().0);
        let body = match std::mem::replace(&mut req.body, RequestBody::Full(Bytes::new())) {
            RequestBody::Full(bytes) => http_body_util::Full::new(bytes)
                .map_err(|never| match never {})
                .boxed_unsync(),
            RequestBody::Stream(stream) => stream.boxed_unsync(),
            RequestBody::Reading => http_body_util::Empty::new()
                .map_err(|never| match never {})
                .boxed_unsync(),
        };
        let mut request = http::Request::from_parts(head, body);
        if let Some(addr) = req.remote_addr() {
            request.extensions_mut().insert(addr);
        }
        request
    }

    /// Marks a request the layers have already seen, so that the app inside them serves it itself.
    pub(crate) struct InsideLayers;

    /// The app's own pipeline as the innermost [`Handler`]; weak, as the pipeline holds the layers.
    pub(crate) fn app_handler(pipeline: std::sync::Weak<Pipeline>) -> Handler {
        Arc::new(
            move |request: http::Request<LayerBody>| -> BoxFuture<'static, http::Response<HyperBody>> {
                let Some(pipeline) = pipeline.upgrade() else {
                    return Box::pin(async { layer_failed("the app is gone".into()) });
                };
                let mut req = pipeline.request_from_http(request);
                req.context_mut().insert(InsideLayers);
                pipeline.handle_on_heap(req)
            },
        )
    }

    /// The 500 for an error a layer returned; its detail goes to the log only.
    pub(crate) fn layer_failed(error: BoxError) -> http::Response<HyperBody> {
        tracing::error!(error = %error, "a tower layer around the app failed; answering 500");
        let mut response = http::Response::new(HyperBody::new(ResponseBody::Empty));
        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest block glibc's malloc serves from its per-thread cache.
    const HEAP_STATE_MAX: usize = 1032;

    #[test]
    fn the_header_map_of_a_new_http_response_has_no_allocation() {
        // `finish` forgets this map instead of dropping it: it must own no memory (`HeaderMap::new` allocates
        // nothing, and a map that never allocated has no capacity).
        assert_eq!(http::Response::new(()).headers().capacity(), 0);
    }

    #[test]
    fn a_request_and_its_future_fit_the_allocators_thread_cache() {
        let pipeline = Pipeline::new(App::new());
        let head = http::Request::new(()).into_parts().0;
        let req = pipeline.request(head, RequestBody::Full(bytes::Bytes::new()), None);
        let state = pipeline.handle_on_heap(req);
        let size = std::mem::size_of_val(&*state);
        assert!(
            size <= HEAP_STATE_MAX,
            "the request and its future take {size} bytes, over {HEAP_STATE_MAX}: shrink Request or the pipeline's future"
        );
    }
}
