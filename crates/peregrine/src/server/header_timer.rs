//! A coarse, per-connection timer for hyper's header-read timeout.
//!
//! hyper starts a fresh timer for every request head it waits for and drops it once the head is parsed. With
//! tokio's timer that is an allocation, a registration in the timer wheel and a removal per request (~1,500
//! instructions, about an eighth of a whole `/plaintext` request). Here each connection owns one [`Slot`], a
//! single atomic word holding the deadline, and arming or disarming it is one store. A [`Sweeper`] thread
//! visits every slot a few times per timeout and wakes the connections whose deadline has passed, so a
//! timeout fires between the deadline and one sweep after it (a tenth of the timeout,
//! between 5 ms and 1 s).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// No deadline: the connection is not waiting for a head.
const DISARMED: u64 = 0;
/// Set by the sweeper once the armed deadline has passed.
const FIRED: u64 = 1 << 63;
/// Low bits of the state: a count of armings, so that a sleep only ever sees its own deadline fire.
const GENERATION_BITS: u32 = 20;
const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;

/// Wakes connections whose header-read deadline has passed. One per server; its thread ends soon after the
/// server (the last [`Arc`] of it) is dropped.
pub(crate) struct Sweeper {
    epoch: Instant,
    tick: Duration,
    slots: Mutex<Vec<Weak<Slot>>>,
}

impl Sweeper {
    /// A sweeper for `timeout`, visiting the slots every tenth of it (between 5 ms and 1 s), on its own
    /// thread.
    pub(crate) fn start(timeout: Duration) -> Arc<Sweeper> {
        let sweeper = Arc::new(Sweeper {
            epoch: Instant::now(),
            tick: (timeout / 10).clamp(Duration::from_millis(5), Duration::from_secs(1)),
            slots: Mutex::new(Vec::new()),
        });
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

    /// The timer for one new connection.
    pub(crate) fn timer(self: &Arc<Self>) -> ConnectionTimer {
        let slot = Arc::new(Slot {
            state: AtomicU64::new(DISARMED),
            armings: AtomicU64::new(0),
            waker: Mutex::new(None),
        });
        lock(&self.slots).push(Arc::downgrade(&slot));
        ConnectionTimer {
            sweeper: Arc::clone(self),
            slot,
        }
    }

    /// Fires every armed slot whose deadline is at or before `now`, and forgets closed connections.
    fn sweep(&self, now: Instant) {
        let now_ms = self.millis(now);
        lock(&self.slots).retain(|weak| {
            let Some(slot) = weak.upgrade() else { return false };
            let state = slot.state.load(Ordering::Acquire);
            if state != DISARMED && state & FIRED == 0 && state >> GENERATION_BITS <= now_ms {
                slot.fire(state);
            }
            true
        });
    }

    /// Milliseconds from the epoch to `at`, rounded up, and at least 1 (0 would read as disarmed).
    fn millis(&self, at: Instant) -> u64 {
        let d = at.saturating_duration_since(self.epoch);
        let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
        u64::try_from(ms).unwrap_or(u64::MAX >> (GENERATION_BITS + 1)).max(1)
    }
}

/// One connection's deadline: `deadline_ms << GENERATION_BITS | generation`, [`DISARMED`], or either with
/// [`FIRED`] set.
struct Slot {
    state: AtomicU64,
    /// Armings so far (only the connection's own task arms).
    armings: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Slot {
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

/// hyper's [`Timer`] for one connection: every sleep it hands out arms the connection's one slot.
#[derive(Clone)]
pub(crate) struct ConnectionTimer {
    sweeper: Arc<Sweeper>,
    slot: Arc<Slot>,
}

impl ConnectionTimer {
    fn arm(&self, deadline: Instant) -> u64 {
        let generation = self.slot.armings.fetch_add(1, Ordering::Relaxed) & GENERATION_MASK;
        let armed = self.sweeper.millis(deadline) << GENERATION_BITS | generation;
        self.slot.state.store(armed, Ordering::Release);
        armed
    }
}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(SlotSleep {
            armed: self.arm(deadline),
            slot: Arc::clone(&self.slot),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<SlotSleep>() {
            Some(mut ours) if Arc::ptr_eq(&ours.slot, &self.slot) => ours.armed = self.arm(new_deadline),
            _ => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// One arming of a slot; completes once the sweeper fires it, disarms the slot when dropped.
struct SlotSleep {
    armed: u64,
    slot: Arc<Slot>,
}

impl SlotSleep {
    fn fired(&self) -> bool {
        self.slot.state.load(Ordering::Acquire) == self.armed | FIRED
    }
}

impl Future for SlotSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired() {
            return Poll::Ready(());
        }
        {
            let mut waker = lock(&self.slot.waker);
            match waker.as_mut() {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        // The sweeper sets FIRED before it takes the waker: seen here, or woken there.
        if self.fired() {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweeper() -> Arc<Sweeper> {
        // Swept by hand below; the thread's own sweeps (every 5 ms) only ever fire what is due.
        Sweeper::start(Duration::from_millis(50))
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
}
