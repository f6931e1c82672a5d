//! The server: hyper 1 on tokio, with every limit explicit.
//!
//! - **Protocols**: HTTP/1.1 with keep-alive and pipelining (the responses a connection produces in one go
//!   leave in one write; see [`ServerConfig::pipeline_flush`]); HTTP/2 with prior knowledge (h2c) beside it when
//!   [`ServerConfig::http2`] is on; TLS (rustls, ALPN `h2`/`http/1.1`) with the `tls` cargo feature and
//!   [`ServerConfig::tls`]. The handshake must finish within the header-read timeout. SIGHUP rereads the
//!   certificate and key for new handshakes (a pair that fails to load is logged and the current one stays).
//! - **Overload**: at [`max_connections`](ServerConfig::max_connections) it stops accepting until a
//!   connection closes; past [`max_concurrent_requests`](ServerConfig::max_concurrent_requests) a request is
//!   answered at once with 503 and `Retry-After`, before any app code runs. Nothing queues without bound.
//!   With [`adaptive_concurrency`](ServerConfig::adaptive_concurrency) that maximum is a ceiling and the limit
//!   follows latency (below).
//! - **Timeouts**: a client that sends its headers too slowly (or idles on keep-alive) is disconnected at the
//!   header-read timeout; a request that outlives its request timeout gets 504 and its future is dropped.
//! - **Faults**: a panic in a responder, hook or middleware becomes a 500 with a generic body, logged with the
//!   route template; the connection and the process go on. Malformed requests get hyper's 400/431/414
//!   answers and a closed connection.
//! - **Shutdown**: on SIGTERM or Ctrl-C, [`Readiness`] turns to 503, listeners close, idle connections close,
//!   requests in flight finish within the drain timeout, then the server returns (and `run` exits 0).
//! - **Metrics**: with [`App::metrics`](crate::App::metrics), shed requests are counted in
//!   `peregrine_requests_shed_total` beside the app's request metrics.
//! - **Tracing**: a `request` span per request on the `peregrine::request` target (method, path, route
//!   template, status, microseconds, request id from `X-Request-Id` or a counter) and an access-log `INFO`
//!   event on `peregrine::access`; with no subscriber interested, neither allocates nor reads the clock.
//!
//! ## The adaptive concurrency limit
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
//! the queue; when latency falls back, the limit grows by a fifth of √limit per window. In the socket test
//! (48 clients on a route that holds one of two "database connections" for 10 ms), the admitted requests'
//! median latency was 34 ms against a usual 12 ms; with the fixed limit it was 277 ms. When latency does not
//! depend on concurrency (a responder that waits on a timer) there is nothing to learn and the limit stays
//! at its maximum. Apps whose routes differ a lot in latency see the mix's mean: a burst of fast requests
//! lowers the usual latency for a while.
//!
//! It is off by default because shedding is cheap, not free. Clients that honour `Retry-After` leave the
//! admitted requests the machine; clients that retry a 503 at once do not. Measured with the users example
//! on PostgreSQL under `wrk -c500` (which retries at once) on one core: fixed limit, ~5,700 answers/s, all
//! 200, p99 ~120 ms; adaptive, ~44,000 answers/s of which ~2,300/s were 200s: the 503s took the core.
//!
//! [`run`] builds the runtime from a [`ServerConfig`] (work-stealing over every core, or one runtime per core
//! with `SO_REUSEPORT`); [`serve`] and [`Server`] run inside a runtime you already have, ideally one from
//! [`runtime`], which bounds how many connections one poll of the OS wakes ([`IO_EVENTS_PER_TICK`]).

mod adaptive;
mod coalesce;
mod config;
pub(crate) mod header_timer;
mod health;
mod lifecycle;
mod limit;
mod serving;
#[cfg(feature = "tls")]
mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderValue, RETRY_AFTER};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

pub use config::{BindAddr, ConfigError, ServerConfig, TlsFiles};
pub use health::{Liveness, Readiness};

use crate::body::{HyperBody, RequestBody};
use crate::pipeline::Pipeline;
use crate::render::PrerenderedError;
use crate::{App, HttpError};
use header_timer::{Sweeper, Watchdog};
use lifecycle::{Ended, Lifecycle, Phase, Supervised};
use limit::ConcurrencyLimit;
use serving::Serving;

/// Serves `app` on `addr` with the default [`ServerConfig`] until Ctrl-C or SIGTERM, then drains and returns.
/// Call it inside a multi-threaded tokio runtime and connections spread over every core; [`runtime`] builds
/// one tuned for serving (fairer under hundreds of busy connections than `#[tokio::main]`'s).
///
/// ```no_run
/// # async fn run(app: peregrine::App) -> std::io::Result<()> {
/// peregrine::serve(app, "127.0.0.1:8000").await
/// # }
/// ```
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(app: App, addr: impl ToSocketAddrs) -> io::Result<()> {
    Server::bind(addr).await?.run_until(app, shutdown_signal()).await
}

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
            let server = Server::bind_with(config).await?;
            server.run_until(app, shutdown_signal()).await
        });
    }

    // Per-core: bind every worker's listeners first, so a bind error is reported before anything serves.
    let shared = Shared::new(app, &config)?;
    let (stop, stopped) = watch::channel(false);
    let mut workers_ready = Vec::with_capacity(workers);
    for i in 0..workers {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
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
/// [`ServerConfig::io_events_per_tick`] says otherwise: tokio's default interval, in
/// scheduler ticks, between two polls of the I/O driver (61), so that one poll never wakes more connections
/// than the worker runs before the next one.
///
/// Why: tokio's default (1,024) lets one poll wake hundreds of connections at once; past the worker's local
/// queue of 256 the rest spill into the shared queue, which a busy worker visits only every few dozen tasks,
/// so under 500 busy connections a few wait 10× longer than the others. Measured on `/json` at 500
/// connections (`bench/scripts/wrk-pinned.sh`, one core, 3 runs): p99 64 ms with the default, 7–13 ms with
/// this; the price was ~7 % more user CPU per request there (median 3.02 vs 2.83 µs). Not for the extra
/// polls (counted with `perf stat` on `/plaintext` at 500 connections: one `epoll_wait` per 32 requests
/// against one per 48): serving every connection in turn keeps all of their state cycling through the CPU's
/// caches. At 100 connections nothing changed. [`ServerConfig::io_events_per_tick`] trades it back.
pub const IO_EVENTS_PER_TICK: usize = EVENT_INTERVAL as usize;

/// Scheduler ticks between two polls of the I/O driver by a busy worker (tokio's default, set explicitly
/// because [`IO_EVENTS_PER_TICK`] must not exceed it).
const EVENT_INTERVAL: u32 = 61;

/// Scheduler ticks between two looks at the runtime's shared queue by a busy worker.
///
/// Why: a worker's own queue holds 256 tasks; when more connections than that are ready at once (2,000
/// clients against a server at its limit), tokio moves the oldest half to the shared queue, and a busy worker
/// takes one task from there only every ~200 µs (tokio's self-tuned default), so those connections, already
/// the longest waiting, wait longest again: hundreds of milliseconds behind a queue of ~1,500 (a 1 ms timer
/// fired 255 ms late). Looking every 8 ticks serves them sooner. Measured with `bench/scripts/saturation.sh`
/// (`/wait/50`, 256 concurrent requests allowed, `wrk -c2000`, 3 interleaved rounds): wrk's p99 149–212 ms
/// with tokio's default, 80–119 ms with 8, requests/s unchanged (per-round ratios 0.97–1.18). Below 256 ready
/// connections the shared queue stays empty and the look is one atomic load.
const GLOBAL_QUEUE_INTERVAL: u32 = 8;

/// Builds the multi-threaded tokio runtime that [`run`] serves on: [`ServerConfig::workers`] threads
/// (default: every core the process may run on), timers and I/O on, and at most
/// [`ServerConfig::io_events_per_tick`] readiness events per poll, and the shared queue looked at every 8
/// tasks (so that under overload the longest-waiting connections are not the last served). Use it when
/// `main` has async set-up to do before serving (connecting a pool), where `#[tokio::main]` would build a
/// runtime without that tuning.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use peregrine::server::{runtime, ServerConfig};
///
/// let config = ServerConfig::from_env()?;
/// runtime(&config)?.block_on(async {
///     // connect the database here, then:
///     let app = peregrine::App::new();
///     peregrine::Server::bind_with(config).await?.run_until(app, peregrine::server::shutdown_signal()).await
/// })?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// When the OS refuses the runtime's threads or its I/O driver.
pub fn runtime(config: &ServerConfig) -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_count(config))
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

/// Bound listeners, ready to serve an app. Binding first lets a caller learn the port (bind to port 0).
pub struct Server {
    listeners: Vec<Listener>,
    config: ServerConfig,
}

impl Server {
    /// Binds `addr` with the default [`ServerConfig`].
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Server {
            listeners: vec![Listener::Tcp(TcpListener::bind(addr).await?)],
            config: ServerConfig::default(),
        })
    }

    /// Binds every address in `config`.
    ///
    /// # Errors
    /// When an address cannot be bound.
    pub async fn bind_with(config: ServerConfig) -> io::Result<Self> {
        let listeners = bind_all(&config.addrs, false, true).await?;
        log_listening(&listeners);
        Ok(Server { listeners, config })
    }

    /// Replaces the settings (the listeners stay as bound).
    pub fn with_config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The first TCP address bound.
    ///
    /// # Errors
    /// When the server listens on no TCP address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listeners
            .iter()
            .find_map(|l| match l {
                Listener::Tcp(t) => Some(t.local_addr()),
                #[cfg(unix)]
                Listener::Unix(_) => None,
            })
            .unwrap_or_else(|| Err(io::Error::new(io::ErrorKind::NotFound, "no TCP listener")))
    }

    /// Serves `app` until `shutdown` completes, then drains (see the [module](self) docs) and returns.
    ///
    /// # Errors
    /// When TLS is configured and its files cannot be read (or the `tls` feature is off). Accept errors
    /// (such as running out of file descriptors) are logged and retried.
    pub async fn run_until(self, app: App, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let shared = Shared::new(app, &self.config)?;
        serve_listeners(self.listeners, shared, &self.config, shutdown, true).await;
        Ok(())
    }
}

enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

async fn bind_all(addrs: &[BindAddr], reuse_port: bool, with_unix: bool) -> io::Result<Vec<Listener>> {
    let mut listeners = Vec::with_capacity(addrs.len());
    for addr in addrs {
        match addr {
            BindAddr::Tcp(a) => listeners.push(Listener::Tcp(bind_tcp(*a, reuse_port)?)),
            #[cfg(unix)]
            BindAddr::Unix(path) if with_unix => {
                if std::fs::symlink_metadata(path).is_ok_and(|m| {
                    use std::os::unix::fs::FileTypeExt;
                    m.file_type().is_socket()
                }) {
                    std::fs::remove_file(path)?;
                }
                listeners.push(Listener::Unix(tokio::net::UnixListener::bind(path)?));
            }
            BindAddr::Unix(_) => {}
        }
    }
    Ok(listeners)
}

fn bind_tcp(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    {
        socket.set_reuseaddr(true)?;
        if reuse_port {
            socket.set_reuseport(true)?;
        }
    }
    #[cfg(not(unix))]
    let _ = reuse_port;
    socket.bind(addr)?;
    socket.listen(4096)
}

fn log_listening(listeners: &[Listener]) {
    for l in listeners {
        match l {
            Listener::Tcp(t) => {
                if let Ok(a) = t.local_addr() {
                    tracing::info!(address = %BindAddr::Tcp(a), "listening");
                }
            }
            #[cfg(unix)]
            Listener::Unix(u) => {
                if let Some(p) = u.local_addr().ok().as_ref().and_then(|a| a.as_pathname()) {
                    tracing::info!(address = %BindAddr::Unix(p.to_owned()), "listening");
                }
            }
        }
    }
}

/// What every connection of one server shares.
struct Shared {
    pipeline: Arc<Pipeline>,
    limit: Arc<ConcurrencyLimit>,
    /// The 503 (with `Retry-After`) of a request over the concurrency limit, rendered once.
    shed_error: PrerenderedError,
    connections: Arc<Semaphore>,
    /// The size of `connections` (at most `u32::MAX`, so that draining can wait for every permit at once).
    max_connections: u32,
    /// Gather the responses of one burst into one write ([`coalesce`]).
    coalesce_writes: bool,
    /// Without a timer: each connection gets its own from `header_timer` (when there is a header-read
    /// timeout).
    http1: http1::Builder,
    auto: Option<auto::Builder<TokioExecutor>>,
    sweeper: Arc<Sweeper>,
    /// Serving, draining or stopped; every connection reads it when woken.
    lifecycle: Lifecycle,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// What `tls` presents, reloaded from its files on SIGHUP.
    #[cfg(feature = "tls")]
    certificates: Option<Arc<tls::Certificates>>,
    /// How long a TLS handshake may take.
    #[cfg(feature = "tls")]
    handshake_timeout: Duration,
}

impl Shared {
    fn new(mut app: App, config: &ServerConfig) -> io::Result<Arc<Self>> {
        #[cfg(feature = "tls")]
        let (tls, certificates) = match &config.tls {
            Some(files) => {
                let (acceptor, certificates) = tls::acceptor(files, config.http2)?;
                (Some(acceptor), Some(certificates))
            }
            None => (None, None),
        };
        #[cfg(not(feature = "tls"))]
        if config.tls.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "TLS is configured but peregrine was built without its `tls` feature",
            ));
        }
        if let Some(bytes) = config.max_body_size {
            app.options.max_body_size = bytes;
        }
        if let Some(timeout) = config.request_timeout {
            app.options.request_timeout = timeout;
        }
        let mut http1 = http1::Builder::new();
        // The header-read timeout of HTTP/1-only connections is Peregrine's (a `Watchdog`); hyper's is off.
        http1
            .header_read_timeout(None)
            .keep_alive(config.keep_alive)
            .max_headers(config.max_headers)
            .max_buf_size(config.max_header_size.max(8192));
        let auto = config.http2.then(|| {
            let mut b = auto::Builder::new(TokioExecutor::new());
            b.http1()
                .header_read_timeout(config.header_read_timeout)
                .keep_alive(config.keep_alive)
                .max_headers(config.max_headers)
                .max_buf_size(config.max_header_size.max(8192));
            b.http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(config.h2_max_concurrent_streams)
                .max_pending_accept_reset_streams(config.h2_max_pending_reset_streams)
                .max_header_list_size(u32::try_from(config.max_header_size).unwrap_or(u32::MAX))
                .keep_alive_interval(config.header_read_timeout)
                .keep_alive_timeout(Duration::from_secs(20));
            b
        });
        let max_connections = u32::try_from(config.max_connections).unwrap_or(u32::MAX);
        let sweeper = Sweeper::start(config.header_read_timeout);
        Ok(Arc::new(Shared {
            pipeline: Pipeline::new(app),
            limit: Arc::new(ConcurrencyLimit::new(
                config.max_concurrent_requests,
                config.adaptive_concurrency,
            )),
            shed_error: PrerenderedError::new(
                HttpError::service_unavailable()
                    .with_description("The server is at its limit of concurrent requests; retry after Retry-After.")
                    .with_header(RETRY_AFTER, HeaderValue::from(config.retry_after.as_secs())),
            ),
            connections: Arc::new(Semaphore::new(max_connections as usize)),
            max_connections,
            coalesce_writes: config.pipeline_flush,
            http1,
            auto,
            sweeper: Arc::clone(&sweeper),
            lifecycle: Lifecycle::new(sweeper),
            #[cfg(feature = "tls")]
            tls,
            #[cfg(feature = "tls")]
            certificates,
            #[cfg(feature = "tls")]
            handshake_timeout: config.header_read_timeout.unwrap_or(Duration::from_secs(10)),
        }))
    }

    /// One request: admitted under the concurrency limit, or shed with 503 at once; hyper's service. The
    /// request is turned into Peregrine's here, before any future exists, so that hyper's own future for it
    /// stays a few words ([`serving`]).
    ///
    /// With a `watchdog` (HTTP/1), the connection has no header-read deadline until the response body has been
    /// handed over.
    fn serve(
        &self,
        request: http::Request<Incoming>,
        peer: Option<SocketAddr>,
        watchdog: Option<Watchdog>,
    ) -> Serving<impl Future<Output = http::Response<HyperBody>> + Send + 'static> {
        if let Some(watchdog) = &watchdog {
            watchdog.disarm();
        }
        match self.limit.try_acquire() {
            Some(permit) => {
                let (head, body) = request.into_parts();
                let req = self.pipeline.request(head, RequestBody::Incoming(body), peer);
                Serving::admitted(self.pipeline.handle_on_heap(req), permit, watchdog)
            }
            None => Serving::shed(self.shed(request), watchdog),
        }
    }

    /// The 503 for a request over the concurrency limit.
    #[cold]
    fn shed(&self, request: http::Request<Incoming>) -> http::Response<HyperBody> {
        if let Some(metrics) = self.pipeline.metrics() {
            metrics.record_shed();
        }
        self.pipeline.reject(&request, &self.shed_error)
    }
}

/// Accepts on every listener until `shutdown`, then drains.
/// With `reload_tls`, SIGHUP reloads the TLS certificate and key (one of the per-core workers does it for all).
async fn serve_listeners(
    listeners: Vec<Listener>,
    shared: Arc<Shared>,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()>,
    reload_tls: bool,
) {
    let (stop, stopped) = watch::channel(false);
    #[cfg(all(feature = "tls", unix))]
    if let (true, Some(certificates)) = (reload_tls, &shared.certificates) {
        // Registered before the first accept, so a client that got an answer may send SIGHUP safely.
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(hangups) => {
                tokio::spawn(reload_on_hangup(Arc::clone(certificates), hangups, stopped.clone()));
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS files will not be reloaded"),
        }
    }
    #[cfg(not(all(feature = "tls", unix)))]
    let _ = reload_tls;
    let mut accepting = tokio::task::JoinSet::new();
    for listener in listeners {
        accepting.spawn(accept_loop(listener, Arc::clone(&shared), stopped.clone()));
    }
    shutdown.await;
    if let Some(readiness) = &config.readiness {
        readiness.set_draining();
    }
    let _ = stop.send(true);
    while accepting.join_next().await.is_some() {}
    let open = shared.max_connections as usize - shared.connections.available_permits();
    tracing::info!(connections = open, "shutting down: draining connections");
    shared.lifecycle.enter(Phase::Draining);
    // Every connection holds a permit until it closes: all of them back means all closed.
    let all_closed = shared.connections.acquire_many(shared.max_connections);
    if tokio::time::timeout(config.drain_timeout, all_closed).await.is_err() {
        tracing::warn!(
            timeout_ms = u64::try_from(config.drain_timeout.as_millis()).unwrap_or(u64::MAX),
            "drain timeout reached; closing the connections still open"
        );
    }
    shared.lifecycle.enter(Phase::Stopped);
}

/// Reloads the TLS certificate and key on every SIGHUP until the server stops; a pair that fails to load is
/// logged and the current one stays.
#[cfg(all(feature = "tls", unix))]
async fn reload_on_hangup(
    certificates: Arc<tls::Certificates>,
    mut hangups: tokio::signal::unix::Signal,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            received = hangups.recv() => if received.is_none() { return },
            _ = stopped.wait_for(|s| *s) => return,
        }
        let cert = certificates.files().cert.display();
        match certificates.reload() {
            Ok(()) => tracing::info!(cert = %cert, "SIGHUP: TLS certificate reloaded"),
            Err(e) => tracing::error!(error = %e, "SIGHUP: TLS certificate not reloaded; the current one stays"),
        }
    }
}

async fn accept_loop(listener: Listener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&shared.connections).acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stopped.wait_for(|s| *s) => return,
        };
        let accepted = tokio::select! {
            accepted = accept(&listener) => accepted,
            _ = stopped.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok(Accepted::Tcp(stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let connection = Connection::new(Some(peer), &shared, permit);
                #[cfg(feature = "tls")]
                if let Some(acceptor) = shared.tls.clone() {
                    let timeout = shared.handshake_timeout;
                    tokio::spawn(async move {
                        match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => connection.serve(tls).await,
                            Ok(Err(e)) => tracing::debug!(error = %e, peer = %peer, "TLS handshake failed"),
                            Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                        }
                    });
                    continue;
                }
                tokio::spawn(connection.serve(stream));
            }
            #[cfg(unix)]
            Ok(Accepted::Unix(stream)) => {
                tokio::spawn(Connection::new(None, &shared, permit).serve(stream));
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; retrying shortly");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

async fn accept(listener: &Listener) -> io::Result<Accepted> {
    match listener {
        Listener::Tcp(t) => t.accept().await.map(|(s, peer)| Accepted::Tcp(s, peer)),
        #[cfg(unix)]
        Listener::Unix(u) => u.accept().await.map(|(s, _)| Accepted::Unix(s)),
    }
}

/// One accepted connection, ready to be served once its transport is ready (TLS handshake done).
struct Connection {
    peer: Option<SocketAddr>,
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
}

impl Connection {
    fn new(peer: Option<SocketAddr>, shared: &Arc<Shared>, permit: OwnedSemaphorePermit) -> Self {
        Connection {
            peer,
            shared: Arc::clone(shared),
            permit,
        }
    }

    /// Serves HTTP on `io` until the connection ends, the drain ends, or the server is killed.
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        if self.shared.coalesce_writes {
            let (io, flusher) = coalesce::coalesce(io);
            flusher.flush_when_idle(self.serve_io(io)).await;
        } else {
            self.serve_io(io).await;
        }
    }

    async fn serve_io<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            peer,
            shared,
            permit: _permit,
        } = self;
        let io = TokioIo::new(io);
        let ended = match &shared.auto {
            None => {
                let watchdog = shared.sweeper.watchdog();
                let service = {
                    let (shared, watchdog) = (Arc::clone(&shared), watchdog.clone());
                    service_fn(move |request: http::Request<Incoming>| {
                        shared.serve(request, peer, Some(watchdog.clone()))
                    })
                };
                let connection = shared.http1.serve_connection(io, service);
                match Supervised::new(connection, &watchdog, &shared.lifecycle).await {
                    Ended::Done(result) => Ended::Done(result.map_err(Into::into)),
                    Ended::TimedOut => Ended::TimedOut,
                    Ended::Stopped => Ended::Stopped,
                }
            }
            Some(auto) => {
                let service = {
                    let shared = Arc::clone(&shared);
                    service_fn(move |request: http::Request<Incoming>| shared.serve(request, peer, None))
                };
                let mut auto = auto.clone();
                if shared.sweeper.timeout().is_some() {
                    auto.http1().timer(shared.sweeper.timer());
                }
                // hyper keeps this connection's deadlines; the watchdog only carries wake-ups.
                let watchdog = shared.sweeper.unarmed_watchdog();
                let connection = auto.serve_connection(io, service);
                Supervised::new(connection, &watchdog, &shared.lifecycle).await
            }
        };
        let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = match ended {
            Ended::Done(result) => result,
            Ended::TimedOut => {
                tracing::debug!(peer = ?peer, "no request head within the header-read timeout; closing");
                Ok(())
            }
            Ended::Stopped => Ok(()),
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, peer = ?peer, "connection ended with an error");
        }
    }
}

/// Locks `m`, taking the data of a poisoned lock too: the server's mutexes guard plain state (buffers,
/// wakers, lists) that a panic elsewhere leaves whole.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
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
