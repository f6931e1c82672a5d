//! Sinks: one handler for every method on every path under a prefix (Falcon's `add_sink`), for proxies,
//! catch-alls and static files.
//!
//! A sink is consulted only when no route matches the path, so a route always masks a sink. Sinks are tried
//! from the last added to the first, as in Falcon, so a later sink can take a narrower prefix over an earlier
//! one. A matched sink runs like a route: `process_resource` is told a [`Route`](crate::Route) whose template
//! is the sink's prefix (or pattern) and whose resource is the sink's type, per-route middleware whose
//! [`RouteSet`](crate::RouteSet) holds the prefix runs, and `req.uri_template()` gives the prefix.
//!
//! **Prefixes.** [`App::add_sink`](crate::App::add_sink) takes a literal prefix matched at a segment
//! boundary: `/files` takes `/files` and `/files/a/b`, not `/filesystem`. Falcon's prefix is a regular
//! expression matched at the start of the path, so its `/files` also takes `/filesystem`; that form is
//! [`App::add_sink_pattern`](crate::App::add_sink_pattern) (feature `re`), whose named groups become URI
//! fields.
//!
//! **Methods.** The sink serves GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS: HEAD and OPTIONS reach
//! `on_request` too (a HEAD answer's body is not sent; OPTIONS gets no automatic `Allow`). CONNECT and
//! TRACE get 405: a 2xx to CONNECT turns the connection into a tunnel, and a sink that echoed TRACE would
//! hand a page the request's credentials. Any other method gets 501, as on routes. A request-target that
//! is not a path (`OPTIONS *`, or `host:port`) reaches no sink, not even `"/"`: it gets the server-wide
//! answer (RFC 9112 §3.2.3–3.2.4), as with no sink.

use std::future::Future;
use std::sync::Arc;

use crate::error::Result;
use crate::resource::{BoxFuture, Resource, ResponderSpec};
#[cfg(feature = "re")]
use crate::routing::{Capture, Stored};
use crate::routing::{Captures, RouteInfo};
use crate::{Request, Response};

/// A handler for every method under a prefix. See the [module](self) for how sinks are matched.
///
/// ```
/// use peregrine::{App, Request, Response, Result, Sink};
///
/// /// Answers every path under /legacy with a pointer to the new API.
/// struct Legacy;
///
/// impl Sink for Legacy {
///     async fn on_request(&self, req: &mut Request, resp: &mut Response) -> Result {
///         resp.set_status(peregrine::StatusCode::GONE);
///         resp.set_text(format!("{} moved to /v2", req.path()));
///         Ok(())
///     }
/// }
///
/// let app = App::new().add_sink(Legacy, "/legacy");
/// # let _ = app;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Peregrine sink",
    label = "this needs `impl peregrine::Sink for {Self}`",
    note = "a sink implements `async fn on_request(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result`"
)]
pub trait Sink: Send + Sync + 'static {
    /// Serves a request whose path is under the sink's prefix, whatever its method.
    fn on_request(&self, req: &mut Request, resp: &mut Response) -> impl Future<Output = Result> + Send;
}

/// A sink as a resource that serves every method, so that the pipeline runs it as it runs a route.
pub(crate) struct SinkResource<S>(pub S);

/// Every method but CONNECT and TRACE.
const SINK_METHODS: [ResponderSpec; 7] = [
    ResponderSpec::new("DELETE", ""),
    ResponderSpec::new("GET", ""),
    ResponderSpec::new("HEAD", ""),
    ResponderSpec::new("OPTIONS", ""),
    ResponderSpec::new("PATCH", ""),
    ResponderSpec::new("POST", ""),
    ResponderSpec::new("PUT", ""),
];

impl<S: Sink> Resource for SinkResource<S> {
    fn name(&self) -> &'static str {
        std::any::type_name::<S>()
    }

    fn responders(&self) -> &'static [ResponderSpec] {
        &SINK_METHODS
    }

    fn respond<'a>(&'a self, _index: usize, req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(self.0.on_request(req, resp))
    }
}

/// Which paths a sink takes.
pub(crate) enum Matcher {
    /// A literal prefix without a trailing `/`, matched at a segment boundary.
    Prefix(String),
    /// A regular expression matched at the start of the path: `re` is `text` anchored with `^`.
    #[cfg(feature = "re")]
    Pattern { re: regex::Regex, text: String },
}

impl Matcher {
    /// The matcher for Falcon-style prefix `pattern`, matched at the start of the path.
    #[cfg(feature = "re")]
    pub(crate) fn pattern(pattern: &str) -> std::result::Result<Self, regex::Error> {
        let re = regex::RegexBuilder::new(&format!("^(?:{pattern})"))
            .size_limit(1 << 20)
            .build()?;
        Ok(Matcher::Pattern {
            re,
            text: pattern.to_owned(),
        })
    }

    /// The literal prefix, for a prefix matcher.
    pub(crate) fn prefix(&self) -> Option<&str> {
        match self {
            Matcher::Prefix(p) => Some(p),
            #[cfg(feature = "re")]
            Matcher::Pattern { .. } => None,
        }
    }

    /// The prefix, or the pattern's text.
    pub(crate) fn text(&self) -> &str {
        match self {
            Matcher::Prefix(p) if p.is_empty() => "/",
            Matcher::Prefix(p) => p,
            #[cfg(feature = "re")]
            Matcher::Pattern { text, .. } => text,
        }
    }

    /// The names of the fields a match captures (the pattern's named groups).
    pub(crate) fn field_names(&self) -> Vec<String> {
        match self {
            Matcher::Prefix(_) => Vec::new(),
            #[cfg(feature = "re")]
            Matcher::Pattern { re, .. } => re.capture_names().flatten().map(str::to_owned).collect(),
        }
    }

    /// The captured fields when `path` is the sink's, else `None`.
    pub(crate) fn matches(&self, path: &str) -> Option<Captures> {
        match self {
            Matcher::Prefix(prefix) => crate::route_set::under_prefix(path, prefix).then(Captures::new),
            #[cfg(feature = "re")]
            Matcher::Pattern { re, .. } => {
                let found = re.captures(path)?;
                let mut captures = Captures::new();
                for name in re.capture_names().flatten() {
                    let (start, end) = found.name(name).map_or((0, 0), |m| (m.start(), m.end()));
                    captures.push(Capture {
                        start: u32::try_from(start).ok()?,
                        end: u32::try_from(end).ok()?,
                        value: Stored::Text,
                    });
                }
                Some(captures)
            }
        }
    }
}

/// A sink as the app keeps it: what it matches, the route it stands for, and its target.
pub(crate) struct SinkEntry<T> {
    pub matcher: Matcher,
    pub info: Arc<RouteInfo>,
    pub target: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_take_their_segment_and_below() {
        let m = Matcher::Prefix("/files".into());
        assert!(m.matches("/files").is_some());
        assert!(m.matches("/files/").is_some());
        assert!(m.matches("/files/a/b").is_some());
        assert!(m.matches("/filesystem").is_none());
        assert!(m.matches("/").is_none());
        assert!(Matcher::Prefix(String::new()).matches("/anything").is_some());
    }

    #[cfg(feature = "re")]
    #[test]
    fn patterns_match_at_the_start_and_capture_named_groups() {
        let m = Matcher::pattern(r"/books/(?P<isbn>\d+)").unwrap();
        let c = m.matches("/books/123/cover").unwrap();
        assert_eq!((c[0].start, c[0].end), (7, 10));
        assert!(
            m.matches("/x/books/123").is_none(),
            "anchored at the start, as Falcon's re.match"
        );
        assert_eq!(m.field_names(), ["isbn"]);
    }
}
