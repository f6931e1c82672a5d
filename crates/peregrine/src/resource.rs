//! Resources: long-lived values whose async responders (`on_get`, `on_post`, …) serve HTTP methods.
//!
//! Falcon finds responders by reflection; Rust has none, so `#[peregrine::resource]` on the `impl` block reads
//! the method names once, at compile time, and writes the [`Resource`] impl: the list of responders (which
//! gives `Allow`, 405 and the default OPTIONS) and a `match` that calls them. The list is fixed when the code
//! compiles, so a route knows its methods before it serves its first request.
//!
//! ```
//! use peregrine::{Request, Response, Result};
//!
//! struct Quote;
//!
//! #[peregrine::resource]
//! impl Quote {
//!     async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
//!         resp.set_text("Two things awe me most...");
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Without the macro, implement [`Resource`] by hand: `responders` lists [`ResponderSpec`]s and `respond`
//! calls the one at an index.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::{Request, Response};

/// A boxed, sendable future: what a responder call returns once the resource is type-erased.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One responder of a resource: the method it serves, its route suffix (`""` for none), and the names of
/// its hooks (for route tables; the hooks themselves are compiled into [`Resource::respond`]).
///
/// ```
/// use peregrine::ResponderSpec;
///
/// const SPECS: &[ResponderSpec] = &[ResponderSpec::new("GET", ""), ResponderSpec::new("GET", "item")];
/// assert_eq!(SPECS[1].suffix, "item");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponderSpec {
    /// The method in upper case, such as `"GET"`.
    pub method: &'static str,
    /// The suffix (`"item"` for `on_get_item`), or `""`.
    pub suffix: &'static str,
    /// The before hooks' names, in the order they run (as written, such as `"check_token"`).
    pub before: &'static [&'static str],
    /// The after hooks' names, in the order they run.
    pub after: &'static [&'static str],
}

impl ResponderSpec {
    /// The responder for `method` (upper case) with `suffix` (`""` for none), without hooks.
    #[must_use]
    pub const fn new(method: &'static str, suffix: &'static str) -> Self {
        ResponderSpec {
            method,
            suffix,
            before: &[],
            after: &[],
        }
    }

    /// The same responder, with the names of its hooks.
    #[must_use]
    pub const fn with_hooks(mut self, before: &'static [&'static str], after: &'static [&'static str]) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// Something `App::add_route` can serve. Write `#[peregrine::resource]` above the `impl` block that holds
/// the responders rather than implementing this by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Peregrine resource",
    label = "this is not a resource",
    note = "put `#[peregrine::resource]` above the `impl {Self}` block that holds its `async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result` responders"
)]
pub trait Resource: Send + Sync + 'static {
    /// The resource's type name, for route tables and [`Route::resource`](crate::Route::resource): the
    /// implementing type's, and through an `Arc` the shared type's.
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    /// The responders this resource has, in a fixed order.
    fn responders(&self) -> &'static [ResponderSpec];

    /// Evaluates the resource's hook factories (`#[before(max_body(1024))]`), so that a factory runs, and
    /// fails, when the resource is routed rather than on its first request. [`App::add_route`](crate::App::add_route)
    /// calls it; the default does nothing.
    fn prepare_hooks(&self) {}

    /// Calls the responder at `index` in [`Resource::responders`].
    fn respond<'a>(&'a self, index: usize, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result>;

    /// [`Resource::respond`] as the pipeline calls it: a responder whose future fits [`ResponderFuture`] is
    /// held in place, with no allocation. `#[peregrine::resource]` writes it; the default boxes, through
    /// `respond`.
    #[doc(hidden)]
    fn respond_unboxed<'a>(
        &'a self,
        index: usize,
        req: &'a mut Request,
        resp: &'a mut Response,
    ) -> ResponderFuture<'a> {
        ResponderFuture::from(self.respond(index, req, resp))
    }
}

/// A responder's future as the pipeline awaits it: in place when it takes at most 32 bytes (a responder that
/// holds none of its own locals across an `.await`), else boxed inside. Not public API.
// PERF: a small responder's future costs no allocation.
#[doc(hidden)]
pub type ResponderFuture<'a> = stackfuture::StackFuture<'a, Result, 32>;

/// The same resource can serve several routes: share it with `Arc`.
impl<R: Resource> Resource for std::sync::Arc<R> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn responders(&self) -> &'static [ResponderSpec] {
        (**self).responders()
    }

    fn prepare_hooks(&self) {
        (**self).prepare_hooks();
    }

    fn respond<'a>(&'a self, index: usize, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        (**self).respond(index, req, resp)
    }

    fn respond_unboxed<'a>(
        &'a self,
        index: usize,
        req: &'a mut Request,
        resp: &'a mut Response,
    ) -> ResponderFuture<'a> {
        (**self).respond_unboxed(index, req, resp)
    }
}
