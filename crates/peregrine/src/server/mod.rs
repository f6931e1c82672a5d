//! The server: hyper 1 on tokio, HTTP/1.1 with keep-alive and pipelining, stopping cleanly on Ctrl-C or
//! SIGTERM: it stops accepting, lets requests in flight finish, then returns.
//!
//! HTTP/2 is not served yet: hyper-util's protocol-sniffing builder wraps every read of every connection,
//! which costs about 500 instructions per request on HTTP/1, so it waits for an explicit HTTP/2 setting.
//!
//! Run it inside a multi-threaded tokio runtime (`#[tokio::main]`) and connections spread over every core.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::body::RequestBody;
use crate::pipeline::Pipeline;
use crate::App;

/// Serves `app` on `addr` until Ctrl-C or SIGTERM, then drains and returns.
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

/// A bound listener, ready to serve an app. Binding first lets a caller learn the port (bind to port 0).
pub struct Server {
    listener: TcpListener,
}

impl Server {
    /// Binds `addr`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Server {
            listener: TcpListener::bind(addr).await?,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `app` until `shutdown` completes, then stops accepting, waits for in-flight requests, and
    /// returns.
    ///
    /// # Errors
    /// Never, today; accept errors (such as running out of file descriptors) are logged and retried.
    pub async fn run_until(self, app: App, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let pipeline = Pipeline::new(app);
        let builder = http1::Builder::new();
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed; retrying shortly");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let pipeline = Arc::clone(&pipeline);
            let service = service_fn(move |request: http::Request<Incoming>| {
                let pipeline = Arc::clone(&pipeline);
                async move {
                    let request = request.map(RequestBody::Incoming);
                    Ok::<_, Infallible>(pipeline.handle(request, Some(peer)).await)
                }
            });
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, peer = %peer, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
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
