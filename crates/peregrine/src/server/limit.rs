//! The concurrent-request limit: a counter, not a queue, so a request past the limit is refused at once.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts requests in flight against an optional maximum.
#[derive(Debug)]
pub(crate) struct ConcurrencyLimit {
    in_flight: AtomicUsize,
    max: usize,
}

/// One admitted request; dropping it frees its place.
pub(crate) struct Permit<'a>(&'a AtomicUsize);

impl ConcurrencyLimit {
    /// A limit of `max` (`None`: counted but never refused).
    pub fn new(max: Option<usize>) -> Self {
        ConcurrencyLimit {
            in_flight: AtomicUsize::new(0),
            max: max.unwrap_or(usize::MAX),
        }
    }

    /// Admits a request, or `None` when `max` are already in flight.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.max {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit(&self.in_flight))
    }

    /// Requests in flight now.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_maximum_and_frees_places_on_drop() {
        let limit = ConcurrencyLimit::new(Some(2));
        let a = limit.try_acquire().unwrap();
        let _b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(limit.in_flight(), 2);
        drop(a);
        assert!(limit.try_acquire().is_some());
    }

    #[test]
    fn without_a_maximum_it_only_counts() {
        let limit = ConcurrencyLimit::new(None);
        let permits: Vec<_> = (0..1000).map(|_| limit.try_acquire().unwrap()).collect();
        assert_eq!(limit.in_flight(), 1000);
        drop(permits);
        assert_eq!(limit.in_flight(), 0);
    }
}
