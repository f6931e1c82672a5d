//! Building the tokio runtime the server runs on, and [`run`], which serves an app from a plain `fn main`.
//!
//! The runtime is tokio's work-stealing one with two settings changed: how many readiness events one poll of
//! the OS may wake ([`IO_EVENTS_PER_TICK`]) and how often a busy worker looks at the shared queue. With
//! `workers(1)` set it is tokio's single-threaded scheduler, with the same settings. Per-core mode runs one
//! single-threaded runtime per worker, each with its own `SO_REUSEPORT` listeners.

use std::io;
use std::sync::Arc;

use tokio::sync::watch;

use super::connection::Shared;
use super::lifecycle::shutdown_signal;
use super::listen::{bind_all, log_listening, serve_listeners, Server};
use super::ServerConfig;
use crate::App;

/// Builds the tokio runtime that `config` describes, serves `app` until Ctrl-C or SIGTERM, drains, and
/// returns. Use it from a plain `fn main` (no `#[tokio::main]`).
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let app = peregrine::App::new().add_route("/health", peregrine::server::Liveness);
///     peregrine::server::run(app, peregrine::server::ServerConfig::from_env()?)?;
///     Ok(())
/// }
/// ```
///
/// # Errors
/// When the runtime cannot be built or an address cannot be bound.
pub fn run(app: App, config: ServerConfig) -> io::Result<()> {
    let workers = worker_count(&config);
    if !config.per_core {
        return runtime(&config)?.block_on(async {
            let server = Server::bind(config).await?;
            server.run_until(app, shutdown_signal()).await
        });
    }

    // Per-core: bind every worker's listeners first, so a bind error is reported before anything serves.
    let shared = Shared::new(app, &config)?;
    let (stop, stopped) = watch::channel(false);
    let mut workers_ready = Vec::with_capacity(workers);
    for i in 0..workers {
        let runtime = single_thread(&config)?;
        let listeners = runtime.block_on(bind_all(&config.addrs, true, i == 0))?;
        workers_ready.push((runtime, listeners));
    }
    log_listening(&workers_ready[0].1);
    let threads: Vec<_> = workers_ready
        .into_iter()
        .enumerate()
        .map(|(i, (runtime, listeners))| {
            let shared = Arc::clone(&shared);
            let config = config.clone();
            let mut stopped = stopped.clone();
            std::thread::Builder::new()
                .name(format!("peregrine-{i}"))
                .spawn(move || {
                    let stop = async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    };
                    runtime.block_on(serve_listeners(listeners, shared, &config, stop, i == 0));
                })
        })
        .collect::<io::Result<_>>()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(shutdown_signal());
    let _ = stop.send(true);
    for thread in threads {
        let _ = thread.join();
    }
    Ok(())
}

/// How many readiness events a runtime worker takes from the OS per poll, unless
/// [`ServerConfig::io_events_per_tick`] says otherwise: the number of scheduler ticks between two polls of
/// the I/O driver (61, tokio's default interval), so that one poll never wakes more connections than the
/// worker runs before the next one, and a saturated server serves its busy connections in turn.
///
/// tokio's own default (1,024) lets one poll wake hundreds of connections; past the worker's local queue of
/// 256 the rest spill into the shared queue and wait several times longer than the others: more requests
/// per second at saturation, a much longer tail. [`ServerConfig::io_events_per_tick`] trades it back.
// PERF: figures for both settings are in bench/NOTES.md ("I/O events per tick").
pub const IO_EVENTS_PER_TICK: usize = EVENT_INTERVAL as usize;

/// Scheduler ticks between two polls of the I/O driver by a busy worker (tokio's default, set explicitly
/// because [`IO_EVENTS_PER_TICK`] must not exceed it).
const EVENT_INTERVAL: u32 = 61;

/// Scheduler ticks between two looks at the runtime's shared queue by a busy worker.
///
/// A worker's own queue holds 256 tasks; when more connections than that are ready at once, tokio moves the
/// oldest half to the shared queue, which a busy worker visits only every ~200 µs by default, so those
/// connections, already the longest waiting, would wait longest again. Below 256 ready connections the
/// shared queue is empty and the look is one atomic load.
// PERF: the tail at 2,000 clients with and without it is in bench/NOTES.md ("Shared queue interval").
const GLOBAL_QUEUE_INTERVAL: u32 = 8;

/// Builds the tokio runtime that [`run`] serves on: the work-stealing scheduler on
/// [`ServerConfig::workers`] threads (default: every core the process may run on), timers and I/O on, at most
/// [`ServerConfig::io_events_per_tick`] readiness events per poll, and the shared queue looked at every 8
/// tasks (so that under overload the longest-waiting connections are not the last served).
///
/// With [`ServerConfig::workers`] set to 1 (`PEREGRINE_WORKERS=1`), it builds tokio's single-threaded
/// scheduler instead, with the same settings: every task runs on the thread that calls `block_on`, and only
/// while it does, with no other worker to steal from or to wake. For a process that owns one core. On that
/// scheduler `tokio::task::block_in_place` panics (use `tokio::task::spawn_blocking`), and a task that
/// blocks its thread stalls every connection. A process that is merely allowed one core (a one-CPU container,
/// `taskset`) keeps the work-stealing scheduler unless it sets `workers(1)`. Besides the runtime's threads
/// (and `spawn_blocking`'s, which tokio names `tokio-rt-worker` on either scheduler), the server keeps one
/// thread of its own, `peregrine-timeouts`, for the header-read deadlines.
///
/// Per-core mode ([`ServerConfig::per_core`]) is [`run`]'s alone: this builds one runtime and ignores it.
///
/// Use it when `main` has async set-up to do before serving (connecting a database pool): `#[tokio::main]`
/// would build a runtime without that tuning.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use peregrine::server::{runtime, shutdown_signal, Server, ServerConfig};
///
/// let config = ServerConfig::from_env()?;
/// runtime(&config)?.block_on(async {
///     // connect the database here, then:
///     let app = peregrine::App::new();
///     Server::bind(config).await?.run_until(app, shutdown_signal()).await
/// })?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// When the OS refuses the runtime's threads or its I/O driver.
pub fn runtime(config: &ServerConfig) -> io::Result<tokio::runtime::Runtime> {
    if config.workers == Some(1) {
        // PERF: one worker has nobody to share tasks with; the single-threaded scheduler skips the
        // cross-thread queues and wake-ups (bench/NOTES.md, "One worker, one scheduler").
        return single_thread(config);
    }
    let workers = worker_count(config);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .event_interval(EVENT_INTERVAL)
        .max_io_events_per_tick(config.io_events_per_tick)
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .enable_all()
        .build()
}

/// A single-threaded runtime with the work-stealing one's settings: the runtime of `workers(1)`, and each
/// of per-core mode's.
fn single_thread(config: &ServerConfig) -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .event_interval(EVENT_INTERVAL)
        .max_io_events_per_tick(config.io_events_per_tick)
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .enable_all()
        .build()
}

fn worker_count(config: &ServerConfig) -> usize {
    config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

#[cfg(test)]
mod tests {
    use tokio::runtime::RuntimeFlavor;

    use super::*;

    fn flavor(config: &ServerConfig) -> RuntimeFlavor {
        runtime(config).unwrap().handle().runtime_flavor()
    }

    #[test]
    fn workers_1_gets_the_single_threaded_scheduler() {
        assert_eq!(flavor(&ServerConfig::new().workers(1)), RuntimeFlavor::CurrentThread);
    }

    #[test]
    fn the_default_keeps_the_work_stealing_scheduler() {
        // Whatever the cores (on a one-core machine too): only an explicit `workers(1)` changes it.
        assert_eq!(flavor(&ServerConfig::new()), RuntimeFlavor::MultiThread);
    }

    #[test]
    fn two_workers_get_the_work_stealing_scheduler() {
        assert_eq!(flavor(&ServerConfig::new().workers(2)), RuntimeFlavor::MultiThread);
    }
}
