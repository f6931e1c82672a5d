//! Telling every open connection that the server drains or stops, for one atomic load per wake-up.
//!
//! Each connection's task already registers its waker with its [`Watchdog`] on every wake-up (for the
//! header-read deadline). [`Lifecycle::enter`] stores the new [`Phase`] and wakes every watchdog's task
//! through the [`Sweeper`]; a [`Supervised`] connection reads the phase whenever it is polled. A channel per
//! connection (tokio's `watch`, as hyper-util's graceful shutdown uses) costs a lock on every wake-up
//! instead (see bench/NOTES.md, "Lifecycle wake-ups").
//!
//! The shutdown signal that starts the drain is here too: [`shutdown_signal`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::server::graceful::GracefulConnection;

use super::header_timer::{Sweeper, Watchdog};

/// Where the server is; it only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Phase {
    Serving = 0,
    /// Finish what is in flight; close each connection once it is idle.
    Draining = 1,
    /// The drain timeout has run out: close every connection now.
    Stopped = 2,
}

/// The server's phase, shared by its connections.
pub(crate) struct Lifecycle {
    phase: AtomicU8,
    sweeper: Arc<Sweeper>,
}

impl Lifecycle {
    pub(super) fn new(sweeper: Arc<Sweeper>) -> Self {
        Lifecycle {
            phase: AtomicU8::new(Phase::Serving as u8),
            sweeper,
        }
    }

    pub(super) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Serving,
            1 => Phase::Draining,
            _ => Phase::Stopped,
        }
    }

    /// Moves to `phase` (never back) and wakes every connection to see it.
    pub(super) fn enter(&self, phase: Phase) {
        self.phase.fetch_max(phase as u8, Ordering::AcqRel);
        self.sweeper.wake_all();
    }
}

/// How a [`Supervised`] connection ended.
pub(crate) enum Ended<E> {
    /// The connection finished (the client closed it, or it was drained), perhaps with an error.
    Done(Result<(), E>),
    /// No request head arrived within the header-read timeout.
    TimedOut,
    /// The server stopped.
    Stopped,
}

pin_project_lite::pin_project! {
    /// Serves `conn` until it ends, its watchdog expires or the server stops; when the server starts to drain,
    /// tells it once to finish gracefully (hyper then closes it as soon as it is idle).
    pub(crate) struct Supervised<'a, C> {
        #[pin]
        conn: C,
        watchdog: &'a Watchdog,
        lifecycle: &'a Lifecycle,
        told_to_drain: bool,
    }
}

impl<'a, C> Supervised<'a, C> {
    pub(super) fn new(conn: C, watchdog: &'a Watchdog, lifecycle: &'a Lifecycle) -> Self {
        Supervised {
            conn,
            watchdog,
            lifecycle,
            told_to_drain: false,
        }
    }
}

impl<C: GracefulConnection> Future for Supervised<'_, C> {
    type Output = Ended<C::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // The waker is registered before the phase is read: a phase entered later wakes this task.
        if this.watchdog.poll_expired(cx) {
            return Poll::Ready(Ended::TimedOut);
        }
        match this.lifecycle.phase() {
            Phase::Serving => {}
            Phase::Draining if !*this.told_to_drain => {
                *this.told_to_drain = true;
                this.conn.as_mut().graceful_shutdown();
            }
            Phase::Draining => {}
            Phase::Stopped => return Poll::Ready(Ended::Stopped),
        }
        this.conn.poll(cx).map(Ended::Done)
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix: the usual `shutdown` for [`Server::run_until`].
///
/// [`Server::run_until`]: super::Server::run_until
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phase_only_moves_forward() {
        let lifecycle = Lifecycle::new(Sweeper::start(None));
        assert_eq!(lifecycle.phase(), Phase::Serving);
        lifecycle.enter(Phase::Stopped);
        lifecycle.enter(Phase::Draining);
        assert_eq!(lifecycle.phase(), Phase::Stopped);
    }
}
