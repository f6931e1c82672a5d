//! The future hyper runs for one request: the pipeline's answer under a concurrency permit, or the 503 of
//! shedding, and then the connection's header-read watchdog handed to the response body.
//!
//! It is a few words on purpose. hyper keeps a request's future inside the connection's own memory, which is
//! cold in the CPU's caches once hundreds of connections take turns, and writes it afresh for every request;
//! the request and the pipeline's future live in a heap block instead ([`Pipeline::handle_on_heap`]), which
//! the allocator hands back warm. A unit test holds the future to 64 bytes.
//!
//! [`Pipeline::handle_on_heap`]: crate::pipeline::Pipeline::handle_on_heap
// PERF: cache misses with and without it are in bench/NOTES.md ("hyper's per-request future").

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::header_timer::Watchdog;
use super::limit::Permit;
use crate::body::HyperBody;
use crate::pipeline::Pipeline;
use crate::Request;

/// hyper's future for one request.
pub(crate) struct Serving<F> {
    state: State<F>,
    /// Armed when the response body is finished with (HTTP/1): the connection has no header-read deadline
    /// while its request is served.
    watchdog: Option<Arc<Watchdog>>,
}

enum State<F> {
    /// Admitted: the pipeline's future, and the place it holds under the limit until it completes.
    Admitted { handling: Pin<Box<F>>, _permit: Permit },
    /// Over the limit: the 503, ready (boxed: shedding is the rare path, and the future stays small).
    Shed(Option<Box<http::Response<HyperBody>>>),
    /// A request with a body, read before it is admitted (`body_read.rs`); then admitted as any other.
    ReadingBody(Box<ReadingBody<F>>),
    /// Answered.
    Done,
}

/// A request with its place under the limit, or the answer that refuses it.
pub(crate) type Admission = Result<(Request, Permit), http::Response<HyperBody>>;

/// What turns a request whose body was read into an admitted one.
pub(crate) struct ReadingBody<F> {
    /// Reads the body and takes the place under the limit; or answers (408, 503, ...).
    pub(super) reading: Pin<Box<dyn Future<Output = Admission> + Send>>,
    pub(super) pipeline: Arc<Pipeline>,
    /// The pipeline's future for a request: the same function as for a request without a body, so the
    /// pipeline's future has one type and one place where it is polled.
    // PERF: a second caller of the pipeline's future stops the compiler inlining it into `poll`.
    pub(super) admit: fn(&Arc<Pipeline>, Request) -> Pin<Box<F>>,
}

impl<F> Serving<F> {
    /// A request admitted under `permit`, answered by `handling`.
    pub(super) fn admitted(handling: Pin<Box<F>>, permit: Permit, watchdog: Option<Arc<Watchdog>>) -> Self {
        Serving {
            state: State::Admitted {
                handling,
                _permit: permit,
            },
            watchdog,
        }
    }

    /// A request whose body is read before it is admitted: `reading` does both, then `admit` makes the
    /// pipeline's future.
    pub(super) fn reading_body(reading: ReadingBody<F>, watchdog: Option<Arc<Watchdog>>) -> Self {
        Serving {
            state: State::ReadingBody(Box::new(reading)),
            watchdog,
        }
    }

    /// A request refused with `response`.
    pub(super) fn shed(response: http::Response<HyperBody>, watchdog: Option<Arc<Watchdog>>) -> Self {
        Serving {
            state: State::Shed(Some(Box::new(response))),
            watchdog,
        }
    }
}

impl<F: Future<Output = http::Response<HyperBody>>> Future for Serving<F> {
    type Output = Result<http::Response<HyperBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut response = loop {
            match &mut this.state {
                State::Admitted { handling, .. } => break ready!(handling.as_mut().poll(cx)),
                State::Shed(response) => break *response.take().expect("a request's future polled after it answered"),
                State::ReadingBody(reading) => match ready!(reading.reading.as_mut().poll(cx)) {
                    Ok((req, permit)) => {
                        let handling = (reading.admit)(&reading.pipeline, req);
                        this.state = State::Admitted {
                            handling,
                            _permit: permit,
                        };
                    }
                    Err(response) => break response,
                },
                State::Done => panic!("a request's future polled after it answered"),
            }
        };
        // Frees the place under the limit (and the heap block) as soon as the answer is ready.
        this.state = State::Done;
        if let Some(reason) = crate::status::renamed_reason(response.status()) {
            set_reason(&mut response, reason);
        }
        if let Some(watchdog) = this.watchdog.take() {
            response.body_mut().on_done(watchdog);
        }
        Poll::Ready(Ok(response))
    }
}

/// HTTP/1's status line says what RFC 9110 says, as the error body's title does.
#[cold]
#[inline(never)]
fn set_reason(response: &mut http::Response<HyperBody>, reason: &'static str) {
    response
        .extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::limit::ConcurrencyLimit;

    fn ok() -> http::Response<HyperBody> {
        http::Response::new(HyperBody::new(crate::body::ResponseBody::Empty))
    }

    #[test]
    fn hypers_future_for_a_request_stays_a_few_words() {
        // hyper writes this future into the connection's memory for every request; the module's docs give
        // the cache misses a larger one cost. The pipeline's future is boxed, so its type does not matter.
        let size = std::mem::size_of::<Serving<std::future::Ready<http::Response<HyperBody>>>>();
        assert!(size <= 64, "hyper's per-request future grew to {size} bytes");
    }

    #[test]
    fn the_place_under_the_limit_is_freed_when_the_answer_is_ready() {
        let limit = Arc::new(ConcurrencyLimit::new(Some(1), false));
        let permit = limit.try_acquire().unwrap();
        let mut serving = Serving::admitted(Box::pin(async { ok() }), permit, None);
        assert!(limit.try_acquire().is_none(), "the permit holds the only place");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Pin::new(&mut serving).poll(&mut cx).is_ready());
        // hyper may keep the finished future a while; the place must not wait for that.
        assert_eq!(limit.in_flight(), 0);
        drop(serving);
    }

    #[test]
    fn a_request_dropped_unanswered_frees_its_place() {
        let limit = Arc::new(ConcurrencyLimit::new(Some(1), false));
        let permit = limit.try_acquire().unwrap();
        let mut serving = Serving::admitted(Box::pin(std::future::pending()), permit, None);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Pin::new(&mut serving).poll(&mut cx).is_pending());
        assert_eq!(limit.in_flight(), 1);
        drop(serving); // the client went away
        assert_eq!(limit.in_flight(), 0);
    }

    #[test]
    fn a_shed_request_answers_with_its_response_at_once() {
        let mut response = ok();
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        let mut serving = Serving::<std::future::Pending<_>>::shed(response, None);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut serving).poll(&mut cx) {
            Poll::Ready(Ok(r)) => assert_eq!(r.status(), 503),
            other => panic!("not answered at once: {:?}", other.map(|r| r.map(|r| r.status()))),
        }
    }
}
