//! Byte ranges (RFC 9110 §14): `req.range()`, and the pipeline's 206 / 416 answers for responses that
//! advertise `Accept-Ranges: bytes` (files from `set_file` do; an in-memory body does once the responder
//! calls `set_accept_ranges("bytes")`).
//!
//! One range gets 206 with `Content-Range`; a range past the end gets 416 with `Content-Range: bytes */len`;
//! several ranges get the whole representation with 200 (a multipart/byteranges answer is allowed, not
//! required, and clients that send several accept the whole); an `If-Range` that does not match the current
//! `ETag` (strong comparison) or `Last-Modified` (the exact date) gets the whole representation too.

use std::time::SystemTime;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};

use crate::body::ResponseBody;
use crate::error::{HttpError, Result};
use crate::etag::EntityTag;
use crate::headers::joined;
use crate::{Request, Response};

/// One range of bytes as a `Range` header asks for it (RFC 9110 §14.1.1). Falcon's `req.range` gives the
/// same as a tuple: `(first, last)`, `(first, -1)`, `(-suffix, -1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `first-last`: both inclusive.
    FromTo(u64, u64),
    /// `first-`: from `first` to the end.
    From(u64),
    /// `-n`: the last `n` bytes.
    Last(u64),
}

impl ByteRange {
    /// The inclusive positions this range covers in a representation of `len` bytes; `None` when it
    /// covers none of them (unsatisfiable, RFC 9110 §14.1.1).
    pub fn resolve(self, len: u64) -> Option<(u64, u64)> {
        match self {
            ByteRange::FromTo(first, _) | ByteRange::From(first) if first >= len => None,
            ByteRange::FromTo(first, last) => Some((first, last.min(len - 1))),
            ByteRange::From(first) => Some((first, len - 1)),
            ByteRange::Last(0) => None,
            ByteRange::Last(_) if len == 0 => None,
            ByteRange::Last(n) => Some((len - n.min(len), len - 1)),
        }
    }
}

fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses one `range-spec`; `None` when malformed (a first position after the last, say).
fn parse_spec(spec: &str) -> Option<ByteRange> {
    let (first, last) = spec.trim_matches([' ', '\t']).split_once('-')?;
    match (first.is_empty(), last.is_empty()) {
        (true, false) => Some(ByteRange::Last(digits(last)?)),
        (false, true) => Some(ByteRange::From(digits(first)?)),
        (false, false) => {
            let (first, last) = (digits(first)?, digits(last)?);
            (first <= last).then_some(ByteRange::FromTo(first, last))
        }
        (true, true) => None,
    }
}

/// A `Range` value: its unit and its ranges; `None` when malformed.
pub(crate) fn parse_range(value: &str) -> Option<(&str, Vec<ByteRange>)> {
    let (unit, specs) = value.trim_matches([' ', '\t']).split_once('=')?;
    let unit = unit.trim_matches([' ', '\t']);
    if unit.is_empty() || !unit.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return None;
    }
    let mut ranges = Vec::new();
    for spec in specs.split(',') {
        if spec.trim_matches([' ', '\t']).is_empty() {
            continue;
        }
        ranges.push(parse_spec(spec)?);
    }
    (!ranges.is_empty()).then_some((unit, ranges))
}

fn invalid_range() -> crate::Error {
    HttpError::bad_request()
        .with_title("Invalid header value")
        .with_description("The value of the Range header must be one range of bytes, such as bytes=0-499.")
        .into()
}

impl Request {
    /// The single byte range `Range` asks for (RFC 9110 §14.2), `None` without the header.
    ///
    /// ```
    /// use peregrine::ByteRange;
    /// let req = peregrine::testing::create_req("GET", "/", &[("range", "bytes=-500")]);
    /// assert_eq!(req.range()?, Some(ByteRange::Last(500)));
    /// assert_eq!(req.range_unit()?, Some("bytes"));
    /// # Ok::<(), peregrine::Error>(())
    /// ```
    ///
    /// # Errors
    /// **400 "Invalid header value"** for a malformed value, a unit other than `bytes`, or several ranges
    /// (as Falcon, which reads only one). The pipeline's own range handling ignores such a header instead,
    /// as RFC 9110 §14.2 allows.
    pub fn range(&self) -> Result<Option<ByteRange>> {
        let Some(value) = joined(self.headers(), &header::RANGE) else {
            return Ok(None);
        };
        match parse_range(&value) {
            Some((unit, ranges)) if unit.eq_ignore_ascii_case("bytes") && ranges.len() == 1 => Ok(Some(ranges[0])),
            _ => Err(invalid_range()),
        }
    }

    /// The unit of `Range` (`bytes`, or another the client named), `None` without the header.
    ///
    /// # Errors
    /// **400 "Invalid header value"** for a malformed value.
    pub fn range_unit(&self) -> Result<Option<&str>> {
        let Some(value) = self.headers().get(header::RANGE) else {
            return Ok(None);
        };
        let text = value.to_str().map_err(|_| invalid_range())?;
        match parse_range(text) {
            Some((unit, _)) => Ok(Some(unit)),
            None => Err(invalid_range()),
        }
    }
}

/// Whether `If-Range` (absent, or matching the validators) lets the range apply (RFC 9110 §13.1.5).
fn if_range_holds(request_headers: &HeaderMap, resp_headers: &HeaderMap) -> bool {
    let Some(value) = request_headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) else {
        return request_headers.get(header::IF_RANGE).is_none();
    };
    if value.trim_start().starts_with('"') || value.trim_start().starts_with("W/") {
        let Some(asked) = EntityTag::parse(value) else {
            return false;
        };
        let current = resp_headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(EntityTag::parse);
        return current.is_some_and(|c| c.strong_eq(&asked));
    }
    let asked = httpdate::parse_http_date(value).ok();
    let current: Option<SystemTime> = resp_headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    asked.is_some() && asked == current
}

/// The pipeline's step for a GET answered 200 with `Accept-Ranges: bytes`: 206 for one satisfiable range,
/// 416 for an unsatisfiable one, the whole body otherwise.
pub(crate) fn answer(method: &Method, request_headers: &HeaderMap, resp: &mut Response) {
    let advertised = resp.headers().get(header::ACCEPT_RANGES).map(HeaderValue::as_bytes);
    if *method != Method::GET || !advertised.is_some_and(|v| v.eq_ignore_ascii_case(b"bytes")) {
        return;
    }
    let Some(value) = joined(request_headers, &header::RANGE) else {
        return;
    };
    let Some((unit, ranges)) = parse_range(&value) else {
        return;
    };
    if !unit.eq_ignore_ascii_case("bytes") || ranges.len() != 1 || !if_range_holds(request_headers, resp.headers()) {
        return;
    }
    if resp
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes() != b"identity")
    {
        return;
    }
    let Some(len) = resp.body.known_length() else {
        return;
    };
    match ranges[0].resolve(len) {
        None => {
            let mut kept = std::mem::take(resp.headers_mut());
            let content_range = HeaderValue::try_from(format!("bytes */{len}")).expect("digits are header text");
            *resp = Response::new();
            for name in [header::ETAG, header::LAST_MODIFIED, header::ACCEPT_RANGES] {
                if let Some(v) = kept.remove(&name) {
                    resp.headers_mut().insert(name, v);
                }
            }
            resp.set_error(
                HttpError::range_not_satisfiable()
                    .with_description(format!("The representation has {len} bytes."))
                    .with_header(header::CONTENT_RANGE, content_range),
            );
        }
        Some((first, last)) => {
            let body = std::mem::take(&mut resp.body);
            resp.body = match body {
                ResponseBody::Full(bytes) => ResponseBody::Full(bytes.slice(first as usize..=last as usize)),
                #[cfg(feature = "files")]
                ResponseBody::File(mut file) => {
                    file.narrow(first, last - first + 1);
                    ResponseBody::File(file)
                }
                other => other,
            };
            resp.set_status(StatusCode::PARTIAL_CONTENT);
            resp.headers_mut().remove(header::CONTENT_LENGTH);
            resp.set_content_range(first, last, Some(len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_resolve() {
        assert_eq!(
            parse_range("bytes=0-499"),
            Some(("bytes", vec![ByteRange::FromTo(0, 499)]))
        );
        assert_eq!(
            parse_range("bytes= 500- , -10"),
            Some(("bytes", vec![ByteRange::From(500), ByteRange::Last(10)]))
        );
        for bad in [
            "bytes=5-1",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "=0-1",
            "bytes 0-1",
            "bytes=+1-2",
        ] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
        assert_eq!(ByteRange::FromTo(0, 999).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::From(100).resolve(100), None);
        assert_eq!(ByteRange::Last(500).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::Last(0).resolve(100), None);
        assert_eq!(ByteRange::Last(1).resolve(0), None);
        assert_eq!(ByteRange::From(0).resolve(0), None);
    }
}
