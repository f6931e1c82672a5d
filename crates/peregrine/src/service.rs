//! The app as a [`tower_service::Service`] (feature `tower`): a frozen app runs inside any hyper or axum
//! server, under tower and tower-http layers, and `oneshot` drives it in tests and benchmarks.
//!
//! ```
//! use peregrine::{App, Request, Response, Result};
//! use tower_service::Service;
//!
//! struct Hello;
//!
//! #[peregrine::resource]
//! impl Hello {
//!     async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
//!         resp.set_text("hello");
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let mut service = App::new().add_route("/", Hello).into_service();
//! let request = http::Request::new(http_body_util::Empty::<bytes::Bytes>::new());
//! let response = service.call(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # });
//! ```
//!
//! The service is the same pipeline the server and the test client run: middleware, routing, responders,
//! error rendering, the representation rules, timeouts. What the server adds around it is not there: the
//! connection and head limits, load shedding, the body read before admission (the body limit still holds
//! when the body is read), and the client address unless the caller puts a [`SocketAddr`] in the request's
//! extensions. Under axum's `nest_service`, the app sees the path with the nesting prefix removed.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;

use crate::body::{BoxError, HyperBody, RequestBody};
use crate::pipeline::Pipeline;
use crate::App;

/// The body of the service's responses: an [`http_body::Body`] of [`Bytes`] whose errors are
/// [`BoxError`]s.
pub type Body = HyperBody;

/// A frozen [`App`] as a tower service; cheap to clone (one `Arc`). Made by [`App::into_service`].
#[derive(Clone)]
pub struct AppService {
    pipeline: Arc<Pipeline>,
}

impl std::fmt::Debug for AppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppService").field("app", self.pipeline.app()).finish()
    }
}

impl App {
    /// Freezes the app into a [`tower_service::Service`] over `http::Request<B>` for any body `B` of
    /// [`Bytes`] (feature `tower`); see the [`service`](crate::service) module.
    ///
    /// # Panics
    /// As the server does when it starts: when the app's settings are inconsistent (a per-route middleware
    /// set naming an unknown template, say).
    pub fn into_service(self) -> AppService {
        AppService {
            pipeline: Pipeline::new(self),
        }
    }
}

impl<B> tower_service::Service<http::Request<B>> for AppService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Responding;

    /// Always ready: the app has no capacity of its own to wait for.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Responding {
        let (head, body) = request.into_parts();
        let remote_addr = head.extensions.get::<SocketAddr>().copied();
        let body = if body.is_end_stream() {
            RequestBody::Full(Bytes::new())
        } else {
            RequestBody::Stream(Box::pin(body.map_err(Into::into)))
        };
        let req = self.pipeline.request(head, body, remote_addr);
        Responding(self.pipeline.handle_on_heap(req))
    }
}

/// The future of [`AppService`]'s response; it never fails.
pub struct Responding(Pin<Box<dyn Future<Output = http::Response<Body>> + Send>>);

impl std::fmt::Debug for Responding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responding")
    }
}

impl Future for Responding {
    type Output = Result<http::Response<Body>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}
