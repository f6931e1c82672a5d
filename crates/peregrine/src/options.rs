//! Falcon's `req_options` and `resp_options`: how requests are read (media handlers, query-string rules,
//! body limits) and how responses are written (media handlers, negotiation, cookie defaults).

use std::net::IpAddr;

use crate::media::{MediaHandlers, JSON};

/// How an app (or one route) reads requests: Falcon's `req_options`, plus the limits of each body parser.
/// Change it with [`App::req_options`](crate::App::req_options), and per route with
/// [`App::route_req_options`](crate::App::route_req_options).
///
/// Every limit is enforced exactly at its bound (a value at the bound passes, one over it fails) and answers
/// with a 4xx whose title names the limit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestOptions {
    /// The handlers `req.media()` chooses from by `Content-Type` (default: JSON and URL-encoded forms). A
    /// type with no handler gets **415** naming the types that have one.
    pub media_handlers: MediaHandlers,
    /// The media type assumed for a body sent without `Content-Type` (default `application/json`).
    pub default_media_type: String,
    /// Keep query parameters with an empty value (`?a=&b`) as empty strings (default `true`, as Falcon);
    /// when `false` they are dropped.
    pub keep_blank_qs_values: bool,
    /// Split every query-parameter value on commas into several values (`?t=a,b` reads as `?t=a&t=b`;
    /// default `false`, as Falcon). `get_param_as_list` splits on commas either way.
    pub auto_parse_qs_csv: bool,
    /// Read an `application/x-www-form-urlencoded` body before the responder runs and add its fields to the
    /// query parameters, so that `get_param*` reads them (default `false`; Falcon deprecates it in favour of
    /// `req.media()`, which this crate recommends too). The body stays readable with `req.body_bytes()`.
    pub auto_parse_form_urlencoded: bool,
    /// The largest body `req.body_bytes()`, `req.media()` and `req.multipart()` read, in bytes (default
    /// 1 MiB, [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE)). Over it: **413** "Content Too Large".
    pub max_body_size: usize,
    /// How many levels JSON and MessagePack bodies may nest arrays and objects (default 64; neither goes
    /// past 127, serde_json's own bound, whatever this says: the parsers recurse). Deeper: **400** "JSON
    /// nested too deeply" (or "MessagePack …").
    pub max_json_depth: usize,
    /// How many fields a URL-encoded form body may hold (default 1,000). More: **413** "Too many form fields".
    pub max_form_fields: usize,
    /// How many parts a multipart body may hold (default 1,000). More: **413** "Too many parts".
    pub max_parts: usize,
    /// The largest part of a multipart body, in bytes (default: no bound but `max_body_size`). Larger:
    /// **413** "Part too large".
    pub max_part_size: Option<u64>,
    /// The largest header block of one multipart part, counted as the bytes of its `name: value` lines
    /// (default 8 KiB). Larger: **413** "Part headers too large".
    pub max_part_header_size: usize,
    /// Which peers' forwarding headers (`Forwarded`, `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Real-IP`)
    /// `req.access_route()` and `req.scheme()` believe (default: none).
    pub trusted_proxies: TrustedProxies,
    /// Whether the server serving these requests listens with TLS (set by the server; `scheme()` reads it).
    pub(crate) tls: bool,
}

/// Default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;

/// Default nesting bound of JSON and MessagePack bodies: 64 levels.
pub const DEFAULT_MAX_JSON_DEPTH: usize = 64;
/// Default bound on the fields of a form body and on the parts of a multipart body: 1,000.
pub const DEFAULT_MAX_FIELDS: usize = 1000;
/// Default bound on one multipart part's header block: 8 KiB.
pub const DEFAULT_MAX_PART_HEADER_SIZE: usize = 8 * 1024;

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            media_handlers: MediaHandlers::default(),
            default_media_type: JSON.to_owned(),
            keep_blank_qs_values: true,
            auto_parse_qs_csv: false,
            auto_parse_form_urlencoded: false,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
            max_form_fields: DEFAULT_MAX_FIELDS,
            max_parts: DEFAULT_MAX_FIELDS,
            max_part_size: None,
            max_part_header_size: DEFAULT_MAX_PART_HEADER_SIZE,
            trusted_proxies: TrustedProxies::None,
            tls: false,
        }
    }
}

/// How an app writes responses: Falcon's `resp_options`. Change it with
/// [`App::resp_options`](crate::App::resp_options).
///
/// Once an app sets response options, `resp.set_media()` negotiates: it serializes with the registered type
/// the request's `Accept` ranks highest (ties go to `default_media_type`, then to registration order), adds
/// `Vary: Accept` when more than one type is registered, and answers **406** naming the types it can send
/// when `Accept` rules all of them out (RFC 9110 §12.5.1), or sends `default_media_type` anyway when
/// `serve_default_if_not_acceptable` is on. An app that never sets them sends JSON and does not consult
/// `Accept` (RFC 9110 §12.5.1 lets a server disregard it), which costs nothing per request. Errors are not
/// written with these handlers: an `HttpError` is JSON, problem+json or XML, as the client's `Accept` picks.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponseOptions {
    /// The handlers `resp.set_media()` chooses from (default: JSON only).
    pub media_handlers: MediaHandlers,
    /// The type sent when `Accept` is absent or ranks types equally (default `application/json`); it must
    /// have a handler.
    pub default_media_type: String,
    /// Send `default_media_type` instead of 406 when `Accept` rules out every registered type (default
    /// `false`).
    pub serve_default_if_not_acceptable: bool,
    /// Mark cookies `Secure` unless the cookie says otherwise (default `true`, as Falcon's
    /// `secure_cookies_by_default`).
    pub secure_cookies_by_default: bool,
}

impl Default for ResponseOptions {
    fn default() -> Self {
        let mut media_handlers = MediaHandlers::empty();
        media_handlers.insert(JSON, crate::media::Json);
        ResponseOptions {
            media_handlers,
            default_media_type: JSON.to_owned(),
            serve_default_if_not_acceptable: false,
            secure_cookies_by_default: true,
        }
    }
}

/// Which peers (by address) may tell the app, through forwarding headers, who the client is and which scheme it used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedProxies {
    /// No peer (the default): `access_route()` is the peer alone, `scheme()` what the connection used.
    #[default]
    None,
    /// Every peer, as Falcon does: right only when nothing but the proxy can reach the server.
    Any,
    /// The peers at these addresses (a load balancer's, a sidecar's).
    Only(Vec<IpAddr>),
}

impl TrustedProxies {
    pub(crate) fn trusts(&self, peer: Option<IpAddr>) -> bool {
        match self {
            TrustedProxies::None => false,
            TrustedProxies::Any => true,
            TrustedProxies::Only(addrs) => peer.is_some_and(|p| addrs.contains(&p)),
        }
    }
}
