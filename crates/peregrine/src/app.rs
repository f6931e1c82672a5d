//! The App: routes, middleware, error handlers and options, assembled once and then frozen for serving.

use std::any::TypeId;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::inspect::Route;
use crate::methods::{self, METHODS, OPTIONS};
use crate::middleware::{DynMiddleware, Middleware};
use crate::options::{RequestOptions, ResponseOptions, DEFAULT_MAX_BODY_SIZE};
use crate::resource::{Resource, ResponderSpec};
use crate::route_set::RouteSet;
use crate::routing::RouteInfo;
use crate::routing::{Converter, ConverterArgs, RouteError, Router};
use crate::sink::{Matcher, Sink, SinkEntry, SinkResource};
use crate::{Request, Response};

/// Default time a request may take, middleware and responder included: 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A Peregrine application: what it routes, and how it treats every request.
///
/// Build it by chaining, then hand it to [`serve`](crate::serve) or to
/// [`TestClient::new`](crate::testing::TestClient::new), which run the same pipeline.
///
/// ```
/// use peregrine::{App, Request, Response, Result};
///
/// struct Things;
///
/// #[peregrine::resource]
/// impl Things {
///     async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
///         resp.set_media(&["a", "b"])
///     }
/// }
///
/// let app = App::new().add_route("/things", Things);
/// assert_eq!(app.routes()[0].template, "/things");
/// ```
pub struct App {
    pub(crate) router: Router<Target>,
    pub(crate) middleware: Vec<Box<dyn DynMiddleware>>,
    /// Apps mounted under a prefix, frozen with this one.
    pub(crate) mounts: Vec<(String, App)>,
    /// Sinks, the last added first (the order they are tried in).
    pub(crate) sinks: Vec<SinkEntry<Target>>,
    /// Middleware for some routes only, attached to them when the app is frozen.
    pub(crate) route_middleware: Vec<(RouteSet, Arc<dyn DynMiddleware>)>,
    pub(crate) error_handlers: Vec<ErrorHandler>,
    pub(crate) options: AppOptions,
    /// Request options when the app changed them (`None`: the defaults, read from a static).
    pub(crate) req_options: Option<Arc<RequestOptions>>,
    /// Response options when the app set them; then `set_media` negotiates.
    pub(crate) resp_options: Option<Arc<ResponseOptions>>,
    /// Response compression, when on.
    #[cfg(feature = "compression")]
    pub(crate) compression: Option<crate::compression::Compression>,
    /// Tower layers around the app (`App::layer`), applied when it is frozen.
    #[cfg(feature = "tower")]
    pub(crate) layering: Option<Layering>,
}

/// The request body a layer added with `App::layer` sees: any body of `Bytes`, boxed (feature `tower`).
#[cfg(feature = "tower")]
pub type LayerBody = http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, crate::body::BoxError>;

/// A service that turns a request into a response, type-erased: the app inside its layers.
#[cfg(feature = "tower")]
pub(crate) type Handler = Arc<
    dyn Fn(http::Request<LayerBody>) -> crate::resource::BoxFuture<'static, http::Response<crate::body::HyperBody>>
        + Send
        + Sync,
>;

/// Builds the layered handler around the app's own pipeline, once the app is frozen.
#[cfg(feature = "tower")]
pub(crate) type Layering = Box<dyn FnOnce(Handler) -> Handler + Send + Sync>;

/// A change a route makes to the app's request options, applied when the app is frozen.
pub(crate) type EditRequestOptions = Arc<dyn Fn(&mut RequestOptions) + Send + Sync>;

/// Per-app settings.
#[derive(Debug, Clone)]
pub(crate) struct AppOptions {
    pub strip_trailing_slash: bool,
    pub request_timeout: Option<Duration>,
    #[cfg(feature = "metrics")]
    pub metrics: Option<crate::metrics::Metrics>,
    /// Print unhandled errors and panics to stderr when no `tracing` subscriber is set.
    pub stderr_fallback: bool,
}

/// What a route serves: the resource, its responder for each method, and the `Allow` values.
pub(crate) struct Target {
    pub resource: Arc<dyn Resource>,
    /// The route as `App::routes` lists it and `process_resource` is told.
    pub route: Route,
    pub responders: [Option<u8>; METHODS.len()],
    /// `Allow` for 405: the methods served (HEAD when GET is), then OPTIONS.
    pub allow_405: HeaderValue,
    /// `Allow` for the default OPTIONS answer: the methods served, without OPTIONS (as Falcon).
    pub allow_options: HeaderValue,
    /// This route's own request timeout, replacing the app's.
    pub timeout: Option<Duration>,
    /// This route's changes to the app's request options, in the order made.
    pub edit_req_options: Vec<EditRequestOptions>,
    /// The request options this route reads with, when it changed them (built from `edit_req_options` over
    /// the app's when the app is frozen).
    pub req_options: Option<Arc<RequestOptions>>,
    /// The middleware of this route alone, in the order added (filled when the app is frozen).
    pub middleware: Box<[Arc<dyn DynMiddleware>]>,
}

/// An error handler, type-erased: `call` returns false when the error is not of its type.
pub(crate) struct ErrorHandler {
    pub type_id: TypeId,
    #[allow(clippy::type_complexity)]
    pub call: Box<dyn Fn(&(dyn std::error::Error + 'static), &Request, &mut Response) -> bool + Send + Sync>,
}

/// Lists the routes (template, resource, methods) and counts the rest.
impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<String> = self.router.routes().map(|(_, t)| t.route.to_string()).collect();
        let mut d = f.debug_struct("App");
        d.field("routes", &routes)
            .field("middleware", &self.middleware.len())
            .field("route_middleware", &self.route_middleware.len())
            .field("error_handlers", &self.error_handlers.len())
            .field("max_body_size", &self.max_body_size_limit())
            .field("strip_url_path_trailing_slash", &self.options.strip_trailing_slash)
            .field("request_timeout", &self.options.request_timeout)
            .field("stderr_fallback", &self.options.stderr_fallback);
        #[cfg(feature = "metrics")]
        d.field("metrics", &self.options.metrics.is_some());
        d.finish()
    }
}

impl Default for App {
    fn default() -> Self {
        App {
            router: Router::new(),
            middleware: Vec::new(),
            mounts: Vec::new(),
            sinks: Vec::new(),
            route_middleware: Vec::new(),
            error_handlers: Vec::new(),
            options: AppOptions {
                strip_trailing_slash: false,
                request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
                #[cfg(feature = "metrics")]
                metrics: None,
                stderr_fallback: true,
            },
            req_options: None,
            resp_options: None,
            #[cfg(feature = "compression")]
            compression: None,
            #[cfg(feature = "tower")]
            layering: None,
        }
    }
}

impl App {
    /// An app with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `template` to `resource` (Falcon's `add_route`).
    ///
    /// # Panics
    /// When the template is invalid, conflicts with an earlier one, or lies under the prefix of a mounted app
    /// (which takes every path under it; see [`App::mount`]), with a message that quotes it; use
    /// [`App::try_add_route`] to get the error instead. Routes are added at start-up, so a bad one stops the
    /// program before it serves anything.
    #[must_use]
    #[track_caller]
    pub fn add_route<R: Resource>(mut self, template: &str, resource: R) -> Self {
        if let Err(e) = self.try_add_route(template, resource) {
            panic!("{e}");
        }
        self
    }

    /// Routes `template` to the responders of `resource` named with `suffix` (`on_get_item` for `"item"`).
    ///
    /// # Panics
    /// As [`App::add_route`], and when the resource has no responder with that suffix.
    #[must_use]
    #[track_caller]
    pub fn add_route_with_suffix<R: Resource>(mut self, template: &str, resource: R, suffix: &str) -> Self {
        if let Err(e) = self.try_add_route_with_suffix(template, resource, suffix) {
            panic!("{e}");
        }
        self
    }

    /// [`App::add_route`] that returns the error instead of panicking.
    pub fn try_add_route<R: Resource>(&mut self, template: &str, resource: R) -> std::result::Result<(), RouteError> {
        self.try_add_route_with_suffix(template, resource, "")
    }

    /// [`App::add_route_with_suffix`] that returns the error instead of panicking.
    pub fn try_add_route_with_suffix<R: Resource>(
        &mut self,
        template: &str,
        resource: R,
        suffix: &str,
    ) -> std::result::Result<(), RouteError> {
        let type_name = resource.name();
        if let Some(prefix) = self.mount_over(template) {
            return Err(RouteError::new(format!(
                "cannot route '{template}' to {type_name}: the app mounted at '{prefix}' takes every path under \
                 it, so the route could never be reached (add it to the mounted app)"
            )));
        }
        resource.prepare_hooks();
        let target = Target::new(Arc::new(resource), template, type_name, suffix)
            .map_err(|why| RouteError::new(format!("cannot route '{template}' to {type_name}: {why}")))?;
        self.router.add(template, target)
    }

    /// Serves every request whose path is under `prefix` (at a segment boundary) with `app`, a sub-app with
    /// its own routes, middleware, error handlers and options. The sub-app routes the path below the prefix
    /// (its templates are written without it), while [`Request::path`] stays the whole path;
    /// [`Request::prefix`] and [`Request::relative_path`] tell it where it is mounted, and
    /// [`Request::url_for`] gives paths with the prefix.
    ///
    /// A mount owns its prefix: a path under it never reaches this app's routes or sinks. This app's
    /// `process_request` runs first and its `process_response` last, around everything the sub-app does (its
    /// own middleware, routing, responders, error handling); so does this app's per-route middleware whose
    /// set holds the prefix. This app's `process_resource` does not run, as this app routed nothing: CORS
    /// preflights to the sub-app are answered by CORS middleware in the sub-app, not here. To this app's
    /// `process_response`, the sub-app's answer is a success (`req_succeeded`) whatever its status. The
    /// sub-app's request timeout and route timeouts apply within this app's. Mounts are tried in the order
    /// added. Route names belong to the app that gave them: `req.url_for` in the sub-app finds its own
    /// (with the prefix), this app's [`App::url_for`] does not.
    ///
    /// ```
    /// use peregrine::testing::TestClient;
    /// use peregrine::{App, Request, Response, Result};
    ///
    /// struct Where;
    ///
    /// #[peregrine::resource]
    /// impl Where {
    ///     async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         resp.set_text(format!("{} under {}", req.relative_path(), req.prefix()));
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let admin = App::new().add_route("/users", Where);
    /// let client = TestClient::new(App::new().mount("/admin", admin));
    /// assert_eq!(client.simulate_get("/admin/users").await.text(), "/users under /admin");
    /// # });
    /// ```
    ///
    /// The prefix is matched literally, segment by segment, against the percent-decoded path; a trailing `/`
    /// is ignored (`"/admin/"` mounts at `/admin`).
    ///
    /// # Panics
    /// When `prefix` does not start with `/`, is `/` alone (that would be the sub-app alone), holds a field
    /// (`{`, `}`: a prefix has none; put the field in the sub-app's templates, or use [`App::group`]), could
    /// never be reached (it is, or lies under, the prefix of an earlier mount, which takes every path under
    /// it: mount the longer prefix first), or would hide a route or a sink's prefix added earlier under it
    /// (add those to the mounted app). A route or sink added later under the prefix panics the same way.
    #[must_use]
    #[track_caller]
    pub fn mount(mut self, prefix: &str, app: App) -> Self {
        let given = prefix;
        let prefix = prefix.trim_end_matches('/');
        assert!(
            prefix.starts_with('/'),
            "mount: the prefix '{given}' must start with '/' and not be '/' alone"
        );
        assert!(
            !prefix.contains(['{', '}']),
            "mount: the prefix '{given}' holds a field; a mount prefix is matched literally, so put fields in the mounted app's templates or use App::group"
        );
        if let Some(earlier) = self.mount_over(prefix) {
            panic!(
                "mount: the prefix '{given}' could never be reached: '{earlier}', mounted earlier, takes every path under it (mount the longer prefix first)"
            );
        }
        let routes = self.router.routes().map(|(info, _)| info.template());
        let sinks = self.sinks.iter().filter_map(|s| s.matcher.prefix());
        if let Some(hidden) = routes.chain(sinks).find(|t| crate::route_set::under_prefix(t, prefix)) {
            panic!(
                "mount: the prefix '{given}' would hide '{hidden}', added earlier: a mount takes every path under its prefix (add it to the mounted app)"
            );
        }
        self.mounts.push((prefix.to_owned(), app));
        self
    }

    /// The prefix of the mount that takes every path under `text` (a template or a prefix), if any.
    fn mount_over(&self, text: &str) -> Option<&str> {
        (self.mounts.iter().map(|(prefix, _)| prefix.as_str()))
            .find(|prefix| crate::route_set::under_prefix(text, prefix))
    }

    /// Adds the routes `build` adds to a [`RouteGroup`] with `prefix` in front of their templates: an API
    /// version, a resource family. Middleware added to the group runs for the routes under the prefix.
    ///
    /// ```
    /// # struct Users;
    /// # #[peregrine::resource] impl Users { async fn on_get(&self, _: &mut peregrine::Request, _: &mut peregrine::Response) -> peregrine::Result { Ok(()) } }
    /// # struct Teams;
    /// # #[peregrine::resource] impl Teams { async fn on_get(&self, _: &mut peregrine::Request, _: &mut peregrine::Response) -> peregrine::Result { Ok(()) } }
    /// let app = peregrine::App::new().group("/api/v1", |api| {
    ///     api.add_route("/users", Users).add_route("/teams/{id}", Teams).route_name("/teams/{id}", "team")
    /// });
    /// assert_eq!(app.routes()[1].template, "/api/v1/teams/{id}");
    /// assert_eq!(app.url_for("team", &[("id", "7")]).unwrap(), "/api/v1/teams/7");
    /// ```
    #[must_use]
    pub fn group(self, prefix: &str, build: impl FnOnce(RouteGroup) -> RouteGroup) -> Self {
        build(RouteGroup {
            app: self,
            prefix: prefix.trim_end_matches('/').to_owned(),
        })
        .app
    }

    /// Sends every request whose path is under `prefix`, whatever its method, to `sink`, when no route
    /// matches the path (Falcon's `add_sink`). `prefix` is literal and matched at a segment boundary (a
    /// trailing `/` is ignored; `"/"` takes every path); sinks are tried from the last added. See the
    /// [`sink`](crate::sink) module for the rules, and [`App::add_sink_pattern`] for Falcon's regular
    /// expressions.
    ///
    /// ```
    /// use peregrine::testing::TestClient;
    /// use peregrine::{App, Request, Response, Result, Sink};
    ///
    /// struct Echo;
    ///
    /// impl Sink for Echo {
    ///     async fn on_request(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         resp.set_text(format!("{} {}", req.method(), req.path()));
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = TestClient::new(App::new().add_sink(Echo, "/echo"));
    /// assert_eq!(client.simulate_delete("/echo/a/b").await.text(), "DELETE /echo/a/b");
    /// assert_eq!(client.simulate_get("/echoes").await.status(), 404);
    /// # });
    /// ```
    ///
    /// # Panics
    /// When `prefix` does not start with `/`, or lies under the prefix of a mounted app (see [`App::mount`]).
    #[must_use]
    #[track_caller]
    pub fn add_sink(self, sink: impl Sink, prefix: &str) -> Self {
        assert!(
            prefix.starts_with('/'),
            "add_sink: the prefix '{prefix}' must start with '/'"
        );
        self.push_sink(sink, Matcher::Prefix(prefix.trim_end_matches('/').to_owned()))
    }

    /// [`App::add_sink`] with Falcon's kind of prefix: a regular expression matched at the start of the
    /// path (so `/files` also takes `/filesystem`), whose named groups (`(?P<id>\d+)`) become URI fields
    /// (feature `re`).
    ///
    /// # Panics
    /// When `pattern` is not a valid regular expression (or compiles to more than 1 MiB).
    #[cfg(feature = "re")]
    #[must_use]
    #[track_caller]
    pub fn add_sink_pattern(self, sink: impl Sink, pattern: &str) -> Self {
        match Matcher::pattern(pattern) {
            Ok(matcher) => self.push_sink(sink, matcher),
            Err(e) => panic!("add_sink_pattern: '{pattern}' is not a valid pattern: {e}"),
        }
    }

    #[track_caller]
    fn push_sink<S: Sink>(self, sink: S, matcher: Matcher) -> Self {
        self.push_prefix_resource(SinkResource(sink), matcher)
    }

    /// Adds `resource` as the first prefix route tried (sinks and static routes share one list).
    ///
    /// # Panics
    /// When the prefix lies under a mount's, which takes every path under it.
    #[track_caller]
    fn push_prefix_resource<R: Resource>(mut self, resource: R, matcher: Matcher) -> Self {
        if let Some(mount) = matcher.prefix().and_then(|prefix| self.mount_over(prefix)) {
            panic!(
                "the prefix '{}' could never be reached: the app mounted at '{mount}' takes every path under it (add it to the mounted app)",
                matcher.text()
            );
        }
        let text = matcher.text().to_owned();
        let info = Arc::new(RouteInfo::named(&text, matcher.field_names()));
        let type_name = resource.name();
        let target = Target::new(Arc::new(resource), &text, type_name, "").expect("a prefix route has responders");
        self.sinks.insert(0, SinkEntry { matcher, info, target });
        self
    }

    /// Serves the files under `directory` at paths under `prefix` (Falcon's `add_static_route`; feature
    /// `files`): `GET /static/css/site.css` sends `directory/css/site.css`, typed by its extension, with
    /// `ETag` and `Last-Modified` (so 304), ranges (206) and HEAD, streamed with bounded memory. Paths that
    /// could leave the directory (`..`, `%2e%2e`, backslashes, NUL, symbolic links pointing out) get 404;
    /// the [`static_route`](crate::static_route) module lists the rules and the one race they leave. A
    /// static route is tried as a sink is: after every route, the last added (sink or static route) first.
    ///
    /// ```no_run
    /// use peregrine::{App, StaticOptions};
    ///
    /// let app = App::new()
    ///     .add_static_route("/static", "/srv/site/static", StaticOptions::default())
    ///     .add_static_route("/", "/srv/site/app", StaticOptions::default().fallback_filename("index.html"));
    /// # let _ = app;
    /// ```
    ///
    /// # Panics
    /// When `prefix` does not start with `/` or lies under a mounted app's prefix, `directory` is not a
    /// directory, or the fallback file is not a plain relative path.
    #[cfg(feature = "files")]
    #[must_use]
    #[track_caller]
    pub fn add_static_route(
        self,
        prefix: &str,
        directory: impl AsRef<std::path::Path>,
        options: crate::static_route::StaticOptions,
    ) -> Self {
        assert!(
            prefix.starts_with('/'),
            "add_static_route: the prefix '{prefix}' must start with '/'"
        );
        let route = match crate::static_route::StaticRoute::new(prefix, directory.as_ref(), options) {
            Ok(route) => route,
            Err(e) => panic!("add_static_route: {e}"),
        };
        self.push_prefix_resource(route, Matcher::Prefix(prefix.trim_end_matches('/').to_owned()))
    }

    /// Registers a field converter for the templates added after this call. A name already registered, a
    /// built-in one (`int`, `float`, …) included, is taken over; templates added before keep their converter,
    /// even where they share a prefix with later ones (`/a/{n:int}/x` before, `/a/{n:int}/y` after).
    /// The built-in converters are listed in [`routing`](crate::routing).
    ///
    /// ```
    /// use peregrine::routing::{Converter, FieldValue};
    ///
    /// struct Upper;
    /// impl Converter for Upper {
    ///     fn convert(&self, segment: &str) -> Option<FieldValue> {
    ///         segment.chars().all(|c| c.is_ascii_uppercase()).then_some(FieldValue::Text)
    ///     }
    /// }
    /// let app = peregrine::App::new().add_converter("upper", |_args| Ok(Upper));
    /// ```
    ///
    /// # Panics
    /// When `name` is not an identifier, or is `path` (the rest of the path, not a converter).
    #[must_use]
    #[track_caller]
    pub fn add_converter<C, F>(mut self, name: &str, factory: F) -> Self
    where
        C: Converter,
        F: Fn(&mut ConverterArgs) -> std::result::Result<C, String> + Send + Sync + 'static,
    {
        let factory: crate::routing::ConverterFactory =
            Arc::new(move |args| factory(args).map(|c| Arc::new(c) as Arc<dyn Converter>));
        if let Err(e) = self.router.add_converter(name, factory) {
            panic!("{e}");
        }
        self
    }

    /// Adds middleware; `process_request` and `process_resource` run in the order added, `process_response`
    /// in reverse.
    #[must_use]
    pub fn add_middleware(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Box::new(middleware));
        self
    }

    /// Answers cross-origin requests from any origin, without credentials (Falcon's `cors_enable=True`):
    /// the same as `add_middleware(CorsMiddleware::new())`. See [`cors`](crate::cors) for the rules and
    /// [`CorsMiddleware`](crate::cors::CorsMiddleware) for narrower settings.
    #[must_use]
    pub fn cors_enable(self) -> Self {
        self.add_middleware(crate::cors::CorsMiddleware::new())
    }

    /// Adds middleware for the routes in `routes` only: authentication everywhere but `/health`, an audit
    /// log under `/admin`. It runs inside the app-wide middleware, once the request is routed: its
    /// `process_request` and `process_resource` after the app-wide `process_resource`, its `process_response`
    /// before the app-wide ones (the [`middleware`](crate::middleware) module draws the order). Several
    /// attached to one route run in the order added. The set is matched against the templates when the app
    /// starts serving, so routes added later are included.
    ///
    /// **Sinks, static routes and mounts** belong to a set by their own prefix, not by the paths they take:
    /// a sink at `/` is not in `RouteSet::prefix("/admin")`, although it answers `/admin/other`, and a
    /// pattern sink is in a set only by its pattern's text. Guard such catch-alls with app-wide middleware.
    /// A mounted app whose prefix is in the set runs inside the middleware: its `process_request` before
    /// the mounted app, its `process_response` after it (`process_resource` does not run: this app routed
    /// nothing).
    ///
    /// ```
    /// use peregrine::{App, Middleware, Request, Response, Result, RouteSet};
    /// # struct Health; #[peregrine::resource] impl Health { async fn on_get(&self, _: &mut Request, _: &mut Response) -> Result { Ok(()) } }
    /// # struct Users; #[peregrine::resource] impl Users { async fn on_get(&self, _: &mut Request, _: &mut Response) -> Result { Ok(()) } }
    ///
    /// struct RequireToken;
    ///
    /// impl Middleware for RequireToken {
    ///     async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
    ///         req.get_header("x-token").map(|_| ()).ok_or_else(|| peregrine::HttpError::unauthorized().into())
    ///     }
    /// }
    ///
    /// let app = App::new()
    ///     .add_route("/health", Health)
    ///     .add_route("/users", Users)
    ///     .add_route_middleware(RouteSet::all().except(["/health"]), RequireToken);
    /// assert_eq!(app.routes()[1].middleware.len(), 1);
    /// ```
    ///
    /// # Panics
    /// When the app starts serving, if `routes` names a template (in [`RouteSet::template`],
    /// [`RouteSet::templates`] or [`RouteSet::except`]) that no route, sink, static route or mount has: a
    /// typo would otherwise leave a route unguarded.
    #[must_use]
    pub fn add_route_middleware(mut self, routes: RouteSet, middleware: impl Middleware) -> Self {
        self.route_middleware.push((routes, Arc::new(middleware)));
        self
    }

    /// Handles errors of type `E` (or errors whose `source()` chain holds an `E`) with `handler`, which
    /// fills in the response, typically with [`Response::set_error`]. The handler for the outermost error
    /// in the chain wins; registering one for the same type again replaces it. A handler for
    /// [`HttpError`](crate::HttpError) replaces the default rendering.
    ///
    /// ```
    /// # #[derive(Debug)] struct StorageError;
    /// # impl std::fmt::Display for StorageError { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str("x") } }
    /// # impl std::error::Error for StorageError {}
    /// use peregrine::{App, HttpError};
    ///
    /// let app = App::new().add_error_handler(|_e: &StorageError, _req, resp| {
    ///     resp.set_error(HttpError::service_unavailable().with_title("Storage is resting"));
    /// });
    /// ```
    #[must_use]
    pub fn add_error_handler<E, F>(mut self, handler: F) -> Self
    where
        E: std::error::Error + 'static,
        F: Fn(&E, &Request, &mut Response) + Send + Sync + 'static,
    {
        let type_id = TypeId::of::<E>();
        self.error_handlers.retain(|h| h.type_id != type_id);
        self.error_handlers.push(ErrorHandler {
            type_id,
            call: Box::new(move |error, req, resp| match error.downcast_ref::<E>() {
                Some(e) => {
                    handler(e, req, resp);
                    true
                }
                None => false,
            }),
        });
        self
    }

    /// The largest request body read by `req.body_bytes()`/`req.media()` (default 1 MiB); larger gets 413.
    /// The same setting as [`RequestOptions::max_body_size`].
    #[must_use]
    pub fn max_body_size(self, bytes: usize) -> Self {
        self.req_options(|o| o.max_body_size = bytes)
    }

    /// Changes how requests are read (Falcon's `req_options`): media handlers, query-string rules, body
    /// limits. See [`RequestOptions`] for each setting and its default.
    ///
    /// ```
    /// use peregrine::media::UrlEncodedForm;
    /// let app = peregrine::App::new().req_options(|o| {
    ///     o.keep_blank_qs_values = false;
    ///     o.max_json_depth = 16;
    ///     o.media_handlers.insert("application/vnd.acme.form", UrlEncodedForm);
    /// });
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn req_options(mut self, change: impl FnOnce(&mut RequestOptions)) -> Self {
        let mut options = self.req_options.take().map(Arc::unwrap_or_clone).unwrap_or_default();
        change(&mut options);
        self.req_options = Some(Arc::new(options));
        self
    }

    /// Compresses responses with gzip (and `br`, `zstd` with the features of those names) when the client's
    /// `Accept-Encoding` takes them and the response is of a type and size `settings` name (feature
    /// `compression`; off by default). Adds `Vary: Accept-Encoding`, sends the encoded body chunked, and
    /// makes a strong `ETag` weak (the encoded bytes are another representation). Never compresses a HEAD,
    /// a 206, a body that already has a `Content-Encoding`, or one marked `Cache-Control: no-transform`.
    #[cfg(feature = "compression")]
    #[must_use]
    pub fn compression(mut self, settings: crate::compression::Compression) -> Self {
        self.compression = Some(settings);
        self
    }

    /// Changes how responses are written (Falcon's `resp_options`): the media types `resp.set_media()`
    /// negotiates between, and cookie defaults. See [`ResponseOptions`].
    ///
    /// # Panics
    /// When `default_media_type` has no handler in `media_handlers`.
    #[must_use]
    #[track_caller]
    pub fn resp_options(mut self, change: impl FnOnce(&mut ResponseOptions)) -> Self {
        let mut options = self.resp_options.take().map(Arc::unwrap_or_clone).unwrap_or_default();
        change(&mut options);
        assert!(
            options.media_handlers.get(&options.default_media_type).is_some(),
            "resp_options: the default media type '{}' has no handler",
            options.default_media_type
        );
        self.resp_options = Some(Arc::new(options));
        self
    }

    /// Changes the request options of the routes added with `template`: a larger body limit for an upload
    /// route, a shallower JSON bound for a public one. The change applies over the app's request options as
    /// they are when the app starts serving, whatever the order of the calls; the route's options take over
    /// once the request is routed (`process_request` middleware sees the app's).
    ///
    /// ```
    /// # struct Uploads;
    /// # #[peregrine::resource] impl Uploads {
    /// #     async fn on_post(&self, _: &mut peregrine::Request, _: &mut peregrine::Response) -> peregrine::Result { Ok(()) }
    /// # }
    /// let app = peregrine::App::new()
    ///     .add_route("/uploads", Uploads)
    ///     .route_req_options("/uploads", |o| o.max_body_size = 2 << 30);
    /// # let _ = app;
    /// ```
    ///
    /// # Panics
    /// When no route has that template: call it after `add_route`.
    #[must_use]
    #[track_caller]
    pub fn route_req_options(
        mut self,
        template: &str,
        change: impl Fn(&mut RequestOptions) + Send + Sync + 'static,
    ) -> Self {
        let change: EditRequestOptions = Arc::new(change);
        let mut found = false;
        for (info, target) in self.router.routes_mut() {
            if info.template() == template {
                target.edit_req_options.push(change.clone());
                found = true;
            }
        }
        assert!(
            found,
            "route_req_options: no route has the template '{template}'; add the route first"
        );
        self
    }

    /// Names the routes added with `template`, for reverse routing: [`App::url_for`] and
    /// [`Request::url_for`] build their paths from the name and field values.
    ///
    /// ```
    /// # struct Users;
    /// # #[peregrine::resource] impl Users { async fn on_get(&self, _: &mut peregrine::Request, _: &mut peregrine::Response) -> peregrine::Result { Ok(()) } }
    /// let app = peregrine::App::new()
    ///     .add_route("/users/{id:int}", Users)
    ///     .route_name("/users/{id:int}", "user");
    /// assert_eq!(app.url_for("user", &[("id", "7")]).unwrap(), "/users/7");
    /// ```
    ///
    /// # Panics
    /// When no route has that template or the name is taken: call it after `add_route`.
    #[must_use]
    #[track_caller]
    pub fn route_name(mut self, template: &str, name: &str) -> Self {
        if let Err(e) = self.router.name_route(template, name) {
            panic!("route_name: {e}");
        }
        self
    }

    /// The path of the route named `name` (see [`App::route_name`]) with its URI fields filled from
    /// `fields`, `(name, value)` pairs: each value percent-encoded for a path segment (a `{rest:path}` field
    /// keeps its `/`), and checked by its field's converter, so the path routes back to the same route with
    /// the same values.
    ///
    /// # Errors
    /// A [`RouteError`] when no route has that name, a field is missing or empty, a value does not fit
    /// its converter (`"abc"` for `{id:int}`), or `fields` names a field the template does not have.
    pub fn url_for(&self, name: &str, fields: &[(&str, &str)]) -> std::result::Result<String, RouteError> {
        self.router.url_for(name, fields)
    }

    /// Builds each route's own request options from the app's, once the app is complete, and records the
    /// media types of each route for `process_resource` to see.
    pub(crate) fn freeze_route_options(&mut self) {
        self.attach_route_middleware();
        let names = self.router.share_names();
        for sink in &self.sinks {
            sink.info.set_names(&names);
        }
        let returns = self.returned_media_types();
        let built: Vec<(Option<Arc<RequestOptions>>, Vec<String>)> = self
            .router
            .routes()
            .map(|(_, target)| {
                let options = self.route_options(target);
                let accepts = options.media_handlers.media_types().map(str::to_owned).collect();
                let own = (!target.edit_req_options.is_empty()).then(|| Arc::new(options));
                (own, accepts)
            })
            .collect();
        for ((_, target), (own, accepts)) in self.router.routes_mut().zip(built) {
            target.req_options = own;
            target.route.accepts = accepts;
            target.route.returns = returns.clone();
        }
    }

    /// Gives each route the per-route middleware whose set holds it.
    ///
    /// # Panics
    /// When a set names a template no route has.
    fn attach_route_middleware(&mut self) {
        let known: Vec<&str> = (self.router.routes().map(|(info, _)| info.template()))
            .chain(self.sinks.iter().map(|s| s.matcher.text()))
            .chain(self.mounts.iter().map(|(prefix, _)| prefix.as_str()))
            .collect();
        for (set, _) in &self.route_middleware {
            if let Some(unknown) = set.unknown_templates(&known).next() {
                panic!(
                    "add_route_middleware: no route, sink or mount has the template '{unknown}' (templates are compared as written, converter arguments included; the app has: {})",
                    known.join(", ")
                );
            }
        }
        let attached: Vec<Box<[Arc<dyn DynMiddleware>]>> = self
            .router
            .routes()
            .map(|(info, _)| self.middleware_of(info.template()).collect())
            .collect();
        for ((_, target), middleware) in self.router.routes_mut().zip(attached) {
            target.route.middleware = middleware.iter().map(|m| m.name()).collect();
            target.middleware = middleware;
        }
        let for_sinks: Vec<Box<[Arc<dyn DynMiddleware>]>> = self
            .sinks
            .iter()
            .map(|sink| self.middleware_of(sink.matcher.text()).collect())
            .collect();
        for (sink, middleware) in self.sinks.iter_mut().zip(for_sinks) {
            sink.target.route.middleware = middleware.iter().map(|m| m.name()).collect();
            sink.target.middleware = middleware;
        }
    }

    /// The per-route middleware of the route (or sink) `template`, in the order added.
    pub(crate) fn middleware_of<'a>(&'a self, template: &'a str) -> impl Iterator<Item = Arc<dyn DynMiddleware>> + 'a {
        self.route_middleware
            .iter()
            .filter(move |(set, _)| set.contains(template))
            .map(|(_, m)| Arc::clone(m))
    }

    /// Route `/things/` as `/things` (Falcon's `strip_url_path_trailing_slash`; default off).
    #[must_use]
    pub fn strip_url_path_trailing_slash(mut self, strip: bool) -> Self {
        self.options.strip_trailing_slash = strip;
        self
    }

    /// How long a request may take, from the first middleware to the last (default 30 s; `None`: no limit).
    ///
    /// When it runs out, the responder's future is dropped, so whatever it awaited is cancelled, and the client
    /// gets **504 Gateway Timeout** (a responder nearly always waits on something upstream, and 504 keeps
    /// "too slow" apart from the 503 of load shedding in logs and metrics). `process_response` middleware
    /// still runs. The test client applies it too.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.options.request_timeout = timeout;
        self
    }

    #[cfg(feature = "metrics")]
    /// Records Prometheus metrics for every request into `metrics` (see [`Metrics`](crate::metrics::Metrics));
    /// mount a clone as a resource to expose them.
    #[must_use]
    pub fn metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.options.metrics = Some(metrics);
        self
    }

    /// Whether an unhandled error or a panic (each answered 500) is printed to stderr when no `tracing`
    /// subscriber is set (default on). Their detail never goes to the client; with a subscriber it goes to
    /// the `tracing` log as an `ERROR` event, and without one this line is all Peregrine prints (for a panic,
    /// Rust's panic hook prints its own message first, unless the app replaces the hook). Peregrine installs
    /// no global subscriber itself. (The server's one `listening on …` line at start, and the line for a
    /// streamed body whose stream fails, go to stderr the same way whatever this says: the app is not known
    /// when the server binds, nor when a body is sent.)
    #[must_use]
    pub fn stderr_fallback(mut self, on: bool) -> Self {
        self.options.stderr_fallback = on;
        self
    }

    /// Gives the routes added with `template` their own request timeout, longer or shorter than the app's
    /// (an upload route, a report that takes a minute). It counts from the start of the request.
    ///
    /// # Panics
    /// When no route has that template: call it after `add_route`.
    #[must_use]
    #[track_caller]
    pub fn route_timeout(mut self, template: &str, timeout: Duration) -> Self {
        let mut found = false;
        for (info, target) in self.router.routes_mut() {
            if info.template() == template {
                target.timeout = Some(timeout);
                found = true;
            }
        }
        assert!(
            found,
            "route_timeout: no route has the template '{template}'; add the route first"
        );
        self
    }

    /// The route table: template, resource type, suffix and methods served, in the order added.
    pub fn routes(&self) -> Vec<Route> {
        self.router
            .routes()
            .map(|(_, target)| {
                let mut route = target.route.clone();
                let options = self.route_options(target);
                route.accepts = options.media_handlers.media_types().map(str::to_owned).collect();
                route.returns = self.returned_media_types();
                route.middleware = self.middleware_of(&route.template).map(|m| m.name()).collect();
                route
            })
            .collect()
    }

    /// The app's body limit (its request options', else the default): what the server reads before
    /// admission.
    pub(crate) fn max_body_size_limit(&self) -> usize {
        self.req_options
            .as_ref()
            .map_or(DEFAULT_MAX_BODY_SIZE, |o| o.max_body_size)
    }

    /// The request options `target` reads with: the app's, changed by the route's own edits.
    fn route_options(&self, target: &Target) -> RequestOptions {
        let mut options = self.req_options.as_deref().cloned().unwrap_or_default();
        for change in &target.edit_req_options {
            change(&mut options);
        }
        options
    }

    /// What `set_media` can write: the response handlers' types, the default first.
    fn returned_media_types(&self) -> Vec<String> {
        match &self.resp_options {
            Some(o) => {
                let mut types = vec![o.default_media_type.clone()];
                types.extend(
                    o.media_handlers
                        .media_types()
                        .filter(|t| *t != o.default_media_type)
                        .map(str::to_owned),
                );
                types
            }
            None => vec![crate::media::JSON.to_owned()],
        }
    }
}

impl Target {
    fn new(
        resource: Arc<dyn Resource>,
        template: &str,
        type_name: &'static str,
        suffix: &str,
    ) -> std::result::Result<Self, String> {
        let specs: &[ResponderSpec] = resource.responders();
        let mut responders = [None; METHODS.len()];
        for (i, spec) in specs.iter().enumerate().filter(|(_, s)| s.suffix == suffix) {
            let m = methods::index_of_name(spec.method)
                .ok_or_else(|| format!("'{}' is not a method Peregrine serves", spec.method))?;
            responders[m] = Some(u8::try_from(i).map_err(|_| "more than 255 responders".to_owned())?);
        }
        if responders.iter().all(Option::is_none) {
            let wanted = if suffix.is_empty() {
                "no responders (on_get, on_post, ...)".to_owned()
            } else {
                format!("no responders for suffix '{suffix}' (on_get_{suffix}, on_post_{suffix}, ...)")
            };
            return Err(format!("the resource has {wanted}"));
        }
        let served = |m: usize| responders[m].is_some() || (m == methods::HEAD && responders[methods::GET].is_some());
        let methods: Vec<&'static str> = (0..METHODS.len()).filter(|&m| served(m)).map(|m| METHODS[m]).collect();
        let without_options: Vec<&str> = methods.iter().copied().filter(|m| *m != "OPTIONS").collect();
        let mut with_options = methods.clone();
        if !served(OPTIONS) {
            with_options.push("OPTIONS");
        }
        let header =
            |list: &[&str]| HeaderValue::try_from(list.join(", ")).expect("method names are valid header text");
        Ok(Target {
            resource,
            route: Route {
                template: template.to_owned(),
                resource: type_name,
                suffix: suffix.to_owned(),
                methods,
                accepts: Vec::new(),
                returns: Vec::new(),
                middleware: Vec::new(),
            },
            responders,
            allow_405: header(&with_options),
            allow_options: header(&without_options),
            timeout: None,
            edit_req_options: Vec::new(),
            req_options: None,
            middleware: Box::new([]),
        })
    }
}

/// Routes added under a shared prefix ([`App::group`]).
#[must_use]
#[derive(Debug)]
pub struct RouteGroup {
    app: App,
    prefix: String,
}

impl RouteGroup {
    fn full(&self, template: &str) -> String {
        match template {
            "" | "/" if !self.prefix.is_empty() => self.prefix.clone(),
            _ => format!("{}{template}", self.prefix),
        }
    }

    /// [`App::add_route`] with the group's prefix in front of `template` (`"/"` is the prefix itself).
    ///
    /// # Panics
    /// As [`App::add_route`].
    #[track_caller]
    pub fn add_route<R: Resource>(mut self, template: &str, resource: R) -> Self {
        let full = self.full(template);
        self.app = self.app.add_route(&full, resource);
        self
    }

    /// [`App::add_route_with_suffix`] with the group's prefix in front of `template`.
    ///
    /// # Panics
    /// As [`App::add_route_with_suffix`].
    #[track_caller]
    pub fn add_route_with_suffix<R: Resource>(mut self, template: &str, resource: R, suffix: &str) -> Self {
        let full = self.full(template);
        self.app = self.app.add_route_with_suffix(&full, resource, suffix);
        self
    }

    /// [`App::route_name`] for a template of this group (written without the prefix).
    ///
    /// # Panics
    /// As [`App::route_name`].
    #[track_caller]
    pub fn route_name(mut self, template: &str, name: &str) -> Self {
        let full = self.full(template);
        self.app = self.app.route_name(&full, name);
        self
    }

    /// Middleware for every route under the group's prefix (per-route middleware on
    /// [`RouteSet::prefix`], so it also covers routes under the prefix added elsewhere).
    pub fn add_middleware(mut self, middleware: impl Middleware) -> Self {
        let routes = RouteSet::prefix(&self.prefix);
        self.app = self.app.add_route_middleware(routes, middleware);
        self
    }

    /// A group inside this one.
    pub fn group(mut self, prefix: &str, build: impl FnOnce(RouteGroup) -> RouteGroup) -> Self {
        let prefix = self.full(prefix);
        self.app = self.app.group(&prefix, build);
        self
    }
}
