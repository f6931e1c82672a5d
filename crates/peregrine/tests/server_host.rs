//! RFC 9112 §3.2 over real sockets: an HTTP/1.1 request with no `Host`, and any request with several or one
//! that is not `host[:port]`, gets 400 and a closed connection before any app code runs; an absolute-form
//! target names the host itself (`req.host()`, `req.netloc()`); HTTP/1.0 needs no `Host`. Also `OPTIONS *` (RFC 9110 §9.3.7),
//! the other request whose target names no resource.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::Conn;
use support::server::start;

/// Answers `host netloc` and counts the requests that reached it.
struct Where(Arc<AtomicUsize>);

#[peregrine::resource]
impl Where {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        resp.set_text(format!("{} {}", req.host().unwrap_or("-"), req.netloc().unwrap_or("-")));
        Ok(())
    }
}

async fn server() -> (support::server::Running, Arc<AtomicUsize>) {
    let reached = Arc::new(AtomicUsize::new(0));
    let app = App::new().add_route("/where", Where(Arc::clone(&reached)));
    (start(app, ServerConfig::new()).await, reached)
}

#[tokio::test]
async fn a_request_without_exactly_one_valid_host_is_400_and_closed_before_the_app() {
    let (server, reached) = server().await;
    for (why, head) in [
        ("no Host", "GET /where HTTP/1.1\r\n\r\n"),
        ("two Hosts", "GET /where HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("a space and a path", "GET /where HTTP/1.1\r\nHost: a b/c\r\n\r\n"),
        (
            "a path and a query",
            "GET /where HTTP/1.1\r\nHost: evil.example/x?y#z\r\n\r\n",
        ),
        ("an unclosed IPv6 literal", "GET /where HTTP/1.1\r\nHost: [::1\r\n\r\n"),
        ("userinfo", "GET /where HTTP/1.1\r\nHost: user@a.example\r\n\r\n"),
        // RFC 9110 §4.2.4: userinfo in the target is treated as an error.
        (
            "userinfo in the target",
            "GET http://u:pw@b.example/where HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (
            "a port that is not digits",
            "GET /where HTTP/1.1\r\nHost: a.example:http\r\n\r\n",
        ),
    ] {
        let mut c = Conn::open(server.addr).await;
        let r = c.exchange(head, false).await;
        assert_eq!(r.status, 400, "{why}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("connection"), Some("close"), "{why}");
        assert!(
            c.closed_within(Duration::from_secs(2)).await,
            "{why}: the connection stays open"
        );
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0, "no refused request reached the app");
}

#[tokio::test]
async fn valid_hosts_absolute_targets_and_http_1_0_are_served() {
    let (server, reached) = server().await;
    for (head, body) in [
        (
            "GET /where HTTP/1.1\r\nHost: api.example:8443\r\n\r\n",
            "api.example api.example:8443",
        ),
        ("GET /where HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "[::1] [::1]:8000"),
        ("GET /where HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.1 127.0.0.1"),
        // The target's authority is the host; Host is ignored, even a bad or missing one.
        (
            "GET http://b.example:81/where HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "b.example b.example:81",
        ),
        ("GET http://b.example/where HTTP/1.1\r\n\r\n", "b.example b.example"),
        ("GET /where HTTP/1.0\r\n\r\n", "- -"),
    ] {
        let mut c = Conn::open(server.addr).await;
        let r = c.exchange(head, false).await;
        let text = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 200, "{head:?}: {text}");
        assert_eq!(text, body, "{head:?}");
    }
    assert_eq!(reached.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn options_asterisk_over_the_wire_is_200_with_allow() {
    let (server, reached) = server().await;
    let mut c = Conn::open(server.addr).await;
    let r = c.exchange("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}
