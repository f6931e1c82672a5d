//! Header values over real sockets are bytes (RFC 9110 §5.5): a value with obs-text reaches the app, which
//! reads it as ISO-8859-1 text and as the bytes sent.

mod support;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::Conn;
use support::server::start;
use tokio::io::AsyncWriteExt;

/// Answers `<text> | <bytes as hex>` of `X-Name`, or 400 when it is missing.
struct Name;

#[peregrine::resource]
impl Name {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let text = req.require_header("X-Name")?.into_owned();
        let hex: String = req
            .get_header_bytes("X-Name")
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        resp.set_text(format!("{text} | {hex}"));
        Ok(())
    }
}

#[tokio::test]
async fn a_value_with_obs_text_reaches_the_app_as_latin1_and_as_bytes() {
    let server = start(App::new().add_route("/name", Name), ServerConfig::new()).await;
    let mut c = Conn::open(server.addr).await;
    c.stream
        .write_all(b"GET /name HTTP/1.1\r\nHost: t\r\nX-Name: caf\xe9 \xc3\xa9\r\n\r\n")
        .await
        .unwrap();
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "caf\u{e9} \u{c3}\u{a9} | 636166e920c3a9"
    );
}
