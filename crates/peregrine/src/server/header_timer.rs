//! The header-read timeout, coarse and cheap: each connection owns one [`Slot`], a single atomic word holding
//! its deadline, so arming or disarming it is one store. A [`Sweeper`] thread visits every slot a few times
//! per timeout and wakes the connections whose deadline has passed, so a timeout fires between the deadline
//! and one sweep after it (a tenth of the timeout, between 5 ms and 1 s). The sweeper also keeps a coarse
//! clock, read at each visit: a [`Watchdog`] counts its deadline from it plus one sweep, so arming reads no
//! clock, and a head is cut off between the timeout and two sweeps after it.
//!
//! Two ways to use a slot:
//! - [`Watchdog`], for HTTP/1 connections: armed when the connection starts and whenever a response body has
//!   been handed to hyper in full, disarmed when a request reaches the service; when it fires, the connection
//!   is closed. hyper's own header-read timeout is off there: with it on, hyper starts a tokio timer per
//!   request and runs its read loop once more after every head (bench/NOTES.md, "Header-read watchdog").
//! - [`ConnectionTimer`], a hyper [`Timer`] for the connections hyper's auto builder serves (HTTP/2 on), where
//!   hyper decides the protocol and keeps its own header-read timeout.
//!
//! Who touches a [`Watchdog`], and what it wakes:
//! - **arms**: `Sweeper::watchdog` (a new connection: its first head is due), and the response body through
//!   the core's `BodyDone` hook (`body.rs`) once hyper has taken it all or dropped it (the next head is due);
//! - **renews**: `write_progress::WriteProgress`, whenever bytes reach the socket while it is armed: hyper
//!   may still be writing a large body it has taken, to a slow reader, and that connection is not idle;
//! - **disarms**: `Shared::serve` (`connection.rs`) as soon as a request head has arrived, so a slow
//!   responder or a long streamed body is never cut off;
//! - **wakes**: the connection's own task, registered on every poll by `lifecycle::Supervised`, which closes
//!   the connection when the deadline has passed. Shutdown rides on the same waker:
//!   [`Sweeper::wake_all`], called by `Lifecycle::enter`, wakes every connection to read the new phase.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

use super::lock;

/// No deadline: the connection is not waiting for a head.
const DISARMED: u64 = 0;
/// Set by the sweeper once the armed deadline has passed.
const FIRED: u64 = 1 << 63;
/// Low bits of the state: a count of armings, so that a sleep only ever sees its own deadline fire.
const GENERATION_BITS: u32 = 20;
const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;

/// Wakes connections whose header-read deadline has passed, and (for the server's [`Lifecycle`]) every
/// connection at once. One per server; its thread ends soon after the server (the last [`Arc`] of it) is
/// dropped.
///
/// [`Lifecycle`]: super::lifecycle::Lifecycle
pub(crate) struct Sweeper {
    epoch: Instant,
    tick: Duration,
    /// The header-read timeout; `None`: no deadlines, no thread, only [`Sweeper::wake_all`].
    timeout: Option<Duration>,
    /// Milliseconds from `epoch`, as the sweeper last read them (shared with every slot).
    clock: Arc<AtomicU64>,
    slots: Mutex<Vec<Weak<Slot>>>,
}

impl Sweeper {
    /// A sweeper for `timeout`, visiting the slots every tenth of it (between 5 ms and 1 s), on its own
    /// thread; with no timeout, no thread.
    pub(crate) fn start(timeout: Option<Duration>) -> Arc<Sweeper> {
        let sweeper = Sweeper::new(timeout);
        if timeout.is_none() {
            return sweeper;
        }
        let weak = Arc::downgrade(&sweeper);
        let spawned = std::thread::Builder::new()
            .name("peregrine-timeouts".to_owned())
            .spawn(move || loop {
                let Some(sweeper) = weak.upgrade() else { return };
                let tick = sweeper.tick;
                sweeper.sweep(Instant::now());
                drop(sweeper);
                std::thread::sleep(tick);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the header-read timeout thread; header timeouts are off");
        }
        sweeper
    }

    /// A sweeper that only sweeps when [`Sweeper::sweep`] is called.
    fn new(timeout: Option<Duration>) -> Arc<Sweeper> {
        Arc::new(Sweeper {
            epoch: Instant::now(),
            tick: timeout.map_or(Duration::ZERO, |t| {
                (t / 10).clamp(Duration::from_millis(5), Duration::from_secs(1))
            }),
            timeout,
            clock: Arc::new(AtomicU64::new(1)),
            slots: Mutex::new(Vec::new()),
        })
    }

    /// The header-read timeout it keeps.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))] // used by the HTTP/2 (auto) path
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// hyper's timer for one new connection.
    #[cfg(any(feature = "http2", test))]
    pub(crate) fn timer(&self) -> ConnectionTimer {
        ConnectionTimer { slot: self.slot() }
    }

    /// The watchdog of one new HTTP/1 connection, armed: its first request head is due within the timeout
    /// (if there is one).
    pub(crate) fn watchdog(&self) -> Watchdog {
        // The coarse clock may be up to one sweep behind: count from one sweep later.
        let lead = self.timeout.map(|t| millis_ceil(t + self.tick));
        let watchdog = Watchdog {
            slot: self.slot(),
            lead,
        };
        watchdog.arm();
        watchdog
    }

    /// Wakes every open connection's task (the server's lifecycle has moved on).
    pub(crate) fn wake_all(&self) {
        let slots: Vec<Arc<Slot>> = lock(&self.slots).iter().filter_map(Weak::upgrade).collect();
        for slot in slots {
            let waker = lock(&slot.waker).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    fn slot(&self) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            epoch: self.epoch,
            clock: Arc::clone(&self.clock),
            state: AtomicU64::new(DISARMED),
            armings: AtomicU64::new(0),
            waker: Mutex::new(None),
        });
        let mut slots = lock(&self.slots);
        if slots.len() == slots.capacity() {
            // Forget closed connections before the list grows: without a sweeping thread (no timeout) nothing
            // else would, and each forgotten `Weak` frees its slot's memory.
            slots.retain(|weak| weak.strong_count() > 0);
        }
        slots.push(Arc::downgrade(&slot));
        drop(slots);
        slot
    }

    /// Fires every armed slot whose deadline is at or before `now`, and forgets closed connections.
    fn sweep(&self, now: Instant) {
        let now_ms = millis(self.epoch, now);
        self.clock.fetch_max(now_ms, Ordering::Relaxed);
        lock(&self.slots).retain(|weak| {
            let Some(slot) = weak.upgrade() else { return false };
            let state = slot.state.load(Ordering::Acquire);
            if state != DISARMED && state & FIRED == 0 && state >> GENERATION_BITS <= now_ms {
                slot.fire(state);
            }
            true
        });
    }
}

/// Milliseconds from `epoch` to `at`, rounded up, and at least 1 (0 would read as disarmed).
fn millis(epoch: Instant, at: Instant) -> u64 {
    millis_ceil(at.saturating_duration_since(epoch)).max(1)
}

/// `d` in whole milliseconds, rounded up (and capped to what a slot's state can hold).
fn millis_ceil(d: Duration) -> u64 {
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(MAX_MILLIS).min(MAX_MILLIS)
}

/// The largest deadline a slot's state holds.
const MAX_MILLIS: u64 = u64::MAX >> (GENERATION_BITS + 1);

/// One connection's deadline: `deadline_ms << GENERATION_BITS | generation`, [`DISARMED`], or either with
/// [`FIRED`] set.
struct Slot {
    /// The sweeper's, which deadlines count from.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))] // used by the HTTP/2 (auto) path
    epoch: Instant,
    /// The sweeper's coarse clock.
    clock: Arc<AtomicU64>,
    state: AtomicU64,
    /// Armings so far (only the connection's own task arms, so no read-modify-write is needed).
    armings: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Slot {
    /// Sets the deadline; returns the state that stands for this arming.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))] // used by the HTTP/2 (auto) path
    fn arm(&self, deadline: Instant) -> u64 {
        self.arm_at(millis(self.epoch, deadline))
    }

    /// Sets the deadline, in milliseconds from the epoch.
    fn arm_at(&self, deadline_ms: u64) -> u64 {
        let armings = self.armings.load(Ordering::Relaxed);
        self.armings.store(armings.wrapping_add(1), Ordering::Relaxed);
        let armed = deadline_ms.min(MAX_MILLIS) << GENERATION_BITS | armings & GENERATION_MASK;
        self.state.store(armed, Ordering::Release);
        armed
    }

    /// Registers the task to wake when the slot fires; true if it has fired (with `armed`: that arming).
    fn poll_fired(&self, armed: Option<u64>, cx: &mut Context<'_>) -> bool {
        let fired = || {
            let state = self.state.load(Ordering::Acquire);
            match armed {
                Some(armed) => state == armed | FIRED,
                None => state & FIRED != 0,
            }
        };
        if fired() {
            return true;
        }
        {
            let mut waker = lock(&self.waker);
            match waker.as_mut() {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        // The sweeper sets FIRED before it takes the waker: seen here, or woken there.
        fired()
    }

    fn fire(&self, armed: u64) {
        if self
            .state
            .compare_exchange(armed, armed | FIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if let Some(waker) = lock(&self.waker).take() {
                waker.wake();
            }
        }
    }
}

/// One HTTP/1 connection's header-read deadline, kept by Peregrine (see the [module](self) docs); also how
/// the connection's task is woken when the server drains or stops.
#[derive(Clone)]
pub(crate) struct Watchdog {
    slot: Arc<Slot>,
    /// Milliseconds from the coarse clock to a new deadline (the timeout and one sweep); `None`: never armed.
    lead: Option<u64>,
}

impl Watchdog {
    /// The next request head is due within the timeout from now: the deadline is not before it (while the
    /// sweeping thread keeps time) and at most one sweep after it (with no timeout, nothing happens).
    pub(crate) fn arm(&self) {
        if let Some(lead) = self.lead {
            self.slot.arm_at(self.slot.clock.load(Ordering::Relaxed) + lead);
        }
    }

    /// Bytes reached the socket: a connection that is still writing its last response is not idle, so an
    /// armed deadline starts again from now. A disarmed watchdog (a request being served) stays disarmed.
    pub(crate) fn renew(&self) {
        if let Some(lead) = self.lead {
            let state = self.slot.state.load(Ordering::Relaxed);
            if state != DISARMED && state & FIRED == 0 {
                self.slot.arm_at(self.slot.clock.load(Ordering::Relaxed) + lead);
            }
        }
    }

    /// A request is being served: no deadline until it is done.
    pub(crate) fn disarm(&self) {
        self.slot.state.store(DISARMED, Ordering::Release);
    }

    /// Registers the task to be woken by this watchdog (its deadline, or [`Sweeper::wake_all`]); true once
    /// the deadline has passed with the watchdog still armed.
    pub(crate) fn poll_expired(&self, cx: &mut Context<'_>) -> bool {
        self.slot.poll_fired(None, cx)
    }
}

/// A response body is finished with: the next head is due within the timeout from now.
impl crate::body::BodyDone for Watchdog {
    fn body_done(&self) {
        self.arm();
    }
}

/// hyper's [`Timer`] for one connection: every sleep it hands out arms the connection's one slot.
#[derive(Clone)]
#[cfg_attr(not(feature = "http2"), allow(dead_code))] // used by the HTTP/2 (auto) path
pub(crate) struct ConnectionTimer {
    slot: Arc<Slot>,
}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(SlotSleep {
            armed: self.slot.arm(deadline),
            slot: Arc::clone(&self.slot),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<SlotSleep>() {
            Some(mut ours) if Arc::ptr_eq(&ours.slot, &self.slot) => ours.armed = self.slot.arm(new_deadline),
            _ => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// One arming of a slot; completes once the sweeper fires it, disarms the slot when dropped.
#[cfg_attr(not(feature = "http2"), allow(dead_code))] // used by the HTTP/2 (auto) path
struct SlotSleep {
    armed: u64,
    slot: Arc<Slot>,
}

impl Future for SlotSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.slot.poll_fired(Some(self.armed), cx) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Sleep for SlotSleep {}

impl Drop for SlotSleep {
    fn drop(&mut self) {
        let state = self.slot.state.load(Ordering::Relaxed);
        if state & !FIRED == self.armed {
            self.slot.state.store(DISARMED, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweeper() -> Arc<Sweeper> {
        // Swept by hand below; the thread's own sweeps (every 5 ms) only ever fire what is due.
        Sweeper::start(Some(Duration::from_millis(50)))
    }

    fn ready(sleep: &mut Pin<Box<dyn Sleep>>) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        sleep.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn a_sleep_completes_only_once_its_deadline_has_been_swept() {
        let s = sweeper();
        let timer = s.timer();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut sleep = timer.sleep_until(deadline);
        assert!(!ready(&mut sleep));
        s.sweep(deadline - Duration::from_millis(1));
        assert!(!ready(&mut sleep), "not before the deadline");
        s.sweep(deadline);
        assert!(ready(&mut sleep), "at the deadline");
    }

    #[test]
    fn the_sweeper_thread_fires_a_due_deadline_and_wakes_the_task() {
        let s = sweeper();
        let timer = s.timer();
        let started = Instant::now();
        let sleep = timer.sleep(Duration::from_millis(20));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), sleep).await })
            .expect("woken by the sweeper");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(20), "fired early: {waited:?}");
    }

    #[test]
    fn a_new_arming_is_not_fired_by_a_sweep_of_the_old_one() {
        let s = sweeper();
        let timer = s.timer();
        let now = Instant::now();
        let mut old = timer.sleep_until(now + Duration::from_secs(30));
        timer.reset(&mut old, now + Duration::from_secs(90));
        s.sweep(now + Duration::from_secs(60));
        assert!(!ready(&mut old), "the reset deadline is later");
        drop(old);
        let mut next = timer.sleep_until(now + Duration::from_secs(120));
        s.sweep(now + Duration::from_secs(100));
        assert!(!ready(&mut next));
        s.sweep(now + Duration::from_secs(120));
        assert!(ready(&mut next));
    }

    #[test]
    fn dropping_a_sleep_disarms_and_closed_connections_are_forgotten() {
        let s = sweeper();
        let timer = s.timer();
        let now = Instant::now();
        let sleep = timer.sleep_until(now + Duration::from_secs(1));
        drop(sleep);
        assert_eq!(timer.slot.state.load(Ordering::Relaxed), DISARMED);
        drop(timer);
        s.sweep(now);
        assert!(lock(&s.slots).is_empty());
    }

    #[test]
    fn wake_all_wakes_a_registered_task_and_a_disarmed_watchdog_never_expires() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let s = Sweeper::start(Some(Duration::from_secs(1)));
        let watchdog = s.watchdog();
        // As an auto-detected connection's, once its first request came.
        watchdog.disarm();
        let count = Arc::new(Count(0.into()));
        let waker = Waker::from(Arc::clone(&count));
        assert!(!watchdog.poll_expired(&mut Context::from_waker(&waker)));
        s.sweep(Instant::now() + Duration::from_secs(3600));
        assert_eq!(count.0.load(Ordering::Relaxed), 0, "nothing to fire");
        s.wake_all();
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        assert!(!watchdog.poll_expired(&mut Context::from_waker(&waker)));
    }

    #[test]
    fn a_watchdog_counts_its_deadline_from_the_last_sweep_plus_one() {
        let s = Sweeper::new(Some(Duration::from_millis(50)));
        let expired = |w: &Watchdog| w.poll_expired(&mut Context::from_waker(Waker::noop()));
        let start = s.epoch + Duration::from_secs(10);
        s.sweep(start);
        let watchdog = s.watchdog();
        s.sweep(start + Duration::from_millis(54));
        assert!(
            !expired(&watchdog),
            "due 50 ms (the timeout) + 5 ms (one sweep) after the clock"
        );
        s.sweep(start + Duration::from_millis(55));
        assert!(expired(&watchdog));
        watchdog.disarm();
        watchdog.arm();
        s.sweep(start + Duration::from_millis(109));
        assert!(!expired(&watchdog), "re-armed from the clock the last sweep read");
        s.sweep(start + Duration::from_millis(110));
        assert!(expired(&watchdog));
    }

    #[test]
    fn without_a_thread_closed_connections_are_still_forgotten() {
        let s = Sweeper::start(None);
        let open: Vec<_> = (0..3).map(|_| s.watchdog()).collect();
        for _ in 0..1000 {
            drop(s.watchdog());
        }
        let kept = lock(&s.slots).len();
        assert!(kept < 16, "{kept} slots kept for 3 open connections");
        drop(open);
    }
}
