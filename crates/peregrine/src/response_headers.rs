//! `impl Response`: typed setters for the response headers APIs use most, with Falcon's names (`etag`,
//! `cache_control`, `append_link`, `downloadable_as`…) and the RFCs' syntax, so no caller formats a header
//! value by hand.

use std::time::{Duration, SystemTime};

use http::header::{self, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Internal, Result};
use crate::etag::EntityTag;
use crate::Response;

/// What RFC 8187's `value-chars` leaves unescaped: alphanumerics and `!#$&+-.^_`|~`.
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

fn value(text: String, what: &str) -> Result<HeaderValue> {
    HeaderValue::try_from(text).map_err(|_| Internal::new(format!("{what} holds a control character")).into())
}

impl Response {
    /// Sets `ETag` (RFC 9110 §8.8.3). On a GET or HEAD answered 200, a matching `If-None-Match` then turns
    /// the answer into 304 with no body, and a failing `If-Match` into 412 (RFC 9110 §13.2.2).
    ///
    /// ```
    /// let mut resp = peregrine::Response::new();
    /// resp.set_etag(&peregrine::EntityTag::strong("v7"));
    /// assert_eq!(resp.get_header("etag"), Some("\"v7\""));
    /// ```
    pub fn set_etag(&mut self, tag: &EntityTag) {
        let value = HeaderValue::try_from(tag.to_string()).expect("an entity tag is header text");
        self.headers_mut().insert(header::ETAG, value);
    }

    /// Sets `Cache-Control` to `directives`, such as `"max-age=60, public"` (RFC 9111 §5.2; Falcon's
    /// `cache_control`, which takes the list).
    ///
    /// # Errors
    /// A control character in `directives`: a 500 whose detail is logged.
    pub fn set_cache_control(&mut self, directives: &str) -> Result {
        let value = value(directives.to_owned(), "Cache-Control")?;
        self.headers_mut().insert(header::CACHE_CONTROL, value);
        Ok(())
    }

    /// Sets `Expires` as an HTTP date (RFC 9111 §5.3).
    pub fn set_expires(&mut self, time: SystemTime) {
        let value = HeaderValue::try_from(httpdate::fmt_http_date(time)).expect("an HTTP date is header text");
        self.headers_mut().insert(header::EXPIRES, value);
    }

    /// Adds `field` (a header name such as `accept-encoding`, or `*`) to `Vary` (RFC 9110 §12.5.5), once:
    /// a name already listed, in any case, is not added again.
    ///
    /// ```
    /// let mut resp = peregrine::Response::new();
    /// resp.append_vary("Accept");
    /// resp.append_vary("accept");
    /// resp.append_vary("Accept-Encoding");
    /// assert_eq!(resp.get_header("vary"), Some("Accept, Accept-Encoding"));
    /// ```
    ///
    /// # Panics
    /// When `field` is not a token (a header name or `*`).
    #[track_caller]
    pub fn append_vary(&mut self, field: &str) {
        assert!(
            !field.is_empty() && (field == "*" || header::HeaderName::from_bytes(field.as_bytes()).is_ok()),
            "append_vary: '{field}' is not a header name"
        );
        let current = self.get_header(header::VARY).unwrap_or("");
        if current.split(',').any(|f| f.trim().eq_ignore_ascii_case(field)) {
            return;
        }
        let joined = if current.trim().is_empty() {
            field.to_owned()
        } else {
            format!("{current}, {field}")
        };
        let value = HeaderValue::try_from(joined).expect("tokens are header text");
        self.headers_mut().insert(header::VARY, value);
    }

    /// Sets `Content-Location` (RFC 9110 §8.7), percent-encoding what a URI may not hold, as
    /// [`Response::set_location`] does.
    pub fn set_content_location(&mut self, uri: impl AsRef<str>) {
        let value = crate::response::uri_value(uri.as_ref());
        self.headers_mut().insert(header::CONTENT_LOCATION, value);
    }

    /// Sets `Content-Range: bytes first-last/length` (RFC 9110 §14.4); `length` `None` writes `*`. The
    /// range is inclusive, as in the header.
    pub fn set_content_range(&mut self, first: u64, last: u64, length: Option<u64>) {
        let text = match length {
            Some(length) => format!("bytes {first}-{last}/{length}"),
            None => format!("bytes {first}-{last}/*"),
        };
        let value = HeaderValue::try_from(text).expect("digits are header text");
        self.headers_mut().insert(header::CONTENT_RANGE, value);
    }

    /// Sets `Accept-Ranges` (RFC 9110 §14.3): `"bytes"`, or `"none"` to say ranges are not served.
    ///
    /// # Errors
    /// A unit that is not header text: a 500 whose detail is logged.
    pub fn set_accept_ranges(&mut self, unit: &str) -> Result {
        let value = value(unit.to_owned(), "Accept-Ranges")?;
        self.headers_mut().insert(header::ACCEPT_RANGES, value);
        Ok(())
    }

    /// Sets `Retry-After` to a delay in whole seconds (RFC 9110 §10.2.3; fractions are dropped).
    pub fn set_retry_after(&mut self, delay: Duration) {
        self.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(delay.as_secs()));
    }

    /// Adds a link to `Link` (RFC 8288; Falcon's `append_link`): `<target>; rel="rel"`, plus any
    /// `params` as `name="value"` pairs (`title`, `type`, `hreflang`…). Each call adds one link. The target
    /// is percent-encoded as [`Response::set_location`] does; a value with non-ASCII characters is sent as
    /// `name*=UTF-8''…` (RFC 8187, as RFC 8288 §3 allows), so every link stays visible ASCII.
    ///
    /// ```
    /// let mut resp = peregrine::Response::new();
    /// resp.append_link("/users/?marker=20", "next", &[])?;
    /// resp.append_link("/style.css", "preload", &[("as", "style"), ("title", "Thème")])?;
    /// assert_eq!(
    ///     resp.get_header("link"),
    ///     Some("</users/?marker=20>; rel=\"next\", </style.css>; rel=\"preload\"; as=\"style\"; title*=UTF-8''Th%C3%A8me")
    /// );
    /// # Ok::<(), peregrine::Error>(())
    /// ```
    ///
    /// # Errors
    /// A `"`, `\` or control character in `rel` or a value, or a parameter name that is not a token: a 500
    /// whose detail is logged (the app built a bad link).
    pub fn append_link(&mut self, target: &str, rel: &str, params: &[(&str, &str)]) -> Result {
        let bad_value = |v: &str| v.chars().any(|c| c == '"' || c == '\\' || c.is_control());
        if bad_value(rel) || !rel.is_ascii() {
            return Err(Internal::new(format!("append_link: the relation {rel:?} cannot be written")).into());
        }
        let target = crate::response::uri_value(target);
        let target = target.to_str().expect("percent-encoded text is ASCII");
        let mut link = format!("<{target}>; rel=\"{rel}\"");
        for (name, v) in params {
            if header::HeaderName::from_bytes(name.as_bytes()).is_err() || bad_value(v) {
                return Err(Internal::new(format!("append_link: parameter {name:?} cannot be written")).into());
            }
            if v.is_ascii() {
                link.push_str(&format!("; {name}=\"{v}\""));
            } else {
                let encoded = percent_encoding::utf8_percent_encode(v, ATTR_CHAR_ESCAPES);
                link.push_str(&format!("; {name}*=UTF-8''{encoded}"));
            }
        }
        let joined = match self.headers().get(header::LINK) {
            Some(current) => {
                let mut joined = current.as_bytes().to_vec();
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(link.as_bytes());
                HeaderValue::from_bytes(&joined).expect("links are header text")
            }
            None => value(link, "Link")?,
        };
        self.headers_mut().insert(header::LINK, joined);
        Ok(())
    }

    /// Sets `Content-Disposition: attachment` with `filename` (RFC 6266; Falcon's `downloadable_as`): the
    /// browser saves the body instead of showing it. A name that is not plain ASCII gets an ASCII fallback
    /// (`filename`, with `_` for each other character) and its UTF-8 form in `filename*` (RFC 8187).
    ///
    /// ```
    /// let mut resp = peregrine::Response::new();
    /// resp.downloadable_as("Résumé 2026.pdf");
    /// assert_eq!(
    ///     resp.get_header("content-disposition"),
    ///     Some("attachment; filename=\"R_sum_ 2026.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf")
    /// );
    /// ```
    pub fn downloadable_as(&mut self, filename: &str) {
        self.set_disposition("attachment", filename);
    }

    /// Sets `Content-Disposition: inline` with `filename` (Falcon's `viewable_as`): shown in the browser, and
    /// saved under that name if the user saves it. Encoded as [`Response::downloadable_as`].
    pub fn viewable_as(&mut self, filename: &str) {
        self.set_disposition("inline", filename);
    }

    fn set_disposition(&mut self, kind: &str, filename: &str) {
        let plain = filename.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
        let fallback: String = filename
            .chars()
            .map(|c| match c {
                '"' | '\\' => '_',
                c if c.is_ascii() && !c.is_ascii_control() => c,
                _ => '_',
            })
            .collect();
        let text = if plain && fallback == filename {
            format!("{kind}; filename=\"{fallback}\"")
        } else {
            let encoded = percent_encoding::utf8_percent_encode(filename, ATTR_CHAR_ESCAPES);
            format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
        };
        let value = HeaderValue::try_from(text).expect("ASCII without controls is header text");
        self.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_quotes_and_encodes() {
        let mut r = Response::new();
        r.viewable_as("report.pdf");
        assert_eq!(
            r.get_header("content-disposition"),
            Some("inline; filename=\"report.pdf\"")
        );
        r.downloadable_as("a\"b\\c.txt");
        assert_eq!(
            r.get_header("content-disposition"),
            Some("attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt")
        );
        r.downloadable_as("line\r\nbreak");
        assert_eq!(
            r.get_header("content-disposition"),
            Some("attachment; filename=\"line__break\"; filename*=UTF-8''line%0D%0Abreak")
        );
    }

    #[test]
    fn links_refuse_what_would_break_the_header() {
        let mut r = Response::new();
        r.append_link("/é <x>", "first", &[]).unwrap();
        r.append_link("/b", "next", &[("title", "naïve")]).unwrap();
        assert_eq!(
            r.get_header("link"),
            Some("</%C3%A9%20%3Cx%3E>; rel=\"first\", </b>; rel=\"next\"; title*=UTF-8''na%C3%AFve")
        );
        let mut r = Response::new();
        assert!(r.append_link("/a", "next\"", &[]).is_err());
        assert!(r.append_link("/a", "next", &[("bad name", "x")]).is_err());
        assert!(r.get_header("link").is_none());
    }

    #[test]
    fn small_setters() {
        let mut r = Response::new();
        r.set_content_range(0, 99, Some(1000));
        assert_eq!(r.get_header("content-range"), Some("bytes 0-99/1000"));
        r.set_retry_after(Duration::from_millis(2500));
        assert_eq!(r.get_header("retry-after"), Some("2"));
        r.set_location("/elsewhere");
        r.set_content_location("/users/a b");
        assert_eq!(r.get_header("content-location"), Some("/users/a%20b"));
        assert_eq!(r.get_header("location"), Some("/elsewhere"));
        assert!(r.set_cache_control("no-store\n").is_err());
        r.set_cache_control("max-age=60").unwrap();
        assert_eq!(r.get_header("cache-control"), Some("max-age=60"));
    }
}
