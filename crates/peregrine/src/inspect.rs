//! Routes as the app serves them: what [`App::routes`](crate::App::routes) lists and what middleware's
//! `process_resource` is told.

use std::fmt;

/// One route as the app serves it: template, resource type, suffix and methods.
///
/// ```
/// use peregrine::{App, Request, Response, Result};
///
/// struct Things;
///
/// #[peregrine::resource]
/// impl Things {
///     async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
///         Ok(())
///     }
/// }
///
/// let app = App::new().add_route("/things/{id:int}", std::sync::Arc::new(Things));
/// let route = &app.routes()[0];
/// assert_eq!(route.template, "/things/{id:int}");
/// assert_eq!(route.methods, ["GET", "HEAD"]);
/// assert!(route.resource.ends_with("::Things")); // shared with Arc, still the resource's own name
/// assert!(route.to_string().ends_with("::Things [GET, HEAD]"));
/// assert_eq!(route.accepts, ["application/json", "application/x-www-form-urlencoded"]);
/// assert_eq!(route.returns, ["application/json"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The URI template, as added.
    pub template: String,
    /// The resource's type name (`std::any::type_name`).
    pub resource: &'static str,
    /// The responder suffix (`""` for none).
    pub suffix: String,
    /// The methods served, in alphabetical order, the order `Allow` uses: HEAD included when GET is served,
    /// OPTIONS only when the resource has its own `on_options`. A 405's `Allow` lists these, then OPTIONS
    /// (always answered); the default OPTIONS answer's `Allow` lists these.
    pub methods: Vec<&'static str>,
    /// The media types `req.media()` reads on this route (its request options' handlers, in order), for an
    /// OpenAPI document's `requestBody`. A multipart body read with `req.multipart()` is not listed.
    pub accepts: Vec<String>,
    /// The media types `resp.set_media()` can write on this route (`application/json` alone until the app
    /// sets response options), for an OpenAPI document's responses.
    pub returns: Vec<String>,
    /// The type names of the middleware attached to this route alone
    /// ([`App::add_route_middleware`](crate::App::add_route_middleware)), in the order their
    /// `process_request` runs; the app-wide middleware runs around them.
    pub middleware: Vec<&'static str>,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.template, self.resource)?;
        if !self.suffix.is_empty() {
            write!(f, " (suffix '{}')", self.suffix)?;
        }
        write!(f, " [{}]", self.methods.join(", "))
    }
}
