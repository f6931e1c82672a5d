//! Rendering an [`HttpError`] into a response: JSON, `application/problem+json` (RFC 9457) or XML, chosen
//! by the client's `Accept`, always with `Vary: Accept`.
//!
//! As in Falcon: JSON unless the client prefers XML; a client that accepts neither gets the status and
//! headers with an empty body. Beyond Falcon: a client that prefers `application/problem+json` gets an RFC
//! 9457 problem document (`title`, `status`, `detail`, plus `code` and `link` as extension members).

use bytes::Bytes;
use http::header::{self, HeaderValue};
use serde::Serialize;

use crate::error::{HttpError, Link};
use crate::negotiation;
use crate::Response;

const OFFERS: [&str; 4] = [
    "application/json",
    "application/problem+json",
    "application/xml",
    "text/xml",
];

/// Headers that describe a body, dropped when an error replaces it.
const REPRESENTATION_HEADERS: [header::HeaderName; 8] = [
    header::ACCEPT_RANGES,
    header::CONTENT_DISPOSITION,
    header::CONTENT_ENCODING,
    header::CONTENT_LENGTH,
    header::CONTENT_LOCATION,
    header::CONTENT_RANGE,
    header::ETAG,
    header::LAST_MODIFIED,
];

/// Replaces the response's status and body with `error`, keeping the headers already set except those
/// that described the body it replaces (`Content-Length`, `Content-Encoding`, `ETag`…).
pub(crate) fn render_error(error: &HttpError, accept: &str, resp: &mut Response) {
    apply(error, negotiate(accept), |format| format.render(error), resp);
}

/// An error rendered once in every format, for an error the server sends often and always alike (the 503
/// of shedding, which must stay cheap while the server is at its limit): answering with it costs the
/// negotiation and a few header copies, no serialization.
pub(crate) struct PrerenderedError {
    error: HttpError,
    /// Indexed by [`Format`].
    bodies: [Bytes; 3],
}

impl PrerenderedError {
    pub(crate) fn new(error: HttpError) -> Self {
        let bodies = Format::ALL.map(|f| f.render(&error));
        PrerenderedError { error, bodies }
    }

    /// As [`render_error`] with this error.
    pub(crate) fn render(&self, accept: &str, resp: &mut Response) {
        apply(
            &self.error,
            negotiate(accept),
            |format| self.bodies[format as usize].clone(),
            resp,
        );
    }
}

/// An error body's format, as the client's `Accept` chose it.
#[derive(Clone, Copy)]
enum Format {
    ProblemJson = 0,
    Xml = 1,
    Json = 2,
}

impl Format {
    /// Every format, each at the index its value gives.
    const ALL: [Format; 3] = [Format::ProblemJson, Format::Xml, Format::Json];

    /// The `Content-Type`; constants, so `from_static`'s byte check runs at compile time.
    fn content_type(self) -> HeaderValue {
        const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");
        const XML: HeaderValue = HeaderValue::from_static("application/xml");
        const JSON: HeaderValue = HeaderValue::from_static("application/json");
        match self {
            Format::ProblemJson => PROBLEM_JSON,
            Format::Xml => XML,
            Format::Json => JSON,
        }
    }

    fn render(self, error: &HttpError) -> Bytes {
        match self {
            Format::ProblemJson => Bytes::from(problem_json(error)),
            Format::Xml => Bytes::from(xml(error)),
            Format::Json => Bytes::from(falcon_json(error)),
        }
    }
}

/// The format `accept` prefers; `None` when it accepts none of them (the body is then empty).
fn negotiate(accept: &str) -> Option<Format> {
    let preferred = negotiation::prefers(accept, &OFFERS).or_else(|| {
        let lower = accept.to_ascii_lowercase();
        if lower.contains("+json") {
            Some("application/json")
        } else if lower.contains("+xml") {
            Some("application/xml")
        } else {
            None
        }
    });
    match preferred? {
        "application/problem+json" => Some(Format::ProblemJson),
        "application/xml" | "text/xml" => Some(Format::Xml),
        _ => Some(Format::Json),
    }
}

/// Sets `error`'s status and headers (plus `Vary: Accept`) on `resp`, and the body `body` gives in `format`.
fn apply(error: &HttpError, format: Option<Format>, body: impl FnOnce(Format) -> Bytes, resp: &mut Response) {
    resp.set_status(error.status());
    let headers = resp.headers_mut();
    // The headers that described the body the error replaces would describe this one wrongly (a length,
    // a coding, a range, validators of another representation); the responder's other headers stay, as
    // in Falcon.
    if !headers.is_empty() {
        for name in REPRESENTATION_HEADERS {
            headers.remove(name);
        }
    }
    for (name, value) in error.headers() {
        headers.insert(name.clone(), value.clone());
    }
    // Joined to a Vary the responder set (`Vary: X-Country, Accept`), not a second field line.
    resp.append_vary("Accept");
    let headers = resp.headers_mut();
    match format {
        Some(format) => {
            headers.insert(header::CONTENT_TYPE, format.content_type());
            resp.body = crate::body::ResponseBody::Full(body(format));
        }
        None => {
            headers.remove(header::CONTENT_TYPE);
            resp.body = crate::body::ResponseBody::Empty;
        }
    }
}

/// Falcon's error document: `title`, then `description`, `code` and `link` when set.
#[derive(Serialize)]
struct FalconBody<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a Link>,
}

/// RFC 9457's problem document, with Falcon's `code` and `link` as extension members.
#[derive(Serialize)]
struct ProblemBody<'a> {
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a Link>,
}

fn falcon_json(error: &HttpError) -> Vec<u8> {
    let title = error.title();
    let body = FalconBody {
        title: &title,
        description: error.description(),
        code: error.code(),
        link: error.link(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn problem_json(error: &HttpError) -> Vec<u8> {
    let title = error.title();
    let body = ProblemBody {
        title: &title,
        status: error.status().as_u16(),
        detail: error.description(),
        code: error.code(),
        link: error.link(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn xml(error: &HttpError) -> String {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><error>"#);
    push_element(&mut out, "title", &error.title());
    if let Some(d) = error.description() {
        push_element(&mut out, "description", d);
    }
    if let Some(code) = error.code() {
        push_element(&mut out, "code", &code.to_string());
    }
    if let Some(link) = error.link() {
        out.push_str("<link>");
        push_element(&mut out, "text", &link.text);
        push_element(&mut out, "href", &link.href);
        push_element(&mut out, "rel", &link.rel);
        out.push_str("</link>");
    }
    out.push_str("</error>");
    out
}

fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prerendered_error_answers_every_accept_as_rendering_it_afresh_would() {
        let error = || {
            HttpError::service_unavailable()
                .with_description("Busy <now> & \"then\".")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("7"))
        };
        let once = PrerenderedError::new(error());
        for accept in [
            "*/*",
            "application/json",
            "application/problem+json",
            "application/xml;q=0.9, application/json;q=0.1",
            "text/xml",
            "application/vnd.api+json",
            "application/atom+xml",
            "text/plain",
        ] {
            let (mut fresh, mut cached) = (Response::new(), Response::new());
            render_error(&error(), accept, &mut fresh);
            once.render(accept, &mut cached);
            assert_eq!(cached.status(), fresh.status(), "{accept}");
            assert_eq!(cached.headers(), fresh.headers(), "{accept}");
            assert_eq!(cached.body_bytes(), fresh.body_bytes(), "{accept}");
        }
        let mut xml = Response::new();
        once.render("application/xml", &mut xml);
        assert_eq!(xml.get_header("content-type"), Some("application/xml"));
        assert_eq!(xml.get_header("retry-after"), Some("7"));
        let body = xml.body_bytes().expect("a body");
        assert!(std::str::from_utf8(body)
            .unwrap()
            .contains("Busy &lt;now&gt; &amp; &quot;then&quot;."));
        let mut plain = Response::new();
        once.render("text/plain", &mut plain);
        assert_eq!(plain.body_bytes(), None);
    }
}
