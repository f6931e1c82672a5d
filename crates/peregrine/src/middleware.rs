//! Middleware: code that runs around every request, in three places.
//!
//! `process_request` runs before routing (in the order middleware was added) and may end the request early
//! with an error or [`Response::complete`]; `process_resource` runs after routing, before the responder, and
//! is told the [`Route`] that matched (URI fields are on the request);
//! `process_response` runs last, in reverse order, for every middleware, told whether the request succeeded.
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
    fn process_request(&self, req: &mut Request, resp: &mut Response) -> impl Future<Output = Result> + Send {
        let _ = (req, resp);
        async { Ok(()) }
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
        async { Ok(()) }
    }

    /// Last, in reverse order of addition; `req_succeeded` is false when an error was raised on the way.
    fn process_response(
        &self,
        req: &mut Request,
        resp: &mut Response,
        req_succeeded: bool,
    ) -> impl Future<Output = Result> + Send {
        let _ = (req, resp, req_succeeded);
        async { Ok(()) }
    }
}

/// [`Middleware`] with its futures boxed, so the app can hold a list of different kinds.
pub(crate) trait DynMiddleware: Send + Sync {
    fn process_request<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result>;
    fn process_resource<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        route: &'a Route,
    ) -> BoxFuture<'a, Result>;
    fn process_response<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response, ok: bool) -> BoxFuture<'a, Result>;
}

impl<M: Middleware> DynMiddleware for M {
    fn process_request<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(Middleware::process_request(self, req, resp))
    }

    fn process_resource<'a>(
        &'a self,
        req: &'a mut Request,
        resp: &'a mut Response,
        route: &'a Route,
    ) -> BoxFuture<'a, Result> {
        Box::pin(Middleware::process_resource(self, req, resp, route))
    }

    fn process_response<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response, ok: bool) -> BoxFuture<'a, Result> {
        Box::pin(Middleware::process_response(self, req, resp, ok))
    }
}
