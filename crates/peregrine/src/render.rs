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

/// Replaces the response's status and body with `error`, keeping headers already set.
pub(crate) fn render_error(error: &HttpError, accept: &str, resp: &mut Response) {
    resp.set_status(error.status());
    let headers = resp.headers_mut();
    for (name, value) in error.headers() {
        headers.insert(name.clone(), value.clone());
    }
    headers.append(header::VARY, HeaderValue::from_static("Accept"));
    headers.remove(header::CONTENT_TYPE);
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
    match preferred {
        Some("application/problem+json") => {
            resp.set_content_type("application/problem+json");
            resp.body = crate::body::ResponseBody::Full(Bytes::from(problem_json(error)));
        }
        Some("application/xml") | Some("text/xml") => {
            resp.set_content_type("application/xml");
            resp.body = crate::body::ResponseBody::Full(Bytes::from(xml(error)));
        }
        Some(_) => {
            resp.set_content_type("application/json");
            resp.body = crate::body::ResponseBody::Full(Bytes::from(falcon_json(error)));
        }
        None => resp.body = crate::body::ResponseBody::Empty,
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
