//! Reading request bodies at the edge, so that slow or many bodies cannot starve other requests.
//!
//! - **Pace** ([`Paced`]): a body must keep arriving. It has `body_read_timeout` to arrive at any pace, and
//!   each byte received buys `1 / min_body_rate` seconds more (Kestrel's minimum data rate, in one
//!   deadline): a body that falls behind fails with [`BodyTimedOut`], answered 408 with a close. The
//!   deadline is only timed while the body waits for bytes, so a body already in the read buffer costs no
//!   timer.
//! - **Read before admission** ([`read_early`]): a body that fits in the app's `max_body_size` is read
//!   before the request takes a place under the concurrency limit, so a request waiting for its body holds
//!   no place a ready request needs. A body whose `Content-Length` is larger is not read here: the app
//!   decides (413 at once, or a route that raised its limit reads it as a stream). A chunked body found
//!   larger is handed on as what was read followed by the rest.
//! - **Memory** ([`BodyBudget`]): what all early-read bodies hold together is bounded by
//!   `max_body_memory`. A body reserves its `Content-Length` before its first byte is read (a chunked one
//!   reserves as its buffer grows); when the budget is spent it waits, reading nothing (the client's TCP
//!   window fills: backpressure), for at most `body_read_timeout`, then gets 503. The reservation is held
//!   until the request's answer is ready.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::{BodyTimedOut, BoxError};
use crate::lazy_sleep::LazySleep;

/// The rule on a body's pace: `timeout` to arrive at any pace, then `rate` bytes per second on average.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    pub(super) timeout: Duration,
    /// Bytes per second; 0: the whole body within `timeout`.
    pub(super) rate: u64,
}

impl Pace {
    /// When a body that started at `started` and has `received` bytes times out.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let earned = if self.rate == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(received as f64 / self.rate as f64)
        };
        started + self.timeout + earned
    }
}

/// A request body under a [`Pace`] (none: no rule).
pub(super) struct Paced<B> {
    inner: B,
    pace: Option<Pace>,
    started: Instant,
    received: u64,
    /// Armed the first time the body waits for bytes.
    sleep: LazySleep,
}

impl<B> Paced<B> {
    pub(super) fn new(inner: B, pace: Option<Pace>) -> Self {
        Paced {
            inner,
            pace,
            started: Instant::now(),
            received: 0,
            sleep: LazySleep::default(),
        }
    }
}

impl<B> Body for Paced<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let Some(pace) = this.pace else {
                    return Poll::Pending;
                };
                let deadline = tokio::time::Instant::from_std(pace.deadline(this.started, this.received));
                match this.sleep.poll_until(deadline, cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The memory all early-read bodies may hold together, in bytes.
pub(super) struct BodyBudget {
    bytes: Arc<Semaphore>,
    max: usize,
}

impl BodyBudget {
    pub(super) fn new(max: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        BodyBudget {
            bytes: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Bytes not reserved now.
    #[cfg(test)]
    fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Reserves `n` more bytes onto `held`, waiting until `deadline` at most.
    async fn reserve(&self, held: &mut Option<OwnedSemaphorePermit>, n: usize, deadline: Instant) -> bool {
        if n == 0 {
            return true;
        }
        let Ok(n) = u32::try_from(n) else {
            return false;
        };
        if n as usize > self.max {
            return false;
        }
        // The timer is only registered if the reservation has to wait.
        let acquire = Arc::clone(&self.bytes).acquire_many_owned(n);
        let permit = match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), acquire).await {
            Ok(Ok(permit)) => permit,
            _ => return false,
        };
        match held {
            Some(held) => held.merge(permit),
            None => *held = Some(permit),
        }
        true
    }
}

/// What [`read_early`] made of a body.
pub(super) enum Early<B> {
    /// The whole body, and its reservation.
    Read(Bytes, Option<OwnedSemaphorePermit>),
    /// A chunked body longer than the limit: what was read, the rest, and the reservation.
    Longer(Bytes, B, Option<OwnedSemaphorePermit>),
    /// Not read: its `Content-Length` is over the limit.
    Skipped(B),
    /// It stopped arriving in time: 408.
    TimedOut,
    /// The connection failed or the chunked framing was malformed: 400.
    Failed,
    /// No memory for it within the wait: 503.
    NoMemory,
}

/// Reads `body` whole if it fits in `limit` bytes, under `budget`; a reservation waits at most `wait`.
pub(super) async fn read_early<B>(
    mut body: Paced<B>,
    limit: usize,
    budget: &BodyBudget,
    wait: Duration,
) -> Early<Paced<B>>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let hint = body.size_hint();
    if hint.lower() > limit as u64 {
        return Early::Skipped(body);
    }
    let wait_until = body.started + wait;
    let mut held = None;
    // With Content-Length, all of it at once: one reservation and one allocation.
    let exact = hint.exact().map(|n| n as usize);
    let mut buffer = match exact {
        Some(n) => {
            if !budget.reserve(&mut held, n, wait_until).await {
                return Early::NoMemory;
            }
            BytesMut::with_capacity(n)
        }
        None => BytesMut::new(),
    };
    loop {
        let frame = match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(e)) if e.is::<BodyTimedOut>() => return Early::TimedOut,
            Some(Err(_)) => return Early::Failed,
        };
        let Ok(data) = frame.into_data() else { continue };
        let needed = buffer.len() + data.len();
        if needed > limit {
            let mut read = buffer;
            read.extend_from_slice(&data);
            return Early::Longer(read.freeze(), body, held);
        }
        if exact.is_none() && needed > buffer.capacity() {
            // A chunked body grows its buffer (and its reservation) by doubling, up to the limit.
            let grown = needed.max(buffer.capacity() * 2).max(8 * 1024).min(limit);
            if !budget
                .reserve(&mut held, grown - buffer.capacity(), wait_until.max(Instant::now()))
                .await
            {
                return Early::NoMemory;
            }
            buffer.reserve(grown - buffer.len());
        }
        buffer.extend_from_slice(&data);
    }
    Early::Read(buffer.freeze(), held)
}

/// A body of which `prefix` was already read, followed by `rest`.
pub(super) struct Prefixed<B> {
    prefix: Option<Bytes>,
    rest: B,
}

impl<B> Prefixed<B> {
    pub(super) fn new(prefix: Bytes, rest: B) -> Self {
        Prefixed {
            prefix: Some(prefix),
            rest,
        }
    }
}

impl<B> Body for Prefixed<B>
where
    B: Body<Data = Bytes, Error = BoxError> + Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Poll::Ready(ready!(Pin::new(&mut this.rest).poll_frame(cx)))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.rest.size_hint();
        let prefix = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        hint.set_lower(hint.lower() + prefix);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + prefix);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    /// A body fed through a channel, one data frame per message; it ends when the sender is dropped.
    struct Channel(tokio::sync::mpsc::Receiver<Bytes>);

    impl Body for Channel {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            self.get_mut().0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
        }
    }

    fn chunks(parts: &[&'static str]) -> Channel {
        let (tx, rx) = tokio::sync::mpsc::channel(parts.len().max(1));
        for p in parts {
            tx.try_send(Bytes::from_static(p.as_bytes())).unwrap();
        }
        Channel(rx)
    }

    /// A body of known length (`Content-Length`), all there.
    fn full(b: &'static [u8]) -> Paced<Full<Bytes>> {
        Paced::new(Full::new(Bytes::from_static(b)), None)
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_and_its_memory_reserved_until_dropped() {
        let budget = BodyBudget::new(100);
        match read_early(full(b"hello"), 10, &budget, Duration::from_secs(1)).await {
            Early::Read(bytes, held) => {
                assert_eq!(&bytes[..], b"hello");
                assert_eq!(budget.available(), 95);
                drop(held);
                assert_eq!(budget.available(), 100);
            }
            _ => panic!("not read"),
        }
    }

    #[tokio::test]
    async fn a_longer_chunked_body_is_handed_on_whole() {
        let budget = BodyBudget::new(1 << 20);
        let body = Paced::new(chunks(&["abcd", "efgh", "ijkl"]), None);
        match read_early(body, 6, &budget, Duration::from_secs(1)).await {
            Early::Longer(read, rest, _held) => {
                let all = Prefixed::new(read, rest).collect().await.unwrap().to_bytes();
                assert_eq!(&all[..], b"abcdefghijkl");
            }
            _ => panic!("not handed on"),
        }
    }

    #[tokio::test]
    async fn a_content_length_over_the_limit_is_not_read() {
        let budget = BodyBudget::new(1 << 20);
        assert!(matches!(
            read_early(full(b"0123456789"), 9, &budget, Duration::from_secs(1)).await,
            Early::Skipped(_)
        ));
        assert_eq!(budget.available(), 1 << 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_makes_a_body_wait_then_fail() {
        let budget = BodyBudget::new(8);
        let mut first = None;
        assert!(budget.reserve(&mut first, 6, Instant::now()).await);
        assert!(matches!(
            read_early(full(b"abcd"), 100, &budget, Duration::from_millis(50)).await,
            Early::NoMemory
        ));
        drop(first);
        assert!(matches!(
            read_early(full(b"abcd"), 100, &budget, Duration::from_millis(50)).await,
            Early::Read(..)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_falls_behind_its_pace_times_out() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        let pace = Pace {
            timeout: Duration::from_secs(2),
            rate: 1000,
        };
        let reader = tokio::spawn(async move {
            let budget = BodyBudget::new(1 << 20);
            let body = Paced::new(Channel(rx), Some(pace));
            matches!(
                read_early(body, 1 << 20, &budget, Duration::from_secs(2)).await,
                Early::TimedOut
            )
        });
        // 500 bytes buy half a second: the deadline is 2.5 s after the start.
        tx.send(Bytes::from(vec![b'x'; 500])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2400)).await;
        assert!(!reader.is_finished(), "timed out before its deadline");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(reader.await.unwrap(), "not timed out after its deadline");
        drop(tx);
    }
}
