//! `multipart/form-data` bodies (RFC 7578), streamed part by part through `req.multipart()` (feature
//! `multipart`): no part, and no body, is ever held whole in memory unless the responder asks for it.
//! Parsing is `multer`'s; this module adds the app's limits and turns every failure into its 4xx.

use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::HeaderMap;
use http_body_util::BodyExt as _;

use crate::body::{read_error, too_large, BoxBody, RequestBody};
use crate::error::{HttpError, Internal, Result};
use crate::media;
use crate::Request;

/// The largest piece of body handed to the parser at once while it looks for a part's headers: the bound
/// on how far the header-size guard can overshoot.
const PIECE: usize = 16 * 1024;

/// A `multipart/form-data` body being read, one [`Part`] at a time, in the order sent.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use peregrine::{Request, Response, Result};
/// use peregrine::testing::TestClient;
///
/// struct Uploads;
///
/// #[peregrine::resource]
/// impl Uploads {
///     async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
///         let mut multipart = req.multipart()?;
///         let mut seen = Vec::new();
///         while let Some(mut part) = multipart.next_part().await? {
///             let name = part.name().unwrap_or("").to_owned();
///             let size = part.bytes().await?.len();
///             seen.push(format!("{name}:{size}"));
///         }
///         resp.set_text(seen.join(","));
///         Ok(())
///     }
/// }
///
/// let client = TestClient::new(peregrine::App::new().add_route("/uploads", Uploads));
/// let body = "--X\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--X--\r\n";
/// let r = client.simulate_post("/uploads")
///     .header("content-type", "multipart/form-data; boundary=X")
///     .body(body)
///     .await;
/// assert_eq!(r.text(), "a:5");
/// # });
/// ```
pub struct Multipart {
    inner: multer::Multipart<'static>,
    feed: Arc<FeedState>,
    current: Option<multer::Field<'static>>,
    parts: usize,
    max_parts: usize,
    max_part_header_size: usize,
    body_limit: usize,
}

/// One part: its headers, then its body as a stream of chunks.
pub struct Part<'m> {
    multipart: &'m mut Multipart,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("parts_read", &self.parts)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Part<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("name", &self.name())
            .field("filename", &self.filename())
            .field("content_type", &self.content_type())
            .finish()
    }
}

/// What the body feed and the reader share: whether the parser is looking for a part's headers, and how
/// many bytes it has pulled while doing so.
struct FeedState {
    seeking: AtomicBool,
    pulled: AtomicUsize,
    /// How many bytes the search for one part's headers may pull: the limit, plus the boundary line and
    /// the blank line around the headers.
    budget: usize,
    /// `max_part_header_size`, for the error.
    limit: usize,
}

/// The request body as the stream `multer` reads: in pieces of at most [`PIECE`] bytes while headers are
/// sought, failing with the header-size error once the search has pulled more than its budget.
struct Feed {
    body: Option<BoxBody>,
    pending: Bytes,
    state: Arc<FeedState>,
    /// While seeking, a piece was just handed over: yield once so the parser looks at it before pulling
    /// more (it pulls for as long as the stream is ready).
    just_fed: bool,
}

/// A failure of the feed, carried through `multer` and turned back into its answer.
#[derive(Debug)]
struct FeedError(HttpError);

impl std::fmt::Display for FeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FeedError {}

impl Stream for Feed {
    type Item = std::result::Result<Bytes, FeedError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let seeking = this.state.seeking.load(Ordering::Relaxed);
        if seeking && this.just_fed {
            this.just_fed = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if this.pending.is_empty() {
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            loop {
                match body.as_mut().poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => {
                        this.body = None;
                        return Poll::Ready(None);
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.body = None;
                        return Poll::Ready(Some(Err(FeedError(read_error(&*e)))));
                    }
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                this.pending = data;
                                break;
                            }
                        }
                    }
                }
            }
        }
        if !seeking {
            return Poll::Ready(Some(Ok(std::mem::take(&mut this.pending))));
        }
        let piece = this.pending.split_to(this.pending.len().min(PIECE));
        let state = &this.state;
        let pulled = state.pulled.fetch_add(piece.len(), Ordering::Relaxed) + piece.len();
        if pulled > state.budget + PIECE {
            return Poll::Ready(Some(Err(FeedError(headers_too_large(state.limit)))));
        }
        this.just_fed = true;
        Poll::Ready(Some(Ok(piece)))
    }
}

fn headers_too_large(limit: usize) -> HttpError {
    HttpError::content_too_large()
        .with_title("Part headers too large")
        .with_description(format!("The headers of one part may take at most {limit} bytes."))
}

fn invalid(detail: impl std::fmt::Display) -> HttpError {
    HttpError::bad_request()
        .with_title("Invalid multipart body")
        .with_description(format!("Could not read the multipart body: {detail}."))
}

/// The answer to a `multer` failure.
fn answer(error: multer::Error, body_limit: usize) -> crate::Error {
    use std::error::Error as _;
    match error {
        multer::Error::StreamSizeExceeded { .. } => too_large(body_limit).into(),
        multer::Error::FieldSizeExceeded { limit, .. } => HttpError::content_too_large()
            .with_title("Part too large")
            .with_description(format!("One part may hold at most {limit} bytes."))
            .into(),
        // multer reads at most 32 header lines per part (httparse's array); more is the header limit too.
        multer::Error::ReadHeaderFailed(e) if e.to_string().contains("too many headers") => {
            HttpError::content_too_large()
                .with_title("Part headers too large")
                .with_description("One part may have at most 32 header lines.")
                .into()
        }
        multer::Error::StreamReadFailed(e) => match e.downcast::<FeedError>() {
            Ok(feed) => feed.0.into(),
            Err(other) => invalid(other).into(),
        },
        other => {
            let detail = other
                .source()
                .map_or_else(|| other.to_string(), |s| format!("{other}: {s}"));
            invalid(detail).into()
        }
    }
}

impl Request {
    /// Starts reading a `multipart/form-data` body part by part (RFC 7578; feature `multipart`). The body is
    /// streamed: take each part's chunks as they arrive, read a small part whole with [`Part::bytes`], or
    /// write one to disk with [`Part::save_to`]. The body is consumed: `req.body_bytes()` cannot read it
    /// afterwards.
    ///
    /// Limits, from the request options (route's, else app's): `max_body_size` for the whole body,
    /// `max_parts`, `max_part_size`, `max_part_header_size` (and at most 32 header lines per part, the
    /// parser's own bound). While the parser looks for a part's headers it reads at most that limit plus
    /// 16 KiB past the boundary before refusing, so a preamble before the first part (which RFC 2046 allows
    /// and clients do not send) counts towards the first part's header limit.
    ///
    /// # Errors
    /// - **415** when the body is not `multipart/form-data`; **400 "Invalid multipart body"** when its
    ///   `boundary` is missing (here) or its framing is broken (while reading).
    /// - While reading: **413** "Content Too Large", "Too many parts", "Part too large" or "Part headers too
    ///   large" past each limit; 400 or 408 when the connection fails or stalls, as for any body read.
    pub fn multipart(&mut self) -> Result<Multipart> {
        let content_type = self.content_type().unwrap_or("");
        if media::essence(content_type) != media::MULTIPART {
            return Err(HttpError::unsupported_media_type()
                .with_description("This resource reads multipart/form-data bodies.")
                .into());
        }
        let boundary = multer::parse_boundary(content_type).map_err(|_| invalid("the boundary is missing"))?;
        let options = self.options();
        let (body_limit, max_parts, max_part_size, max_part_header_size) = (
            options.max_body_size,
            options.max_parts,
            options.max_part_size,
            options.max_part_header_size,
        );
        let body: Option<BoxBody> = match std::mem::replace(&mut self.body, RequestBody::Reading) {
            RequestBody::Full(bytes) => Some(Box::pin(http_body_util::Full::new(bytes).map_err(|e| match e {}))),
            RequestBody::Stream(stream) => Some(stream),
            RequestBody::Reading => return Err(crate::body::incomplete().into()),
        };
        let state = Arc::new(FeedState {
            seeking: AtomicBool::new(true),
            pulled: AtomicUsize::new(0),
            // The boundary line and the blank line around the headers, beside the headers themselves.
            budget: max_part_header_size + boundary.len() + 8,
            limit: max_part_header_size,
        });
        let feed = Feed {
            body,
            pending: Bytes::new(),
            state: Arc::clone(&state),
            just_fed: false,
        };
        let mut size_limit = multer::SizeLimit::new().whole_stream(body_limit as u64);
        if let Some(limit) = max_part_size {
            size_limit = size_limit.per_field(limit);
        }
        let constraints = multer::Constraints::new().size_limit(size_limit);
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(feed, boundary, constraints),
            feed: state,
            current: None,
            parts: 0,
            max_parts,
            max_part_header_size,
            body_limit,
        })
    }
}

impl Multipart {
    /// The next part, `None` after the last. The part before it, if not read to its end, is skipped
    /// (its bytes still count against the limits).
    ///
    /// # Errors
    /// As [`Request::multipart`] says for reading.
    pub async fn next_part(&mut self) -> Result<Option<Part<'_>>> {
        if let Some(mut previous) = self.current.take() {
            while previous
                .chunk()
                .await
                .map_err(|e| answer(e, self.body_limit))?
                .is_some()
            {}
        }
        self.feed.seeking.store(true, Ordering::Relaxed);
        self.feed.pulled.store(0, Ordering::Relaxed);
        let field = self.inner.next_field().await.map_err(|e| answer(e, self.body_limit))?;
        self.feed.seeking.store(false, Ordering::Relaxed);
        let Some(field) = field else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > self.max_parts {
            return Err(HttpError::content_too_large()
                .with_title("Too many parts")
                .with_description(format!("A multipart body may hold at most {} parts.", self.max_parts))
                .into());
        }
        let header_size: usize = field
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + 2 + value.len())
            .sum();
        if header_size > self.max_part_header_size {
            return Err(headers_too_large(self.max_part_header_size).into());
        }
        self.current = Some(field);
        Ok(Some(Part { multipart: self }))
    }
}

impl Part<'_> {
    fn field(&self) -> &multer::Field<'static> {
        self.multipart.current.as_ref().expect("a part holds its field")
    }

    /// The `name` of its `Content-Disposition` (the form field's name).
    pub fn name(&self) -> Option<&str> {
        self.field().name()
    }

    /// The `filename` of its `Content-Disposition`, as the client sent it: never use it as a path.
    pub fn filename(&self) -> Option<&str> {
        self.field().file_name()
    }

    /// Its `Content-Type`, as sent (`text/plain` is the default RFC 7578 gives a part without one).
    pub fn content_type(&self) -> Option<&str> {
        self.field()
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// All its headers.
    pub fn headers(&self) -> &HeaderMap {
        self.field().headers()
    }

    /// The next chunk of its body, `None` at its end. Chunks are as they arrive from the connection.
    ///
    /// # Errors
    /// As [`Request::multipart`] says for reading.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let limit = self.multipart.body_limit;
        let field = self.multipart.current.as_mut().expect("a part holds its field");
        field.chunk().await.map_err(|e| answer(e, limit))
    }

    /// Its whole body in memory, for small parts (form fields): bounded by `max_part_size` when set, and
    /// by the body limit in any case.
    ///
    /// # Errors
    /// As [`Request::multipart`] says for reading.
    pub async fn bytes(&mut self) -> Result<Bytes> {
        let mut collected = bytes::BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            collected.extend_from_slice(&chunk);
        }
        Ok(collected.freeze())
    }

    /// Its whole body as UTF-8 text.
    ///
    /// # Errors
    /// As [`Part::bytes`], and **400 "Invalid multipart body"** when the part is not UTF-8.
    pub async fn text(&mut self) -> Result<String> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| invalid("a text part is not UTF-8").into())
    }

    /// Writes its body to the file at `path` as it arrives (memory stays at one chunk), creating it or
    /// truncating what was there, and returns the number of bytes written. On any failure the partial file
    /// is removed. `filename()` is the client's text: never use it as `path` unchecked.
    ///
    /// # Errors
    /// As [`Part::chunk`] for the body; a file that cannot be created or written is a 500 whose detail
    /// (the path and the I/O error) is logged.
    pub async fn save_to(&mut self, path: impl AsRef<Path>) -> Result<u64> {
        use tokio::io::AsyncWriteExt as _;
        let path = path.as_ref();
        let disk = |e: std::io::Error| -> crate::Error {
            Internal::new(format!("could not save an uploaded part to {}: {e}", path.display())).into()
        };
        let mut file = tokio::fs::File::create(path).await.map_err(disk)?;
        let mut written = 0u64;
        let outcome: Result<()> = async {
            while let Some(chunk) = self.chunk().await? {
                file.write_all(&chunk).await.map_err(disk)?;
                written += chunk.len() as u64;
            }
            file.flush().await.map_err(disk)?;
            Ok(())
        }
        .await;
        if outcome.is_err() {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
        }
        outcome.map(|()| written)
    }
}
