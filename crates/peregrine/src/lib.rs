//! # Peregrine
//!
//! Falcon's design for HTTP APIs, in Rust, with a production server built in.
//!
//! A Peregrine app is a set of **resources**: long-lived values whose async **responders** (`on_get`,
//! `on_post`, …) serve the HTTP methods of the routes they are added to. Responders read the request with
//! plain methods whose failures are already the right 4xx, and fill in the response. Errors are responses.
//!
//! ```
//! use peregrine::testing::TestClient;
//! use peregrine::{App, HttpError, Request, Response, Result, StatusCode};
//!
//! struct Users;
//!
//! #[peregrine::resource]
//! impl Users {
//!     async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
//!         let id: u64 = req.field("id")?;                          // from {id:int}
//!         let verbose = req.get_param_as_bool("verbose")?.unwrap_or(false);
//!         if id == 0 {
//!             return Err(HttpError::not_found().into());
//!         }
//!         resp.set_media(&serde_json::json!({"id": id, "verbose": verbose}))
//!     }
//!
//!     async fn on_delete(&self, _req: &mut Request, resp: &mut Response) -> Result {
//!         resp.set_status(StatusCode::NO_CONTENT);
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let app = App::new().add_route("/users/{id:int}", Users);
//! let client = TestClient::new(app);
//!
//! let ok = client.simulate_get("/users/7?verbose=yes").await;
//! assert_eq!(ok.json::<serde_json::Value>()["verbose"], true);
//!
//! let not_allowed = client.simulate_post("/users/7").await;
//! assert_eq!(not_allowed.status(), 405);
//! assert_eq!(not_allowed.header("allow"), Some("DELETE, GET, HEAD, OPTIONS"));
//! # });
//! ```
//!
//! Serve it from a plain `fn main` with [`run`], which builds the runtime tuned for serving:
//!
//! ```no_run
//! # let app = peregrine::App::new();
//! peregrine::run(app, peregrine::server::ServerConfig::from_env()?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where things live
//! - [`App`]: routes, middleware, error handlers, options.
//! - [`resource`](mod@resource): the `#[resource]` attribute and the [`Resource`] trait.
//! - [`routing`]: URI templates, converters, the compiled router.
//! - [`Request`] / [`Response`]: what responders read and write; [`media`]: the media handlers behind
//!   `req.media()` and `resp.set_media()`; [`RequestOptions`] / [`ResponseOptions`]: how both are read and
//!   written.
//! - [`HttpError`], [`HttpStatus`], [`Error`]: errors as responses.
//! - [`middleware`] (app-wide, or per route with [`RouteSet`]), [`hooks`] (hook factories such as
//!   [`hooks::max_body`]), [`cors`], [`sink`], static files (`static_route`, feature `files`).
//! - Composition: [`App::group`], [`App::mount`], [`App::route_name`] / [`App::url_for`]; work after the
//!   response: [`Response::schedule`]; the app as a tower service (`service`, feature `tower`).
//! - [`testing`], [`server`], [`inspect`] and [`App::route_table`] / [`print_routes_flag`].
//!
//! ## Cargo features
//!
//! None is on by default: the default build is what a JSON API behind a load balancer needs (HTTP/1.1, the
//! router with its `int`, `float`, `uuid` and `path` converters, JSON, cookies, `tracing`).
//!
//! | feature | adds |
//! |---|---|
//! | `brotli` | `br` for `compression` |
//! | `compression` | response compression (`App::compression`): gzip via `async-compression` |
//! | `dates` | the `dt` field converter, `get_param_as_date`/`_datetime`, chrono's date types as URI fields |
//! | `files` | file bodies (`Response::set_file`) and static routes (`App::add_static_route`), streamed and ranged; types by extension via `mime_guess` |
//! | `http2` | HTTP/2: h2c with prior knowledge beside HTTP/1.1, `h2` by ALPN over TLS ([`ServerConfig::http2`](server::ServerConfig::http2)) |
//! | `metrics` | Prometheus metrics (`App::metrics`, the `metrics` module) |
//! | `msgpack` | MessagePack media ([`media::MessagePack`], via `rmp-serde`) |
//! | `multipart` | streamed `multipart/form-data` bodies (`req.multipart()`, via `multer`) |
//! | `otel` | OpenTelemetry HTTP fields on the request span and the incoming `traceparent` honoured (the `otel` module) |
//! | `re` | the `re("...")` field converter; sinks whose prefix is a pattern (`App::add_sink_pattern`) |
//! | `tls` | TLS on rustls ([`ServerConfig::tls`](server::ServerConfig::tls)) |
//! | `tower` | the app as a tower `Service` (`App::into_service`), inside hyper or axum; tower layers around the app in Peregrine's server (`App::layer`) |
//! | `zstd` | `zstd` for `compression` |
//!
//! A setting that needs a feature the build lacks (`PEREGRINE_HTTP2=1` without `http2`, say) makes the
//! server refuse to start, with an error that names the feature.
//!
//! Words: a *field* is a URI template field (`req.field("id")`), a *param* a query parameter
//! (`req.get_param("limit")`), as in Falcon.

mod after_response;
mod app;
mod body;
mod catch_unwind;
#[cfg(feature = "compression")]
mod compression;
mod conditional;
mod error;
mod etag;
#[cfg(feature = "files")]
mod files;
mod forwarded;
mod header_pool;
mod headers;
mod lazy_sleep;
mod macro_support;
mod methods;
#[cfg(feature = "multipart")]
mod multipart;
mod negotiation;
mod options;
#[cfg(feature = "otel")]
pub mod otel;
mod pipeline;
mod query;
mod ranges;
mod render;
mod response;
mod response_headers;
mod route_set;
mod route_table;
mod status;
mod stderr;
mod trace;

pub mod cors;
pub mod hooks;
pub mod inspect;
pub mod media;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod middleware;
pub mod request;
pub mod resource;
pub mod routing;
pub mod server;
#[cfg(feature = "tower")]
pub mod service;
pub mod sink;
#[cfg(feature = "files")]
pub mod static_route;
pub mod testing;

pub use app::{App, RouteGroup, DEFAULT_REQUEST_TIMEOUT};
pub use body::{BodyStream, BoxError};
/// The `bytes` crate's `Bytes`, what bodies are made of (`set_data`, `set_stream`, `body_bytes`), so an app
/// needs no dependency of its own to name it.
pub use bytes::Bytes;
#[cfg(feature = "compression")]
pub use compression::Compression;
pub use error::{Error, HttpError, HttpStatus, Link, Result};
pub use etag::{EntityTag, EntityTags};
pub use forwarded::Forwarded;
pub use hooks::Hook;
pub use inspect::Route;
pub use middleware::Middleware;
#[cfg(feature = "multipart")]
pub use multipart::{Multipart, Part};
pub use options::{
    RequestOptions, ResponseOptions, TrustedProxies, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_FIELDS, DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_MAX_PART_HEADER_SIZE,
};
pub use ranges::ByteRange;
pub use request::Request;
pub use resource::{BoxFuture, Resource, ResponderSpec};
pub use response::Response;
pub use route_set::RouteSet;
pub use route_table::{print_routes_flag, RouteTable};
pub use server::{run, serve, Server};
pub use sink::Sink;
#[cfg(feature = "files")]
pub use static_route::StaticOptions;

pub use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
pub use peregrine_macros::{after, before, resource};

/// The `cookie` crate, for building cookies to set.
pub use cookie;

/// The date types of `Request::get_param_as_date` and `get_param_as_datetime` (from `chrono`; feature `dates`).
#[cfg(feature = "dates")]
pub use chrono::{NaiveDate, NaiveDateTime};
/// The UUID type of [`Request::get_param_as_uuid`] and `{id:uuid}` fields (from `uuid`).
pub use uuid::Uuid;

/// What `#[peregrine::resource]` expands to calls. Not public API.
#[doc(hidden)]
pub mod __macro_support {
    pub use crate::macro_support::*;
    pub use crate::methods::responder_method;
    pub use crate::resource::ResponderFuture;
}

/// Compiles (and runs, where not marked `no_run`) the Rust blocks of the README, so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
