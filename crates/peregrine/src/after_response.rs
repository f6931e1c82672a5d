//! Work after the response (`resp.schedule`, Falcon ASGI's name): futures run once the response body is
//! finished with, through the body's one completion hook, [`BodyDone`].

use std::sync::{Arc, Mutex};

use crate::body::{BodyDone, HyperBody};
use crate::catch_unwind::{panic_message, CatchUnwind};
use crate::response::Scheduled;

/// Runs the scheduled futures, one after another on a task of their own, once the body is finished with.
struct AfterResponse {
    tasks: Mutex<Option<Scheduled>>,
}

impl BodyDone for AfterResponse {
    fn body_done(&self) {
        let Some(tasks) = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(
                count = tasks.len(),
                "scheduled tasks dropped: the response ended outside a runtime"
            );
            return;
        };
        runtime.spawn(async move {
            for task in tasks {
                match CatchUnwind::new(task).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "a task scheduled after a response failed"),
                    Err(panic) => {
                        let message = panic_message(&*panic);
                        tracing::error!(panic = %message, "a task scheduled after a response panicked");
                    }
                }
            }
        });
    }
}

/// Has `body` run `tasks` once it is finished with.
pub(crate) fn attach(body: &mut HyperBody, tasks: Scheduled) {
    body.on_done(Arc::new(AfterResponse {
        tasks: Mutex::new(Some(tasks)),
    }));
}
