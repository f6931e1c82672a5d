//! Per-request tracing: a `request` span on the `peregrine::request` target (method, path, route, status,
//! microseconds, request id) around everything the app does, and one access-log event per request on the
//! `peregrine::access` target. With no subscriber interested, neither allocates nor reads the clock. With the
//! `otel` feature, the span also carries OpenTelemetry's HTTP fields (`otel.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::StatusCode;
#[cfg(not(feature = "otel"))]
use tracing::field::Empty;
use tracing::level_filters::LevelFilter;
use tracing::{Level, Span};

use crate::Request;

/// Request ids for requests that bring no `X-Request-Id`: a counter, per process.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The longest `X-Request-Id` recorded, in bytes; a longer one is replaced by a counter.
pub(crate) const MAX_REQUEST_ID: usize = 128;

pub(crate) struct RequestTrace {
    span: Span,
    access: bool,
    started: Option<Instant>,
}

impl RequestTrace {
    /// Opens the span (when enabled) for a request that has just arrived; `None` when no subscriber wants
    /// `INFO` from anywhere, which one atomic load tells.
    // PERF: inlined, so that a request without a subscriber pays the one load and no call.
    #[inline]
    pub(crate) fn start(req: &Request) -> Option<Self> {
        if LevelFilter::current() < LevelFilter::INFO {
            return None;
        }
        Some(Self::open(req))
    }

    /// [`RequestTrace::start`] once a subscriber wants `INFO` (every request of an app that logs, so out of
    /// line but not marked cold).
    #[inline(never)]
    fn open(req: &Request) -> Self {
        let access = tracing::enabled!(target: "peregrine::access", Level::INFO);
        #[cfg(not(feature = "otel"))]
        let span = tracing::info_span!(
            target: "peregrine::request",
            "request",
            method = %req.method(),
            path = req.path(),
            request_id = Empty,
            route = Empty,
            status = Empty,
            micros = Empty,
        );
        #[cfg(feature = "otel")]
        let span = crate::otel::request_span(req);
        if !span.is_disabled() {
            // A client's id is kept when it is a reasonable length (a UUID, a trace id); a longer one would let
            // each request write kilobytes into the log, and is replaced by a counter like a missing one.
            match req.get_header("x-request-id").filter(|id| id.len() <= MAX_REQUEST_ID) {
                Some(id) => span.record("request_id", &*id),
                None => span.record("request_id", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            };
        }
        let started = (access || !span.is_disabled()).then(Instant::now);
        RequestTrace { span, access, started }
    }

    /// The request's span, to instrument its work with.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Records the outcome on the span and writes the access-log line.
    pub(crate) fn finish(self, req: &Request, status: StatusCode) {
        let Some(started) = self.started else {
            return;
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let route = req.uri_template().unwrap_or("-");
        self.span.record("route", route);
        self.span.record("status", status.as_u16());
        self.span.record("micros", micros);
        #[cfg(feature = "otel")]
        crate::otel::finish_span(&self.span, req, status);
        if self.access {
            tracing::info!(
                target: "peregrine::access",
                parent: &self.span,
                method = %req.method(),
                path = req.path(),
                route,
                status = status.as_u16(),
                micros,
                peer = %Peer(req.remote_addr()),
            );
        }
    }
}

/// A peer's address for logs: `127.0.0.1:48378`, or `-` when there is none (a Unix socket, the test client).
pub(crate) struct Peer(pub(crate) Option<std::net::SocketAddr>);

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_prints_as_its_address() {
        let addr: std::net::SocketAddr = "127.0.0.1:48378".parse().unwrap();
        assert_eq!(Peer(Some(addr)).to_string(), "127.0.0.1:48378");
        assert_eq!(Peer(None).to_string(), "-");
    }
}

pin_project_lite::pin_project! {
    /// Polls `inner` inside `span`, as `tracing::Instrument` does, borrowing the span rather than owning a
    /// clone of it.
    // PERF: a borrowed span keeps a span's worth of bytes out of every request's heap block.
    pub(crate) struct InSpan<'a, F> {
        span: &'a tracing::Span,
        #[pin]
        inner: F,
    }
}

impl<'a, F> InSpan<'a, F> {
    pub(crate) fn new(span: &'a tracing::Span, inner: F) -> Self {
        InSpan { span, inner }
    }
}

impl<F: std::future::Future> std::future::Future for InSpan<'_, F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        this.inner.poll(cx)
    }
}
