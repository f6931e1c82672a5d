//! [`ServerConfig`]: where the server listens and every limit it enforces, with defaults that suit an API
//! behind a load balancer, each overridable in code or from `PEREGRINE_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::Readiness;

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindAddr {
    /// A TCP address, IPv4 or IPv6 (`127.0.0.1:8000`, `[::1]:8000`).
    Tcp(SocketAddr),
    /// A Unix domain socket path (written `unix:/run/api.sock`); a stale file at the path is replaced.
    Unix(PathBuf),
}

impl FromStr for BindAddr {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        if let Some(path) = s.strip_prefix("unix:") {
            return Ok(BindAddr::Unix(PathBuf::from(path)));
        }
        s.parse()
            .map(BindAddr::Tcp)
            .map_err(|_| ConfigError::new("address", s, ADDR_EXPECTED))
    }
}

impl fmt::Display for BindAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindAddr::Tcp(a) => write!(f, "http://{a}"),
            BindAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// The server's settings. Build with [`ServerConfig::new`] and the setters, or read them from the
/// environment with [`ServerConfig::from_env`]:
///
/// | setting | variable | default |
/// |---|---|---|
/// | [`bind`](Self::bind) | `PEREGRINE_ADDR` (comma-separated); else `PORT` (listens on `0.0.0.0:$PORT`) | `127.0.0.1:8000` |
/// | [`workers`](Self::workers) | `PEREGRINE_WORKERS` | every core |
/// | [`per_core`](Self::per_core) | `PEREGRINE_PER_CORE` | `false` |
/// | [`io_events_per_tick`](Self::io_events_per_tick) | `PEREGRINE_IO_EVENTS_PER_TICK` | 61 |
/// | [`max_connections`](Self::max_connections) | `PEREGRINE_MAX_CONNECTIONS` | 25 000 |
/// | [`max_concurrent_requests`](Self::max_concurrent_requests) | `PEREGRINE_MAX_CONCURRENT_REQUESTS` (0: none) | 1 024 |
/// | [`adaptive_concurrency`](Self::adaptive_concurrency) | `PEREGRINE_ADAPTIVE_CONCURRENCY` | `false` |
/// | [`retry_after`](Self::retry_after) | `PEREGRINE_RETRY_AFTER_SECS` (s) | 1 s |
/// | [`header_read_timeout`](Self::header_read_timeout) | `PEREGRINE_HEADER_READ_TIMEOUT_MS` (ms) | 10 s |
/// | [`request_timeout`](Self::request_timeout) | `PEREGRINE_REQUEST_TIMEOUT_MS` (ms; 0: none) | the app's (30 s) |
/// | [`drain_timeout`](Self::drain_timeout) | `PEREGRINE_DRAIN_TIMEOUT_MS` (ms) | 30 s |
/// | [`keep_alive`](Self::keep_alive) | `PEREGRINE_KEEP_ALIVE` | `true` |
/// | [`max_request_target_size`](Self::max_request_target_size) | `PEREGRINE_MAX_REQUEST_TARGET_SIZE` (bytes) | 8 KiB |
/// | [`max_header_size`](Self::max_header_size) | `PEREGRINE_MAX_HEADER_SIZE` (bytes) | 32 KiB |
/// | [`max_headers`](Self::max_headers) | `PEREGRINE_MAX_HEADERS` | 100 |
/// | [`max_body_size`](Self::max_body_size) | `PEREGRINE_MAX_BODY_SIZE` (bytes) | the app's (1 MiB) |
/// | [`body_read_timeout`](Self::body_read_timeout) | `PEREGRINE_BODY_READ_TIMEOUT_MS` (ms; 0: none) | 10 s |
/// | [`min_body_rate`](Self::min_body_rate) | `PEREGRINE_MIN_BODY_RATE` (bytes/s) | 1 024 |
/// | [`max_body_memory`](Self::max_body_memory) | `PEREGRINE_MAX_BODY_MEMORY` (bytes) | 64 MiB |
/// | [`pipeline_flush`](Self::pipeline_flush) | `PEREGRINE_PIPELINE_FLUSH` | `true` |
/// | [`http2`](Self::http2) | `PEREGRINE_HTTP2` | `false` |
/// | [`h2_max_concurrent_streams`](Self::h2_max_concurrent_streams) | `PEREGRINE_H2_MAX_STREAMS` | 200 |
/// | [`h2_max_pending_reset_streams`](Self::h2_max_pending_reset_streams) | `PEREGRINE_H2_MAX_PENDING_RESETS` | 20 |
/// | [`tls`](Self::tls) (feature `tls`) | `PEREGRINE_TLS_CERT` and `PEREGRINE_TLS_KEY` (PEM paths; reread on SIGHUP) | off |
///
/// ```
/// use std::time::Duration;
/// use peregrine::server::ServerConfig;
///
/// let config = ServerConfig::new()
///     .bind("0.0.0.0:8080".parse().unwrap())
///     .max_concurrent_requests(256)
///     .header_read_timeout(Duration::from_secs(5));
/// assert_eq!(config.get_max_concurrent_requests(), Some(256));
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) addrs: Vec<BindAddr>,
    pub(crate) workers: Option<usize>,
    pub(crate) per_core: bool,
    pub(crate) io_events_per_tick: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_concurrent_requests: Option<usize>,
    pub(crate) adaptive_concurrency: bool,
    pub(crate) retry_after: Duration,
    pub(crate) header_read_timeout: Option<Duration>,
    pub(crate) request_timeout: RequestTimeout,
    pub(crate) drain_timeout: Duration,
    pub(crate) keep_alive: bool,
    pub(crate) max_header_size: usize,
    pub(crate) max_request_target_size: usize,
    pub(crate) body_read_timeout: Option<Duration>,
    pub(crate) min_body_rate: u64,
    pub(crate) max_body_memory: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_body_size: Option<usize>,
    pub(crate) pipeline_flush: bool,
    pub(crate) http2: bool,
    pub(crate) h2_max_concurrent_streams: u32,
    pub(crate) h2_max_pending_reset_streams: usize,
    pub(crate) readiness: Option<Readiness>,
    pub(crate) tls: Option<TlsFiles>,
}

/// Where the TLS certificate chain and private key are (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addrs: vec![BindAddr::Tcp(SocketAddr::from(([127, 0, 0, 1], 8000)))],
            workers: None,
            per_core: false,
            io_events_per_tick: super::IO_EVENTS_PER_TICK,
            max_connections: 25_000,
            max_concurrent_requests: Some(1024),
            adaptive_concurrency: false,
            retry_after: Duration::from_secs(1),
            header_read_timeout: Some(Duration::from_secs(10)),
            request_timeout: RequestTimeout::App,
            drain_timeout: Duration::from_secs(30),
            keep_alive: true,
            max_header_size: 32 * 1024,
            max_request_target_size: 8 * 1024,
            body_read_timeout: Some(Duration::from_secs(10)),
            min_body_rate: 1024,
            max_body_memory: 64 * 1024 * 1024,
            max_headers: 100,
            max_body_size: None,
            pipeline_flush: true,
            http2: false,
            h2_max_concurrent_streams: 200,
            h2_max_pending_reset_streams: 20,
            readiness: None,
            tls: None,
        }
    }
}

impl ServerConfig {
    /// The defaults in the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Listens on `addr` only.
    #[must_use]
    pub fn bind(mut self, addr: BindAddr) -> Self {
        self.addrs = vec![addr];
        self
    }

    /// Listens on `addr` as well as the addresses already set.
    #[must_use]
    pub fn also_bind(mut self, addr: BindAddr) -> Self {
        self.addrs.push(addr);
        self
    }

    /// The addresses to listen on.
    pub fn addrs(&self) -> &[BindAddr] {
        &self.addrs
    }

    /// Runtime worker threads for [`run`](crate::server::run) and [`runtime`](crate::server::runtime)
    /// (default: one per core the process may run on). Setting 1 selects tokio's single-threaded scheduler
    /// (see [`runtime`](crate::server::runtime) for what that rules out); the default never does, even on
    /// one core. 0 counts as 1, so it selects that scheduler too; `PEREGRINE_WORKERS` refuses 0.
    #[must_use]
    pub fn workers(mut self, threads: usize) -> Self {
        self.workers = Some(threads.max(1));
        self
    }

    /// Per-core mode for [`run`](crate::server::run) only ([`runtime`](crate::server::runtime) builds one
    /// runtime and ignores it): one single-threaded runtime per worker, each with its
    /// own `SO_REUSEPORT` listener, so the kernel spreads connections and no task ever moves between
    /// threads. The default (off) is one work-stealing runtime, which balances uneven load better.
    #[must_use]
    pub fn per_core(mut self, on: bool) -> Self {
        self.per_core = on;
        self
    }

    /// Readiness events a worker of the runtime of [`run`](crate::server::run) or
    /// [`runtime`](crate::server::runtime) takes from the OS per poll (default
    /// [`IO_EVENTS_PER_TICK`](crate::server::IO_EVENTS_PER_TICK), 61; at least 1). The default
    /// serves busy connections in turn, so every client of a saturated server sees about the same latency.
    /// More lets one poll wake more connections than the worker runs before its next poll; its queue then
    /// outgrows its 256 places, and the connections that spill over wait: more requests per second at
    /// saturation (fewer connections are warm in the CPU's caches), a tail several times longer. Choose
    /// 1 024 (tokio's default) for throughput when clients tolerate an uneven tail. A single-threaded
    /// runtime (`workers(1)`, or per-core mode) has no spill-over, and the setting only bounds how many
    /// connections one poll wakes.
    #[must_use]
    pub fn io_events_per_tick(mut self, events: usize) -> Self {
        self.io_events_per_tick = events.max(1);
        self
    }

    /// Open connections at most (default 25 000). At the limit the server stops accepting until one closes;
    /// new clients wait in the kernel's backlog. Keep it under the process's file-descriptor limit.
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Requests being served at once, at most (default 1 024; `None`: no limit). Past it a request is
    /// answered at once with **503** and `Retry-After`, without running any app code, so a slow database
    /// or responder cannot grow an unbounded queue.
    ///
    /// "At once" is from the moment the request is read. When the core itself is saturated, requests wait to
    /// be read, and clients that ask again the instant they are answered (a closed-loop load generator) keep
    /// that wait at their number divided by the server's rate (Little's law), whatever the order of service:
    /// for example, N such clients against a server answering R requests a second wait N ÷ R on average to
    /// be read, and are then answered (200 or 503) at once.
    #[must_use]
    pub fn max_concurrent_requests(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_concurrent_requests = n.into().filter(|&n| n > 0);
        self
    }

    /// The limit set by [`max_concurrent_requests`](Self::max_concurrent_requests).
    pub fn get_max_concurrent_requests(&self) -> Option<usize> {
        self.max_concurrent_requests
    }

    /// Lets the concurrent-request limit follow latency (default off): it starts at
    /// [`max_concurrent_requests`](Self::max_concurrent_requests) and comes down when requests start to take
    /// more than 1.5× their usual time (they are queueing behind a slow database, say), back up when they no
    /// longer do, never below 4 (or the maximum, if that is lower). Requests past it are shed with 503 as with
    /// the fixed limit. Without a maximum it does nothing. The policy is described in full in the server
    /// module's documentation.
    ///
    /// ```
    /// use peregrine::server::ServerConfig;
    ///
    /// let config = ServerConfig::new().max_concurrent_requests(512).adaptive_concurrency(true);
    /// assert!(config.get_adaptive_concurrency());
    /// ```
    #[must_use]
    pub fn adaptive_concurrency(mut self, on: bool) -> Self {
        self.adaptive_concurrency = on;
        self
    }

    /// Whether [`adaptive_concurrency`](Self::adaptive_concurrency) is on.
    pub fn get_adaptive_concurrency(&self) -> bool {
        self.adaptive_concurrency
    }

    /// The `Retry-After` sent with a shed request's 503 (default 1 s; whole seconds).
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = after;
        self
    }

    /// Time a client has to send a request's headers (default 10 s; `None`: no limit). The clock also runs
    /// while a keep-alive connection waits for its next request, so this is the idle timeout too: a slow or
    /// silent client is disconnected when it runs out (HTTP/1; HTTP/2 connections use pings instead). It
    /// never runs while a request is being served, and it counts from the last byte of a response that
    /// reached the socket, so a client reading a large response slowly is not taken for an idle one; a
    /// client that stops reading a response whose body hyper already holds is disconnected once the timeout
    /// passes without progress. A body still being produced (a stream) is not timed: a client that stops
    /// reading a stream keeps its connection until the stream ends.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_read_timeout = timeout.into();
        self
    }

    /// Replaces the app's [`request_timeout`](crate::App::request_timeout) (`None`: no limit). Routes with
    /// their own [`route_timeout`](crate::App::route_timeout) keep it. The test client never sees a
    /// `ServerConfig`: set a limit on the [`App`](crate::App) for tests to meet it too.
    #[must_use]
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = RequestTimeout::Replace(timeout.into());
        self
    }

    /// On shutdown, how long requests in flight may take to finish before their connections are closed
    /// (default 30 s).
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// HTTP/1 keep-alive (default on).
    #[must_use]
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.keep_alive = on;
        self
    }

    /// The largest request head in bytes (default 32 KiB); a larger one gets **431** (RFC 6585 §5) and the
    /// connection is closed, before any app code, however its bytes were split into reads. The head's size
    /// is counted as written without optional whitespace: the request line (`GET /p HTTP/1.1` and CRLF),
    /// each field as `name: value` and CRLF, and the empty line. A head that does not fit in twice the
    /// larger of this and [`max_request_target_size`](Self::max_request_target_size) (at least 8 KiB) is
    /// answered 431 by hyper before it is parsed, with an empty body (hyper may read a little more than that
    /// when the bytes come in large reads; up to there, the answer is the server's JSON one). For HTTP/2
    /// this bounds the header list as RFC 9113 §6.5.2 counts it (each field's name and value plus 32 bytes).
    #[must_use]
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// The longest request-target (the path and query, or the whole absolute-form URI) in bytes (default
    /// 8 KiB); a longer one gets **414** (RFC 9110 §15.5.15) and the connection is closed, before any app
    /// code. A target too long to fit in the read buffer (see [`max_header_size`](Self::max_header_size))
    /// gets hyper's 431 instead.
    #[must_use]
    pub fn max_request_target_size(mut self, bytes: usize) -> Self {
        self.max_request_target_size = bytes;
        self
    }

    /// The most header fields in a request (default 100); more gets hyper's **431**, with an empty body, and
    /// the connection is closed.
    #[must_use]
    pub fn max_headers(mut self, n: usize) -> Self {
        self.max_headers = n;
        self
    }

    /// Replaces the app's [`max_body_size`](crate::App::max_body_size) (bytes; a larger body gets 413). The test
    /// client never sees a `ServerConfig`: set the limit on the [`App`](crate::App) for tests to meet it too.
    #[must_use]
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// How long a request body may take to arrive at any pace (default 10 s; `None`: no rule); past it, the
    /// body must have averaged [`min_body_rate`](Self::min_body_rate) since it started: each byte received
    /// moves the deadline on by `1 / min_body_rate` seconds. A body that falls behind gets **408** and the
    /// connection is closed, whether the server or the app is reading it (so does a body still arriving when
    /// the request timeout runs out). It is also the longest a body waits for
    /// [`max_body_memory`](Self::max_body_memory) before its request gets 503.
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.body_read_timeout = timeout.into();
        self
    }

    /// The average rate in bytes per second a request body must keep after
    /// [`body_read_timeout`](Self::body_read_timeout) (default 1 024; 0: the whole body within the timeout).
    #[must_use]
    pub fn min_body_rate(mut self, bytes_per_second: u64) -> Self {
        self.min_body_rate = bytes_per_second;
        self
    }

    /// The memory, in bytes, that all request bodies read by the server may hold together (default 64 MiB).
    ///
    /// A request body that fits in `max_body_size` is read whole before its request takes a place under
    /// [`max_concurrent_requests`](Self::max_concurrent_requests), so a client still sending its body holds
    /// no place. It reserves memory as its bytes arrive (its buffer: the whole body up to 8 KiB, else 8 KiB
    /// doubling up to its `Content-Length`), never on the `Content-Length` alone, and keeps the reservation
    /// until its answer is ready. With the budget spent, a body is not read (the client's
    /// sending stalls) for up to [`body_read_timeout`](Self::body_read_timeout) — the same clock as its pace,
    /// so a body that waited has that much less time to arrive — then gets **503** with
    /// `Retry-After` and a close. A body whose `Content-Length` is over `max_body_size` is left to the app
    /// (413, unless a route raised its limit and reads it) and is outside this budget, as are a body larger
    /// than the whole budget and the part of a chunked body past either that such a route reads.
    #[must_use]
    pub fn max_body_memory(mut self, bytes: usize) -> Self {
        self.max_body_memory = bytes;
        self
    }

    /// Gathers the responses a connection produces in one go (pipelined HTTP/1 requests, say) into one write
    /// (default on). The buffer is written out whenever the connection would wait — for request bytes, a
    /// slow responder or a body stream — so no response is held back for anything else; a response with no
    /// further request read behind it (a client that waits for each answer before it asks again) is written
    /// at once, without passing through the buffer. Off, every response is written as soon as hyper has it:
    /// one `writev` per response.
    #[must_use]
    pub fn pipeline_flush(mut self, on: bool) -> Self {
        self.pipeline_flush = on;
        self
    }

    /// Serves HTTP/2 with prior knowledge (h2c) beside HTTP/1.1 on the same port (default off: detecting the
    /// protocol costs every HTTP/1 read a little).
    #[must_use]
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

    /// Serves TLS on every TCP address with the certificate chain and key in these PEM files (needs the
    /// `tls` cargo feature; binding fails with a clear error without it). With [`http2`](Self::http2) on,
    /// ALPN offers `h2` before `http/1.1`. On SIGHUP (Unix) the files are read again: new handshakes get the
    /// new pair, open connections keep theirs, and a pair that fails to load is logged and the current one
    /// stays — so a renewed certificate is put in place with `kill -HUP`.
    #[must_use]
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// The [`Readiness`] probe to turn to 503 when shutdown begins.
    #[must_use]
    pub fn readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = Some(readiness);
        self
    }

    /// HTTP/2 streams per connection at once (default 200).
    #[must_use]
    pub fn h2_max_concurrent_streams(mut self, n: u32) -> Self {
        self.h2_max_concurrent_streams = n;
        self
    }

    /// HTTP/2 streams a client may open and reset before the server has accepted them, after which the
    /// connection is closed: the defence against "rapid reset" floods (CVE-2023-44487; default 20).
    #[must_use]
    pub fn h2_max_pending_reset_streams(mut self, n: usize) -> Self {
        self.h2_max_pending_reset_streams = n;
        self
    }
}

/// A setting that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    name: String,
    value: String,
    expected: &'static str,
}

impl ConfigError {
    pub(super) fn new(name: &str, value: &str, expected: &'static str) -> Self {
        ConfigError {
            name: name.to_owned(),
            value: value.to_owned(),
            expected,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is '{}'; expected {}", self.name, self.value, self.expected)
    }
}

impl std::error::Error for ConfigError {}

/// The request timeout the server applies: the app's, or one that replaces it (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestTimeout {
    App,
    Replace(Option<Duration>),
}

impl RequestTimeout {
    /// The timeout to use, given the app's own.
    pub(crate) fn applied_to(self, app: Option<Duration>) -> Option<Duration> {
        match self {
            RequestTimeout::App => app,
            RequestTimeout::Replace(timeout) => timeout,
        }
    }
}

/// What an address should look like, for errors.
pub(super) const ADDR_EXPECTED: &str = "an IP:port (`[::1]:8000` for IPv6) or unix:/path";
