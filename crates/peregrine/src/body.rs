//! Request and response bodies, as the pipeline reads and writes them and as hyper (or any `http_body`
//! consumer) takes them.
//!
//! Architecture invariant: this module knows no transport. The request body is bytes or any boxed
//! [`http_body::Body`]; the response body tells whoever registered a [`BodyDone`] when it is finished with
//! (the server's header-read watchdog today), without knowing who that is.

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
}

impl RequestBody {
    /// Reads the whole body, refusing with 413 past `limit` bytes (before reading, when Content-Length says
    /// so; else as soon as the limit is crossed).
    pub(crate) async fn read(&mut self, limit: usize) -> Result<Bytes> {
        let bytes = match self {
            RequestBody::Full(b) => {
                if b.len() > limit {
                    return Err(too_large(limit).into());
                }
                return Ok(b.clone());
            }
            RequestBody::Stream(stream) => {
                if stream.size_hint().lower() > limit as u64 {
                    return Err(too_large(limit).into());
                }
                let mut collected = bytes::BytesMut::new();
                while let Some(frame) = std::future::poll_fn(|cx| stream.as_mut().poll_frame(cx)).await {
                    let frame = frame.map_err(|_| {
                        HttpError::bad_request()
                            .with_title("Incomplete request body")
                            .with_description("The connection failed while the request body was being read.")
                    })?;
                    if let Ok(data) = frame.into_data() {
                        if collected.len() + data.len() > limit {
                            return Err(too_large(limit).into());
                        }
                        collected.extend_from_slice(&data);
                    }
                }
                collected.freeze()
            }
        };
        *self = RequestBody::Full(bytes.clone());
        Ok(bytes)
    }
}

fn too_large(limit: usize) -> HttpError {
    HttpError::content_too_large().with_description(format!("The request body may not exceed {limit} bytes."))
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
}

impl ResponseBody {
    pub(crate) fn known_length(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Full(b) => Some(b.len() as u64),
            ResponseBody::Stream(_) => None,
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

/// The body Peregrine hands to hyper: an [`http_body::Body`] of [`Bytes`].
pub(crate) struct HyperBody {
    inner: ResponseBody,
    /// Told when the body is dropped.
    on_done: Option<Arc<dyn BodyDone>>,
}

impl HyperBody {
    pub(crate) fn new(inner: ResponseBody) -> Self {
        HyperBody { inner, on_done: None }
    }

    /// Tells `done` when this body is finished with.
    pub(crate) fn on_done(&mut self, done: Arc<dyn BodyDone>) {
        self.on_done = Some(done);
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
        match &mut self.inner {
            ResponseBody::Empty => Poll::Ready(None),
            ResponseBody::Full(_) => match std::mem::take(&mut self.inner) {
                ResponseBody::Full(b) if !b.is_empty() => Poll::Ready(Some(Ok(Frame::data(b)))),
                _ => Poll::Ready(None),
            },
            ResponseBody::Stream(s) => s.as_mut().poll_next(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            ResponseBody::Empty => true,
            ResponseBody::Full(b) => b.is_empty(),
            ResponseBody::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.inner.known_length() {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
