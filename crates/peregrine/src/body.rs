//! Request and response bodies, as the pipeline reads and writes them and as hyper (or any `http_body`
//! consumer) takes them.
//!
//! Architecture invariant: this module knows no transport. The request body is bytes or any boxed
//! [`http_body::Body`]; the response body tells whoever registered a [`BodyDone`] when it is finished with
//! (the server's header-read watchdog today), without knowing who that is.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Body, Frame, SizeHint};

use crate::error::HttpError;
use crate::Result;

/// A streamed request body: any `http_body` body of bytes, boxed (the server's is hyper's).
pub(crate) type BoxBody = Pin<Box<dyn Body<Data = Bytes, Error = BoxError> + Send + 'static>>;

/// A request body: in memory (the test client, a request without a body, or a body already read), or
/// streamed from the connection.
pub(crate) enum RequestBody {
    Full(Bytes),
    Stream(BoxBody),
    /// A read was started and did not finish: it failed, or its future was dropped (the request timed out).
    Reading,
}

impl RequestBody {
    /// Reads the whole body, refusing with 413 past `limit` bytes (before reading, when Content-Length says
    /// so; else as soon as the limit is crossed). The buffer is sized from Content-Length when there is one.
    pub(crate) async fn read(&mut self, limit: usize) -> Result<Bytes> {
        let mut stream = match std::mem::replace(self, RequestBody::Reading) {
            RequestBody::Full(b) => {
                *self = RequestBody::Full(b.clone());
                if b.len() > limit {
                    return Err(too_large(limit).into());
                }
                return Ok(b);
            }
            RequestBody::Stream(stream) => stream,
            RequestBody::Reading => return Err(incomplete().into()),
        };
        let hint = stream.size_hint();
        if hint.lower() > limit as u64 {
            *self = RequestBody::Stream(stream);
            return Err(too_large(limit).into());
        }
        // PERF: with Content-Length the buffer is allocated once at its size instead of doubling.
        let expected = hint
            .exact()
            .map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
        let mut collected = bytes::BytesMut::with_capacity(expected);
        while let Some(frame) = std::future::poll_fn(|cx| stream.as_mut().poll_frame(cx)).await {
            let frame = frame.map_err(|e| read_error(&*e))?;
            if let Ok(data) = frame.into_data() {
                if collected.len() + data.len() > limit {
                    return Err(too_large(limit).into());
                }
                collected.extend_from_slice(&data);
            }
        }
        let bytes = collected.freeze();
        *self = RequestBody::Full(bytes.clone());
        Ok(bytes)
    }

    /// Whether a read of this body was started and did not finish.
    pub(crate) fn is_unfinished(&self) -> bool {
        matches!(self, RequestBody::Reading)
    }
}

/// The error of a request body that stopped arriving fast enough (the server's rule on body reads): the
/// request is answered 408 and the connection closed.
#[derive(Debug)]
pub(crate) struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// The answer to a body read that failed with `error`.
pub(crate) fn read_error(error: &(dyn std::error::Error + 'static)) -> HttpError {
    if error.is::<BodyTimedOut>() {
        body_timed_out()
    } else {
        incomplete()
    }
}

/// 408 and a close: the rest of the body will not be read, so the connection cannot carry another request.
pub(crate) fn body_timed_out() -> HttpError {
    HttpError::request_timeout()
        .with_description("The request body did not arrive in time.")
        .with_header(http::header::CONNECTION, "close")
}

/// 400 and a close: the body ended early (the connection failed) or its chunked framing is malformed.
pub(crate) fn incomplete() -> HttpError {
    HttpError::bad_request()
        .with_title("Incomplete request body")
        .with_description("The request body ended early or its chunked framing is malformed.")
        .with_header(http::header::CONNECTION, "close")
}

pub(crate) fn too_large(limit: usize) -> HttpError {
    HttpError::content_too_large().with_description(format!("The request body may not exceed {limit} bytes."))
}

/// A stream's error, logged as it ends the body.
#[cold]
fn stream_failed(error: BoxError) -> BoxError {
    log_body_ended(format_args!("a response body stream failed; ending the body: {error}"));
    error
}

/// What a streamed body ends with when its stream panicked (logged here). The status line may be sent by then,
/// so the connection is closed (HTTP/1) or the stream reset (HTTP/2), as when a stream fails, rather than the
/// panic reaching the connection's task or a tower caller polling the body.
#[cold]
fn stream_panicked(panic: &(dyn std::any::Any + Send)) -> BoxError {
    let message = crate::catch_unwind::panic_message(panic);
    log_body_ended(format_args!(
        "a response body stream panicked; ending the body: {message}"
    ));
    format!("the response body stream panicked: {message}").into()
}

/// An `ERROR` event, or a line on stderr when no `tracing` subscriber is set (whatever `App::stderr_fallback`
/// says: the body is sent after the app is done).
fn log_body_ended(event: std::fmt::Arguments<'_>) {
    tracing::error!("{event}");
    crate::stderr::fallback_to_stderr(true, event);
}

/// A boxed stream of body chunks, for streaming responses.
pub type BodyStream = Pin<Box<dyn Stream<Item = std::result::Result<Bytes, BoxError>> + Send + 'static>>;

/// The error type a body stream may yield; the connection is closed when it does.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a response sends: nothing, bytes of known length, or a stream.
#[derive(Default)]
pub(crate) enum ResponseBody {
    #[default]
    Empty,
    Full(Bytes),
    Stream(BodyStream),
    /// A file from `set_file`, read as it is sent.
    #[cfg(feature = "files")]
    File(Box<FileBody>),
}

impl ResponseBody {
    /// The next chunk of the body, `None` at its end (an in-memory body is one chunk, an empty one none).
    /// What hyper reads through [`HyperBody`] and what the compression encoder reads.
    #[inline]
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::result::Result<Bytes, BoxError>>> {
        match self {
            ResponseBody::Empty => Poll::Ready(None),
            ResponseBody::Full(_) => match std::mem::take(self) {
                ResponseBody::Full(b) if !b.is_empty() => Poll::Ready(Some(Ok(b))),
                _ => Poll::Ready(None),
            },
            ResponseBody::Stream(_) => self.poll_stream(cx),
            #[cfg(feature = "files")]
            ResponseBody::File(f) => f.poll_chunk(cx),
        }
    }

    /// [`ResponseBody::poll_chunk`] for a stream: its error is logged, and a panic inside it caught, logged and
    /// turned into an error that ends the body.
    // PERF: out of line, so that polling an in-memory body stays small where it is inlined.
    #[inline(never)]
    fn poll_stream(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::result::Result<Bytes, BoxError>>> {
        let ResponseBody::Stream(s) = self else {
            return Poll::Ready(None);
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| s.as_mut().poll_next(cx))) {
            Ok(Poll::Ready(Some(Err(e)))) => Poll::Ready(Some(Err(stream_failed(e)))),
            Ok(chunk) => chunk,
            Err(panic) => {
                // A stream that panicked is not polled again.
                *self = ResponseBody::Empty;
                Poll::Ready(Some(Err(stream_panicked(&*panic))))
            }
        }
    }

    pub(crate) fn known_length(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Full(b) => Some(b.len() as u64),
            ResponseBody::Stream(_) => None,
            #[cfg(feature = "files")]
            ResponseBody::File(f) => Some(f.len()),
        }
    }
}

#[cfg(feature = "files")]
pub(crate) use file::FileBody;

/// A file as a response body: read in chunks as hyper asks for them, so memory stays at one chunk whatever
/// the file's size; narrowed to one range by the pipeline for a 206.
#[cfg(feature = "files")]
mod file {
    use std::io::SeekFrom;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

    use super::BoxError;

    /// How much of the file one chunk holds.
    const CHUNK: usize = 64 * 1024;

    /// An open file and the part of it still to send.
    pub(crate) struct FileBody {
        file: tokio::fs::File,
        offset: u64,
        remaining: u64,
        /// The offset is not yet where the file's cursor is: seek before the first read.
        seek: Option<bool>,
        buf: Vec<u8>,
    }

    impl FileBody {
        pub(crate) fn new(file: tokio::fs::File, len: u64) -> Self {
            FileBody {
                file,
                offset: 0,
                remaining: len,
                seek: None,
                buf: Vec::new(),
            }
        }

        /// Bytes still to send.
        pub(crate) fn len(&self) -> u64 {
            self.remaining
        }

        /// Sends only `len` bytes from `first` (relative to the whole file).
        pub(crate) fn narrow(&mut self, first: u64, len: u64) {
            self.offset = first;
            self.remaining = len;
            self.seek = (first > 0).then_some(false);
        }

        /// The next chunk, `None` once `remaining` bytes were sent.
        pub(crate) fn poll_chunk(
            &mut self,
            cx: &mut Context<'_>,
        ) -> Poll<Option<std::result::Result<Bytes, BoxError>>> {
            if self.remaining == 0 {
                return Poll::Ready(None);
            }
            if let Some(started) = self.seek {
                if !started {
                    if let Err(e) = Pin::new(&mut self.file).start_seek(SeekFrom::Start(self.offset)) {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                    self.seek = Some(true);
                }
                match Pin::new(&mut self.file).poll_complete(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                    Poll::Ready(Ok(_)) => self.seek = None,
                }
            }
            let want = usize::try_from(self.remaining).unwrap_or(CHUNK).min(CHUNK);
            if self.buf.len() != want {
                self.buf.resize(want, 0);
            }
            let mut read = ReadBuf::new(&mut self.buf);
            match Pin::new(&mut self.file).poll_read(cx, &mut read) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    if n == 0 {
                        let e =
                            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file shrank while being sent");
                        return Poll::Ready(Some(Err(e.into())));
                    }
                    self.remaining -= n as u64;
                    Poll::Ready(Some(Ok(Bytes::copy_from_slice(&self.buf[..n]))))
                }
            }
        }
    }
}

/// Told once that a response body is finished with: its consumer took the last byte, or dropped it first
/// (the client left). The one place where work can follow a response; the server's header-read watchdog
/// uses it to start the next head's deadline.
pub(crate) trait BodyDone: Send + Sync + 'static {
    /// The body is finished with.
    fn body_done(&self);
}

/// Two listeners, told in order.
struct Both(Arc<dyn BodyDone>, Arc<dyn BodyDone>);

impl BodyDone for Both {
    fn body_done(&self) {
        self.0.body_done();
        self.1.body_done();
    }
}

/// The body Peregrine hands to hyper: an [`http_body::Body`] of [`Bytes`]. Public as
/// [`service::Body`](crate::service::Body) (feature `tower`).
#[cfg_attr(not(feature = "tower"), allow(unreachable_pub))]
pub struct HyperBody {
    inner: ResponseBody,
    /// Told when the body is dropped.
    on_done: Option<Arc<dyn BodyDone>>,
}

impl HyperBody {
    pub(crate) fn new(inner: ResponseBody) -> Self {
        HyperBody { inner, on_done: None }
    }

    /// Tells `done` when this body is finished with, after any told before it.
    pub(crate) fn on_done(&mut self, done: Arc<dyn BodyDone>) {
        self.on_done = Some(match self.on_done.take() {
            None => done,
            // Only when a response scheduled work: the server's watchdog then comes second.
            Some(first) => Arc::new(Both(first, done)),
        });
    }
}

impl Drop for HyperBody {
    fn drop(&mut self) {
        if let Some(done) = self.on_done.take() {
            done.body_done();
        }
    }
}

impl std::fmt::Debug for HyperBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.inner {
            ResponseBody::Empty => "empty",
            ResponseBody::Full(_) => "bytes",
            ResponseBody::Stream(_) => "stream",
            #[cfg(feature = "files")]
            ResponseBody::File(_) => "file",
        };
        f.debug_struct("HyperBody")
            .field("body", &kind)
            .field("length", &self.inner.known_length())
            .finish()
    }
}

impl Body for HyperBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        self.inner.poll_chunk(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            ResponseBody::Empty => true,
            ResponseBody::Full(b) => b.is_empty(),
            ResponseBody::Stream(_) => false,
            #[cfg(feature = "files")]
            ResponseBody::File(f) => f.len() == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.inner.known_length() {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
