//! The concurrent-request limit: a counter, not a queue, so a request past the limit is refused at once. The
//! limit is fixed, or moved by [`Adaptive`] with the latency requests show.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::adaptive::Adaptive;

/// Counts requests in flight against an optional maximum.
#[derive(Debug)]
pub(crate) struct ConcurrencyLimit {
    in_flight: AtomicUsize,
    /// The limit now: the maximum, or what `adaptive` has made of it.
    limit: AtomicUsize,
    adaptive: Option<Adaptive>,
}

/// One admitted request; dropping it frees its place (and, with an adaptive limit, reports its latency).
/// It owns a handle on the limit, so a request's future can carry it without borrowing the server.
pub(crate) struct Permit {
    limit: Arc<ConcurrencyLimit>,
    /// When it was admitted, if the limit is adaptive.
    start: Option<Instant>,
}

impl ConcurrencyLimit {
    /// A limit of `max` (`None`: counted but never refused); with `adaptive`, `max` is the ceiling of a limit
    /// that follows latency (see [`super::adaptive`]).
    pub(super) fn new(max: Option<usize>, adaptive: bool) -> Self {
        let adaptive = match max {
            Some(max) if adaptive => Some(Adaptive::new(max)),
            _ => None,
        };
        let limit = match (&adaptive, max) {
            (Some(a), _) => a.initial_limit(),
            (None, Some(max)) => max,
            (None, None) => usize::MAX,
        };
        ConcurrencyLimit {
            in_flight: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit),
            adaptive,
        }
    }

    /// Admits a request, or `None` when the limit is reached.
    pub(super) fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let limit = self.limit.load(Ordering::Relaxed);
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit {
            limit: Arc::clone(self),
            start: self.adaptive.as_ref().map(|_| Instant::now()),
        })
    }

    /// The limit now.
    #[cfg(test)]
    pub(super) fn current(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Requests in flight now.
    #[cfg(test)]
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let in_flight = self.limit.in_flight.fetch_sub(1, Ordering::AcqRel);
        if let (Some(adaptive), Some(start)) = (&self.limit.adaptive, self.start) {
            if let Some(limit) = adaptive.record(start.elapsed(), in_flight) {
                if limit != self.limit.limit.swap(limit, Ordering::Relaxed) {
                    tracing::debug!(limit, "adaptive concurrency limit changed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_maximum_and_frees_places_on_drop() {
        let limit = Arc::new(ConcurrencyLimit::new(Some(2), false));
        let a = limit.try_acquire().unwrap();
        let _b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(limit.in_flight(), 2);
        drop(a);
        assert!(limit.try_acquire().is_some());
    }

    #[test]
    fn without_a_maximum_it_only_counts() {
        let limit = Arc::new(ConcurrencyLimit::new(None, false));
        let permits: Vec<_> = (0..1000).map(|_| limit.try_acquire().unwrap()).collect();
        assert_eq!(limit.in_flight(), 1000);
        drop(permits);
        assert_eq!(limit.in_flight(), 0);
    }

    #[test]
    fn an_adaptive_limit_comes_down_when_latency_climbs() {
        use std::time::Duration;
        let limit = Arc::new(ConcurrencyLimit::new(Some(64), true));
        assert_eq!(limit.current(), 64);
        // Ten requests at a time, each taking `latency`; a window closes every 100 ms.
        let round = |latency: Duration| {
            let permits: Vec<_> = (0..10).map(|_| limit.try_acquire().unwrap()).collect();
            std::thread::sleep(latency);
            drop(permits);
        };
        for _ in 0..25 {
            round(Duration::from_millis(10));
        }
        assert_eq!(limit.current(), 64, "steady latency keeps the maximum");
        for _ in 0..10 {
            round(Duration::from_millis(80));
        }
        let lowered = limit.current();
        assert!(lowered < 48, "limit after latency rose eightfold: {lowered}");
        let permits: Vec<_> = (0..lowered).map(|_| limit.try_acquire().unwrap()).collect();
        assert!(limit.try_acquire().is_none(), "the lowered limit is enforced");
        drop(permits);
    }

    #[test]
    fn a_fixed_limit_does_not_move() {
        let limit = Arc::new(ConcurrencyLimit::new(Some(8), false));
        for _ in 0..20 {
            drop(limit.try_acquire());
        }
        assert_eq!(limit.current(), 8);
        assert!(limit.adaptive.is_none());
    }
}
