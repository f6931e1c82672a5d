//! The server: hyper 1 on tokio, with every limit explicit.
//!
//! ## The way of a request through the server, file by file
//!
//! 1. `runtime.rs` — [`run`] builds the tokio runtime from a [`ServerConfig`] (work-stealing over
//!    every core, single-threaded with `workers(1)`, or one single-threaded runtime per core with
//!    `SO_REUSEPORT` listeners); [`runtime`] builds the same runtime for a `main` with async set-up of its
//!    own.
//! 2. `listen.rs` — [`Server::bind`] binds TCP and Unix listeners; the accept loop takes a
//!    connection permit first (at [`max_connections`](ServerConfig::max_connections) clients wait in the
//!    kernel's backlog), then accepts, finishes a TLS handshake (`tls.rs`, feature `tls`) within the
//!    header-read timeout, and spawns the connection; on the shutdown signal it stops accepting and drains.
//! 3. `connection.rs` — one connection: hyper's HTTP/1 connection (or hyper's auto-detection of
//!    HTTP/1 and HTTP/2 when [`ServerConfig::http2`] is on) over the socket, behind write coalescing
//!    (`coalesce.rs`), supervised by the header-read watchdog
//!    (`header_timer.rs`, renewed by every write that reaches the socket: `write_progress.rs`) and the
//!    server's phase (`lifecycle.rs`).
//! 4. Still in `connection.rs`, each request head is checked in one pass (`head_check.rs`): its
//!    request-target within `max_request_target_size` (else 414), its size within `max_header_size` (else
//!    431), at most one `Host`, a valid one, and an HTTP/1.1 request in origin form exactly one (`host.rs`,
//!    RFC 9112 §3.2: else 400), each refusal closing the connection. A request with a body has it read
//!    first, under a pace rule (408) and a server-wide memory budget (503), when it fits in `max_body_size`
//!    (`body_read.rs`); then it meets the concurrency limit (`limit.rs`, moved by
//!    latency when `adaptive.rs` is on): admitted, it becomes the core's
//!    [`Request`](crate::Request) and runs the app's pipeline; over the limit it gets the 503 of shedding,
//!    rendered once at start-up, before any app code.
//! 5. `serving.rs` — hyper's future for that request: the answer, the place under the limit
//!    freed as soon as it is ready, and the watchdog handed to the response body, which starts the next
//!    head's deadline once the body is finished with.
//! 6. `lifecycle.rs` — on SIGTERM or Ctrl-C ([`shutdown_signal`]), [`Readiness`] turns to 503,
//!    listeners close, idle connections close, requests in flight finish within the drain timeout, then
//!    the server returns (and `run` exits 0). `health.rs` holds the probes.
//!
//! Only this module knows sockets, hyper's connections, transport timers and the runtime; the rest of the
//! crate (and the test client) runs the same pipeline without them.
//!
//! ## What the server does at each limit
//!
//! - **Protocols**: HTTP/1.1 with keep-alive and pipelining (the responses a connection produces in one go
//!   leave in one write; see [`ServerConfig::pipeline_flush`]); HTTP/2 with prior knowledge (h2c) beside it when
//!   [`ServerConfig::http2`] is on; TLS (rustls, ALPN `h2`/`http/1.1`) with the `tls` cargo feature and
//!   [`ServerConfig::tls`]. SIGHUP rereads the certificate and key for new handshakes (a pair that fails to
//!   load is logged and the current one stays).
//! - **Overload**: at [`max_connections`](ServerConfig::max_connections) it stops accepting until a
//!   connection closes; past [`max_concurrent_requests`](ServerConfig::max_concurrent_requests) a request is
//!   answered at once with 503 and `Retry-After`, before any app code runs. Nothing queues without bound.
//!   With [`adaptive_concurrency`](ServerConfig::adaptive_concurrency) that maximum is a ceiling and the limit
//!   follows latency.
//! - **Timeouts**: a client that sends its headers too slowly (or idles on keep-alive) is disconnected at the
//!   header-read timeout; a request that outlives its request timeout gets 504 and its future is dropped.
//! - **Faults**: a panic in a responder, hook or middleware becomes a 500 with a generic body, logged with the
//!   route template; the connection and the process go on. Malformed requests get hyper's 400/431/414
//!   answers and a closed connection.
//! - **Metrics**: with `App::metrics` (feature `metrics`), shed requests are counted in
//!   `peregrine_requests_shed_total` beside the app's request metrics.
//! - **Tracing**: a `request` span per request on the `peregrine::request` target (method, path, route
//!   template, status, microseconds, request id from `X-Request-Id` or a counter) and an access-log `INFO`
//!   event on `peregrine::access`; with no subscriber interested, neither allocates nor reads the clock.

mod adaptive;
mod body_read;
mod coalesce;
mod config;
mod connection;
mod env;
mod head_check;
mod header_timer;
mod health;
mod host;
mod lifecycle;
mod limit;
mod listen;
mod runtime;
mod serving;
#[cfg(feature = "tls")]
mod tls;
mod write_progress;

use std::io;

use tokio::net::ToSocketAddrs;

pub use config::{BindAddr, ConfigError, ServerConfig, TlsFiles};
pub use health::{Liveness, Readiness};
pub use lifecycle::shutdown_signal;
pub use listen::Server;
pub use runtime::{run, runtime, IO_EVENTS_PER_TICK};

use crate::App;

/// Serves `app` on `addr` with the default [`ServerConfig`] until Ctrl-C or SIGTERM, then drains and
/// returns — inside a tokio runtime you already have, for embedding Peregrine in a larger program.
///
/// A program whose job is serving should call [`run`] from a plain `fn main` instead: it builds the runtime
/// tuned for serving (under hundreds of busy connections, `#[tokio::main]`'s runtime lets a few of them wait
/// many times longer than the rest) and reads the settings from the environment.
///
/// ```no_run
/// # async fn embed(app: peregrine::App) -> std::io::Result<()> {
/// peregrine::serve(app, "127.0.0.1:8000").await
/// # }
/// ```
///
/// # Errors
/// When the address cannot be bound or resolves to nothing.
pub async fn serve(app: App, addr: impl ToSocketAddrs) -> io::Result<()> {
    let addr = tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the address resolves to nothing"))?;
    let server = Server::bind(ServerConfig::new().bind(BindAddr::Tcp(addr))).await?;
    server.run_until(app, shutdown_signal()).await
}

/// Locks `m`, taking the data of a poisoned lock too: the server's mutexes guard plain state (buffers,
/// wakers, lists) that a panic elsewhere leaves whole.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
