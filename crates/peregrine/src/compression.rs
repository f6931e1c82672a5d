//! Response compression (feature `compression`; `brotli` and `zstd` add those codings): gzip, br or zstd as
//! the client's `Accept-Encoding` ranks them (RFC 9110 §12.5.3), for responses of a compressible type and
//! size, encoded as hyper takes the body (a stream: memory stays at the encoder's window). Off unless the app
//! sets [`App::compression`](crate::App::compression).

use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::tokio::bufread::GzipEncoder;
use bytes::Bytes;
use futures_core::Stream;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use tokio::io::AsyncRead;
use tokio_util::io::{ReaderStream, StreamReader};

use crate::body::{BoxError, ResponseBody};
use crate::etag::EntityTag;
use crate::Response;

/// When and how responses are compressed.
///
/// ```
/// let app = peregrine::App::new().compression(peregrine::Compression::default());
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Compression {
    /// The smallest body compressed, in bytes (default 1,024: below that the coding's own overhead eats
    /// the gain). A streamed body, of unknown length, is compressed whatever its size.
    pub min_size: u64,
    /// The media types compressed: `type/subtype`, or `type/*` (default: `text/*`, JSON, JavaScript, XML,
    /// SVG, and any `+json` or `+xml` type). Images, audio, video and archives are compressed already.
    pub media_types: Vec<String>,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            min_size: 1024,
            media_types: [
                "text/*",
                "application/json",
                "application/javascript",
                "application/xml",
                "image/svg+xml",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// A content coding this build can produce, in the server's order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    #[cfg(feature = "brotli")]
    Br,
    #[cfg(feature = "zstd")]
    Zstd,
    Gzip,
}

impl Coding {
    const ALL: &'static [Coding] = &[
        #[cfg(feature = "brotli")]
        Coding::Br,
        #[cfg(feature = "zstd")]
        Coding::Zstd,
        Coding::Gzip,
    ];

    fn token(self) -> &'static str {
        match self {
            #[cfg(feature = "brotli")]
            Coding::Br => "br",
            #[cfg(feature = "zstd")]
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }
}

/// The quality `accept_encoding` gives `coding` (RFC 9110 §12.5.3): its own entry, else `*`'s, else none.
fn quality(accept_encoding: &str, coding: &str) -> Option<f32> {
    let mut star = None;
    for item in accept_encoding.split(',') {
        let mut pieces = item.split(';');
        let name = pieces.next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let q = crate::negotiation::weight(pieces);
        if name.eq_ignore_ascii_case(coding) {
            return Some(q);
        }
        if name == "*" {
            star = Some(q);
        }
    }
    star
}

/// The coding the client ranks highest among those this build has; ties go to the server's order. `None`:
/// send the body as it is.
fn choose(accept_encoding: &str) -> Option<Coding> {
    let mut best: Option<(Coding, f32)> = None;
    for &coding in Coding::ALL {
        if let Some(q) = quality(accept_encoding, coding.token()) {
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((coding, q));
            }
        }
    }
    best.map(|(c, _)| c)
}

fn compressible(config: &Compression, content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if subtype.ends_with("+json") || subtype.ends_with("+xml") {
        return true;
    }
    config.media_types.iter().any(|t| match t.split_once('/') {
        Some((k, "*")) => k.eq_ignore_ascii_case(kind),
        _ => t.eq_ignore_ascii_case(&essence),
    })
}

/// Whether the response is of a type and size `config` compresses, and may be transformed at all.
fn eligible(config: &Compression, resp: &Response) -> bool {
    let headers = resp.headers();
    if headers.contains_key(header::CONTENT_ENCODING) || headers.contains_key(header::CONTENT_RANGE) {
        return false;
    }
    let no_transform = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-transform")));
    let typed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| compressible(config, ct));
    let big_enough = resp.body.known_length().is_none_or(|n| n >= config.min_size);
    !no_transform && typed && big_enough
}

/// The coding the request's `Accept-Encoding` picks, if any.
fn requested(request_headers: &HeaderMap) -> Option<Coding> {
    crate::headers::joined(request_headers, &header::ACCEPT_ENCODING)
        .as_deref()
        .and_then(choose)
}

/// Makes a strong `ETag` weak: the encoded bytes are another representation, and a strong tag would
/// promise they are the same (RFC 9110 §8.8.3); If-None-Match still compares it equal.
fn weaken_etag(resp: &mut Response) {
    let strong = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(EntityTag::parse)
        .filter(|t| !t.is_weak());
    if let Some(tag) = strong {
        resp.set_etag(&EntityTag::weak(tag.tag().to_owned()));
    }
}

/// Before the conditional and range rules turn a GET/HEAD 200 into a 304 or 206: when the 200 is one
/// this app compresses, adds `Vary: Accept-Encoding`, and when the request also takes an encoding, weakens
/// the `ETag` as the encoded 200 would have it. Returns whether the 200 will be encoded (then it is not
/// ranged).
pub(crate) fn prepare(config: &Compression, request_headers: &HeaderMap, resp: &mut Response) -> bool {
    if !eligible(config, resp) {
        return false;
    }
    resp.append_vary("Accept-Encoding");
    if requested(request_headers).is_none() {
        return false;
    }
    weaken_etag(resp);
    true
}

/// The pipeline's last step for an app with compression on: encodes the body when the response and the
/// request allow it, and adds `Vary: Accept-Encoding` to every response whose encoding depended on it.
/// Never for a status without content, a 206 (its range is of the unencoded bytes), a body already
/// encoded, or `Cache-Control: no-transform`. A HEAD gets the headers its GET would (the body is dropped
/// later, and with it the encoder).
pub(crate) fn apply(config: &Compression, _method: &Method, request_headers: &HeaderMap, resp: &mut Response) {
    let status = resp.status();
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || matches!(resp.body, ResponseBody::Empty)
    {
        return;
    }
    if !eligible(config, resp) {
        return;
    }
    resp.append_vary("Accept-Encoding");
    if status == StatusCode::PARTIAL_CONTENT {
        return;
    }
    let Some(coding) = requested(request_headers) else {
        return;
    };
    let body = std::mem::take(&mut resp.body);
    resp.body = ResponseBody::Stream(Box::pin(encode(coding, body)));
    let headers = resp.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    weaken_etag(resp);
}

/// A body as the encoder reads it: chunks as `io::Result`s.
struct Chunks(ResponseBody);

impl Stream for Chunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0
            .poll_chunk(cx)
            .map(|o| o.map(|r| r.map_err(std::io::Error::other)))
    }
}

/// The encoder's output as a body stream.
struct Encoded<R>(ReaderStream<R>);

impl<R: AsyncRead + Unpin> Stream for Encoded<R> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|o| o.map(|r| r.map_err(BoxError::from)))
    }
}

fn encode(coding: Coding, body: ResponseBody) -> Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>> {
    let reader = StreamReader::new(Chunks(body));
    match coding {
        #[cfg(feature = "brotli")]
        // Quality 4: brotli's default (11) is for files compressed once, far too slow per response.
        Coding::Br => Box::pin(Encoded(ReaderStream::new(
            async_compression::tokio::bufread::BrotliEncoder::with_quality(
                reader,
                async_compression::Level::Precise(4),
            ),
        ))),
        #[cfg(feature = "zstd")]
        Coding::Zstd => Box::pin(Encoded(ReaderStream::new(
            async_compression::tokio::bufread::ZstdEncoder::new(reader),
        ))),
        Coding::Gzip => Box::pin(Encoded(ReaderStream::new(GzipEncoder::new(reader)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_ranks_codings() {
        assert_eq!(choose("gzip"), Some(Coding::Gzip));
        assert_eq!(choose("gzip;q=0, identity"), None);
        assert_eq!(choose("*"), Some(Coding::ALL[0]));
        assert_eq!(
            choose("*;q=0.5, gzip;q=0"),
            Coding::ALL.iter().copied().find(|c| *c != Coding::Gzip)
        );
        assert_eq!(choose("deflate, identity"), None);
        assert_eq!(choose(""), None);
        assert_eq!(quality("GZIP;Q=0.3", "gzip"), Some(0.3));
    }

    #[test]
    fn media_types_match_with_wildcards_and_suffixes() {
        let c = Compression::default();
        for yes in [
            "text/html; charset=utf-8",
            "application/json",
            "application/problem+json",
            "image/svg+xml",
        ] {
            assert!(compressible(&c, yes), "{yes}");
        }
        for no in ["image/png", "application/octet-stream", "application/zip", "garbage"] {
            assert!(!compressible(&c, no), "{no}");
        }
    }
}
