//! Request and response bodies as hyper sees them.

use crate::server::header_timer::{ArmOnDrop, Watchdog};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Body, Frame, SizeHint};

use crate::error::HttpError;
use crate::Result;

/// A request body: in memory (test client), streaming from hyper (server), or already read.
pub(crate) enum RequestBody {
    Full(Bytes),
    Incoming(hyper::body::Incoming),
}

impl RequestBody {
    /// Reads the whole body, refusing with 413 past `limit` bytes (before reading, when Content-Length says
    /// so; else as soon as the limit is crossed).
    pub async fn read(&mut self, limit: usize) -> Result<Bytes> {
        let bytes = match self {
            RequestBody::Full(b) => {
                if b.len() > limit {
                    return Err(too_large(limit).into());
                }
                return Ok(b.clone());
            }
            RequestBody::Incoming(incoming) => {
                if incoming.size_hint().lower() > limit as u64 {
                    return Err(too_large(limit).into());
                }
                let mut collected = bytes::BytesMut::new();
                let mut pinned = Pin::new(incoming);
                while let Some(frame) = std::future::poll_fn(|cx| pinned.as_mut().poll_frame(cx)).await {
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
    pub fn known_length(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Full(b) => Some(b.len() as u64),
            ResponseBody::Stream(_) => None,
        }
    }
}

/// The body type Peregrine hands to hyper.
pub struct HyperBody {
    inner: ResponseBody,
    /// The connection's header-read watchdog, armed again when hyper drops the body (it has taken it all).
    arm_on_drop: Option<ArmOnDrop>,
}

impl HyperBody {
    pub(crate) fn new(inner: ResponseBody) -> Self {
        HyperBody {
            inner,
            arm_on_drop: None,
        }
    }

    /// Arms `watchdog` when this body is dropped.
    pub(crate) fn arm_on_drop(&mut self, watchdog: Watchdog) {
        self.arm_on_drop = Some(ArmOnDrop(watchdog));
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
