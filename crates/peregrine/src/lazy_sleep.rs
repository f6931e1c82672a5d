//! A timer armed only when a future first has to wait: the request timeout and the server's body pace
//! both poll their work first and look at the clock only when it is not ready.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};

/// A deadline's timer, created on the first wait.
#[derive(Default)]
pub(crate) struct LazySleep(Option<Pin<Box<Sleep>>>);

impl LazySleep {
    /// Ready once `deadline` has passed; the timer is created or moved to `deadline` as needed.
    pub(crate) fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self
            .0
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx)
    }
}
