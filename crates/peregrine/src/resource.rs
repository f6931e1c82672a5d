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
//! Without the macro, implement [`Resource`] by hand: `responders` lists `(method, suffix)` pairs and
//! `respond` calls the one at an index.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::{Request, Response};

/// A boxed, sendable future: what a responder call returns once the resource is type-erased.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One responder of a resource: the method it serves and its route suffix (`""` for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponderSpec {
    /// The method in upper case, such as `"GET"`.
    pub method: &'static str,
    /// The suffix (`"item"` for `on_get_item`), or `""`.
    pub suffix: &'static str,
}

/// Something `App::add_route` can serve. Write `#[peregrine::resource]` above the `impl` block that holds
/// the responders rather than implementing this by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Peregrine resource",
    label = "this is not a resource",
    note = "put `#[peregrine::resource]` above the `impl {Self}` block that holds its `async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result` responders"
)]
pub trait Resource: Send + Sync + 'static {
    /// The responders this resource has, in a fixed order.
    fn responders(&self) -> &'static [ResponderSpec];

    /// Calls the responder at `index` in [`Resource::responders`].
    fn respond<'a>(&'a self, index: usize, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result>;
}

/// The methods Peregrine recognizes (RFC 9110's eight and PATCH), in the order `Allow` lists them.
pub(crate) const METHODS: [&str; 9] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

pub(crate) const GET: usize = 2;
pub(crate) const HEAD: usize = 3;
pub(crate) const OPTIONS: usize = 4;

/// The index of a method in [`METHODS`], or `None` for a method Peregrine does not recognize.
pub(crate) fn method_index(method: &http::Method) -> Option<usize> {
    use http::Method as M;
    Some(match *method {
        M::GET => GET,
        M::POST => 6,
        M::PUT => 7,
        M::DELETE => 1,
        M::HEAD => HEAD,
        M::OPTIONS => OPTIONS,
        M::PATCH => 5,
        M::CONNECT => 0,
        M::TRACE => 8,
        _ => return None,
    })
}
