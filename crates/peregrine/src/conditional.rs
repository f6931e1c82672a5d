//! Conditional requests (RFC 9110 §13): evaluating `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
//! `If-Modified-Since` against a representation's validators, in the order of §13.2.2.
//!
//! Two places use it: `req.check_preconditions()`, which a responder calls before it changes anything (the
//! only way a 412 can come before the change), and the pipeline, which turns a GET or HEAD answer of 200
//! carrying `ETag` or `Last-Modified` into 304 (or 412) when the request's conditions say so.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use crate::error::{HttpError, HttpStatus, Result};
use crate::etag::{EntityTag, EntityTags};
use crate::headers::joined;
use crate::{Request, Response};

/// What the conditions say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Carry on with the method.
    Proceed,
    /// 304 Not Modified (GET and HEAD only).
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

fn date_of(headers: &HeaderMap, name: &HeaderName) -> Option<SystemTime> {
    // An invalid date is ignored (RFC 9110 §13.1.3, §13.1.4), as is a field sent twice.
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    httpdate::parse_http_date(value.to_str().ok()?).ok()
}

/// `time` cut to whole seconds, the resolution of an HTTP date.
fn whole_seconds(time: SystemTime) -> SystemTime {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    UNIX_EPOCH + Duration::from_secs(since.as_secs())
}

/// Evaluates the request's preconditions (RFC 9110 §13.2.2) against the representation's `etag` and
/// `last_modified`; `exists` says whether there is a current representation at all (`*` matches only then).
pub(crate) fn evaluate(
    method: &Method,
    headers: &HeaderMap,
    etag: Option<&EntityTag>,
    last_modified: Option<SystemTime>,
    exists: bool,
) -> Outcome {
    let last_modified = last_modified.map(whole_seconds);
    let safe = method == Method::GET || method == Method::HEAD;
    // Step 1: If-Match, strong comparison. A malformed one cannot match: the request does not proceed on it.
    if let Some(value) = joined(headers, &header::IF_MATCH) {
        let holds = EntityTags::parse(&value).is_some_and(|tags| tags.matches(etag, exists, true));
        if !holds {
            return Outcome::Failed;
        }
    } else if let (Some(date), Some(modified)) = (date_of(headers, &header::IF_UNMODIFIED_SINCE), last_modified) {
        // Step 2: If-Unmodified-Since, only without If-Match, and only when the date is known (§13.1.4).
        if modified > date {
            return Outcome::Failed;
        }
    }
    // Step 3: If-None-Match, weak comparison. A malformed one is ignored.
    if let Some(value) = joined(headers, &header::IF_NONE_MATCH) {
        if let Some(tags) = EntityTags::parse(&value) {
            if tags.matches(etag, exists, false) {
                return if safe { Outcome::NotModified } else { Outcome::Failed };
            }
        }
        return Outcome::Proceed;
    }
    // Step 4: If-Modified-Since, GET and HEAD only, only without If-None-Match.
    if safe {
        if let (Some(date), Some(modified)) = (date_of(headers, &header::IF_MODIFIED_SINCE), last_modified) {
            if modified <= date {
                return Outcome::NotModified;
            }
        }
    }
    Outcome::Proceed
}

/// 412 Precondition Failed, saying which kind of condition failed.
pub(crate) fn failed() -> HttpError {
    HttpError::precondition_failed()
        .with_description("The resource has changed since the version this request's conditions name.")
}

/// The headers a 304 keeps: those RFC 9110 §15.4.5 names, and `Last-Modified`, which a cache uses to update
/// its stored response.
const KEPT_BY_304: [HeaderName; 7] = [
    header::CACHE_CONTROL,
    header::CONTENT_LOCATION,
    header::DATE,
    header::ETAG,
    header::EXPIRES,
    header::LAST_MODIFIED,
    header::VARY,
];

/// The pipeline's step for a GET or HEAD answered 200 with `ETag` and/or `Last-Modified`: 304 (or 412)
/// when the request's conditions say so.
#[inline(never)]
pub(crate) fn answer_with_validators(method: &Method, request_headers: &HeaderMap, resp: &mut Response) {
    let etag = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(EntityTag::parse);
    let last_modified = resp
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match evaluate(method, request_headers, etag.as_ref(), last_modified, true) {
        Outcome::Proceed => {}
        Outcome::NotModified => {
            let old = std::mem::take(resp.headers_mut());
            let mut kept = HeaderMap::with_capacity(KEPT_BY_304.len());
            for name in &KEPT_BY_304 {
                for value in old.get_all(name) {
                    kept.append(name.clone(), value.clone());
                }
            }
            *resp = Response::new();
            resp.set_status(StatusCode::NOT_MODIFIED);
            *resp.headers_mut() = kept;
        }
        Outcome::Failed => {
            *resp = Response::new();
            resp.set_error(failed());
        }
    }
}

/// The headers of a 304 that `check_preconditions` answers: the validators given.
pub(crate) fn not_modified_headers(
    etag: Option<&EntityTag>,
    last_modified: Option<SystemTime>,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = Vec::new();
    if let Some(tag) = etag {
        let value = HeaderValue::try_from(tag.to_string()).expect("an entity tag is header text");
        headers.push((header::ETAG, value));
    }
    if let Some(time) = last_modified {
        let value = HeaderValue::try_from(httpdate::fmt_http_date(time)).expect("an HTTP date is header text");
        headers.push((header::LAST_MODIFIED, value));
    }
    headers
}

fn invalid_tags(name: &str) -> crate::Error {
    HttpError::bad_request()
        .with_title("Invalid header value")
        .with_description(format!(
            "The value of the {name} header must be * or a list of entity tags."
        ))
        .into()
}

impl Request {
    /// `If-Match`, parsed: `*` or the entity tags listed (RFC 9110 §13.1.1).
    ///
    /// # Errors
    /// **400 "Invalid header value"** when a member is not an entity tag (`"…"` or `W/"…"`).
    pub fn if_match(&self) -> Result<Option<EntityTags>> {
        match joined(self.headers(), &header::IF_MATCH) {
            None => Ok(None),
            Some(v) => EntityTags::parse(&v).map(Some).ok_or_else(|| invalid_tags("If-Match")),
        }
    }

    /// `If-None-Match`, parsed: `*` or the entity tags listed (RFC 9110 §13.1.2). Same errors as
    /// [`Request::if_match`].
    pub fn if_none_match(&self) -> Result<Option<EntityTags>> {
        match joined(self.headers(), &header::IF_NONE_MATCH) {
            None => Ok(None),
            Some(v) => EntityTags::parse(&v)
                .map(Some)
                .ok_or_else(|| invalid_tags("If-None-Match")),
        }
    }

    /// Evaluates the request's conditions (`If-Match`, `If-Unmodified-Since`, `If-None-Match`,
    /// `If-Modified-Since`, in RFC 9110 §13.2.2's order) against the current representation's validators.
    /// Call it first in a responder that changes state (PUT, PATCH, DELETE), after fetching the current
    /// `etag` and/or `last_modified` and before changing anything: that is the only place a 412 can stop a
    /// lost update. Pass `None, None` when there is no current representation (then `If-Match: *` fails and
    /// `If-None-Match: *` holds, which makes "create only if absent" work).
    ///
    /// GET and HEAD need not call it: the pipeline answers their 200s carrying `ETag` or `Last-Modified`
    /// with 304 by itself.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use peregrine::{EntityTag, Request, Response, Result};
    /// use peregrine::testing::TestClient;
    ///
    /// struct Doc;
    ///
    /// #[peregrine::resource]
    /// impl Doc {
    ///     async fn on_put(&self, req: &mut Request, resp: &mut Response) -> Result {
    ///         let current = EntityTag::strong("v1"); // fetched from the store
    ///         req.check_preconditions(Some(&current), None)?;
    ///         // ... write, then answer with the new tag
    ///         resp.set_etag(&EntityTag::strong("v2"));
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let client = TestClient::new(peregrine::App::new().add_route("/doc", Doc));
    /// let stale = client.simulate_put("/doc").header("if-match", "\"v0\"").await;
    /// assert_eq!(stale.status(), 412);
    /// let fresh = client.simulate_put("/doc").header("if-match", "\"v1\"").await;
    /// assert_eq!(fresh.status(), 200);
    /// # });
    /// ```
    ///
    /// # Errors
    /// - **412 Precondition Failed** when a condition fails (for GET and HEAD, only `If-Match` and
    ///   `If-Unmodified-Since` can fail). A malformed `If-Match` cannot hold, so it fails too (where
    ///   [`Request::if_match`] reports it as 400): a write never proceeds on a condition it cannot read.
    /// - **304 Not Modified** (an [`HttpStatus`] carrying the validators given) when `If-None-Match` or
    ///   `If-Modified-Since` says a GET or HEAD client's copy is current.
    pub fn check_preconditions(&self, etag: Option<&EntityTag>, last_modified: Option<SystemTime>) -> Result<()> {
        let exists = etag.is_some() || last_modified.is_some();
        match evaluate(self.method(), self.headers(), etag, last_modified, exists) {
            Outcome::Proceed => Ok(()),
            Outcome::Failed => Err(failed().into()),
            Outcome::NotModified => {
                let mut status = HttpStatus::new(StatusCode::NOT_MODIFIED);
                status.headers = not_modified_headers(etag, last_modified);
                Err(status.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    const T0: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const T1: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn at(text: &str) -> SystemTime {
        httpdate::parse_http_date(text).unwrap()
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let tag = EntityTag::strong("v1");
        let h = headers(&[("if-none-match", "\"v2\""), ("if-modified-since", T1)]);
        // The tag differs, so the representation changed: If-Modified-Since is not consulted.
        assert_eq!(
            evaluate(&Method::GET, &h, Some(&tag), Some(at(T0)), true),
            Outcome::Proceed
        );
        let h = headers(&[("if-none-match", "W/\"v1\"")]);
        assert_eq!(evaluate(&Method::GET, &h, Some(&tag), None, true), Outcome::NotModified);
        assert_eq!(evaluate(&Method::PUT, &h, Some(&tag), None, true), Outcome::Failed);
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let h = headers(&[("if-modified-since", T0)]);
        let later_in_the_same_second = at(T0) + Duration::from_millis(600);
        assert_eq!(
            evaluate(&Method::GET, &h, None, Some(later_in_the_same_second), true),
            Outcome::NotModified
        );
        assert_eq!(evaluate(&Method::GET, &h, None, Some(at(T1)), true), Outcome::Proceed);
        assert_eq!(evaluate(&Method::POST, &h, None, Some(at(T0)), true), Outcome::Proceed);
        let bad = headers(&[("if-modified-since", "yesterday")]);
        assert_eq!(evaluate(&Method::GET, &bad, None, Some(at(T0)), true), Outcome::Proceed);
    }

    #[test]
    fn if_match_is_strong_and_comes_first() {
        let tag = EntityTag::strong("v1");
        let weak_match = headers(&[("if-match", "W/\"v1\"")]);
        assert_eq!(
            evaluate(&Method::PUT, &weak_match, Some(&tag), None, true),
            Outcome::Failed
        );
        let ok = headers(&[("if-match", "\"v0\", \"v1\""), ("if-unmodified-since", T0)]);
        // If-Match holds, so If-Unmodified-Since (which would fail) is not consulted.
        assert_eq!(
            evaluate(&Method::PUT, &ok, Some(&tag), Some(at(T1)), true),
            Outcome::Proceed
        );
        let any = headers(&[("if-match", "*")]);
        assert_eq!(evaluate(&Method::PUT, &any, None, None, false), Outcome::Failed);
        assert_eq!(evaluate(&Method::PUT, &any, None, None, true), Outcome::Proceed);
        let garbage = headers(&[("if-match", "v1")]);
        assert_eq!(
            evaluate(&Method::PUT, &garbage, Some(&tag), None, true),
            Outcome::Failed
        );
    }

    #[test]
    fn if_unmodified_since_needs_a_known_date() {
        let h = headers(&[("if-unmodified-since", T0)]);
        assert_eq!(evaluate(&Method::DELETE, &h, None, Some(at(T1)), true), Outcome::Failed);
        assert_eq!(
            evaluate(&Method::DELETE, &h, None, Some(at(T0)), true),
            Outcome::Proceed
        );
        assert_eq!(evaluate(&Method::DELETE, &h, None, None, true), Outcome::Proceed);
    }

    #[test]
    fn obs_text_in_a_tag_is_a_tag_not_an_absent_header() {
        let mut h = HeaderMap::new();
        h.append("if-match", HeaderValue::from_bytes(b"\"\xff\"").unwrap());
        let tag = EntityTag::strong("a");
        assert_eq!(evaluate(&Method::PUT, &h, Some(&tag), None, true), Outcome::Failed);
    }

    #[test]
    fn split_list_fields_are_joined() {
        let tag = EntityTag::strong("b");
        let h = headers(&[("if-none-match", "\"a\""), ("if-none-match", "\"b\"")]);
        assert_eq!(evaluate(&Method::GET, &h, Some(&tag), None, true), Outcome::NotModified);
    }
}
