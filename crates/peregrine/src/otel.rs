//! OpenTelemetry (feature `otel`): the request span carries the HTTP server semantic conventions, and an
//! incoming W3C `traceparent` becomes its parent, so a request's spans join the caller's trace.
//!
//! Peregrine writes `tracing` spans; `tracing-opentelemetry` turns them into OpenTelemetry spans when the app
//! installs its layer. The request span (target `peregrine::request`) gets, beside its own fields:
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | `GET /users/{id}` (method and route template; the method alone when no route matched) |
//! | `otel.kind` | `server` |
//! | `http.request.method` | the method |
//! | `url.path` | the path |
//! | `url.query` | the query string, when there is one |
//! | `url.scheme` | `http` or `https` |
//! | `network.protocol.version` | `1.1`, `2` |
//! | `http.route` | the matched template |
//! | `http.response.status_code` | the status |
//! | `otel.status_code` | `ERROR` for a 5xx (a 4xx is the client's, per the conventions for servers) |
//!
//! The parent comes from the propagator the app registers (`opentelemetry::global::set_text_map_propagator`,
//! with the SDK's `TraceContextPropagator` for `traceparent`); with none registered, nothing is extracted.
//!
//! Exporting to an OTLP collector is the app's setup, with the `opentelemetry-otlp` crate:
//!
//! ```text
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::prelude::*;
//!
//! let exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().build()?; // OTEL_EXPORTER_OTLP_ENDPOINT
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(exporter).build();
//! opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
//! tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("my-api")))
//!     .with(tracing_subscriber::fmt::layer())
//!     .init();
//! peregrine::run(app, ServerConfig::from_env()?)?;
//! provider.shutdown()?; // flushes the last batch
//! ```
//!
//! The test `tests/otel.rs` does the same with the SDK's in-memory exporter.

use http::StatusCode;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TraceContextExt;
use tracing::field::Empty;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::Request;

/// The request span with the OpenTelemetry fields, its parent taken from the request's trace headers.
pub(crate) fn request_span(req: &Request) -> Span {
    let span = tracing::info_span!(
        target: "peregrine::request",
        "request",
        method = %req.method(),
        path = req.path(),
        request_id = Empty,
        route = Empty,
        status = Empty,
        micros = Empty,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %req.method(),
        url.path = req.path(),
        url.query = Empty,
        url.scheme = req.scheme(),
        network.protocol.version = protocol(req.version()),
        http.route = Empty,
        http.response.status_code = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(query) = req.query_string() {
        span.record("url.query", query);
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(req.headers())));
    // The propagator gives an empty context when the request carries no trace: the span stays a root.
    let _ = span.set_parent(parent);
    span
}

/// Records the outcome in the OpenTelemetry fields.
pub(crate) fn finish_span(span: &Span, req: &Request, status: StatusCode) {
    // The OpenTelemetry span has started by now (it was entered), so its name is changed on it directly: a
    // recorded `otel.name` only renames a span that has not started.
    let name = match req.uri_template() {
        Some(route) => {
            span.record("http.route", route);
            format!("{} {route}", req.method())
        }
        None => req.method().as_str().to_owned(),
    };
    span.context().span().update_name(name);
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

fn protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// The request's headers, as the propagator reads them.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
