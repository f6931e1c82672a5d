//! TLS over real sockets (feature `tls`): HTTP/1.1 and, with ALPN, HTTP/2, with a self-signed certificate
//! made for the test.
#![cfg(feature = "tls")]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use peregrine::server::{BindAddr, Liveness, ServerConfig};
use peregrine::{App, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, RootCertStore};
use tokio_rustls::TlsConnector;

struct Tls {
    dir: std::path::PathBuf,
    cert: CertificateDer<'static>,
}

fn self_signed(name: &str) -> Tls {
    let dir = std::env::temp_dir().join(format!("peregrine-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = write_pair(&dir);
    Tls { dir, cert }
}

/// A new self-signed certificate for `localhost` and its key, written to `dir` as `cert.pem` and `key.pem`.
fn write_pair(dir: &std::path::Path) -> CertificateDer<'static> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    made.cert.der().clone()
}

async fn start(tls: &Tls, http2: bool) -> SocketAddr {
    let config = ServerConfig::new()
        .bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap()))
        .tls(tls.dir.join("cert.pem"), tls.dir.join("key.pem"))
        .http2(http2);
    let server = Server::bind(config).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run_until(App::new().add_route("/health", Liveness), std::future::pending()));
    addr
}

async fn connect(
    tls: &Tls,
    addr: SocketAddr,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    connect_trusting(&[&tls.cert], addr, alpn).await
}

async fn connect_trusting(
    trusted: &[&CertificateDer<'static>],
    addr: SocketAddr,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = RootCertStore::empty();
    for cert in trusted {
        roots.add((*cert).clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

#[tokio::test]
async fn serves_http1_over_tls() {
    let tls = self_signed("h1");
    let addr = start(&tls, false).await;
    let mut stream = connect(&tls, addr, &[b"http/1.1"]).await;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with(r#"{"status":"ok"}"#), "{out}");
}

#[tokio::test]
async fn negotiates_http2_with_alpn_when_it_is_on() {
    let tls = self_signed("h2");
    let addr = start(&tls, true).await;
    let stream = connect(&tls, addr, &[b"h2", b"http/1.1"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let response = support::http2::get(stream, "https://localhost/health").await;
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_plaintext_client_gets_no_http_answer() {
    let tls = self_signed("plain");
    let addr = start(&tls, false).await;
    let mut c = support::http1::Conn::open(addr).await;
    c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert!(c.closed_within(std::time::Duration::from_secs(3)).await);
}

#[tokio::test]
async fn a_missing_certificate_file_fails_at_start_naming_it() {
    let config = ServerConfig::new()
        .bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap()))
        .tls("/nonexistent/cert.pem", "/nonexistent/key.pem");
    let server = Server::bind(config).await.unwrap();
    let e = server.run_until(App::new(), async {}).await.unwrap_err();
    assert!(e.to_string().contains("/nonexistent/cert.pem"), "{e}");
}

/// The certificate the server at `addr` presents to a client that trusts each of `trusted`.
async fn presented(trusted: &[&CertificateDer<'static>], addr: SocketAddr) -> CertificateDer<'static> {
    let stream = connect_trusting(trusted, addr, &[b"http/1.1"]).await;
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

#[cfg(unix)]
fn hangup() {
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_rereads_the_files_and_a_broken_pair_leaves_the_current_one() {
    let first = self_signed("reload");
    let addr = start(&first, false).await;
    let renewed = {
        let elsewhere = first.dir.join("next");
        std::fs::create_dir_all(&elsewhere).unwrap();
        (write_pair(&elsewhere), elsewhere)
    };
    let trusted = [&first.cert, &renewed.0];
    // Answered, so the server listens for SIGHUP (it does before it accepts).
    assert_eq!(presented(&trusted, addr).await, first.cert);

    std::fs::write(first.dir.join("cert.pem"), "not a certificate").unwrap();
    hangup();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        presented(&trusted, addr).await,
        first.cert,
        "a broken file changes nothing"
    );

    std::fs::copy(renewed.1.join("cert.pem"), first.dir.join("cert.pem")).unwrap();
    std::fs::copy(renewed.1.join("key.pem"), first.dir.join("key.pem")).unwrap();
    hangup();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while presented(&trusted, addr).await != renewed.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the renewed certificate is presented after SIGHUP"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn rapid_reset_over_alpn_h2_is_answered_with_goaway() {
    use support::h2frames::*;
    let tls = self_signed("h2-reset");
    let addr = start(&tls, true).await;
    let stream = connect(&tls, addr, &[b"h2"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut rd, mut wr) = tokio::io::split(stream);
    open(&mut wr).await;
    let writer = tokio::spawn(async move {
        let block = get_block("localhost", "/health");
        for batch in 0..50u32 {
            if wr.write_all(&opened_and_reset(&block, batch * 100, 100)).await.is_err() {
                return;
            }
        }
    });
    let (frames, ended) = frames_until_closed(&mut rd, std::time::Duration::from_secs(10)).await;
    writer.abort();
    assert!(ended, "the connection stayed open");
    let goaway = frames.iter().find(|f| f.kind == GOAWAY);
    assert_eq!(goaway.and_then(Frame::error_code), Some(0xb), "{goaway:?}");
}

#[tokio::test]
async fn an_hpack_bomb_over_alpn_h2_is_refused() {
    use support::h2frames::*;
    let tls = self_signed("h2-bomb");
    let addr = start(&tls, true).await;
    let stream = connect(&tls, addr, &[b"h2"]).await;
    let (mut rd, mut wr) = tokio::io::split(stream);
    open(&mut wr).await;
    let mut block = get_block("localhost", "/health");
    block.extend(literal_indexed(b"x-bomb", &[b'b'; 4000]));
    for _ in 0..3000 {
        block.extend(indexed(62));
    }
    wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
        .await
        .unwrap();
    let served = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        while let Some(f) = read_frame(&mut rd).await {
            if f.kind == HEADERS && f.payload.first() == Some(&0x88) {
                return true;
            }
            if matches!(f.kind, GOAWAY | RST_STREAM) {
                return false;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(!served, "the bomb was answered 200");
}
