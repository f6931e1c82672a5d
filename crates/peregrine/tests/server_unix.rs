//! Serving on a Unix domain socket.
#![cfg(unix)]

mod support;

use peregrine::server::{BindAddr, ServerConfig};
use peregrine::Server;
use support::server::app;
use tokio::sync::oneshot;

#[tokio::test]
async fn serves_on_a_unix_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let path = std::env::temp_dir().join(format!("peregrine-test-{}.sock", std::process::id()));
    let server = Server::bind(ServerConfig::new().bind(BindAddr::Unix(path.clone())))
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(app(), async {
        let _ = stopped.await;
    }));
    let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with(r#"{"status":"ok"}"#), "{out}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let _ = std::fs::remove_file(path);
}
