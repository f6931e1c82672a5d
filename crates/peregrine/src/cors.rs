//! Cross-origin resource sharing (Falcon's `cors_enable` and `CORSMiddleware`), per the Fetch standard's
//! CORS protocol.
//!
//! **Actual requests.** A request with an `Origin` the settings allow gets `Access-Control-Allow-Origin`
//! (`*` when any origin is allowed without credentials, else the origin itself), with
//! `Access-Control-Allow-Credentials: true` when credentials are allowed, and
//! `Access-Control-Expose-Headers` when some are exposed. Errors get them too, so a page can read an
//! error's body. An origin not allowed gets no CORS header, and the browser hides the response.
//!
//! **Preflights** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) to a route are answered
//! **204** by the middleware, before the resource's own responders, when the origin is allowed, the route
//! serves the requested method and every requested header is allowed: `Access-Control-Allow-Methods`
//! lists the route's real methods, `Access-Control-Allow-Headers` the requested headers, and
//! `Access-Control-Max-Age` says how long the browser may cache the answer. A preflight that fails any of
//! these is left to the route (its OPTIONS answer, without CORS headers), so the browser refuses the
//! actual request. A preflight to a path no route serves gets the 404, without CORS headers.
//!
//! **Caches.** Whenever the answer depends on `Origin` (a list or a predicate of origins, or credentials),
//! every response carries `Vary: Origin`, also when the request had none or was refused, so that a shared
//! cache never serves one origin's answer to another. Falcon omits it.
//!
//! **Authentication.** Browsers send preflights without credentials, and the preflight is answered in
//! `process_resource`, after every `process_request`: an authentication middleware (app-wide or per route)
//! must let preflights through, with [`is_preflight`]:
//!
//! ```
//! use peregrine::{HttpError, Middleware, Request, Response, Result};
//!
//! struct RequireToken;
//!
//! impl Middleware for RequireToken {
//!     async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
//!         if peregrine::cors::is_preflight(req) || req.get_header("x-token").is_some() {
//!             return Ok(());
//!         }
//!         Err(HttpError::unauthorized().into())
//!     }
//! }
//! ```
//!
//! Credentials are never answered with `*`: the Fetch standard forbids it, so with credentials allowed the
//! origin is echoed even when any origin is. That lets every site read credentialed answers: with
//! credentials, list the origins (or give a predicate). The `null` origin (sandboxed frames, local files)
//! is allowed only by a list that names it. A preflight asking for a header that is not a valid field
//! name fails.
//!
//! ```
//! use peregrine::cors::CorsMiddleware;
//! use peregrine::App;
//!
//! let app = App::new().add_middleware(
//!     CorsMiddleware::new()
//!         .allow_origins(["https://app.example"])
//!         .allow_credentials(true)
//!         .expose_headers(["ETag", "Link"]),
//! );
//! # let _ = app;
//! ```

use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;

use crate::error::Result;
use crate::inspect::Route;
use crate::middleware::Middleware;
use crate::{Request, Response};

/// Which origins may read responses.
#[derive(Clone)]
enum Origins {
    Any,
    List(Vec<String>),
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

/// CORS as middleware. App-wide with [`App::add_middleware`](crate::App::add_middleware) (or
/// [`App::cors_enable`](crate::App::cors_enable) for the defaults), or for some routes with
/// [`App::add_route_middleware`](crate::App::add_route_middleware). See the [module](self) for the rules.
///
/// Defaults, as Falcon's: any origin, no credentials, nothing exposed, the requested headers allowed, and
/// preflights cached for 86,400 seconds.
#[derive(Clone)]
pub struct CorsMiddleware {
    origins: Origins,
    credentials: bool,
    expose: Option<HeaderValue>,
    /// Allowed request headers, lower case; `None` allows whatever a preflight asks for.
    allow_headers: Option<Vec<String>>,
    max_age: HeaderValue,
}

impl std::fmt::Debug for CorsMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origins = match &self.origins {
            Origins::Any => "any".to_owned(),
            Origins::List(list) => list.join(", "),
            Origins::Predicate(_) => "a predicate".to_owned(),
        };
        f.debug_struct("CorsMiddleware")
            .field("origins", &origins)
            .field("credentials", &self.credentials)
            .field("expose", &self.expose)
            .field("allow_headers", &self.allow_headers)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Default for CorsMiddleware {
    fn default() -> Self {
        CorsMiddleware {
            origins: Origins::Any,
            credentials: false,
            expose: None,
            allow_headers: None,
            max_age: HeaderValue::from_static("86400"),
        }
    }
}

impl CorsMiddleware {
    /// The defaults: any origin, no credentials.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows exactly these origins (`scheme://host[:port]`, compared as sent, ASCII case-insensitively).
    #[must_use]
    pub fn allow_origins<S: AsRef<str>>(mut self, origins: impl IntoIterator<Item = S>) -> Self {
        self.origins = Origins::List(origins.into_iter().map(|o| o.as_ref().to_ascii_lowercase()).collect());
        self
    }

    /// Allows the origins `allowed` returns true for: a pattern, such as every subdomain of a site.
    ///
    /// ```
    /// let cors = peregrine::cors::CorsMiddleware::new()
    ///     .allow_origin_if(|origin| origin.starts_with("https://") && origin.ends_with(".example.com"));
    /// # let _ = cors;
    /// ```
    #[must_use]
    pub fn allow_origin_if(mut self, allowed: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.origins = Origins::Predicate(Arc::new(allowed));
        self
    }

    /// Allows any origin (the default).
    #[must_use]
    pub fn allow_any_origin(mut self) -> Self {
        self.origins = Origins::Any;
        self
    }

    /// Lets allowed origins send credentials (cookies, `Authorization`): adds
    /// `Access-Control-Allow-Credentials: true` and echoes the origin instead of `*`.
    #[must_use]
    pub fn allow_credentials(mut self, on: bool) -> Self {
        self.credentials = on;
        self
    }

    /// Response headers a page may read beyond the CORS-safelisted ones.
    ///
    /// # Panics
    /// When a name is not a header name.
    #[must_use]
    #[track_caller]
    pub fn expose_headers<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.expose = header_list(names, "expose_headers");
        self
    }

    /// Request headers a preflight may ask for; others make it fail. Without this call, any requested header
    /// is allowed (as Falcon does).
    ///
    /// # Panics
    /// When a name is not a header name.
    #[must_use]
    #[track_caller]
    pub fn allow_headers<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = names.into_iter().map(|n| n.as_ref().to_ascii_lowercase()).collect();
        for n in &names {
            assert!(
                HeaderName::from_bytes(n.as_bytes()).is_ok(),
                "allow_headers: '{n}' is not a header name"
            );
        }
        self.allow_headers = Some(names);
        self
    }

    /// How long a browser may cache a preflight's answer (`Access-Control-Max-Age`, whole seconds; default
    /// 86,400). Browsers cap it (Chromium at 7,200).
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = HeaderValue::from(age.as_secs());
        self
    }

    /// Whether the answer depends on the request's `Origin`.
    fn varies(&self) -> bool {
        self.credentials || !matches!(self.origins, Origins::Any)
    }

    fn allows(&self, origin: &str) -> bool {
        match &self.origins {
            // `null` is what sandboxed frames and local files send: any page can make it, so only a list
            // that names it allows it.
            _ if origin == "null" && !matches!(self.origins, Origins::List(_)) => false,
            Origins::Any => true,
            Origins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
            Origins::Predicate(allowed) => allowed(origin),
        }
    }

    /// The request's `Origin`, when it has one and it is allowed.
    fn allowed_origin<'r>(&self, req: &'r Request) -> Option<&'r HeaderValue> {
        let origin = req.headers().get(header::ORIGIN)?;
        self.allows(origin.to_str().ok()?).then_some(origin)
    }

    fn set_allow_origin(&self, origin: &HeaderValue, resp: &mut Response) {
        let value = if matches!(self.origins, Origins::Any) && !self.credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        };
        let headers = resp.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    /// The preflight's answer headers when it passes every check, else `None`.
    fn preflight_answer(&self, req: &Request, route: &Route) -> Option<Vec<(HeaderName, HeaderValue)>> {
        let method = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)?
            .to_str()
            .ok()?;
        if !route.methods.contains(&method) {
            return None;
        }
        let requested = req.get_header("access-control-request-headers").unwrap_or_default();
        let requested: Vec<String> = requested
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if !requested.iter().all(|h| HeaderName::from_bytes(h.as_bytes()).is_ok()) {
            return None;
        }
        if let Some(allowed) = &self.allow_headers {
            if !requested.iter().all(|h| allowed.contains(h)) {
                return None;
            }
        }
        let mut answer = vec![
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::try_from(route.methods.join(", ")).ok()?,
            ),
            (header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone()),
        ];
        if !requested.is_empty() {
            answer.push((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::try_from(requested.join(", ")).ok()?,
            ));
        }
        Some(answer)
    }
}

/// `names` as one comma-separated header value, `None` when empty.
#[track_caller]
fn header_list<S: AsRef<str>>(names: impl IntoIterator<Item = S>, setting: &str) -> Option<HeaderValue> {
    let names: Vec<String> = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
    for n in &names {
        assert!(
            HeaderName::from_bytes(n.as_bytes()).is_ok(),
            "{setting}: '{n}' is not a header name"
        );
    }
    (!names.is_empty()).then(|| HeaderValue::try_from(names.join(", ")).expect("header names are header text"))
}

/// Whether `req` is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(req: &Request) -> bool {
    req.method() == http::Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

impl Middleware for CorsMiddleware {
    async fn process_resource(&self, req: &mut Request, resp: &mut Response, route: &Route) -> Result {
        if !is_preflight(req) {
            return Ok(());
        }
        let Some(origin) = self.allowed_origin(req) else {
            return Ok(());
        };
        let Some(answer) = self.preflight_answer(req, route) else {
            return Ok(());
        };
        let origin = origin.clone();
        self.set_allow_origin(&origin, resp);
        for (name, value) in answer {
            resp.headers_mut().insert(name, value);
        }
        resp.append_vary("Access-Control-Request-Method");
        resp.append_vary("Access-Control-Request-Headers");
        resp.set_status(StatusCode::NO_CONTENT);
        resp.complete();
        Ok(())
    }

    async fn process_response(&self, req: &mut Request, resp: &mut Response, _req_succeeded: bool) -> Result {
        if self.varies() {
            resp.append_vary("Origin");
        }
        if is_preflight(req) {
            // Answered in process_resource, or refused: either way nothing more to add.
            return Ok(());
        }
        let Some(origin) = self.allowed_origin(req) else {
            return Ok(());
        };
        if resp.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            return Ok(());
        }
        let origin = origin.clone();
        self.set_allow_origin(&origin, resp);
        if let Some(expose) = &self.expose {
            resp.headers_mut()
                .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        Ok(())
    }
}
