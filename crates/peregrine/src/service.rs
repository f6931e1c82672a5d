//! tower, both ways (feature `tower`): a frozen app is a [`tower_service::Service`] that runs inside any
//! hyper or axum server, under tower and tower-http layers, and `oneshot` drives it in tests and
//! benchmarks ([`App::into_service`]); and Peregrine's own server runs the app inside tower layers
//! ([`App::layer`]).
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
//! when the body is read), and the client address unless the caller puts a
//! [`SocketAddr`](std::net::SocketAddr) in the request's extensions. Under axum's `nest_service`, the app
//! sees the path with the nesting prefix removed.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;

use crate::app::Handler;
use crate::body::{BoxError, HyperBody, ResponseBody};
use crate::pipeline::layered::layer_failed;
use crate::pipeline::Pipeline;
use crate::resource::BoxFuture;
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
        let req = self.pipeline.request_from_http(request);
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

pub use crate::app::LayerBody;

/// The app inside the layers of [`App::layer`]: the next service a layer calls. It serves the request with
/// the app's pipeline, as the server would without layers.
#[derive(Clone)]
pub struct Inner(Handler);

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inner")
    }
}

impl tower_service::Service<http::Request<LayerBody>> for Inner {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Responding;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<LayerBody>) -> Responding {
        Responding((self.0)(request))
    }
}

impl App {
    /// Wraps the app in a tower layer (feature `tower`), for every request the server or the test client
    /// serves: tower-http's `TraceLayer`, `SetRequestIdLayer`, `TimeoutLayer` and the like. The first layer
    /// added is the innermost. A layer sees the request before any of the app's middleware and the response
    /// after all of it; what the server refuses at the door (limits, load shedding) never reaches it.
    ///
    /// A layer's response body may be any body of [`Bytes`]; it is sent as a stream, with its
    /// `Content-Length` when the body knows its size. An error from a layer is answered 500 (the detail
    /// logged). An app without layers pays nothing for this.
    ///
    /// ```
    /// # struct Hello;
    /// # #[peregrine::resource] impl Hello { async fn on_get(&self, _: &mut peregrine::Request, r: &mut peregrine::Response) -> peregrine::Result { r.set_text("hi"); Ok(()) } }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let app = peregrine::App::new()
    ///     .add_route("/", Hello)
    ///     .layer(tower::util::MapResponseLayer::new(|mut response: http::Response<peregrine::service::Body>| {
    ///         response.headers_mut().insert("x-layered", http::HeaderValue::from_static("yes"));
    ///         response
    ///     }));
    /// let client = peregrine::testing::TestClient::new(app);
    /// assert_eq!(client.simulate_get("/").await.header("x-layered"), Some("yes"));
    /// # });
    /// ```
    #[must_use]
    pub fn layer<L, S, B>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<Inner, Service = S> + Send + Sync + 'static,
        S: tower_service::Service<http::Request<LayerBody>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let previous = self.layering.take();
        self.layering = Some(Box::new(move |app: Handler| {
            let inner = match previous {
                Some(previous) => previous(app),
                None => app,
            };
            erase(layer.layer(Inner(inner)))
        }));
        self
    }
}

/// `service` as a [`Handler`]: ready, called, its error a 500, its body streamed.
fn erase<S, B>(service: S) -> Handler
where
    S: tower_service::Service<http::Request<LayerBody>, Response = http::Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Arc::new(move |request| {
        let mut service = service.clone();
        Box::pin(async move {
            if let Err(e) = ReadyOf(&mut service).await {
                return layer_failed(e.into());
            }
            // Boxed at once, so that the layer's future type is not held across an await (the compiler
            // cannot then prove it Send for every lifetime); one allocation, for layered apps only.
            let call: BoxFuture<'static, Result<http::Response<B>, S::Error>> = Box::pin(service.call(request));
            match call.await {
                Ok(response) => {
                    let (mut parts, body) = response.into_parts();
                    if let Some(length) = body.size_hint().exact() {
                        parts
                            .headers
                            .entry(http::header::CONTENT_LENGTH)
                            .or_insert_with(|| http::HeaderValue::from(length));
                    }
                    let stream = http_body_util::BodyDataStream::new(body.map_err(Into::into));
                    http::Response::from_parts(parts, HyperBody::new(ResponseBody::Stream(Box::pin(stream))))
                }
                Err(e) => layer_failed(e.into()),
            }
        })
    })
}

/// Ready when `service` is (tower's `poll_ready` as a future).
struct ReadyOf<'a, S>(&'a mut S);

impl<S> Future for ReadyOf<'_, S>
where
    S: tower_service::Service<http::Request<LayerBody>>,
{
    type Output = Result<(), S::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_ready(cx)
    }
}
