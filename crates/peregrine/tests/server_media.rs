//! The HTTP surface over real sockets: a multipart upload larger than the server reads before admission,
//! streamed part by part; a 413 from a multipart limit leaves the connection usable; a file sent ranged and
//! conditionally; and the scheme of a TLS-less server.

#![cfg(all(feature = "multipart", feature = "files"))]

mod support;

use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use support::http1::Conn;
use support::server::{get, start};

/// `POST /up` answers each part as `name=size`; `GET /file` sends the file at the path it was given.
struct Media {
    file: std::path::PathBuf,
}

#[peregrine::resource]
impl Media {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let mut multipart = req.multipart()?;
        let mut seen = Vec::new();
        while let Some(mut part) = multipart.next_part().await? {
            let name = part.name().unwrap_or("-").to_owned();
            let mut size = 0;
            while let Some(chunk) = part.chunk().await? {
                size += chunk.len();
            }
            seen.push(format!("{name}={size}"));
        }
        resp.set_text(seen.join(","));
        Ok(())
    }

    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        resp.set_file(&self.file).await?;
        resp.set_header("x-scheme", req.scheme().to_owned())
    }
}

fn multipart_request(parts: &[(&str, usize)]) -> String {
    let mut body = String::new();
    for (name, size) in parts {
        body.push_str(&format!(
            "--B\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{}\r\n",
            "x".repeat(*size)
        ));
    }
    body.push_str("--B--\r\n");
    format!(
        "POST /up HTTP/1.1\r\nHost: t\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn uploads_stream_and_limits_keep_the_connection() {
    let dir = std::env::temp_dir().join(format!("peregrine-server-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.txt");
    let content: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let app = App::new()
        .add_route("/up", Media { file: file.clone() })
        .max_body_size(64 * 1024)
        .route_req_options("/up", |o| {
            o.max_body_size = 8 << 20;
            o.max_parts = 3;
        });
    let server = start(app, ServerConfig::default()).await;
    let mut c = Conn::open(server.addr).await;

    // 3 MiB in three parts: past what the server reads before admission, so it is streamed.
    c.send(&multipart_request(&[("a", 1 << 20), ("b", 1 << 20), ("c", 1 << 20)]))
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.body, b"a=1048576,b=1048576,c=1048576");

    // A fourth part is one too many: 413, and the same connection serves the next request.
    c.send(&multipart_request(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)]))
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    let r = c.exchange(&get("/up"), false).await;
    assert_eq!((r.status, r.body.len()), (200, content.len()));

    // The file, ranged, then conditionally.
    let mut c = Conn::open(server.addr).await;
    let r = c
        .exchange("GET /up HTTP/1.1\r\nHost: t\r\nRange: bytes=99990-\r\n\r\n", false)
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &content[99_990..]);
    assert_eq!(r.header("content-range"), Some("bytes 99990-99999/100000"));
    assert_eq!(r.header("x-scheme"), Some("http"));
    let r = c.exchange(&get("/up"), false).await;
    assert_eq!((r.status, r.body.len()), (200, content.len()));
    let etag = r.header("etag").unwrap().to_owned();
    let r = c
        .exchange(
            &format!("GET /up HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"),
            false,
        )
        .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    server.stop_within(Duration::from_secs(5)).await;
    std::fs::remove_dir_all(&dir).unwrap();
}
