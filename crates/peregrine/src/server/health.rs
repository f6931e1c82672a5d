//! Health endpoints for load balancers and orchestrators: [`Liveness`] ("the process serves requests") and
//! [`Readiness`] ("send me traffic"), which turns to 503 as soon as the server starts draining.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::StatusCode;

use crate::resource::{BoxFuture, Resource, ResponderSpec};
use crate::{Request, Response, Result};

const GET_ONLY: &[ResponderSpec] = &[ResponderSpec::new("GET", "")];

/// Answers `GET` with 200 `{"status":"ok"}` while the process can serve requests at all: mount it at
/// `/health` for a liveness probe.
///
/// ```
/// let app = peregrine::App::new().add_route("/health", peregrine::server::Liveness);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Liveness;

impl Resource for Liveness {
    fn responders(&self) -> &'static [ResponderSpec] {
        GET_ONLY
    }

    fn respond<'a>(&'a self, _index: usize, _req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        status_body(resp, StatusCode::OK, r#"{"status":"ok"}"#);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Answers `GET` with 200 `{"status":"ready"}` until the server it was given to starts shutting down, then
/// 503 `{"status":"draining"}`, so a load balancer stops sending traffic while requests in flight finish.
/// Clones share one state.
///
/// ```
/// use peregrine::server::{Readiness, ServerConfig};
///
/// let readiness = Readiness::new();
/// let app = peregrine::App::new().add_route("/ready", readiness.clone());
/// let config = ServerConfig::new().readiness(readiness);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// Ready, until [`set_draining`](Self::set_draining).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the probe answers 200.
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Acquire)
    }

    /// Makes the probe answer 503 from now on (the server calls it when shutdown begins).
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }
}

impl Resource for Readiness {
    fn responders(&self) -> &'static [ResponderSpec] {
        GET_ONLY
    }

    fn respond<'a>(&'a self, _index: usize, _req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        if self.is_ready() {
            status_body(resp, StatusCode::OK, r#"{"status":"ready"}"#);
        } else {
            status_body(resp, StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

fn status_body(resp: &mut Response, status: StatusCode, json: &'static str) {
    resp.set_status(status);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.set_data(json.as_bytes());
    resp.set_content_type("application/json");
}
