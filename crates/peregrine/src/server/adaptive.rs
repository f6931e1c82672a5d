//! The adaptive concurrency limit: how many requests may run at once, moved with the latency they show
//! ([`ServerConfig::adaptive_concurrency`](super::ServerConfig::adaptive_concurrency)).
//!
//! A latency gradient, after Netflix's `Gradient2` and TCP Vegas. Requests are timed from admission until
//! their response is ready. Every 100 ms (and at least 10 requests) the window's mean latency is the *short*
//! latency. The *usual* latency is the lowest short latency seen, allowed to rise by 0.5 % per window (so
//! ×1.65 in ten seconds: a latency that stays high for tens of seconds becomes the usual one). Then
//!
//! ```text
//! gradient = clamp(1.5 × usual ÷ short, 0.5, 1)
//! target   = limit × gradient + √limit       (no more than the limit if under half of it was in use)
//! limit    = limit + (target − limit) × ½ going down, × ⅕ going up; within min(4, max) ..= max
//! ```
//!
//! It starts at the maximum. While requests take at most 1.5× their usual time nothing changes; when they
//! queue (behind a slow database, or a saturated core) the limit falls by up to a quarter per window, and
//! the 503s keep the latency of the requests it admits within a few times the usual instead of growing with
//! the queue; when latency falls back, the limit grows by a fifth of √limit per window. When latency does not
//! depend on concurrency (a responder that waits on a timer) there is nothing to learn and the limit stays
//! at its maximum. Apps whose routes differ a lot in latency see the mix's mean: a burst of fast requests
//! lowers the usual latency for a while.
//!
//! It is off by default because shedding is cheap, not free. Clients that honour `Retry-After` leave the
//! admitted requests the machine; clients that retry a 503 at once do not: their 503s can take the core.
// PERF: the measurements behind both paragraphs are in bench/NOTES.md ("Adaptive concurrency").

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The shortest measuring window.
pub(crate) const WINDOW: Duration = Duration::from_millis(100);
/// Requests a window needs before it counts.
pub(crate) const MIN_SAMPLES: u64 = 10;
/// How much slower than usual requests may get before the limit comes down.
pub(crate) const TOLERANCE: f64 = 1.5;
/// How fast the usual latency may rise, per window (×1.65 in a hundred windows).
pub(crate) const DRIFT: f64 = 0.005;
/// The limit never goes below this (nor above the configured maximum, when that is lower).
pub(crate) const MIN_LIMIT: usize = 4;
/// How far the limit moves toward its new value in one window: down fast, up slowly.
const DOWN: f64 = 0.5;
const UP: f64 = 0.2;

/// The limit's arithmetic, one window at a time (no clock, no atomics: testable by itself).
#[derive(Debug)]
pub(crate) struct Gradient {
    limit: f64,
    min: usize,
    max: usize,
    /// The usual latency, in seconds; `None` until the first window.
    usual: Option<f64>,
}

impl Gradient {
    /// Starts at `max`, the ceiling.
    pub(super) fn new(max: usize) -> Self {
        let max = max.max(1);
        Gradient {
            limit: max as f64,
            min: MIN_LIMIT.min(max),
            max,
            usual: None,
        }
    }

    /// The limit now.
    pub(super) fn limit(&self) -> usize {
        self.limit.round() as usize
    }

    /// Takes one window: its mean latency and the most requests that were in flight at once. Returns the new
    /// limit.
    pub(super) fn update(&mut self, short: Duration, peak_in_flight: usize) -> usize {
        let short = short.as_secs_f64().max(1e-6);
        let usual = match self.usual {
            None => short,
            Some(usual) => short.min(usual * (1.0 + DRIFT)),
        };
        self.usual = Some(usual);
        let gradient = (TOLERANCE * usual / short).clamp(0.5, 1.0);
        let mut target = self.limit * gradient + self.limit.sqrt();
        if (peak_in_flight as f64) < self.limit / 2.0 {
            target = target.min(self.limit);
        }
        let rate = if target < self.limit { DOWN } else { UP };
        self.limit = (self.limit + (target - self.limit) * rate).clamp(self.min as f64, self.max as f64);
        self.limit()
    }
}

/// Collects request latencies from every worker and closes a window when it is due. Recording is a few
/// atomic additions; closing a window takes a lock that a worker only tries (whoever is first closes it). A
/// sample that lands while a window closes may count in the next one: the figures are estimates anyway.
#[derive(Debug)]
pub(crate) struct Adaptive {
    epoch: Instant,
    /// When the open window began, in microseconds since `epoch`.
    window_start: AtomicU64,
    sum_micros: AtomicU64,
    samples: AtomicU64,
    peak: AtomicUsize,
    gradient: Mutex<Gradient>,
}

impl Adaptive {
    pub(super) fn new(max: usize) -> Self {
        Adaptive {
            epoch: Instant::now(),
            window_start: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            peak: AtomicUsize::new(0),
            gradient: Mutex::new(Gradient::new(max)),
        }
    }

    /// The limit to start from.
    pub(super) fn initial_limit(&self) -> usize {
        super::lock(&self.gradient).limit()
    }

    /// Records a request that took `latency` while `in_flight` ran (itself included); returns the new limit
    /// when this sample closed a window.
    pub(super) fn record(&self, latency: Duration, in_flight: usize) -> Option<usize> {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        let samples = self.samples.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(in_flight, Ordering::Relaxed);
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        let start = self.window_start.load(Ordering::Relaxed);
        if samples < MIN_SAMPLES || now.saturating_sub(start) < WINDOW.as_micros() as u64 {
            return None;
        }
        let mut gradient = self.gradient.try_lock().ok()?;
        if self.window_start.load(Ordering::Relaxed) != start {
            return None; // another worker closed this window
        }
        self.window_start.store(now, Ordering::Relaxed);
        let samples = self.samples.swap(0, Ordering::Relaxed).max(1);
        let sum = self.sum_micros.swap(0, Ordering::Relaxed);
        let peak = self.peak.swap(0, Ordering::Relaxed);
        Some(gradient.update(Duration::from_micros(sum / samples), peak))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// `n` windows of `latency_ms`, each with `peak` requests in flight at most.
    fn windows(g: &mut Gradient, n: usize, latency_ms: u64, peak: usize) {
        for _ in 0..n {
            g.update(ms(latency_ms), peak);
        }
    }

    #[test]
    fn steady_latency_keeps_the_limit_at_its_maximum() {
        let mut g = Gradient::new(100);
        for _ in 0..50 {
            assert_eq!(g.update(ms(10), 100), 100);
        }
    }

    #[test]
    fn queueing_brings_the_limit_down_and_recovery_brings_it_back() {
        let mut g = Gradient::new(256);
        windows(&mut g, 20, 10, 256);
        // Requests now wait behind each other: latency four times the usual.
        windows(&mut g, 30, 40, 256);
        let low = g.limit();
        assert!(low < 64, "limit after a slow spell: {low}");
        assert!(low >= MIN_LIMIT);
        for _ in 0..100 {
            g.update(ms(10), g.limit());
        }
        assert!(g.limit() > 4 * low, "limit after recovery: {} (was {low})", g.limit());
    }

    #[test]
    fn latency_within_the_tolerance_does_not_shed() {
        let mut g = Gradient::new(200);
        windows(&mut g, 20, 10, 200);
        windows(&mut g, 20, 14, 200);
        assert_eq!(g.limit(), 200);
    }

    #[test]
    fn a_long_overload_takes_the_limit_near_the_minimum_and_never_below() {
        let mut g = Gradient::new(64);
        g.update(ms(1), 64);
        for _ in 0..50 {
            assert!(g.update(ms(1000), 64) >= MIN_LIMIT);
        }
        assert!(g.limit() < 10, "{}", g.limit());
    }

    #[test]
    fn a_maximum_under_the_minimum_is_still_the_ceiling() {
        let mut g = Gradient::new(2);
        windows(&mut g, 20, 10, 2);
        assert_eq!(g.limit(), 2);
        windows(&mut g, 20, 1000, 2);
        assert!(g.limit() >= 1 && g.limit() <= 2, "{}", g.limit());
    }

    #[test]
    fn an_unused_limit_does_not_grow() {
        let mut g = Gradient::new(100);
        windows(&mut g, 20, 10, 100);
        windows(&mut g, 10, 40, 100);
        let low = g.limit();
        windows(&mut g, 20, 10, low / 4);
        assert!(g.limit() <= low, "{} > {low}", g.limit());
    }

    #[test]
    fn a_window_closes_after_its_time_and_samples() {
        let a = Adaptive::new(100);
        for _ in 0..MIN_SAMPLES * 3 {
            assert_eq!(a.record(ms(5), 1), None, "the first window is not yet over");
        }
        std::thread::sleep(WINDOW);
        assert_eq!(a.record(ms(5), 1), Some(100), "closes with a steady latency");
        assert_eq!(a.samples.load(Ordering::Relaxed), 0);
        assert_eq!(a.record(ms(5), 1), None, "the next window has just begun");
    }
}
