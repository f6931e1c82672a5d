//! Hooks built by a factory: `#[before(max_body(64 * 1024))]`.
//!
//! A hook named by a path (`#[before(check_token)]`) is an `async fn(req, resp)`. A hook written as any other
//! expression, usually a call, is a *hook factory*: the expression is evaluated **once per process**, the
//! first time a resource using it is routed by [`App::add_route`](crate::App::add_route) (its value is kept
//! in a `static`), and the value it gives, a [`Hook`], serves every request of every app that routes the
//! resource. So read configuration that differs between apps from the request or the resource, not in the
//! factory's arguments. The expression cannot read the resource (`self`); it can read constants, statics and anything
//! else in scope where the `impl` block is.
//!
//! A path names an `async fn`; a hook value that needs no arguments is still written as a call
//! (`#[before(audit())]`). The built-in [`max_body`] is such a factory.
//!
//! ```
//! use peregrine::hooks::max_body;
//! use peregrine::{HttpError, Hook, Request, Response, Result};
//!
//! /// Refuses requests whose `header` is missing (a factory of one's own).
//! fn require_header(header: &'static str) -> RequireHeader {
//!     RequireHeader(header)
//! }
//!
//! struct RequireHeader(&'static str);
//!
//! impl Hook for RequireHeader {
//!     async fn call(&self, req: &mut Request, _resp: &mut Response) -> Result {
//!         match req.get_header(self.0) {
//!             Some(_) => Ok(()),
//!             None => Err(HttpError::bad_request().with_title(format!("Missing header {}", self.0)).into()),
//!         }
//!     }
//! }
//!
//! struct Uploads;
//!
//! #[peregrine::resource]
//! impl Uploads {
//!     #[peregrine::before(require_header("x-upload-id"), max_body(64 * 1024))]
//!     async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
//!         let body = req.body_bytes().await?;
//!         resp.set_text(format!("{} bytes", body.len()));
//!         Ok(())
//!     }
//! }
//! ```

use std::future::Future;

use crate::error::Result;
use crate::resource::BoxFuture;
use crate::{Request, Response};

/// A hook value, as a hook factory returns it: called before or after a responder with the request (URI
/// fields included) and the response. A before hook that returns an error, or calls
/// [`Response::complete`], skips the responder; an after hook runs only when the responder succeeded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Peregrine hook",
    label = "a hook factory must return a value whose type implements `peregrine::Hook`",
    note = "implement `async fn call(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result` in `impl peregrine::Hook for {Self}`"
)]
pub trait Hook: Send + Sync + 'static {
    /// Runs the hook.
    fn call(&self, req: &mut Request, resp: &mut Response) -> impl Future<Output = Result> + Send;
}

/// [`Hook`] with its future boxed, so that the macro can keep a factory's value in a `static`.
#[doc(hidden)]
pub trait DynHook: Send + Sync {
    fn call_boxed<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result>;
}

impl<H: Hook> DynHook for H {
    fn call_boxed<'a>(&'a self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(Hook::call(self, req, resp))
    }
}

/// A before hook that lowers (or raises) the body limit of the responders it guards to `bytes`, as
/// [`Request::set_max_body_size`] does: a larger body gets **413 Content Too Large** when it is read.
///
/// ```
/// # use peregrine::{Request, Response, Result};
/// # struct Notes;
/// #[peregrine::resource]
/// impl Notes {
///     #[peregrine::before(peregrine::hooks::max_body(4 * 1024))]
///     async fn on_post(&self, req: &mut Request, _resp: &mut Response) -> Result {
///         req.body_bytes().await?;
///         Ok(())
///     }
/// }
/// ```
#[must_use]
pub fn max_body(bytes: usize) -> MaxBody {
    MaxBody(bytes)
}

/// The hook [`max_body`] builds.
#[derive(Debug, Clone, Copy)]
pub struct MaxBody(usize);

impl Hook for MaxBody {
    async fn call(&self, req: &mut Request, _resp: &mut Response) -> Result {
        req.set_max_body_size(self.0);
        Ok(())
    }
}
