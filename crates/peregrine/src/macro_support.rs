//! What `#[peregrine::resource]` expands to calls (through `peregrine::__macro_support`). Not public API:
//! names here may change at any time.
//!
//! The traits exist to turn a wrong signature into a sentence: a responder or hook whose signature does not
//! fit fails a bound whose `on_unimplemented` message says what to write.

use std::future::Future;

use crate::error::Result;
use crate::resource::{BoxFuture, ResponderFuture};
use crate::{Request, Response};

/// A function that can serve as a responder of resource `R`.
#[diagnostic::on_unimplemented(
    message = "this is not a valid responder",
    label = "a responder must be `async fn on_<method>(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result`",
    note = "responders borrow the request and response mutably and return `peregrine::Result` (that is, `Result<(), peregrine::Error>`); the future must be Send, so do not hold an `Rc` or a `std::sync::MutexGuard` across `.await`"
)]
pub trait Responder<'a, R: 'a> {
    /// Calls the responder, its future in place when small ([`ResponderFuture`]).
    fn call(self, resource: &'a R, req: &'a mut Request, resp: &'a mut Response) -> ResponderFuture<'a>;
}

impl<'a, R: 'a, F, Fut> Responder<'a, R> for F
where
    F: FnOnce(&'a R, &'a mut Request, &'a mut Response) -> Fut,
    Fut: Future<Output = Result> + Send + 'a,
{
    #[inline]
    fn call(self, resource: &'a R, req: &'a mut Request, resp: &'a mut Response) -> ResponderFuture<'a> {
        ResponderFuture::from_or_box(self(resource, req, resp))
    }
}

/// Calls responder `f` of `resource`, its future in place when small.
#[inline]
pub fn responder<'a, R: 'a, F: Responder<'a, R>>(
    f: F,
    resource: &'a R,
    req: &'a mut Request,
    resp: &'a mut Response,
) -> ResponderFuture<'a> {
    f.call(resource, req, resp)
}

/// A responder's future with its hooks, in place when small.
#[inline]
pub fn unboxed<'a>(future: impl Future<Output = Result> + Send + 'a) -> ResponderFuture<'a> {
    ResponderFuture::from_or_box(future)
}

/// A function that can serve as a before or after hook (named by its path).
#[diagnostic::on_unimplemented(
    message = "this is not a valid hook",
    label = "a hook must be `async fn name(req: &mut Request, resp: &mut Response) -> peregrine::Result`",
    note = "hooks are free functions (not methods); the future must be Send; a hook factory with no arguments is still called: write `#[before(audit())]`, not `#[before(audit)]`"
)]
pub trait HookFn<'a> {
    /// Calls the hook.
    fn call(self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result>;
}

impl<'a, F, Fut> HookFn<'a> for F
where
    F: FnOnce(&'a mut Request, &'a mut Response) -> Fut,
    Fut: Future<Output = Result> + Send + 'a,
{
    fn call(self, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(self(req, resp))
    }
}

/// Calls hook `f`.
pub fn hook<'a, F: HookFn<'a>>(f: F, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
    f.call(req, resp)
}

pub use crate::hooks::DynHook;

/// The value of a hook factory, boxed for the `static` the macro keeps it in.
pub fn factory_hook<H: crate::hooks::Hook>(hook: H) -> Box<dyn DynHook> {
    Box::new(hook)
}
