//! A server on a real socket for the server tests: `start` binds 127.0.0.1:0 and serves an app until stopped.

use std::net::SocketAddr;
use std::time::Duration;

use peregrine::server::{BindAddr, Liveness, ServerConfig};
use peregrine::{App, Request, Response, Result, Server};
use tokio::sync::oneshot;

/// `GET /wait/{ms:int}` sleeps that long, then answers "done".
pub(crate) struct Wait;

#[peregrine::resource]
impl Wait {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let ms: i64 = req.field("ms")?;
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        resp.set_text("done");
        Ok(())
    }
}

/// A server started by [`start`]: dropping it (or `stop`) shuts the server down.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) stop: Option<oneshot::Sender<()>>,
    pub(crate) task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Triggers shutdown and waits for the server to return, failing after `limit`.
    pub(crate) async fn stop_within(mut self, limit: Duration) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(limit, self.task)
            .await
            .expect("the server returns in time")
            .unwrap()
            .unwrap();
    }
}

/// `/wait/{ms:int}` ([`Wait`]) and `/health` ([`Liveness`]).
pub(crate) fn app() -> App {
    App::new()
        .add_route("/wait/{ms:int}", Wait)
        .add_route("/health", Liveness)
}

/// Binds `config` to 127.0.0.1 on a free port and serves `app` on a task until the [`Running`] says stop.
pub(crate) async fn start(app: App, config: ServerConfig) -> Running {
    let server = Server::bind(config.bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap())))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(app, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

/// An HTTP/1.1 GET request head for `path`.
pub(crate) fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n")
}
