//! The stderr fallback: a line on stderr for what an app without a `tracing` subscriber would otherwise never
//! see (why it answered 500, a streamed body that failed, where the server listens). Imports nothing of the
//! crate, so any module may use it.

/// Prints `event` to stderr when no `tracing` subscriber would record it, so that an app without a log
/// (the quickstart) still shows why it answered 500. Peregrine installs no global subscriber.
pub(crate) fn fallback_to_stderr(enabled: bool, event: std::fmt::Arguments<'_>) {
    if enabled && tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>()) {
        eprintln!("peregrine: {event}");
    }
}
