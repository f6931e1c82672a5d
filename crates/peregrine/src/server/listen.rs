//! Binding listeners and accepting connections: [`Server`], the accept loop (which holds a connection
//! permit before it accepts, so at `max_connections` clients wait in the kernel's backlog), and the drain
//! that follows the shutdown signal.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::config::{BindAddr, ServerConfig};
use super::connection::{Connection, Shared};
use super::lifecycle::Phase;
#[cfg(all(feature = "tls", unix))]
use super::tls;
use crate::App;

/// Bound listeners, ready to serve an app. Binding first lets a caller learn the port (bind to port 0).
pub struct Server {
    listeners: Vec<Listener>,
    config: ServerConfig,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let listening: Vec<String> = self
            .listeners
            .iter()
            .filter_map(Listener::address)
            .map(|a| a.to_string())
            .collect();
        f.debug_struct("Server")
            .field("listening", &listening)
            .field("config", &self.config)
            .finish()
    }
}

impl Server {
    /// Binds every address in `config` (with port 0, the OS picks one: see [`Server::local_addr`]), and logs
    /// `listening on <address>` for each (an `INFO` event, or a line on stderr when no `tracing` subscriber is
    /// set).
    ///
    /// ```no_run
    /// # async fn f() -> std::io::Result<()> {
    /// use peregrine::server::{Server, ServerConfig};
    ///
    /// let server = Server::bind(ServerConfig::new().bind("127.0.0.1:0".parse().unwrap())).await?;
    /// println!("listening on {}", server.local_addr()?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When an address cannot be bound; the error's text names the address (`cannot listen on …: …`).
    pub async fn bind(config: ServerConfig) -> io::Result<Self> {
        let listeners = bind_all(&config.addrs, false, true).await?;
        log_listening(&listeners);
        Ok(Server { listeners, config })
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

    /// Serves `app` until `shutdown` completes, then drains (see the [server](crate::server) module docs) and returns.
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

pub(super) enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

pub(super) async fn bind_all(addrs: &[BindAddr], reuse_port: bool, with_unix: bool) -> io::Result<Vec<Listener>> {
    let mut listeners = Vec::with_capacity(addrs.len());
    for addr in addrs {
        // The OS's error says what went wrong but not where: name the address.
        let named = |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"));
        match addr {
            BindAddr::Tcp(a) => listeners.push(Listener::Tcp(bind_tcp(*a, reuse_port).map_err(named)?)),
            #[cfg(unix)]
            BindAddr::Unix(path) if with_unix => {
                if std::fs::symlink_metadata(path).is_ok_and(|m| {
                    use std::os::unix::fs::FileTypeExt;
                    m.file_type().is_socket()
                }) {
                    std::fs::remove_file(path).map_err(named)?;
                }
                listeners.push(Listener::Unix(tokio::net::UnixListener::bind(path).map_err(named)?));
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

pub(super) fn log_listening(listeners: &[Listener]) {
    for address in listeners.iter().filter_map(Listener::address) {
        tracing::info!(address = %address, "listening");
        crate::stderr::fallback_to_stderr(true, format_args!("listening on {address}"));
    }
}

impl Listener {
    /// Where it listens, as the OS says.
    fn address(&self) -> Option<BindAddr> {
        match self {
            Listener::Tcp(t) => t.local_addr().ok().map(BindAddr::Tcp),
            #[cfg(unix)]
            Listener::Unix(u) => u.local_addr().ok()?.as_pathname().map(|p| BindAddr::Unix(p.to_owned())),
        }
    }
}

/// Accepts on every listener until `shutdown`, then drains.
/// With `reload_tls`, SIGHUP reloads the TLS certificate and key (one of the per-core workers does it for all).
pub(super) async fn serve_listeners(
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
    // Accept errors (out of file descriptors, say) repeat every retry: one warning per second, with a count.
    let mut failures = AcceptFailures::default();
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
                failures.report(&e);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Accept errors since the last warning.
#[derive(Default)]
struct AcceptFailures {
    last_warning: Option<std::time::Instant>,
    since: u64,
}

impl AcceptFailures {
    /// Warns about `error` unless a warning went out less than a second ago (then counts it).
    fn report(&mut self, error: &io::Error) {
        self.since += 1;
        if self
            .last_warning
            .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        tracing::warn!(error = %error, failures = self.since, "accept failed; retrying every 10 ms");
        self.last_warning = Some(std::time::Instant::now());
        self.since = 0;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_failures_warn_once_a_second_and_count_the_rest() {
        let mut failures = AcceptFailures::default();
        let e = io::Error::from_raw_os_error(24); // EMFILE
        failures.report(&e);
        assert_eq!(failures.since, 0, "the first failure is warned about at once");
        for _ in 0..5 {
            failures.report(&e);
        }
        assert_eq!(failures.since, 5, "failures within the second are counted, not logged");
        failures.last_warning = Some(std::time::Instant::now() - Duration::from_secs(2));
        failures.report(&e);
        assert_eq!(
            failures.since, 0,
            "a second later the count goes out with the next warning"
        );
    }
}
