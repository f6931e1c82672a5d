//! The server over real sockets: HTTP/1.1, keep-alive, HEAD, panics, graceful shutdown.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use peregrine::server::{BindAddr, ServerConfig};
use peregrine::{App, Request, Response, Result, Server};
use support::http1::Conn;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

struct Api;

#[peregrine::resource]
impl Api {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        match req.get_param("do") {
            Some("panic") => panic!("boom"),
            Some("sleep") => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                resp.set_text("slept");
            }
            _ => resp.set_text(format!("hello from {}", req.path())),
        }
        Ok(())
    }
}

async fn start() -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let server = Server::bind(ServerConfig::new().bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap())))
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = App::new().add_route("/api/{x}", Api);
    let task = tokio::spawn(server.run_until(app, async {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

const GET: &str = "GET /api/one HTTP/1.1\r\nHost: t\r\n\r\n";

#[tokio::test]
async fn serves_http1_with_content_length() {
    let (addr, _stop, _task) = start().await;
    let mut s = Conn::open(addr).await;
    let r = s.exchange(GET, false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("19"));
    assert_eq!(r.body, b"hello from /api/one");
}

#[tokio::test]
async fn keeps_the_connection_alive_across_requests() {
    let (addr, _stop, _task) = start().await;
    let mut s = Conn::open(addr).await;
    for _ in 0..3 {
        assert_eq!(s.exchange(GET, false).await.status, 200);
    }
}

#[tokio::test]
async fn head_sends_length_but_no_body() {
    let (addr, _stop, _task) = start().await;
    let mut s = Conn::open(addr).await;
    let r = s.exchange("HEAD /api/one HTTP/1.1\r\nHost: t\r\n\r\n", true).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("19"));
    assert!(r.body.is_empty());
    // The next response on the same connection must parse cleanly: no stray body bytes were sent.
    assert_eq!(s.exchange(GET, false).await.status, 200);
}

#[tokio::test]
async fn a_panic_is_a_500_and_the_connection_survives() {
    let (addr, _stop, _task) = start().await;
    let mut s = Conn::open(addr).await;
    let r = s
        .exchange("GET /api/x?do=panic HTTP/1.1\r\nHost: t\r\n\r\n", false)
        .await;
    assert_eq!(r.status, 500);
    assert!(!String::from_utf8_lossy(&r.body).contains("boom"));
    assert_eq!(s.exchange(GET, false).await.status, 200);
}

#[tokio::test]
async fn malformed_request_gets_400() {
    let (addr, _stop, _task) = start().await;
    let mut s = Conn::open(addr).await;
    let r = s.exchange("GET /api/one HTTP/1.1\r\nHost t\r\n\r\n", false).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_then_stops_accepting() {
    let (addr, stop, task) = start().await;
    let mut s = Conn::open(addr).await;
    s.send("GET /api/x?do=sleep HTTP/1.1\r\nHost: t\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    let r = s.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"slept");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the server returns after draining")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[test]
fn a_bind_error_names_the_address() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use peregrine::server::{BindAddr, Server, ServerConfig};
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let e = Server::bind(ServerConfig::new().bind(BindAddr::Tcp(addr)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        assert!(
            e.to_string().starts_with(&format!("cannot listen on http://{addr}: ")),
            "{e}"
        );
    });
}
