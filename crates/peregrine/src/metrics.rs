//! Prometheus metrics, on the `prometheus-client` crate: requests by method, route template and status, a
//! latency histogram by method and route, requests in flight, and requests shed by the server.
//!
//! Off unless asked for; when on, each request costs a clock read and two lookups under a read lock. An app
//! adds its own metrics beside these with [`Metrics::register`], built from the [`prometheus_client`] crate
//! this module re-exports (so the versions match).

use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use prometheus_client;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

use crate::resource::{BoxFuture, Resource, ResponderSpec};
use crate::{Request, Response, Result};

/// Latency buckets in seconds, from half a millisecond to ten seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Arc<str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: Arc<str>,
}

struct Inner {
    registry: Registry,
    /// The app's own metrics, without Peregrine's `peregrine_` prefix.
    app: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    shed: Counter,
    unmatched: Arc<str>,
}

/// An app's metrics. Give it to the app with [`App::metrics`](crate::App::metrics) and mount it as a
/// resource to expose them in Prometheus' text format; clones share one registry.
///
/// ```
/// use peregrine::metrics::Metrics;
///
/// let metrics = Metrics::new();
/// let app = peregrine::App::new()
///     .add_route("/metrics", metrics.clone())
///     .metrics(metrics);
/// ```
///
/// Exposed: `peregrine_requests_total{method,route,status}`, `peregrine_request_duration_seconds{method,route}`
/// (histogram), `peregrine_requests_in_flight`, and `peregrine_requests_shed_total` (503s from the server's
/// concurrency limit, which never reach the app). Requests that match no route have `route="-"`.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics in a new registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("peregrine");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor((|| Histogram::new(BUCKETS)) as fn() -> Histogram);
        let in_flight = Gauge::default();
        let shed = Counter::default();
        registry.register("requests", "Requests answered by the app", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time from the request's arrival in the app to its response",
            latency.clone(),
        );
        registry.register("requests_in_flight", "Requests being served now", in_flight.clone());
        registry.register(
            "requests_shed",
            "Requests refused with 503 at the concurrency limit",
            shed.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                app: Mutex::new(Registry::default()),
                requests,
                latency,
                in_flight,
                shed,
                unmatched: Arc::from("-"),
            }),
        }
    }

    /// Adds an app metric, rendered beside Peregrine's under `name` as given (no `peregrine_` prefix; a
    /// counter gets `_total`, as OpenMetrics names counters). `metric` is any [`prometheus_client`] metric
    /// (`Counter`, `Gauge`, `Histogram`, a `Family` of them…); keep a clone to update it, since clones share
    /// their value.
    ///
    /// ```
    /// use peregrine::metrics::prometheus_client::metrics::histogram::Histogram;
    /// use peregrine::metrics::Metrics;
    ///
    /// let metrics = Metrics::new();
    /// let batch_size = Histogram::new([1.0, 2.0, 4.0, 8.0]);
    /// metrics.register("model_batch_size", "Images per model run", batch_size.clone());
    /// batch_size.observe(3.0);
    /// assert!(metrics.render().contains("model_batch_size_bucket{le=\"4.0\"} 1"));
    /// ```
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.inner
            .app
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .register(name, help, metric);
    }

    /// The metrics in Prometheus' (OpenMetrics) text format: Peregrine's, then the app's.
    pub fn render(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        let app = self.inner.app.lock().unwrap_or_else(|e| e.into_inner());
        encode_registry(&mut out, &self.inner.registry)
            .and_then(|()| encode_registry(&mut out, &app))
            .and_then(|()| encode_eof(&mut out))
            .expect("writing to a String cannot fail");
        out
    }

    /// Counts one request refused by the server's concurrency limit.
    pub(crate) fn record_shed(&self) {
        self.inner.shed.inc();
    }

    /// Marks a request in flight until the returned guard is dropped.
    pub(crate) fn start(&self) -> InFlight<'_> {
        self.inner.in_flight.inc();
        InFlight {
            metrics: self,
            started: Instant::now(),
        }
    }
}

/// A request being counted; [`InFlight::finish`] records it, dropping it only frees its in-flight place.
pub(crate) struct InFlight<'a> {
    metrics: &'a Metrics,
    started: Instant,
}

impl InFlight<'_> {
    /// Records the finished request.
    pub(crate) fn finish(self, req: &Request, status: http::StatusCode) {
        let inner = &self.metrics.inner;
        let route = req.uri_template_shared().unwrap_or(&inner.unmatched).clone();
        let method = crate::methods::label(req.method());
        inner
            .latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(self.started.elapsed().as_secs_f64());
        inner
            .requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: status.as_u16(),
            })
            .inc();
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.inner.in_flight.dec();
    }
}

const GET_ONLY: &[ResponderSpec] = &[ResponderSpec::new("GET", "")];

impl Resource for Metrics {
    fn responders(&self) -> &'static [ResponderSpec] {
        GET_ONLY
    }

    fn respond<'a>(&'a self, _index: usize, _req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        resp.set_text(self.render());
        resp.set_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8");
        Box::pin(std::future::ready(Ok(())))
    }
}
