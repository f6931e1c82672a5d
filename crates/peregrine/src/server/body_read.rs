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
//!   `max_body_memory`. A body reserves memory as its bytes arrive (its buffer starts at 8 KiB, or its whole
//!   length if smaller, and doubles up to its `Content-Length`), so a `Content-Length` alone reserves
//!   nothing; when the budget is spent it waits, reading nothing (the client's TCP window fills:
//!   backpressure), until `body_read_timeout` after the body started, then gets 503. The reservation is held
//!   as long as the body's bytes live (the request's, and any copy the app keeps). A body larger than the
//!   whole budget is left to the app.

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
    pub(super) max: usize,
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
        let already = held.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        if already + n as usize > self.max {
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

/// What [`read_early`] made of a body. Bytes read hold their memory reservation until the last handle on
/// them is dropped ([`holding`]).
pub(super) enum Early<B> {
    /// The whole body.
    Read(Bytes),
    /// Left to the app after part of it was read (a chunked body longer than the limit, or a body larger
    /// than the whole budget): what was read, and the rest.
    HandedOn(Bytes, B),
    /// Not read: its `Content-Length` is over the limit, or over the whole budget.
    Skipped(B),
    /// It stopped arriving in time: 408.
    TimedOut,
    /// The connection failed or the chunked framing was malformed: 400.
    Failed,
    /// No memory for it within the wait: 503.
    NoMemory,
}

/// Bytes and the reservation of the memory they sit in.
struct Reserved {
    bytes: Bytes,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Reserved {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// `bytes` holding `permit` until the last handle on them (the request's body, or the app's copy of it)
/// is dropped.
fn holding(bytes: Bytes, permit: Option<OwnedSemaphorePermit>) -> Bytes {
    match permit {
        Some(permit) => Bytes::from_owner(Reserved { bytes, _permit: permit }),
        None => bytes,
    }
}

/// The first buffer of a body larger than this is this size; it doubles as bytes arrive.
const FIRST_BUFFER: usize = 8 * 1024;

/// Reads `body` whole if it fits in `limit` bytes, under `budget`; a reservation waits until `wait` after
/// the body started, at most.
///
/// Memory is reserved as bytes arrive, never on a `Content-Length`'s word alone: the buffer is the whole
/// body when it is at most 8 KiB, else 8 KiB doubling up to the body's length (or the limit, chunked),
/// allocated at exactly that size, and the reservation follows the buffer.
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
    let exact = hint.exact().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if hint.lower() > limit as u64 || exact.is_some_and(|n| n > budget.max) {
        return Early::Skipped(body);
    }
    // The most this body's buffer may become.
    let most = exact.unwrap_or(limit);
    let wait_until = body.started + wait;
    let mut held = None;
    let mut buffer = BytesMut::new();
    let mut reserved = 0;
    loop {
        let frame = match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(e)) if e.is::<BodyTimedOut>() => return Early::TimedOut,
            Some(Err(_)) => return Early::Failed,
        };
        let Ok(data) = frame.into_data() else { continue };
        let needed = buffer.len() + data.len();
        if needed > reserved {
            let grown = needed
                .max(reserved * 2)
                .max(FIRST_BUFFER)
                .min(most.max(needed))
                .min(budget.max.max(needed));
            if needed > limit || needed > budget.max {
                buffer.extend_from_slice(&data);
                return Early::HandedOn(holding(buffer.freeze(), held), body);
            }
            let deadline = wait_until.max(Instant::now());
            if !budget.reserve(&mut held, grown - reserved, deadline).await {
                return Early::NoMemory;
            }
            // A new buffer of exactly `grown` bytes (`BytesMut::reserve` may take more than it is asked).
            let mut larger = BytesMut::with_capacity(grown);
            larger.extend_from_slice(&buffer);
            buffer = larger;
            reserved = grown;
        }
        buffer.extend_from_slice(&data);
    }
    Early::Read(holding(buffer.freeze(), held))
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
            Early::Read(bytes) => {
                assert_eq!(&bytes[..], b"hello");
                assert_eq!(budget.available(), 95);
                let copy = bytes.clone();
                drop(bytes);
                assert_eq!(budget.available(), 95, "a copy keeps the reservation");
                drop(copy);
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
            Early::HandedOn(read, rest) => {
                let all = Prefixed::new(read, rest).collect().await.unwrap().to_bytes();
                assert_eq!(&all[..], b"abcdefghijkl");
            }
            _ => panic!("not handed on"),
        }
    }

    #[tokio::test]
    async fn memory_is_reserved_as_bytes_arrive_not_on_the_content_length() {
        let budget = BodyBudget::new(1 << 20);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let body = Paced::new(Channel(rx), None);
        let budget = Arc::new(budget);
        let reader = {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move {
                matches!(
                    read_early(body, 1 << 20, &budget, Duration::from_secs(5)).await,
                    Early::Read(_)
                )
            })
        };
        tx.send(Bytes::from_static(b"x")).await.unwrap();
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            (1 << 20) - budget.available(),
            8 * 1024,
            "one byte reserves the first buffer only"
        );
        tx.send(Bytes::from(vec![b'y'; 10_000])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!((1 << 20) - budget.available(), 16 * 1024, "the buffer doubled");
        drop(tx);
        assert!(reader.await.unwrap());
    }

    #[tokio::test]
    async fn a_chunked_body_larger_than_the_budget_is_handed_on_not_refused() {
        let budget = BodyBudget::new(10_000);
        let body = Paced::new(chunks(&["a"; 1]), None);
        assert!(matches!(
            read_early(body, 20_000, &budget, Duration::from_secs(1)).await,
            Early::Read(_)
        ));
        // 9,000 bytes fit: the doubling stops at the budget.
        let parts: Vec<&'static str> = vec!["0123456789"; 900];
        let body = Paced::new(chunks(&parts), None);
        assert!(matches!(
            read_early(body, 20_000, &budget, Duration::from_secs(1)).await,
            Early::Read(_)
        ));
        // 10,010 bytes do not.
        let parts: Vec<&'static str> = vec!["0123456789"; 1001];
        let body = Paced::new(chunks(&parts), None);
        match read_early(body, 20_000, &budget, Duration::from_secs(1)).await {
            Early::HandedOn(read, rest) => {
                let all = Prefixed::new(read, rest).collect().await.unwrap().to_bytes();
                assert_eq!(all.len(), 10_010);
            }
            _ => panic!("not handed on"),
        }
        assert_eq!(budget.available(), 10_000);
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
            Early::Read(_)
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
