//! Middleware: code that runs around every request, in three places.
//!
//! `process_request` runs before routing (in the order middleware was added) and may end the request early
//! with an error or [`Response::complete`]; `process_resource` runs after routing, before the responder, and
//! is told the [`Route`] that matched (URI fields are on the request);
//! `process_response` runs last, in reverse order, for every middleware, told whether the request succeeded.
//!
//! A phase a middleware does not write costs nothing: the pipeline sees the default and skips it without
//! allocating or polling a future.
//!
//! **App-wide and per-route middleware.** [`App::add_middleware`](crate::App::add_middleware) adds middleware
//! for every request; [`App::add_route_middleware`](crate::App::add_route_middleware) for the routes of a
//! [`RouteSet`](crate::RouteSet) (one template, several, a prefix, all but some). Per-route middleware runs
//! inside the app-wide middleware, once the route is known:
//!
//! ```text
//! app-wide    process_request   a, b            (before routing)
//! routing
//! app-wide    process_resource  a, b
//! per-route   process_request   r, s            (after routing: the route is known)
//! per-route   process_resource  r, s
//! hooks and responder
//! per-route   process_response  s, r            (every per-route middleware of the matched route)
//! app-wide    process_response  b, a            (every app-wide middleware)
//! ```
//!
//! A phase that fails or completes the response skips the phases and the responder below it, never a
//! `process_response`: as Falcon's `independent_middleware=True` (its default), every `process_response` of
//! the app runs, and of the route once it is routed, whether or not that middleware's earlier phases ran. A
//! request that matches no route runs only the app-wide phases (`process_resource` not at all).
//!
//! ```
//! use peregrine::{Middleware, Request, Response, Result};
//!
//! struct Timing;
//!
//! impl Middleware for Timing {
//!     async fn process_response(&self, _req: &mut Request, resp: &mut Response, _ok: bool) -> Result {
//!         resp.set_header("x-served-by", "peregrine")
//!     }
//! }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Result;
use crate::inspect::Route;
use crate::resource::BoxFuture;
use crate::{Request, Response};

/// Request/response processing shared by every route. Every method has a default that does nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not Peregrine middleware",
    label = "this needs `impl peregrine::Middleware for {Self}`",
    note = "middleware implements any of `async fn process_request(&self, req: &mut Request, resp: &mut Response) -> Result`, `process_resource(&self, req, resp, route: &Route)` and `process_response(&self, req, resp, req_succeeded: bool)`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Before routing. Return an error, or call `resp.complete()`, to skip routing and the responder.
    ///
    /// It runs for every request, `OPTIONS` (CORS preflights included) and `OPTIONS *` among them: an
    /// authentication check here should let `OPTIONS` through, or go in `process_resource` or on the routes
    /// that need it ([`App::add_route_middleware`](crate::App::add_route_middleware)).
    fn process_request(&self, req: &mut Request, resp: &mut Response) -> impl Future<Output = Result> + Send {
        let _ = (req, resp);
        Unimplemented
    }

    /// After routing, before hooks and the responder: `route` is the route that matched (its template,
    /// resource type and methods), and the request's URI fields are known. Not called when no route matched
    /// (404). Return an error, or call `resp.complete()`, to skip the responder.
    fn process_resource(
        &self,
        req: &mut Request,
        resp: &mut Response,
        route: &Route,
    ) -> impl Future<Output = Result> + Send {
        let _ = (req, resp, route);
        Unimplemented
    }

    /// Last, in reverse order of addition; `req_succeeded` is false when an error was raised on the way.
    fn process_response(
        &self,
        req: &mut Request,
        resp: &mut Response,
        req_succeeded: bool,
    ) -> impl Future<Output = Result> + Send {
        let _ = (req, resp, req_succeeded);
        Unimplemented
    }
}

/// What a phase a middleware does not write returns: a future that is done at once, and a type the pipeline
/// recognises, so that it neither boxes nor polls it.
pub(crate) struct Unimplemented;

impl Future for Unimplemented {
    type Output = Result;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result> {
        Poll::Ready(Ok(()))
    }
}

/// Whether `future` is the one a phase's default returns. A phase's future borrows the request, so it has no
/// `TypeId`; its type name is the concrete type's once monomorphised.
fn written<F>(_future: &F) -> bool {
    std::any::type_name::<F>() != std::any::type_name::<Unimplemented>()
}

/// Boxes `future`, or gives `None` when it is a phase's default.
// PERF: a phase left at its default costs a call and a compare, not an allocation and a poll.
fn boxed<'a, F: Future<Output = Result> + Send + 'a>(future: F) -> Option<BoxFuture<'a, Result>> {
    if written(&future) {
        Some(Box::pin(future))
    } else {
        None
    }
}

/// [`Middleware`] with its futures boxed, so the app can hold a list of different kinds; `None` for a phase
/// the middleware does not write.
pub(crate) trait DynMiddleware: Send + Sync {
    fn process_request<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> Option<BoxFuture<'a, Result>>;
    fn process_resource<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        route: &'a Route,
    ) -> Option<BoxFuture<'a, Result>>;
    fn process_response<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        ok: bool,
    ) -> Option<BoxFuture<'a, Result>>;
    /// The middleware's type name, for route tables.
    fn name(&self) -> &'static str;
}

impl<M: Middleware> DynMiddleware for M {
    fn process_request<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> Option<BoxFuture<'a, Result>> {
        boxed(Middleware::process_request(self, req, resp))
    }

    fn process_resource<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        route: &'a Route,
    ) -> Option<BoxFuture<'a, Result>> {
        boxed(Middleware::process_resource(self, req, resp, route))
    }

    fn process_response<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        ok: bool,
    ) -> Option<BoxFuture<'a, Result>> {
        boxed(Middleware::process_response(self, req, resp, ok))
    }

    fn name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl Middleware for Quiet {}

    struct Loud;
    impl Middleware for Loud {
        async fn process_response(&self, _req: &mut Request, _resp: &mut Response, _ok: bool) -> Result {
            Ok(())
        }
    }

    #[test]
    fn phases_left_at_their_default_are_recognised() {
        let (head, _) = http::Request::new(()).into_parts();
        let mut req = Request::new(head, crate::body::RequestBody::Full(bytes::Bytes::new()), None, None);
        let mut resp = Response::new();
        assert!(DynMiddleware::process_request(&Quiet, &mut req, &mut resp).is_none());
        assert!(DynMiddleware::process_response(&Quiet, &mut req, &mut resp, true).is_none());
        assert!(DynMiddleware::process_request(&Loud, &mut req, &mut resp).is_none());
        assert!(DynMiddleware::process_response(&Loud, &mut req, &mut resp, true).is_some());
    }
}
