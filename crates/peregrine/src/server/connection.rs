//! Serving one connection: hyper's HTTP/1 (or auto-detected HTTP/1 and HTTP/2) connection over the socket,
//! the header-read watchdog that supervises it, and for each request the concurrency limit's verdict: the
//! pipeline's answer, or the 503 of shedding, rendered once at start-up.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderValue, CONNECTION, RETRY_AFTER};
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
#[cfg(feature = "http2")]
use hyper_util::rt::{TokioExecutor, TokioTimer};
#[cfg(feature = "http2")]
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::body_read::{self, BodyBudget, Early, Pace, Paced, Prefixed};
use super::coalesce;
use super::config::ServerConfig;
use super::head_check::{self, HeadLimits, Refusal};
use super::header_timer::{Sweeper, Watchdog};
use super::host::KnownHost;
use super::lifecycle::{Ended, Lifecycle, Supervised};
use super::limit::ConcurrencyLimit;
use super::serving::{Admission, ReadingBody, Serving};
#[cfg(feature = "tls")]
use super::tls;
use super::write_progress::WriteProgress;
use crate::body::{HyperBody, RequestBody};
use crate::pipeline::Pipeline;
use crate::render::PrerenderedError;
use crate::trace::Peer;
use crate::{App, HttpError};

/// What every connection of one server shares.
pub(super) struct Shared {
    pub(super) pipeline: Arc<Pipeline>,
    limit: Arc<ConcurrencyLimit>,
    /// The 503 (with `Retry-After`) of a request over the concurrency limit, rendered once.
    shed_error: PrerenderedError,
    /// The 400 (and close) of a request that breaks the Host rule (`host.rs`), rendered once.
    bad_host: PrerenderedError,
    /// The bounds on a request head ([`head_check`]).
    head_limits: HeadLimits,
    /// The rule on a request body's pace (`body_read.rs`), if any.
    pace: Option<Pace>,
    /// What the bodies read before admission may hold together.
    body_budget: BodyBudget,
    /// How long a body waits for `body_budget`.
    body_wait: Duration,
    /// The 408 (and close) of a body that fell behind its pace, rendered once.
    body_timed_out: PrerenderedError,
    /// The 400 (and close) of a body whose connection failed or whose framing was malformed.
    body_incomplete: PrerenderedError,
    /// The 503 (and close) of a body with no memory left for it.
    no_body_memory: PrerenderedError,
    /// The 400 (and close) of a request-target with userinfo.
    invalid_target: PrerenderedError,
    /// The 501 (and close) of a transfer coding other than chunked.
    unsupported_coding: PrerenderedError,
    /// The 414 (and close) of a request-target over its bound, rendered once.
    target_too_long: PrerenderedError,
    /// The 431 (and close) of a head over its bound, rendered once.
    head_too_large: PrerenderedError,
    pub(super) connections: Arc<Semaphore>,
    /// The size of `connections` (at most `u32::MAX`, so that draining can wait for every permit at once).
    pub(super) max_connections: u32,
    /// Gather the responses of one burst into one write ([`coalesce`]).
    coalesce_writes: bool,
    /// Without a timer: each connection gets its own from `header_timer` (when there is a header-read
    /// timeout).
    http1: http1::Builder,
    #[cfg(feature = "http2")]
    auto: Option<auto::Builder<TokioExecutor>>,
    sweeper: Arc<Sweeper>,
    /// Serving, draining or stopped; every connection reads it when woken.
    pub(super) lifecycle: Lifecycle,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<tokio_rustls::TlsAcceptor>,
    /// What `tls` presents, reloaded from its files on SIGHUP.
    #[cfg(feature = "tls")]
    pub(super) certificates: Option<Arc<tls::Certificates>>,
    /// How long a TLS handshake may take.
    #[cfg(feature = "tls")]
    pub(super) handshake_timeout: Duration,
}

impl Shared {
    pub(super) fn new(mut app: App, config: &ServerConfig) -> io::Result<Arc<Self>> {
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
            app = app.max_body_size(bytes);
        }
        if config.tls.is_some() {
            app = app.req_options(|o| o.tls = true);
        }
        app.options.request_timeout = config.request_timeout.applied_to(app.options.request_timeout);
        // The HTTP/1 settings, for hyper's HTTP/1-only builder and for the auto builder's HTTP/1 side.
        macro_rules! http1_settings {
            ($builder:expr) => {
                $builder
                    .keep_alive(config.keep_alive)
                    .max_headers(config.max_headers)
                    .max_buf_size(head_check::read_buffer_size(
                        config.max_request_target_size,
                        config.max_header_size,
                    ))
            };
        }
        let mut http1 = http1::Builder::new();
        // The header-read timeout of HTTP/1-only connections is Peregrine's (a `Watchdog`); hyper's is off.
        http1_settings!(http1.header_read_timeout(None));
        #[cfg(not(feature = "http2"))]
        if config.http2 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "HTTP/2 is configured but peregrine was built without its `http2` feature",
            ));
        }
        #[cfg(feature = "http2")]
        let auto = config.http2.then(|| {
            let mut b = auto::Builder::new(TokioExecutor::new());
            http1_settings!(b.http1().header_read_timeout(config.header_read_timeout));
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
            bad_host: PrerenderedError::new(
                HttpError::bad_request()
                    .with_title("Invalid Host")
                    .with_description(
                        "A request may carry one Host header, holding host[:port], and an HTTP/1.1 \
                         request must (RFC 9112, Section 3.2).",
                    )
                    .with_header(CONNECTION, "close"),
            ),
            pace: config.body_read_timeout.map(|timeout| Pace {
                timeout,
                rate: config.min_body_rate,
            }),
            body_budget: BodyBudget::new(config.max_body_memory),
            body_wait: config.body_read_timeout.unwrap_or(Duration::from_secs(10)),
            body_timed_out: PrerenderedError::new(crate::body::body_timed_out()),
            body_incomplete: PrerenderedError::new(crate::body::incomplete()),
            no_body_memory: PrerenderedError::new(
                HttpError::service_unavailable()
                    .with_description("The server has no memory free for request bodies; retry after Retry-After.")
                    .with_header(RETRY_AFTER, HeaderValue::from(config.retry_after.as_secs()))
                    .with_header(CONNECTION, "close"),
            ),
            invalid_target: PrerenderedError::new(
                HttpError::bad_request()
                    .with_title("Invalid request-target")
                    .with_description("A request-target may not carry userinfo (RFC 9110, Section 4.2.4).")
                    .with_header(CONNECTION, "close"),
            ),
            unsupported_coding: PrerenderedError::new(
                HttpError::not_implemented()
                    .with_title("Unsupported transfer coding")
                    .with_description("This server reads request bodies sent with Transfer-Encoding: chunked only.")
                    .with_header(CONNECTION, "close"),
            ),
            head_limits: HeadLimits {
                max_target: config.max_request_target_size,
                max_head: config.max_header_size,
                max_fields: config.max_headers,
            },
            target_too_long: PrerenderedError::new(
                HttpError::new(http::StatusCode::URI_TOO_LONG)
                    .with_description(format!(
                        "The request-target is longer than this server's limit of {} bytes.",
                        config.max_request_target_size
                    ))
                    .with_header(CONNECTION, "close"),
            ),
            head_too_large: PrerenderedError::new(
                HttpError::new(http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
                    .with_description(format!(
                        "The request line and header fields are larger than this server's limit of {} bytes.",
                        config.max_header_size
                    ))
                    .with_header(CONNECTION, "close"),
            ),
            connections: Arc::new(Semaphore::new(max_connections as usize)),
            max_connections,
            coalesce_writes: config.pipeline_flush,
            http1,
            #[cfg(feature = "http2")]
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
    // PERF: inlined into hyper's dispatch (one caller per connection kind), it moves the request less.
    #[inline(always)]
    fn serve(
        self: &Arc<Self>,
        request: http::Request<Incoming>,
        peer: Option<SocketAddr>,
        watchdog: Option<&Arc<Watchdog>>,
        known_host: Option<&KnownHost>,
    ) -> Serving<impl Future<Output = http::Response<HyperBody>> + Send + 'static> {
        if let Some(watchdog) = &watchdog {
            watchdog.disarm();
        }
        if let Err(refusal) = self.head_limits.check(&request, known_host) {
            let (head, _) = request.into_parts();
            return Serving::shed(self.refuse(&head, refusal), watchdog.cloned());
        }
        let (head, body) = request.into_parts();
        if !body.is_end_stream() {
            let reading = ReadingBody {
                reading: Box::pin(Arc::clone(self).read_then_admit(head, body, peer)),
                pipeline: Arc::clone(&self.pipeline),
                admit: Pipeline::handle_on_heap,
            };
            return Serving::reading_body(reading, watchdog.cloned());
        }
        match self.limit.try_acquire() {
            Some(permit) => {
                let req = self
                    .pipeline
                    .request(head, RequestBody::Full(bytes::Bytes::new()), peer);
                Serving::admitted(self.pipeline.handle_on_heap(req), permit, watchdog.cloned())
            }
            None => Serving::shed(self.shed(&head), watchdog.cloned()),
        }
    }

    /// A request with a body: the body is read first when it fits in `max_body_size` (`body_read.rs`), then
    /// the request takes a place under the concurrency limit; or the answer when it cannot (408, 400, 503).
    async fn read_then_admit(
        self: Arc<Self>,
        head: http::request::Parts,
        body: Incoming,
        peer: Option<SocketAddr>,
    ) -> Admission {
        if let Err(refusal) = head_check::check_framing(&head) {
            return Err(self.refuse(&head, refusal));
        }
        let limit = self.pipeline.app().max_body_size_limit();
        let body = Paced::new(body, self.pace);
        let body = match body_read::read_early(body, limit, &self.body_budget, self.body_wait).await {
            Early::Read(bytes) => RequestBody::Full(bytes),
            Early::HandedOn(read, rest) => RequestBody::Stream(Box::pin(Prefixed::new(read, rest))),
            Early::Skipped(body) => RequestBody::Stream(Box::pin(body)),
            Early::TimedOut => return Err(self.pipeline.reject(&head, &self.body_timed_out)),
            Early::Failed => return Err(self.pipeline.reject(&head, &self.body_incomplete)),
            Early::NoMemory => return Err(self.pipeline.reject(&head, &self.no_body_memory)),
        };
        let Some(permit) = self.limit.try_acquire() else {
            return Err(self.shed(&head));
        };
        Ok((self.pipeline.request(head, body, peer), permit))
    }

    /// The 414, 431 or 400 for a head that fails a check ([`head_check`]).
    #[cold]
    #[inline(never)]
    fn refuse(&self, head: &http::request::Parts, refusal: Refusal) -> http::Response<HyperBody> {
        let error = match refusal {
            Refusal::TargetTooLong => &self.target_too_long,
            Refusal::HeadTooLarge => &self.head_too_large,
            Refusal::InvalidHost => &self.bad_host,
            Refusal::UnsupportedCoding => &self.unsupported_coding,
            Refusal::InvalidTarget => &self.invalid_target,
        };
        self.pipeline.reject(head, error)
    }

    /// The 503 for a request over the concurrency limit.
    #[cold]
    fn shed(&self, head: &http::request::Parts) -> http::Response<HyperBody> {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = self.pipeline.metrics() {
            metrics.record_shed();
        }
        self.pipeline.reject(head, &self.shed_error)
    }
}

/// One accepted connection, ready to be served once its transport is ready (TLS handshake done).
pub(super) struct Connection {
    peer: Option<SocketAddr>,
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
}

impl Connection {
    pub(super) fn new(peer: Option<SocketAddr>, shared: &Arc<Shared>, permit: OwnedSemaphorePermit) -> Self {
        Connection {
            peer,
            shared: Arc::clone(shared),
            permit,
        }
    }

    /// Serves HTTP on `io` until the connection ends, the drain ends, or the server is killed.
    pub(super) async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // HTTP/1 connections are watched by Peregrine's watchdog, which the socket's writes renew (hyper's
        // auto builder keeps its own deadlines).
        #[cfg(feature = "http2")]
        let watchdog = self
            .shared
            .auto
            .is_none()
            .then(|| Arc::new(self.shared.sweeper.watchdog()));
        #[cfg(not(feature = "http2"))]
        let watchdog = Some(Arc::new(self.shared.sweeper.watchdog()));
        let io = WriteProgress::new(io, watchdog.clone());
        if self.shared.coalesce_writes {
            let (io, flusher) = coalesce::coalesce(io);
            flusher.flush_when_idle(self.serve_io(io, watchdog)).await;
        } else {
            self.serve_io(io, watchdog).await;
        }
    }

    async fn serve_io<I>(self, io: I, watchdog: Option<Arc<Watchdog>>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            peer,
            shared,
            permit: _permit,
        } = self;
        let io = TokioIo::new(io);
        let Some(watchdog) = watchdog else {
            #[cfg(feature = "http2")]
            if let Some(auto) = &shared.auto {
                // The first request is due within the header-read timeout, as on an HTTP/1 connection: hyper
                // sets no deadline while it reads the first bytes to tell HTTP/1 from HTTP/2. From the first
                // request on, hyper keeps the deadlines (HTTP/1's header-read timeout, HTTP/2's pings) and the
                // watchdog only carries wake-ups.
                let watchdog = Arc::new(shared.sweeper.watchdog());
                let service = {
                    let (shared, watchdog) = (Arc::clone(&shared), Arc::clone(&watchdog));
                    service_fn(move |request: http::Request<Incoming>| {
                        watchdog.disarm();
                        shared.serve(request, peer, None, None)
                    })
                };
                let mut auto = auto.clone();
                if shared.sweeper.timeout().is_some() {
                    auto.http1().timer(shared.sweeper.timer());
                }
                let connection = auto.serve_connection(io, service);
                let ended = Supervised::new(connection, &watchdog, &shared.lifecycle).await;
                return log_end(ended, peer);
            }
            unreachable!("a connection without a watchdog is served by the auto builder");
        };
        let service = {
            let (shared, watchdog) = (Arc::clone(&shared), Arc::clone(&watchdog));
            let known_host = KnownHost::default();
            service_fn(move |request: http::Request<Incoming>| {
                shared.serve(request, peer, Some(&watchdog), Some(&known_host))
            })
        };
        let connection = shared.http1.serve_connection(io, service);
        let ended = match Supervised::new(connection, &watchdog, &shared.lifecycle).await {
            Ended::Done(result) => Ended::Done(result.map_err(Into::into)),
            Ended::TimedOut => Ended::TimedOut,
            Ended::Stopped => Ended::Stopped,
        };
        log_end(ended, peer);
    }
}

/// Logs how a connection ended, at debug level.
fn log_end(ended: Ended<Box<dyn std::error::Error + Send + Sync>>, peer: Option<SocketAddr>) {
    let result = match ended {
        Ended::Done(result) => result,
        Ended::TimedOut => {
            tracing::debug!(peer = %Peer(peer), "no request head within the header-read timeout; closing");
            Ok(())
        }
        Ended::Stopped => Ok(()),
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, peer = %Peer(peer), "connection ended with an error");
    }
}
